"""Synthetic generator throughput: cases per second, as the demo loader and the benches use it.

Not a test: it asserts nothing and writes bench/results/synthetic.json (the generator's
behaviour is tested in tests/unit/synthetic/test_generator.py).

The generator makes ``--cases`` cases over ``--facilities`` facilities, ``--rounds`` times; the
best round counts. The 1-minute load average is recorded: other work on the machine slows every
figure alike.
Run: .venv/bin/python bench/synthetic.py [--cases 20000] [--facilities 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

from printreg.synthetic import SyntheticRegistry

RESULTS = Path(__file__).resolve().parent / "results" / "synthetic.json"
TODAY = dt.date(2025, 6, 30)


def cases_per_second(cases: int, facilities: int) -> float:
    """Return the cases per second of one pass of a fresh generator."""
    registry = SyntheticRegistry(seed=11, facilities=facilities, today=TODAY)
    started = time.perf_counter()
    made = sum(1 for _ in registry.cases(cases))
    return made / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--facilities", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    best = max(cases_per_second(args.cases, args.facilities) for _ in range(args.rounds))
    results = {
        "cases": args.cases,
        "facilities": args.facilities,
        "cases_per_second": round(best),
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
