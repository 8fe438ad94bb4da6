"""The scanner reads through the evasions of issue 12: case, compatibility forms, invisible
characters, separators inside numbers and spelled-out e-mail addresses. Offsets stay those of
the original text, so redaction cuts exactly the identifier."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printreg.privacy import Finding, IdentifierKind, redact, scan_case_identifier, scan_text
from printreg.privacy.names import name_sets

K = IdentifierKind

# The strings the issue found stored unchanged, each with the kind it must be refused as.
ISSUE_EVASIONS: list[tuple[IdentifierKind, str]] = [
    (K.PERSON_NAME, "Patient John Smith"),
    (K.PERSON_NAME, "patient john smith"),
    (K.PERSON_NAME, "MR. SMITH"),
    (K.PERSON_NAME, "Mr. \uff33\uff4d\uff49\uff54\uff48"),
    (K.PERSON_NAME, "Mr.\u00a0Smith"),
    (K.MRN, "1234\u200b5678"),
    (K.MRN, "1 2 3 4 5 6 7 8"),
    (K.DATE_OF_BIRTH, "dob 1961.04.03"),
    (K.DATE_OF_BIRTH, "dob 3 Apr 61"),
    (K.SSN, "SSN 123.45.6789"),
    (K.STREET_ADDRESS, "12 main street"),
    (K.EMAIL, "john.smith [at] example [dot] com"),
    (K.PERSON_NAME, "John Smith"),
    (K.DATE_OF_BIRTH, "DOB 3/4/61"),
]

# One or more exact forms per kind and per evasion, each found as one finding of its kind
# covering the whole text.
FORMS: list[tuple[IdentifierKind, str]] = [
    *ISSUE_EVASIONS,
    (K.PERSON_NAME, "mr smith"),
    (K.PERSON_NAME, "Mrs.\u2009Garcia"),
    (K.PERSON_NAME, "Dr.\u200bOkafor"),
    (K.PERSON_NAME, "JOHN SMITH"),
    (K.PERSON_NAME, "Smith, John"),
    (K.PERSON_NAME, "John Q. Smith"),
    (K.PERSON_NAME, "Oliver O'Connor"),
    (K.PERSON_NAME, "Oliver O\u2019Connor"),
    (K.PERSON_NAME, "Jos\u00e9 Hern\u00e1ndez"),
    (K.PERSON_NAME, "Mr. \u0405mith"),
    (K.PERSON_NAME, "name: maria garcia"),
    (K.PERSON_NAME, "name: j. doe"),
    (K.PERSON_NAME, "SMITH JOHN"),
    (K.PERSON_NAME, "J. Smith"),
    (K.PERSON_NAME, "Maria Jos\u00e9 Garc\u00eda"),
    (K.DATE_OF_BIRTH, "DOB 19610403"),
    (K.DATE_OF_BIRTH, "dob April 3, 1961"),
    (K.DATE_OF_BIRTH, "d.o.b. 03.04.61"),
    (K.DATE_OF_BIRTH, "born 04/61"),
    (K.DATE_OF_BIRTH, "dob \uff13/\uff14/\uff16\uff11"),
    (K.FULL_DATE, "2021.03.04"),
    (K.FULL_DATE, "20210304"),
    (K.FULL_DATE, "3 Apr 21"),
    (K.FULL_DATE, "14 July"),
    (K.FULL_DATE, "2024\u200b-03-15"),
    (K.MRN, "1-2-3-4-5-6-7-8"),
    (K.MRN, "12.345.678"),
    (K.MRN, "123-456-789"),
    (K.MRN, "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"),
    (K.MRN, "12\u00ad34\u00ad56\u00ad78"),
    (K.SSN, "123 45 6789"),
    (K.SSN, "123/45/6789"),
    (K.SSN, "123\u201145\u20116789"),
    (K.SSN, "SSN 123456789"),
    (K.PHONE, "555 123 4567"),
    (K.PHONE, "555/123-4567"),
    (K.PHONE, "tel 555-1234"),
    (K.PHONE, "555\u00a0123\u00a04567"),
    (K.EMAIL, "john.smith(at)example(dot)com"),
    (K.EMAIL, "john.smith at example dot com"),
    (K.EMAIL, "john dot smith at example dot com"),
    (K.EMAIL, "jsmith at example.com"),
    (K.EMAIL, "john.smith\uff20example\uff0ecom"),
    (K.STREET_ADDRESS, "12 MAIN STREET"),
    (K.STREET_ADDRESS, "250 W 57th St"),
    (K.STREET_ADDRESS, "Springfield, IL 62704"),
    (K.STREET_ADDRESS, "springfield, il 62704"),
    (K.STREET_ADDRESS, "Portland, OR 97205-1234"),
]


@pytest.mark.parametrize(("kind", "text"), FORMS)
def test_each_evasion_is_found_whole_as_its_kind(kind: IdentifierKind, text: str) -> None:
    assert scan_text(text) == [Finding(kind, 0, len(text))]


@pytest.mark.parametrize(("kind", "text"), FORMS)
def test_redact_removes_the_evasion_and_keeps_the_context(kind: IdentifierKind, text: str) -> None:
    assert redact(f"Indication: {text} — ok") == f"Indication: [{kind.name}] — ok"


# Clinical text near the evasions that must pass.
CLEAN = [
    "severe MR",
    "Severe MR and moderate TR",
    "MS lesions near the motor cortex",
    "MR angiography, 1.5 T",
    "200 ms delay",
    "Fontan and Glenn",
    "Pierre Robin sequence",
    "Dandy-Walker malformation",
    "Dandy Walker malformation",
    "Le Fort I osteotomy",
    "Arnold Chiari malformation",
    "Treacher Collins syndrome",
    "Tetralogy of Fallot",
    "Mimics 24.0",
    "J850 Digital Anatomy",
    "Q21.3, I35.0",
    "CPT 0559T",
    "3.5 x 2.1 cm",
    "12 mm",
    "printed in 2023",
    "HU threshold 226-3071",
    "1 250 000 triangles",
    "Sizes 20 22 24 26 mm",
    "Patient will need staged repair",
    "Will need a second guide",
    "Mark the resection plane",
    "3 screws in place",
    "Model may 3D print in two parts",
    "version 5.6.12",
    "Salter Harris type II",
    "S. aureus",
    "Ｑ２１．３",
    "Mimics\u00a024.0",
]


@pytest.mark.parametrize("text", CLEAN)
def test_clinical_text_near_the_evasions_passes(text: str) -> None:
    assert scan_text(text) == []


def test_offsets_are_those_of_the_original_with_wide_and_invisible_characters() -> None:
    text = "ＣＴ\u200b: Mr.\u00a0Ｓｍｉｔｈ, MRN １２３４\u200b５６７８."
    findings = scan_text(text)
    assert [f.kind for f in findings] == [K.PERSON_NAME, K.MRN]
    assert text[findings[0].start : findings[0].end] == "Mr.\u00a0Ｓｍｉｔｈ"
    assert text[findings[1].start : findings[1].end] == "MRN １２３４\u200b５６７８"
    assert redact(text) == "ＣＴ\u200b: [PERSON_NAME], [MRN]."


def test_an_invisible_character_inside_a_name_is_redacted_with_it() -> None:
    text = "seen by J\u200bohn Smith today"
    assert redact(text) == "seen by [PERSON_NAME] today"


def test_name_lists_are_read_once() -> None:
    assert name_sets() is name_sets()
    sets = name_sets()
    assert {"john", "mary"} <= sets.first
    assert {"smith", "garcia"} <= sets.last
    assert "fontan" not in sets.last_any
    assert "will" not in sets.first


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_text_scans_with_offsets_inside_it(text: str) -> None:
    findings = scan_text(text)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
    for earlier, later in itertools.pairwise(findings):
        assert earlier.end <= later.start
    redact(text)


_PIECES = st.sampled_from(
    [
        "Mr",
        ".",
        " ",
        "\u00a0",
        "\u200b",
        "Smith",
        "john",
        "1",
        "23",
        "-",
        "/",
        "@",
        " at ",
        "DOB",
        "Ｓ",
        "\u0301",
        "st",
        "\n",
        ",",
        "IL",
        "62704",
        "Apr",
        "(",
        ")",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_identifier_like_text_scans_with_offsets_inside_it(text: str) -> None:
    findings = scan_text(text)
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
    for earlier, later in itertools.pairwise(findings):
        assert earlier.end <= later.start


@pytest.mark.parametrize("code", ["john.smith", "Smith_John", "maria_garcia_01", "J.Smith"])
def test_a_case_identifier_made_of_a_name_is_found(code: str) -> None:
    assert [f.kind for f in scan_case_identifier(code)] == [K.PERSON_NAME]
    assert scan_text(code.replace(".", "_")) == [] or "." in code


@pytest.mark.parametrize(
    "code", ["3DP_2024_000123", "CASE.2023.0042", "TOF-017", "heart.model.v2", "mark.left"]
)
def test_a_lab_case_identifier_passes(code: str) -> None:
    assert scan_case_identifier(code) == []
