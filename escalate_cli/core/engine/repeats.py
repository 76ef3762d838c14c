"""Telling the top of a path again: `repeat: {every, times}` on a path or a level.

A case at the top of its path has nowhere left to climb; if nobody acknowledges it there, its
level's contacts are told again every `every` of active time (from its arrival, then from the
last repeat), at most `times` times: PagerDuty's `num_loops`, without wrapping round to the
bottom (timing rule 8). Each repeat is a `notified` event with `data.repeat`, its number,
which is how the next one counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from escalate_cli.core.engine import timers
from escalate_cli.core.matrix.model import Matrix, Path, Repeat
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case


class NextRepeat(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """The next time the top of the path is told again."""

    number: int  # counting from 1
    times: int
    due_at: datetime


def rule(matrix: Matrix, case: Case, path: Path) -> Repeat | None:
    """The repeat at the case's level: its path's, else the level's own; only at the top."""
    if not path.levels or case["level"] != path.levels[-1]:
        return None
    level = matrix.levels_by_id.get(case["level"])
    return path.repeat or (level.repeat if level is not None else None)


def done(case: Case) -> tuple[int, datetime]:
    """How many repeats the case has had at its level, and when the last was (or when it got
    there): the next one is an `every` of active time after that, so a sweep that was not run
    for a while does not send the ones it missed back to back."""
    entered = last = timing.from_iso(case["level_entered_at"])
    count = 0
    for entry in case.get("timeline", []):
        if entry.get("kind") == "notified" and "repeat" in (entry.get("data") or {}):
            at = timing.from_iso(entry["at"])
            if at >= entered:
                count, last = count + 1, at
    return count, last


def next_repeat(matrix: Matrix, case: Case, path: Path) -> NextRepeat | None:
    """The next repeat due while the case stays unacknowledged at the top, if any is left."""
    found = rule(matrix, case, path)
    if found is None or case["status"] not in timers.ACTIVE or not timers.unacknowledged(case):
        return None
    count, last = done(case)
    if count >= found.times:
        return None
    due = timers.due_after(case, last, found.every)
    return None if due is None else NextRepeat(count + 1, found.times, due)


def reason(case: Case, due: NextRepeat) -> str:
    return f"still not acknowledged at {case['level']} (repeat {due.number} of {due.times})"
