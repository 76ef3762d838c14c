"""A separate process that works on a PostgreSQL store, driven by tests/core/test_store_pg.py.

    python pg_worker.py MODE URL [COUNT]

Like store_worker.py: prints "ready" once imports are done, waits for its stdin to close (the
go signal), works, then prints one JSON line (what it did) and "done".

- alloc: COUNT transactions that each allocate a number and put an open case.
- count: COUNT transactions that each add 1 to case 1's "counter".
- sweep: one sweep of tests/data/basic.yaml at 2026-11-23T10:20Z; prints the cases it moved.
- claim: claim the outbox entries to send, mark them sent; prints the ids it claimed.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escalate_cli.core.store.store_pg import PgStore

BASIC = Path(__file__).resolve().parents[1] / "data" / "basic.yaml"
NOW = datetime(2026, 11, 23, 10, 20, tzinfo=UTC)


def alloc(store: PgStore, count: int) -> Any:
    numbers = []
    for _ in range(count):
        with store.transaction() as tx:
            number = tx.next_number()
            tx.put({"number": number, "id": f"ESC-{number}", "status": "open", "pid": os.getpid()})
            numbers.append(number)
    return numbers


def count(store: PgStore, count: int) -> Any:
    for _ in range(count):
        with store.transaction() as tx:
            case = tx.get(1)
            assert case is not None
            case["counter"] += 1
            tx.put(case)
    return count


def sweep(store: PgStore, count: int) -> Any:
    from escalate_cli.core.matrix.loader import load_matrix
    from escalate_cli.core.sweeping import sweep_store

    report = sweep_store(store, load_matrix(BASIC), NOW, dry_run=False)
    return [entry["case"] for entry in report["escalated"]]


def claim(store: PgStore, count: int) -> Any:
    from escalate_cli.core.notify import outbox

    dispatch = outbox.Dispatch()
    outbox.claim(store, NOW, dispatch, due_only=False)
    with store.transaction() as tx:
        done = [outbox.Outcome(entry, None) for entry in dispatch.claimed]
        outbox.settle(tx, dispatch.token, done, NOW)
    return [entry["id"] for entry in dispatch.claimed]


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    number = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    store = PgStore(url, lock_timeout=60)
    store.read_meta()  # connected before the go
    print("ready", flush=True)
    sys.stdin.read()
    did = {"alloc": alloc, "count": count, "sweep": sweep, "claim": claim}[mode](store, number)
    print(json.dumps(did), flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
