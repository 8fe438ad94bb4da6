"""Find person names in folded text: after titles, after labels, and as first-and-last-name pairs.

Three finders, each yielding (start, end) spans of the folded text it is given:

* after a title in any case ("Mr. Smith", "mr smith", "MR. SMITH"): a capital title (MR, MS, DR,
  also mitral regurgitation, multiple sclerosis, diabetic retinopathy) counts only before a
  known name or a lone capitalised word at the end of a phrase, so "severe MR" and "MS lesions"
  pass;
* after a label ("Patient: ...", "patient john smith", "name - ...", "referred by ..."): with a
  colon any capitalised word, without one a known name;
* a first name then a last name of the Census lists (``names.name_sets``), clinical eponyms
  aside ("Pierre Robin", "Dandy-Walker"), capitalised or in capitals, or in lower case when both
  are common names; also "Smith, John".

``NAME_FINDERS`` pairs each finder with the lower-case hints without which it need not run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from printreg.privacy.names import EPONYM_PAIRS, NameSets

# A word as names are written: letters and apostrophes ("O'Brien"), hyphen-joined parts.
_NAME_WORD = re.compile(r"[ \t]*([A-Za-z][A-Za-z']*(?:-[A-Za-z][A-Za-z']*)*)(\.?)")
_WORDS = re.compile(r"[a-z]+")
_TITLES = frozenset(
    re.findall(r"\S+", "mr mrs ms miss mx dr prof mister madam sir dame mme mlle herr frau doctor")
)
_TITLE = re.compile(
    r"(?<![\w.'-])(?i:mrs|mr|ms|miss|mx|dr|prof|mister|madam|sir|dame|mme|mlle|herr|frau|doctor)"
    r"(?:\.[ \t]*|[ \t]+)(?=[A-Za-z])"
)
# "Patient: Jane Doe", "name - x", "pt john smith", "referred by smith"; the bare "name" label
# must not follow another word, so "model name:" or "file name:" are not person-name labels.
_LABEL = re.compile(
    r"(?i:\b(?:(?:patient|pt|client|subject)(?:'s)?\s+(?:full\s+)?name|pt\s*name"
    r"|(?:first|last|full|given|family|middle|maiden|christian)\s*name|surname|forename"
    r"|(?<![a-z] )(?<![a-z]  )name|patient|pt|mother|father|parent|guardian|next\s+of\s+kin"
    r"|nok|spouse|husband|wife|son|daughter|referred\s+by|referring(?:\s+(?:physician|doctor"
    r"|surgeon|clinician|provider|md))?|requested\s+by|ordered\s+by|surgeon|physician|attn"
    r"|c/o))\b(?P<colon>[ \t]*(?:[:=]|-[ \t]|(?i:is)\b))?[ \t]*(?=[A-Za-z])"
)
# Words that follow "Patient:" in ordinary descriptions rather than names.
_NOT_A_NAME = frozenset(
    re.findall(
        r"\S+",
        """
    male female man woman boy girl adult child infant neonate newborn baby unknown none nil
    anonymous anonymised anonymized redacted deidentified de-identified not no see the a an
    withheld tbd tba na left right bilateral with without has had is was who whose age aged
    years year old young elderly adolescent teenager toddler term preterm premature pediatric
    paediatric consented
    """,
    )
)
_MONTHS = frozenset(
    re.findall(
        r"\S+",
        """
    jan january feb february mar march apr april may jun june jul july aug august sep sept
    september oct october nov november dec december
    """,
    )
)


def _known(word: str, names: NameSets) -> bool:
    """Return whether a word (or any part of a hyphenated one) is a first or last name."""
    for part in word.lower().replace("'", "").split("-"):
        if part in names.first or part in names.last:
            return True
    return False


def _name_run(text: str, pos: int, names: NameSets, first_ok: Callable[[str], bool]) -> int:
    """Return where a name that starts at ``pos`` ends, or -1 if no name starts there.

    Initials ("J.", "J") may lead; the first full word must satisfy ``first_ok``; up to two more
    words follow while they are names or capitalised, never a month ("Mr Smith March 3").
    """
    end = -1
    words = 0
    while words < 4:
        match = _NAME_WORD.match(text, pos)
        if match is None:
            break
        word = match.group(1)
        if len(word) == 1:  # an initial: "J." or "J", "j." after a label
            if not (word.isupper() or match.group(2)):
                break
            pos = match.end()
            continue
        lower = word.lower()
        if lower in _TITLES or lower in _MONTHS:
            break
        if words == 0:
            if not first_ok(word):
                return -1
        elif not (_known(word, names) or (word[0].isupper() and lower not in _NOT_A_NAME)):
            break
        words += 1
        end = match.end(1)
        pos = match.end()
        if match.group(2) or pos >= len(text) or text[pos] not in " \t":
            break
    return end


def _after_title(word: str, title: str, following: str, names: NameSets) -> bool:
    """Return whether ``word``, after ``title`` (as written, with its dot if any), starts a name.

    ``following`` is the character after the word ("" at the end of the text).
    """
    if not title.rstrip(". \t").isupper():
        # "Mr Smith", "mr smith", "Dr. Okafor": a capitalised word or a known name; after a
        # dotted title also a name that is an ordinary word ("mr. brown").
        if word[0].isupper():
            return word.lower() not in _NOT_A_NAME
        return _known(word, names) or ("." in title and word.lower() in names.last_any)
    # MR (mitral regurgitation), MS (multiple sclerosis), DR (diabetic retinopathy): a capital
    # title counts only before a known name, or a lone capitalised word that ends the phrase;
    # a lone word in capitals only after a dotted title, so "MS LESIONS, ..." is not a name.
    if word[0].islower():
        return False
    if _known(word, names):
        return True
    if word.isupper() and "." not in title:
        return False
    return following in ("", ".", ",", ";", "\n") and word.lower() not in _NOT_A_NAME


def _titled_names(text: str, names: NameSets) -> Iterator[tuple[int, int]]:
    for match in _TITLE.finditer(text):
        start, at, title = match.start(), match.end(), match.group()
        if title[:2].lower() == "ms" and re.search(r"\d[ \t]?$", text[max(0, start - 2) : start]):
            continue  # milliseconds: "200 ms"

        def first_ok(word: str, title: str = title, at: int = at) -> bool:
            following = text[at + len(word) : at + len(word) + 1]
            return _after_title(word, title, following, names)

        end = _name_run(text, at, names, first_ok)
        if end > 0:
            yield start, end


def _labelled_names(text: str, names: NameSets) -> Iterator[tuple[int, int]]:
    for match in _LABEL.finditer(text):
        colon = bool((match.group("colon") or "").strip())

        def first_ok(word: str, colon: bool = colon) -> bool:
            if word.lower() in _NOT_A_NAME:
                return False
            return _known(word, names) or (colon and word[0].isupper())

        end = _name_run(text, match.end(), names, first_ok)
        if end > 0:
            yield match.start(), end


_PAIR_TOKEN = re.compile(r"[A-Za-z][A-Za-z']*")
_GAP_PLAIN = re.compile(r"[ \t]+(?:[A-Z]\.?[ \t]+)?|[ \t]+[A-Z]\.[ \t]*")
_GAP_COMMA = re.compile(r",[ \t]*")
_GAP_SPACE = re.compile(r"[ \t]+")
_TAIL = re.compile(r"(?:-[A-Za-z][A-Za-z']*)+")


def _is_pair(first: str, last: str, names: NameSets) -> bool:
    """Return whether two words, as written, are a first name then a last name.

    Capitalised or in capitals, one of the two may also be an ordinary word ("Donna Hill", "Mark
    Robinson"), not both ("Will Need"); all in lower case both must be common names ("john
    smith"), and no ordinary word.
    """
    a, b = first.lower().replace("'", ""), last.lower().replace("'", "")
    if (a, b) in EPONYM_PAIRS:
        return False
    if first[0].isupper() and last[0].isupper():
        if len(a) < 3 and first.isupper():
            return False  # "AL", "ED": more often an abbreviation
        return (
            a in names.first_any and b in names.last_any and (a in names.first or b in names.last)
        )
    if first.islower() and last.islower():
        return a in names.common_first and b in names.common_last
    return False


def _capitalised(word: str) -> bool:
    return word[0].isupper()


def _reversed_pair(last: str, first: str, names: NameSets) -> bool:
    """Return whether two capitalised words are a last name then a first name ("SMITH JOHN"),
    neither an ordinary word and the first not itself a first name."""
    a, b = last.lower().replace("'", ""), first.lower().replace("'", "")
    return (
        _capitalised(last)
        and _capitalised(first)
        and a in names.last
        and a not in names.first_any
        and b in names.first
        and (a, b) not in EPONYM_PAIRS
    )


def _pairs(text: str, names: NameSets) -> Iterator[tuple[int, int]]:
    if set(_WORDS.findall(text.lower())).isdisjoint(names.first_any):
        return
    # Middle initials ("John Q. Smith") are passed over: the pair is the words either side.
    tokens = [t for t in _PAIR_TOKEN.finditer(text) if len(t.group()) > 1]
    for i in range(len(tokens) - 1):
        one, two = tokens[i], tokens[i + 1]
        if i > 0 and text[tokens[i - 1].end() : one.start()] == "-":
            continue  # the second part of a hyphenated word ("Dandy-Walker")
        if _GAP_PLAIN.fullmatch(text, one.end(), two.start()):
            if not (
                _is_pair(one.group(), two.group(), names)
                or _reversed_pair(one.group(), two.group(), names)
            ):
                continue
        elif _GAP_COMMA.fullmatch(text, one.end(), two.start()):
            # "Smith, John": both capitalised, and no ordinary word.
            if not _reversed_pair(one.group(), two.group(), names):
                continue
        else:
            continue
        start, end = one.start(), two.end()
        if text[end : end + 1] == "-":
            tail = _TAIL.match(text, end)
            if tail is None or not all(
                part.lower() in names.last_any for part in tail.group()[1:].split("-")
            ):
                continue  # "Mary Dandy-Walker"? the hyphen makes an eponym of it
            end = tail.end()
        # One more name word either side: "Maria José García", "Maria Garcia Lopez".
        if i > 0 and _GAP_SPACE.fullmatch(text, tokens[i - 1].end(), start):
            before = tokens[i - 1].group()
            if _capitalised(before) and before.lower() in names.first:
                start = tokens[i - 1].start()
        if i + 2 < len(tokens) and _GAP_SPACE.fullmatch(text, end, tokens[i + 2].start()):
            after = tokens[i + 2].group()
            if _capitalised(after) and after.lower() in names.last:
                end = tokens[i + 2].end()
        yield start, end


# An initial with its dot, then a last name: "J. Smith", "J.R. Smith".
_INITIALLED = re.compile(r"(?<![\w.])(?:[A-Z]\. ?){1,2}([A-Z][a-zA-Z']{2,})\b(?!-)")


def _paired_names(text: str, names: NameSets) -> Iterator[tuple[int, int]]:
    yield from _pairs(text, names)
    if "." in text:
        for match in _INITIALLED.finditer(text):
            if match.group(1).lower().replace("'", "") in names.last:
                yield match.span()


_LABEL_HINTS = ("patient", "pt", "name", "mother", "father", "parent", "guardian", "kin", "nok",
                "spouse", "husband", "wife", "son", "daughter", "referr", "by", "surgeon",
                "physician", "attn", "c/o")  # fmt: skip
_TITLE_HINTS = ("mr", "ms", "dr", "prof", "miss", "mx", "sir", "dame", "mme", "mlle", "herr",
                "frau", "doctor", "madam", "mister")  # fmt: skip
NAME_FINDERS: tuple[tuple[Callable[[str, NameSets], Iterator[tuple[int, int]]], tuple[str, ...]],
                     ...] = (
    (_labelled_names, _LABEL_HINTS),
    (_titled_names, _TITLE_HINTS),
    (_paired_names, ()),
)  # fmt: skip
