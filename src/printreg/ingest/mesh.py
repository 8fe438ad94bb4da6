"""Read 3D model files (STL, 3MF, OBJ, PLY) from bytes, measure them, draw a thumbnail.

Files are checked against size and triangle limits before trimesh parses them (from the header
where the format has one) and again after; anything trimesh cannot read becomes one ``MeshError``
with a message for the user. Lengths are taken to be millimetres unless the file says otherwise
(3MF declares its unit), because that is what segmentation software writes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any, Literal

import numpy as np
import trimesh
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from printreg.domain.errors import RegistryError

MESH_FORMATS: dict[str, str] = {".stl": "stl", ".3mf": "3mf", ".obj": "obj", ".ply": "ply"}
DEFAULT_MAX_BYTES = 256 * 1024**2
DEFAULT_MAX_TRIANGLES = 5_000_000
# A 3MF file is a zip: its XML may expand this many times its own size, and no more.
MAX_3MF_EXPANSION = 40
THUMBNAIL_FACES = 40_000


class MeshError(RegistryError):
    """A model file cannot be used; ``message`` says why in words meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class LoadedMesh:
    """A mesh in millimetres, with the format it came in and the unit the file declared."""

    mesh: trimesh.Trimesh
    file_format: str
    declared_units: str | None


@dataclass(frozen=True, slots=True)
class MeshMeasurement:
    """What a model measures; volume is None when the surface is not closed."""

    file_format: str
    triangles: int
    vertices: int
    bodies: int
    watertight: bool
    non_manifold_edges: int
    boundary_edges: int
    volume_ml: float | None
    surface_area_cm2: float
    extents_mm: tuple[float, float, float]
    units: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the measurement as JSON-ready data."""
        data = asdict(self)
        data["extents_mm"] = list(self.extents_mm)
        data["notes"] = list(self.notes)
        return data


def _mb(size: int) -> str:
    return f"{size / 1024**2:.1f} MB"


def file_format(filename: str) -> str:
    """Return the trimesh file type for ``filename``'s suffix; MeshError if it is not a model."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in MESH_FORMATS:
        raise MeshError(
            f"{PurePath(filename).name}: a model must be an .stl, .3mf, .obj or .ply file"
        )
    return MESH_FORMATS[suffix]


# -- limits checked before parsing -------------------------------------------------------------

_PLY_ELEMENT = re.compile(rb"^element\s+(\w+)\s+(\d+)\s*$", re.MULTILINE)


def _declared_triangles(data: bytes, fmt: str, name: str) -> int:
    """Return the triangles (or faces) the file says it holds, checking the header is sane."""
    if fmt == "stl":
        if len(data) >= 84:
            count = int.from_bytes(data[80:84], "little")
            if 84 + 50 * count == len(data):
                return count
        return data.count(b"endfacet")
    if fmt == "obj":
        return data.count(b"\nf ") + data.startswith(b"f ")
    if fmt == "ply":
        end = data.find(b"end_header", 0, 65536)
        if not data.startswith(b"ply") or end < 0:
            raise MeshError(f"{name}: not a PLY file (no PLY header)")
        counts = {k.decode(): int(v) for k, v in _PLY_ELEMENT.findall(data[:end])}
        # Every element takes at least a byte, so a header promising more is lying.
        if sum(counts.values()) > len(data):
            raise MeshError(f"{name}: the PLY header promises more data than the file holds")
        return counts.get("face", 0)
    return 0


