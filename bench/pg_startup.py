"""A single-case command on a JSON store and on PostgreSQL: medians and their ratio.

Usage: .venv/bin/python bench/pg_startup.py URL [--runs N] [--cases N]

URL names an empty database (or schema) that may be filled: N cases (10 by default) are opened
in it and in a temporary JSON store, then each command runs --runs times as a fresh process on
each store, after one unmeasured run. Each `acknowledge` takes a case not yet acknowledged.
bench/pg.py runs this on a throw-away cluster of its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESCALATE = str(Path(sys.executable).with_name("escalate"))
COMMANDS = ("show", "acknowledge", "next", "list")


def medians_ms(stores: list[str], argvs: list[list[str]], env: dict[str, str]) -> list[float]:
    """The median of argvs[1:] on each store, each a fresh process, after argvs[0] unmeasured;
    the stores take turns, so that a shared machine's noise falls on both alike."""
    times: list[list[float]] = [[] for _ in stores]
    for argv in argvs:
        for index, store in enumerate(stores):
            started = time.perf_counter()
            argv_ = [ESCALATE, "--store", store, *argv]
            subprocess.run(argv_, env=env, check=True, capture_output=True)
            times[index].append(time.perf_counter() - started)
    return [statistics.median(one[1:]) * 1000 for one in times]


def compare(url: str, runs: int, cases: int = 10) -> Iterator[tuple[str, float, float]]:
    """(command, JSON median ms, PostgreSQL median ms) for each of COMMANDS."""
    env = {**os.environ, "ESCALATE_MATRIX": str(ROOT / "tests" / "data" / "basic.yaml")}
    env["ESCALATE_NOW"] = "2026-11-23T10:00:00Z"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if runs + 1 > cases:
        raise SystemExit(f"--cases must be at least --runs + 1 ({runs + 1}): one per acknowledge")
    with tempfile.TemporaryDirectory() as folder:
        stores = {"json": str(Path(folder) / "cases.json"), "postgres": url}
        for store in stores.values():
            for n in range(cases):
                args = [ESCALATE, "--store", store, "open", f"case {n}", "-q"]
                subprocess.run(args, env=env, check=True, capture_output=True)
        middle = str(cases // 2)
        for name in COMMANDS:
            if name == "acknowledge":
                argvs = [["acknowledge", str(cases - n)] for n in range(runs + 1)]
            else:
                argvs = [[name] + ([middle] if name != "list" else [])] * (runs + 1)
            json_ms, pg_ms = medians_ms([stores["json"], stores["postgres"]], argvs, env)
            yield name, json_ms, pg_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--cases", type=int, default=10)
    options = parser.parse_args()
    print("| command | JSON | PostgreSQL | ratio |\n| --- | --- | --- | --- |")
    for name, json_ms, pg_ms in compare(options.url, options.runs, options.cases):
        print(f"| {name} | {json_ms:.0f} ms | {pg_ms:.0f} ms | {pg_ms / json_ms:.2f}x |")


if __name__ == "__main__":
    main()
