"""Find direct identifiers (dates of birth, MRNs, phone numbers, names, ...) in free text.

A case must carry no direct identifier, so every free-text value is scanned before it is stored
or logged. The scanner is pattern-based and conservative: it prefers a rare false alarm (the user
rewords the field) over letting an identifier through.

The text is first folded (``normalise.fold``: compatibility forms, zero-width and other format
characters, every Unicode digit and space), the patterns run on the folded text, and each
finding is mapped back to offsets of the original text, so ``redact`` cuts exactly what was
found whatever characters were used to hide it. Person names are found after titles and labels
in any case and as first-and-last-name pairs from the US Census lists (``names``), clinical
eponyms and product names aside. docs/privacy.md describes the forms and the measured recall.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from printreg.privacy.names import name_sets
from printreg.privacy.normalise import fold
from printreg.privacy.person_names import NAME_FINDERS


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
_DAY2 = r"(?:0[1-9]|[12]\d|3[01])"
_MONTH_NUMBER = r"(?:0?[1-9]|1[0-2])"
_MONTH2 = r"(?:0[1-9]|1[0-2])"
_YEAR4 = r"(?:1[89]|20)\d{2}"
_YEAR2 = r"'?\d{2}"
_ORDINAL = r"(?:st|nd|rd|th)?"
# "may" and "mar" are ordinary lower-case words, so only "May"/"MAY" and "Mar"/"MAR" count.
_MONTH_NAME = (
    r"(?:(?i:jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY|Mar|MAR)"
)
# Dates must not be cut out of longer numbers ("1.2.2021.5"), yet "DOB-01/02/1960" is a date.
_NOT_AFTER_NUMBER = r"(?<!\d)(?<!\d[./-])"
_NOT_BEFORE_NUMBER = r"(?!\d|[./-]\d)"
# A two-digit year is not one when a unit follows: "3 Apr 12 mm" is a size on a date.
_NO_UNIT = r"(?!\s?(?i:mm|cm|ml|mg|kg|hu|%|x\b|min\b|s\b))"
_SEP = r"(?:[ \t]*[./-][ \t]*|[ \t]+)"  # one separator inside a number, spaces allowed around it

# Day and month may come in either order (UK d/m/y, US m/d/y), so both accept 1-31. Dots with a
# two-digit year need two-digit day and month ("03.04.61"), so versions such as "5.6.12" pass.
_NUMERIC_DMY = (
    rf"{_DAY}/{_DAY}/(?:{_YEAR4}|\d{{2}})"
    rf"|{_DAY}-{_DAY}-(?:{_YEAR4}|\d{{2}})"
    rf"|{_DAY}\.{_DAY}\.{_YEAR4}|{_DAY2}\.{_DAY2}\.\d{{2}}"
    rf"|{_DAY} {_DAY} {_YEAR4}"
)
# ISO order, the form exported by most hospital systems, with any one separator or none.
_NUMERIC_YMD = (
    rf"{_YEAR4}-{_MONTH_NUMBER}-{_DAY}|{_YEAR4}/{_MONTH_NUMBER}/{_DAY}"
    rf"|{_YEAR4}\.{_MONTH_NUMBER}\.{_DAY}|{_YEAR4} {_MONTH2} {_DAY2}"
    rf"|{_YEAR4}{_MONTH2}{_DAY2}|{_DAY2}{_MONTH2}{_YEAR4}"
)
# "3 March 2021", "3rd of Mar. 61", "03-Mar-2021", "03APR1961".
_TEXT_DMY = (
    rf"{_DAY}{_ORDINAL}[\s/.-]*(?:of\s+)?{_MONTH_NAME}\.?,?[\s/.-]*(?:{_YEAR4}|{_YEAR2}{_NO_UNIT})"
)
# "March 3, 2021", "Mar 3rd 61".
_TEXT_MDY = rf"{_MONTH_NAME}\.?[\s/.-]*{_DAY}{_ORDINAL},?[\s/.-]+(?:{_YEAR4}|{_YEAR2}{_NO_UNIT})"
# Day and month without a year are a date element too: "3 April", "April 3rd".
_TEXT_DM = rf"{_DAY}{_ORDINAL}\s+(?:of\s+)?{_MONTH_NAME}\b|{_MONTH_NAME}\.?\s+{_DAY}{_ORDINAL}\b"

_FULL_DATE = (
    rf"{_NOT_AFTER_NUMBER}(?:{_NUMERIC_DMY}|{_NUMERIC_YMD}){_NOT_BEFORE_NUMBER}"
    rf"|\b(?:{_TEXT_DMY}|{_TEXT_MDY})(?!\d)"
)

_MRN_LABEL = (
    r"(?i:(?<![a-z])(?:mrn|mr\s*#|mr\s*no\b\.?|medical\s+record(?:\s+(?:number|no\b\.?|\#))?"
    r"|(?:patient|pt)\s*(?:id|identifier|number|no\b\.?|\#)|hospital\s*(?:number|no\b\.?|id|\#)"
    r"|hosp\s*(?:no\b\.?|\#)|nhs\s*(?:number|no\b\.?)|chart\s*(?:number|no\b\.?|\#)"
    r"|record\s*(?:number|no\b\.?|\#)|account\s*(?:number|no\b\.?|\#)|acct\s*(?:no\b\.?|\#)?"
    r"|health\s*plan\s*(?:number|id)|member\s*(?:id|number)|insurance\s*(?:number|id))"
    r"(?![a-z]))"
)

# --- the patterns, one per way an identifier is written ---------------------------------------

_TLD = (
    r"(?i:com|org|net|edu|gov|mil|int|info|biz|io|co|uk|us|ca|au|de|fr|nl|be|ch|at|it|es|se|no"
    r"|dk|fi|ie|nz|in|jp|cn|br|mx|za|health|nhs|ac|me|email|mail)"
)
# Unambiguous, so it outranks the digit runs it may contain. Starting only at the beginning of
# a run of address characters keeps the scan linear on long runs without an "@".
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}[ \t]?@[ \t]?[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[A-Za-z]{2,}\b"
)
# Spelled out: "john.smith [at] example [dot] com", "jane(at)mail(dot)org", "j dot doe at x
# dot org". The top-level domain must be a known one, so "seen at clinic.l4" is not an address.
_AT = r"(?:[ \t]*[\[({<][ \t]*(?i:at|@)[ \t]*[\])}>][ \t]*|[ \t]+(?i:at)[ \t]+|[ \t]*@[ \t]*)"
_DOT = r"(?:[ \t]*[\[({<][ \t]*(?i:dot|\.)[ \t]*[\])}>][ \t]*|[ \t]+(?i:dot)[ \t]+|\.)"
_EMAIL_SPELLED = re.compile(
    rf"(?<![\w.+-])[\w+-]{{1,64}}(?:{_DOT}[\w+-]{{1,64}}){{0,4}}{_AT}"
    rf"[\w-]{{1,63}}(?:{_DOT}[\w-]{{1,63}}){{0,4}}{_DOT}{_TLD}\b"
)

_DOB_LABEL = (
    r"(?i:\bdob\b|\bd\s?\.?\s?o\s?\.?\s?b\b\.?|\bdate\s+of\s+birth|\bbirth\s*date|\bbirthday"
    r"|\bborn(?:\s+on)?|\bb\.\s?d\.?|\bdoB)"
)
# A date is only known to be a date of birth when it is labelled; with the label, month and
# year ("DOB 04/61", "born March 1960") and compact digits ("dob 610403") count too.
_DATE_OF_BIRTH = re.compile(
    rf"{_DOB_LABEL}\s*[:=-]?\s*(?:{_FULL_DATE}"
    rf"|\b{_MONTH_NAME}\.?,?\s+(?:{_YEAR4}|{_YEAR2})\b"
    rf"|(?<!\d){_MONTH_NUMBER}[/.-](?:{_YEAR4}|\d{{2}})(?!\d|[/.-]\d)"
    rf"|(?<!\d)\d{{6}}(?!\d))"
)

# HIPAA treats every date element except the year as an identifier; a year alone passes.
_DATE_NUMERIC = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?:{_NUMERIC_DMY}|{_NUMERIC_YMD}){_NOT_BEFORE_NUMBER}"
)
_DATE_TEXT = re.compile(rf"\b(?:{_TEXT_DMY}|{_TEXT_MDY})(?!\d)|\b(?:{_TEXT_DM})")

# US social security number: 3-2-4 digits with any separators, or labelled nine digits.
_SSN = re.compile(rf"(?<![\d.-])\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{4}}(?!\d|[./-]\d)")
_SSN_LABELLED = re.compile(
    r"(?i:\b(?:ssn|ss\s*#|ss\s*no\b\.?|social\s+security(?:\s+(?:number|no\b\.?|\#))?))"
    r"\s*[:#=.-]?\s*\d(?:[ .\-/]?\d){8}(?!\d)"
)

# North American numbers: (555) 123-4567, 555-123-4567, 555.123.4567, +1 555 123 4567.
_PHONE_NANP = re.compile(
    rf"(?<![\d+])(?:\+?1{_SEP}?)?(?:\(\d{{3}}\)[ \t]?|\d{{3}}{_SEP})\d{{3}}{_SEP}?\d{{4}}(?!\d)"
)
# National numbers with a trunk 0, as in the UK: 020 7946 0958, 07700 900123. A separator after
# the area code is required; an unbroken run is left to the record-number digit run.
_PHONE_NATIONAL = re.compile(r"(?<![\d.])0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?!\d)")
# International numbers start with + and a country code and carry at least 8 digits, which
# keeps "+2 VSDs" and similar arithmetic out.
_PHONE_INTERNATIONAL = re.compile(
    r"(?<![\w+])\+(?=(?:[\s.()-]{0,2}\d){8})\d{1,3}(?:[\s.-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}(?!\d)"
)
# A labelled number: "tel 555-1234", "mobile: 07700900123".
_PHONE_LABELLED = re.compile(
    r"(?i:\b(?:tel|telephone|phone|ph|mobile|mob|cell|cellphone|fax|pager|beeper)\b\.?"
    r"(?:\s*(?:no\b\.?|number|\#))?)\s*[:=.-]?\s*\+?\(?\d(?:[ .\-/()]{0,2}\d){6,14}(?!\d)"
)

# A labelled record number; the value must hold 3+ digits so "patient no. 2" in a case series
# is not one. The label is part of the finding so redaction removes it too.
# Groups of the number may be spaced ("MRN 12 34 56"), but a date after a space is not a group.
_MRN_LABELLED = re.compile(
    rf"{_MRN_LABEL}\s*(?i:is\s+)?[:#=.-]?\s*(?i:[a-z]{{0,4}}[ -]?\d[0-9a-z]{{0,20}}"
    rf"(?:(?:[.\-/]|[ ](?!(?:{_NUMERIC_YMD}|{_NUMERIC_DMY}){_NOT_BEFORE_NUMBER}))"
    r"\d[0-9a-z]{0,20}){0,8})"
)


def _three_digits(text: str, match: re.Match[str]) -> bool:  # noqa: ARG001 - a check's shape
    """Return whether a labelled number holds 3+ digits ("patient no. 2" is a case series)."""
    return sum(c.isdigit() for c in match.group()) >= 3


# An unlabelled run of 7+ digits is too long for a dose, size or code, so treat it as a record
# number; decimals ("0.12345678") are not runs.
_MRN_DIGIT_RUN = re.compile(r"(?<!\d)(?<!\d[.,])\d{7,}(?!\d)")
# The same run spelled out digit by digit: "1 2 3 4 5 6 7 8", "1-2-3-4-5-6-7".
_MRN_SPACED = re.compile(r"(?<![\d.,])\d(?:[ .\-/]\d){6,}(?!\d|[.,]\d)")
# Groups of digits with one kind of separator: "1234 5678", "12.345.678", "123-456-789".
_MRN_GROUPED = re.compile(
    r"(?<![\w.,/-])(?<![\w.,/-] )\d{1,5}(?P<sep>[ .-])\d{2,5}(?:(?P=sep)\d{2,5})*(?![\w.,/-]\w|\w)"
)
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:mm|cm|m|ml|mL|l|mg|g|kg|%|hu|HU|kv|kV|mas|mAs|um|µm|°|deg|x\b|min|h|s|ms|px|dpi)\b"
    r"|[ \t]*%"
)
_WORD_AFTER = re.compile(r" [a-z]")


def _grouped_run(text: str, match: re.Match[str]) -> bool:
    """Return whether a grouped digit run is a record number, not a range, decimal or count."""
    groups = re.split(r"[ .-]", match.group())
    if sum(len(g) for g in groups) < 7:
        return False
    sep = match.group("sep")
    if len(groups) == 2 and sep in ".-":
        return False  # a range (226-3071) or a decimal (1234.5678)
    end = match.end()
    if _UNIT_AFTER.match(text, end):
        return False  # a list of sizes: "100 120 150 mm"
    thousands = len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
    return not (thousands and _WORD_AFTER.match(text, end))  # "1 250 000 triangles"


# House number, one to four words, then a street suffix. Full suffix words count in any case
# ("12 main street"); short ones that are also clinical words only capitalised ("Ct", "Dr").
_STREET_WORD = r"(?:\d{1,3}(?:st|nd|rd|th)|[A-Za-z][A-Za-z'.-]*)"
_STREET = re.compile(
    rf"\b\d{{1,5}}(?:-\d{{1,5}})?[A-Za-z]?\s+(?:{_STREET_WORD}\s+){{0,3}}{_STREET_WORD}\s+"
    r"(?:(?i:street|avenue|road|boulevard|lane|drive|terrace|parkway|highway|crescent|ave|blvd"
    r"|pkwy|hwy)|St|ST|Rd|RD|Ln|LN|Dr|Ct|Pl|Place|Court|COURT|Way|WAY|Close|Square|Sq|Ter"
    r"|Circle|Cir|Row|Gardens|Mews|Walk|Grove|(?:st|rd)(?=\s*(?:[,;\n]|$)))\b\.?"
)
# Secondary address units and PO boxes; "Suite" is left out because of "Mimics Innovation Suite".
_ADDRESS_UNIT = re.compile(
    r"(?i:\b(?:apt|apartment|ste)\b\.?\s*#?\s*\d+[a-z]?\b|\bp\.?\s?o\.?\s*box\s+\d+\b)"
    r"|\b(?:Flat|Unit|FLAT)\s*#?\s*\d+[A-Za-z]?\b"
)
_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
    "GU",
    "VI",
]
_STATE_NAMES = (
    "alabama|alaska|arizona|arkansas|california|colorado|connecticut|delaware|florida|georgia"
    "|hawaii|idaho|illinois|indiana|iowa|kansas|kentucky|louisiana|maine|maryland|massachusetts"
    "|michigan|minnesota|mississippi|missouri|montana|nebraska|nevada|new hampshire|new jersey"
    "|new mexico|new york|north carolina|north dakota|ohio|oklahoma|oregon|pennsylvania"
    "|rhode island|south carolina|south dakota|tennessee|texas|utah|vermont|virginia|washington"
    "|west virginia|wisconsin|wyoming"
)
# "Springfield, IL 62704", "springfield, il 62704-1234", "Austin TX 78701", "zip 62704".
_CITY_STATE_ZIP = re.compile(
    rf"\b[A-Za-z][A-Za-z'-]*(?:,[ \t]*(?i:{'|'.join(_STATES)}|{_STATE_NAMES})"
    rf"|[ \t]+(?:{'|'.join(_STATES)}))[ \t]+\d{{5}}(?:-\d{{4}})?(?!\d)"
    r"|(?i:\bzip(?:\s*code)?\s*[:#]?\s*)\d{5}(?:-\d{4})?(?!\d)"
)
# UK postcodes, capitals only: "SW1A 1AA", "M1 1AE".
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}\b")

_Check = Callable[[str, re.Match[str]], bool]


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One way an identifier is written, and when it is worth looking for it at all.

    A pattern runs only on a text with at least ``min_digits`` digits, a space when ``spaced``,
    and, when ``hints`` is given, one of them in the lower-cased text: cheap tests that keep the scan of a bulk import's
    every cell fast. ``check`` may refuse a match the expression alone cannot judge.
    """

    kind: IdentifierKind
    regex: re.Pattern[str]
    min_digits: int = 0
    hints: tuple[str, ...] = ()
    check: _Check | None = None
    spaced: bool = False  # needs a space: never in a code such as "3DP-2024-000123"


