"""Times as people type them: `tomorrow 9:00`, `mon 14:00`, `today 5pm`, `eod`, `14:30`.

Read in the reader's local zone (as an ISO time without an offset is), relative to the
command's clock (`--now`). A day without a time means the start of the working day (09:00):
`--follow-up tomorrow` should not ring at midnight. `eod` is the end of the working day (17:00)
and `sod` its start. A weekday is the next such day after today (`mon` on a Monday is a week
on). Commands echo what they understood as an absolute time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

WORKDAY_START = time(9, 0)
WORKDAY_END = time(17, 0)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LONG_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?")
HELP = "tomorrow 9:00, mon 14:00, today 5pm, eod, +2h or ISO-8601 such as 2026-11-23T14:05"


def parse_natural(text: str, now: datetime, *, past: bool = False) -> datetime | None:
    """The instant `text` names, or None when it is not a time of this kind (then it may be a
    duration or ISO-8601). A kind it is, but impossible (`mon 25:00`), is a ValueError. With
    `past` (a `--since`), a weekday is the last such day before today."""
    words = text.strip().casefold().split()
    if not words:
        return None
    today = now.astimezone().date()  # the reader's local day
    if len(words) > 2 and words[1] == "at":  # `tomorrow at 9:00`
        del words[1]
    first, rest = words[0], " ".join(words[1:])
    if first == "now" and not rest:
        return now
    if first in ("eod", "sod") and not rest:
        return _at(today, WORKDAY_END if first == "eod" else WORKDAY_START)
    day = _day(first, today, past)
    if day is None:
        clock = _clock(" ".join(words))
        return None if clock is None else _at(today, clock)
    if not rest:
        return _at(day, WORKDAY_START)
    if rest in ("eod", "sod"):
        return _at(day, WORKDAY_END if rest == "eod" else WORKDAY_START)
    clock = _clock(rest)
    if clock is None:
        raise ValueError(f'bad time of day "{rest}" (use 9:00, 14:30 or 5pm)')
    return _at(day, clock)


def _day(word: str, today: date, past: bool) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word == "yesterday":
        return today - timedelta(days=1)
    names = _WEEKDAYS if word in _WEEKDAYS else _LONG_DAYS if word in _LONG_DAYS else None
    if names is None:
        return None
    if past:
        return today - timedelta(days=(today.weekday() - names.index(word)) % 7 or 7)
    return today + timedelta(days=(names.index(word) - today.weekday()) % 7 or 7)


def _clock(text: str) -> time | None:
    found = _CLOCK.fullmatch(text.strip())
    if found is None or (found["minute"] is None and found["half"] is None):
        return None  # a bare number is no time of day: `14` could be anything
    hour, minute = int(found["hour"]), int(found["minute"] or 0)
    if found["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(f'bad time of day "{text}": {hour}{found["half"]} is no hour')
        hour = hour % 12 + (12 if found["half"] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(f'bad time of day "{text}" (use 00:00 to 23:59)')
    return time(hour, minute)


def _at(day: date, clock: time) -> datetime:
    """The instant of a local wall-clock time (a time skipped by daylight saving moves on)."""
    return datetime.combine(day, clock).astimezone(UTC)
