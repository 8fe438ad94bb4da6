"""Case files through the service: DICOM headers pre-fill a case, meshes measure its prints,
identifiers never get in, and another facility's case stays out of reach."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from sqlalchemy import select
from tests.support.files import (
    BRAIN_STL,
    IDENTIFIED_CT,
    box_stl,
    clean_ct,
    database_text,
    files_text,
    leaks,
    wrapped_model,
    zipped,
)
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.domain.errors import Conflict, Forbidden, NotFound
from printreg.domain.facility import Role
from printreg.facilities.models import Facility
from printreg.files.models import CaseImaging, PrintMesh
from printreg.files.service import CaseFileService
from printreg.ingest.dicom import DicomError, DicomIdentifiersFound
from printreg.ingest.mesh import MeshError
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.audit_log import AuditEntry

REG = "3dp"


def _record(facility: str, index: int = 0, **changes: Any) -> dict[str, Any]:
    record = records(facility, index + 1)[index]
    return {**record, "local_case_id": f"FILES-{facility}-{index}", **changes}


def _new_case(platform: Platform, facility: str, index: int = 0, **changes: Any) -> uuid.UUID:
    service = CaseService(platform, Actor.operator("test"))
    return service.create(REG, facility, _record(facility, index, **changes)).id


def _facility_id(platform: Platform, code: str) -> int:
    with platform.sessions() as session:
        found = session.scalar(select(Facility.id).where(Facility.code == code))
    assert found is not None
    return found


def _member(platform: Platform, code: str, role: Role) -> Actor:
    return Actor(
        name=f"{role.value}@{code}", memberships={REG: {_facility_id(platform, code): role}}
    )


@pytest.fixture
def files(seeded: Platform, operator: Actor) -> CaseFileService:
    return CaseFileService(seeded, operator)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every log record at DEBUG, pydicom's debug output included."""
    caplog.set_level(logging.DEBUG)
    pydicom.config.debug(debug_on=True, default_handler=False)
    try:
        yield caplog
    finally:
        pydicom.config.debug(debug_on=False, default_handler=False)


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def _rows(platform: Platform, model: type[Any]) -> list[Any]:
    with platform.sessions() as session:
        return list(session.scalars(select(model)))


# -- meshes -------------------------------------------------------------------------------------


def test_a_mesh_is_measured_and_kept_with_its_print(
    seeded: Platform, files: CaseFileService
) -> None:
    case_id = _new_case(seeded, "F0001")
    view = files.attach_mesh(REG, case_id, 1, "brain.stl", BRAIN_STL.read_bytes())
    assert view.print_row == 1
    assert view.filename == "brain.stl"
    assert view.measurement["triangles"] == 5200
    assert view.measurement["bodies"] == 1
    assert view.measurement["volume_ml"] == pytest.approx(1781.4, abs=0.5)
    [row] = _rows(seeded, PrintMesh)
    assert (row.case_id, row.print_row, row.registry_code) == (case_id, 1, REG)
    assert (row.triangles, row.bodies, row.watertight) == (5200, 1, True)
    assert row.volume_ml == pytest.approx(1781.4, abs=0.5)
    assert files.thumbnail(REG, case_id, 1).startswith(b"\x89PNG\r\n\x1a\n")
    model, media_type = files.viewer_model(REG, case_id, 1)
    assert model.startswith(b"glTF")
    assert media_type == "model/gltf-binary"
    assert [m.print_row for m in files.meshes(REG, case_id)] == [1]
    assert files.mesh(REG, case_id, 1).measurement == view.measurement
    assert files.thumbnails(REG, [case_id, uuid.uuid4()]) == {case_id: 1}
    audits = [a for a in _rows(seeded, AuditEntry) if a.entity_type == "case_file"]
    assert [(a.action, a.entity_id, a.after["print_row"]) for a in audits] == [
        ("attach", str(case_id), 1)
    ]


def test_bodies_that_differ_from_the_declared_parts_are_a_warning(
    seeded: Platform, files: CaseFileService
) -> None:
    record = _record("F0001")
    parts = [{"region": "head", "structure": "bone", "laterality": "right"}] * 2
    prints = [{**record["prints"][0], "part_numbers": [1, 2]}]
    case_id = _new_case(seeded, "F0001", anatomic_parts=parts, prints=prints)
    one = files.attach_mesh(REG, case_id, 1, "one.stl", box_stl())
    assert one.measurement["volume_ml"] == pytest.approx(1.0)
    assert len(one.warnings) == 1
    assert "1 separate bodies but the print declares 2 part(s)" in one.warnings[0]
    two = files.attach_mesh(REG, case_id, 1, "two.stl", box_stl(bodies=2))
    assert two.warnings == []
    assert len(_rows(seeded, PrintMesh)) == 1, "a new file replaces the print's earlier one"


