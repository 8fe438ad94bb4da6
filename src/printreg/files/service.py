"""Imaging and model files of a case: DICOM headers that pre-fill it, meshes that measure prints.

Uploads arrive as bytes and are read in memory; the original files are never kept. What is kept
(``case_imaging``, ``print_meshes``) holds no identifier: UIDs only as salted hashes, model file
names passed through the identifier scanner. Authorization is the case service's: another
facility's case is not found, in the same words as a case that exists nowhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.orm import Session, defer

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.cases.service import locate_case
from printreg.dictionary.analytics import PRINTS_GROUP
from printreg.dictionary.loader import imaging_targets
from printreg.domain.errors import Conflict, NotFound
from printreg.domain.facility import CaseStatus
from printreg.files.models import CaseImaging, PrintMesh
from printreg.files.views import (
    DicomAttached,
    MeshView,
    StudyView,
    audit_mesh,
    imaging_row,
    mesh_view,
    safe_filename,
    study_view,
)
from printreg.ingest.dicom import DicomLimits, DicomSummary, inspect_upload
from printreg.ingest.dicom_model import is_dicom_file, unwrap_model
from printreg.ingest.mesh import (
    MeshError,
    MeshMeasurement,
    decimated,
    load_mesh,
    measure,
    thumbnail_png,
)
from printreg.platform import Platform, RegistryRuntime
from printreg.storage import stamps
from printreg.storage.base import utcnow
from printreg.storage.cases import StoredCase

__all__ = ["CaseFileService", "DicomAttached", "MeshView", "StudyView"]

VIEWER_FORMAT: Literal["glb"] = "glb"  # indexed, so about a third of a binary STL's size
MEDIA_TYPES = {"glb": "model/gltf-binary", "stl": "model/stl"}


@dataclass(frozen=True)
class _Mesh:
    measurement: MeshMeasurement
    thumbnail: bytes
    model: bytes


class CaseFileService:
    """Attach DICOM headers and model files to cases, and read back what was kept."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    # -- helpers --------------------------------------------------------------------------------

    def _locate(self, session: Session, runtime: RegistryRuntime, case_id: uuid.UUID) -> StoredCase:
        """Return a case the actor may read; NotFound (the case service's words) otherwise."""
        return locate_case(session, runtime, self.actor, case_id)

    def _writable(
        self, session: Session, runtime: RegistryRuntime, case_id: uuid.UUID
    ) -> StoredCase:
        """Return a case the actor may change; Conflict when it is locked or deleted."""
        case = self._locate(session, runtime, case_id)
        self.actor.require_case_write(runtime.code, case.facility_id)
        if case.status == CaseStatus.LOCKED:
            raise Conflict("the case is locked: ask a registry administrator to unlock it")
        if case.deleted_at is not None:
            raise Conflict("the case is deleted: restore it before changing it")
        return case

    @staticmethod
    def _check_print(runtime: RegistryRuntime, case: StoredCase, print_row: int) -> None:
        if PRINTS_GROUP not in runtime.definitions[case.definition_version].groups:
            raise NotFound(f"registry {runtime.code}'s cases have no prints")
        count = len(case.record.get(PRINTS_GROUP) or [])
        if not 1 <= print_row <= count:
            raise NotFound(f"the case has no print {print_row} (it has {count})")

    def _also_on(
        self, session: Session, runtime: RegistryRuntime, case: StoredCase, hashes: Iterable[str]
    ) -> dict[str, list[str]]:
        """Return, by study hash, the local case IDs of the facility's other cases holding it."""
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        main = runtime.tables.main
        rows = session.execute(
            select(CaseImaging.study_uid_hash, main.c.local_case_id)
            .join(
                main,
                (main.c.facility_id == CaseImaging.facility_id)
                & (main.c.id == CaseImaging.case_id),
            )
            .where(
                CaseImaging.facility_id == case.facility_id,
                CaseImaging.registry_code == runtime.code,
                CaseImaging.study_uid_hash.in_(wanted),
                CaseImaging.case_id != case.id,
                main.c.deleted_at.is_(None),
            )
            .order_by(main.c.local_case_id)
        ).all()
        found: dict[str, list[str]] = {}
        for study_hash, local_id in rows:
            ids = found.setdefault(study_hash, [])
            if str(local_id) not in ids:
                ids.append(str(local_id))
        return found

    def _studies(
        self, session: Session, runtime: RegistryRuntime, case: StoredCase
    ) -> list[StudyView]:
        rows = list(
            session.scalars(
                select(CaseImaging)
                .where(
                    CaseImaging.facility_id == case.facility_id,
                    CaseImaging.registry_code == runtime.code,
                    CaseImaging.case_id == case.id,
                )
                .order_by(CaseImaging.created_at.desc(), CaseImaging.image_count.desc())
            )
        )
        others = self._also_on(
            session, runtime, case, (r.study_uid_hash for r in rows if r.study_uid_hash)
        )
        return [study_view(r, others.get(r.study_uid_hash or "", [])) for r in rows]

    @staticmethod
    def _of_case(runtime: RegistryRuntime, case: StoredCase) -> ColumnElement[bool]:
        return and_(
            PrintMesh.facility_id == case.facility_id,
            PrintMesh.registry_code == runtime.code,
            PrintMesh.case_id == case.id,
        )

    def _mesh_row(
        self,
        session: Session,
        runtime: RegistryRuntime,
        case: StoredCase,
        print_row: int,
        *,
        load: str = "",
    ) -> PrintMesh:
        """Return a print's row, of its large columns only ``load`` (others are not read)."""
        large = (PrintMesh.thumbnail_png, PrintMesh.viewer_model)
        row = session.scalar(
            select(PrintMesh)
            .options(*(defer(column) for column in large if column.key != load))
            .where(self._of_case(runtime, case), PrintMesh.print_row == print_row)
        )
        if row is None:
            raise NotFound(f"print {print_row} of this case has no model file")
        return row

    def check_attach(self, registry: str, case_id: uuid.UUID, print_row: int | None = None) -> None:
        """Return when the actor may attach a file to the case (to its print ``print_row`` when
        given), so that an upload is read only then; NotFound, Forbidden or Conflict as the
        attach itself would answer (another facility's case is not found)."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = self._writable(session, runtime, case_id)
            if print_row is not None:
                self._check_print(runtime, case, print_row)

    # -- DICOM ----------------------------------------------------------------------------------

    def attach_dicom(
        self, registry: str, case_id: uuid.UUID, files: Sequence[tuple[str, bytes]]
    ) -> DicomAttached:
        """Read uploaded DICOM headers in memory and keep the study summary with the case.

        Returns the values that pre-fill the case (the person confirms them by saving the case;
        the case itself is not changed) and warnings, such as a study already attached to another
        case of the facility. Raises DicomIdentifiersFound (tags only, never values) when headers
        still identify someone and the registry does not de-identify on receipt, DicomError when
        nothing readable was sent, NotFound/Forbidden/Conflict as a case update would.
        """
        runtime = self.platform.registry(registry)
        settings = self.platform.settings
        with self.platform.sessions() as session:
            self._writable(session, runtime, case_id)
        summary = inspect_upload(
            files,
            uid_salt=settings.dicom_uid_key(),
            deidentify=settings.dicom_deidentify_on_receipt,
            limits=DicomLimits(
                max_files=settings.dicom_max_files,
                max_file_bytes=settings.dicom_max_upload_bytes,
            ),
        )
        return self.keep_summary(registry, case_id, summary)

    def keep_summary(
        self, registry: str, case_id: uuid.UUID, summary: DicomSummary, *, source: str = ""
    ) -> DicomAttached:
        """Keep a DICOM summary's studies with the case (replacing the same studies read
        before) and return what ``attach_dicom`` returns; ``source`` ("pacs") is audited when
        the headers did not come from an upload. NotFound/Forbidden/Conflict as a case update.
        """
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session, session.begin():
            case = self._writable(session, runtime, case_id)
            hashes = [s.uid_hash for s in summary.studies if s.uid_hash]
            if hashes:
                session.execute(
                    delete(CaseImaging).where(
                        CaseImaging.facility_id == case.facility_id,
                        CaseImaging.registry_code == runtime.code,
                        CaseImaging.case_id == case.id,
                        CaseImaging.study_uid_hash.in_(hashes),
                    )
                )
            now = utcnow()
            rows = [
                imaging_row(
                    (case.facility_id, runtime.code, case.id), summary, index, self.actor.name, now
                )
                for index in range(len(summary.studies))
            ]
            session.add_all(rows)
            others = self._also_on(session, runtime, case, hashes)
            audit(
                session,
                self.actor,
                "attach",
                "case_file",
                str(case.id),
                registry_code=runtime.code,
                facility_id=case.facility_id,
                after={
                    "kind": "dicom",
                    "studies": [s.uid_hash for s in summary.studies],
                    "series": sum(len(s.series) for s in summary.studies),
                    "images": sum(s.images for s in summary.studies),
                    "deidentified": bool(summary.removed),
                    "removed": list(summary.removed),
                    **({"source": source} if source else {}),
                },
            )
            session.flush()
            views = [study_view(r, others.get(r.study_uid_hash or "", [])) for r in rows]
        warnings = [
            f"this study ({(h or '')[:12]}…) is already attached to case(s) "
            f"{', '.join(ids)} of this facility: check that it belongs to this case"
            for h, ids in others.items()
        ]
        return DicomAttached(
            views,
            summary.files,
            summary.prefill(imaging_targets(runtime.code)),
            list(summary.notes),
            warnings,
            bool(summary.removed),
            list(summary.removed),
        )

    def imaging(self, registry: str, case_id: uuid.UUID) -> list[StudyView]:
        """Return the DICOM studies attached to a case, newest first ([] when none)."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = self._locate(session, runtime, case_id)
            return self._studies(session, runtime, case)

    # -- meshes ---------------------------------------------------------------------------------

    def _process_mesh(self, filename: str, data: bytes) -> _Mesh:
        settings = self.platform.settings
        loaded = load_mesh(
            data,
            filename,
            max_bytes=settings.mesh_max_bytes,
            max_triangles=settings.mesh_max_triangles,
        )
        measurement = measure(loaded)
        try:
            thumbnail = thumbnail_png(loaded.mesh)
            model = decimated(loaded.mesh, settings.mesh_viewer_faces, VIEWER_FORMAT)
        except (ValueError, IndexError, TypeError, ArithmeticError, MemoryError):
            raise MeshError(
                f"{PurePath(filename).name}: the model cannot be drawn (it is degenerate)"
            ) from None
        return _Mesh(measurement, thumbnail, model)

    def attach_mesh(
        self, registry: str, case_id: uuid.UUID, print_row: int, filename: str, data: bytes
    ) -> MeshView:
        """Measure a model file and keep the measurement, a thumbnail and a viewer copy with
        one print of the case (replacing an earlier file of that print).

        An Encapsulated STL/OBJ DICOM object is unwrapped first: its header is refused
        (DicomIdentifiersFound) or de-identified as DICOM uploads are, and not kept.
        Returns the measurement and warnings (bodies that differ from the parts declared).
        Raises MeshError for a file that cannot be used, DicomError for a DICOM file that is not
        a model, NotFound for an unknown print or case.
        """
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = self._writable(session, runtime, case_id)
            self._check_print(runtime, case, print_row)
        if not filename and not data:
            raise MeshError("no model file was sent: choose an STL, 3MF, OBJ or PLY file")
        if is_dicom_file(data):
            # An Encapsulated STL/OBJ object: its header goes through the DICOM upload policy
            # and is dropped; the model inside is measured like any other.
            unwrapped = unwrap_model(
                data,
                filename,
                deidentify_on_receipt=self.platform.settings.dicom_deidentify_on_receipt,
            )
            filename, data = unwrapped.filename, unwrapped.data
        processed = self._process_mesh(filename, data)
        m = processed.measurement
        with self.platform.sessions() as session, session.begin():
            case = self._writable(session, runtime, case_id)
            self._check_print(runtime, case, print_row)
            try:
                before = audit_mesh(self._mesh_row(session, runtime, case, print_row))
            except NotFound:
                before = None
            session.execute(
                delete(PrintMesh).where(
                    self._of_case(runtime, case), PrintMesh.print_row == print_row
                )
            )
            row = PrintMesh(
                facility_id=case.facility_id,
                registry_code=runtime.code,
                case_id=case.id,
                print_row=print_row,
                filename=safe_filename(filename),
                file_format=m.file_format,
                volume_ml=m.volume_ml,
                surface_area_cm2=m.surface_area_cm2,
                triangles=m.triangles,
                bodies=m.bodies,
                watertight=m.watertight,
                measurement=m.to_dict(),
                thumbnail_png=processed.thumbnail,
                viewer_model=processed.model,
                viewer_format=VIEWER_FORMAT,
                created_at=utcnow(),
                created_by=self.actor.name,
            )
            session.add(row)
            audit(
                session,
                self.actor,
                "attach",
                "case_file",
                str(case.id),
                registry_code=runtime.code,
                facility_id=case.facility_id,
                before=before,
                after=audit_mesh(row),
            )
            # Reports measure models: their caches reload the facility when its stamp moves.
            stamps.bump(session, runtime.code, [case.facility_id])
            session.flush()
            return mesh_view(runtime.definitions[case.definition_version], case.record, row)

    def meshes(self, registry: str, case_id: uuid.UUID) -> list[MeshView]:
        """Return the model files of a case's prints, by print row ([] when none)."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = self._locate(session, runtime, case_id)
            rows = session.scalars(
                select(PrintMesh)
                .options(defer(PrintMesh.thumbnail_png), defer(PrintMesh.viewer_model))
                .where(self._of_case(runtime, case))
                .order_by(PrintMesh.print_row)
            )
            definition = runtime.definitions[case.definition_version]
            return [mesh_view(definition, case.record, r) for r in rows]

    def mesh(self, registry: str, case_id: uuid.UUID, print_row: int) -> MeshView:
        """Return one print's model measurement; NotFound when it has none."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = self._locate(session, runtime, case_id)
            row = self._mesh_row(session, runtime, case, print_row)
            return mesh_view(runtime.definitions[case.definition_version], case.record, row)

    def thumbnail(self, registry: str, case_id: uuid.UUID, print_row: int) -> bytes:
        """Return the PNG thumbnail of a print's model; NotFound when it has none."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = self._locate(session, runtime, case_id)
            row = self._mesh_row(session, runtime, case, print_row, load="thumbnail_png")
            return bytes(row.thumbnail_png)

    def viewer_model(self, registry: str, case_id: uuid.UUID, print_row: int) -> tuple[bytes, str]:
        """Return the reduced model for the browser viewer and its media type; NotFound if none."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            case = self._locate(session, runtime, case_id)
            row = self._mesh_row(session, runtime, case, print_row, load="viewer_model")
            return bytes(row.viewer_model), MEDIA_TYPES[row.viewer_format]

    def thumbnails(self, registry: str, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Return, for the cases listed that the actor may read and that have a model file,
        the print row of the first one (for a case list's thumbnails)."""
        if not case_ids:
            return {}
        readable = self.actor.readable_facilities(registry)
        query = select(PrintMesh.case_id, PrintMesh.print_row).where(
            PrintMesh.registry_code == registry, PrintMesh.case_id.in_(list(case_ids))
        )
        if readable is not None:
            query = query.where(PrintMesh.facility_id.in_(readable))
        found: dict[uuid.UUID, int] = {}
        with self.platform.sessions() as session:
            for case_id, row in session.execute(query.order_by(PrintMesh.print_row)):
                found.setdefault(case_id, row)
        return found
