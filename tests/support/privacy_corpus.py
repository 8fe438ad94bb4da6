"""The labelled identifier corpus of tests/unit/privacy/corpus, and long adversarial texts.

Both serve the tests (tests/unit/privacy) and the benchmark (bench/privacy.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from printreg.privacy import IdentifierKind

CORPUS = Path(__file__).resolve().parent.parent / "unit" / "privacy" / "corpus"
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _lines(name: str) -> list[str]:
    """Return the texts of one corpus file: comments and blank lines left out, escapes expanded."""
    out = []
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        out.append(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line))
    return out


def identifier_texts() -> list[tuple[IdentifierKind, str]]:
    """Return every (kind, text) of identifiers.txt."""
    pairs = []
    for line in _lines("identifiers.txt"):
        kind, text = line.split(" | ", 1)
        pairs.append((IdentifierKind(kind), text))
    return pairs


def clinical_texts() -> list[str]:
    """Return every text of clinical.txt."""
    return _lines("clinical.txt")


#: Long texts built to make a careless pattern backtrack catastrophically (name → text).
ADVERSARIAL_TEXTS = {
    "dots": "a." * 50_000,
    "dashes": "1-" * 50_000,
    "labels": "Name: " * 20_000,
    "initials": "Mr " + "A. " * 30_000,
    "street": "12 " + "Main " * 30_000,
}