def test_a_bad_file_or_print_stores_nothing(seeded: Platform, files: CaseFileService) -> None:
    case_id = _new_case(seeded, "F0001")
    data = BRAIN_STL.read_bytes()
    with pytest.raises(MeshError, match="no triangles"):
        files.attach_mesh(REG, case_id, 1, "brain.stl", data[:1000] + b"junk")
    with pytest.raises(MeshError, match="not a 3MF file"):
        files.attach_mesh(REG, case_id, 1, "brain.3mf", data)
    with pytest.raises(MeshError, match="a model must be"):
        files.attach_mesh(REG, case_id, 1, "brain.docx", data)
    with pytest.raises(MeshError, match="no model file was sent"):
        files.attach_mesh(REG, case_id, 1, "", b"")
    with pytest.raises(NotFound, match="no print 2"):
        files.attach_mesh(REG, case_id, 2, "brain.stl", data)
    with pytest.raises(NotFound, match="has no model file"):
        files.thumbnail(REG, case_id, 1)
    assert _rows(seeded, PrintMesh) == []


def test_mesh_limits_come_from_the_settings(settings: Settings, seeded: Platform) -> None:
    small = Platform(
        settings.model_copy(update={"mesh_max_triangles": 100}), seeded.engine, seeded.sessions
    )
    case_id = _new_case(seeded, "F0001")
    with pytest.raises(MeshError, match="5,200 triangles; the limit is 100"):
        CaseFileService(small, Actor.operator("t")).attach_mesh(
            REG, case_id, 1, "brain.stl", BRAIN_STL.read_bytes()
        )


def test_an_identifier_in_a_model_file_name_is_not_kept(
    seeded: Platform, files: CaseFileService
) -> None:
    case_id = _new_case(seeded, "F0001")
    view = files.attach_mesh(REG, case_id, 1, "C:\\scans\\MRN 12345678 1961-05-23.stl", box_stl())
    assert view.filename == "[MRN] [FULL_DATE].stl"
    assert leaks(database_text(seeded.engine)) == []


# -- DICOM --------------------------------------------------------------------------------------


