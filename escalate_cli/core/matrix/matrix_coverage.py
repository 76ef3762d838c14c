"""`matrix coverage`: how many people of each level are available in each hour of a week."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from escalate_cli.core.cases.document import require_level
from escalate_cli.core.matrix import level_gaps
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CoverageDay:
    """One day of a grid: for each wall-clock hour in the matrix's zone, the fewest people of
    the level available at any moment of it; None for an hour the clock skips (spring)."""

    day: date
    hours: tuple[int | None, ...]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "hours": list(self.hours)}


@dataclass(frozen=True)
class CoverageWeek:
    """A level's grid for the week from Monday `week`: seven days of 24 hours."""

    level: str
    name: str
    week: date
    zone: str
    days: tuple[CoverageDay, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "week": self.week.isoformat(),
            "days": [day.to_json() for day in self.days],
        }

    @property
    def empty_hours(self) -> int:
        return sum(1 for day in self.days for count in day.hours if count == 0)


def monday_of(start: date | datetime, matrix: Matrix) -> date:
    """The Monday of the week `start` falls in: a date as given, an instant in the matrix's zone."""
    day = timing.local_wall(start, matrix.timezone).date() if isinstance(start, datetime) else start
    return day - timedelta(days=day.weekday())


def coverage(
    matrix: Matrix, start: date | datetime, weeks: int = 1, level_id: str | None = None
) -> list[CoverageWeek]:
    """Each level (or the one named), bottom to top, week by week from the Monday of `start`.

    A count is the minimum over the hour, so half an hour with nobody shows as a gap: the
    walk is lint's (level_gaps.level_steps), which L101 reports from the same instants."""
    wanted = [require_level(matrix, level_id)] if level_id else [lvl.id for lvl in matrix.levels]
    first = monday_of(start, matrix)
    zone = matrix.timezone
    grids: list[CoverageWeek] = []
    for ident in wanted:
        begin, end = level_gaps.window(first, weeks, zone)
        steps = level_gaps.level_steps(matrix, ident, begin, end)
        for week in range(weeks):
            monday = first + timedelta(weeks=week)
            days = tuple(
                CoverageDay(day, _day_counts(steps, day, matrix))
                for day in (monday + timedelta(days=n) for n in range(7))
            )
            label = matrix.levels_by_id[ident].label
            grids.append(CoverageWeek(ident, label, monday, zone.key, days))
    return grids


def _day_counts(
    steps: list[tuple[datetime, int]], day: date, matrix: Matrix
) -> tuple[int | None, ...]:
    midnight = datetime.combine(day, datetime.min.time())
    instants = [moment for moment, _ in steps]
    counts: list[int | None] = []
    for hour in range(24):
        wall = midnight + hour * HOUR
        low = timing.wall_to_instant(wall, matrix.timezone)
        high = timing.wall_to_instant(wall + HOUR, matrix.timezone)
        if low >= high:  # 01:00-02:00 on a spring-forward night never happens
            counts.append(None)
            continue
        first = max(bisect_right(instants, low) - 1, 0)
        last = bisect_left(instants, high)
        counts.append(min(count for _, count in steps[first:last]))
    return tuple(counts)


def mark(count: int | None) -> str:
    """What a cell shows without colour: `.` nobody, the count (`+` for ten or more), `-` an
    hour the clock skips."""
    if count is None:
        return "-"
    if count == 0:
        return "."
    return str(count) if count < 10 else "+"
