"""The demo's made-up model files: one closed body per part of the print, plausible sizes, the
same bytes for the same seed, and none for cases that cannot carry a model."""

from __future__ import annotations

from typing import Any

import pytest

from printreg.ingest.mesh import load_mesh, measure
from printreg.synthetic.models import MAX_BODIES, model_for

LIMITS = {"max_bytes": 10_000_000, "max_triangles": 1_000_000}


def case(system: str, parts: int, kind: str = "anatomic_model") -> dict[str, Any]:
    return {
        "object_type": kind,
        "organ_system": system,
        "prints": [{"part_numbers": list(range(1, parts + 1))}, {"part_numbers": [1]}],
    }


@pytest.mark.parametrize(
    ("system", "parts", "low_ml", "high_ml"),
    [
        ("cardiac", 1, 150, 450),  # an adult heart is about 250-350 mL
        ("cardiac", 3, 150, 500),
        ("neurologic", 1, 700, 1900),
        ("vascular", 2, 8, 60),
        ("musculoskeletal", 4, 30, 150),
        ("genitourinary", 1, 80, 250),
    ],
)
def test_a_model_has_a_closed_body_per_part(
    system: str, parts: int, low_ml: float, high_ml: float
) -> None:
    found = model_for(case(system, parts), seed=3)
    assert found is not None
    name, data = found
    assert name.endswith("-model.stl")
    assert len(data) < 200_000
    measured = measure(load_mesh(data, name, **LIMITS))
    assert measured.bodies == parts
    assert measured.watertight
    assert measured.volume_ml is not None
    assert low_ml <= measured.volume_ml <= high_ml
    assert measured.triangles >= 1000


def test_bodies_stop_at_the_maximum() -> None:
    found = model_for(case("cardiac", MAX_BODIES + 3), seed=1)
    assert found is not None
    assert measure(load_mesh(found[1], found[0], **LIMITS)).bodies == MAX_BODIES


def test_the_same_seed_gives_the_same_model() -> None:
    assert model_for(case("spine", 2), seed=8) == model_for(case("spine", 2), seed=8)
    assert model_for(case("spine", 2), seed=8) != model_for(case("spine", 2), seed=9)


@pytest.mark.parametrize(
    "record",
    [
        case("cardiac", 1, kind="anatomic_guide"),
        {"object_type": "anatomic_model", "organ_system": "cardiac", "prints": []},
        {"object_type": "anatomic_model", "organ_system": "cardiac"},
        case("breast", 1),  # no shape for it
    ],
)
def test_no_model_for_cases_that_cannot_carry_one(record: dict[str, Any]) -> None:
    assert model_for(record, seed=1) is None
