"""The live board behind `escalate watch`: one row per active case, whatever falls due first on top.

A pure function of a matrix, the cases and an instant, built on routing's one answer: the due
time and `overdue` are `routing.next_due`'s (as `list` shows them), the next level is the one
`next` names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from escalate_cli.core.cases.lifecycle import as_of
from escalate_cli.core.cases.teams import belongs
from escalate_cli.core.engine import routing, timers
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case


@dataclass(frozen=True, eq=False)  # never compared: __eq__ and __hash__ cost import time
class BoardRow:
    """One active case as the board shows it."""

    number: int
    case: str
    title: str
    severity: str | None
    level: str
    owner: str
    status: str
    next_level: str | None  # None at the top of the path, or when the externals are next
    external: bool  # the path's external contacts are next
    due_at: datetime | None  # when a sweep next acts on the case (routing.next_due)
    overdue: bool  # a sweep now would act on it (timing rule 2)
    breached: list[str]
    problem: str | None = None  # why routing cannot run on the case (timing rule 12)

    def to_json(self) -> dict[str, Any]:
        """The row as `watch --once --json` prints it (docs/working-cases.md)."""
        return {
            "case": self.case,
            "title": self.title,
            "severity": self.severity,
            "level": self.level,
            "owner": self.owner,
            "status": self.status,
            "next_level": self.next_level,
            "due_at": timing.to_iso(self.due_at) if self.due_at is not None else None,
            "overdue": self.overdue,
            "breached": list(self.breached),
        }


def _next_move(matrix: Matrix, case: Case, now: datetime) -> routing.Move | None:
    """The move `escalate next` names: the next timed one, else where a manual one would go."""
    move = routing.upcoming(matrix, case, now)
    return move if move is not None else routing.manual_target(matrix, case, now)


def board_row(matrix: Matrix, case: Case, now: datetime) -> BoardRow:
    """One case as the board shows it at `now` (a hold past its `--until` is over)."""
    problem = routing.problem(matrix, case)
    if problem is None:
        case = as_of(case, now)
        due = routing.next_due(matrix, case, now)
        move = _next_move(matrix, case, now)
    else:
        due, move = None, None  # a sweep leaves such a case alone, and so does the board
    external = move is not None and move.external
    return BoardRow(
        number=case["number"],
        case=case["id"],
        title=case["title"],
        severity=case.get("severity"),
        level=case["level"],
        owner=case["owner"],
        status=case["status"],
        next_level=None if move is None or external else move.to_level,
        external=external,
        due_at=due.at if due is not None else None,
        overdue=due is not None and due.acts,
        breached=list(case.get("breached") or []),
        problem=problem,
    )


def sort_key(row: BoardRow) -> tuple[int, datetime, int]:
    """Overdue first (longest overdue on top), then the soonest due, then what has nothing due,
    each by case number on a tie."""
    rank = 0 if row.overdue else 1 if row.due_at is not None else 2
    return rank, row.due_at or datetime.max.replace(tzinfo=UTC), row.number


def board(
    matrix: Matrix, cases: Iterable[Case], now: datetime, team: str | None = None
) -> list[BoardRow]:
    """The rows of the board at `now`: every active case (open, acknowledged, on hold) of
    `team` (and those from before cases recorded their matrix); of every team when None."""
    rows = [
        board_row(matrix, case, now)
        for case in cases
        if case.get("status") in timers.ACTIVE and belongs(case, team)
    ]
    return sorted(rows, key=sort_key)


_UNITS = (("d", 86400), ("h", 3600), ("m", 60))


def span(seconds: int) -> str:
    """A span for a countdown, two units at most: `45s`, `12m`, `3h05m`, `2d04h`."""
    if seconds < 60:
        return f"{seconds}s"
    for index, (unit, size) in enumerate(_UNITS):
        if seconds >= size:
            count, rest = divmod(seconds, size)
            if unit == "m":
                return f"{count}m"
            smaller, small_size = _UNITS[index + 1]
            return f"{count}{unit}{rest // small_size:02d}{smaller}"
    raise AssertionError("unreachable")  # pragma: no cover


def countdown(row: BoardRow, now: datetime) -> str:
    """How long until the row's due time (`in 12m`), or how long it is overdue (`overdue 3m`);
    `-` when nothing is due."""
    if row.due_at is None:
        return "-"
    seconds = int((row.due_at - now).total_seconds())
    if row.overdue:
        return f"overdue {span(max(0, -seconds))}"
    return f"in {span(seconds)}" if seconds > 0 else "due now"
