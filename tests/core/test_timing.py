"""Tests for core.timing: durations, zones, hours, leave, wall time, rotations and the clock."""

from __future__ import annotations

import contextlib
import itertools
import pickle
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core.time import timing
from escalate_cli.core.time.hours import Hours, parse_hours
from escalate_cli.core.time.timing import (
    MAX_DURATION,
    Away,
    format_duration,
    from_iso,
    local_wall,
    parse_away,
    parse_duration,
    parse_instant,
    parse_wall_time,
    parse_when,
    parse_zone,
    resolve_now,
    rotation_member_index,
    to_iso,
    wall_instants,
    wall_to_instant,
)

LONDON = ZoneInfo("Europe/London")
CHICAGO = ZoneInfo("America/Chicago")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def reader_in_chicago(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pretend the person at the terminal is in Chicago, for naive --now values."""
    monkeypatch.setenv("TZ", "America/Chicago")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


# Durations -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("4h", 14400),
        ("2d", 172800),
        ("1w", 604800),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("  4h ", 14400),
        ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
        ("0h30m", 1800),
        ("3660d", 3660 * 86400),
    ],
)
def test_parse_duration_reads_every_unit(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "value",
    ["2x", "", " ", "90", "0s", "0h0m", "-1h", "+1h", "1m1h", "1h1h", "1H", "1.5h", "1 h", "h",
     "٣h", "3661d", "999999999999s", "9999999w", 90, 1.5, None, True, [], {}, b"4h"],
)  # fmt: skip
def test_parse_duration_rejects_with_value_error(value: object) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(value)


def test_parse_duration_message_quotes_value_and_says_what_to_use() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration("2x")
    assert str(caught.value) == 'bad duration "2x" (use 90s, 15m, 4h, 2d, 1w, 1h30m)'


def test_parse_duration_accepts_an_already_parsed_value() -> None:
    assert parse_duration(timedelta(hours=4)) == timedelta(hours=4)
    with pytest.raises(ValueError):
        parse_duration(timedelta(0))


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=2), "2d"),
        (timedelta(seconds=45), "45s"),
        (timedelta(days=8), "1w1d"),
        (timedelta(0), "0s"),
        (timedelta(milliseconds=400), "0s"),
        (timedelta(minutes=5, microseconds=999), "5m"),
        (-timedelta(hours=1, minutes=30), "-1h30m"),
    ],
)
def test_format_duration(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


@given(st.integers(min_value=1, max_value=int(MAX_DURATION.total_seconds())))
def test_format_then_parse_round_trips(seconds: int) -> None:
    td = timedelta(seconds=seconds)
    assert parse_duration(format_duration(td)) == td


# Zones -----------------------------------------------------------------------------------------


def test_parse_zone_reads_iana_names() -> None:
    assert parse_zone("Europe/London") == LONDON
    assert parse_zone(" UTC ") == ZoneInfo("UTC")
    assert parse_zone(CHICAGO) is CHICAGO


@pytest.mark.parametrize(
    "value", ["", "../x", "/etc/passwd", "Europe", "zone.tab", "Not/AZone", "localtime", "\x00",
              "europe/london", "a" * 5000, 5, None, ["UTC"]],
)  # fmt: skip
def test_parse_zone_rejects_junk_with_value_error(value: object) -> None:
    with pytest.raises(ValueError, match=r"unknown timezone .*use an IANA name"):
        parse_zone(value)


# Wall-clock time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2026-01-05T09:00", "2026-01-05 09:00", " 2026-01-05T09:00:00 ", datetime(2026, 1, 5, 9)],
)
def test_parse_wall_time_reads_strings_and_yaml_datetimes(value: object) -> None:
    assert parse_wall_time(value) == datetime(2026, 1, 5, 9, 0)


def test_parse_wall_time_reads_a_date_as_midnight() -> None:
    assert parse_wall_time(date(2026, 1, 5)) == datetime(2026, 1, 5)
    assert parse_wall_time("2026-01-05") == datetime(2026, 1, 5)


@pytest.mark.parametrize(
    "value",
    ["09:00", "2026-13-01", "2026-01-05T25:00", "2026-01-05T09:00Z", "5 Jan 2026", "", 20260105,
     None, datetime(2026, 1, 5, 9, tzinfo=UTC), date(1, 1, 1), "9999-12-31"],
)  # fmt: skip
def test_parse_wall_time_rejects_junk(value: object) -> None:
    with pytest.raises(ValueError, match="bad date-time"):
        parse_wall_time(value)


def test_wall_to_instant_in_a_gap_lands_where_the_gap_ends() -> None:
    # London 29 Mar 2026: 01:00 GMT jumps to 02:00 BST, so 01:30 never happens.
    assert wall_to_instant(datetime(2026, 3, 29, 1, 30), LONDON) == utc(2026, 3, 29, 1, 0)
    assert local_wall(utc(2026, 3, 29, 1, 0), LONDON) == datetime(2026, 3, 29, 2, 0)
    # Chicago 8 Mar 2026: 02:00 CST jumps to 03:00 CDT.
    assert wall_to_instant(datetime(2026, 3, 8, 2, 30), CHICAGO) == utc(2026, 3, 8, 8, 0)


def test_wall_to_instant_when_ambiguous_takes_the_first_occurrence() -> None:
    assert wall_to_instant(datetime(2026, 10, 25, 1, 30), LONDON) == utc(2026, 10, 25, 0, 30)
    assert wall_to_instant(datetime(2026, 11, 1, 1, 30), CHICAGO) == utc(2026, 11, 1, 6, 30)
    assert wall_instants(datetime(2026, 11, 1, 1, 30), CHICAGO) == (
        utc(2026, 11, 1, 6, 30),
        utc(2026, 11, 1, 7, 30),
    )


def test_wall_to_instant_and_local_wall_on_an_ordinary_day() -> None:
    assert wall_to_instant(datetime(2026, 7, 1, 9), LONDON) == utc(2026, 7, 1, 8)
    assert wall_to_instant(datetime(2026, 1, 5, 9), CHICAGO) == utc(2026, 1, 5, 15)
    assert local_wall(utc(2026, 7, 1, 8), LONDON) == datetime(2026, 7, 1, 9)


# Leave -----------------------------------------------------------------------------------------


def test_parse_away_accepts_dates_datetimes_and_strings() -> None:
    away = parse_away({"from": date(2026, 12, 24), "until": "2027-01-02", "delegate": "eli"})
    assert away == Away(date(2026, 12, 24), date(2027, 1, 2), "eli")
    timed = parse_away({"from": datetime(2026, 12, 24, 10), "until": "2026-12-24T16:30"})
    assert timed == Away(datetime(2026, 12, 24, 10), datetime(2026, 12, 24, 16, 30), None)
    assert parse_away({"from": "2026-12-24", "until": "2026-12-24"}).until == date(2026, 12, 24)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"from": "2026-12-24", "until": "2027-01-02", "to": "x"}, 'unknown key "to"'),
        ({"until": "2027-01-02"}, '"from" is required'),
        ({"from": "2026-12-24"}, '"until" is required'),
        ({"from": "2026-12-24", "until": "2026-12-23"}, "until 2026-12-23 is not after from"),
        ({"from": "2026-12-24T10:00", "until": "2026-12-24T10:00"}, "is not after"),
        ({"from": "2026-12-24", "until": "soon"}, 'until: bad date-time "soon"'),
        ({"from": "2026-12-24T10:00+01:00", "until": "2027-01-02"}, "from: bad date-time"),
        ({"from": "2026-12-24", "until": "2027-01-02", "delegate": 7}, "bad delegate 7"),
        ("2026-12-24", "bad away"),
        (None, "bad away"),
    ],
)
def test_parse_away_errors_name_the_problem(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_away(value)


def test_away_dates_are_whole_days_in_the_zone_both_inclusive() -> None:
    away = parse_away({"from": date(2026, 12, 24), "until": date(2027, 1, 2)})
    # Chicago is UTC-6 in winter: 24 Dec 00:00 local is 06:00Z.
    assert not away.covers(utc(2026, 12, 24, 5, 59), CHICAGO)
    assert away.covers(utc(2026, 12, 24, 6, 0), CHICAGO)
    assert away.covers(utc(2027, 1, 3, 5, 59, 59), CHICAGO)
    assert not away.covers(utc(2027, 1, 3, 6, 0), CHICAGO)
    assert away.ends_at(CHICAGO) == utc(2027, 1, 3, 6, 0)
    assert away.starts_at(LONDON) == utc(2026, 12, 24, 0, 0)


def test_away_date_times_include_from_and_exclude_until() -> None:
    away = parse_away({"from": "2026-07-01T09:00", "until": "2026-07-01T13:00"})
    assert away.covers(utc(2026, 7, 1, 8, 0), LONDON)  # 09:00 BST
    assert away.covers(utc(2026, 7, 1, 11, 59), LONDON)
    assert not away.covers(utc(2026, 7, 1, 12, 0), LONDON)
    assert away.ends_at(LONDON) == utc(2026, 7, 1, 12, 0)


# Rotations -------------------------------------------------------------------------------------

START = datetime(2026, 1, 5, 9, 0)  # a Monday
WEEK = timedelta(weeks=1)


@pytest.mark.parametrize(
    ("zone", "handover", "week"),
    [
        (LONDON, utc(2026, 3, 30, 8), 12),  # 09:00 BST; counting absolute time would say 09:00Z
        (LONDON, utc(2026, 10, 26, 9), 42),  # 09:00 GMT again
        (CHICAGO, utc(2026, 3, 9, 14), 9),  # 09:00 CDT, the day after the clocks went forward
        (CHICAGO, utc(2026, 11, 2, 15), 43),  # 09:00 CST, the day after they went back
    ],
)
def test_weekly_rotation_hands_over_at_the_same_local_time_across_dst(
    zone: ZoneInfo, handover: datetime, week: int
) -> None:
    second = timedelta(seconds=1)
    assert rotation_member_index(START, zone, WEEK, handover - second, 1000) == week - 1
    assert rotation_member_index(START, zone, WEEK, handover, 1000) == week
    assert rotation_member_index(START, zone, WEEK, handover + WEEK - second, 1000) == week
    assert rotation_member_index(START, zone, WEEK, handover, 3) == week % 3
    assert local_wall(handover, zone).time() == START.time()


def test_eight_hour_rotation_counts_absolute_time_across_dst() -> None:
    start = datetime(2026, 3, 28, 21, 0)  # 21:00 GMT = 21:00Z; shifts hand over every 8h
    shift = timedelta(hours=8)
    assert rotation_member_index(start, LONDON, shift, utc(2026, 3, 29, 4, 59), 3) == 0
    # 05:00Z is 06:00 BST after the clocks went forward: absolute time, not 05:00 local.
    assert rotation_member_index(start, LONDON, shift, utc(2026, 3, 29, 5, 0), 3) == 1
    assert rotation_member_index(start, LONDON, shift, utc(2026, 3, 29, 13, 0), 3) == 2
    autumn = datetime(2026, 10, 31, 17, 0)  # Chicago, 17:00 CDT = 22:00Z
    assert rotation_member_index(autumn, CHICAGO, shift, utc(2026, 11, 1, 13, 59), 2) == 1
    assert rotation_member_index(autumn, CHICAGO, shift, utc(2026, 11, 1, 14, 0), 2) == 0


def test_rotation_before_its_start_counts_backwards() -> None:
    first = wall_to_instant(START, LONDON)
    assert rotation_member_index(START, LONDON, WEEK, first, 3) == 0
    assert rotation_member_index(START, LONDON, WEEK, first - timedelta(seconds=1), 3) == 2
    assert rotation_member_index(START, LONDON, WEEK, first - WEEK, 3) == 2
    assert rotation_member_index(START, LONDON, WEEK, first - WEEK - timedelta(seconds=1), 3) == 1


def test_rotation_rejects_no_members_or_no_shift() -> None:
    with pytest.raises(ValueError):
        rotation_member_index(START, LONDON, WEEK, utc(2026, 2, 1), 0)
    with pytest.raises(ValueError):
        rotation_member_index(START, LONDON, timedelta(0), utc(2026, 2, 1), 3)


@settings(max_examples=200)
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
    st.sampled_from([timedelta(days=1), timedelta(days=2), WEEK, timedelta(hours=8)]),
    st.sampled_from([LONDON, CHICAGO]),
)
def test_shift_number_brackets_the_instant(
    naive: datetime, shift: timedelta, zone: ZoneInfo
) -> None:
    at = naive.replace(tzinfo=UTC)
    n = timing.shift_number(START, zone, shift, at)
    assert timing.shift_start(START, zone, shift, n) <= at
    assert at < timing.shift_start(START, zone, shift, n + 1)
    if shift % timedelta(days=1) == timedelta(0):
        assert local_wall(timing.shift_start(START, zone, shift, n), zone).time() == START.time()


# The clock -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23T14:05:00Z", utc(2026, 11, 23, 14, 5)),
        ("2026-11-23t14:05:00z", utc(2026, 11, 23, 14, 5)),
        ("2026-11-23T15:05:00+01:00", utc(2026, 11, 23, 14, 5)),
        ("2026-11-23T14:05:00.250Z", utc(2026, 11, 23, 14, 5, 0, 250000)),
        ("2026-11-23T08:05", utc(2026, 11, 23, 14, 5)),  # naive: the reader's zone (Chicago)
        ("2026-11-23", utc(2026, 11, 23, 6, 0)),  # a date: local midnight
    ],
)
def test_parse_instant(reader_in_chicago: None, text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize("text", ["", "now", "2026-11-31T00:00:00Z", "4h", "14:05"])
def test_parse_instant_rejects_junk(reader_in_chicago: None, text: str) -> None:
    with pytest.raises(ValueError, match=r"bad time .*use ISO-8601"):
        parse_instant(text)


@pytest.mark.parametrize(
    "text",
    ["0001-01-01", "1969-12-31T23:59:59Z", "9999-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00"],
)
def test_parse_instant_rejects_times_out_of_range(reader_in_chicago: None, text: str) -> None:
    with pytest.raises(ValueError, match=r"out of range \(from 1970-01-01T00:00Z, before 9999"):
        parse_instant(text)


def test_parse_instant_accepts_the_edges_of_the_range() -> None:
    assert parse_instant("1970-01-01T00:00:00Z") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_instant("9998-12-31T23:59:59Z") == datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_parse_when_reads_instants_and_durations_from_now() -> None:
    now = utc(2026, 11, 23, 10)
    assert parse_when("4h", now) == utc(2026, 11, 23, 14)
    assert parse_when("+4h", now) == utc(2026, 11, 23, 14)
    assert parse_when(" 2d ", now) == utc(2026, 11, 25, 10)
    assert parse_when("2026-12-01T09:00:00Z", now) == utc(2026, 12, 1, 9)
    for junk in ["+", "+x", "-4h", "tomorrow at", "", "+0s", "+99999w"]:
        with pytest.raises(ValueError, match=r"^bad time"):
            parse_when(junk, now)
    with pytest.raises(ValueError, match=r'^bad time "\+x" \(use a duration'):
        parse_when("+x", now)


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30)))
def test_parse_when_reads_any_iso_instant_as_parse_instant_does(moment: datetime) -> None:
    now = utc(2026, 11, 23, 10)
    for text in (moment.isoformat(), moment.isoformat() + "Z", f"{moment:%Y-%m-%d %H:%M}"):
        assert parse_when(text, now) == parse_instant(text)


def test_parse_when_says_what_it_reads_when_nothing_reads_the_text() -> None:
    now = utc(2026, 11, 23, 10)
    with pytest.raises(ValueError, match=r'^bad time "sometime" \(use tomorrow 9:00'):
        parse_when("sometime", now)
    with pytest.raises(ValueError, match=r"out of range"):
        parse_when("9999-06-01T00:00:00Z", now)
    with pytest.raises(ValueError, match=r'^bad time "mon 25:00"'):
        parse_when("mon 25:00", now)


def test_to_iso_and_from_iso() -> None:
    moment = datetime(2026, 11, 23, 15, 5, 7, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert to_iso(moment) == "2026-11-23T14:05:07Z"
    assert to_iso(datetime(2026, 11, 23, 14, 5)) == "2026-11-23T14:05:00Z"  # naive is UTC
    assert to_iso(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00Z"
    assert from_iso("2026-11-23T14:05:07Z") == utc(2026, 11, 23, 14, 5, 7)
    assert from_iso("2026-11-23T14:05:07") == utc(2026, 11, 23, 14, 5, 7)
    assert from_iso(to_iso(moment)).tzinfo == UTC
    with pytest.raises(ValueError, match="bad timestamp"):
        from_iso("yesterday")


_STAMP_CHARS = st.sampled_from([*"0123456789-:T tZz.+ ", "\u0661", "\xa0"])


@st.composite
def _stored_stamps(draw: st.DrawFn) -> str:
    """A stamp as `to_iso` writes it, or one with a character swapped (t, a space, junk)."""
    stamp = list(to_iso(draw(st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30)))))
    for _ in range(draw(st.integers(0, 2))):
        stamp[draw(st.integers(0, 18))] = draw(_STAMP_CHARS)
    return "".join(stamp)


@given(_stored_stamps())
@settings(max_examples=400)
def test_from_iso_reads_a_stamp_in_the_stored_form_as_any_other(text: str) -> None:
    """Twenty characters ending in Z take a shorter path: it must read them as the general
    path does (stripped, upper-cased, made UTC), and refuse what it refuses."""
    try:
        expected = datetime.fromisoformat(text.strip().upper()).astimezone(UTC)
    except ValueError:
        with pytest.raises(ValueError, match="bad timestamp"):
            from_iso(text)
        return
    read = from_iso(text)
    assert read == expected and read.tzinfo == UTC


# A few stamps, so that documents repeat them: good ones, and ones the check refuses (a bad
# date, out of range, lower case, a number, a list).
_STAMP_POOL = st.sampled_from(
    [
        "2026-11-23T12:00:00Z",
        "2026-11-23T12:00:01Z",
        "2026-11-23T12:00:00+01:00",
        "2026-02-30T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "9999-01-01T00:00:00Z",
        "2026-11-23t12:00:00z",
        17,
        ["2026-11-23T12:00:00Z"],
        None,
    ]
)
_DOCUMENTS = st.recursive(
    st.one_of(_STAMP_POOL, st.text(max_size=3)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["at", "due_at", "since", "text", "data", "atx"]), inner),
    ),
    max_leaves=20,
)


def _reference_first_bad_time(document: object) -> tuple[tuple[object, ...], object] | None:
    """The first unusable time, in document order, found the plain way: every key judged and
    every stamp checked where it is met."""
    if isinstance(document, dict):
        entries = list(document.items())
    elif isinstance(document, list):
        entries = list(enumerate(document))
    else:
        return None
    for key, value in entries:
        named_time = isinstance(key, str) and (
            key in ("at", "since", "until", "due") or key.endswith("_at")
        )
        if named_time and value is not None:
            if not timing._usable_stamp(value):
                return (key,), value
        elif isinstance(value, dict | list):
            found = _reference_first_bad_time(value)
            if found is not None:
                return (key, *found[0]), found[1]
    return None


@given(st.lists(_DOCUMENTS, max_size=6))
@settings(max_examples=400)
def test_first_bad_time_finds_what_a_plain_walk_finds(timeline: list[object]) -> None:
    """The check finds the first bad time with its path, in document order, as a walk written
    the plain way does."""
    document = {"created_at": "2026-11-23T12:00:00Z", "timeline": timeline}
    assert timing._first_bad_time(document) == _reference_first_bad_time(document)


@given(st.lists(_DOCUMENTS, max_size=6), st.lists(_DOCUMENTS, max_size=3))
@settings(max_examples=400)
def test_times_usable_when_a_plain_walk_finds_no_bad_time(
    timeline: list[object], customer: list[object]
) -> None:
    """The check a key at a time across the dicts of one depth says a document is fine exactly
    when a walk of every value finds no bad time."""
    document = {"created_at": "2026-11-23T12:00:00Z", "timeline": timeline, "more": customer}
    assert timing._times_usable(document) == (_reference_first_bad_time(document) is None)


def test_resolve_now_prefers_flag_then_environment_then_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timing, "system_now", lambda: utc(2030, 1, 1))
    env = {"ESCALATE_NOW": "2026-11-23T10:00:00Z"}
    assert resolve_now("2026-01-01T00:00:00Z", env) == utc(2026, 1, 1)
    assert resolve_now(None, env) == utc(2026, 11, 23, 10)
    assert resolve_now(None, {"ESCALATE_NOW": " "}) == utc(2030, 1, 1)
    assert resolve_now(None, {}) == utc(2030, 1, 1)
    with pytest.raises(ValueError, match=r"^--now: bad time"):
        resolve_now("junk", env)
    with pytest.raises(ValueError, match=r"^ESCALATE_NOW: bad time"):
        resolve_now(None, {"ESCALATE_NOW": "junk"})


def test_system_now_is_aware_utc() -> None:
    now = timing.system_now()
    assert now.tzinfo == UTC
    assert abs(now.timestamp() - time.time()) < 60


# Junk in, ValueError out -----------------------------------------------------------------------

scalars = st.one_of(
    st.text(),
    st.text(alphabet="0123456789wdhms :-+,.TZ"),
    st.integers(),
    st.floats(),
    st.none(),
    st.booleans(),
    st.binary(max_size=8),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.timedeltas(),
)
junk = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(), scalars))
hours_junk = st.text(alphabet="MonTuWedFrSaSudaily0123456789:-, ", max_size=40)
away_junk = st.dictionaries(st.sampled_from(["from", "until", "delegate", "to"]), scalars)


@pytest.mark.parametrize(
    "parse", [parse_duration, parse_zone, parse_hours, parse_away, parse_wall_time]
)
@settings(max_examples=300)
@given(value=st.one_of(junk, hours_junk, away_junk))
def test_every_parser_fails_only_with_value_error(parse: object, value: object) -> None:
    assert callable(parse)
    with contextlib.suppress(ValueError):
        parse(value)


@settings(max_examples=300)
@given(text=st.one_of(st.text(), st.text(alphabet="0123456789-:T Z+.wdhms")))
def test_clock_parsers_fail_only_with_value_error(text: str) -> None:
    for parse in (parse_instant, from_iso, lambda t: parse_when(t, utc(2026, 1, 1))):
        with contextlib.suppress(ValueError):
            assert parse(text).tzinfo == UTC


def test_hours_pickle_hash_and_str() -> None:
    hours = parse_hours("Mon-Fri 08:00-18:00, Sat 10:00-14:00")
    assert str(hours) == "Mon-Fri 08:00-18:00, Sat 10:00-14:00"
    copy = pickle.loads(pickle.dumps(hours))
    assert copy == hours
    assert hash(copy) == hash(hours)
    assert copy.contains(datetime(2026, 11, 28, 11))  # a Saturday
    assert isinstance(hours, Hours)


# Business hours --------------------------------------------------------------------------------

MON = datetime(2026, 11, 23)  # a Monday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the week of MON: day 0 is Monday."""
    return MON + timedelta(days=day, hours=hour, minutes=minute)


@pytest.mark.parametrize(
    ("spec", "inside", "outside"),
    [
        ("Mon-Fri 09:00-17:00", [at(0, 9), at(4, 16, 59)], [at(0, 8, 59), at(0, 17), at(5, 12)]),
        ("Mon,Wed 09:00-17:00, Sat 10:00-14:00", [at(0, 9), at(2, 12), at(5, 10)],
         [at(1, 12), at(5, 14), at(6, 12)]),
        ("daily 22:00-06:00", [at(0, 22), at(1, 5, 59), at(0, 3), at(6, 23)],
         [at(0, 6), at(3, 21)]),
        ("Sun 22:00-06:00", [at(6, 22), at(0, 5, 59)], [at(0, 6), at(5, 23), at(0, 22)]),
        ("Mon 18:00-24:00", [at(0, 23, 59)], [at(1, 0), at(0, 17, 59)]),
        ("daily 00:00-24:00", [at(0, 0), at(6, 23, 59)], []),
        ("Fri-Mon 10:00-12:00", [at(4, 10), at(5, 11), at(6, 11), at(0, 11)],
         [at(1, 11), at(3, 11)]),
        ("monday-FRIDAY 9:00-17:00", [at(0, 9), at(4, 9)], [at(5, 9)]),
        ("Mon 09:00-12:00, Mon 12:00-17:00", [at(0, 12)], [at(0, 17)]),
        ("Sat 22:00-00:00", [at(5, 23, 59)], [at(6, 0)]),
    ],
)  # fmt: skip
def test_hours_contains(spec: str, inside: list[datetime], outside: list[datetime]) -> None:
    hours = parse_hours(spec)
    assert all(hours.contains(moment) for moment in inside)
    assert not any(hours.contains(moment) for moment in outside)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Mon 09:00-09:00", "starts and ends at the same time"),
        ("Mon 24:00-10:00", 'bad time "24:00"'),
        ("Mon 09:00-25:00", 'bad time "25:00"'),
        ("Mon 09:60-17:00", 'bad time "09:60"'),
        ("Mon 09:00-24:30", 'bad time "24:30"'),
        ("Mon-Fry 09:00-17:00", 'unknown day "Fry"'),
        ("09:00-17:00", "name the days"),
        ("Mon", "days without a time range"),
        ("Mon 09:00-17:00,", "empty part"),
        ("Mon 9-17", "cannot read"),
        ("", "bad hours"),
        (None, "bad hours"),
    ],
)
def test_parse_hours_errors(spec: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_hours(spec)
    assert str(caught.value).startswith("bad hours")


def test_transitions_list_opening_and_closing_times_inclusive() -> None:
    hours = parse_hours("Mon-Fri 09:00-17:00")
    week = list(hours.transitions(at(0, 9), at(4, 17)))
    assert week[0] == at(0, 9) and week[-1] == at(4, 17) and len(week) == 10
    assert list(hours.transitions(at(0, 9, 1), at(0, 16, 59))) == []
    assert list(parse_hours("daily 00:00-24:00").transitions(at(0, 0), at(13, 0))) == []


def test_transitions_skip_points_where_nothing_changes() -> None:
    merged = parse_hours("Mon 09:00-12:00, Mon 11:00-17:00, Mon 17:00-18:00")
    assert list(merged.transitions(at(0, 0), at(1, 0))) == [at(0, 9), at(0, 18)]
    overnight = parse_hours("Sun 22:00-06:00, Mon 06:00-08:00")
    assert list(overnight.transitions(at(0, 0), at(7, 0))) == [at(0, 8), at(6, 22)]


ranges = st.lists(
    st.tuples(
        st.frozensets(st.integers(0, 6), min_size=1),
        st.integers(0, 1439),
        st.integers(0, 1440),  # 0 is an end of 00:00 (midnight), 1440 one of 24:00
    ).filter(lambda r: r[1] != r[2]),
    min_size=1,
    max_size=4,
)


def _spec(parts: list[tuple[frozenset[int], int, int]]) -> str:
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return ", ".join(
        f"{','.join(names[d] for d in sorted(days))} "
        f"{start // 60:02}:{start % 60:02}-{end // 60:02}:{end % 60:02}"
        for days, start, end in parts
    )


def _brute_open(parts: list[tuple[frozenset[int], int, int]], moment: datetime) -> bool:
    """An independent reading of the spec: same day up to the end, or yesterday's overnight tail."""
    day, minute = moment.weekday(), moment.hour * 60 + moment.minute
    for days, start, end in parts:
        if start < end:
            if day in days and start <= minute < end:
                return True
        elif (day in days and minute >= start) or ((day - 1) % 7 in days and minute < end):
            return True
    return False


@settings(max_examples=300)
@given(ranges, st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_hours_contains_agrees_with_brute_force(
    parts: list[tuple[frozenset[int], int, int]], moment: datetime
) -> None:
    assert parse_hours(_spec(parts)).contains(moment) == _brute_open(parts, moment)


@settings(max_examples=25, deadline=None)
@given(ranges)
def test_transitions_are_exactly_where_contains_changes(
    parts: list[tuple[frozenset[int], int, int]],
) -> None:
    hours = parse_hours(_spec(parts))
    week = [MON + timedelta(minutes=m) for m in range(7 * 1440)]
    changes = [
        m for prev, m in itertools.pairwise(week) if hours.contains(prev) != hours.contains(m)
    ]
    found = list(hours.transitions(week[1], week[-1]))
    assert found == changes
