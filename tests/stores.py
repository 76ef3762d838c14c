"""What the behaviour tests need to see inside the store, whichever store ESCALATE_STORE names."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from escalate_cli.core.store.store_base import is_url, open_store


def location() -> str:
    return os.environ["ESCALATE_STORE"]


def on_postgres() -> bool:
    return is_url(location())


def snapshot() -> Any:
    """Everything the store holds, to compare before and after a command that must save
    nothing: the files' bytes, or every row of the database."""
    if not on_postgres():
        path = Path(location())
        archive = path.with_name(f"{path.stem}.archive{path.suffix}")
        return tuple(p.read_bytes() if p.exists() else None for p in (path, archive))
    import psycopg2

    conn = psycopg2.connect(location())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('store_meta') IS NOT NULL")
            if not cur.fetchone()[0]:
                return ()
            rows = []
            for query in (
                "SELECT last_number, doc::text FROM store_meta",
                "SELECT number, archived, doc::text FROM cases ORDER BY number",
                "SELECT seq, id, doc::text FROM outbox ORDER BY seq",
            ):
                cur.execute(query)
                rows.append(cur.fetchall())
            return tuple(rows)
    finally:
        conn.close()


def edit_case(number: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a stored case behind escalate's back, as a hand edit or an older version would."""
    store = open_store(location())
    try:
        with store.transaction() as tx:
            case = tx.get(number)
            assert case is not None, number
            change(case)
            tx.put(case)
    finally:
        store.close()


def named_in_errors() -> str:
    """How an error message names the store: the file's name, or the URL."""
    return store_location().rsplit("/", 1)[-1] if not on_postgres() else store_location()


def store_location() -> str:
    store = open_store(location())
    try:
        return store.location
    finally:
        store.close()


def exists() -> bool:
    """Whether the store has been created (its file, or its schema)."""
    store = open_store(location())
    try:
        return store.exists()
    finally:
        store.close()


def stored_case(number: int) -> dict[str, Any] | None:
    """The case as the store holds it, read afresh."""
    store = open_store(location())
    try:
        return store.get(number)
    finally:
        store.close()


def open_transactions() -> int:
    """How many other sessions of the store's database are inside a transaction right now."""
    import psycopg2

    conn = psycopg2.connect(location())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                # autovacuum works in transactions of its own, whenever it likes
                " AND backend_type = 'client backend'"
            )
            return int(cur.fetchone()[0])
    finally:
        conn.close()