_K = IdentifierKind
_MONTH_HINTS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MRN_HINTS = ("mr", "record", "id", "no", "#", "number", "acct", "account", "hosp", "nhs", "chart",
              "member", "insurance", "health plan")  # fmt: skip

# In priority order: where findings overlap, the earlier pattern wins. The specific beats the
# generic (a labelled date of birth holds a full date; an e-mail may hold a digit run; an SSN is
# also a digit pattern), and a labelled record number beats the phone number it may look like.
_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern(_K.EMAIL, _EMAIL, hints=("@",)),
    _Pattern(_K.EMAIL, _EMAIL_SPELLED, hints=("@", "at]", "at)", "at}", "at>", " at ")),
    _Pattern(
        _K.DATE_OF_BIRTH,
        _DATE_OF_BIRTH,
        3,
        ("dob", "d.o", "d o", "birth", "born", "b.d", "d. o", "bday"),
    ),
    _Pattern(_K.SSN, _SSN_LABELLED, 9, ("ss", "social")),
    _Pattern(_K.SSN, _SSN, 9),
    _Pattern(_K.MRN, _MRN_LABELLED, 3, _MRN_HINTS, _three_digits),
    _Pattern(_K.PHONE, _PHONE_LABELLED, 7, ("tel", "ph", "mob", "cell", "fax", "pager", "beeper")),
    _Pattern(_K.PHONE, _PHONE_NANP, 10),
    _Pattern(_K.PHONE, _PHONE_INTERNATIONAL, 8, ("+",)),
    _Pattern(_K.PHONE, _PHONE_NATIONAL, 9),
    _Pattern(_K.FULL_DATE, _DATE_NUMERIC, 4),
    _Pattern(_K.FULL_DATE, _DATE_TEXT, 1, _MONTH_HINTS),
    _Pattern(_K.MRN, _MRN_DIGIT_RUN, 7),
    _Pattern(_K.MRN, _MRN_SPACED, 7),
    _Pattern(_K.MRN, _MRN_GROUPED, 7, check=_grouped_run),
    _Pattern(_K.STREET_ADDRESS, _STREET, 1, spaced=True),
    _Pattern(
        _K.STREET_ADDRESS, _ADDRESS_UNIT, 1, ("apt", "apartment", "ste", "box", "flat", "unit")
    ),
    _Pattern(_K.STREET_ADDRESS, _CITY_STATE_ZIP, 5, spaced=True),
    _Pattern(_K.STREET_ADDRESS, _POSTCODE, 2, spaced=True),
)
_RANK_NAMES = len(_PATTERNS)
_NOT_DIGITS = str.maketrans("", "", "0123456789")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# --- scanning ---------------------------------------------------------------------------------


