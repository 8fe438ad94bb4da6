"""Model files are read from bytes, measured, thumbnailed and reduced; bad files fail cleanly.

Real mesh: tests/fixtures/meshes/brain-icbm152.stl (see the README beside it). Generated meshes
have volumes known in advance.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from printreg.ingest.mesh import (
    MeshError,
    MeshMeasurement,
    decimated,
    inspect_mesh,
    load_mesh,
    parts_warning,
    thumbnail_png,
)

BRAIN = Path(__file__).resolve().parents[2] / "fixtures" / "meshes" / "brain-icbm152.stl"
BOUNDED = settings(
    max_examples=100, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
# trimesh's writer name, and the suffix the file gets.
FORMATS = {"stl": ".stl", "stl_ascii": ".stl", "obj": ".obj", "ply": ".ply", "3mf": ".3mf"}


def export(mesh: trimesh.Trimesh, writer: str) -> bytes:
    data = mesh.export(file_type=writer)
    return data.encode() if isinstance(data, str) else bytes(data)


def box() -> trimesh.Trimesh:
    return trimesh.creation.box((10.0, 20.0, 30.0))  # 6,000 mm³ = 6 mL


def two_bodies() -> trimesh.Trimesh:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=5.0)
    sphere.apply_translation((40.0, 0.0, 0.0))
    return trimesh.util.concatenate([box(), sphere])


# -- measurement of known shapes -------------------------------------------------------------------


@pytest.mark.parametrize("writer", sorted(FORMATS))
def test_every_format_round_trips_with_the_same_measurement(writer: str) -> None:
    mesh = two_bodies()
    m = inspect_mesh(export(mesh, writer), f"model{FORMATS[writer]}")
    assert m.file_format == FORMATS[writer][1:]
    assert m.triangles == len(mesh.faces)
    assert m.bodies == 2
    assert m.watertight
    assert m.non_manifold_edges == 0
    assert m.volume_ml == pytest.approx(mesh.volume / 1000, rel=1e-4)
    assert m.surface_area_cm2 == pytest.approx(mesh.area / 100, rel=1e-4)


def test_a_box_measures_what_it_is() -> None:
    m = inspect_mesh(export(box(), "stl"), "box.stl")
    assert m.volume_ml == pytest.approx(6.0)
    assert m.surface_area_cm2 == pytest.approx(22.0)  # 2·(200 + 300 + 600) mm²
    assert sorted(m.extents_mm) == pytest.approx([10.0, 20.0, 30.0])
    assert (m.triangles, m.vertices, m.bodies) == (12, 8, 1)
    assert m.units == "mm"
    assert "millimetres assumed" in " ".join(m.notes)


def test_a_sphere_and_a_cylinder_approach_their_formulas() -> None:
    sphere = inspect_mesh(
        export(trimesh.creation.icosphere(subdivisions=5, radius=10.0), "stl"), "s.stl"
    )
    assert sphere.volume_ml == pytest.approx(4 / 3 * math.pi * 1000 / 1000, rel=0.01)
    cylinder = inspect_mesh(
        export(trimesh.creation.cylinder(radius=5.0, height=20.0, sections=256), "ply"), "c.ply"
    )
    assert cylinder.volume_ml == pytest.approx(math.pi * 25 * 20 / 1000, rel=0.01)


def test_3mf_units_are_converted_to_millimetres() -> None:
    source = io.BytesIO(export(box(), "3mf"))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.endswith(".model"):
                data = re.sub(rb'unit="millimeter"', b'unit="centimeter"', data)
            new.writestr(info, data)
    m = inspect_mesh(out.getvalue(), "box.3mf")
    assert m.volume_ml == pytest.approx(6000.0)
    assert sorted(m.extents_mm) == pytest.approx([100.0, 200.0, 300.0])
    assert not any("assumed" in n for n in m.notes)


def test_an_open_surface_has_no_volume() -> None:
    mesh = box()
    mesh.update_faces(np.arange(len(mesh.faces)) != 0)
    m = inspect_mesh(export(mesh, "stl"), "open.stl")
    assert not m.watertight
    assert m.volume_ml is None
    assert m.boundary_edges == 3
    assert m.non_manifold_edges == 3
    assert "not closed" in " ".join(m.notes)


def test_edges_shared_by_three_triangles_are_non_manifold() -> None:
    vertices = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1]]
    fan = trimesh.Trimesh(vertices, [[0, 1, 2], [1, 0, 3], [0, 1, 4]], process=False)
    m = inspect_mesh(export(fan, "ply"), "fan.ply")
    assert m.non_manifold_edges == 7  # the shared edge, plus six open edges
    assert m.boundary_edges == 6


def test_inward_faces_still_give_a_positive_volume() -> None:
    mesh = box()
    mesh.invert()
    m = inspect_mesh(export(mesh, "obj"), "inverted.obj")
    assert m.volume_ml == pytest.approx(6.0)
    assert "face inwards" in " ".join(m.notes)


def test_the_real_brain_surface() -> None:
    m = inspect_mesh(BRAIN.read_bytes(), BRAIN.name)
    assert m.triangles == 5200
    assert m.watertight
    assert m.bodies == 1
    assert m.volume_ml == pytest.approx(1781.4, abs=0.5)
    assert m.surface_area_cm2 == pytest.approx(1025.3, abs=0.5)
    assert m.extents_mm == pytest.approx((143.25, 180.91, 152.33), abs=0.01)
    data = m.to_dict()
    assert data["extents_mm"] == list(m.extents_mm)
    assert data["volume_ml"] == m.volume_ml


def test_parts_warning_when_bodies_and_parts_differ() -> None:
    m = inspect_mesh(export(two_bodies(), "stl"), "two.stl")
    assert parts_warning(m, 2) is None
    assert parts_warning(m, None) is None
    warning = parts_warning(m, 1)
    assert warning is not None
    assert "2 separate bodies" in warning
    assert "1 part(s)" in warning


# -- limits and bad files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model.step", "model", "model.stl.exe", "scan.dcm"])
def test_other_suffixes_are_refused(name: str) -> None:
    with pytest.raises(MeshError, match=r"\.stl, \.3mf, \.obj or \.ply"):
        inspect_mesh(export(box(), "stl"), name)


def test_the_size_limit_is_checked_first() -> None:
    with pytest.raises(MeshError, match="the limit is"):
        inspect_mesh(export(box(), "stl"), "box.stl", max_bytes=500)
    with pytest.raises(MeshError, match="empty"):
        inspect_mesh(b"", "box.stl")


@pytest.mark.parametrize("writer", sorted(FORMATS))
def test_the_triangle_limit(writer: str) -> None:
    with pytest.raises(MeshError, match=r"holds [\d,]+ triangles; the limit is 100"):
        inspect_mesh(export(two_bodies(), writer), f"m{FORMATS[writer]}", max_triangles=100)


def test_a_binary_stl_header_is_believed_only_when_the_length_agrees() -> None:
    header = b"\0" * 80 + (2000).to_bytes(4, "little")
    with pytest.raises(MeshError, match="2,000 triangles"):
        inspect_mesh(header + b"\0" * 50 * 2000, "big.stl", max_triangles=1000)
    # A count the length does not bear out is no reason to allocate anything.
    lying = b"\0" * 80 + (4_000_000_000).to_bytes(4, "little") + b"\0" * 500
    with pytest.raises(MeshError, match=r"lying\.stl"):
        inspect_mesh(lying, "lying.stl")


def test_a_ply_header_promising_more_than_the_file_holds() -> None:
    data = b"ply\nformat binary_little_endian 1.0\nelement vertex 900000000\n"
    data += b"property float x\nproperty float y\nproperty float z\nend_header\n" + b"\0" * 64
    with pytest.raises(MeshError, match="promises more data"):
        inspect_mesh(data, "liar.ply")


def test_a_3mf_zip_bomb_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3D/3dmodel.model", b" " * (8 * 1024**2))
    with pytest.raises(MeshError, match="expands"):
        inspect_mesh(out.getvalue(), "bomb.3mf", max_bytes=1024**2)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("noise.stl", bytes(range(256)) * 3),
        ("text.obj", b"hello world\n"),
        ("noise.3mf", b"PK\x03\x04not really a zip"),
        ("noise.ply", b"ply\nformat ascii 1.0\nend_header\n1 2 3\n"),
        ("nan.obj", b"v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"),
    ],
)
def test_corrupt_files_become_mesh_errors(name: str, data: bytes) -> None:
    with pytest.raises(MeshError) as raised:
        inspect_mesh(data, name)
    assert name in str(raised.value)
    assert "Traceback" not in str(raised.value)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_trimesh_s_tracebacks_do_not_reach_standard_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no logging set up (the command line), Python prints unhandled records on stderr."""
    last_resort = _Collect()
    monkeypatch.setattr(logging, "lastResort", last_resort)
    # Hide pytest's own handlers, as a command-line run has none.
    monkeypatch.setattr(logging.getLogger("trimesh"), "propagate", False)
    # An ASCII STL whose first normal is not a number: trimesh logs a traceback, then carries on.
    text = export(box(), "stl_ascii").decode()
    odd = re.sub(r"facet normal [^\n]*", "facet normal 0 0 one", text, count=1).encode()
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")
        trimesh.load_mesh(io.BytesIO(odd), file_type="stl")
    assert last_resort.records
    last_resort.records.clear()
    assert inspect_mesh(odd, "odd.stl").volume_ml == pytest.approx(6.0)
    assert last_resort.records == []


