"""The demo data set (what `printreg demo` loads) fills its home facility's dashboard: own figures
for every measure, registry and peer distributions, funnel points of other facilities, released
mixes, trends, pooled value and model measures from model files stored through the case-file
service. Run on SQLite and PostgreSQL; the date is fixed on the first of a month, the day the
volume bands' window (the last four quarters) is shortest.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from sqlalchemy import select
from tests.support.dashboards import as_json

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.accounts.service import AccountService
from printreg.analytics.benchmark import TOO_FEW
from printreg.cases.service import CaseService
from printreg.dashboards.service import AnalyticsService
from printreg.demo.service import (
    DEMO_FACILITIES,
    DEMO_MODELS,
    DEMO_PLANS,
    ensure_demo_accounts,
    load_demo,
)
from printreg.domain.facility import volume_band
from printreg.facilities.models import Facility
from printreg.files.models import PrintMesh
from printreg.files.service import CaseFileService
from printreg.platform import Platform

REG = "3dp"
HOME = DEMO_FACILITIES[0]
TODAY = dt.date(2026, 6, 1)
MESH_MEASURES = {"model_volume", "model_parts", "model_triangles"}
GLB_MAGIC = b"glTF"


def _figures(side: dict[str, Any]) -> bool:
    """Return whether a registry or peer figure holds numbers (a distribution or a proportion)."""
    return "status" not in side and (side.get("p50") is not None or side.get("p") is not None)


def test_demo_fills_every_section_of_the_home_dashboard(
    platform: Platform, operator: Actor
) -> None:
    loaded = load_demo(platform, operator, registry=REG, seed=42, today=TODAY)
    assert loaded.synthetic.facilities == len(DEMO_PLANS)
    assert loaded.synthetic.rejected == 0
    assert loaded.models == DEMO_MODELS
    ensure_demo_accounts(platform, REG, DEMO_FACILITIES)
    settings = platform.settings

    # the home site's viewer, the first person a visitor signs in as, sees the dashboard
    with platform.sessions() as session:
        viewer = session.scalar(select(User.id).where(User.email == "viewer@demo.printreg.org"))
    assert viewer is not None
    actor = AccountService(platform).actor_for(viewer)
    board = as_json(AnalyticsService(platform, actor).facility_dashboard(REG, HOME))

    # a mid-to-high volume site with a peer group of at least min_facilities
    group = board["peer_group"]
    assert group["dimensions"]["volume_band"] in {volume_band(30), volume_band(150)}
    assert group["facilities"] >= settings.min_facilities

    for item in board["measures"]:
        name = item["measure"]
        assert item["facility"].get("status") != TOO_FEW, name
        if name not in MESH_MEASURES:  # only the home site's cases carry model files
            assert _figures(item["registry"]), (name, item["registry"])
            assert _figures(item["peers"]), (name, item["peers"])
    kinds = {item["kind"] for item in board["measures"]}
    assert kinds == {"continuous", "proportion"}

    for name, points in board["funnel"].items():
        assert [p for p in points if p["this_facility"]], name
        assert [p for p in points if not p["this_facility"]], f"{name}: no other facility"
    for name, mix in board["mix"].items():
        assert mix["rows"], name
        assert any(row["registry"] is not None for row in mix["rows"]), name
    for name, points in board["trend"].items():
        assert sum(1 for p in points if p["facility"] is not None) >= 4, name
    assert [row for row in board["completeness"] if row.get("facility") is not None]
    pooled = [s for s in board["value"]["pooled"] if s["pooled"] is not None]
    assert pooled
    assert any("facility_estimate" in s for s in board["value"]["pooled"])

    _models_are_stored_and_measured(platform, operator, board)


def _models_are_stored_and_measured(
    platform: Platform, operator: Actor, board: dict[str, Any]
) -> None:
    """The demo models: one per case on its first print, one body per part of that print, each
    closed and drawn; the dashboard's model measures are the medians of what was stored."""
    with platform.sessions() as session:
        home = session.scalar(select(Facility.id).where(Facility.code == HOME))
        rows = session.scalars(select(PrintMesh).where(PrintMesh.facility_id == home)).all()
        others = session.scalars(
            select(PrintMesh.case_id).where(PrintMesh.facility_id != home)
        ).all()
        stored = [(r.case_id, r.print_row, r.volume_ml, r.bodies, r.triangles) for r in rows]
    assert len(stored) == DEMO_MODELS
    assert others == []
    cases, files = CaseService(platform, operator), CaseFileService(platform, operator)
    for case_id, print_row, volume, bodies, triangles in stored:
        assert print_row == 1
        first_print = cases.get(REG, case_id).record["prints"][0]
        assert bodies == min(len(first_print.get("part_numbers") or [1]), 6)
        assert volume is not None
        assert volume > 0
        assert triangles >= 1000
        (view,) = files.meshes(REG, case_id)
        assert view.measurement["watertight"] is True
        model, media_type = files.viewer_model(REG, case_id, 1)
        assert model.startswith(GLB_MAGIC)
        assert media_type == "model/gltf-binary"
        assert files.thumbnail(REG, case_id, 1).startswith(b"\x89PNG")
    measures = {item["measure"]: item["facility"] for item in board["measures"]}
    expected = {
        "model_volume": statistics.median(v for _, _, v, _, _ in stored),
        "model_parts": statistics.median(b for _, _, _, b, _ in stored),
        "model_triangles": statistics.median(t for _, _, _, _, t in stored),
    }
    for name, median in expected.items():
        assert measures[name]["n"] == DEMO_MODELS
        assert abs(measures[name]["median"] - median) < 1e-6, name
