"""Tests for the free-text identifier scanner."""

from __future__ import annotations

import itertools
import time

import pytest
from tests.support.privacy_corpus import ADVERSARIAL_TEXTS

from printreg.privacy import Finding, IdentifierKind, describe, looks_like_mrn, redact, scan_text

K = IdentifierKind

# Every identifier form the scanner must catch, as (kind, identifier text). The whole text is the
# expected finding, so these also pin down where each finding starts and ends.
POSITIVES: list[tuple[IdentifierKind, str]] = [
    (K.DATE_OF_BIRTH, "DOB 01/02/1960"),
    (K.DATE_OF_BIRTH, "DOB: 1960-01-02"),
    (K.DATE_OF_BIRTH, "D.O.B. 3/4/60"),
    (K.DATE_OF_BIRTH, "born 1960-01-02"),
    (K.DATE_OF_BIRTH, "born on 3 March 1960"),
    (K.DATE_OF_BIRTH, "date of birth: 12 Dec 1958"),
    (K.DATE_OF_BIRTH, "Date of Birth - March 3, 1960"),
    (K.DATE_OF_BIRTH, "birthdate 02.03.1961"),
    (K.DATE_OF_BIRTH, "born March 1960"),
    (K.DATE_OF_BIRTH, "DOB-01/02/1960"),
    (K.FULL_DATE, "03/04/2021"),
    (K.FULL_DATE, "3/4/21"),
    (K.FULL_DATE, "12-31-2020"),
    (K.FULL_DATE, "31.12.2020"),
    (K.FULL_DATE, "2021-03-04"),
    (K.FULL_DATE, "2021/3/4"),
    (K.FULL_DATE, "3 March 2021"),
    (K.FULL_DATE, "3rd of Mar. 2021"),
    (K.FULL_DATE, "03-Mar-2021"),
    (K.FULL_DATE, "March 3, 2021"),
    (K.FULL_DATE, "Sept 21st 2019"),
    (K.FULL_DATE, "3 march 2021"),
    (K.MRN, "MRN 1234"),
    (K.MRN, "MRN: 00123456"),
    (K.MRN, "mrn#4421"),
    (K.MRN, "MR# 00123"),
    (K.MRN, "MR No. 5566"),
    (K.MRN, "medical record number 998877"),
    (K.MRN, "Patient ID: A1234567"),
    (K.MRN, "patient identifier is 44-556"),
    (K.MRN, "hospital number H123456"),
    (K.MRN, "NHS number 943-476-5919"),
    (K.MRN, "1234567"),
    (K.MRN, "0012345678901"),
    (K.SSN, "123-45-6789"),
    (K.SSN, "123 45 6789"),
    (K.PHONE, "(555) 123-4567"),
    (K.PHONE, "555-123-4567"),
    (K.PHONE, "555.123.4567"),
    (K.PHONE, "+1 555 123 4567"),
    (K.PHONE, "1-555-123-4567"),
    (K.PHONE, "+44 20 7946 0958"),
    (K.PHONE, "+44 (0)20 7946 0958"),
    (K.PHONE, "+33 1 23 45 67 89"),
    (K.PHONE, "+4915112345678"),
    (K.PHONE, "020 7946 0958"),
    (K.PHONE, "07700 900123"),
    (K.EMAIL, "jane.doe@example.org"),
    (K.EMAIL, "j_doe+3dp@mail.hospital.nhs.uk"),
    (K.EMAIL, "ab12345678@uni.edu"),
    (K.STREET_ADDRESS, "12 Main Street"),
    (K.STREET_ADDRESS, "4500 Oak Ave."),
    (K.STREET_ADDRESS, "221B Baker Street"),
    (K.STREET_ADDRESS, "7 N Elm Rd"),
    (K.STREET_ADDRESS, "1600 Martin Luther King Blvd"),
    (K.STREET_ADDRESS, "9 Church Lane"),
    (K.STREET_ADDRESS, "Apt 4B"),
    (K.STREET_ADDRESS, "Apt. #12"),
    (K.STREET_ADDRESS, "Flat 3"),
    (K.STREET_ADDRESS, "P.O. Box 1234"),
    (K.PERSON_NAME, "Patient: Jane Doe"),
    (K.PERSON_NAME, "patient: John Q. Public"),
    (K.PERSON_NAME, "Name: John O'Brien"),
    (K.PERSON_NAME, "Patient name: Ann McDonald"),
    (K.PERSON_NAME, "Pt: Mary Smith-Jones"),
    (K.PERSON_NAME, "Surname: Okafor"),
    (K.PERSON_NAME, "Mrs. Smith"),
    (K.PERSON_NAME, "Mr Jones"),
    (K.PERSON_NAME, "Dr. J. Smith"),
    (K.PERSON_NAME, "Dr Alan Turing"),
    (K.PERSON_NAME, "Prof. Ada Lovelace"),
    (K.PERSON_NAME, "patient John Smith"),
]

