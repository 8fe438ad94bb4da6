"""What the case-file service returns, and the rows it keeps: views, row builders, audit data.

Pure functions of stored rows and records, so that ``services.files`` holds only the use cases.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from pathlib import PurePath
from typing import Any

from printreg.dictionary import Definition
from printreg.dictionary.analytics import PRINTS_GROUP
from printreg.dictionary.loader import imaging_targets
from printreg.files.models import CaseImaging, PrintMesh
from printreg.ingest.dicom import DicomSummary
from printreg.ingest.mesh import MeshMeasurement, parts_warning
from printreg.privacy.identifiers import redact

#: the named rule by which a print lists the rows of the group of parts it holds
ROW_REFERENCES = "row_references"


@dataclass(frozen=True)
class StudyView:
    """A DICOM study kept with a case (salted UID hash, counts, facts, no identifier), and the
    other cases of the facility that have it too; the API serves it as it is.

    ``study`` holds modalities, registry_modalities, series, images, slice_thickness_mm,
    manufacturers, models, contrast, study_year and transfer_syntaxes.
    """

    id: uuid.UUID
    study_uid_hash: str | None
    series: int
    images: int
    study: dict[str, Any]
    prefill: dict[str, Any]
    notes: list[str]
    deidentified: bool
    removed: list[str]
    created_at: dt.datetime
    created_by: str
    also_on: list[str]  # local case IDs of the facility's other cases with the same study


@dataclass(frozen=True)
class DicomAttached:
    """What an upload of DICOM headers gave: its studies, the pre-fill to confirm, warnings."""

    studies: list[StudyView]
    files: int
    prefill: dict[str, Any]
    notes: list[str]
    warnings: list[str]
    deidentified: bool
    removed: list[str]


@dataclass(frozen=True)
class MeshView:
    """A print's model: its measurement and the warnings it raises against the case."""

    print_row: int
    filename: str
    measurement: dict[str, Any]
    warnings: list[str]
    viewer_format: str
    created_at: dt.datetime
    created_by: str


def print_parts(definition: Definition) -> tuple[str, str] | None:
    """Return the element of a print row listing its part rows and the group of parts, as the
    definition's row-reference rule on the prints names them; None when it has no such rule."""
    for ref in definition.rules:
        params = ref.params
        if ref.function == ROW_REFERENCES and params.get("group") == PRINTS_GROUP:
            return str(params["field"]), str(params["target"])
    return None


def declared_parts(definition: Definition, record: dict[str, Any], print_row: int) -> int | None:
    """Return the parts a print declares (its part numbers; the case's parts for a lone print);
    None when it declares none or the definition does not link prints to parts."""
    linked = print_parts(definition)
    if linked is None:
        return None
    field_name, group = linked
    prints = record.get(PRINTS_GROUP) or []
    row = prints[print_row - 1]
    numbers = row.get(field_name) if isinstance(row, dict) else None
    if numbers:
        return len(numbers)
    parts = record.get(group) or []
    return len(parts) if len(prints) == 1 and parts else None


def study_view(row: CaseImaging, also_on: list[str]) -> StudyView:
    """Return a stored study as the service shows it, with the other cases that hold it."""
    summary = row.summary
    return StudyView(
        row.id,
        row.study_uid_hash,
        row.series_count,
        row.image_count,
        dict(summary.get("study") or {}),
        dict(summary.get("prefill") or {}),
        list(summary.get("notes") or []),
        bool(summary.get("deidentified")),
        list(summary.get("removed") or []),
        row.created_at,
        row.created_by,
        also_on,
    )


def safe_filename(filename: str) -> str:
    """Return the file's own name with any identifier the scanner finds replaced, cut to 255."""
    name = PurePath(filename.replace("\\", "/")).name or "model"
    return redact(name)[:255]


def imaging_row(
    key: tuple[int, str, uuid.UUID],
    summary: DicomSummary,
    index: int,
    actor: str,
    now: dt.datetime,
) -> CaseImaging:
    """Return the row of one study of a summary for the case ``key`` (facility, registry, id)."""
    facility_id, registry_code, case_id = key
    study = summary.studies[index]
    return CaseImaging(
        facility_id=facility_id,
        id=uuid.uuid4(),
        registry_code=registry_code,
        case_id=case_id,
        study_uid_hash=study.uid_hash,
        series_count=len(study.series),
        image_count=study.images,
        summary={
            "study": asdict(study),
            "prefill": summary.prefill(imaging_targets(registry_code)),
            "notes": list(summary.notes),
            "files": summary.files,
            "deidentified": bool(summary.removed),
            "removed": list(summary.removed),
        },
        created_at=now,
        created_by=actor,
    )


def mesh_view(definition: Definition, record: dict[str, Any], row: PrintMesh) -> MeshView:
    """Return a stored model as seen against the case's record as it is now (its warnings)."""
    warnings = []
    if row.print_row <= len(record.get(PRINTS_GROUP) or []):
        declared = declared_parts(definition, record, row.print_row)
        warning = parts_warning(MeshMeasurement(**_measurement_args(row.measurement)), declared)
        if warning:
            warnings.append(warning)
    else:
        warnings.append(f"the case no longer has a print {row.print_row}")
    return MeshView(
        row.print_row,
        row.filename,
        dict(row.measurement),
        warnings,
        row.viewer_format,
        row.created_at,
        row.created_by,
    )


def _measurement_args(data: dict[str, Any]) -> dict[str, Any]:
    """Return stored measurement JSON as MeshMeasurement's arguments."""
    args = dict(data)
    args["extents_mm"] = tuple(args.get("extents_mm") or (0.0, 0.0, 0.0))
    args["notes"] = tuple(args.get("notes") or ())
    return args


def audit_mesh(row: PrintMesh) -> dict[str, Any]:
    """Return what the audit log keeps of a model: its print, name, format and measures."""
    return {
        "kind": "mesh",
        "print_row": row.print_row,
        "filename": row.filename,
        "file_format": row.file_format,
        "triangles": row.triangles,
        "bodies": row.bodies,
        "volume_ml": row.volume_ml,
    }
