"""When a sweep may first act on a case, worked out each time the case is written.

The PostgreSQL store keeps it in the case's `due_at` column, with the key of the matrix it was
worked out under (`due_key`), so that a sweep of 10,000 open cases reads only the few due by its
`now` instead of checking every one. It is a lower bound: the sweep still checks each case it
reads (`sweeping.needs_sweep`), so a wake too early costs a read and never a wrong move, while
a wake too late would leave a due case unmoved. Hence the rule this module keeps: whenever
`needs_sweep(matrix, case, t)` holds, `wake_at(matrix, case) <= t`. Anything new that a sweep
does to a case by the clock must be due by `routing.due_span` or by a branch here.

A changed matrix (or another escalate version) has another key: cases worked out under the old
one are read by every sweep until one of them, or a write, works them out again.
"""

from __future__ import annotations

import functools
import os
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from escalate_cli import __version__
from escalate_cli.core.store.store_base import Wake
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.matrix.model import Matrix

ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)  # before any sweep's `now`: read by every sweep


def matrix_key(matrix: Matrix) -> str:
    """Names the rules a wake was worked out under: this escalate, the code that works out
    due times, and this matrix, as loaded (`Matrix.digest`)."""
    return key_of(matrix.digest)


def key_of(digest: str) -> str:
    """`matrix_key` of the matrix with this digest (as the matrix cache's entry tells it)."""
    return f"{__version__}:{_engine_code()}:{digest}"


@functools.cache
def _engine_code() -> str:
    """A checksum of the modules that work out when things fall due (engine/ and time/): an
    upgrade that changes how they count makes every kept wake stale even when the version
    number stays the same, as it does between releases. Reading them costs about 0.3 ms."""
    core = Path(__file__).resolve().parent.parent
    # Listed by name rather than globbed: a glob compiles a pattern (~0.3 ms of every list).
    files = sorted(
        folder / name
        for folder in (core / "engine", core / "time")
        for name in os.listdir(folder)
        if name.endswith(".py")
    )
    crc = 0
    for file in files:
        crc = zlib.crc32(file.read_bytes(), crc)
    return f"{crc:08x}"


def wake_at(matrix: Matrix, case: Case) -> datetime | None:
    """The first instant a sweep may act on the case, or None when only a write can make it
    due (resolved, closed, on hold with no end)."""
    return _wake_span(matrix, case)[0]


def _wake_span(matrix: Matrix, case: Case) -> tuple[datetime | None, datetime | None]:
    """`wake_at`, and until when it stays the case's due time once passed (`Wake.holds_until`;
    None for a case on hold, or one routing cannot run on)."""
    from escalate_cli.core.engine import routing, timers

    if case.get("status") not in timers.ACTIVE:
        return None, None
    if routing.problem(matrix, case) is not None:
        return ALWAYS, None  # every sweep reports a case routing cannot run on
    if case["status"] == "on_hold":
        holds = case.get("holds") or []
        until = holds[-1].get("until") if holds else None
        return (timing.from_iso(until) if until else None), None  # the sweep records the resume
    return routing.due_span(matrix, case)


def wake(matrix: Matrix, case: Case, key: str | None = None) -> Wake:
    """The case's wake under `matrix` (whose `matrix_key` may be given, worked out once)."""
    at, holds_until = _wake_span(matrix, case)
    return Wake(at, matrix_key(matrix) if key is None else key, holds_until)