def _check_3mf_archive(data: bytes, name: str, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise MeshError(f"{name}: not a 3MF file (a 3MF file is a zip archive)") from None
    if len(infos) > 1000:
        raise MeshError(f"{name}: the 3MF archive holds too many files")
    expanded = sum(i.file_size for i in infos)
    if expanded > max(max_bytes, len(data) * MAX_3MF_EXPANSION):
        raise MeshError(f"{name}: the 3MF archive expands to {_mb(expanded)}: refused")


def _check_before(data: bytes, fmt: str, name: str, max_bytes: int, max_triangles: int) -> None:
    if not data:
        raise MeshError(f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise MeshError(f"{name} is {_mb(len(data))}; the limit is {_mb(max_bytes)}")
    if fmt == "3mf":
        _check_3mf_archive(data, name, max_bytes)
    declared = _declared_triangles(data, fmt, name)
    if declared > max_triangles:
        raise MeshError(
            f"{name} holds {declared:,} triangles; the limit is {max_triangles:,}: "
            "decimate the model before uploading"
        )


# -- loading -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_trimesh() -> Iterator[None]:
    """Keep trimesh's tracebacks and numpy's warnings about a bad file out of the user's way.

    trimesh logs a traceback when a parser gives up; with no handler configured Python would
    print it on standard error. A handler on the "trimesh" logger stops that, while a configured
    application still receives the records.
    """
    logger = logging.getLogger("trimesh")
    handler = logging.NullHandler()
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.removeHandler(handler)


def load_mesh(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_triangles: int = DEFAULT_MAX_TRIANGLES,
) -> LoadedMesh:
    """Return the model in ``data`` (its type from ``filename``'s suffix), in millimetres.

    Raises ``MeshError`` for a wrong suffix, a file over the limits, or one that is empty,
    damaged, truncated or not what its suffix says.
    """
    name = PurePath(filename).name
    fmt = file_format(filename)
    _check_before(data, fmt, name, max_bytes, max_triangles)
    try:
        with _quiet_trimesh():
            scene = trimesh.load_scene(io.BytesIO(data), file_type=fmt)
            mesh = scene.to_mesh()
            units = scene.units
    except Exception:  # noqa: BLE001 - trimesh's parsers fail in many ways on bad input; all mean the same
        raise MeshError(
            f"{name} cannot be read as {fmt.upper()}: it is damaged, truncated or not a {fmt.upper()} file"
        ) from None
    if len(mesh.faces) == 0:
        raise MeshError(f"{name} holds no triangles")
    if len(mesh.faces) > max_triangles:
        raise MeshError(
            f"{name} holds {len(mesh.faces):,} triangles; the limit is {max_triangles:,}: "
            "decimate the model before uploading"
        )
    if not np.isfinite(mesh.vertices).all():
        raise MeshError(f"{name} holds coordinates that are not numbers")
    declared = str(units) if units else None
    if declared and declared not in ("millimeter", "millimeters", "mm"):
        try:
            mesh.units = declared
            mesh.convert_units("millimeters")
        except (ValueError, KeyError):
            raise MeshError(f"{name} declares an unknown unit ({declared[:20]})") from None
    return LoadedMesh(mesh, fmt, declared)


# -- measuring ---------------------------------------------------------------------------------


def _edge_counts(mesh: trimesh.Trimesh) -> NDArray[np.int64]:
    edges = mesh.edges_sorted.astype(np.int64)
    keys = edges[:, 0] * len(mesh.vertices) + edges[:, 1]
    return np.unique(keys, return_counts=True)[1]


def _bodies(mesh: trimesh.Trimesh) -> int:
    components = trimesh.graph.connected_components(
        mesh.face_adjacency, nodes=np.arange(len(mesh.faces)), min_len=1
    )
    return len(components)


def measure(loaded: LoadedMesh) -> MeshMeasurement:
    """Return the measurement of a loaded model; volume is None unless the surface is closed."""
    mesh = loaded.mesh
    counts = _edge_counts(mesh)
    non_manifold = int((counts != 2).sum())
    watertight = non_manifold == 0
    notes = []
    volume: float | None = None
    with np.errstate(all="ignore"):
        if not watertight:
            notes.append(
                f"the surface is not closed ({non_manifold:,} edges not shared by exactly two "
                "triangles): volume not measured"
            )
        elif not mesh.is_winding_consistent:
            notes.append("triangles are not consistently oriented: volume not measured")
        else:
            raw = float(mesh.volume)
            if raw < 0:
                notes.append("the triangles face inwards; the volume is given as positive")
            volume = round(abs(raw) / 1000, 3)
        area = round(float(mesh.area) / 100, 3)
        extents = tuple(round(float(x), 3) for x in mesh.extents)
    if loaded.declared_units is None:
        notes.append("the file declares no unit: millimetres assumed")
    return MeshMeasurement(
        file_format=loaded.file_format,
        triangles=len(mesh.faces),
        vertices=len(mesh.vertices),
        bodies=_bodies(mesh),
        watertight=watertight,
        non_manifold_edges=non_manifold,
        boundary_edges=int((counts == 1).sum()),
        volume_ml=volume,
        surface_area_cm2=area,
        extents_mm=(extents[0], extents[1], extents[2]),
        units="mm",
        notes=tuple(notes),
    )


def inspect_mesh(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_triangles: int = DEFAULT_MAX_TRIANGLES,
) -> MeshMeasurement:
    """Return the measurement of the model in ``data``; MeshError as ``load_mesh``."""
    return measure(load_mesh(data, filename, max_bytes=max_bytes, max_triangles=max_triangles))


def parts_warning(measurement: MeshMeasurement, declared_parts: int | None) -> str | None:
    """Return a warning when the model's separate bodies differ from the parts declared; else None."""
    if declared_parts is None or measurement.bodies == declared_parts:
        return None
    return (
        f"the model has {measurement.bodies} separate bodies but the print declares "
        f"{declared_parts} part(s): check the parts, or whether pieces of the model are loose"
    )


# -- smaller copies: for the browser viewer and the thumbnail ----------------------------------


def _clustered(mesh: trimesh.Trimesh, cells: int) -> trimesh.Trimesh:
    """Return ``mesh`` with vertices merged on a grid of ``cells`` along its longest side."""
    vertices = mesh.vertices
    low = vertices.min(axis=0)
    size = max(float(mesh.extents.max()), 1e-9) / cells
    index = np.floor((vertices - low) / size).astype(np.int64)
    span = cells + 2
    keys = (index[:, 0] * span + index[:, 1]) * span + index[:, 2]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    merged = np.column_stack(
        [np.bincount(inverse, weights=vertices[:, i]) / counts for i in range(3)]
    )
    faces = inverse.reshape(-1)[mesh.faces]
    keep = (
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    )
    faces = faces[keep]
    _, first = np.unique(np.sort(faces, axis=1), axis=0, return_index=True)
    return trimesh.Trimesh(merged, faces[np.sort(first)], process=False)


def _reduced(mesh: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    """Return ``mesh`` with at most ``max_faces`` triangles, by vertex clustering."""
    if len(mesh.faces) <= max_faces:
        return mesh
    # A surface meshed at cell size c has about 2·area/c² triangles.
    cell = np.sqrt(2 * float(mesh.area) / max_faces)
    cells = max(4, int(float(mesh.extents.max()) / max(cell, 1e-9)))
    reduced = _clustered(mesh, cells)
    while len(reduced.faces) > max_faces and cells > 4:
        cells = max(4, int(cells * 0.75))
        reduced = _clustered(mesh, cells)
    return reduced


def decimated(
    mesh: trimesh.Trimesh, max_faces: int = 200_000, file_type: Literal["stl", "glb"] = "glb"
) -> bytes:
    """Return the model with at most ``max_faces`` triangles as binary STL or GLB bytes.

    Vertices are merged on a regular grid (vertex clustering): coarse but fast and dependable;
    quadric decimation would need the optional fast_simplification package.
    """
    reduced = _reduced(mesh, max_faces)
    if len(reduced.faces) > max_faces:
        rng = np.random.default_rng(0)
        chosen = np.sort(rng.choice(len(reduced.faces), max_faces, replace=False))
        reduced = trimesh.Trimesh(reduced.vertices, reduced.faces[chosen], process=False)
    with _quiet_trimesh():
        data = reduced.export(file_type=file_type)
    if not isinstance(data, bytes):
        raise TypeError(f"trimesh exported {type(data).__name__}, not bytes")
    return data


def _view(vertices: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return vertices turned for a three-quarter view from the front, the side and above.

    Screen x is right, y up and z towards the viewer. Model z (superior, in the patient
    coordinates segmentation software writes) is up and model +y (anterior in RAS) faces the
    viewer, turned 35° about the vertical and tilted 25° to look down.
    """
    azimuth, elevation = np.radians(35.0), np.radians(25.0)
    ca, sa, ce, se = np.cos(azimuth), np.sin(azimuth), np.cos(elevation), np.sin(elevation)
    turn = np.array([[ca, -sa, 0.0], [sa, ca, 0.0], [0.0, 0.0, 1.0]])
    axes = np.array([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, ce, -se], [0.0, se, ce]])
    rotation = tilt @ axes @ turn
    centred = vertices - vertices.mean(axis=0)
    return np.asarray(centred @ rotation.T, dtype=np.float64)


def thumbnail_png(mesh: trimesh.Trimesh, size: int = 256) -> bytes:
    """Return a PNG of the model, flat-shaded in orthographic projection on a clear background.

    Drawn without OpenGL: triangles are painted far to near (the painter's algorithm); a large
    model is first reduced by vertex clustering.
    """
    small = _reduced(mesh, THUMBNAIL_FACES)
    points = _view(np.asarray(small.vertices, dtype=np.float64))
    triangles = points[small.faces]
    span = max(float(np.ptp(points[:, 0])), float(np.ptp(points[:, 1])), 1e-9)
    scale = 0.9 * size / span
    centre = (points[:, :2].max(axis=0) + points[:, :2].min(axis=0)) / 2
    xy = (triangles[:, :, :2] - centre) * scale
    xy[:, :, 1] *= -1
    xy += size / 2
    with np.errstate(all="ignore"):
        normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
        lengths = np.linalg.norm(normals, axis=1)
        facing = np.abs(normals[:, 2]) / np.where(lengths > 0, lengths, 1)
    shade = (60 + 180 * facing).astype(int)
    order = np.argsort(triangles[:, :, 2].mean(axis=1))  # the largest z is nearest the viewer
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for i in order:
        s = int(shade[i])
        colour = (s, int(s * 0.93), int(s * 0.85), 255)
        draw.polygon([tuple(p) for p in xy[i].tolist()], fill=colour, outline=colour)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
