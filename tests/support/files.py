"""Imaging and model files for the case-file tests: real fixtures, small generated meshes, and
the identifier values planted in the identified CT header, to prove they never get through."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import trimesh
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid
from sqlalchemy import Engine, column, inspect, select, table

from printreg.ingest.dicom import deidentified_header

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
IDENTIFIED_CT = FIXTURES / "dicom" / "identified-ct.dcm"
PLANTED: dict[str, Any] = json.loads((FIXTURES / "dicom" / "identified-ct.json").read_text())
BRAIN_STL = FIXTURES / "meshes" / "brain-icbm152.stl"
TEST_SALT = b"a salt only the tests use, 32 b."


def forbidden() -> list[str]:
    """Return every planted identifier, its name parts, its dates written two ways, the UIDs."""
    values: list[str] = []
    for value in PLANTED["identifiers"].values():
        values += [value, *(p for p in value.split("^") if len(p) > 3)]
    return [*values, "2019-03-14", "1961-05-23", *PLANTED["uids"]]


def leaks(text: str) -> list[str]:
    """Return the planted values that ``text`` holds ([] when it is clean)."""
    return [value for value in forbidden() if value in text]


def clean_ct(salt: bytes = TEST_SALT) -> bytes:
    """Return the identified CT header de-identified: a DICOM file that is accepted as it is."""
    return deidentified_header(IDENTIFIED_CT.read_bytes(), uid_salt=salt)


def zipped(members: dict[str, bytes]) -> bytes:
    """Return a zip holding ``members`` (name → bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def box_stl(size: float = 10.0, *, bodies: int = 1) -> bytes:
    """Return a binary STL of ``bodies`` separate cubes of side ``size`` mm (size³/1000 mL each)."""
    cubes = [
        trimesh.creation.box(extents=(size, size, size)).apply_translation((i * 2 * size, 0, 0))
        for i in range(bodies)
    ]
    data = trimesh.util.concatenate(cubes).export(file_type="stl")
    assert isinstance(data, bytes)
    return data


def _text(value: object) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    return value.decode("latin-1") if isinstance(value, bytes | bytearray) else str(value)


def database_text(engine: Engine) -> str:
    """Return every row of every table of the database as text (bytes decoded as latin-1)."""
    parts: list[str] = []
    inspector = inspect(engine)
    with engine.connect() as connection:
        for name in inspector.get_table_names():
            columns = [column(c["name"]) for c in inspector.get_columns(name)]
            for row in connection.execute(select(*table(name, *columns).c)):
                parts.extend(_text(v) for v in row)
    return "\n".join(parts)


def files_text(root: Path) -> str:
    """Return the bytes of every file below ``root`` decoded as latin-1."""
    return "\n".join(
        p.read_bytes().decode("latin-1") for p in sorted(root.rglob("*")) if p.is_file()
    )


def wrapped_model(
    model: bytes, *, identified: bool = True, sop_class: str = "1.2.840.10008.5.1.4.1.1.104.3"
) -> bytes:
    """Return ``model`` wrapped by pydicom as an Encapsulated STL (or OBJ) object, written
    independently of printreg's writer; when ``identified``, its header holds the planted
    patient name, ID and birth date."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = UID(sop_class)
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = PLANTED["uids"][0]
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "M3D"
    if identified:
        for keyword in ("PatientName", "PatientID", "PatientBirthDate"):
            setattr(ds, keyword, PLANTED["identifiers"][keyword])
    ds.MIMETypeOfEncapsulatedDocument = "model/stl"
    ds.EncapsulatedDocument = model
    ds.EncapsulatedDocumentLength = len(model)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
