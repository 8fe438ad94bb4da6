"""Find direct identifiers (dates of birth, MRNs, phone numbers, names, ...) in free text.

A case must carry no direct identifier, so every free-text value is scanned before it is stored
or logged. The scanner is deliberately pattern-based and conservative: it prefers a rare false
alarm (the user rewords the field) over letting an identifier through.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from enum import StrEnum


class IdentifierKind(StrEnum):
    """The kinds of direct identifier a case must not carry."""

    DATE_OF_BIRTH = "date_of_birth"
    FULL_DATE = "full_date"
    MRN = "mrn"
    SSN = "ssn"
    PHONE = "phone"
    EMAIL = "email"
    STREET_ADDRESS = "street_address"
    PERSON_NAME = "person_name"


@dataclass(frozen=True, slots=True)
class Finding:
    """One identifier found in a text, as character offsets so callers can redact in place."""

    kind: IdentifierKind
    start: int
    end: int


_DESCRIPTIONS: dict[IdentifierKind, str] = {
    IdentifierKind.DATE_OF_BIRTH: "a date of birth",
    IdentifierKind.FULL_DATE: "a full date (day and month)",
    IdentifierKind.MRN: "a medical record number",
    IdentifierKind.SSN: "a social security number",
    IdentifierKind.PHONE: "a phone number",
    IdentifierKind.EMAIL: "an e-mail address",
    IdentifierKind.STREET_ADDRESS: "a street address",
    IdentifierKind.PERSON_NAME: "a person's name",
}

# --- building blocks --------------------------------------------------------------------------

_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_YEAR4 = r"(?:1[89]|20)\d{2}"
_ORDINAL = r"(?:st|nd|rd|th)?"
_MONTH_NAME = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# Dates must not be cut out of longer numbers ("1.2.2021.5"), yet "DOB-01/02/1960" is a date.
_NOT_AFTER_NUMBER = r"(?<!\d)(?<!\d[./-])"
_NOT_BEFORE_NUMBER = r"(?!\d|[./-]\d)"

# Day and month may come in either order (UK d/m/y, US m/d/y), so both accept 1-31. A dotted
# date needs a four-digit year so that version numbers such as "1.2.10" are not dates.
_NUMERIC_DMY = (
    rf"{_DAY}/{_DAY}/(?:{_YEAR4}|\d{{2}})"
    rf"|{_DAY}-{_DAY}-(?:{_YEAR4}|\d{{2}})"
    rf"|{_DAY}\.{_DAY}\.{_YEAR4}"
)
# ISO order, the form exported by most hospital systems.
_NUMERIC_YMD = rf"{_YEAR4}-{_MONTH_NUMBER}-{_DAY}|{_YEAR4}/{_MONTH_NUMBER}/{_DAY}"
# "3 March 2021", "3rd of Mar. 2021", "03-Mar-2021".
_TEXT_DMY = rf"{_DAY}{_ORDINAL}[\s/-]+(?:of\s+)?{_MONTH_NAME}\.?,?[\s/-]+{_YEAR4}"
# "March 3, 2021", "Mar 3rd 2021".
_TEXT_MDY = rf"{_MONTH_NAME}\.?\s+{_DAY}{_ORDINAL},?\s+{_YEAR4}"

_FULL_DATE = (
    rf"{_NOT_AFTER_NUMBER}(?:{_NUMERIC_DMY}|{_NUMERIC_YMD}){_NOT_BEFORE_NUMBER}"
    rf"|\b(?:{_TEXT_DMY}|{_TEXT_MDY})\b"
)

# A capitalised name word, including "O'Brien", "McDonald", "Smith-Jones".
_NAME_WORD = r"(?:Ma?c|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
# Up to three name words with optional initials; a later word that is a month belongs to a
# date ("Mr Smith March 3, 2021"), and swallowing it would let the date outrank the name.
# Names never run over a line break, so words are joined by spaces only.
_FULL_NAME = (
    rf"(?:[A-Z]\. ?)*{_NAME_WORD}(?: +(?:[A-Z]\. +)?(?!{_MONTH_NAME}\b){_NAME_WORD}){{0,2}}"
)
# Words that follow "Patient:" in ordinary descriptions rather than names.
_NOT_A_NAME = (
    r"(?!(?:Male|Female|Man|Woman|Boy|Girl|Adult|Child|Infant|Neonate|Unknown|None"
    r"|Anonymous|Anonymi[sz]ed|Redacted|De-?identified|Not|No|See|The|An?)\b)"
)

_MRN_LABEL = (
    r"(?i:(?<![a-z])(?:mrn|mr\s*#|mr\s*no\b\.?|medical\s+record\s+(?:number|no\b\.?|\#)"
    r"|patient\s*(?:id|identifier|number|no\b\.?)|hospital\s*(?:number|no\b\.?|id)"
    r"|nhs\s*(?:number|no\b\.?))(?![a-z]))"
)

# --- the patterns, one per way an identifier is written ---------------------------------------

# Unambiguous, so it outranks the digit runs it may contain. Starting only at the beginning of
# a run of address characters keeps the scan linear on long runs without an "@".
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

# A date is only known to be a date of birth when it is labelled; month-and-year counts too.
_DATE_OF_BIRTH = re.compile(
    r"(?i:\bDOB\b|\bD\.O\.B\.?|\bdate\s+of\s+birth|\bbirth\s*date|\bborn(?:\s+on)?)"
    rf"\s*[:=-]?\s*(?:{_FULL_DATE}|\b{_MONTH_NAME}\.?\s+{_YEAR4}\b)"
)

# HIPAA treats every date element except the year as an identifier; a year alone passes.
_DATE = re.compile(_FULL_DATE)

# US social security number: 3-2-4 digits with a consistent separator.
_SSN = re.compile(r"(?<!\d)(?<!\d-)\d{3}([- ])\d{2}\1\d{4}(?!\d|-\d)")

# North American numbers: (555) 123-4567, 555-123-4567, 555.123.4567, +1 555 123 4567.
_PHONE_NANP = re.compile(
    r"(?<![\d+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)"
)
# National numbers with a trunk 0, as in the UK: 020 7946 0958, 07700 900123. A separator after
# the area code is required; an unbroken run is left to the record-number digit run.
_PHONE_NATIONAL = re.compile(r"(?<![\d.])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?!\d)")
# International numbers start with + and a country code and carry at least 8 digits, which
# keeps "+2 VSDs" and similar arithmetic out.
_PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w+])\+(?=(?:[\s.()-]{0,2}\d){8})\d{1,3}(?:[\s.-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}(?!\d)"
)

# A labelled record number; the value must hold 3+ digits so "patient no. 2" in a case series
# is not one. The label is part of the finding so redaction removes it too.
_MRN_LABELLED = re.compile(
    rf"{_MRN_LABEL}\s*(?:is\s+)?[:#=.-]?\s*(?i:(?=(?:[a-z-]*\d){{3}})[a-z0-9]+(?:-[a-z0-9]+)*)"
)
# An unlabelled run of 7+ digits is too long for a dose, size or code, so treat it as a record
# number; decimals ("0.12345678") are not runs.
_MRN_DIGIT_RUN = re.compile(r"(?<!\d)(?<!\d[.,])\d{7,}(?!\d)")

# House number, one to four capitalised words, then a street suffix: "12 Main Street".
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?(?:\s+[A-Z][a-z]*\.?){1,4}?\s+"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl"
    r"|Terrace|Way|Close|Crescent|Parkway|Pkwy|Highway|Hwy|Square|Sq)\b\.?"
)
# Secondary address units and PO boxes; "Suite" is left out because of "Mimics Innovation Suite".
_ADDRESS_UNIT = re.compile(
    r"\b(?:Apt|Apartment|Flat|Ste)\.?\s*#?\s*\d+[A-Za-z]?\b|\bP\.?\s?O\.?\s+Box\s+\d+\b"
)

# "Patient: Jane Doe", "Name: ...", "Pt: ..."; the bare "name" label must not follow another
# word, so "model name:" or "file name:" are not person-name labels.
_NAME_LABELLED = re.compile(
    r"(?i:\b(?:patient(?:'s)?\s+name|(?:first|last|full|given|family)\s+name|surname|patient"
    rf"|pt|(?<![a-z] )name))\s*:\s*{_NOT_A_NAME}{_FULL_NAME}"
)
# "Mr./Mrs./Ms./Dr. Smith": the title is case-sensitive so MR (mitral regurgitation) and MS
# (multiple sclerosis) are not titles, and "Dr. consult" has no capitalised name after it. A
# title is not a name, so in "Prof. Dr. Weber" the match starts again at "Dr.".
_TITLE = r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof)\b"
_NAME_WITH_TITLE = re.compile(rf"{_TITLE}\.? *(?!{_TITLE}){_FULL_NAME}")
# "patient John Smith": lower-case "patient" and two name words, so "Patient Reported Outcome"
# at the start of a sentence is left alone.
_NAME_AFTER_PATIENT = re.compile(rf"\bpatient +{_NAME_WORD} +(?!{_MONTH_NAME}\b){_NAME_WORD}")

# In priority order: where findings overlap, the earlier pattern wins. The specific beats the
# generic (a labelled date of birth holds a full date; an e-mail may hold a digit run; an SSN is
# also a digit pattern), and a labelled record number beats the phone number it may look like.
_PATTERNS: tuple[tuple[IdentifierKind, re.Pattern[str]], ...] = (
    (IdentifierKind.EMAIL, _EMAIL),
    (IdentifierKind.DATE_OF_BIRTH, _DATE_OF_BIRTH),
    (IdentifierKind.SSN, _SSN),
    (IdentifierKind.MRN, _MRN_LABELLED),
    (IdentifierKind.PHONE, _PHONE_NANP),
    (IdentifierKind.PHONE, _PHONE_INTERNATIONAL),
    (IdentifierKind.PHONE, _PHONE_NATIONAL),
    (IdentifierKind.MRN, _MRN_DIGIT_RUN),
    (IdentifierKind.FULL_DATE, _DATE),
    (IdentifierKind.STREET_ADDRESS, _STREET),
    (IdentifierKind.STREET_ADDRESS, _ADDRESS_UNIT),
    (IdentifierKind.PERSON_NAME, _NAME_LABELLED),
    (IdentifierKind.PERSON_NAME, _NAME_WITH_TITLE),
    (IdentifierKind.PERSON_NAME, _NAME_AFTER_PATIENT),
)


def _start(finding: Finding) -> int:
    return finding.start


def scan_text(text: str) -> list[Finding]:
    """Return the identifiers in ``text`` sorted by start offset; an empty list if there are none.

    Where two findings overlap, the one from the higher-priority pattern (then the longer one) is
    kept; see ``_PATTERNS`` for the order.
    """
    ranked = [
        (rank, Finding(kind, *match.span()))
        for rank, (kind, pattern) in enumerate(_PATTERNS)
        for match in pattern.finditer(text)
    ]
    # Priority first, then the longer finding, then the leftmost one.
    ranked.sort(key=lambda item: (item[0], item[1].start - item[1].end, item[1].start))
    # Kept findings never overlap, so one list ordered by start is also ordered by end, and a
    # candidate need only be checked against its two neighbours.
    kept: list[Finding] = []
    for _, candidate in ranked:
        at = bisect.bisect_left(kept, candidate.start, key=_start)
        if at > 0 and kept[at - 1].end > candidate.start:
            continue
        if at < len(kept) and kept[at].start < candidate.end:
            continue
        kept.insert(at, candidate)
    return kept


def describe(kind: IdentifierKind) -> str:
    """Return a phrase naming ``kind`` for messages, such as "a date of birth"."""
    return _DESCRIPTIONS[kind]


def redact(text: str) -> str:
    """Return ``text`` with each identifier replaced by ``[KIND]``; unchanged if there is none."""
    pieces: list[str] = []
    position = 0
    for finding in scan_text(text):
        pieces.append(text[position : finding.start])
        pieces.append(f"[{finding.kind.name}]")
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)


# A case identifier made only of digits (spaces and dashes aside) is most likely a record number.
_SEPARATORS = re.compile(r"[\s-]+")
_DIGITS_ONLY = re.compile(r"\d{7,}")
_MRN_LABEL_ANYWHERE = re.compile(_MRN_LABEL)


def looks_like_mrn(value: str) -> bool:
    """Return True if ``value`` is a 7+ digit run once spaces/dashes go, or carries an MRN label."""
    if _DIGITS_ONLY.fullmatch(_SEPARATORS.sub("", value)):
        return True
    return _MRN_LABEL_ANYWHERE.search(value) is not None
