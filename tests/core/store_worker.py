"""A separate process that works on a case store, driven by tests/core/test_store.py.

    python store_worker.py MODE STORE [COUNT]

Every mode prints "ready" once imports are done, then waits for its stdin to close (the go
signal: the test closes every worker's stdin at once), then works and prints "done".

- alloc: COUNT transactions that each allocate a number and put an open case.
- count: COUNT transactions that each add 1 to case 1's "counter".
- retitle: COUNT transactions that each give one of the first five cases a new title, with a
  wake (tests/core/test_store_rows.py).
- hang: one transaction whose write stops halfway through the temp file, prints "half" and
  waits to be killed.
"""

from __future__ import annotations

import os
import sys

from escalate_cli.core.store import store_file
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_base import Wake


def alloc(store: CaseStore, count: int) -> None:
    for _ in range(count):
        with store.transaction() as tx:
            number = tx.next_number()
            tx.put({"number": number, "id": f"ESC-{number}", "status": "open", "pid": os.getpid()})


def count(store: CaseStore, count: int) -> None:
    for _ in range(count):
        with store.transaction() as tx:
            case = tx.get(1)
            assert case is not None
            case["counter"] += 1
            tx.put(case)


def retitle(store: CaseStore, count: int) -> None:
    """Give the first cases new titles of new lengths, each with a wake: every write moves the
    lines after it, and writes the rows anew."""
    for turn in range(count):
        with store.transaction() as tx:
            number = turn % 5 + 1
            case = tx.get(number) or {"number": number, "id": f"ESC-{number}", "status": "open"}
            title = f"{os.getpid()} {turn} " + "x" * (turn % 17)
            tx.put({**case, "title": title}, Wake(None, "key"))


def hang(store: CaseStore, count: int) -> None:
    def write_half_then_wait(fd: int, payload: bytes) -> None:
        os.write(fd, payload[: len(payload) // 2])
        print("half", flush=True)
        sys.stdin.read()  # the test kills this process with SIGKILL before anything comes

    store_file._write_all = write_half_then_wait
    with store.transaction() as tx:
        for _ in range(count):
            number = tx.next_number()
            tx.put({"number": number, "id": f"ESC-{number}", "status": "open"})


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    number = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    store = CaseStore(path, lock_timeout=60)
    print("ready", flush=True)
    if mode != "hang":
        sys.stdin.read()
    {"alloc": alloc, "count": count, "hang": hang, "retitle": retitle}[mode](store, number)
    print("done", flush=True)


if __name__ == "__main__":
    main()