def _start(finding: Finding) -> int:
    return finding.start


def _candidates(text: str) -> Iterator[tuple[int, IdentifierKind, int, int]]:
    """Yield (rank, kind, start, end) for every pattern match in the folded text."""
    low = text.translate(_ASCII_LOWER)  # same length as the text, unlike str.lower
    digits = len(text) - len(text.translate(_NOT_DIGITS))
    spaced = " " in text or "\t" in text
    for rank, pattern in enumerate(_PATTERNS):
        if digits < pattern.min_digits or (pattern.spaced and not spaced):
            continue
        if pattern.hints and not any(hint in low for hint in pattern.hints):
            continue
        for match in pattern.regex.finditer(text):
            if pattern.check is None or pattern.check(text, match):
                yield rank, pattern.kind, *match.span()
    names = name_sets()
    for rank, (finder, hints) in enumerate(NAME_FINDERS, start=_RANK_NAMES):
        if hints and not any(hint in low for hint in hints):
            continue
        for start, end in finder(text, names):
            yield rank, IdentifierKind.PERSON_NAME, start, end


def scan_text(text: str) -> list[Finding]:
    """Return the identifiers in ``text`` sorted by start offset; an empty list if there are none.

    Offsets are those of ``text`` as given, whatever folding the scan needed. Where two findings
    overlap, the one from the higher-priority pattern (then the longer one) is kept.
    """
    folded = fold(text)
    ranked = sorted(
        _candidates(folded.text), key=lambda item: (item[0], item[2] - item[3], item[2])
    )
    # Kept findings never overlap, so one list ordered by start is also ordered by end, and a
    # candidate need only be checked against its two neighbours.
    kept: list[Finding] = []
    for _, kind, start, end in ranked:
        if end <= start:
            continue
        at = bisect.bisect_left(kept, start, key=_start)
        if at > 0 and kept[at - 1].end > start:
            continue
        if at < len(kept) and kept[at].start < end:
            continue
        kept.insert(at, Finding(kind, start, end))
    if folded.origins is None:
        return kept
    return [Finding(f.kind, *folded.span(f.start, f.end)) for f in kept]


_CODE_JOINERS = str.maketrans("._", "  ")


def scan_case_identifier(text: str) -> list[Finding]:
    """Return the identifiers in a case identifier: those of ``scan_text``, and when there are
    none, a person's name joined by dots or underscores ("john.smith", "Smith_John")."""
    found = scan_text(text)
    if found or not ("." in text or "_" in text):
        return found
    spaced = scan_text(text.translate(_CODE_JOINERS))  # same length: the offsets hold
    return [f for f in spaced if f.kind is IdentifierKind.PERSON_NAME]


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
    folded = fold(value).text
    if _DIGITS_ONLY.fullmatch(_SEPARATORS.sub("", folded)):
        return True
    return _MRN_LABEL_ANYWHERE.search(folded) is not None