def _outcome(data: bytes, name: str) -> MeshMeasurement | MeshError:
    try:
        return inspect_mesh(data, name)
    except MeshError as exc:
        return exc


SEEDS = [
    (BRAIN.read_bytes(), "brain.stl"),
    (export(two_bodies(), "stl_ascii"), "two.stl"),
    (export(two_bodies(), "obj"), "two.obj"),
    (export(two_bodies(), "ply"), "two.ply"),
    (export(two_bodies(), "3mf"), "two.3mf"),
]


@BOUNDED
@given(seed=st.sampled_from(SEEDS), cut=st.floats(0, 1))
def test_truncated_files_give_a_measurement_or_a_mesh_error(
    seed: tuple[bytes, str], cut: float
) -> None:
    data, name = seed
    assert isinstance(_outcome(data[: int(len(data) * cut)], name), MeshMeasurement | MeshError)


@BOUNDED
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=16),
)
def test_mutated_files_give_a_measurement_or_a_mesh_error(
    seed: tuple[bytes, str], edits: list[tuple[float, int]]
) -> None:
    data, name = bytearray(seed[0]), seed[1]
    for where, byte in edits:
        data[int(where * (len(data) - 1))] = byte
    assert isinstance(_outcome(bytes(data), name), MeshMeasurement | MeshError)


