"""Small, made-up model files for synthetic cases: organ-like shapes drawn with trimesh.

Nothing here comes from a patient or a scan: each model is a few primitives (a sphere whose
surface is rippled by a smooth function of direction, a torus, capsules) in millimetres, one
separate body per anatomic part the print declares, so that the models' measures (volume, parts,
triangles) and the 3D viewer have something plausible to show. A model is a function of the
case's organ system, its part count and a seed: the same arguments give the same bytes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import trimesh

MAX_BODIES = 6  # prints rarely hold more parts; more bodies would only crowd the picture


@dataclass(frozen=True)
class _Shape:
    """The main body of a model: an ellipsoid (semi-axes in mm) rippled ``lobes`` times, or a
    ring (torus) or a long bone (capsule)."""

    name: str
    kind: str  # "organ", "ring" or "bone"
    size: tuple[float, float, float]
    lobes: int = 3
    ripple: float = 0.1


_SHAPES = {
    "cardiac": _Shape("heart", "organ", (42.0, 36.0, 52.0), lobes=2, ripple=0.12),
    "vascular": _Shape("vascular-ring", "ring", (26.0, 6.5, 0.0)),
    "neurologic": _Shape("brain", "organ", (80.0, 65.0, 55.0), lobes=7, ripple=0.05),
    "craniomaxillofacial": _Shape(
        "cranial-segment", "organ", (45.0, 40.0, 12.0), lobes=3, ripple=0.06
    ),
    "head_neck": _Shape("larynx", "organ", (22.0, 20.0, 38.0), lobes=3, ripple=0.08),
    "thoracic": _Shape("lung-mass", "organ", (30.0, 26.0, 28.0), lobes=5, ripple=0.1),
    "abdominal": _Shape("liver", "organ", (95.0, 65.0, 50.0), lobes=2, ripple=0.1),
    "genitourinary": _Shape("kidney", "organ", (55.0, 30.0, 25.0), lobes=2, ripple=0.08),
    "musculoskeletal": _Shape("femur", "bone", (12.0, 140.0, 0.0)),
    "spine": _Shape("vertebral-body", "organ", (24.0, 20.0, 14.0), lobes=4, ripple=0.08),
}


def model_for(record: Mapping[str, Any], seed: int) -> tuple[str, bytes] | None:
    """Return a file name and binary STL for the first print of a synthetic 3D Printing Registry
    case, with as many separate bodies as that print's parts; None when the case is no anatomic
    model, has no print, or is of an organ system without a shape here."""
    prints = record.get("prints") or []
    shape = _SHAPES.get(str(record.get("organ_system")))
    if record.get("object_type") != "anatomic_model" or not prints or shape is None:
        return None
    parts = len(prints[0].get("part_numbers") or [1])
    return f"{shape.name}-model.stl", model_stl(shape, min(max(parts, 1), MAX_BODIES), seed)


def model_stl(shape: _Shape, bodies: int, seed: int) -> bytes:
    """Return a binary STL of the shape and ``bodies − 1`` vessels beside it (one body each)."""
    import trimesh  # noqa: PLC0415 - heavy: only when a model is made

    rng = random.Random(seed)  # noqa: S311 - made-up geometry, not secrets
    scale = 0.85 + 0.3 * rng.random()  # patients differ in size
    meshes = [_main_body(shape, scale, rng)]
    low, high = meshes[0].bounds
    for number in range(1, bodies):
        # vessels stand around the main body, clear of it and of each other
        angle = 2 * math.pi * number / bodies + rng.uniform(-0.2, 0.2)
        radius = rng.uniform(3.0, 7.0) * scale
        length = rng.uniform(25.0, 55.0) * scale
        reach = max(high[0] - low[0], high[1] - low[1]) / 2 + radius + 6.0
        vessel = trimesh.creation.capsule(height=length, radius=radius, count=[16, 16])
        vessel.apply_translation(
            (reach * math.cos(angle), reach * math.sin(angle), rng.uniform(-10.0, 10.0))
        )
        meshes.append(vessel)
    combined = trimesh.util.concatenate(meshes)
    data = combined.export(file_type="stl") if isinstance(combined, trimesh.Trimesh) else None
    if not isinstance(data, bytes):
        raise TypeError(f"trimesh exported {type(data).__name__}, not binary STL")
    return data


def _main_body(shape: _Shape, scale: float, rng: random.Random) -> trimesh.Trimesh:
    """Return the main body, closed, centred on the origin."""
    import numpy as np  # noqa: PLC0415 - with trimesh, only when a model is made
    import trimesh  # noqa: PLC0415

    body: trimesh.Trimesh
    if shape.kind == "ring":
        major, minor, _ = shape.size
        body = trimesh.creation.torus(
            major_radius=major * scale,
            minor_radius=minor * scale,
            major_sections=48,
            minor_sections=16,
        )
    elif shape.kind == "bone":
        radius, length, _ = shape.size
        body = trimesh.creation.capsule(
            height=length * scale, radius=radius * scale, count=[24, 24]
        )
    else:
        body = trimesh.creation.icosphere(subdivisions=3)
        v = body.vertices
        phase = rng.uniform(0.0, 2 * math.pi)
        theta, phi = np.arccos(np.clip(v[:, 2], -1.0, 1.0)), np.arctan2(v[:, 1], v[:, 0])
        # a smooth ripple of the radius: lobes around, and a gentler one from pole to pole
        bulge = 1.0 + shape.ripple * (
            np.sin(shape.lobes * phi + phase) * np.sin(theta) + 0.5 * np.cos(2 * theta)
        )
        body.vertices = v * bulge[:, None] * np.array(shape.size) * scale
    return body
