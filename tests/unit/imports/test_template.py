"""The template bundle: an example that passes validation, the code lists, a README that says so."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from printreg.dictionary import Definition, load_shipped
from printreg.imports.template import EXAMPLE_ID, bundle, example_record
from printreg.ingest import FlatLayout
from printreg.validation import ValidationContext, validate_record

TODAY = dt.date(2026, 12, 5)


def _current(code: str) -> Definition:
    return [d for d in load_shipped() if d.registry.code == code][-1]


def test_the_example_passes_validation_with_the_facility_printers_it_names() -> None:
    definition = _current("3dp")
    printers = {"MY-J850": "material_jetting", "MY-FORM": "vat_photopolymerization",
                "MY-FDM": "material_extrusion", "MY-SLS": "powder_bed_fusion"}  # fmt: skip
    record = example_record(definition, printers, TODAY)
    assert record is not None
    assert record["local_case_id"] == EXAMPLE_ID
    assert {p["printer"] for p in record["prints"]} <= set(printers)
    context = ValidationContext("F0009", printers, TODAY)
    assert validate_record(record, definition, context).ok


def test_a_registry_without_a_synthetic_example_says_so() -> None:
    definition = _current("gsae")
    archive = zipfile.ZipFile(io.BytesIO(bundle(definition, "gsae", today=TODAY)))
    rows = list(csv.reader(io.StringIO(archive.read("gsae-example.csv").decode())))
    assert rows == [FlatLayout(definition).columns]
    assert "no synthetic example exists" in archive.read("README.txt").decode()


def test_the_readme_states_the_facility_date_order_and_the_separator() -> None:
    archive = zipfile.ZipFile(io.BytesIO(bundle(_current("3dp"), "3dp", date_order="MDY",
                                                today=TODAY)))  # fmt: skip
    readme = archive.read("README.txt").decode()
    assert "YYYY-MM-DD or MM/DD/YYYY" in readme
    assert "separated by ';'" in readme
    codes = list(csv.DictReader(io.StringIO(archive.read("3dp-codes.csv").decode())))
    assert {"column": "status", "code": "draft", "label": "Draft"} in codes
    assert any(c["column"].startswith("print_<n>_") for c in codes)