def test_identified_headers_are_refused_by_default_and_nothing_leaks(
    seeded: Platform,
    files: CaseFileService,
    logs: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    case_id = _new_case(seeded, "F0001")
    with pytest.raises(DicomIdentifiersFound) as raised:
        files.attach_dicom(REG, case_id, [("scan.dcm", IDENTIFIED_CT.read_bytes())])
    labels = {f.label for f in raised.value.findings}
    assert {"PatientName", "PatientID", "InstitutionName", "private (0099,1001)"} <= labels
    assert "PatientName" in str(raised.value)
    assert leaks(str(raised.value)) == []
    assert _rows(seeded, CaseImaging) == []
    assert leaks(database_text(seeded.engine)) == []
    assert leaks(_logged(logs)) == []
    assert leaks(files_text(tmp_path)) == []


def test_de_identified_on_receipt_only_hashes_and_facts_are_kept(
    settings: Settings,
    seeded: Platform,
    logs: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    deidentifying = Platform(
        settings.model_copy(update={"dicom_deidentify_on_receipt": True}),
        seeded.engine,
        seeded.sessions,
    )
    files = CaseFileService(deidentifying, Actor.operator("test"))
    case_id = _new_case(seeded, "F0001")
    before = CaseService(seeded, Actor.operator("test")).get(REG, case_id)
    result = files.attach_dicom(REG, case_id, [("scan.dcm", IDENTIFIED_CT.read_bytes())])
    assert result.deidentified
    assert "PatientName" in result.removed
    assert result.prefill == {"source_modalities": ["ct"], "slice_thickness_mm": 5.0}
    [study] = result.studies
    assert study.series == 1
    assert study.images == 1
    assert len(study.study_uid_hash or "") == 64
    assert study.study["study_year"] == 2019
    [row] = _rows(seeded, CaseImaging)
    assert row.study_uid_hash == study.study_uid_hash
    assert (row.series_count, row.image_count) == (1, 1)
    after = CaseService(seeded, Actor.operator("test")).get(REG, case_id)
    assert after.row_version == before.row_version, "the pre-fill waits for the person"
    assert leaks(database_text(seeded.engine)) == []
    assert leaks(_logged(logs)) == []
    assert leaks(files_text(tmp_path)) == []
    assert leaks(repr(result)) == []


def test_a_dicom_wrapped_model_is_refused_when_identified_and_nothing_is_kept(
    seeded: Platform, files: CaseFileService, logs: pytest.LogCaptureFixture
) -> None:
    case_id = _new_case(seeded, "F0001")
    with pytest.raises(DicomIdentifiersFound) as raised:
        files.attach_mesh(REG, case_id, 1, "brain.dcm", wrapped_model(BRAIN_STL.read_bytes()))
    assert "PatientName" in {f.label for f in raised.value.findings}
    assert leaks(str(raised.value)) == []
    assert _rows(seeded, PrintMesh) == []
    assert leaks(database_text(seeded.engine)) == []
    assert leaks(_logged(logs)) == []
    with pytest.raises(DicomError, match="Encapsulated STL or OBJ"):
        files.attach_mesh(REG, case_id, 1, "ct.dcm", clean_ct())


def test_a_dicom_wrapped_model_de_identified_on_receipt_measures_as_the_bare_stl(
    settings: Settings, seeded: Platform, files: CaseFileService, logs: pytest.LogCaptureFixture
) -> None:
    deidentifying = Platform(
        settings.model_copy(update={"dicom_deidentify_on_receipt": True}),
        seeded.engine,
        seeded.sessions,
    )
    wrapped_files = CaseFileService(deidentifying, Actor.operator("test"))
    bare_case = _new_case(seeded, "F0001", 0)
    wrapped_case = _new_case(seeded, "F0001", 1)
    stl = BRAIN_STL.read_bytes()
    bare = files.attach_mesh(REG, bare_case, 1, "brain.stl", stl)
    view = wrapped_files.attach_mesh(REG, wrapped_case, 1, "brain.dcm", wrapped_model(stl))
    assert view.measurement == bare.measurement
    assert view.filename == "brain.stl"
    assert len(_rows(seeded, PrintMesh)) == 2
    assert leaks(database_text(seeded.engine)) == []
    assert leaks(_logged(logs)) == []


def test_the_same_study_on_another_case_is_a_warning(
    seeded: Platform, files: CaseFileService
) -> None:
    first = _new_case(seeded, "F0001", 0)
    second = _new_case(seeded, "F0001", 1)
    clean = clean_ct()
    assert files.attach_dicom(REG, first, [("a.dcm", clean)]).warnings == []
    again = files.attach_dicom(REG, second, [("series.zip", zipped({"x/1.dcm": clean}))])
    assert len(again.warnings) == 1
    assert "FILES-F0001-0" in again.warnings[0]
    assert again.studies[0].also_on == ["FILES-F0001-0"]
    assert files.imaging(REG, first)[0].also_on == ["FILES-F0001-1"]
    # The same study again on the same case replaces its row.
    files.attach_dicom(REG, second, [("b.dcm", clean)])
    assert len(_rows(seeded, CaseImaging)) == 2
    # Another facility's case with that study is not told about (nor told of).
    other = _new_case(seeded, "F0002", 0)
    assert files.attach_dicom(REG, other, [("c.dcm", clean)]).warnings == []


def test_unreadable_uploads_are_refused_with_a_message(
    seeded: Platform, files: CaseFileService
) -> None:
    case_id = _new_case(seeded, "F0001")
    with pytest.raises(DicomError, match="not a DICOM file"):
        files.attach_dicom(REG, case_id, [("notes.txt", b"hello")])
    with pytest.raises(DicomError, match="no DICOM image headers"):
        files.attach_dicom(REG, case_id, [])
    assert _rows(seeded, CaseImaging) == []


# -- who may --------------------------------------------------------------------------------------


def test_another_facility_s_case_is_not_found_like_a_case_that_does_not_exist(
    seeded: Platform,
) -> None:
    other_case = _new_case(seeded, "F0002")
    files = CaseFileService(seeded, _member(seeded, "F0001", Role.DATA_MANAGER))
    nowhere = uuid.uuid4()
    calls = [
        lambda c: files.attach_dicom(REG, c, [("a.dcm", clean_ct())]),
        lambda c: files.attach_mesh(REG, c, 1, "box.stl", box_stl()),
        lambda c: files.imaging(REG, c),
        lambda c: files.meshes(REG, c),
        lambda c: files.mesh(REG, c, 1),
        lambda c: files.thumbnail(REG, c, 1),
        lambda c: files.viewer_model(REG, c, 1),
    ]
    for call in calls:
        with pytest.raises(NotFound) as theirs:
            call(other_case)
        with pytest.raises(NotFound) as unknown:
            call(nowhere)
        assert str(theirs.value).replace(str(other_case), "?") == str(unknown.value).replace(
            str(nowhere), "?"
        )
    assert files.thumbnails(REG, [other_case]) == {}
    assert _rows(seeded, CaseImaging) == _rows(seeded, PrintMesh) == []


def test_a_viewer_reads_but_does_not_attach(seeded: Platform, files: CaseFileService) -> None:
    case_id = _new_case(seeded, "F0001")
    files.attach_mesh(REG, case_id, 1, "box.stl", box_stl())
    viewer = CaseFileService(seeded, _member(seeded, "F0001", Role.VIEWER))
    assert viewer.mesh(REG, case_id, 1).measurement["triangles"] == 12
    with pytest.raises(Forbidden):
        viewer.attach_mesh(REG, case_id, 1, "box.stl", box_stl())
    with pytest.raises(Forbidden):
        viewer.attach_dicom(REG, case_id, [("a.dcm", clean_ct())])


def test_deleted_and_locked_cases_take_no_files(seeded: Platform, files: CaseFileService) -> None:
    cases = CaseService(seeded, Actor.operator("test"))
    deleted = _new_case(seeded, "F0001", 0)
    cases.delete(REG, deleted)
    locked = _new_case(seeded, "F0001", 1)
    cases.lock(REG, locked)
    for case_id, word in ((deleted, "deleted"), (locked, "locked")):
        with pytest.raises(Conflict, match=word):
            files.attach_mesh(REG, case_id, 1, "box.stl", box_stl())
        with pytest.raises(Conflict, match=word):
            files.attach_dicom(REG, case_id, [("a.dcm", clean_ct())])
