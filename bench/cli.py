"""CLI start-up: `printreg --help` and `printreg registry list` beside `uvicorn --help`.

Not a test: it asserts nothing and writes its figures to bench/results/cli.json, under a label
(default "after"), keeping the other labels' figures, so a run on an older checkout
(`--src OLD/src --label before`) sits beside the current one.

Each command runs N times (default 10) in a fresh interpreter; the best and the median wall
time count, with the child's peak resident memory. Two states of Python's bytecode cache:
"cached" (compiled once into a private cache first: an installed package) and "uncached"
(this machine's PYTHONDONTWRITEBYTECODE=1 over a virtualenv without bytecode: every
third-party and printreg module compiled from source at each start).
`printreg registry list` runs on a fresh, upgraded SQLite database. The 1-minute load average
before and after is recorded, since other work on the machine slows every figure alike; the
ratio to `uvicorn --help` is the steadier figure.
Run: .venv/bin/python bench/cli.py [--runs 10] [--src PATH] [--label after]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "cli.json"


def run_once(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run a command once; return its wall time in seconds and its peak RSS in MB."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({child.returncode}): {errors}")
    return elapsed, usage.ru_maxrss // 1024


def measure(args: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """Return the best and median wall time (s) and the peak RSS (MB) of ``runs`` runs."""
    times, rss = [], []
    for _ in range(runs):
        elapsed, peak = run_once(args, env)
        times.append(elapsed)
        rss.append(peak)
    return {
        "best_s": round(min(times), 3),
        "median_s": round(statistics.median(times), 3),
        "rss_mb": max(rss),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="printreg sources to run")
    parser.add_argument("--label", default="after", help="key of these figures in cli.json")
    options = parser.parse_args()

    python = sys.executable
    commands = {
        "printreg --help": [python, "-m", "printreg", "--help"],
        "printreg registry list": [python, "-m", "printreg", "registry", "list"],
        "uvicorn --help": [python, "-m", "uvicorn", "--help"],
    }
    load_before = os.getloadavg()[0]
    figures: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        base |= {
            "PYTHONPATH": str(options.src.resolve()),
            "PRINTREG_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
            "PRINTREG_DATA_DIR": f"{tmp}/data",
        }
        subprocess.run([python, "-m", "printreg", "db", "upgrade"], env=base, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        states = {
            # compiled once into a private cache, then read from it, as an installed package is
            "cached": base | {"PYTHONPYCACHEPREFIX": f"{tmp}/pyc"},
            # nothing written: the virtualenv's modules, shipped without bytecode here, are
            # compiled at each start (the standard library's own cache is still read)
            "uncached": base | {"PYTHONDONTWRITEBYTECODE": "1"},
        }
        for state, env in states.items():
            figures[state] = {}
            for name, args in commands.items():
                run_once(args, env)  # warm the file cache (and the bytecode cache if any)
                figures[state][name] = measure(args, env, options.runs)
    load_after = os.getloadavg()[0]

    for state, by_command in figures.items():
        uvicorn = by_command["uvicorn --help"]["median_s"]
        print(f"{state}:")
        for name, figure in by_command.items():
            ratio = figure["median_s"] / uvicorn
            figure["x_uvicorn"] = round(ratio, 2)
            print(f"  {name:<24} best {figure['best_s']:.3f} s  median {figure['median_s']:.3f} s"
                  f"  ({ratio:.1f} x uvicorn)  {figure['rss_mb']} MB")  # fmt: skip
    print(f"load average {load_before:.2f} before, {load_after:.2f} after")

    results = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() else {}
    results[options.label] = {
        "date": time.strftime("%Y-%m-%d"),
        "runs": options.runs,
        "python": sys.version.split()[0],
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
        **figures,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
