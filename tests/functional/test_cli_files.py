"""`printreg dicom inspect` and `printreg mesh inspect` on real files, in-process and as a command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pydicom
import pytest
import trimesh
from pydicom.data import get_testdata_file
from tests.support.files import clean_ct, wrapped_model
from tests.support.records import records
from typer.testing import CliRunner

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.cli.app import app
from printreg.files.service import CaseFileService
from printreg.ingest.dicom import deidentified_header
from printreg.platform import Platform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
IDENTIFIED = FIXTURES / "dicom" / "identified-ct.dcm"
PLANTED = json.loads((FIXTURES / "dicom" / "identified-ct.json").read_text())
BRAIN = FIXTURES / "meshes" / "brain-icbm152.stl"

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_clean(text: str) -> None:
    for value in PLANTED["identifiers"].values():
        for piece in [value, *(p for p in value.split("^") if len(p) > 3)]:
            assert piece not in text
    for uid in PLANTED["uids"]:
        assert uid not in text


def test_dicom_inspect_refuses_identifiers_and_names_the_tags() -> None:
    code, out, err = invoke("dicom", "inspect", str(IDENTIFIED))
    assert code == 1
    assert "refused" in err
    assert "PatientName" in err
    assert "InstitutionAddress" in err
    assert_clean(out + err)


def test_dicom_inspect_json_refusal_lists_the_tags() -> None:
    code, out, err = invoke("dicom", "inspect", str(IDENTIFIED), "--json")
    assert code == 1
    refusal = json.loads(out)
    assert refusal["ok"] is False
    assert "PatientName" in refusal["identifiers"]
    assert_clean(out + err)


def test_dicom_inspect_deidentify_prints_the_pre_fill() -> None:
    code, out, err = invoke("dicom", "inspect", "--deidentify", "--json", str(IDENTIFIED))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["ok"] is True
    assert summary["prefill"] == {"source_modalities": ["ct"], "slice_thickness_mm": 5.0}
    assert summary["studies"][0]["study_year"] == 2019
    assert_clean(out + err)


def test_dicom_inspect_reads_a_dicomdir() -> None:
    dicomdir = get_testdata_file("DICOMDIR", download=False)
    assert dicomdir is not None
    code, out, err = invoke("dicom", "inspect", "--deidentify", str(dicomdir))
    assert code == 0, err
    assert out.count("study ") == 6
    assert "pre-fill source_modalities: ct, mr, other" in out
    assert "6 studies" in err
    assert "Doe" not in out + err


def test_dicom_inspect_names_a_file_that_is_not_dicom(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    code, _, err = invoke("dicom", "inspect", str(notes))
    assert code == 1
    assert "notes.txt is not a DICOM file" in err


def test_mesh_inspect_measures_the_brain(tmp_path: Path) -> None:
    code, out, err = invoke("mesh", "inspect", str(BRAIN))
    assert code == 0, err
    assert "1781.44 mL" in out
    assert "143.254 × 180.914 × 152.33 mm" in out
    assert "5,200" in out
    thumbnail = tmp_path / "brain.png"
    code, out, err = invoke(
        "mesh", "inspect", str(BRAIN), "--json", "--parts", "2", "--thumbnail", str(thumbnail)
    )
    assert code == 0, err
    measured = json.loads(out)
    assert measured["bodies"] == 1
    assert measured["watertight"] is True
    assert "2 part(s)" in measured["parts_warning"]
    assert thumbnail.read_bytes().startswith(b"\x89PNG")


def test_mesh_inspect_refuses_other_files(tmp_path: Path) -> None:
    model = tmp_path / "model.step"
    model.write_text("ISO-10303-21;")
    code, _, err = invoke("mesh", "inspect", str(model))
    assert code == 1
    assert "model.step: a model must be an .stl, .3mf, .obj or .ply file" in err
    code, _, err = invoke("mesh", "inspect", str(tmp_path / "missing.stl"))
    assert code == 1
    assert "cannot read" in err


def test_the_inspect_commands_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTREG_DICOM_DEIDENTIFY_ON_RECEIPT", "true")
    code, out, err = invoke("dicom", "inspect", "--json", str(IDENTIFIED))
    assert code == 0, err
    assert json.loads(out)["deidentified"] is True
    assert_clean(out + err)
    monkeypatch.setenv("PRINTREG_DICOM_UID_SALT", "a" * 32)
    salted = json.loads(invoke("dicom", "inspect", "--json", str(IDENTIFIED))[1])
    assert salted["studies"][0]["uid_hash"] != json.loads(out)["studies"][0]["uid_hash"]
    monkeypatch.setenv("PRINTREG_MESH_MAX_TRIANGLES", "1000")
    code, out, err = invoke("mesh", "inspect", str(BRAIN))
    assert code == 1
    assert "the limit is 1,000" in err
    monkeypatch.setenv("PRINTREG_MESH_MAX_BYTES", "100000")
    code, out, err = invoke("mesh", "inspect", str(BRAIN))
    assert code == 1
    assert "larger than the limit of 100000 bytes" in err


def test_mesh_export_dicom_wraps_the_brain_for_a_pacs_and_inspect_reads_it(tmp_path: Path) -> None:
    out = tmp_path / "brain.dcm"
    study = "ab" * 32
    code, printed, err = invoke(
        "mesh", "export-dicom", str(BRAIN), "--out", str(out), "--study", study, "--json"
    )
    assert code == 0, err
    assert json.loads(printed)["study"] == "given"
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.104.3"
    assert ds.StudyInstanceUID == "2.25." + str(int(study[:32], 16))
    assert str(ds.PatientName) in ("", "REMOVED")
    embedded = bytes(ds.EncapsulatedDocument)[: ds.EncapsulatedDocumentLength]
    volume = trimesh.load(io.BytesIO(embedded), file_type="stl").volume
    assert volume / 1000 == pytest.approx(1781.44, abs=0.01)
    # the exported object is read back as a model file, measured like the bare STL
    code, printed, err = invoke("mesh", "inspect", str(out))
    assert code == 0, err
    assert "1781.44 mL" in printed
    code, _, err = invoke("mesh", "export-dicom", str(BRAIN), "-o", str(out), "--study", "12")
    assert code == 1
    assert "64 hexadecimal" in err


def test_mesh_inspect_refuses_an_identified_dicom_wrapped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrapped = tmp_path / "brain.dcm"
    wrapped.write_bytes(wrapped_model(BRAIN.read_bytes()))
    code, out, err = invoke("mesh", "inspect", str(wrapped))
    assert code == 1
    assert "PatientName" in err
    assert_clean(out + err)
    monkeypatch.setenv("PRINTREG_DICOM_DEIDENTIFY_ON_RECEIPT", "true")
    code, out, err = invoke("mesh", "inspect", str(wrapped))
    assert code == 0, err
    assert "1781.44 mL" in out
    assert_clean(out + err)


def test_mesh_export_dicom_joins_the_de_identified_study_of_a_case(
    seeded: Platform, tmp_path: Path
) -> None:
    operator = Actor.operator("test")
    record = {**records("F0001", 1)[0], "local_case_id": "DCM-EXPORT-1"}
    case_id = CaseService(seeded, operator).create("3dp", "F0001", record).id
    CaseFileService(seeded, operator).attach_dicom("3dp", case_id, [("ct.dcm", clean_ct())])
    out = tmp_path / "model.dcm"
    code, _, err = invoke(
        "mesh", "export-dicom", str(BRAIN), "-o", str(out), "--case", str(case_id), "-r", "3dp"
    )
    assert code == 0, err
    exported = pydicom.dcmread(out)
    # the UID a de-identified copy of the case's imaging carries under the registry's key
    copy = deidentified_header(clean_ct(), uid_salt=seeded.settings.dicom_uid_key())
    assert exported.StudyInstanceUID == pydicom.dcmread(io.BytesIO(copy)).StudyInstanceUID
    assert_clean(out.read_bytes().decode("latin-1"))
    other = tmp_path / "other.dcm"
    bare = {**records("F0001", 2)[1], "local_case_id": "DCM-EXPORT-2"}
    empty_case = CaseService(seeded, operator).create("3dp", "F0001", bare).id
    code, printed, err = invoke(
        "mesh", "export-dicom", str(BRAIN), "-o", str(other), "--case", str(empty_case), "--json"
    )
    assert code == 0, err
    assert json.loads(printed)["study"] == "new"
    assert pydicom.dcmread(other).StudyInstanceUID != exported.StudyInstanceUID