# Ordinary clinical text that must come back clean.
NEGATIVES = [
    "CT angiography 0.625 mm slices, aortic root 45 mm",
    "ICD-10 Q21.0 and I35.0",
    "CPT 0559T x1 + 0560T x2",
    "3 copies at 100% scale on Stratasys J850",
    "Patient age 54, male",
    "printed in 2023",
    "Segmented with Mimics 25.0",
    "EF 55%, LVOT gradient 40 mmHg",
    "guide for L4-L5 pedicle screws",
    "tetralogy of Fallot, 2 VSDs",
    "fluoro time 12.5 min",
    "Dr. consult requested",
    "Materialise Mimics InPrint 3.0",
    "version 1.2.3",
    "version 1.2.10",
    "Ti-6Al-4V",
    "phase 2 trial",
    "Mimics Innovation Suite 25.0",
    "Patient Reported Outcome Measures collected at 6 weeks",
    "MR angiography and MS follow-up",
    "Model name: Left Atrium",
    "Patient: Male, 54",
    "patient no. 2 of 12",
    "born at 32 weeks",
    "printed March 2021",
    "0.12345678 mm deviation",
    "Voxel size 0.5 x 0.5 x 0.625 mm, 512 x 512 matrix",
    "Layer height 16 um, 1,250,000 triangles",
    "HU threshold 226-3071",
    "Class II device, 510(k) K123456",
]


def _whole(kind: IdentifierKind, text: str) -> list[Finding]:
    return [Finding(kind, 0, len(text))]


@pytest.mark.parametrize(("kind", "identifier"), POSITIVES)
def test_each_form_is_found_as_one_finding_of_its_kind(
    kind: IdentifierKind, identifier: str
) -> None:
    assert scan_text(identifier) == _whole(kind, identifier)


@pytest.mark.parametrize("text", NEGATIVES)
def test_clinical_text_is_not_flagged(text: str) -> None:
    assert scan_text(text) == []
    assert redact(text) == text


def test_every_kind_has_positive_examples() -> None:
    assert {kind for kind, _ in POSITIVES} == set(IdentifierKind)


# Property-style: every identifier, in every surrounding context, is found at exactly its offsets
# and vanishes from the redacted text.
CONTEXTS = [
    ("", ""),
    ("Note: ", " was recorded."),
    ("(", ")"),
    ("Summary\n", "\nend of note"),
    ("x, ", ", y"),
]


@pytest.mark.parametrize(("prefix", "suffix"), CONTEXTS)
@pytest.mark.parametrize(("kind", "identifier"), POSITIVES)
def test_offsets_slice_out_the_identifier_in_context(
    kind: IdentifierKind, identifier: str, prefix: str, suffix: str
) -> None:
    text = prefix + identifier + suffix
    assert scan_text(text) == [Finding(kind, len(prefix), len(prefix) + len(identifier))]


@pytest.mark.parametrize(("prefix", "suffix"), CONTEXTS)
@pytest.mark.parametrize(("kind", "identifier"), POSITIVES)
def test_redact_never_contains_the_identifier(
    kind: IdentifierKind, identifier: str, prefix: str, suffix: str
) -> None:
    redacted = redact(prefix + identifier + suffix)
    assert identifier not in redacted
    assert redacted == f"{prefix}[{kind.name}]{suffix}"


def test_each_finding_slice_rescans_as_its_own_kind() -> None:
    text = (
        "Patient: Jane Doe, DOB 01/02/1960, MRN 00123456, seen 3 March 2021 at "
        "12 Main Street; call (555) 123-4567 or jane.doe@example.org; SSN 123-45-6789. "
        "Referred by Dr. Smith. CT angiography 0.625 mm slices, printed in 2023."
    )
    findings = scan_text(text)
    assert [f.kind for f in findings] == [
        K.PERSON_NAME,
        K.DATE_OF_BIRTH,
        K.MRN,
        K.FULL_DATE,
        K.STREET_ADDRESS,
        K.PHONE,
        K.EMAIL,
        K.SSN,
        K.PERSON_NAME,
    ]
    for finding in findings:
        piece = text[finding.start : finding.end]
        assert scan_text(piece) == _whole(finding.kind, piece)


