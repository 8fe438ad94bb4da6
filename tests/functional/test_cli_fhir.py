"""`printreg export --format fhir` and `printreg registry fhir-questionnaire`, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from tests.support.records import records
from tests.support.web import HOME, OTHER, REG, store_case
from typer.testing import CliRunner

from printreg.cli.app import app
from printreg.platform import Platform

runner = CliRunner()


def test_export_fhir_writes_one_valid_bundle_per_case(seeded: Platform, tmp_path: Path) -> None:
    stored = {store_case(seeded, f, records(f, 1)[0]) for f in (HOME, OTHER)}
    out = tmp_path / "cases.ndjson"
    result = runner.invoke(app, ["export", "--format", "fhir", "-o", str(out), "-r", REG])
    assert result.exit_code == 0, result.stderr
    lines = out.read_text("utf-8").splitlines()
    bundles = [Bundle.model_validate(json.loads(line)) for line in lines]
    assert {b.id for b in bundles} == stored
    beside = json.loads((tmp_path / "cases.ndjson.questionnaire.json").read_text("utf-8"))
    assert Questionnaire.model_validate(beside).url == f"urn:printreg:{REG}:questionnaire"

    one = tmp_path / "home.ndjson"
    result = runner.invoke(app, ["export", "--format", "fhir", "-o", str(one), "-f", HOME])
    assert result.exit_code == 0, result.stderr
    assert len(one.read_text("utf-8").splitlines()) == 1


def test_fhir_questionnaire_command(seeded: Platform, tmp_path: Path) -> None:
    result = runner.invoke(app, ["registry", "fhir-questionnaire", REG])
    assert result.exit_code == 0, result.stderr
    printed = Questionnaire.model_validate(json.loads(result.stdout))
    assert printed.version == seeded.registry(REG).current.version
    result = runner.invoke(app, ["registry", "fhir-questionnaire", REG, "--version", "9.9.9"])
    assert result.exit_code != 0
