"""PostgreSQL budgets, on a throw-away cluster this script starts and removes.

Usage: .venv/bin/python bench/pg.py [all|size|startup|sweep|metrics|race|search] [--runs N]
           [--open N] [--closed N] [--serial N]

- size: `show`, `who`, `next`, `acknowledge` on a store of --open open and --closed closed
  cases (100,000 and 1,000,000), against the same command on a PostgreSQL store of 10 cases
  (budget 1.2x).
- startup: a single-case command on PostgreSQL against the same on a JSON store, 10 cases each
  (budget 1.5x; bench/pg_startup.py).
- sweep: `sweep` of 10,000 open cases of which 500 are due, a fresh store per run (budget 1 s).
- metrics: `metrics` over the big store of the size suite (budget 2 s).
- search: `search` of a word in one case and of a word in none, over the big store of the size
  suite (budget 1 s).
- race: 20 processes x 50 `open` on 1,000 open cases: none lost, no command over 2 s, and the
  wall time within 1.2x the same commands run one at a time divided by the cores.

Rows are loaded with COPY from documents the engine made (bench/stores.py), cloned with new
numbers, ids, titles and times, never through `escalate open`. Every timed command is a fresh
process after one unmeasured run, as bench/run.py times them.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pg_startup, stores
from bench.run import open_race
from escalate_cli.core.matrix import load_matrix
from escalate_cli.core.store_file import dumps
from escalate_cli.core.store_pg import _CASE_COLUMNS, _METRICS_COLUMNS, PgStore, _metrics_row, _row
from escalate_cli.core.timing import to_iso
from escalate_cli.core.wake import matrix_key, wake

ESCALATE = str(Path(sys.executable).with_name("escalate"))
# (command, store, median ms, measured ratio or figure, budget, passed)
Row = tuple[str, str, float, str, str, bool]


def _field(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):  # an array literal: {"a","b"}
        quoted = (item.replace("\\", "\\\\").replace('"', '\\"') for item in value)
        value = "{" + ",".join(f'"{item}"' for item in quoted) + "}"
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(raw, escaped)
    return text


class Cluster:
    """The throw-away cluster of tests/pg_server.py; one schema per store."""

    def __init__(self) -> None:
        from tests.pg_server import start

        self.folder = Path(tempfile.mkdtemp(prefix="escalate-pgbench-"))
        self.server = start(self.folder)
        self.count = 0

    def store(self) -> str:
        """The URL of a new, empty store (with its schema created)."""
        url = str(self.server.url(self.server.new_schema()))
        store = PgStore(url)
        store.prepare()
        store.close()
        return url

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Documents:
    """Realistic case documents by kind: due (open, unacknowledged, 3 hours old), quiet (open,
    acknowledged), closed (spread over 60 days, so `metrics --since` has something to cut)."""

    def __init__(self) -> None:
        matrix = load_matrix(stores.MATRIX)
        rng = stores.random.Random(7)
        self.matrix, self.key = matrix, matrix_key(matrix)
        self.prefix = matrix.case_prefix
        self.kinds: dict[str, list[stores._Templates]] = {
            "due": [stores._Templates(matrix, stores.NOW - timedelta(hours=3), "open", rng)],
            "quiet": [
                stores._Templates(matrix, stores.NOW - timedelta(minutes=10), "acknowledged", rng)
            ],
            "closed": [
                stores._Templates(
                    matrix, stores.NOW - timedelta(days=1 + day, hours=day % 7), "closed", rng
                )
                for day in range(60)
            ],
        }

    def make(self, kind: str, number: int) -> dict[str, Any]:
        templates = self.kinds[kind]
        return templates[number % len(templates)].make(number, self.prefix)


def load(url: str, docs: Documents, rows: Iterable[dict[str, Any]], chunk: int = 20_000) -> int:
    """COPY the cases into the store at url, in chunks, each with its wake as a write under
    the documents' matrix keeps it; set its last number; vacuum and analyze, as autovacuum
    would soon after a bulk load."""
    import psycopg2

    conn = psycopg2.connect(url)
    last = 0
    tables = {"cases": _CASE_COLUMNS, "case_metrics": _METRICS_COLUMNS}
    try:
        with conn.cursor() as cur:

            def flush(buffers: dict[str, io.StringIO]) -> None:
                for table, buffer in buffers.items():
                    buffer.seek(0)
                    cur.copy_expert(f"COPY {table} ({tables[table]}) FROM STDIN", buffer)

            buffers = {table: io.StringIO() for table in tables}
            size = 0
            for case in rows:
                values = _row(case, dumps(case).decode(), wake(docs.matrix, case, docs.key))
                buffers["cases"].write("\t".join(_field(v) for v in values) + "\n")
                figures = _metrics_row(case)
                buffers["case_metrics"].write("\t".join(_field(v) for v in figures) + "\n")
                size += 1
                last = max(last, case["number"])
                if size == chunk:
                    flush(buffers)
                    buffers, size = {table: io.StringIO() for table in tables}, 0
            if size:
                flush(buffers)
            cur.execute("UPDATE store_meta SET last_number = %s WHERE id = 1", (last,))
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE cases")
            cur.execute("VACUUM ANALYZE case_metrics")
    finally:
        conn.close()
    return last


def layout(docs: Documents, *, closed: int, open_cases: int, due: int) -> Iterator[dict[str, Any]]:
    """Closed cases first (the oldest numbers), then open ones; the first `due` open are due."""
    for number in range(1, closed + 1):
        yield docs.make("closed", number)
    for index in range(open_cases):
        kind = "due" if index < due else "quiet"
        yield docs.make(kind, closed + 1 + index)


def newest_due(docs: Documents, *, closed: int, open_cases: int, due: int) -> Iterator[Any]:
    """A store whose newest `due` cases are due (acknowledge has a fresh case for each run)."""
    for number in range(1, closed + 1):
        yield docs.make("closed", number)
    for index in range(open_cases):
        kind = "due" if index >= open_cases - due else "quiet"
        yield docs.make(kind, closed + 1 + index)


def env_for(store: str) -> dict[str, str]:
    env = dict(
        os.environ,
        ESCALATE_STORE=store,
        ESCALATE_MATRIX=str(stores.MATRIX),
        ESCALATE_NOW=to_iso(stores.NOW),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as bench/run.py: users keep their bytecode
    return env


def run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv[1:]} exit {done.returncode}: {done.stderr.strip()}")
    return took * 1000


def median_of(argvs: list[list[str]], env: dict[str, str]) -> float:
    """The median of argvs[1:], each a fresh process, after argvs[0] unmeasured."""
    run(argvs[0], env)
    return statistics.median(run(argv, env) for argv in argvs[1:])


def side_by_side(
    stores_last: list[tuple[str, int]], runs: int
) -> Iterator[tuple[str, list[float]]]:
    """Each single-case command's median on each store, the stores' runs taken in turn (one
    run on each, then the next), so that the shared machine's noise falls on both alike."""
    envs = [env_for(store) for store, _ in stores_last]
    for name in ("show", "who", "next", "acknowledge"):
        samples: list[list[float]] = [[] for _ in stores_last]
        for n in range(runs + 1):
            for index, (_, last) in enumerate(stores_last):
                # Each acknowledge takes a case nobody acknowledged yet (a second is refused).
                case = str(last - n) if name == "acknowledge" else str(last)
                argv = [ESCALATE, name, case] + (["--by", "sam"] if name == "acknowledge" else [])
                took = run(argv, envs[index])
                if n:  # the first is the unmeasured warm-up
                    samples[index].append(took)
        yield name, [statistics.median(one) for one in samples]


