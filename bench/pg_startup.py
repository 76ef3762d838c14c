"""A single-case command on a JSON store and on PostgreSQL: medians and their ratio.

Usage: .venv/bin/python bench/pg_startup.py URL [--runs N]

URL names an empty database (or schema) that may be filled: 20 cases are opened in it and in a
temporary JSON store, then each command runs N times as a fresh process on each store.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ESCALATE = str(Path(sys.executable).with_name("escalate"))
COMMANDS = {"show": ["show", "7"], "acknowledge": ["acknowledge", "7"], "next": ["next", "7"]}
COMMANDS["list"] = ["list"]


def median_ms(store: str, args: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        argv = [ESCALATE, "--store", store, *args]
        subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    env = {**os.environ, "ESCALATE_MATRIX": str(ROOT / "tests" / "data" / "basic.yaml")}
    env["ESCALATE_NOW"] = "2026-11-23T10:00:00Z"
    with tempfile.TemporaryDirectory() as folder:
        stores = {"json": str(Path(folder) / "cases.json"), "postgres": options.url}
        for store in stores.values():
            for n in range(20):
                args = [ESCALATE, "--store", store, "open", f"case {n}", "-q"]
                subprocess.run(args, env=env, check=True, capture_output=True)
        print("| command | JSON | PostgreSQL | ratio |\n| --- | --- | --- | --- |")
        for name, args in COMMANDS.items():
            json_ms = median_ms(stores["json"], args, env, options.runs)
            pg_ms = median_ms(stores["postgres"], args, env, options.runs)
            print(f"| {name} | {json_ms:.0f} ms | {pg_ms:.0f} ms | {pg_ms / json_ms:.2f}x |")


if __name__ == "__main__":
    main()
