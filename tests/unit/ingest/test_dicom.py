"""DICOM headers become a summary that pre-fills a case; identifiers never get through.

Real files: the DICOM files pydicom installs with itself (several modalities, compressed transfer
syntaxes, a DICOMDIR) and tests/fixtures/dicom/identified-ct.dcm, which carries made-up
identifiers listed in identified-ct.json.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file

from printreg.dictionary import load_definition
from printreg.dictionary.loader import imaging_targets
from printreg.ingest.dicom import (
    MODALITY_CODES,
    DicomError,
    DicomIdentifiersFound,
    DicomLimits,
    DicomSummary,
    deidentified_header,
    inspect_paths,
    inspect_upload,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dicom"
IDENTIFIED = FIXTURES / "identified-ct.dcm"
PLANTED = json.loads((FIXTURES / "identified-ct.json").read_text())
SALT = b"a salt of the registry, 32 bytes"
#: the 3dp registry's pre-filled elements (its imaging.yaml)
TARGETS = imaging_targets("3dp")
BOUNDED = settings(
    max_examples=100, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip


def pydicom_file(name: str) -> Path:
    found = get_testdata_file(name, download=False)
    assert found is not None, f"{name} is not installed with pydicom"
    return Path(found)


def forbidden() -> list[str]:
    """Return every planted identifier, its name parts, its date written two ways, and the UIDs."""
    values: list[str] = []
    for value in PLANTED["identifiers"].values():
        values += [value, *(p for p in value.split("^") if len(p) > 3)]
    values += ["2019-03-14", "1961-05-23", *PLANTED["uids"]]
    return values


def assert_clean(text: str) -> None:
    leaked = [value for value in forbidden() if value in text]
    assert leaked == []


@pytest.fixture
def quiet_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every log record at DEBUG, with pydicom's own debug output switched on."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="pydicom")
    pydicom.config.debug(debug_on=True, default_handler=False)
    try:
        yield caplog
    finally:
        pydicom.config.debug(debug_on=False, default_handler=False)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def files_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("latin-1") for p in sorted(root.rglob("*")) if p.is_file()
    )


# -- the definition's codes -----------------------------------------------------------------------


def test_modality_codes_are_the_definition_s() -> None:
    path = Path(str(resources.files("printreg.definitions"))) / "3dp" / "definition-1.0.0.yaml"
    definition = load_definition(path)
    codes = {v.code for v in definition.value_sets["modality"].values}
    assert set(MODALITY_CODES.values()) <= codes
    elements = {e.name for _, e in definition.walk()}
    assert {"source_modalities", "slice_thickness_mm"} <= elements


# -- identifiers: refused by default, removed on request, never leaked ---------------------------


def test_identifiers_are_refused_with_their_tags(
    quiet_logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with pytest.raises(DicomIdentifiersFound) as raised:
        inspect_paths([IDENTIFIED], uid_salt=SALT)
    labels = {f.label for f in raised.value.findings}
    assert set(PLANTED["identifiers"]) - {"StudyDate"} <= labels
    message = str(raised.value)
    assert "PatientName" in message
    assert "refused" in message
    assert_clean(message + repr(raised.value.findings))
    assert_clean(logged(quiet_logs))
    assert_clean(files_text(tmp_path))


def test_deidentify_on_receipt_keeps_the_facts_and_drops_the_identifiers(
    quiet_logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    summary = inspect_paths([IDENTIFIED], uid_salt=SALT, deidentify=True)
    study = summary.studies[0]
    assert summary.deidentified
    assert "PatientName" in summary.removed
    assert "private attributes" in summary.removed
    assert study.modalities == ("CT",)
    assert study.slice_thickness_mm == 5.0
    assert study.contrast is True
    assert study.study_year == 2019
    assert study.manufacturers == ("GE MEDICAL SYSTEMS",)
    assert study.models == ("RHAPSODE",)
    assert study.transfer_syntaxes == ("Explicit VR Little Endian",)
    assert summary.facts() == {"modalities": ["ct"], "slice_thickness": 5.0}
    targets = imaging_targets("3dp")
    assert summary.prefill(targets) == {"source_modalities": ["ct"], "slice_thickness_mm": 5.0}
    assert summary.prefill({"modalities": "imaging"}) == {"imaging": ["ct"]}
    assert imaging_targets("gsae") == {}  # a registry without imaging.yaml: nothing pre-filled
    assert_clean(json.dumps(summary.to_dict(targets)) + repr(summary))
    assert_clean(logged(quiet_logs))
    clean = tmp_path / "clean.dcm"
    clean.write_bytes(deidentified_header(IDENTIFIED.read_bytes(), uid_salt=SALT))
    assert_clean(files_text(tmp_path))


def test_a_de_identified_copy_is_accepted_as_it_is(tmp_path: Path) -> None:
    clean = tmp_path / "clean.dcm"
    clean.write_bytes(deidentified_header(IDENTIFIED.read_bytes(), uid_salt=SALT))
    summary = inspect_paths([clean], uid_salt=SALT)
    assert not summary.deidentified
    assert summary.removed == ()
    assert summary.prefill(TARGETS)["source_modalities"] == ["ct"]
    # Dates went with the profile, and the contrast agent's name with them.
    assert summary.studies[0].study_year is None


def test_uploads_are_read_in_memory_and_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = IDENTIFIED.read_bytes()
    with pytest.raises(DicomIdentifiersFound):
        inspect_upload([("scan.dcm", data)], uid_salt=SALT)
    summary = inspect_upload([("scan.dcm", data)], uid_salt=SALT, deidentify=True)
    assert summary.files == 1
    assert list(tmp_path.iterdir()) == []


def test_uid_hashes_are_salted_and_stable() -> None:
    one = inspect_paths([IDENTIFIED], uid_salt=SALT, deidentify=True)
    again = inspect_upload([("x.dcm", IDENTIFIED.read_bytes())], uid_salt=SALT, deidentify=True)
    other = inspect_paths([IDENTIFIED], uid_salt=b"another registry", deidentify=True)
    assert one.studies[0].uid_hash == again.studies[0].uid_hash
    assert one.studies[0].series[0].uid_hash == again.studies[0].series[0].uid_hash
    assert one.studies[0].uid_hash != other.studies[0].uid_hash
    assert len(one.studies[0].uid_hash or "") == 64


def test_a_salt_is_required() -> None:
    with pytest.raises(ValueError, match="salt"):
        inspect_paths([IDENTIFIED], uid_salt=b"")


# -- what the headers say -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "modality", "code", "thickness", "syntax"),
    [
        ("CT_small.dcm", "CT", "ct", 5.0, "Explicit VR Little Endian"),
        ("MR_small.dcm", "MR", "mr", 0.8, "Explicit VR Little Endian"),
        ("MR_small_implicit.dcm", "MR", "mr", 0.8, "Implicit VR Little Endian"),
        ("MR_small_bigendian.dcm", "MR", "mr", 0.8, "Explicit VR Big Endian"),
        ("MR_small_RLE.dcm", "MR", "mr", 0.8, "RLE Lossless"),
        (
            "MR_small_jp2klossless.dcm",
            "MR",
            "mr",
            0.8,
            "JPEG 2000 Image Compression (Lossless Only)",
        ),
        ("MR_small_jpeg_ls_lossless.dcm", "MR", "mr", 0.8, "JPEG-LS Lossless Image Compression"),
        ("693_J2KI.dcm", "CT", "ct", 5.0, "JPEG 2000 Image Compression"),
        ("JPEG2000.dcm", "NM", "other", None, "JPEG 2000 Image Compression"),
        ("JPGExtended.dcm", "NM", "other", None, "JPEG Extended (Process 2 and 4)"),
        ("examples_jpeg2k.dcm", "US", "us", None, "JPEG 2000 Image Compression (Lossless Only)"),
        ("examples_ybr_color.dcm", "US", "us", None, "JPEG Baseline (Process 1)"),
        ("MR_truncated.dcm", "MR", "mr", 0.8, "Explicit VR Little Endian"),
    ],
)
def test_real_files_of_several_modalities_and_transfer_syntaxes(
    name: str, modality: str, code: str, thickness: float | None, syntax: str
) -> None:
    path = pydicom_file(name)
    with pytest.raises(DicomIdentifiersFound):
        inspect_paths([path], uid_salt=SALT)
    study = inspect_paths([path], uid_salt=SALT, deidentify=True).studies[0]
    assert study.modalities == (modality,)
    assert study.registry_modalities == (code,)
    assert study.slice_thickness_mm == thickness
    assert study.transfer_syntaxes == (syntax,)
    assert study.images >= 1


def test_objects_that_are_not_images_are_not_pre_filled() -> None:
    summary = inspect_paths([pydicom_file("rtdose.dcm")], uid_salt=SALT, deidentify=True)
    assert summary.prefill(TARGETS) == {}
    assert any("RTDOSE objects are not source images" in n for n in summary.notes)


def test_a_file_without_preamble_is_read() -> None:
    summary = inspect_paths([pydicom_file("ExplVR_LitEndNoMeta.dcm")], uid_salt=SALT)
    assert summary.studies[0].modalities == ("RTPLAN",)


def test_several_files_make_one_summary_by_study() -> None:
    paths = [
        pydicom_file("CT_small.dcm"),
        pydicom_file("MR_small.dcm"),
        pydicom_file("MR_small_RLE.dcm"),
    ]
    summary = inspect_paths(paths, uid_salt=SALT, deidentify=True)
    assert summary.files == 3
    assert summary.prefill(TARGETS) == {
        "source_modalities": ["ct", "mr"],
        "slice_thickness_mm": 0.8,
    }
    assert any("contrast was given" in n for n in summary.notes)


def test_slice_thickness_outside_the_definition_s_range_is_not_pre_filled(tmp_path: Path) -> None:
    ds = pydicom.dcmread(IDENTIFIED)
    ds.SliceThickness = "12.5"
    thick = tmp_path / "thick.dcm"
    ds.save_as(thick)
    summary = inspect_paths([thick], uid_salt=SALT, deidentify=True)
    assert "slice_thickness_mm" not in summary.prefill(TARGETS)
    assert any("outside 0.1–10.0 mm" in n for n in summary.notes)


# -- DICOMDIRs, folders and zips -------------------------------------------------------------------


def test_a_dicomdir_with_names_is_refused() -> None:
    with pytest.raises(DicomIdentifiersFound) as raised:
        inspect_paths([pydicom_file("DICOMDIR")], uid_salt=SALT)
    assert "PatientName" in str(raised.value)
    assert "Doe" not in str(raised.value)


def test_a_dicomdir_is_followed_to_its_files(quiet_logs: pytest.LogCaptureFixture) -> None:
    summary = inspect_paths([pydicom_file("DICOMDIR")], uid_salt=SALT, deidentify=True)
    assert summary.files == 31
    assert len(summary.studies) == 6
    assert {m for s in summary.studies for m in s.modalities} == {"CR", "CT", "MR"}
    assert summary.prefill(TARGETS)["source_modalities"] == ["ct", "mr", "other"]
    assert "Doe" not in json.dumps(summary.to_dict(TARGETS)) + logged(quiet_logs)


def test_a_folder_with_a_dicomdir_reads_what_it_lists() -> None:
    folder = pydicom_file("DICOMDIR").parent
    summary = inspect_paths([folder], uid_salt=SALT, deidentify=True)
    # The root DICOMDIR (31 files) and the one in TINY_ALPHA (50 files); the variants are ignored.
    assert summary.files == 81
    assert any("not listed in the DICOMDIR were ignored" in n for n in summary.notes)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zipped_dicomdir_is_read_in_memory() -> None:
    root = pydicom_file("DICOMDIR").parent
    members = {"DICOMDIR": (root / "DICOMDIR").read_bytes(), "AUTORUN.INF": b"[autorun]"}
    for folder in ("77654033", "98892001", "98892003"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                members[path.relative_to(root).as_posix()] = path.read_bytes()
    summary = inspect_upload([("cd.zip", _zip(members))], uid_salt=SALT, deidentify=True)
    assert summary.files == 31
    assert any("1 file(s) not listed in the DICOMDIR" in n for n in summary.notes)
    del members["98892003/MR1/4919"]
    with pytest.raises(DicomError, match=r"lists 98892003/MR1/4919, which is missing"):
        inspect_upload([("cd.zip", _zip(members))], uid_salt=SALT, deidentify=True)


def test_a_zipped_series_without_dicomdir(tmp_path: Path) -> None:
    members = {
        f"series/{i}.dcm": pydicom_file(name).read_bytes()
        for i, name in enumerate(["MR_small.dcm", "MR_small_RLE.dcm", "MR_small_implicit.dcm"])
    }
    members["series/readme.txt"] = b"exported by a workstation"
    archive = tmp_path / "series.zip"
    archive.write_bytes(_zip(members))
    summary = inspect_paths([archive], uid_salt=SALT, deidentify=True)
    assert summary.files == 3
    assert summary.studies[0].images == 3
    assert any("1 file(s) that are not DICOM were skipped" in n for n in summary.notes)


@pytest.mark.parametrize("name", ["../escape.dcm", "/etc/passwd", "C:/windows/x.dcm"])
def test_zip_paths_that_climb_out_are_refused(name: str) -> None:
    data = _zip({name: pydicom_file("MR_small.dcm").read_bytes()})
    with pytest.raises(DicomError, match="unsafe path"):
        inspect_upload([("x.zip", data)], uid_salt=SALT, deidentify=True)


def test_zip_bombs_are_refused() -> None:
    bomb = _zip({"a.dcm": b"\0" * (4 * 1024**2)})
    with pytest.raises(DicomError, match="expands"):
        inspect_upload([("x.zip", bomb)], uid_salt=SALT, limits=DicomLimits(max_zip_ratio=100))
    many = _zip({f"{i}.dcm": b"x" for i in range(30)})
    with pytest.raises(DicomError, match="more than 20 files"):
        inspect_upload([("x.zip", many)], uid_salt=SALT, limits=DicomLimits(max_zip_members=20))
    big = _zip({f"{i}.dcm": b"y" * 5000 for i in range(3)})
    with pytest.raises(DicomError, match="expands beyond"):
        inspect_upload([("x.zip", big)], uid_salt=SALT, limits=DicomLimits(max_zip_bytes=10_000))


def test_a_dicomdir_pointing_outside_its_folder_is_refused(tmp_path: Path) -> None:
    ds = pydicom.dcmread(pydicom_file("DICOMDIR"))
    record = next(r for r in ds.DirectoryRecordSequence if "ReferencedFileID" in r)
    target = tmp_path / "DICOMDIR"
    with pydicom.config.disable_value_validation():  # ".." is not a valid CS, which is the point
        record.ReferencedFileID = ["..", "..", "etc", "passwd"]
        ds.save_as(target)
    with pytest.raises(DicomError, match="outside its folder"):
        inspect_paths([target], uid_salt=SALT, deidentify=True)


# -- files that are not DICOM, damaged or too many --------------------------------------------------


def test_a_file_that_is_not_dicom_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not an image")
    with pytest.raises(DicomError, match=r"notes\.txt is not a DICOM file"):
        inspect_paths([notes], uid_salt=SALT)
    with pytest.raises(DicomError, match="no such file"):
        inspect_paths([tmp_path / "missing.dcm"], uid_salt=SALT)


def test_a_folder_without_dicom_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("nothing")
    with pytest.raises(DicomError, match="no DICOM image headers"):
        inspect_paths([tmp_path], uid_salt=SALT)


def test_a_truncated_header_is_refused_cleanly() -> None:
    data = pydicom_file("CT_small.dcm").read_bytes()[:300]
    with pytest.raises(DicomError, match="damaged or truncated"):
        inspect_upload([("cut.dcm", data)], uid_salt=SALT, deidentify=True)


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    for i in range(4):
        (tmp_path / f"{i}.dcm").write_bytes(pydicom_file("MR_small.dcm").read_bytes())
    with pytest.raises(DicomError, match="more than 3"):
        inspect_paths([tmp_path], uid_salt=SALT, deidentify=True, limits=DicomLimits(max_files=3))


def _outcome(data: bytes, deidentify: bool) -> DicomSummary | DicomError:
    try:
        return inspect_upload([("fuzz.dcm", data)], uid_salt=SALT, deidentify=deidentify)
    except DicomError as exc:
        return exc


SEEDS = [IDENTIFIED.read_bytes(), pydicom_file("MR_small.dcm").read_bytes()]


@BOUNDED
@given(seed=st.sampled_from(SEEDS), cut=st.floats(0, 1), deidentify=st.booleans())
def test_truncated_files_give_a_summary_or_a_dicom_error(
    seed: bytes, cut: float, deidentify: bool
) -> None:
    outcome = _outcome(seed[: int(len(seed) * cut)], deidentify)
    if isinstance(outcome, DicomError):
        assert_clean(str(outcome))


@BOUNDED
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8),
    deidentify=st.booleans(),
)
def test_mutated_files_give_a_summary_or_a_dicom_error(
    seed: bytes, edits: list[tuple[float, int]], deidentify: bool
) -> None:
    data = bytearray(seed)
    for where, byte in edits:
        data[int(where * (len(data) - 1))] = byte
    outcome = _outcome(bytes(data), deidentify)
    if isinstance(outcome, DicomSummary):
        # A mutation may break a planted value, but never let a whole one through.
        assert_clean(json.dumps(outcome.to_dict(TARGETS)))
