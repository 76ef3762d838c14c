"""Soak one store: writers and readers race real `escalate` processes for a set time, then every
change a command said it made is looked for in the files.

Usage: .venv/bin/python bench/soak.py [--seconds 60] [--writers 10] [--readers 5] [--seed N]

Writers run open, acknowledge, update, up, sweep, resolve, close and reopen on the cases opened
so far; readers run list, list --status all and show. Each text a writer gives (a title, a note,
an update, a reason, a summary) is unique, and each command that exits 0 must have left its
event on its case: the update text in the timeline, one more `closed` event per close, and so
on. Prints the exit codes seen, the latency of each command (median and max) and every lost
update; exits 1 on a lost update, an exit 1 (a bug), a reader's unreadable JSON or a store that
is not valid JSON at the end. Exit 5 (refused: closing a closed case, say) is expected.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escalate_cli.core.store.json_store import CaseStore

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "matrices" / "support.yaml"
ESCALATE = str(Path(sys.executable).with_name("escalate"))
# Writer commands and how often each is picked; the event each success leaves on its case.
WRITES = {
    "open": 12,
    "acknowledge": 10,
    "update": 30,
    "up": 8,
    "sweep": 4,
    "resolve": 14,
    "close": 8,
    "reopen": 14,
}
EVENT = {
    "open": "opened",
    "acknowledge": "acknowledged",
    "update": "update",
    "up": "escalated",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "reopened",
}


@dataclass
class Run:
    """One finished command."""

    name: str
    argv: list[str]
    code: int
    seconds: float
    stdout: str
    case: str | None = None  # the case it worked on
    text: str | None = None  # the unique text its event must carry


@dataclass
class Soak:
    env: dict[str, str]
    deadline: float
    cases: list[str] = field(default_factory=list)  # ids opened so far
    runs: list[Run] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # readers' output that was not JSON
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, name: str, args: list[str], case: str | None, text: str | None) -> Run:
        start = time.perf_counter()
        done = subprocess.run(
            [ESCALATE, *args], env=self.env, capture_output=True, text=True, check=False
        )
        run = Run(name, args, done.returncode, time.perf_counter() - start, done.stdout)
        run.case, run.text = case, text
        with self.lock:
            self.runs.append(run)
        if done.returncode == 1:
            print(f"exit 1: escalate {' '.join(args)}\n{done.stderr}", file=sys.stderr)
        return run

    def pick(self, rng: random.Random) -> str | None:
        with self.lock:
            return rng.choice(self.cases) if self.cases else None


def writer(soak: Soak, index: int, seed: int) -> None:
    rng = random.Random(seed * 1000 + index)
    names, weights = list(WRITES), list(WRITES.values())
    for n in range(1_000_000):
        if time.monotonic() >= soak.deadline:
            return
        tag = f"w{index}-{n}"
        name = rng.choices(names, weights)[0]
        case = soak.pick(rng)
        if name == "open" or case is None:
            run = soak.run("open", ["open", f"soak {tag}", "-q"], None, f"soak {tag}")
            if run.code == 0:
                run.case = run.stdout.strip()
                with soak.lock:
                    soak.cases.append(run.case)
            continue
        text = f"{name} {tag}"
        args = {
            "acknowledge": ["acknowledge", case, "--note", text],
            "update": ["update", case, text],
            "up": ["up", case, "--force", "--reason", text],
            "sweep": ["sweep", "--json"],
            "resolve": ["resolve", case, "--summary", text],
            "close": ["close", case, "--summary", text] if rng.random() < 0.5 else ["close", case],
            "reopen": ["reopen", case, "--reason", text],
        }[name]
        if name == "sweep":
            soak.run(name, args, None, None)
        else:
            soak.run(name, args, case, text if args[-1] == text else None)


def reader(soak: Soak, index: int, seed: int) -> None:
    rng = random.Random(seed * 1000 + 100 + index)
    while time.monotonic() < soak.deadline:
        case = soak.pick(rng)
        roll = rng.random()
        if case is not None and roll < 0.5:
            args = ["show", case, "--json"]
        else:
            args = ["list", "--json"] + (["--status", "all"] if roll > 0.8 else [])
        run = soak.run(args[0], args, case, None)
        if run.code == 0:
            try:
                json.loads(run.stdout)
            except ValueError:
                with soak.lock:
                    soak.unreadable.append(" ".join(args))


def lost_updates(soak: Soak, store: Path) -> list[str]:
    """Every change a command said it made, looked for in the store at the end."""
    final = {case["id"]: case for case in CaseStore(store).cases(archived=True)}
    lost: list[str] = []
    wanted: dict[tuple[str, str], int] = Counter()
    for run in soak.runs:
        if run.code != 0 or run.name not in EVENT or run.case is None:
            continue
        case = final.get(run.case)
        if case is None:
            lost.append(f"{run.case} ({' '.join(run.argv)}): the case is gone")
            continue
        if run.name == "open" and case["title"] != run.text:
            lost.append(f"{run.case}: titled {case['title']!r}, opened as {run.text!r}")
        wanted[run.case, EVENT[run.name]] += 1
        if run.text is not None and run.name != "open":
            texts = [e["text"] for e in case["timeline"]]
            if not any(run.text in t for t in texts):
                lost.append(f"{run.case}: no event carries {run.text!r}")
    for (case_id, kind), count in sorted(wanted.items()):
        case = final.get(case_id)
        have = sum(1 for e in case["timeline"] if e["kind"] == kind) if case else 0
        if have < count:
            lost.append(f"{case_id}: {count} commands left a {kind} event, the case has {have}")
    return lost


def store_problems(store: Path) -> list[str]:
    """The files must be valid JSON, and no case may be left in both of them."""
    problems, numbers = [], []
    for path in (store, CaseStore(store).archive_path):
        try:
            numbers.append(set(json.loads(path.read_bytes())["cases"]))
        except (OSError, ValueError, KeyError) as error:
            problems.append(f"{path}: {error}")
    if len(numbers) == 2 and numbers[0] & numbers[1]:
        problems.append(f"in both files: {sorted(numbers[0] & numbers[1], key=int)}")
    return problems


def report(soak: Soak, lost: list[str], problems: list[str], seconds: float) -> bool:
    runs = soak.runs
    codes = Counter(run.code for run in runs)
    print(f"{len(runs)} commands in {seconds:.0f} s; {len(soak.cases)} cases opened")
    print("exit codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())))
    by_name: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_name[run.name].append(run)
    print(f"{'command':<12} {'runs':>5} {'exit 0':>7} {'median':>8} {'max':>8}")
    for name, group in sorted(by_name.items(), key=lambda item: -max(r.seconds for r in item[1])):
        times = [run.seconds for run in group]
        ok = sum(1 for run in group if run.code == 0)
        median, slowest = statistics.median(times), max(times)
        print(f"{name:<12} {len(group):>5} {ok:>7} {median:>7.2f}s {slowest:>7.2f}s")
    worst = max(runs, key=lambda run: run.seconds)
    print(f"slowest: escalate {' '.join(worst.argv)} took {worst.seconds:.2f} s")
    print(f"lost updates: {len(lost)}")
    for line in lost[:20]:
        print(f"  {line}")
    for line in soak.unreadable[:20]:
        print(f"  unreadable JSON from: escalate {line}")
    for line in problems:
        print(f"  store: {line}")
    return not (lost or codes[1] or soak.unreadable or problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--readers", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="escalate-soak-") as tmp:
        store = Path(tmp) / "cases.json"
        env = dict(
            os.environ,
            ESCALATE_STORE=str(store),
            ESCALATE_MATRIX=str(MATRIX),
            ESCALATE_USER="frontline",
            ESCALATE_CACHE_DIR=str(Path(tmp) / "cache"),
        )
        for name in ("ESCALATE_NOW", "ESCALATE_LOCK_TIMEOUT", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        subprocess.run([ESCALATE, "list"], env=env, capture_output=True, check=False)  # warm
        start = time.monotonic()
        soak = Soak(env, start + options.seconds)
        threads = [
            threading.Thread(target=writer, args=(soak, i, options.seed))
            for i in range(options.writers)
        ] + [
            threading.Thread(target=reader, args=(soak, i, options.seed))
            for i in range(options.readers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
        passed = report(soak, lost_updates(soak, store), store_problems(store), elapsed)
    print("PASS" if passed else "FAIL")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
