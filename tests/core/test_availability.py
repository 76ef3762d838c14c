"""Tests for core.availability: hours in each zone, leave and delegates, rotations, look-ahead."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core.engine.availability import (
    Reached,
    contact_zone,
    has_available,
    is_available,
    level_contacts,
    level_next_available_at,
    next_available_at,
    on_shift,
    primary_contact,
    reach,
    rotation_zone,
)
from escalate_cli.core.errors import NotFoundError
from escalate_cli.core.matrix.model import Contact, Level, Matrix, Rotation
from escalate_cli.core.time.hours import parse_hours
from escalate_cli.core.time.timing import Away

LONDON = ZoneInfo("Europe/London")
CHICAGO = ZoneInfo("America/Chicago")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def away(delegate: str | None = None, start: date = date(2026, 1, 1)) -> Away:
    """Leave that covers every date the tests use."""
    return Away(start, date(2027, 12, 31), delegate)


CONTACTS = (
    Contact("frontline", name="Frontline queue"),
    Contact(
        "dana",
        name="Dana Ruiz",
        timezone=CHICAGO,
        hours=parse_hours("Mon-Fri 08:00-18:00, Sat 10:00-14:00"),
        away=(Away(date(2026, 12, 24), date(2027, 1, 2), "eli"),),
    ),
    Contact("eli", name="Eli", hours=parse_hours("Mon-Fri 09:00-17:00")),
    Contact("night", hours=parse_hours("daily 22:00-06:00")),
    Contact("ana", name="Ana"),
    Contact("ben", name="Ben"),
    Contact("cho", name="Cho"),
    Contact("a1", away=(away("a2"),)),
    Contact("a2", away=(away("a3"),)),
    Contact("a3", name="Third in line"),
    Contact("l1", away=(away("l2"),)),
    Contact("l2", away=(away("l1"),)),
    Contact("self", away=(away("self"),)),
    Contact("solo", away=(away(),)),
)
ROTATIONS = (
    Rotation("sre-oncall", ("ana", "ben", "cho"), timedelta(weeks=1), datetime(2026, 1, 5, 9)),
    Rotation("ops", ("ana", "ben"), timedelta(hours=8), datetime(2026, 10, 31, 17), CHICAGO),
)
LEVELS = (
    Level("L1", ("frontline",)),
    Level("L2", ("dana", "eli")),
    Level("SRE", ("rotation:sre-oncall",)),
    Level("NIGHT", ("night", "eli")),
    Level("NOBODY", ("solo", "self")),
)
MATRIX = Matrix(levels=LEVELS, contacts=CONTACTS, rotations=ROTATIONS, timezone=LONDON)


def with_contacts(*changed: Contact) -> Matrix:
    """MATRIX with some contacts replaced (same id) or added."""
    by_id = {contact.id: contact for contact in CONTACTS} | {c.id: c for c in changed}
    return dataclasses.replace(MATRIX, contacts=tuple(by_id.values()))


# Zones and hours -------------------------------------------------------------------------------


def test_zones_fall_back_to_the_matrix_zone() -> None:
    assert contact_zone(MATRIX, MATRIX.contacts_by_id["dana"]) == CHICAGO
    assert contact_zone(MATRIX, MATRIX.contacts_by_id["eli"]) == LONDON
    assert rotation_zone(MATRIX, MATRIX.rotations_by_id["ops"]) == CHICAGO
    assert rotation_zone(MATRIX, MATRIX.rotations_by_id["sre-oncall"]) == LONDON


@pytest.mark.parametrize(
    ("contact", "at", "expected"),
    [
        ("frontline", utc(2026, 11, 29, 3), True),  # no hours: always
        ("dana", utc(2026, 11, 23, 14), True),  # Mon 08:00 CST
        ("dana", utc(2026, 11, 23, 13, 59), False),
        ("dana", utc(2026, 11, 23, 23, 59), True),  # Mon 17:59 CST
        ("dana", utc(2026, 11, 24, 0, 0), False),  # Mon 18:00 CST: the end is outside
        ("dana", utc(2026, 11, 28, 16), True),  # Sat 10:00 CST
        ("dana", utc(2026, 11, 28, 20), False),  # Sat 14:00 CST
        ("dana", utc(2026, 11, 29, 16), False),  # Sunday
        ("dana", utc(2026, 7, 6, 13), True),  # Mon 08:00 CDT in summer
        ("dana", utc(2026, 7, 6, 12, 59), False),
        ("dana", utc(2026, 3, 2, 13), False),  # Mon 07:00 CST, the week before the change
        ("dana", utc(2026, 3, 9, 13), True),  # Mon 08:00 CDT, the day after it
        ("dana", utc(2026, 11, 2, 13), False),  # Mon 07:00 CST after the fall-back
        ("dana", utc(2026, 11, 2, 14), True),
        ("eli", utc(2026, 10, 23, 8), True),  # Fri 09:00 BST
        ("eli", utc(2026, 10, 26, 8, 30), False),  # Mon 08:30 GMT
        ("eli", utc(2026, 10, 26, 9), True),
        ("night", utc(2026, 3, 28, 22), True),  # Sat 22:00 GMT
        ("night", utc(2026, 3, 29, 1), True),  # 02:00 BST, just after the jump
        ("night", utc(2026, 3, 29, 4, 59), True),  # 05:59 BST
        ("night", utc(2026, 3, 29, 5), False),  # 06:00 BST
        ("night", utc(2026, 10, 25, 5, 59), True),  # 05:59 GMT after the fall-back
        ("night", utc(2026, 10, 25, 6), False),
    ],
)
def test_is_available_reads_hours_in_the_contacts_zone(
    contact: str, at: datetime, expected: bool
) -> None:
    assert is_available(MATRIX, contact, at) is expected


def test_away_dates_are_inclusive_in_the_contacts_zone() -> None:
    assert is_available(MATRIX, "dana", utc(2026, 12, 23, 23, 59))  # Wed 17:59 CST
    assert not is_available(MATRIX, "dana", utc(2026, 12, 24, 14))  # Thu 08:00 CST, on leave
    assert not is_available(MATRIX, "dana", utc(2027, 1, 2, 16))  # Sat 10:00 CST, last day
    assert is_available(MATRIX, "dana", utc(2027, 1, 4, 14))  # Mon 08:00 CST, back


def test_unknown_contact_is_not_found() -> None:
    with pytest.raises(NotFoundError, match='"zed"'):
        is_available(MATRIX, "zed", utc(2026, 11, 23))


# Reaching contacts -----------------------------------------------------------------------------


def test_reach_a_contact_who_is_in() -> None:
    reached = reach(MATRIX, "dana", utc(2026, 11, 23, 15))
    assert reached == Reached("dana", "Dana Ruiz", True)
    assert reached.to_json() == {"id": "dana", "name": "Dana Ruiz", "available": True}


def test_reach_an_away_contact_gives_the_delegate_judged_at_that_moment() -> None:
    reached = reach(MATRIX, "dana", utc(2026, 12, 24, 10))  # Thu 10:00 in London
    assert reached == Reached("eli", "Eli", True, "delegate for dana", "dana")
    assert reached.to_json() == {
        "id": "eli",
        "name": "Eli",
        "available": True,
        "via": "delegate for dana",
        "stands_in_for": "dana",
    }
    evening = reach(MATRIX, "dana", utc(2026, 12, 24, 20))
    assert (evening.id, evening.available) == ("eli", False)


def test_reach_follows_a_chain_of_delegates() -> None:
    reached = reach(MATRIX, "a1", utc(2026, 6, 1))
    assert reached == Reached("a3", "Third in line", True, "delegate for a1 via a2", "a1")


@pytest.mark.parametrize(
    ("ref", "ends_at"), [("l1", "l2"), ("l2", "l1"), ("self", "self"), ("solo", "solo")]
)
def test_reach_stops_unavailable_at_a_loop_or_leave_without_delegate(
    ref: str, ends_at: str
) -> None:
    reached = reach(MATRIX, ref, utc(2026, 6, 1))
    assert (reached.id, reached.available) == (ends_at, False)


def test_reach_a_missing_delegate_ends_unavailable() -> None:
    matrix = with_contacts(Contact("ghosted", away=(away("nobody"),)))
    assert reach(matrix, "ghosted", utc(2026, 6, 1)) == Reached("ghosted", "ghosted", False)


def test_reach_a_rotation_gives_the_member_on_shift() -> None:
    before = reach(MATRIX, "rotation:sre-oncall", utc(2026, 3, 30, 7, 59))  # week 11
    assert before == Reached("cho", "Cho", True, "rotation:sre-oncall")
    after = reach(MATRIX, "sre-oncall", utc(2026, 3, 30, 8))  # 09:00 BST: week 12
    assert after == Reached("ana", "Ana", True, "rotation:sre-oncall")


def test_reach_a_rotation_member_on_leave_gives_their_delegate() -> None:
    matrix = with_contacts(Contact("ana", name="Ana", away=(away("a3"),)))
    reached = reach(matrix, "rotation:sre-oncall", utc(2026, 3, 30, 8))
    assert reached.id == "a3"
    assert reached.via == "rotation:sre-oncall; delegate for ana"
    assert reached.stands_in_for == "ana"


def test_a_contact_id_wins_over_a_bare_rotation_id() -> None:
    matrix = with_contacts(Contact("ops", name="Ops desk"))
    assert reach(matrix, "ops", utc(2026, 11, 1, 14)).id == "ops"
    assert reach(matrix, "rotation:ops", utc(2026, 11, 1, 14)).id == "ana"


@pytest.mark.parametrize("ref", ["zed", "rotation:zed", "rotation:"])
def test_reach_unknown_is_not_found(ref: str) -> None:
    with pytest.raises(NotFoundError):
        reach(MATRIX, ref, utc(2026, 11, 23))


def test_eight_hour_shifts_count_absolute_time_across_fall_back() -> None:
    # Started Sat 17:00 CDT (22:00Z); handovers every 8h of real time: 06:00Z, 14:00Z, 22:00Z.
    assert on_shift(MATRIX, "ops", utc(2026, 11, 1, 5, 59)) == "ana"
    assert on_shift(MATRIX, "ops", utc(2026, 11, 1, 6)) == "ben"
    assert on_shift(MATRIX, "ops", utc(2026, 11, 1, 13, 59)) == "ben"
    assert on_shift(MATRIX, "rotation:ops", utc(2026, 11, 1, 14)) == "ana"  # 08:00 CST
    assert on_shift(MATRIX, "ops", utc(2026, 10, 31, 21, 59)) == "ben"  # before the start
    with pytest.raises(NotFoundError):
        on_shift(MATRIX, "frontline", utc(2026, 11, 1))


def test_weekly_shift_hands_over_at_nine_local_both_sides_of_dst() -> None:
    assert on_shift(MATRIX, "sre-oncall", utc(2026, 10, 26, 8, 59)) == "cho"  # week 41
    assert on_shift(MATRIX, "sre-oncall", utc(2026, 10, 26, 9)) == "ana"  # 09:00 GMT, week 42


# Levels ----------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(LEVELS), st.integers(0, 60 * 24 * 400))
def test_has_available_is_whether_any_level_contact_is(level: Level, minutes: int) -> None:
    """Asked without describing who is reached (a sweep asks it of every overdue case), the
    answer is still that of the contacts as described: through rotations, leave, delegates
    and loops."""
    at = utc(2026, 1, 1) + timedelta(minutes=minutes)
    expected = any(person.available for person in level_contacts(MATRIX, level.id, at))
    assert has_available(MATRIX, level.id, at) == expected


def test_level_contacts_resolve_and_deduplicate_in_matrix_order() -> None:
    monday = level_contacts(MATRIX, "L2", utc(2026, 11, 23, 10))
    assert [(r.id, r.available) for r in monday] == [("dana", False), ("eli", True)]
    on_leave = level_contacts(MATRIX, "L2", utc(2026, 12, 24, 10))
    assert on_leave == [Reached("eli", "Eli", True, "delegate for dana", "dana")]
    assert [r.id for r in level_contacts(MATRIX, "SRE", utc(2026, 3, 30, 8))] == ["ana"]
    with pytest.raises(NotFoundError):
        level_contacts(MATRIX, "L9", utc(2026, 11, 23))


@pytest.mark.parametrize(
    ("level", "at", "primary"),
    [
        ("L2", utc(2026, 11, 23, 10), "eli"),  # dana asleep in Chicago
        ("L2", utc(2026, 11, 23, 15), "dana"),  # both in: the first wins
        ("L2", utc(2026, 11, 29, 12), "dana"),  # Sunday, nobody in: the first contact
        ("L2", utc(2026, 12, 27, 12), "eli"),  # Sunday on leave: the first contact as reached
        ("NIGHT", utc(2026, 11, 23, 10), "eli"),
        ("NIGHT", utc(2026, 11, 23, 23), "night"),
        ("NOBODY", utc(2026, 11, 23, 10), "solo"),
    ],
)
def test_primary_contact(level: str, at: datetime, primary: str) -> None:
    assert primary_contact(MATRIX, level, at) == primary


# Looking ahead ---------------------------------------------------------------------------------


def test_next_available_now_is_now() -> None:
    now = utc(2026, 11, 23, 10, 0, 30)
    assert next_available_at(MATRIX, "eli", now) == now


def test_next_available_over_a_weekend() -> None:
    assert next_available_at(MATRIX, "eli", utc(2026, 11, 27, 17)) == utc(2026, 11, 30, 9)
    # Dana's Saturday ends at 14:00 CST; she is back Monday 08:00 CST.
    assert next_available_at(MATRIX, "dana", utc(2026, 11, 28, 20, 30)) == utc(2026, 11, 30, 14)


def test_next_available_within_the_horizon_only() -> None:
    friday = utc(2026, 11, 27, 17)
    assert next_available_at(MATRIX, "eli", friday, horizon=timedelta(days=1)) is None
    assert next_available_at(MATRIX, "solo", friday) is None
    assert next_available_at(MATRIX, "l1", friday) is None
    exact = next_available_at(MATRIX, "eli", friday, horizon=timedelta(days=2, hours=16))
    assert exact == utc(2026, 11, 30, 9)


def test_next_available_through_a_delegate_then_back_to_the_contact() -> None:
    # On leave: Eli stands in and is next in on Monday 28 Dec at 09:00 London.
    assert next_available_at(MATRIX, "dana", utc(2026, 12, 26, 18)) == utc(2026, 12, 28, 9)
    # Dana's leave ends with 2 Jan (Chicago); from then on only Dana herself counts.
    assert next_available_at(MATRIX, "dana", utc(2027, 1, 2, 18)) == utc(2027, 1, 4, 14)


def test_next_available_when_leave_ends() -> None:
    leave = Away(datetime(2026, 11, 23, 9), datetime(2026, 11, 23, 13, 30))
    matrix = with_contacts(Contact("temp", timezone=CHICAGO, away=(leave,)))
    assert next_available_at(matrix, "temp", utc(2026, 11, 23, 16)) == utc(2026, 11, 23, 19, 30)


def test_next_available_on_a_rotation_is_the_handover_to_someone_in() -> None:
    matrix = with_contacts(Contact("ana", name="Ana", away=(away(),)))
    assert not reach(matrix, "rotation:ops", utc(2026, 11, 1, 3)).available
    assert next_available_at(matrix, "rotation:ops", utc(2026, 11, 1, 3)) == utc(2026, 11, 1, 6)


def test_next_available_in_a_spring_forward_gap_and_a_fall_back_fold() -> None:
    early = Contact("early", hours=parse_hours("Sun 01:30-03:00"))
    late = Contact("late", hours=parse_hours("daily 00:00-01:30"))
    twice = Contact("twice", hours=parse_hours("daily 01:30-03:00"))
    matrix = with_contacts(early, late, twice)
    # 01:30 GMT never happens on 29 Mar: the clock jumps from 01:00 GMT to 02:00 BST, inside.
    assert next_available_at(matrix, "early", utc(2026, 3, 29, 0)) == utc(2026, 3, 29, 1)
    # 25 Oct, 01:30 BST is 00:30Z; at 01:00Z the clock reads 01:00 GMT again: open once more.
    assert next_available_at(matrix, "late", utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 1)
    # At 01:00Z the clock goes back to 01:00 GMT (closed) and reaches 01:30 a second time.
    assert next_available_at(matrix, "twice", utc(2026, 10, 25, 1)) == utc(2026, 10, 25, 1, 30)


def test_level_next_available_is_the_earliest_contact() -> None:
    saturday = utc(2026, 11, 28, 20, 30)
    assert level_next_available_at(MATRIX, "L2", saturday) == utc(2026, 11, 30, 9)
    assert level_next_available_at(MATRIX, "NOBODY", saturday) is None


SPECS = [
    "Mon-Fri 08:00-18:00, Sat 10:00-14:00",
    "daily 22:00-06:00",
    "Sun 01:30-03:00, Sat 23:00-01:15",
    "daily 00:00-01:30, daily 02:00-02:30",
    "Fri-Mon 12:00-24:00",
]
WINDOWS = [utc(2026, 3, 7), utc(2026, 3, 27), utc(2026, 10, 23), utc(2026, 10, 30)]


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(SPECS),
    st.sampled_from([LONDON, CHICAGO]),
    st.sampled_from(WINDOWS),
    st.integers(0, 4 * 1440),
    st.booleans(),
)
def test_next_available_agrees_with_a_minute_by_minute_scan(
    spec: str, zone: ZoneInfo, window: datetime, offset: int, on_call: bool
) -> None:
    people = (
        Contact("x", timezone=zone, hours=parse_hours(spec)),
        Contact(
            "y",
            timezone=zone,
            hours=parse_hours("Mon-Fri 09:00-10:00, Sun 01:00-02:00"),
            away=(
                Away(date(2026, 3, 8), date(2026, 3, 9), "x"),
                Away(datetime(2026, 3, 29, 0, 30), datetime(2026, 3, 29, 2, 30), "x"),
                Away(date(2026, 10, 25), date(2026, 11, 1), "x"),
            ),
        ),
    )
    rotation = Rotation("r", ("y", "x"), timedelta(hours=7), datetime(2026, 1, 1, 3), zone)
    matrix = Matrix(levels=(Level("L", ("x",)),), contacts=people, rotations=(rotation,))
    ref = "rotation:r" if on_call else "x"
    after = window + timedelta(minutes=offset)
    horizon = timedelta(days=2)
    scan = (after + timedelta(minutes=m) for m in range(2 * 1440 + 1))
    expected = next((t for t in scan if reach(matrix, ref, t).available), None)
    assert next_available_at(matrix, ref, after, horizon) == expected
