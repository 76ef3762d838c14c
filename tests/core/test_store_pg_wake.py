"""A sweep on PostgreSQL reads only the cases due by its `now` (core/engine/wake.py): each write
keeps the case's wake and the key of the matrix it was worked out under, and a case worked out
under another matrix, or never (copied in, migrated), is read until a sweep keeps its wake.

The clock is Monday 2026-11-23; tests/data/basic.yaml's L1 ack is 15m.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escalate_cli import Session
from escalate_cli.core.engine.wake import ALWAYS, matrix_key, wake_at
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_base import Wake
from escalate_cli.core.store.store_copy import copy_store
from escalate_cli.core.store.store_pg import PgStore
from tests.core.routing_helpers import mins as at


def session(url: str, matrix: Path, minutes: float) -> Session:
    return Session(url, matrix, now=at(minutes), user="frontline")


def opened(url: str, matrix: Path, minutes: float, title: str) -> int:
    with session(url, matrix, minutes) as work:
        return int(work.open(title, severity="sev3").case["number"])


def read_by_sweep(url: str, matrix: Path, minutes: float) -> tuple[int, list[int]]:
    store = PgStore(url)
    try:
        found = store.sweep_cases(at(minutes), matrix_key(load_matrix(matrix)), "Test support")
    finally:
        store.close()
    return found.checked, [case["number"] for case in found.cases]


def columns(url: str, number: int) -> tuple[Any, ...]:
    store = PgStore(url)
    try:
        with store._cursor() as cur:
            cur.execute("SELECT due_at, due_key FROM cases WHERE number = %s", (number,))
            return tuple(cur.fetchone())
    finally:
        store.close()


def test_a_write_keeps_the_wake_in_its_columns(pg_url: str, matrix_file: Path) -> None:
    """The columns a sweep's index reads; tests/core/test_store_wakes.py checks what the sweep
    and `list` make of them, on both stores."""
    number = opened(pg_url, matrix_file, 0, "printer on fire")
    assert columns(pg_url, number) == (at(15), matrix_key(load_matrix(matrix_file)))
    with session(pg_url, matrix_file, 20) as work:
        work.sweep()  # moves it to L2, which has timers of its own
        moved = work.store.get(number)
    assert moved is not None and moved["level"] == "L2"
    matrix = load_matrix(matrix_file)
    assert columns(pg_url, number) == (wake_at(matrix, moved), matrix_key(matrix))
    assert wake_at(matrix, moved) not in (None, at(15))


def test_keeping_a_wake_never_overwrites_a_newer_write(pg_url: str, matrix_file: Path) -> None:
    number = opened(pg_url, matrix_file, 0, "printer on fire")
    store = PgStore(pg_url)
    try:
        found = store.sweep_cases(at(1), "another matrix", None)
        assert list(found.stale) == [number]
        with session(pg_url, matrix_file, 2) as work:
            work.acknowledge(number)  # written after the sweep read it
        written = columns(pg_url, number)
        with store.transaction() as tx:
            tx.keep_wakes({number: (found.stale[number], Wake(ALWAYS, "another matrix"))})
        assert columns(pg_url, number) == written
        with store.transaction() as tx:  # the row as it is now takes a kept wake
            fresh = store.sweep_cases(at(1), "another matrix", None).stale[number]
            tx.keep_wakes({number: (fresh, Wake(ALWAYS, "another matrix"))})
        assert columns(pg_url, number) == (ALWAYS, "another matrix")
    finally:
        store.close()


def test_cases_copied_in_are_swept_though_no_write_worked_out_their_wake(
    tmp_path: Path, pg_url: str, matrix_file: Path
) -> None:
    source = tmp_path / "json" / "cases.json"
    with Session(source, matrix_file, now=at(0), user="frontline") as work:
        work.open("printer on fire", severity="sev3")
    target = PgStore(pg_url)
    try:
        copy_store(CaseStore(source), target)
    finally:
        target.close()
    assert columns(pg_url, 1) == (None, None)
    with session(pg_url, matrix_file, 16) as work:
        assert [move["case"] for move in work.sweep().json()["escalated"]] == ["ESC-1"]
