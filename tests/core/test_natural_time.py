"""Times as people type them (docs/working-cases.md): `tomorrow 9:00`, `mon 14:00`, `eod`, `+2h`,
read in the reader's zone relative to the command's clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate_cli.core.time.timing import in_range, parse_when, to_iso

MONDAY_10_UTC = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("tomorrow 9:00", "2026-11-24T14:00:00Z"),  # 09:00 in New York is 14:00 UTC
        ("tomorrow at 9:00", "2026-11-24T14:00:00Z"),
        ("Tomorrow", "2026-11-24T14:00:00Z"),  # a day alone: the start of the working day
        ("mon 14:00", "2026-11-30T19:00:00Z"),  # today is Monday: the next one
        ("friday 5pm", "2026-11-27T22:00:00Z"),
        ("today 12am", "2026-11-23T05:00:00Z"),
        ("eod", "2026-11-23T22:00:00Z"),  # 17:00 local
        ("sod", "2026-11-23T14:00:00Z"),
        ("tomorrow eod", "2026-11-24T22:00:00Z"),
        ("14:30", "2026-11-23T19:30:00Z"),
        ("now", "2026-11-23T10:00:00Z"),
        ("+2h", "2026-11-23T12:00:00Z"),
        ("2026-12-01T09:00", "2026-12-01T14:00:00Z"),  # ISO without an offset is local too
    ],
)
def test_times_people_type_are_read_in_their_zone(
    in_new_york: None, typed: str, meant: str
) -> None:
    assert to_iso(parse_when(typed, MONDAY_10_UTC)) == meant


def test_a_day_across_a_daylight_saving_change_keeps_its_wall_clock(in_new_york: None) -> None:
    saturday = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # the clocks go back on 1 November
    assert to_iso(parse_when("mon 9:00", saturday)) == "2026-11-02T14:00:00Z"
    assert to_iso(parse_when("fri 9:00", saturday)) == "2026-11-06T14:00:00Z"
    assert to_iso(parse_when("thu 9:00", saturday)) == "2026-11-05T14:00:00Z"
    assert to_iso(parse_when("tomorrow 9:00", saturday)) == "2026-11-01T14:00:00Z"
    assert to_iso(parse_when("today 9:00", saturday)) == "2026-10-31T13:00:00Z"  # still EDT


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("mon 25:00", "use 00:00 to 23:59"),
        ("13pm", "13pm is no hour"),
        ("tomorrow lunch", 'bad time of day "lunch"'),
        ("14", "use tomorrow 9:00, mon 14:00"),
        ("next week", "use tomorrow 9:00, mon 14:00"),
    ],
)
def test_what_is_no_time_says_what_would_be(typed: str, said: str) -> None:
    with pytest.raises(ValueError, match=r"^bad time") as raised:
        parse_when(typed, MONDAY_10_UTC)
    assert said in str(raised.value)


@given(st.text(max_size=40))
def test_any_text_is_a_time_in_range_or_one_clear_error(text: str) -> None:
    try:
        at = parse_when(text, MONDAY_10_UTC)
    except ValueError as error:
        assert str(error).startswith("bad time") and "\n" not in str(error)
        return
    assert in_range(at) and at.tzinfo is not None
