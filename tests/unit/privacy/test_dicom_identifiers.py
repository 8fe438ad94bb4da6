"""Identifiers in DICOM headers are found by tag and removed by the PS3.15 Basic Profile."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pydicom
import pytest
from pydicom.datadict import DicomDictionary, dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset

from printreg.privacy.dicom import (
    DUMMY,
    EMPTY,
    IDENTIFYING,
    NEW_UID,
    REMOVE,
    DicomFinding,
    deidentify,
    describe,
    find_identifiers,
    new_uid,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "dicom"
SENTINELS: dict[str, str] = json.loads((FIXTURES / "identified-ct.json").read_text())["identifiers"]
SALT = b"test salt for uids"


def identified() -> Dataset:
    return pydicom.dcmread(FIXTURES / "identified-ct.dcm")


def _pieces(value: str) -> list[str]:
    """Return a value and its name components, which must not survive either."""
    return [value, *(p for p in value.split("^") if len(p) > 3)]


@pytest.mark.parametrize("table", ["IDENTIFYING", "REMOVE", "EMPTY", "DUMMY", "NEW_UID"])
def test_every_keyword_is_a_dicom_attribute(table: str) -> None:
    keywords = {"IDENTIFYING": IDENTIFYING, "REMOVE": REMOVE, "EMPTY": EMPTY}.get(table)
    keywords = keywords or {"DUMMY": DUMMY, "NEW_UID": NEW_UID}[table]
    assert [k for k in sorted(keywords) if tag_for_keyword(k) is None] == []


def test_every_identifying_attribute_has_an_action() -> None:
    assert sorted(IDENTIFYING - REMOVE - EMPTY - DUMMY) == []


def test_the_issue_s_attributes_are_identifying() -> None:
    named = {
        "PatientName", "PatientID", "PatientBirthDate", "OtherPatientIDs",
        "OtherPatientIDsSequence", "AccessionNumber", "ReferringPhysicianName",
        "InstitutionName", "InstitutionAddress", "PatientAddress",
    }  # fmt: skip
    assert named <= IDENTIFYING


def test_finds_every_planted_identifier_by_tag() -> None:
    labels = {f.label for f in find_identifiers(identified())}
    expected = set(SENTINELS) - {"StudyDate"}
    assert expected <= labels
    # Private creators and private numbers are not identifiers; GE's private text is suspect.
    assert "private (0099,0010)" not in labels
    assert "private (0009,1027)" not in labels
    assert "private (0009,1001)" in labels


def test_findings_carry_tags_not_values() -> None:
    findings = find_identifiers(identified())
    text = repr(findings) + describe(findings, limit=100)
    for value in SENTINELS.values():
        for piece in _pieces(value):
            assert piece not in text
    assert DicomFinding("(0010,0010)", "PatientName") in findings


def test_empty_attributes_are_not_identifiers() -> None:
    ds = Dataset()
    ds.PatientName = ""
    ds.PatientID = ""
    ds.OtherPatientIDsSequence = []
    ds.Modality = "CT"
    assert find_identifiers(ds) == []


def test_any_person_name_is_an_identifier() -> None:
    unlisted = next(
        DicomDictionary[tag][4]
        for tag in sorted(DicomDictionary)
        if dictionary_VR(tag) == "PN" and DicomDictionary[tag][4] not in IDENTIFYING
    )
    ds = Dataset()
    setattr(ds, unlisted, "Somebody^Else")
    assert [f.keyword for f in find_identifiers(ds)] == [unlisted]


def test_private_text_and_unknown_bytes_are_suspect() -> None:
    ds = Dataset()
    block = ds.private_block(0x0011, "ACME 1.0", create=True)
    block.add_new(0x01, "SH", "note")
    block.add_new(0x02, "UN", b"\x01\x02")
    block.add_new(0x03, "US", 7)
    assert [f.label for f in find_identifiers(ds)] == ["private (0011,1001)", "private (0011,1002)"]


def test_describe_lists_standard_keywords_first_and_cuts_long_lists() -> None:
    findings = [DicomFinding(f"(0009,10{i:02X})", "") for i in range(20)]
    findings.append(DicomFinding("(0010,0010)", "PatientName"))
    text = describe(findings, limit=3)
    assert text.startswith("PatientName, private (0009,1000), private (0009,1001)")
    assert text.endswith("and 18 more")


def test_deidentify_leaves_nothing_identifying() -> None:
    ds = identified()
    changed = {f.label for f in deidentify(ds, uid_salt=SALT)}
    assert set(SENTINELS) - {"ScheduledPerformingPhysicianName"} <= changed
    assert "RequestAttributesSequence" in changed
    assert find_identifiers(ds) == []
    out = io.BytesIO()
    ds.save_as(out)
    written = out.getvalue()
    for value in SENTINELS.values():
        for piece in _pieces(value):
            assert piece.encode() not in written


def test_deidentify_follows_the_profile_actions() -> None:
    ds = identified()
    original_study = str(ds.StudyInstanceUID)
    deidentify(ds, uid_salt=SALT)
    for emptied in ("PatientName", "StudyDate", "ContrastBolusAgent"):  # Z: kept, empty
        assert emptied in ds
        assert not ds[emptied].value
    assert "InstitutionName" not in ds  # X
    assert "OperatorsName" not in ds
    assert not any(elem.tag.is_private for elem in ds)
    assert ds.Manufacturer == "GE MEDICAL SYSTEMS"  # K: kept
    assert ds.Modality == "CT"
    assert ds.StudyInstanceUID == new_uid(original_study, SALT)
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert "SourceApplicationEntityTitle" not in ds.file_meta
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"


def test_replaced_uids_are_stable_per_salt_and_valid() -> None:
    uid = "1.2.840.113619.2.55.3.604688119.969.1268071029.320"
    assert new_uid(uid, SALT) == new_uid(uid, SALT)
    assert new_uid(uid, SALT) != new_uid(uid, b"another salt")
    replaced = new_uid(uid, SALT)
    assert replaced.startswith("2.25.")
    assert len(replaced) <= 64
    assert replaced[5:].isdigit()


def test_deidentify_needs_a_salt() -> None:
    with pytest.raises(ValueError, match="salt"):
        deidentify(identified(), uid_salt=b"")
