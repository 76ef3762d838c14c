"""Time whole `escalate` processes and print medians and ratios to `python -c pass`.

Usage: .venv/bin/python bench/run.py [sweep|all] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stores

ESCALATE = [sys.executable, "-m", "escalate_cli"]


def timed(argv: list[str], env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def sweep_rows(workdir: Path, runs: int) -> list[tuple[str, str, float, str]]:
    """`sweep` on 10,000 open cases of which 500 are due (budget 2 s)."""
    rows = []
    for dry in (True, False):
        samples = []
        for _ in range(runs):
            store = stores.build(
                workdir / f"sweep-{time.time_ns()}.json", open_cases=10_000, due=500
            )
            env = _env(store)
            args = [*ESCALATE, "sweep", "--json"] + (["--dry-run"] if dry else [])
            samples.append(timed(args, env, 1))
        name = "sweep --dry-run" if dry else "sweep"
        rows.append((name, "10,000 open, 500 due", statistics.median(samples), "2 s"))
    return rows


def _env(store: Path) -> dict[str, str]:
    return dict(
        os.environ,
        ESCALATE_STORE=str(store),
        ESCALATE_MATRIX=str(stores.MATRIX),
        ESCALATE_NOW=timing_now(),
    )


def timing_now() -> str:
    from escalate_cli.core.timing import to_iso

    return to_iso(stores.NOW)


SUITES: dict[str, Callable[[Path, int], list[tuple[str, str, float, str]]]] = {
    "sweep": sweep_rows,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suite", nargs="?", default="all", choices=["all", *SUITES])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    baseline = timed([sys.executable, "-c", "pass"], dict(os.environ), max(options.runs, 5))
    print(f"python -c pass: {baseline:.0f} ms (median of {max(options.runs, 5)})")
    print(f"{'command':<22} {'store':<24} {'median':>9} {'ratio':>7}  budget")
    chosen = SUITES if options.suite == "all" else {options.suite: SUITES[options.suite]}
    with tempfile.TemporaryDirectory(prefix="escalate-bench-") as tmp:
        for suite in chosen.values():
            for name, store, median, budget in suite(Path(tmp), options.runs):
                print(
                    f"{name:<22} {store:<24} {median:>7.0f}ms {median / baseline:>6.1f}x  {budget}"
                )


if __name__ == "__main__":
    main()
