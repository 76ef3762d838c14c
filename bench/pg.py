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
- race: 20 processes x 50 `open` on 1,000 open cases: none lost, no command waiting over 2 s
  for a lock (the server logs each wait over 50 ms), and the wall time within 1.2x the same
  commands run one at a time divided by the cores. It prints each command's wall time beside
  its CPU, and the CPU of all of them against the cores: 20 processes on 2 cores take 10 times
  their CPU whether or not they wait for each other.

Rows are loaded with COPY from documents the engine made (bench/stores.py), cloned with new
numbers, ids, titles and times, never through `escalate open`. Every timed command is a fresh
process after one unmeasured run, as bench/run.py times them.
"""

from __future__ import annotations

import argparse
import io
import os
import re
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
from bench.run import Ran, open_race, run_one
from escalate_cli.core.engine.wake import matrix_key, wake
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.store.store_file import dumps
from escalate_cli.core.store.store_pg import (
    _CASE_COLUMNS,
    _METRICS_COLUMNS,
    PgStore,
    _metrics_row,
    _row,
)
from escalate_cli.core.time.timing import to_iso

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


WAIT_LOGGED_MS = 50  # deadlock_timeout: lock waits longer than this are logged
_WAIT = re.compile(r"process (\d+) (acquired|failed to acquire) .*? after ([\d.]+) ms")


class Cluster:
    """The throw-away cluster of tests/pg_server.py; one schema per store. It logs every lock
    wait longer than WAIT_LOGGED_MS, so the race can tell waiting for a lock from waiting for a
    core."""

    def __init__(self) -> None:
        from tests.pg_server import start

        self.folder = Path(tempfile.mkdtemp(prefix="escalate-pgbench-"))
        self.server = start(self.folder)
        self.log = self.folder / "log"  # where pg_ctl -l sends the server's log
        self.count = 0
        self._log_lock_waits()

    def _log_lock_waits(self) -> None:
        """Only here, not in the tests' cluster: a wait is logged once it reaches
        deadlock_timeout, which also sets when the deadlock check runs (1 s by default)."""
        import psycopg2

        with self.server.admin.cursor() as cur:
            cur.execute("ALTER SYSTEM SET log_lock_waits = on")
            cur.execute(f"ALTER SYSTEM SET deadlock_timeout = '{WAIT_LOGGED_MS}ms'")
            cur.execute("SELECT pg_reload_conf()")
        for _ in range(100):  # the reload reaches new backends a moment later
            conn = psycopg2.connect(self.server.url())
            try:
                with conn.cursor() as cur:
                    cur.execute("SHOW deadlock_timeout")
                    if cur.fetchone()[0] == f"{WAIT_LOGGED_MS}ms":
                        return
            finally:
                conn.close()
            time.sleep(0.05)
        raise RuntimeError("the cluster did not take log_lock_waits")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def lock_waits(self, since: int) -> list[tuple[int, float]]:
        """(backend pid, seconds) of each lock wait over WAIT_LOGGED_MS that ended after the log
        had `since` bytes: "process N acquired ShareLock on transaction T after 812.3 ms"."""
        with self.log.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        return [(int(pid), float(ms) / 1000) for pid, _, ms in _WAIT.findall(text)]

    def server_cpu(self) -> float:
        """Seconds of CPU the server has used: the postmaster's own, and that of the backends
        it has reaped (one per connection, so one per `escalate` command)."""
        pid = (self.folder / "data" / "postmaster.pid").read_text().split()[0]
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # fields 3 onwards of proc(5)
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")

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
        cluster = self.cluster
        mark, server_before, busy_before = cluster.log_size(), cluster.server_cpu(), busy()
        ran, wall = open_race(ESCALATE, env)
        server = cluster.server_cpu() - server_before
        machine = busy() - busy_before
        waits = cluster.lock_waits(mark)
        store = PgStore(url)
        titles = [case["title"] for case in store.cases(history=False)]
        store.close()
        ids = [one.out for one in ran]
        lost = 1_000 - sum(1 for title in titles if title.startswith("race "))
        unique = len(set(ids)) == len(ids) == 1_000 and "" not in ids
        # The same command one at a time, on the store the race left (2,001 open cases).
        serial_n = self.options.serial
        server_before, busy_before = cluster.server_cpu(), busy()
        started = time.perf_counter()
        alone = [run_one([ESCALATE, "open", f"serial {n}", "-q"], env) for n in range(serial_n)]
        serial = (time.perf_counter() - started) * 1000 * 1_000 / serial_n
        server_alone = cluster.server_cpu() - server_before
        machine_alone = busy() - busy_before
        cores = os.cpu_count() or 1
        limit = 1.2 * serial / cores
        # A command that waits for the meta row waits for each holder in turn: its waits add up.
        by_command: dict[int, float] = {}
        for pid, seconds in waits:
            by_command[pid] = by_command.get(pid, 0.0) + seconds
        locked = max(by_command.values(), default=0.0)
        over = sum(1 for seconds in by_command.values() if seconds > 2.0)
        slowest = max(one.wall for one in ran)
        print(f"race: {lost} lost, ids unique: {unique}", flush=True)
        costs = report(
            ran, alone, wall, serial, (server, server_alone), (machine, machine_alone), cores
        )
        shown = f"{locked:.2f} s" if waits else f"none over {WAIT_LOGGED_MS} ms"
        print(
            f"  lock waits over {WAIT_LOGGED_MS} ms: {len(waits)} in {len(by_command)} commands;"
            f" the longest a command waited for locks: {shown}; commands that waited over 2 s:"
            f" {over}",
            flush=True,
        )
        figure = (
            f"{wall / (serial / cores):.2f}x of {serial / cores / 1000:.1f} s"
            f" (serial / {cores} cores), in CPU {costs:.2f}x; longest lock wait {shown}"
            f" (slowest whole command {slowest:.2f} s); {lost} lost"
        )
        passed = lost == 0 and unique and locked <= 2.0 and wall <= limit
        budget = "1.2x, lock wait <= 2 s, 0 lost"
        yield "20 x 50 open", "1,000 open", wall, figure, budget, passed


def busy() -> float:
    """Seconds of CPU the whole machine has spent busy (from /proc/stat), but for this
    script's own (the race's threads starting processes)."""
    import resource

    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    own = resource.getrusage(resource.RUSAGE_SELF)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK") - own.ru_utime - own.ru_stime


def report(
    ran: list[Ran],
    alone: list[Ran],
    wall: float,
    serial: float,
    server: tuple[float, float],
    machine: tuple[float, float],
    cores: int,
) -> float:
    """Where the race's time went: each command's wall time against its own CPU, the CPU of
    all of them (theirs and the server's) against the cores, and what else the cores ran.
    Returns the CPU of a racing open over that of one run alone."""

    def spread(values: list[float], unit: float = 1.0, fmt: str = ".2f") -> str:
        cuts = statistics.quantiles(values, n=20)
        picked = statistics.median(values), cuts[18], max(values)
        return "median {:{f}}, p95 {:{f}}, max {:{f}}".format(*(v * unit for v in picked), f=fmt)

    n, seconds = len(ran), wall / 1000
    cpu = sum(one.cpu for one in ran) + server[0]
    alone_cpu = sum(one.cpu for one in alone) + server[1]
    share = 20 / cores  # 20 opens running at once, `cores` cores between them
    print(f"race of {n} opens, 20 at a time, on {cores} cores (shared with other work):")
    print(f"  wall per open, s: {spread([one.wall for one in ran])}")
    print(f"  CPU per open (its process, user+sys), ms: {spread([r.cpu for r in ran], 1e3, '.0f')}")
    print(
        f"  CPU of the race: {cpu - server[0]:.1f} s in the opens + {server[0]:.1f} s in the"
        f" server = {cpu:.1f} s, {cpu / cores / seconds:.0%} of {cores} cores for its"
        f" {seconds:.1f} s; everything else on the machine (other people's work)"
        f" {max(machine[0] - cpu, 0) / cores / seconds:.0%}"
    )
    print(
        f"  a mean open: {cpu / n * 1000:.0f} ms of CPU (its own and the server's); each of the"
        f" 20 gets 1/{share:g} of a core, so {cpu / n * share:.2f} s; measured mean wall"
        f" {statistics.fmean(one.wall for one in ran):.2f} s",
    )
    print(
        f"  one at a time ({len(alone)} opens): wall per open, ms:"
        f" {spread([one.wall for one in alone], 1000, '.0f')};"
        f" CPU per open {(alone_cpu - server[1]) / len(alone) * 1000:.0f} ms in the open"
        f" + {server[1] / len(alone) * 1000:.0f} ms in the server; 1,000 take"
        f" {serial / 1000:.1f} s, while other people's work took"
        f" {max(machine[1] - alone_cpu, 0) / cores / (serial / 1000 * len(alone) / 1000):.0%}"
        f" of the cores",
    )
    costs = cpu / n / (alone_cpu / len(alone))
    print(
        f"  racing cost CPU: {cpu / n * 1000:.0f} ms per open against"
        f" {alone_cpu / len(alone) * 1000:.0f} ms one at a time, {costs:.2f}x",
        flush=True,
    )
    return costs

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
