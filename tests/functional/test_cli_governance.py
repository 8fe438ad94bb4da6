"""Governance commands end to end, in-process, on both databases: a version published and cases
moved to it, a facility enrolled, a registry closed."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tests.support.records import records
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.cli.app import app
from printreg.platform import Platform

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_publish_a_version_and_move_cases(seeded: Platform, tmp_path: Path) -> None:
    record = records("F0001", 1)[0]
    saved = CaseService(seeded, Actor.operator("test")).create("3dp", "F0001", record)
    data = seeded.registry("3dp").current.model_dump(
        mode="json", by_alias=True, exclude_defaults=True
    )
    data["version"] = "1.2.0"
    data["value_sets"]["sex"]["values"].append({"code": "intersex", "label": "Intersex"})
    path = tmp_path / "definition-1.2.0.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")

    code, out, err = invoke("registry", "publish", str(path))
    assert code == 0, err
    assert "code_added" in out
    assert "stored cases checked: 1; not valid under 1.2.0: 0" in out
    assert "dry run" in out
    code, out, err = invoke("registry", "publish", str(path), "--commit", "--json")
    assert code == 0, err
    assert json.loads(out)["published"] is True
    code, _, err = invoke("registry", "publish", str(path), "--commit")
    assert code == 1
    assert "already published" in err
    code, out, _ = invoke("registry", "versions", "--json")
    assert [(v["version"], v["cases"]) for v in json.loads(out)] == [
        ("1.0.0", 0),
        ("1.1.0", 1),
        ("1.2.0", 0),
    ]

    code, out, _ = invoke("registry", "upgrade-cases", "1.2.0", str(saved.id))
    assert code == 0
    assert "would move 1" in out
    code, out, _ = invoke("registry", "upgrade-cases", "1.2.0", "--all", "--commit", "--json")
    assert (json.loads(out)["moved"], json.loads(out)["not_moved"]) == (1, [])
    code, _, err = invoke("registry", "upgrade-cases", "1.2.0")
    assert code == 1
    assert "give case ids or --all" in err


def test_enrol_a_facility_and_close_a_registry(platform: Platform, tmp_path: Path) -> None:
    assert invoke("facility", "add", "LAB1", "--name", "Lakeside Lab")[0] == 0  # in every registry
    withdrawn = invoke("enrollment", "status", "LAB1", "withdrawn", "-r", "3dp", "--reason", "gsae")
    assert withdrawn[0] == 0
    code, _, err = invoke(
        "enrollment", "apply", "LAB1", "-r", "3dp", "--contact", "Dana Lee <dana.lee@example.org>"
    )
    assert code == 0, err
    code, out, _ = invoke("enrollment", "list", "-r", "3dp", "--status", "open", "--json")
    assert [a["facility"] for a in json.loads(out)] == ["LAB1"]
    assert invoke("enrollment", "decide", "LAB1", "approve", "-r", "3dp")[0] == 0
    code, _, err = invoke("enrollment", "status", "LAB1", "active", "-r", "3dp")
    assert code == 1
    assert "agreement" in err
    code, out, err = invoke(
        "enrollment", "status", "LAB1", "active", "-r", "3dp", "--agreement-date", "2026-03-02"
    )
    assert code == 0, err
    assert "application fee $0 (waived)" in out  # still active in gsae
    code, out, _ = invoke("enrollment", "show", "LAB1", "-r", "3dp", "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["agreement_date"], shown["annual_fee"]) == (
        "active",
        "2026-03-02",
        1000,
    )
    assert [e["action"] for e in shown["history"]] == ["withdraw", "apply", "decide", "activate"]

    code, _, err = invoke("registry", "status", "gsae", "pilot")
    assert code == 1
    assert "is active and cannot become pilot" in " ".join(err.split())
    code, out, _ = invoke("registry", "status", "gsae", "closed", "--reason", "study over")
    assert code == 0
    assert "registry gsae is now closed" in out
    code, _, err = invoke("enrollment", "apply", "LAB1", "-r", "gsae", "--contact", "x <x@y.org>")
    assert code == 1
    assert "closed" in err
