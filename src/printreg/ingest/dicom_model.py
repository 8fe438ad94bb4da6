"""DICOM-wrapped models (Encapsulated STL / OBJ Storage, DICOM Supplement 205): unwrap one that
was uploaded as a print's model file, and wrap an STL file for a lab's PACS.

Unwrapping applies the DICOM upload policy to the wrapper's header (refused when it identifies
someone, unless the registry de-identifies on receipt) and returns only the encapsulated model's
bytes: nothing of the header is kept. Wrapping writes no patient identifier at all: the patient
module holds a fixed anonymous value, and the study is the de-identified one the case's imaging
upload produced (its UID is derived from the salted hash the registry keeps) or a new one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import PurePath

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, generate_uid

from printreg import __version__
from printreg.ingest.dicom import DicomError, DicomIdentifiersFound, _quiet_pydicom
from printreg.privacy.dicom import DUMMY_TEXT, find_identifiers

ENCAPSULATED_STL = "1.2.840.10008.5.1.4.1.1.104.3"
ENCAPSULATED_OBJ = "1.2.840.10008.5.1.4.1.1.104.4"
#: the SOP classes read as models, with the model format (a file suffix) each holds
MODEL_SOP_CLASSES: dict[str, str] = {ENCAPSULATED_STL: ".stl", ENCAPSULATED_OBJ: ".obj"}
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
ANONYMOUS = DUMMY_TEXT  # the value de-identification writes, read as empty by the scanner
_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class UnwrappedModel:
    """The model a DICOM object held: a file name with the model's suffix, its bytes, and the
    attribute keywords de-identification would have removed (empty when the header was clean)."""

    filename: str
    data: bytes
    removed: tuple[str, ...]


def is_dicom_file(data: bytes) -> bool:
    """Return True when ``data`` is a DICOM Part 10 file (128-byte preamble, then ``DICM``)."""
    return len(data) >= 132 and data[128:132] == b"DICM"


def unwrap_model(data: bytes, filename: str, *, deidentify_on_receipt: bool) -> UnwrappedModel:
    """Return the STL or OBJ model an Encapsulated STL/OBJ object holds.

    Raises ``DicomIdentifiersFound`` (tags only, never values) when the header identifies someone
    and ``deidentify_on_receipt`` is off, ``DicomError`` when the file is not such an object or
    holds no document. The header itself is dropped whatever the policy: nothing of it is kept.
    """
    name = PurePath(filename.replace("\\", "/")).name or "model.dcm"
    with _quiet_pydicom():
        try:
            ds = pydicom.dcmread(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - pydicom raises many kinds on damaged input
            raise DicomError(f"{name}: the DICOM file is damaged or truncated") from None
        sop_class = str(ds.get("SOPClassUID") or "")
        if sop_class not in MODEL_SOP_CLASSES:
            raise DicomError(
                f"{name}: a DICOM model file must be an Encapsulated STL or OBJ object"
            )
        findings = find_identifiers(ds)
        if findings and not deidentify_on_receipt:
            raise DicomIdentifiersFound(findings, 1)
        removed = tuple(sorted({f.label for f in findings}))
        document = ds.get("EncapsulatedDocument")
        if not document:
            raise DicomError(f"{name}: the DICOM object holds no model")
        blob = bytes(document)
        # An odd-length document is padded to even length; the length attribute says the truth.
        length = ds.get("EncapsulatedDocumentLength")
        if isinstance(length, int) and 0 < length <= len(blob):
            blob = blob[:length]
    stem = PurePath(name).stem or "model"
    return UnwrappedModel(stem + MODEL_SOP_CLASSES[sop_class], blob, removed)


def study_uid_from_hash(study_hash: str) -> str:
    """Return the de-identified Study Instance UID whose salted hash the registry keeps.

    The hash and the de-identified UID are both the HMAC of the original UID under the same key
    (``privacy.dicom.new_uid``), so this is the UID that de-identified copies of the study carry.
    Raises ValueError when ``study_hash`` is not a 64-digit hex hash.
    """
    text = study_hash.strip().lower()
    if not _HASH.match(text):
        raise ValueError("a study hash is 64 hexadecimal digits")
    return "2.25." + str(int(text[:32], 16))


def _patient_and_study(ds: Dataset, study_uid: str) -> None:
    """Fill the patient and study modules with no identifier (a fixed anonymous value where the
    module needs one, empty values elsewhere)."""
    ds.PatientName = ANONYMOUS
    ds.PatientID = ANONYMOUS
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = ""
    ds.StudyTime = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""


def encapsulated_stl(
    stl: bytes,
    *,
    study_uid: str | None = None,
    now: dt.datetime | None = None,
    description: str = "3D printed model",
) -> bytes:
    """Return an Encapsulated STL Storage file (DICOM Part 10 bytes) holding ``stl``.

    The object gets new SOP Instance and Series UIDs, the study ``study_uid`` (a new one when
    None), Modality M3D and an anonymous patient module; it is de-identified by construction
    (PatientIdentityRemoved YES) and written with ``enforce_file_format``.
    """
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    instance_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(ENCAPSULATED_STL)
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = UID(EXPLICIT_VR_LITTLE_ENDIAN)

    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = UID(ENCAPSULATED_STL)
    ds.SOPInstanceUID = instance_uid
    _patient_and_study(ds, study_uid or generate_uid())
    # Series and equipment (Enhanced General Equipment: the software that wrote the object).
    ds.Modality = "M3D"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "printreg"
    ds.ManufacturerModelName = "printreg"
    ds.DeviceSerialNumber = "0"
    ds.SoftwareVersions = __version__
    ds.ContentDate = when.strftime("%Y%m%d")
    ds.ContentTime = when.strftime("%H%M%S")
    ds.AcquisitionDateTime = when.strftime("%Y%m%d%H%M%S")
    ds.BurnedInAnnotation = "NO"
    # Manufacturing 3D Model module: lengths in millimetres, as the registry reads models.
    units = Dataset()
    units.CodeValue = "mm"
    units.CodingSchemeDesignator = "UCUM"
    units.CodeMeaning = "mm"
    ds.MeasurementUnitsCodeSequence = Sequence([units])
    # Encapsulated Document module.
    ds.DocumentTitle = description
    ds.MIMETypeOfEncapsulatedDocument = "model/stl"
    ds.ConceptNameCodeSequence = Sequence()
    ds.EncapsulatedDocument = stl
    ds.EncapsulatedDocumentLength = len(stl)
    ds.FrameOfReferenceUID = generate_uid()
    ds.PositionReferenceIndicator = ""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "written without patient identifiers by printreg"
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


__all__ = [
    "ENCAPSULATED_OBJ",
    "ENCAPSULATED_STL",
    "MODEL_SOP_CLASSES",
    "UnwrappedModel",
    "encapsulated_stl",
    "is_dicom_file",
    "study_uid_from_hash",
    "unwrap_model",
]
