"""`printreg registry redcap-*` end to end, in-process, on both databases: a REDCap round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.support.records import gsae_record
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.cli.app import app
from printreg.dictionary import load_definition
from printreg.dictionary.redcap import HEADERS
from printreg.platform import Platform

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_definition_goes_to_redcap_and_back_as_a_draft(
    platform: Platform, tmp_path: Path
) -> None:
    dictionary = tmp_path / "gsae_dictionary.csv"
    code, out, err = invoke(
        "registry", "redcap-export", "--registry", "gsae", "--out", str(dictionary)
    )
    assert code == 0, err
    assert "REDCap fields of gsae 1.0.0" in out
    assert "guides: repeating group flattened into 10 numbered rows" in err
    assert next(csv.reader(io.StringIO(dictionary.read_text("utf-8")))) == list(HEADERS)

    draft = tmp_path / "definition-0.1.0.yaml"
    code, out, err = invoke(
        "registry", "redcap-import", str(dictionary), "--code", "gsae_redcap",
        "--name", "Guide safety (from REDCap)", "--out", str(draft),
    )  # fmt: skip
    assert code == 0, err
    assert "draft gsae_redcap 0.1.0" in out
    assert "calc field" in err  # the derived values are reported, not imported
    definition = load_definition(draft)
    assert definition.registry.name == "Guide safety (from REDCap)"
    assert "guide_10_sterilization_cycles" in definition.elements

    code, out, err = invoke("registry", "check-definition", str(draft))
    assert code == 0, err
    assert "valid definition of gsae_redcap 0.1.0" in out


def test_an_unreadable_dictionary_is_refused_and_nothing_is_written(
    platform: Platform, tmp_path: Path
) -> None:
    wrong = tmp_path / "cases.csv"
    wrong.write_text("name,age\nx,1\n", encoding="utf-8")
    draft = tmp_path / "draft.yaml"
    code, _, err = invoke(
        "registry", "redcap-import", str(wrong), "--code", "x", "--name", "X", "--out", str(draft)
    )
    assert code == 1
    assert "not a REDCap data dictionary" in err
    assert not draft.exists()


def test_cases_export_in_redcap_import_format(seeded: Platform, tmp_path: Path) -> None:
    service = CaseService(seeded, Actor.operator("test"))
    for n in range(1, 4):
        service.create("gsae", "F0001", gsae_record(n, event=n == 2))
    service.create("gsae", "F0002", gsae_record(1))  # the same local case ID at another facility

    one = tmp_path / "f0001.csv"
    code, out, err = invoke(
        "registry", "redcap-records", "--registry", "gsae", "--facility", "F0001", "--out", str(one)
    )
    assert code == 0, err
    assert "exported 3 cases of gsae" in out
    rows = list(csv.DictReader(io.StringIO(one.read_text("utf-8"))))
    assert sorted(r["local_case_id"] for r in rows) == ["GS-0001", "GS-0002", "GS-0003"]
    event = next(r for r in rows if r["local_case_id"] == "GS-0002")
    assert (event["guide_event"], event["event_types___misfit"], event["event_types___debris"]) == (
        "1", "1", "0",
    )  # fmt: skip
    assert event["events_complete"] == "2"
    assert "redcap_data_access_group" not in event

    every = tmp_path / "all.csv"
    code, out, err = invoke("registry", "redcap-records", "-r", "gsae", "--out", str(every))
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(every.read_text("utf-8"))))
    assert sorted((r["local_case_id"], r["redcap_data_access_group"]) for r in rows) == [
        ("F0001-GS-0001", "f0001"),
        ("F0001-GS-0002", "f0001"),
        ("F0001-GS-0003", "f0001"),
        ("F0002-GS-0001", "f0002"),
    ]
