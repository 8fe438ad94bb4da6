"""DICOM-wrapped models: unwrapping applies the upload policy and keeps only the model; the
Encapsulated STL written for a PACS reads back with the right class, no identifier and the
same model."""

from __future__ import annotations

import hmac
import io

import pydicom
import pytest
import trimesh
from tests.support.files import BRAIN_STL, PLANTED, TEST_SALT, box_stl, clean_ct, wrapped_model

from printreg.ingest.dicom import DicomError, DicomIdentifiersFound
from printreg.ingest.dicom_model import (
    ENCAPSULATED_OBJ,
    ENCAPSULATED_STL,
    encapsulated_stl,
    is_dicom_file,
    study_uid_from_hash,
    unwrap_model,
)
from printreg.ingest.mesh import load_mesh, measure
from printreg.privacy.dicom import find_identifiers, new_uid


def test_an_identified_wrapper_is_refused_with_tags_only() -> None:
    with pytest.raises(DicomIdentifiersFound) as raised:
        unwrap_model(wrapped_model(box_stl()), "scan.dcm", deidentify_on_receipt=False)
    labels = {f.label for f in raised.value.findings}
    assert {"PatientName", "PatientID", "PatientBirthDate"} <= labels
    for value in PLANTED["identifiers"].values():
        assert value not in str(raised.value)


def test_de_identified_on_receipt_the_model_alone_is_returned() -> None:
    stl = BRAIN_STL.read_bytes()
    model = unwrap_model(wrapped_model(stl), "scan 1961.dcm", deidentify_on_receipt=True)
    assert model.data == stl
    assert model.filename == "scan 1961.stl"
    assert "PatientName" in model.removed
    clean = unwrap_model(wrapped_model(stl, identified=False), "a.dcm", deidentify_on_receipt=False)
    assert clean.data == stl
    assert clean.removed == ()


def test_an_obj_wrapper_gives_an_obj_and_odd_lengths_are_unpadded() -> None:
    obj = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3"  # 31 bytes: pydicom pads it to 32
    assert len(obj) % 2 == 1
    model = unwrap_model(
        wrapped_model(obj, identified=False, sop_class=ENCAPSULATED_OBJ),
        "m.dcm",
        deidentify_on_receipt=False,
    )
    assert (model.filename, model.data) == ("m.obj", obj)


def test_other_dicom_and_damaged_files_are_refused() -> None:
    with pytest.raises(DicomError, match="Encapsulated STL or OBJ"):
        unwrap_model(clean_ct(), "ct.dcm", deidentify_on_receipt=True)
    with pytest.raises(DicomError):
        unwrap_model(wrapped_model(box_stl())[:200], "cut.dcm", deidentify_on_receipt=True)
    assert not is_dicom_file(box_stl())
    assert is_dicom_file(clean_ct())


def test_the_export_reads_back_without_identifiers_and_with_the_same_model() -> None:
    stl = BRAIN_STL.read_bytes()
    original = PLANTED["uids"][0]
    study_hash = hmac.new(TEST_SALT, original.encode(), "sha256").hexdigest()
    data = encapsulated_stl(stl, study_uid=study_uid_from_hash(study_hash))
    ds = pydicom.dcmread(io.BytesIO(data))
    assert ds.SOPClassUID == ENCAPSULATED_STL
    assert ds.file_meta.MediaStorageSOPClassUID == ENCAPSULATED_STL
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.Modality == "M3D"
    assert ds.MIMETypeOfEncapsulatedDocument == "model/stl"
    # the study is the one de-identified copies of the case's imaging carry
    assert ds.StudyInstanceUID == new_uid(original, TEST_SALT)
    assert find_identifiers(ds) == []
    assert original not in data.decode("latin-1")
    embedded = bytes(ds.EncapsulatedDocument)[: ds.EncapsulatedDocumentLength]
    before = trimesh.load(io.BytesIO(stl), file_type="stl")
    after = trimesh.load(io.BytesIO(embedded), file_type="stl")
    assert after.volume == pytest.approx(before.volume)
    again = unwrap_model(data, "model.dcm", deidentify_on_receipt=False)
    assert measure(load_mesh(again.data, again.filename)) == measure(load_mesh(stl, "b.stl"))


def test_each_export_is_a_new_instance_and_a_new_study_without_a_hash() -> None:
    one = pydicom.dcmread(io.BytesIO(encapsulated_stl(box_stl())))
    two = pydicom.dcmread(io.BytesIO(encapsulated_stl(box_stl())))
    assert one.SOPInstanceUID != two.SOPInstanceUID
    assert one.StudyInstanceUID != two.StudyInstanceUID
    with pytest.raises(ValueError, match="64 hexadecimal"):
        study_uid_from_hash("1.2.3")