class Bench:
    def __init__(self, cluster: Cluster, options: argparse.Namespace) -> None:
        self.cluster, self.options = cluster, options
        self.docs = Documents()
        self._big: tuple[str, int] | None = None

    def big(self) -> tuple[str, int]:
        """The store of --open open and --closed closed cases (built once), and its last case."""
        if self._big is None:
            url = self.cluster.store()
            opts = self.options
            started = time.perf_counter()
            last = load(
                url,
                self.docs,
                newest_due(self.docs, closed=opts.closed, open_cases=opts.open, due=opts.runs + 1),
            )
            took = time.perf_counter() - started
            print(f"loaded {opts.open:,} open + {opts.closed:,} closed in {took:.0f} s", flush=True)
            import psycopg2

            with psycopg2.connect(url) as conn, conn.cursor() as cur:
                cur.execute("SELECT count(*) FILTER (WHERE NOT exact) FROM case_metrics")
                print(f"cases metrics cannot sum in SQL: {cur.fetchone()[0]}", flush=True)
            self._big = url, last
        return self._big

    def big_label(self) -> str:
        return f"{self.options.open:,} open + {self.options.closed:,} closed"

    def size(self) -> Iterator[Row]:
        runs = self.options.runs
        small = self.cluster.store()
        load(small, self.docs, newest_due(self.docs, closed=0, open_cases=10, due=10))
        url, last = self.big()
        for name, (base, ms) in side_by_side([(small, 10), (url, last)], runs):
            ratio = ms / base
            figure = f"{ratio:.2f}x of {base:.0f} ms (10 cases)"
            yield name, self.big_label(), ms, figure, "1.2x", ratio <= 1.2

    def startup(self) -> Iterator[Row]:
        url = self.cluster.store()
        for name, json_ms, pg_ms in pg_startup.compare(url, self.options.runs, cases=10):
            ratio = pg_ms / json_ms
            label = "10 cases"
            measured = f"{ratio:.2f}x of {json_ms:.0f} ms (JSON)"
            yield name, label, pg_ms, measured, "1.5x", ratio <= 1.5

    def sweep(self) -> Iterator[Row]:
        for dry in (True, False):
            samples = []
            for _ in range(self.options.runs):
                url = self.cluster.store()
                load(url, self.docs, layout(self.docs, closed=0, open_cases=10_000, due=500))
                argv = [ESCALATE, "sweep", "--json"] + (["--dry-run"] if dry else [])
                samples.append(run(argv, env_for(url)))  # changes its store: never warmed
            name = "sweep --dry-run" if dry else "sweep"
            ms = statistics.median(samples)
            yield name, "10,000 open, 500 due", ms, f"{ms / 1000:.2f} s", "1 s", ms <= 1000

    def metrics(self) -> Iterator[Row]:
        url, _ = self.big()
        ms = median_of([[ESCALATE, "metrics"]] * (self.options.runs + 1), env_for(url))
        yield "metrics", self.big_label(), ms, f"{ms / 1000:.2f} s", "2 s", ms <= 2000

    def race(self) -> Iterator[Row]:
        url = self.cluster.store()
        load(url, self.docs, layout(self.docs, closed=0, open_cases=1_000, due=0))
        env = env_for(url)
        run([ESCALATE, "open", "warm-up", "-q"], env)
        ids, waits, wall = open_race(ESCALATE, env)
        store = PgStore(url)
        titles = [case["title"] for case in store.cases(history=False)]
        lost = 1_000 - sum(1 for title in titles if title.startswith("race "))
        unique = len(set(ids)) == len(ids) == 1_000 and "" not in ids
        # The same command one at a time, on the store the race left (2,001 open cases).
        serial_n = self.options.serial
        started = time.perf_counter()
        for n in range(serial_n):
            run([ESCALATE, "open", f"serial {n}", "-q"], env)
        serial = (time.perf_counter() - started) * 1000 * 1_000 / serial_n
        store.close()
        cores = os.cpu_count() or 1
        limit = 1.2 * serial / cores
        slowest = max(waits)
        print(
            f"race: {lost} lost, ids unique: {unique}, slowest single open {slowest:.2f} s;"
            f" one at a time: {serial / 1000:.1f} s for 1,000 (from {serial_n} runs),"
            f" {cores} cores",
            flush=True,
        )
        figure = (
            f"{wall / (serial / cores):.2f}x of {serial / cores / 1000:.1f} s"
            f" (serial / {cores} cores); slowest {slowest:.2f} s; {lost} lost"
        )
        passed = lost == 0 and unique and slowest <= 2.0 and wall <= limit
        yield "20 x 50 open", "1,000 open", wall, figure, "1.2x, each <= 2 s, 0 lost", passed

    def search(self) -> Iterator[Row]:
        """The GIN index at work: a word in one case (its number, from its title) and a word in
        none, over the big store's open and closed cases."""
        url, last = self.big()
        env = env_for(url)
        for words in (f"customer {last}", "zebra"):
            argv = [ESCALATE, "search", words, "--json"]
            ms = median_of([argv] * (self.options.runs + 1), env)
            yield f"search {words}"[:16], self.big_label(), ms, f"{ms:.0f} ms", "1 s", ms <= 1000


SUITES = ("size", "startup", "sweep", "metrics", "race", "search")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suite", nargs="?", default="all", choices=["all", *SUITES])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument(
        "--serial", type=int, default=1_000, help="opens timed one at a time for the race"
    )
    options = parser.parse_args()
    chosen = SUITES if options.suite == "all" else (options.suite,)
    cluster = Cluster()
    rows: list[Row] = []
    try:
        bench = Bench(cluster, options)
        for suite in chosen:
            method: Callable[[], Iterator[Row]] = getattr(bench, suite)
            for row in method():
                rows.append(row)
                name, label, ms, figure, budget, passed = row
                verdict = "pass" if passed else "FAIL"
                print(f"{name:<16} {label:<34} {ms:>8.0f} ms  {figure}  [{budget}] {verdict}")
                sys.stdout.flush()
    finally:
        cluster.stop()
    print("\n| command | store | median | measured | budget | |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, label, ms, figure, budget, passed in rows:
        shown = f"{ms / 1000:.1f} s" if ms >= 10_000 else f"{ms:,.0f} ms"
        verdict = "pass" if passed else "**fail**"
        print(f"| `{name}` | {label} | {shown} | {figure} | {budget} | {verdict} |")


if __name__ == "__main__":
    main()
