"""Light commands load no heavy library: `printreg --help` answers at once.

Each command runs in a fresh Python (a subprocess), which then lists the heavy modules it
loaded. Timing is measured in bench/cli.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from printreg.accounts.actor import Actor
from printreg.demo.service import ensure_demo_accounts
from printreg.platform import Platform
from printreg.requests.service import DataRequestService, RequestDraft

#: Analytics, imaging, PDF and web stacks: no light command needs any of them.
HEAVY = (
    "polars", "pyarrow", "scipy", "numpy", "networkx", "duckdb", "trimesh", "pydicom", "lxml",
    "PIL", "fpdf", "vl_convert", "fastapi", "starlette", "uvicorn", "jinja2", "alembic",
)  # fmt: skip
#: `--help` declares every command without opening a database or reading settings either.
HELP_HEAVY = (*HEAVY, "sqlalchemy", "pydantic_settings", "yaml")

#: Runs the printreg command in this process, then prints the top-level modules loaded.
WRAPPER = """
import json, sys
from printreg.cli.app import app
try:
    app(sys.argv[1:], prog_name="printreg")
except SystemExit:
    pass
sys.stdout.write("\\nLOADED " + json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded_by(*args: str) -> tuple[str, set[str]]:
    """Run ``printreg args`` in a fresh interpreter; return its output and the modules loaded."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    output, _, modules = done.stdout.rpartition("\nLOADED ")
    return output, set(json.loads(modules))


@pytest.mark.parametrize("args", [["--help"], ["registry", "--help"], ["case", "add", "--help"]])
def test_help_loads_no_heavy_module(args: list[str]) -> None:
    output, modules = loaded_by(*args)
    assert "Usage" in output
    assert "typer" in modules  # the check sees what was loaded
    assert modules.isdisjoint(HELP_HEAVY), sorted(modules & set(HELP_HEAVY))


@pytest.mark.parametrize(
    ("args", "shows"),
    [
        (["registry", "list"], "3dp"),
        (["registry", "show", "3dp"], "object_type"),
        (["registry", "versions"], "1.0.0"),
        (["facility", "list"], "F0001"),
        (["printer", "list"], "F0001"),
        (["case", "list"], "local case id"),
        (["enrollment", "list"], "facility"),
        (["user", "show", "nobody@example.org"], ""),
    ],
)
def test_database_commands_load_no_heavy_module(
    seeded: Platform, args: list[str], shows: str
) -> None:
    output, modules = loaded_by(*args)
    assert shows in output
    assert "sqlalchemy" in modules  # it did reach the database
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


@pytest.fixture
def submitted(seeded: Platform) -> str:
    """Return the id of a data request submitted on the seeded platform."""
    ensure_demo_accounts(seeded, "3dp", ("F0001", "F0002"))
    service = DataRequestService(seeded, Actor.operator("test"))
    draft = RequestDraft("Cardiac models", "Time saved", ["organ_system"])
    return str(service.submit("3dp", draft, "researcher@demo.printreg.org").id)


@pytest.mark.parametrize(
    ("args", "shows"),
    [
        (["request", "list", "--json"], "Cardiac models"),
        (["request", "show", "{id}"], "Cardiac models"),
        (["request", "downloads", "{id}"], ""),
        (["request", "expire"], ""),
    ],
)
def test_request_commands_without_extracts_load_no_heavy_module(
    submitted: str, args: list[str], shows: str
) -> None:
    # feasibility and extract need polars, pyarrow and scipy; reading requests does not
    output, modules = loaded_by(*(a.format(id=submitted) for a in args))
    assert shows in output
    assert "sqlalchemy" in modules
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_template_loads_no_heavy_module(seeded: Platform, tmp_path: Path) -> None:
    # a header and a README of the columns: the readers (polars) and writers (pyarrow) stay out
    out = tmp_path / "template.csv"
    output, modules = loaded_by("template", "--out", str(out))
    assert "wrote" in output
    assert out.read_text("utf-8").startswith("status,local_case_id,")
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_backup_loads_no_heavy_module(seeded: Platform, tmp_path: Path) -> None:
    # the database's own copy and a tar file: no analytics, no Alembic (nothing is migrated)
    out = tmp_path / "backup.tar"
    output, modules = loaded_by("backup", "--out", str(out))
    assert "wrote" in output
    assert out.is_file()
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))