def test_findings_are_sorted_and_do_not_overlap() -> None:
    text = "Mr Smith March 3, 2021 tel 555-123-4567 MRN 1234567 DOB 1960-01-02 a@b.co"
    findings = scan_text(text)
    assert findings == sorted(findings, key=lambda f: f.start)
    for earlier, later in itertools.pairwise(findings):
        assert earlier.end <= later.start


def test_date_of_birth_beats_full_date() -> None:
    assert scan_text("DOB 01/02/1960") == _whole(K.DATE_OF_BIRTH, "DOB 01/02/1960")


@pytest.mark.parametrize("text", ["123-45-6789", "123 45 6789"])
def test_ssn_beats_phone_and_mrn(text: str) -> None:
    assert scan_text(text) == _whole(K.SSN, text)


def test_ssn_beats_a_labelled_mrn_holding_it() -> None:
    assert [f.kind for f in scan_text("MRN 123-45-6789")] == [K.SSN]


def test_email_beats_the_digit_run_inside_it() -> None:
    assert scan_text("ab12345678@uni.edu") == _whole(K.EMAIL, "ab12345678@uni.edu")


def test_name_stops_before_a_following_date() -> None:
    assert redact("Mr Smith March 3, 2021") == "[PERSON_NAME] [FULL_DATE]"


def test_name_does_not_run_over_a_line_break() -> None:
    assert redact("Name: Jane Doe\nHeart Model") == "[PERSON_NAME]\nHeart Model"


def test_redact_replaces_every_finding() -> None:
    assert redact("Call 555-123-4567 or mail a@b.co, MRN 1234567.") == (
        "Call [PHONE] or mail [EMAIL], [MRN]."
    )


def test_redact_of_empty_text_is_empty() -> None:
    assert redact("") == ""
    assert scan_text("") == []


def test_describe_gives_a_phrase_for_every_kind() -> None:
    phrases = {kind: describe(kind) for kind in IdentifierKind}
    assert phrases[K.DATE_OF_BIRTH] == "a date of birth"
    assert phrases[K.MRN] == "a medical record number"
    assert phrases[K.PERSON_NAME] == "a person's name"
    assert phrases[K.EMAIL] == "an e-mail address"
    assert all(phrase.startswith(("a ", "an ")) for phrase in phrases.values())
    assert len(set(phrases.values())) == len(phrases)


def test_kind_values_are_stable() -> None:
    assert [kind.value for kind in IdentifierKind] == [
        "date_of_birth",
        "full_date",
        "mrn",
        "ssn",
        "phone",
        "email",
        "street_address",
        "person_name",
    ]


def test_finding_is_immutable() -> None:
    finding = Finding(K.EMAIL, 0, 3)
    with pytest.raises(AttributeError):
        finding.start = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "value",
    [
        "1234567",
        "123-4567",
        "12 345 678",
        "00-11-22-33",
        "MRN123",
        "mrn-42",
        "case MR#7",
        "medical record number 1",
        "PatientID 9",
        "hospital no 3",
    ],
)
def test_looks_like_mrn(value: str) -> None:
    assert looks_like_mrn(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "123456",
        "12-34-56",
        "CASE-2023-0042",
        "TOF-017",
        "A1234567",
        "site3-case12",
        "humrn-1",
        "1234567.5",
    ],
)
def test_does_not_look_like_mrn(value: str) -> None:
    assert not looks_like_mrn(value)


def test_a_second_title_is_not_a_name() -> None:
    assert scan_text("Prof Dr. med") == []
    assert redact("Prof. Dr. Weber") == "Prof. [PERSON_NAME]"


#: What the scanner finds in each adversarial text, written out: (kinds, number of findings).
ADVERSARIAL_FINDINGS = {
    "dots": (set(), 0),
    "dashes": ({K.MRN}, 1),
    "labels": ({K.PERSON_NAME}, 10_000),
    "initials": (set(), 0),
    "street": (set(), 0),
}
#: A runaway guard, not a timing: catastrophic backtracking takes minutes on these texts, a
#: linear scan about 0.1 s (bench/privacy.py records the figure); 10 s leaves room for slow CI.
RUNAWAY_SECONDS = 10.0


@pytest.mark.parametrize("name", sorted(ADVERSARIAL_TEXTS))
def test_long_adversarial_text_is_scanned_without_runaway(name: str) -> None:
    started = time.perf_counter()
    findings = scan_text(ADVERSARIAL_TEXTS[name])
    assert time.perf_counter() - started < RUNAWAY_SECONDS, "runaway backtracking"
    assert ({f.kind for f in findings}, len(findings)) == ADVERSARIAL_FINDINGS[name]
