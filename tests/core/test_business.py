"""core/time/business.py: SLA clocks in business hours, checked against a minute-by-minute count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core.matrix.model import Calendar
from escalate_cli.core.time.business import Holiday, business_due, parse_holiday
from escalate_cli.core.time.hours import Hours

LONDON = ZoneInfo("Europe/London")
OFFICE = Calendar(
    Hours("Mon-Fri 09:00-17:00, Sat 10:00-12:00"),
    None,
    (Holiday(date(2026, 3, 30), date(2026, 3, 31)),),
)


def open_at(moment: datetime) -> bool:
    local = moment.astimezone(LONDON).replace(tzinfo=None)
    if any(h.covers(local.date()) for h in OFFICE.holidays):
        return False
    return OFFICE.hours.contains(local)


def counted(anchor: datetime, minutes: int, pauses: list[tuple[datetime, datetime]]) -> datetime:
    """The deadline by stepping a minute at a time (slow, and obviously right)."""
    moment, left = anchor, minutes
    while True:
        paused = any(start <= moment < end for start, end in pauses)
        if open_at(moment) and not paused:
            left -= 1
            if left == 0:
                return moment + timedelta(minutes=1)
        moment += timedelta(minutes=1)


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(0, 21 * 24 * 60),
    minutes=st.integers(1, 16 * 60),
    pause=st.tuples(st.integers(0, 7 * 24 * 60), st.integers(1, 3 * 24 * 60)),
)
def test_the_deadline_is_the_minute_the_count_reaches_the_duration(
    start: int, minutes: int, pause: tuple[int, int]
) -> None:
    # Three weeks around the spring change of the clocks and a two-day holiday.
    base = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)
    anchor = base + timedelta(minutes=start)
    held = (anchor + timedelta(minutes=pause[0]), anchor + timedelta(minutes=pause[0] + pause[1]))
    due = business_due(anchor, timedelta(minutes=minutes), OFFICE, LONDON, [held])
    assert due == counted(anchor, minutes, [held])


def test_an_open_ended_pause_means_no_deadline() -> None:
    anchor = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
    paused = [(anchor + timedelta(minutes=30), None)]
    assert business_due(anchor, timedelta(hours=1), OFFICE, LONDON, paused) is None
    assert business_due(
        anchor, timedelta(minutes=20), OFFICE, LONDON, paused
    ) == anchor + timedelta(minutes=20)


def test_a_calendar_that_never_opens_gives_no_deadline() -> None:
    closed = Calendar(
        Hours("Mon 09:00-10:00"), None, (Holiday(date(2000, 1, 1), date(2100, 1, 1)),)
    )
    assert (
        business_due(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1), closed, LONDON, [])
        is None
    )


def test_holidays_read_days_and_ranges() -> None:
    assert parse_holiday("2026-12-25") == Holiday(date(2026, 12, 25), date(2026, 12, 25))
    assert parse_holiday({"from": date(2026, 12, 24), "until": "2026-12-26"}) == Holiday(
        date(2026, 12, 24), date(2026, 12, 26)
    )
