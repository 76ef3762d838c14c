"""Business hours: `Mon-Fri 08:00-18:00, Sat 10:00-14:00` read once, asked at any wall time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import field
from datetime import datetime, timedelta

from escalate_cli.core.time.timing import show_value
from escalate_cli.core.values import Value, frozen

_WEEK = 7 * 1440
_MIDNIGHT = datetime.min.time()
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HOURS_HELP = 'use e.g. "Mon-Fri 09:00-17:00, Sat 10:00-14:00" or "daily 22:00-06:00"'
# Compiled by `re` on first use: hours read from the matrix cache are never parsed again.
_RANGE = (
    r"(?P<days>[a-z][a-z\s-]*?)\s+"
    r"(?P<start>[0-9]{1,2}:[0-9]{2})\s*-\s*(?P<end>[0-9]{1,2}:[0-9]{2})"
)


def _day(name: str) -> int:
    key = name.strip().lower()
    for names in (_DAYS, _FULL_DAYS):
        if key in names:
            return names.index(key)
    raise ValueError(f'unknown day "{name.strip()}" (use Mon..Sun, Mon-Fri, Mon,Wed or daily)')


def _days(text: str) -> set[int]:
    text = text.strip()
    if text.lower() == "daily":
        return set(range(7))
    if "-" not in text:
        return {_day(text)}
    first, _, last = (part.strip() for part in text.partition("-"))
    start, stop = _day(first), _day(last)
    return {(start + offset) % 7 for offset in range((stop - start) % 7 + 1)}


def _minute(text: str, *, end: bool) -> int:
    hour, minute = (int(part) for part in text.split(":"))
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not end)):
        raise ValueError(f'bad time "{text}" (use 00:00 to 23:59; 24:00 only as an end)')
    return hour * 60 + minute


def _hint(piece: str) -> str:
    """What to change in a part with a time that is not `DAYS HH:MM-HH:MM`."""
    if re.fullmatch(_RANGE + r"\s+\S+", piece, re.ASCII | re.IGNORECASE):
        return "hours take no zone; set the contact's timezone"
    days = re.match(r"[a-z\s-]*", piece, re.ASCII | re.IGNORECASE)
    if days is not None and days[0].strip():
        _days(days[0])  # an unknown day is the first thing to fix
        return "use HH:MM-HH:MM, e.g. Mon-Fri 09:00-18:00"
    if re.fullmatch(r"[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2}", piece):
        return f'name the days: "daily {piece}"?'
    return 'name the days and use HH:MM-HH:MM, e.g. "daily 09:00-18:00"'


def _week_ranges(spec: str) -> list[tuple[int, int]]:
    """Minutes-of-week intervals [start, end) that the spec opens, before merging."""
    ranges: list[tuple[int, int]] = []
    pending: set[int] = set()
    for piece in (part.strip() for part in spec.split(",")):
        if not piece:
            raise ValueError("empty part between commas")
        match = re.fullmatch(_RANGE, piece, re.ASCII | re.IGNORECASE)
        if match is None:
            if re.search(r"[0-9]", piece):
                raise ValueError(f'cannot read "{piece}" ({_hint(piece)})')
            pending |= _days(piece)  # one day of a list such as "Mon,Wed 09:00-17:00"
            continue
        days = pending | _days(match["days"])
        pending = set()
        start, end = _minute(match["start"], end=False), _minute(match["end"], end=True)
        if start == end:
            raise ValueError(f'"{piece}" starts and ends at the same time')
        length = end - start if end > start else end + 1440 - start
        ranges += [(day * 1440 + start, day * 1440 + start + length) for day in days]
    if pending:
        raise ValueError("days without a time range at the end")
    return ranges


def _open_minutes(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Fold the ranges onto one week (Sunday night runs into Monday) and merge overlaps."""
    pieces = []
    for start, end in ranges:
        if end > _WEEK:
            pieces += [(start, _WEEK), (0, end - _WEEK)]
        else:
            pieces.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@frozen
class Hours(Value):
    """When a contact can be reached, as a weekly wall-clock pattern such as `Mon-Fri 08:00-18:00`.

    Build one with `parse_hours` (or `Hours(spec)`): a bad spec raises ValueError.
    """

    spec: str
    intervals: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    changes: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        intervals = _open_minutes(_week_ranges(self.spec))
        ends = {point % _WEEK for interval in intervals for point in interval}
        # A range that runs through Sunday midnight is not a change of state there.
        changes = sorted(
            m for m in ends if self._open(intervals, m) != self._open(intervals, m - 1)
        )
        object.__setattr__(self, "intervals", intervals)
        object.__setattr__(self, "changes", tuple(changes))

    @staticmethod
    def _open(intervals: tuple[tuple[int, int], ...], minute: int) -> bool:
        minute %= _WEEK
        return any(start <= minute < end for start, end in intervals)

    def __str__(self) -> str:
        return self.spec

    def contains(self, local: datetime) -> bool:
        """Whether the naive wall-clock time `local` falls inside the hours."""
        return self._open(self.intervals, local.weekday() * 1440 + local.hour * 60 + local.minute)

    def transitions(self, start_local: datetime, end_local: datetime) -> Iterator[datetime]:
        """The wall-clock times in [start_local, end_local] where the hours open or close."""
        if not self.changes:
            return
        try:
            monday = datetime.combine(
                start_local.date() - timedelta(days=start_local.weekday()), _MIDNIGHT
            )
            while True:
                for minute in self.changes:
                    moment = monday + timedelta(minutes=minute)
                    if moment > end_local:
                        return
                    if moment >= start_local:
                        yield moment
                monday += timedelta(days=7)
        except OverflowError:  # the week past datetime.max: nothing more to give
            return


def parse_hours(value: object) -> Hours:
    """Read an hours spec such as `Mon-Fri 08:00-18:00, Sat 10:00-14:00`."""
    if isinstance(value, Hours):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"bad hours {show_value(value)} ({_HOURS_HELP})")
    try:
        return Hours(value.strip())
    except ValueError as error:
        raise ValueError(f"bad hours {show_value(value)}: {error}") from error
