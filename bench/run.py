"""Time whole `escalate` processes; print medians and their ratio to `python -c pass`.

Usage: .venv/bin/python bench/run.py [all|startup|cases|sweep|metrics|race|search|lists]
           [--runs N]
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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stores
from escalate_cli.core.time.timing import to_iso

ESCALATE = [str(Path(sys.executable).with_name("escalate"))]
Row = tuple[str, str, float, str]


def timed(argv: list[str], env: dict[str, str], runs: int, *, warm: bool = True) -> float:
    """Median wall time of `runs` fresh processes, in milliseconds, after one unmeasured run
    (bytecode written, files in the page cache) unless `warm` is False."""
    if warm:
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def env_for(store: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        ESCALATE_STORE=str(store),
        ESCALATE_MATRIX=str(stores.MATRIX),
        ESCALATE_NOW=to_iso(stores.NOW),
    )
    # Users' Pythons keep compiled bytecode; without it every run recompiles escalate itself
    # (about 100 ms here), which is not what anyone installing it would see.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def startup(workdir: Path, runs: int) -> Iterator[Row]:
    env = env_for(workdir / "none.json")
    for args in (["--help"], ["--version"]):
        yield " ".join(args), "any", timed([*ESCALATE, *args], env, runs), "150 ms"


def cases(workdir: Path, runs: int) -> Iterator[Row]:
    """Single-case commands on a store with a large archive, and on a large hot file."""
    layouts = [
        ("1,000 open + 100,000 archived", dict(open_cases=1_000, archived=100_000), "150 ms"),
        ("10,000 open", dict(open_cases=10_000), "300 ms"),
    ]
    for label, layout, budget in layouts:
        store = stores.build(workdir / f"cases-{time.time_ns()}.json", **layout)
        env = env_for(store)
        last = json.loads(
            subprocess.run(
                [*ESCALATE, "list", "--json"], env=env, capture_output=True, text=True
            ).stdout
        )[-1]["id"]
        for command in (["show", last], ["who", last], ["next", last]):
            yield command[0], label, timed([*ESCALATE, *command], env, runs), budget
        yield "acknowledge", label, timed([*ESCALATE, "acknowledge", last], env, runs), budget
        if layout.get("archived") is None:
            yield "open", label, timed([*ESCALATE, "open", "bench", "-q"], env, runs), "300 ms"


def sweep(workdir: Path, runs: int) -> Iterator[Row]:
    """`sweep` on 10,000 open cases of which 500 are due; a fresh store for every run."""
    for dry in (True, False):
        samples = []
        for _ in range(runs):
            store = stores.build(
                workdir / f"sweep-{time.time_ns()}.json", open_cases=10_000, due=500
            )
            args = [*ESCALATE, "sweep", "--json"] + (["--dry-run"] if dry else [])
            # A sweep changes its store, so it runs once per fresh store and is never warmed.
            samples.append(timed(args, env_for(store), 1, warm=False))
        name = "sweep --dry-run" if dry else "sweep"
        yield name, "10,000 open, 500 due", statistics.median(samples), "2 s"


def metrics(workdir: Path, runs: int) -> Iterator[Row]:
    store = stores.build(workdir / "metrics.json", open_cases=0, archived=100_000)
    yield "metrics", "100,000 archived", timed([*ESCALATE, "metrics"], env_for(store), runs), "5 s"


@dataclass(frozen=True)
class Ran:
    """One command of a race: what it printed, its wall time and its own CPU (user + system),
    in seconds."""

    out: str
    wall: float
    cpu: float


def run_one(argv: list[str], env: dict[str, str]) -> Ran:
    """Run argv to its end; its CPU from wait4, which reports that child alone (getrusage's
    RUSAGE_CHILDREN sums every child the race's threads reaped)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    with proc.stdout, proc.stderr:
        out, _ = proc.stdout.read(), proc.stderr.read()  # a line each: neither pipe fills
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    wall = time.perf_counter() - start
    return Ran(out.strip(), wall, usage.ru_utime + usage.ru_stime)


def open_race(escalate: str, env: dict[str, str]) -> tuple[list[Ran], float]:
    """20 processes x 50 `escalate open` at once, titled `race I-N`: each command as it ran,
    and the whole race's wall time in milliseconds."""

    def worker(index: int) -> list[Ran]:
        return [run_one([escalate, "open", f"race {index}-{n}", "-q"], env) for n in range(50)]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        ran = [one for made in pool.map(worker, range(20)) for one in made]
    return ran, (time.perf_counter() - start) * 1000


def race(workdir: Path, runs: int) -> Iterator[Row]:
    """20 processes x 50 `open` at once on 1,000 open cases: nothing lost, ids unique."""
    store = stores.build(workdir / "race.json", open_cases=1_000)
    env = env_for(store)
    ran, total = open_race(ESCALATE[0], env)
    ids, waits = [one.out for one in ran], [one.wall for one in ran]
    listed = json.loads(
        subprocess.run(
            [*ESCALATE, "list", "--json"], env=env, capture_output=True, text=True
        ).stdout
    )
    lost = 1_000 - sum(1 for case in listed if case["title"].startswith("race "))
    unique = len(set(ids)) == len(ids) == 1_000
    print(f"race: {lost} lost, ids unique: {unique}, slowest single open {max(waits):.1f} s")
    yield "20 x 50 open", "1,000 open", total, "30 s, each <= 5 s"


def search(workdir: Path, runs: int) -> Iterator[Row]:
    """`search` reads the archive with history: a word in every case (each parsed), a word in
    one case, a word in none (the byte screen alone), beside `list --status all`."""
    store = stores.build(workdir / "search.json", open_cases=1_000, archived=10_000)
    env = env_for(store)
    label = "1,000 open + 10,000 archived"
    for args in (
        ["search", "checkout"],
        ["search", "customer 10999"],
        ["search", "zebra"],
        ["list", "--status", "all"],
    ):
        yield " ".join(args)[:18], label, timed([*ESCALATE, *args], env, runs), "1 s"


def lists(workdir: Path, runs: int) -> Iterator[Row]:
    """Issue 14's budgets for people's views: `list` of 1,000 and 10,000 active cases, `list
    --overdue` of 10,000, `show` of a case with 5,000 timeline events; beside `escalate
    --version` and Taskwarrior's `task list` of 10,000 tasks, which they are measured against
    (each budget says which). Every command runs once in turn, `runs` times over: this shared
    machine's speed swings by a third within a minute, and so falls on all of them alike."""
    taskwarrior = taskwarrior_list(workdir)
    commands: list[tuple[str, str, list[str], dict[str, str]]] = [
        ("--version", "-", [*ESCALATE, "--version"], dict(os.environ)),
    ]
    if taskwarrior is not None:
        commands.append(("task list", "10,000 pending tasks", *taskwarrior))
    for count in (1_000, 10_000):
        env = env_for(
            stores.build(workdir / f"list-{count}.json", open_cases=count, due=count // 20)
        )
        commands.append(("list", f"{count:,} open", [*ESCALATE, "list"], env))
        if count == 10_000:
            commands.append(
                ("list --overdue", "10,000 open", [*ESCALATE, "list", "--overdue"], env)
            )
    long_case, env = long_case_store(workdir)
    commands.append(("show", "5,000 timeline events", [*ESCALATE, "show", long_case], env))
    samples: list[list[float]] = [[] for _ in commands]
    for turn in range(runs + 1):
        for index, (_, _, argv, env) in enumerate(commands):
            took = timed(argv, env, 1, warm=False)
            if turn:  # the first turn is unmeasured: bytecode written, files in the page cache
                samples[index].append(took)
    medians = {
        name + label: statistics.median(taken)
        for (name, label, _, _), taken in zip(commands, samples, strict=True)
    }
    version = medians["--version-"]
    ten_thousand = medians.get("task list10,000 pending tasks")
    budgets = {
        "--version": "the baseline",
        "task list": "Taskwarrior, the baseline",
        "list --overdue": "500 ms",
    }
    for name, label, _, _ in commands:
        if name in budgets:
            budget = budgets[name]
        elif name == "list" and label.startswith("10,000"):
            budget = f"{ten_thousand:.0f} ms (Taskwarrior)" if ten_thousand else "357 ms"
        else:
            budget = f"{1.5 * version:.0f} ms (1.5x --version)"
        yield name, label, medians[name + label], budget


def taskwarrior_list(workdir: Path) -> tuple[list[str], dict[str, str]] | None:
    """`task list` of 10,000 pending tasks, as the issue measured Taskwarrior, and its
    environment; None when the `task` command is not installed (the issue's 357 ms is used
    then)."""
    import shutil

    if shutil.which("task") is None:
        return None
    data = workdir / "taskwarrior"
    data.mkdir()
    rc = workdir / "taskrc"
    rc.write_text(f"data.location={data}\nconfirmation=off\nverbose=nothing\n")
    tasks = workdir / "tasks.json"
    tasks.write_text(
        "\n".join(
            json.dumps(
                {
                    "uuid": f"00000000-0000-4000-8000-{n:012d}",
                    "description": f"Task {n}: the checkout gateway times out",
                    "status": "pending",
                    "entry": "20261120T100000Z",
                    "due": "20261130T100000Z",
                    "project": "support",
                }
            )
            for n in range(10_000)
        )
    )
    env = dict(os.environ, TASKRC=str(rc))
    subprocess.run(["task", "import", str(tasks)], env=env, capture_output=True, check=True)
    return ["task", "list"], env


def long_case_store(workdir: Path) -> tuple[str, dict[str, str]]:
    """A store holding one case whose timeline holds 5,000 notes (a long incident): its id
    and the environment that reads it."""
    from escalate_cli import Session
    from escalate_cli.core.cases.corrections import note

    path = workdir / "long.json"
    with Session(path, stores.MATRIX, now=stores.NOW, user="frontline") as session:
        opened = session.open("A long incident", severity="sev1")

        def notes(matrix: Any, case: Any, now: Any) -> None:
            for n in range(5_000):
                note(case, stores.NOW, f"status check {n}: still looking at the gateway", "sam")

        session.change(opened.case["id"], notes)
    return str(opened.case["id"]), env_for(path)


SUITES: dict[str, Callable[[Path, int], Iterator[Row]]] = {
    "startup": startup,
    "cases": cases,
    "sweep": sweep,
    "metrics": metrics,
    "race": race,
    "search": search,
    "lists": lists,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suite", nargs="?", default="all", choices=["all", *SUITES])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    baseline = timed([sys.executable, "-c", "pass"], dict(os.environ), max(options.runs, 5))
    print(f"python -c pass: {baseline:.0f} ms (median of {max(options.runs, 5)})")
    print(f"{'command':<18} {'store':<30} {'median':>9} {'ratio':>7}  budget")
    chosen = SUITES if options.suite == "all" else {options.suite: SUITES[options.suite]}
    with tempfile.TemporaryDirectory(prefix="escalate-bench-") as tmp:
        for suite in chosen.values():
            for name, store, median, budget in suite(Path(tmp), options.runs):
                ratio = median / baseline
                print(
                    f"{name:<18} {store:<30} {median:>7.0f}ms {ratio:>6.1f}x  {budget}", flush=True
                )


if __name__ == "__main__":
    main()
