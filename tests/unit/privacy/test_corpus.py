"""The labelled corpus: recall on identifier texts, false refusals on clinical texts."""

from __future__ import annotations

from tests.support.privacy_corpus import clinical_texts, identifier_texts

from printreg.privacy import IdentifierKind, scan_text

MIN_RECALL = 0.99
MAX_FALSE_REFUSALS = 0.01


def test_the_corpus_is_large_and_covers_every_kind() -> None:
    identifiers = identifier_texts()
    assert len(identifiers) >= 300
    assert len(clinical_texts()) >= 300
    assert {kind for kind, _ in identifiers} == set(IdentifierKind)


def test_recall_on_identifier_texts() -> None:
    texts = identifier_texts()
    missed = [text for _, text in texts if not scan_text(text)]
    recall = 1 - len(missed) / len(texts)
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed: {missed!r}"


def test_the_kind_found_is_the_kind_labelled() -> None:
    texts = identifier_texts()
    wrong = [(kind, text) for kind, text in texts if kind not in {f.kind for f in scan_text(text)}]
    assert len(wrong) / len(texts) <= 1 - MIN_RECALL, wrong


def test_false_refusals_on_clinical_texts() -> None:
    texts = clinical_texts()
    refused = [text for text in texts if scan_text(text)]
    rate = len(refused) / len(texts)
    assert rate <= MAX_FALSE_REFUSALS, f"false refusals {rate:.3f}: {refused!r}"
