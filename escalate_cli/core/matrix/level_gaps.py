"""When a level has nobody available over a span of time, and those hours said compactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from escalate_cli.core.engine import availability
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing

Span = tuple[datetime, datetime]

_DAY = 1440  # minutes
_WEEK = 7 * _DAY
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SHOWN_DATED = 3  # dated gaps listed before "and N more"


def level_steps(
    matrix: Matrix, level_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, int]]:
    """How many people of the level are available from each instant on, within [start, end):
    `(instant, count)` in order, the first at `start`, each count holding until the next.

    Only where a contact's hours, leave, zone offset or a rotation's shift change can the
    answer change (availability knows those instants), so only those instants are asked.
    """
    moments = {start}
    for ref in matrix.levels_by_id[level_id].contacts:
        # The private walk is the one `next_available_at` trusts; a copy would drift from it.
        moments.update(availability._change_points(matrix, ref, start, end))
    steps: list[tuple[datetime, int]] = []
    for moment in sorted(m for m in moments if m < end):
        reached = availability.level_contacts(matrix, level_id, moment)
        count = sum(1 for person in reached if person.available)
        if not steps or steps[-1][1] != count:
            steps.append((moment, count))
    return steps


def level_gaps(matrix: Matrix, level_id: str, start: datetime, end: datetime) -> list[Span]:
    """The UTC spans within [start, end) when nobody at the level is available, in order."""
    steps = level_steps(matrix, level_id, start, end)
    bounds = [moment for moment, _ in steps[1:]] + [end]
    return [
        (moment, bound) for (moment, count), bound in zip(steps, bounds, strict=True) if count == 0
    ]


def subtract(spans: list[Span], removed: list[Span]) -> list[Span]:
    """The parts of `spans` outside every span of `removed` (both sorted, each disjoint)."""
    out: list[Span] = []
    for low, high in spans:
        cursor = low
        for cut_low, cut_high in removed:
            if cut_high <= cursor or cut_low >= high:
                continue
            if cut_low > cursor:
                out.append((cursor, cut_low))
            cursor = max(cursor, cut_high)
        if cursor < high:
            out.append((cursor, high))
    return out


def window(first_day: date, weeks: int, zone: ZoneInfo) -> Span:
    """The UTC instants of midnight on `first_day` and `weeks` weeks later, in `zone`."""
    midnight = datetime.combine(first_day, datetime.min.time())
    return (
        timing.wall_to_instant(midnight, zone),
        timing.wall_to_instant(midnight + timedelta(weeks=weeks), zone),
    )


def describe_weekly(gaps: list[Span], first_day: date, weeks: int, zone: ZoneInfo) -> str:
    """`Sat 00:00-Mon 08:00, Tue-Fri 00:00-08:00`: the hours empty in every week of the window,
    then the other gaps with their dates (`Thu 24 Dec 08:00-18:00`), in `zone`'s wall time."""
    grid = _wall_grid(gaps, first_day, weeks, zone)
    every_week = _every_week(grid, weeks)
    weekly = _weekly_text(every_week, first_day.weekday())
    origin = datetime.combine(first_day, datetime.min.time())
    dated = _dated_runs(origin, list(_runs(_without(grid, every_week * weeks))))
    if len(dated) > _SHOWN_DATED:
        dated = [*dated[:_SHOWN_DATED], f"and {len(dated) - _SHOWN_DATED} more"]
    return ", ".join([*weekly, *dated])


def describe_dated(gaps: list[Span], zone: ZoneInfo) -> str:
    """`for 86h, first Thu 24 Dec 08:00-18:00`: how long in all, and the first gap."""
    total = sum(((high - low) for low, high in gaps), timedelta())
    first_low, first_high = gaps[0]
    first = _dated(timing.local_wall(first_low, zone), timing.local_wall(first_high, zone))
    return f"for {timing.format_duration(_whole_minutes(total))} in all, first {first}"


def _whole_minutes(span: timedelta) -> timedelta:
    return timedelta(minutes=round(span.total_seconds() / 60))


def _wall_grid(gaps: list[Span], first_day: date, weeks: int, zone: ZoneInfo) -> bytearray:
    """One byte per wall-clock minute of the window: 1 where the level has nobody."""
    origin = datetime.combine(first_day, datetime.min.time())
    grid = bytearray(weeks * _WEEK)
    for low, high in gaps:
        start = _minute(timing.local_wall(low, zone) - origin)
        stop = _minute(timing.local_wall(high, zone) - origin)
        start, stop = max(start, 0), min(stop, len(grid))
        if start < stop:
            grid[start:stop] = b"\x01" * (stop - start)
    return grid


def _minute(offset: timedelta) -> int:
    return round(offset.total_seconds() / 60)


