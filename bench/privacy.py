"""The identifier scanner on its labelled corpus: recall, false refusals and throughput.

Not a test: it asserts nothing and writes bench/results/privacy.json (the corpus test in
tests/unit/privacy/test_corpus.py holds the thresholds).

  recall            share of the identifier texts (tests/unit/privacy/corpus/identifiers.txt) in
                    which the scanner finds something; also the share found as the labelled kind
  false refusals    share of the clinical texts (corpus/clinical.txt) in which it finds anything
  throughput        texts scanned per second (best of several rounds) on the corpus texts and on
                    bulk-import cells: lab case IDs ("3DP-2024-000123") and synthetic indications
  first call        seconds to load the Census name lists (once per process)
  adversarial       seconds to scan each long adversarial text of tests/support/privacy_corpus.py
                    (best of the rounds); tests/unit/privacy/test_identifiers.py only guards
                    against a runaway

The 1-minute load average is recorded: other work on the machine slows every figure.
Run: .venv/bin/python bench/privacy.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.privacy_corpus import (  # noqa: E402
    ADVERSARIAL_TEXTS,
    clinical_texts,
    identifier_texts,
)

from printreg.privacy import scan_text  # noqa: E402
from printreg.privacy.names import name_sets  # noqa: E402
from printreg.synthetic import SyntheticRegistry  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "privacy.json"


def throughput(scan: Callable[[str], object], texts: Sequence[str], rounds: int) -> float:
    """Return texts per second, the best of ``rounds`` passes over ``texts``."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            scan(text)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    started = time.perf_counter()
    name_sets()
    first_call = time.perf_counter() - started

    identifiers = identifier_texts()
    clinical = clinical_texts()
    found = [scan_text(text) for _, text in identifiers]
    missed = sum(1 for findings in found if not findings)
    right_kind = sum(
        1
        for (kind, _), findings in zip(identifiers, found, strict=True)
        if kind in {f.kind for f in findings}
    )
    refused = sum(1 for text in clinical if scan_text(text))

    synth = SyntheticRegistry(seed=2026, facilities=3)
    cases = [record for _, record in synth.cases(5000)]
    case_ids = [str(record["local_case_id"]) for record in cases]
    indications = [str(record["indication_text"]) for record in cases]
    corpus = [text for _, text in identifiers] + clinical

    results = {
        "identifier_texts": len(identifiers),
        "clinical_texts": len(clinical),
        "recall": round(1 - missed / len(identifiers), 4),
        "recall_of_the_labelled_kind": round(right_kind / len(identifiers), 4),
        "false_refusal_rate": round(refused / len(clinical), 4),
        "missed": missed,
        "false_refusals": refused,
        "texts_per_second": {
            "corpus": round(throughput(scan_text, corpus, args.rounds)),
            "local_case_ids": round(throughput(scan_text, case_ids, args.rounds)),
            "synthetic_indications": round(throughput(scan_text, indications, args.rounds)),
        },
        "name_lists_first_load_seconds": round(first_call, 3),
        "adversarial_seconds": {
            name: round(1 / throughput(scan_text, [text], args.rounds), 3)
            for name, text in ADVERSARIAL_TEXTS.items()
        },
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
