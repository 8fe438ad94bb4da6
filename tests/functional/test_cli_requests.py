"""`printreg request` end to end, in-process, on both databases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cli.app import app
from printreg.demo.service import ensure_demo_accounts
from printreg.demo.synth import load_synthetic
from printreg.platform import Platform
from printreg.requests.service import DataRequestService, RequestDraft

runner = CliRunner()
RESEARCHER = "researcher@demo.printreg.org"


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _prepare(platform: Platform) -> None:
    ensure_demo_accounts(platform, "3dp", ("F0001", "F0002"))
    load_synthetic(platform, Actor.operator("test"), registry="3dp", seed=7, facilities=2,
                   cases=80)  # fmt: skip


def test_a_request_from_the_command_line(seeded: Platform, tmp_path: Path) -> None:
    _prepare(seeded)
    code, out, err = invoke(
        "request", "submit", "--researcher", RESEARCHER, "--title", "Cardiac models",
        "--aims", "Time saved", "-e", "organ_system", "-e", "request_date",
        "--stratum", "object_type=", "--stratum", "organ_system=cardiac,vascular,neurologic",
    )  # fmt: skip
    assert code == 0, err
    request_id = out.strip()
    code, out, err = invoke("request", "list", "--json")
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)] == [request_id]
    code, out, err = invoke("request", "feasibility", request_id, "--json")
    assert code == 0, err
    table = json.loads(out)
    shown = [v for line in table["cells"] for v in line]
    assert not [v for v in shown if v is not None and 1 <= v <= 10]
    code, out, err = invoke("request", "feasibility", request_id)
    assert code == 0, err
    assert "suppressed" in out
    code, out, err = invoke("request", "decide", request_id, "--approve", "-e", "organ_system",
                            "--note", "dates not needed")  # fmt: skip
    assert code == 0, err
    assert "approved: organ_system" in out
    code, out, err = invoke("request", "extract", request_id, "--out", str(tmp_path / "x"))
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert files == [f"request-{request_id}-codebook.json", f"request-{request_id}-extract.parquet"]
    extract = pq.read_table(tmp_path / "x" / files[1])
    assert extract.column_names == ["row_id", "facility", "organ_system"]
    assert set(extract.column("organ_system").to_pylist()) <= {"cardiac", "vascular", "neurologic"}
    code, out, err = invoke("request", "downloads", request_id, "--json")
    assert code == 0, err
    assert [(d["actor"], d["file"]) for d in json.loads(out)] == [
        ("system:cli", "extract"), ("system:cli", "codebook")]  # fmt: skip
    code, out, err = invoke("request", "show", request_id)
    assert code == 0, err
    assert "extract_ready" in out


def test_refused_requests_and_expiry(seeded: Platform, tmp_path: Path) -> None:
    _prepare(seeded)
    code, _, err = invoke("request", "submit", "--researcher", RESEARCHER, "--title", "t",
                          "--aims", "a", "-e", "indication_text")  # fmt: skip
    assert code == 1
    assert "free text" in err
    code, _, err = invoke("request", "submit", "--researcher", "sponsor@demo.printreg.org",
                          "--title", "t", "--aims", "a", "-e", "organ_system")  # fmt: skip
    assert code == 1
    assert "no researcher" in err
    seeded.clock = lambda: dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    service = DataRequestService(seeded, Actor.operator("test"), build_now=True)
    old = service.submit("3dp", RequestDraft("old", "a", ["organ_system"]), RESEARCHER)
    service.decide(old.id, approve=True)
    code, out, err = invoke("request", "expire")
    assert code == 0, err
    assert f"expired {old.id}" in out
    code, _, err = invoke("request", "extract", str(old.id), "--out", str(tmp_path))
    assert code == 1
    assert "expired" in err
