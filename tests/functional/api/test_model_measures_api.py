"""Model files uploaded through the API show as model complexity in the facility dashboard: its
JSON, its page and its PDF report, by object type × organ system (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from tests.support.files import box_stl
from tests.support.records import records
from tests.support.web import API, DATA_MANAGER, HOME, OTHER, OTHER_SITE, UserClient

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app

MODEL = "anatomic_model"
CARDIAC = "cardiac"


@pytest.fixture
def app(settings: Settings, api_platform: Platform) -> FastAPI:
    """The app with a facility figure from 3 values and registry quartiles from 2 facilities."""
    small = settings.model_copy(update={"min_cases": 3, "min_facilities": 2})
    return create_app(small, Platform(small, api_platform.engine, api_platform.sessions))


def _model_cases(platform: Platform, facility: str, organs: list[str]) -> list[str]:
    """Store one complete anatomic-model case per organ system given; return their ids."""
    models = [r for r in records(facility, 60) if r["object_type"] == MODEL][: len(organs)]
    service = CaseService(platform, Actor.operator("test"))
    return [
        str(service.create("3dp", facility, {**r, "organ_system": organ}).id)
        for r, organ in zip(models, organs, strict=True)
    ]


def _upload(client: UserClient, case_id: str, data: bytes) -> None:
    sent = client.post(f"{API}/cases/{case_id}/prints/1/mesh", files={"file": ("m.stl", data)})
    assert sent.status_code == 201, sent.text


def _measure(dashboard: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in dashboard["measures"] if m["measure"] == name)


def test_uploaded_models_are_measured_by_organ_system(
    api_platform: Platform, client_for: Callable[[str], UserClient]
) -> None:
    home, other = client_for(DATA_MANAGER), client_for(OTHER_SITE)
    mine = _model_cases(api_platform, HOME, [CARDIAC] * 3 + ["musculoskeletal"])
    theirs = _model_cases(api_platform, OTHER, [CARDIAC] * 3)
    for case_id, side in zip(mine, (10.0, 20.0, 30.0, 40.0), strict=True):
        _upload(home, case_id, box_stl(side))  # 1, 8, 27 mL cardiac; 64 mL musculoskeletal
    for case_id in theirs:
        _upload(other, case_id, box_stl(10.0, bodies=3))  # 3 mL, 3 bodies, 36 triangles

    query = f"?object_type={MODEL}&organ_system={CARDIAC}"
    response = home.get(f"{API}/facilities/{HOME}/dashboard{query}")
    assert response.status_code == 200, response.text
    dashboard = response.json()
    assert dashboard["stratum"] == {"object_type": MODEL, "organ_system": CARDIAC}
    volume = _measure(dashboard, "model_volume")
    assert volume["unit"] == "mL"
    assert (volume["facility"]["n"], volume["facility"]["median"]) == (3, 8.0)
    # facility medians 8 (F0001) and 3 (F0002)
    assert volume["registry"] == {"facilities": 2, "p25": 4.25, "p50": 5.5, "p75": 6.75}
    assert _measure(dashboard, "model_parts")["facility"]["median"] == 1.0
    assert _measure(dashboard, "model_parts")["registry"]["p50"] == 2.0
    assert _measure(dashboard, "model_triangles")["facility"]["median"] == 12.0
    # one musculoskeletal model: too few cases for a figure of its own
    msk = home.get(
        f"{API}/facilities/{HOME}/dashboard?object_type={MODEL}&organ_system=musculoskeletal"
    )
    assert _measure(msk.json(), "model_volume")["facility"] == {"n": 1, "status": "too few cases"}
    # the other facility sees its own figure beside the same registry quartiles
    theirs_dashboard = other.get(f"{API}/facilities/{OTHER}/dashboard{query}").json()
    assert _measure(theirs_dashboard, "model_volume")["facility"]["median"] == 3.0
    assert _measure(theirs_dashboard, "model_volume")["registry"] == volume["registry"]

    page = home.get(
        f"/registries/3dp/dashboard?facility={HOME}&object_type={MODEL}&organ_system={CARDIAC}"
    )
    assert page.status_code == 200
    row = page.text[page.text.index('<tr data-measure="model_volume"') :].split("</tr>")[0]
    assert "Model volume (mL)" in row
    assert "8.0" in row
    report = home.get(f"{API}/facilities/{HOME}/report.pdf{query}")
    assert report.status_code == 200
    assert report.content.startswith(b"%PDF-")