# -- thumbnail and viewer copy ----------------------------------------------------------------------


def test_thumbnail_is_a_png_of_the_model() -> None:
    loaded = load_mesh(BRAIN.read_bytes(), BRAIN.name)
    png = thumbnail_png(loaded.mesh, size=128)
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png))
    assert image.size == (128, 128)
    alpha = np.asarray(image)[:, :, 3]
    assert alpha[64, 64] == 255  # the model fills the middle
    assert alpha[0, 0] == 0  # and the corners stay clear
    assert 0.3 < (alpha > 0).mean() < 0.9


def test_a_large_model_is_reduced_before_drawing() -> None:
    sphere = trimesh.creation.icosphere(subdivisions=6, radius=50.0)  # 81,920 triangles
    image = Image.open(io.BytesIO(thumbnail_png(sphere, size=64)))
    alpha = np.asarray(image)[:, :, 3]
    assert (alpha > 0).mean() == pytest.approx(math.pi * 0.45**2, abs=0.05)


@pytest.mark.parametrize("file_type", ["stl", "glb"])
def test_decimated_copies_stay_under_the_face_budget(file_type: str) -> None:
    loaded = load_mesh(BRAIN.read_bytes(), BRAIN.name)
    data = decimated(loaded.mesh, max_faces=1000, file_type=file_type)  # type: ignore[arg-type]
    reduced = trimesh.load_mesh(io.BytesIO(data), file_type=file_type)
    assert 100 < len(reduced.faces) <= 1000
    assert np.allclose(reduced.extents, loaded.mesh.extents, rtol=0.1)


def test_a_small_model_is_not_decimated() -> None:
    data = decimated(box(), max_faces=1000, file_type="stl")
    assert len(trimesh.load_mesh(io.BytesIO(data), file_type="stl").faces) == 12
