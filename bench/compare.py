"""Time this checkout's `escalate` against another revision's, the two taken in turn.

Usage: .venv/bin/python bench/compare.py REV [--runs N] [--cases N] [-- COMMAND ARGS...]
(the command defaults to `list`; `-- show ESC-1`, `-- --version` and the like also work)

Each side runs its own code: REV is checked out into a throw-away worktree and put first on
PYTHONPATH. Each side reads a store its own code built (bench/stores.py, one case in twenty
overdue): the wakes a store keeps are keyed by the code that works out due times, so a store
built by one side is read whole by the other, and the comparison would measure that instead.
The commands run from a folder of their own, as `python -m` puts the working folder first on
sys.path, and with a matrix cache of their own, found where a user's is (`$XDG_CACHE_HOME`, not
`$ESCALATE_CACHE_DIR`, which would spare both sides the look-up of the folder). Old and new run
in turn, `--runs` times after one unmeasured turn each: this shared machine's speed swings
within a minute, and so falls on both alike. Prints each side's median and fastest, and new/old
of each.
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
NOW = "2026-11-23T12:00:00Z"  # bench/stores.py's clock: its overdue cases are due by then
BUILD = (
    "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
    "from bench import stores;"
    "stores.build(Path(sys.argv[2]), open_cases=int(sys.argv[3]), due=int(sys.argv[3]) // 20)"
)


def side_env(tree: Path, store: Path, cache: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        PYTHONPATH=str(tree),
        ESCALATE_STORE=str(store),
        ESCALATE_MATRIX=str(ROOT / "matrices" / "support.yaml"),
        ESCALATE_NOW=NOW,
        XDG_CACHE_HOME=str(cache),
    )
    env.pop("ESCALATE_CACHE_DIR", None)
    # Users' Pythons keep compiled bytecode; without it each run recompiles escalate.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def build(tree: Path, store: Path, cases: int) -> None:
    subprocess.run(
        [sys.executable, "-c", BUILD, str(tree), str(store), str(cases)],
        env=side_env(tree, store, store.parent / "cache"),
        cwd=store.parent,
        check=True,
    )


def compare(rev: str, command: list[str], runs: int, cases: int) -> str:
    with tempfile.TemporaryDirectory(prefix="escalate-compare-") as tmp:
        work = Path(tmp)
        old_tree = work / "code"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old_tree), rev],
            check=True,
        )
        try:
            sides = {}
            for name, tree in (("old", old_tree), ("new", ROOT)):
                (work / name).mkdir()
                store = work / name / "cases.json"
                build(tree, store, cases)
                sides[name] = side_env(tree, store, work / name / "cache")
            taken: dict[str, list[float]] = {"old": [], "new": []}
            for turn in range(runs + 1):
                for name, env in sides.items():
                    start = time.perf_counter()
                    subprocess.run(
                        [sys.executable, "-m", "escalate_cli", *command],
                        env=env,
                        cwd=work,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    if turn:  # the first turn writes bytecode and the matrix cache
                        taken[name].append((time.perf_counter() - start) * 1000)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old_tree)],
                check=False,
            )
    old, new = taken["old"], taken["new"]
    median_old, median_new = statistics.median(old), statistics.median(new)
    return (
        f"{' '.join(command)} on {cases:,} open cases, {runs} runs each:"
        f" {rev} {median_old:.1f} ms (fastest {min(old):.1f}),"
        f" this checkout {median_new:.1f} ms (fastest {min(new):.1f});"
        f" new/old {median_new / median_old:.3f} (fastest {min(new) / min(old):.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the revision to compare this checkout with")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--cases", type=int, default=1_000)
    argv, command = sys.argv[1:], ["list"]
    if "--" in argv:  # what follows is escalate's, options and all
        argv, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :] or command
    options = parser.parse_args(argv)
    print(compare(options.rev, command, options.runs, options.cases))


if __name__ == "__main__":
    main()
