"""Spine throughput: validation per record, and single vs batched writes on SQLite.

Not a test: it asserts nothing and writes its figures to bench/results/spine.json.
Run: .venv/bin/python bench/spine.py [--cases N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.demo.synth import load_synthetic
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.schema import upgrade
from printreg.synthetic import SyntheticRegistry
from printreg.validation import ValidationContext, validate_record

RESULTS = Path(__file__).parent / "results" / "spine.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform.from_settings(Settings(database_url=f"sqlite:///{tmp}/bench.db"))
        upgrade(platform.engine)
        actor = Actor.operator("bench")
        load_synthetic(platform, actor, registry="3dp", seed=1, facilities=10, cases=0)
        synth = SyntheticRegistry(seed=1, facilities=10)
        items = list(synth.cases(args.cases * 2))
        definition = platform.registry("3dp").current
        printers = {p.facility_code: {} for p in synth.printers}
        for p in synth.printers:
            printers[p.facility_code][p.label] = p.technology

        started = time.perf_counter()
        for code, record in items[: args.cases]:
            validate_record(record, definition, ValidationContext(code, printers[code]))
        validate_rate = args.cases / (time.perf_counter() - started)

        service = CaseService(platform, actor)
        single = items[: args.cases // 10]
        started = time.perf_counter()
        for code, record in single:
            service.create("3dp", code, record)
        single_rate = len(single) / (time.perf_counter() - started)

        batched = items[args.cases : args.cases * 2]
        started = time.perf_counter()
        service.create_many("3dp", batched)
        batch_rate = len(batched) / (time.perf_counter() - started)
        platform.close()
    figures = {
        "validate_records_per_s": round(validate_rate),
        "create_one_by_one_cases_per_s": round(single_rate),
        "create_many_cases_per_s": round(batch_rate),
        "batch_over_single": round(batch_rate / single_rate, 1),
        "cases": args.cases,
        "database": "sqlite",
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
