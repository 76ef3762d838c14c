"""Business-hours calendars: SLA clocks that run only inside working hours (docs/working-cases.md).

A matrix's `calendars: {NAME: {timezone, hours, holidays}}` names weekly hours in a zone and
the days off; a severity's `calendar: NAME` makes its SLA deadlines count only time inside
those hours, as Zendesk's and Jira Service Management's business-hours SLAs do. A case opened
on Saturday with a 4h SLA on `Mon-Fri 09:00-17:00` is due Monday 13:00. Holds and resolved
stretches pause it as they pause every clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from escalate_cli.core.time import timing
from escalate_cli.core.values import Value, frozen

# How far ahead a deadline is looked for: further than any SLA anyone writes. A calendar that
# opens less than this allows gives no deadline (the SLA never falls due).
HORIZON = timedelta(days=800)


@frozen
class Holiday(Value):
    """Days off, both ends inclusive, in the calendar's zone."""

    first: date
    last: date

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


def parse_holiday(value: object) -> Holiday:
    """`2026-12-25`, or `{from: 2026-12-24, until: 2026-12-26}`."""
    if isinstance(value, Holiday):
        return value
    if isinstance(value, Mapping):
        unknown = [key for key in value if key not in ("from", "until")]
        if unknown:
            raise ValueError(f"unknown key {timing.show_value(unknown[0])} (use from, until)")
        if value.get("from") is None or value.get("until") is None:
            raise ValueError(
                "a range of days needs from and until, e.g. {from: 2026-12-24, until: 2026-12-26}"
            )
        first, last = _day(value["from"]), _day(value["until"])
        if last < first:
            raise ValueError(f"until {last} is before from {first}")
        return Holiday(first, last)
    day = _day(value)
    return Holiday(day, day)


def _day(value: object) -> date:
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise ValueError(f"bad day {timing.show_value(value)} (use a date such as 2026-12-25)")
    try:
        return value if isinstance(value, date) else date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"bad day {timing.show_value(value)} (use a date such as 2026-12-25)"
        ) from None


def _windows(
    hours: Any, zone: ZoneInfo, holidays: tuple[Holiday, ...], start: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open stretches as UTC instants, in order, from the one `start` is in;
    a stretch that runs past midnight is cut there, so a holiday closes whole days."""
    local = timing.local_wall(start, zone)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time())
    end_of_search = start + HORIZON
    while True:
        for open_minute, close_minute in hours.intervals:
            opened = monday + timedelta(minutes=open_minute)
            closed = monday + timedelta(minutes=close_minute)
            while opened < closed:
                midnight = datetime.combine(opened.date() + timedelta(days=1), time())
                piece_end = min(closed, midnight)
                if not any(holiday.covers(opened.date()) for holiday in holidays):
                    begin = timing.wall_to_instant(opened, zone)
                    finish = timing.wall_to_instant(piece_end, zone)
                    if begin >= end_of_search:
                        return
                    if finish > start:
                        yield max(begin, start), finish
                opened = piece_end
        monday += timedelta(days=7)
        if timing.wall_to_instant(monday, zone) >= end_of_search:
            return


def business_due(
    anchor: datetime,
    duration: timedelta,
    calendar: Any,
    zone: ZoneInfo,
    paused: list[tuple[datetime, datetime | None]],
) -> datetime | None:
    """When `duration` of time inside the calendar's hours, outside the `paused` stretches,
    has passed since `anchor`; None when an open-ended pause (or the horizon) comes first."""
    remaining = duration
    pauses = sorted(paused, key=lambda pair: pair[0])
    for begin, finish in _windows(calendar.hours, zone, calendar.holidays, anchor):
        for piece_begin, piece_end in _minus(begin, finish, pauses):
            if piece_end is None:
                return None
            available = piece_end - piece_begin
            if available >= remaining:
                return piece_begin + remaining
            remaining -= available
    return None


def _minus(
    begin: datetime, finish: datetime, pauses: list[tuple[datetime, datetime | None]]
) -> Iterator[tuple[datetime, datetime | None]]:
    """[begin, finish) without the pauses; a piece ending None runs into an endless pause."""
    cursor = begin
    for start, end in pauses:
        if end is not None and end <= cursor:
            continue
        if start >= finish:
            break
        if start > cursor:
            yield cursor, start
        if end is None:
            yield cursor if start <= cursor else start, None
            return
        cursor = max(cursor, end)
        if cursor >= finish:
            return
    if cursor < finish:
        yield cursor, finish
