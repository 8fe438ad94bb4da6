"""Model complexity: the model files uploaded to a case's prints become measures of the fact
table and of the facility dashboard by object type × organ system (SQLite and PostgreSQL).

Models are generated cubes of known size (``box_stl``: side s mm → s³/1000 mL, 12 triangles and
one body per cube), uploaded through the case file service as a user would.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import polars as pl
import pypdf
import pytest
import trimesh
from sqlalchemy import select
from tests.support.dashboards import JsonAnswers
from tests.support.files import box_stl
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.analytics.benchmark import TOO_FEW
from printreg.analytics.facts import FactBuilder
from printreg.cases.service import CaseService
from printreg.dashboards.pdf import render_report
from printreg.dashboards.schemas import FacilityDashboard
from printreg.dashboards.service import AnalyticsService
from printreg.dictionary.analytics import Measure, shipped_spec
from printreg.facilities.models import Facility
from printreg.files.service import CaseFileService
from printreg.platform import Platform
from printreg.settings import Settings

REG = "3dp"
MODEL = "anatomic_model"
CARDIAC, MSK, VASCULAR = "cardiac", "musculoskeletal", "vascular"
MEASURES = ("model_volume", "model_parts", "model_triangles")


def open_box_stl() -> bytes:
    """Return a 10 mm cube with one triangle missing: 11 triangles, 5.5 cm², no volume."""
    cube = trimesh.creation.box(extents=(10.0, 10.0, 10.0))
    data = trimesh.Trimesh(vertices=cube.vertices, faces=cube.faces[:11]).export(file_type="stl")
    assert isinstance(data, bytes)
    return data


class Cases:
    """Stores anatomic-model cases of the seeded facilities and uploads their models."""

    def __init__(self, platform: Platform) -> None:
        operator = Actor.operator("model-measures")
        self.cases = CaseService(platform, operator)
        self.files = CaseFileService(platform, operator)
        self._pool: dict[str, list[dict[str, Any]]] = {}
        self._used: dict[str, int] = {}

    def record(self, facility: str, organ: str = CARDIAC, prints: int = 1) -> dict[str, Any]:
        """Return the next unused valid anatomic-model record of the facility."""
        if facility not in self._pool:
            self._pool[facility] = [r for r in records(facility, 80) if r["object_type"] == MODEL]
        k = self._used.get(facility, 0)
        self._used[facility] = k + 1
        record = self._pool[facility][k]
        return {**record, "organ_system": organ, "prints": [record["prints"][0]] * prints}

    def add(
        self, facility: str, *models: bytes, organ: str = CARDIAC, status: str = "complete"
    ) -> uuid.UUID:
        """Store a case with one print per model (at least one) and upload the models."""
        record = {**self.record(facility, organ, max(len(models), 1)), "status": status}
        case_id = self.cases.create(REG, facility, record).id
        for row, data in enumerate(models, start=1):
            self.files.attach_mesh(REG, case_id, row, f"print-{row}.stl", data)
        return case_id


def _facility_id(platform: Platform, code: str) -> int:
    with platform.sessions() as session:
        found = session.scalar(select(Facility.id).where(Facility.code == code))
    assert found is not None
    return int(found)


def test_facts_sum_the_models_of_each_reportable_case(seeded: Platform) -> None:
    made = Cases(seeded)
    made.add("F0001", box_stl(10.0), box_stl(20.0, bodies=2))  # 1 + 2 × 8 mL, 3 bodies
    made.add("F0001", box_stl(30.0))  # 27 mL
    made.add("F0001", box_stl(10.0), open_box_stl())  # no volume: one surface is open
    made.add("F0001")  # no model
    gone = made.add("F0001", box_stl(50.0))  # 125 mL, then deleted
    made.cases.delete(REG, gone)
    made.add("F0001", box_stl(60.0), status="draft")  # 216 mL, never reportable
    # a model of a print the case no longer has is not the case's any more
    dropped = made.add("F0001", box_stl(10.0), box_stl(40.0))
    record = made.cases.get(REG, dropped).record
    made.cases.update(REG, dropped, {**record, "prints": record["prints"][:1]})
    made.add("F0002", box_stl(20.0))  # another facility

    runtime = seeded.registry(REG)
    area = Measure(
        name="model_area", label="Area", kind="continuous", source="mesh", value="surface_area_cm2"
    )
    spec = shipped_spec(runtime.current)
    spec = spec.model_copy(update={"measures": [*spec.measures, area]})
    builder = FactBuilder(runtime.tables, runtime.current, spec)
    f0001 = _facility_id(seeded, "F0001")
    with seeded.engine.connect() as connection:
        facts = builder.build(connection, [f0001])
        everyone = builder.build(connection)
        nobody = builder.build(connection, [f0001 + 1000])
    columns = [f"m_{m}" for m in (*MEASURES, "model_area")]
    assert all(facts.schema[c] == pl.Float64 for c in columns)
    assert nobody.height == 0
    assert nobody.schema == facts.schema

    def key(row: tuple[float | None, ...]) -> tuple[float, ...]:
        return tuple(-1.0 if v is None else v for v in row)

    # (volume mL, bodies, triangles, surface area cm²) per reportable case
    assert sorted(facts.select(columns).iter_rows(), key=key) == sorted(
        [
            (17.0, 3.0, 36.0, 6.0 + 2 * 24.0),
            (27.0, 1.0, 12.0, 54.0),
            (None, 2.0, 23.0, 6.0 + 5.5),
            (None, None, None, None),
            (1.0, 1.0, 12.0, 6.0),
        ],
        key=key,
    )
    assert sorted(everyone["m_model_volume"].drop_nulls().to_list()) == [1.0, 8.0, 17.0, 27.0]


@pytest.fixture
def small(settings: Settings, seeded: Platform) -> Platform:
    """The seeded platform with a figure from 3 values and quartiles from 2 facilities."""
    return Platform(
        settings.model_copy(update={"min_cases": 3, "min_facilities": 2}),
        seeded.engine,
        seeded.sessions,
    )


def _item(dashboard: dict[str, Any], measure: str) -> dict[str, Any]:
    return next(m for m in dashboard["measures"] if m["measure"] == measure)


def test_model_complexity_by_organ_system_on_the_dashboard(small: Platform) -> None:
    made = Cases(small)
    for side in (10.0, 20.0, 30.0, 40.0):  # 1, 8, 27, 64 mL
        made.add("F0001", box_stl(side))
    made.add("F0001")  # a cardiac model without a model file
    for _ in range(3):
        made.add("F0001", box_stl(10.0, bodies=2), organ=MSK)  # 2 mL, 2 bodies, 24 triangles
    for side in (10.0, 10.0, 20.0):  # 1, 1, 8 mL
        made.add("F0002", box_stl(side))
    for _ in range(2):
        made.add("F0002", box_stl(30.0), organ=VASCULAR)
    service = JsonAnswers(AnalyticsService(small, Actor.operator("model-measures")))
    cardiac = {"object_type": MODEL, "organ_system": CARDIAC}

    dashboard = service.facility_dashboard(REG, "F0001", cardiac)
    assert dashboard["stratum"] == cardiac
    assert dashboard["cases"] == 5
    volume = _item(dashboard, "model_volume")
    assert (volume["label"], volume["unit"], volume["kind"]) == ("Model volume", "mL", "continuous")
    # F0001: 1 8 27 64 → median 17.5, Q1 at position 1.75, Q3 at 3.25 (type 7)
    assert volume["facility"] == {
        "n": 4,
        "median": 17.5,
        "q1": 6.25,
        "q3": 36.25,
        "mean": 25.0,
    }
    # facility medians 17.5 (F0001) and 1 (F0002)
    assert volume["registry"] == {"facilities": 2, "p25": 5.125, "p50": 9.25, "p75": 13.375}
    assert volume["placement"]["percentile_rank"] == 75.0
    parts = _item(dashboard, "model_parts")
    assert (parts["facility"]["n"], parts["facility"]["median"]) == (4, 1.0)
    triangles = _item(dashboard, "model_triangles")
    assert (triangles["facility"]["n"], triangles["facility"]["median"]) == (4, 12.0)

    msk = service.facility_dashboard(REG, "F0001", {"object_type": MODEL, "organ_system": MSK})
    assert _item(msk, "model_volume")["facility"]["median"] == 2.0
    assert _item(msk, "model_parts")["facility"]["median"] == 2.0
    assert _item(msk, "model_triangles")["facility"]["median"] == 24.0
    # only F0001 has musculoskeletal models: no registry quartiles from one facility
    assert _item(msk, "model_volume")["registry"] == {
        "facilities": 1,
        "status": "too few facilities",
    }
    overall = service.facility_dashboard(REG, "F0001")
    assert _item(overall, "model_volume")["facility"]["n"] == 7

    # the too-few-cases rule: F0002 has 2 vascular models
    vascular = {"object_type": MODEL, "organ_system": VASCULAR}
    few = service.facility_dashboard(REG, "F0002", vascular)
    for name in MEASURES:
        assert _item(few, name)["facility"] == {"n": 2, "status": TOO_FEW}, name

    # a new upload moves the facility's counter: the next dashboard counts it
    made.add("F0002", box_stl(10.0), organ=VASCULAR)
    again = service.facility_dashboard(REG, "F0002", vascular)
    assert _item(again, "model_volume")["facility"]["n"] == 3
    assert _item(again, "model_volume")["facility"]["median"] == 27.0

    # the feedback report lists them with the other continuous measures
    reader = pypdf.PdfReader(io.BytesIO(render_report(FacilityDashboard.model_validate(dashboard))))
    text = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))
    assert "Model volume (mL) 4 17.5 (6.2-36.2) 5.1 / 9.2 / 13.4 75" in text
    assert "Model parts (separate bodies) 4 1.0 (1.0-1.0)" in text
    assert "Model triangles 4 12.0 (12.0-12.0)" in text
