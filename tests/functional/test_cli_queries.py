"""`printreg query` end to end, in-process, on both databases."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.support.records import records
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.cli.app import app
from printreg.platform import Platform

runner = CliRunner()
REG = "3dp"


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _cases(platform: Platform) -> list[str]:
    service = CaseService(platform, Actor.operator("test"))
    return [str(service.create(REG, code, records(code, 1)[0]).id) for code in ("F0001", "F0002")]


def test_raise_list_confirm_close_reopen(seeded: Platform) -> None:
    first, _ = _cases(seeded)
    code, out, err = invoke("query", "raise", first, "prints[1].scale_pct", "--text", "Check")
    assert code == 0, err
    query_id = out.strip()
    assert uuid.UUID(query_id)
    code, out, err = invoke("query", "list", "--json", "--facility", "F0001")
    assert code == 0, err
    assert [(q["id"], q["status"]) for q in json.loads(out)] == [(query_id, "open")]
    code, out, err = invoke("query", "confirm", query_id, "--reason", "Measured", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "answered"
    code, out, err = invoke("query", "close", query_id)
    assert code == 0, err
    assert "closed" in out
    code, out, err = invoke("query", "reopen", query_id, "--text", "Still unclear", "--json")
    assert code == 0, err
    assert [e["action"] for e in json.loads(out)["history"]] == [
        "raise", "confirm", "close", "reopen",
    ]  # fmt: skip
    code, out, err = invoke("query", "show", query_id)
    assert code == 0, err
    assert "Still unclear" in out
    code, out, err = invoke("query", "list", "--status", "nonsense")
    assert code != 0


def test_bulk_from_a_csv_file_all_or_nothing(seeded: Platform, tmp_path: Path) -> None:
    cases = _cases(seeded)
    good = tmp_path / "good.csv"
    good.write_text("case_id,path\n" + "".join(f"{c},time_saved_min\n" for c in cases), "utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text("utf-8") + f"{uuid.uuid4()},time_saved_min\n", "utf-8")
    code, out, err = invoke("query", "bulk", str(bad), "--text", "Check")
    assert code != 0
    assert "no such case" in out + err
    code, out, err = invoke("query", "list", "--json")
    assert json.loads(out) == []
    code, out, err = invoke("query", "bulk", str(good), "--text", "Check", "--json")
    assert code == 0, err
    assert sorted(q["case_id"] for q in json.loads(out)) == sorted(cases)
    code, out, err = invoke("query", "raise", cases[0], "time_saved_min", "--text",
                            "Ring 555-867-5309")  # fmt: skip
    assert code != 0
    assert "555-867-5309" not in out + err