def _every_week(grid: bytearray, weeks: int) -> bytes:
    """The minutes of the week (from the window's first day) empty in every week: byte-wise AND."""
    mask = int.from_bytes(grid[:_WEEK], "big")
    for week in range(1, weeks):
        mask &= int.from_bytes(grid[week * _WEEK : (week + 1) * _WEEK], "big")
    return mask.to_bytes(_WEEK, "big")


def _without(cells: bytes | bytearray, removed: bytes) -> bytes:
    """`cells` with every minute set in `removed` cleared (both of one length)."""
    kept, gone = int.from_bytes(cells, "big"), int.from_bytes(removed, "big")
    return (kept ^ (kept & gone)).to_bytes(len(cells), "big")


def _runs(cells: bytes | bytearray) -> Iterator[tuple[int, int]]:
    """The [start, end) index ranges of consecutive 1 bytes."""
    start = cells.find(1)
    while start != -1:
        end = cells.find(0, start)
        end = len(cells) if end == -1 else end
        yield start, end
        start = cells.find(1, end)


def _weekly_text(every_week: bytes, first_weekday: int) -> list[str]:
    """The weekly gaps, Monday first, joining days that share the same hours (`Tue-Fri ...`)."""
    if all(every_week):
        return ["at all hours"]
    # Read the week from Monday, then start at a minute someone is there so no gap is cut.
    monday = (-first_weekday * _DAY) % _WEEK
    week = every_week[monday:] + every_week[:monday]
    shift = week.find(0)
    rotated = week[shift:] + week[:shift]
    found: dict[tuple[int, int], list[int]] = {}
    for low, high in _runs(rotated):
        begin = (low + shift) % _WEEK
        found.setdefault((begin % _DAY, high - low), []).append(begin // _DAY)
    ordered = sorted(found.items(), key=lambda item: min(item[1]) * _DAY + item[0][0])
    return [_weekly_range(days, begin, length) for (begin, length), days in ordered]


def _weekly_range(days: list[int], begin: int, length: int) -> str:
    end = begin + length
    if length <= _DAY:
        stop = "24:00" if end == _DAY else _clock(end % _DAY)
        return f"{_day_list(days)} {_clock(begin)}-{stop}"
    # Longer than a day: one stretch per start day, named at both ends.
    last = _clock(end % _DAY)
    return ", ".join(
        f"{_DAY_NAMES[day]} {_clock(begin)}-{_DAY_NAMES[(day + end // _DAY) % 7]} {last}"
        for day in sorted(days)
    )


def _day_list(days: list[int]) -> str:
    """`Mon-Thu`, `Sat`, `Mon,Wed`, `daily`: runs of three or more days as a span."""
    if len(days) == 7:
        return "daily"
    parts: list[str] = []
    ordered = sorted(days)
    index = 0
    while index < len(ordered):
        stop = index
        while stop + 1 < len(ordered) and ordered[stop + 1] == ordered[stop] + 1:
            stop += 1
        if stop - index >= 2:
            parts.append(f"{_DAY_NAMES[ordered[index]]}-{_DAY_NAMES[ordered[stop]]}")
        else:
            parts += [_DAY_NAMES[day] for day in ordered[index : stop + 1]]
        index = stop + 1
    return ",".join(parts)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _dated_runs(origin: datetime, runs: list[tuple[int, int]]) -> list[str]:
    """Each run as a dated range, joining the same hours on consecutive days:
    `Mon 30 Nov-Wed 2 Dec 08:30-09:00`."""
    shown: list[str] = []
    index = 0
    while index < len(runs):
        low, high = runs[index]
        last = index
        while (
            high - low < _DAY
            and last + 1 < len(runs)
            and runs[last + 1] == (runs[last][0] + _DAY, runs[last][1] + _DAY)
        ):
            last += 1
        start, end = origin + timedelta(minutes=low), origin + timedelta(minutes=high)
        if last == index:
            shown.append(_dated(start, end))
        else:
            until = origin + timedelta(minutes=runs[last][0])
            hours = _dated(start, end).split(" ", 3)[3]
            shown.append(f"{_date(start)}-{_date(until)} {hours}")
        index = last + 1
    return shown


def _dated(low: datetime, high: datetime) -> str:
    """`Thu 24 Dec 08:00-18:00`, or `Thu 24 Dec 18:00-Fri 25 Dec 08:00` across midnight."""
    start = f"{_date(low)} {low:%H:%M}"
    if high.date() == low.date():
        return f"{start}-{high:%H:%M}"
    if high == datetime.combine(low.date() + timedelta(days=1), datetime.min.time()):
        return f"{start}-24:00"
    return f"{start}-{_date(high)} {high:%H:%M}"


def _date(day: datetime) -> str:
    # Spelled here, not by strftime, whose day and month names follow the locale.
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
