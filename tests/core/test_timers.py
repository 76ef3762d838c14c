"""core.timers: hold-aware due times and active time, running timers, trigger due times.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.escalation import apply_move
from escalate_cli.core.engine import routing, timers
from tests.core.routing_helpers import (
    SECOND,
    T0,
    held,
    mins,
    minutes,
    open_at,
    routing_matrix,
)

# due_after and active_time -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spans", "anchor", "expected"),
    [
        ([], 0, 60),
        ([(-30, -10)], 0, 60),  # ended before the anchor: no effect
        ([(-30, 0)], 0, 60),  # ended exactly at the anchor
        ([(-30, 20)], 0, 80),  # overlaps the anchor: only the part after it counts
        ([(10, 25)], 0, 75),
        ([(10, 25), (30, 40)], 0, 85),
        ([(10, 25), (80, 90)], 0, 75),  # the second hold starts after the pushed due time
        ([(60, 90)], 0, 60),  # starts exactly at the due time: due is inclusive
        ([(59, 90)], 0, 91),
        ([(70, None)], 0, 60),  # open-ended, but only after the due time
        ([(10, 20)], 15, 80),  # anchor inside an ended hold
    ],
)
def test_due_after_pushes_back_by_the_hold_time_after_the_anchor(
    spans: list[tuple[float, float | None]], anchor: float, expected: float
) -> None:
    case = held(*spans)
    assert timers.due_after(case, mins(anchor), minutes(60)) == mins(expected)


def test_due_after_is_none_while_an_open_ended_hold_stops_the_clock() -> None:
    assert timers.due_after(held((10, None)), T0, minutes(60)) is None
    assert timers.due_after(held((-10, None)), T0, minutes(60)) is None


def test_a_planned_until_counts_like_an_end_in_the_future_and_in_the_past() -> None:
    planned = held((10, 40), until=True)
    assert planned["status"] == "on_hold"
    assert timers.due_after(planned, T0, minutes(60)) == mins(90)
    # Asked before the until (mins 20) or after it (mins 100), the hold counts to its until.
    assert timers.active_time(planned, T0, mins(20)) == minutes(10)
    assert timers.active_time(planned, T0, mins(100)) == minutes(70)
    assert timers.is_on_hold(planned, mins(39))
    assert not timers.is_on_hold(planned, mins(40))


def test_a_hold_resumed_before_its_until_counts_up_to_the_resume() -> None:
    case = held((10, 20))
    case["holds"][0]["until"] = mins(50).isoformat()
    assert timers.due_after(case, T0, minutes(60)) == mins(70)
    assert timers.active_time(case, T0, mins(100)) == minutes(90)


@pytest.mark.parametrize(
    ("spans", "now", "expected"),
    [
        ([], 45, 45),
        ([(-30, 10)], 45, 35),
        ([(10, 20), (30, 40)], 45, 25),
        ([(10, 20), (30, 40)], 35, 20),  # now inside the second hold
        ([(10, None)], 45, 10),
        ([(50, None)], 45, 45),
    ],
)
def test_active_time_leaves_out_time_on_hold(
    spans: list[tuple[float, float | None]], now: float, expected: float
) -> None:
    assert timers.active_time(held(*spans), T0, mins(now)) == minutes(expected)


# Hypothesis: due_after is the first instant active_time reaches the duration ----------------

HORIZON = 900  # minutes: holds end by 300 and durations are at most 200


@st.composite
def hold_spans(draw: st.DrawFn) -> list[tuple[int, int | None]]:
    """Disjoint minute spans in [0, 300], in order; the last may be open-ended."""
    cuts = sorted(draw(st.sets(st.integers(0, 300), max_size=8)))
    spans: list[tuple[int, int | None]] = [
        (cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)
    ]
    if draw(st.booleans()):
        start = max([end for _, end in spans if end is not None], default=0)
        spans.append((start + draw(st.integers(0, 60)), None))
    return spans


def brute_active(spans: list[tuple[int, int | None]], anchor: int, t: int) -> int:
    """Whole minutes in [anchor, t) that are on no hold."""
    return sum(not any(s <= m and (e is None or m < e) for s, e in spans) for m in range(anchor, t))


@settings(max_examples=150, deadline=None)
@given(hold_spans(), st.integers(0, 300), st.integers(1, 200), st.booleans())
def test_due_after_is_the_first_instant_with_enough_active_time(
    spans: list[tuple[int, int | None]], anchor: int, duration: int, as_until: bool
) -> None:
    case = held(*spans, until=bool(as_until and spans and spans[-1][1] is not None))
    due = timers.due_after(case, mins(anchor), minutes(duration))
    first, active = None, 0
    for t in range(anchor, HORIZON):  # one pass of the brute-force minute count
        if active >= duration:
            first = t
            break
        active += brute_active(spans, t, t + 1)
    if first is None:
        assert due is None
        return
    assert due == mins(first)
    assert timers.active_time(case, mins(anchor), due) == minutes(duration)
    assert timers.active_time(case, mins(anchor), due - SECOND) < minutes(duration)


@settings(max_examples=150, deadline=None)
@given(hold_spans(), st.integers(0, 300), st.lists(st.integers(0, HORIZON), min_size=2))
def test_active_time_is_monotonic_and_never_exceeds_wall_time(
    spans: list[tuple[int, int | None]], anchor: int, instants: list[int]
) -> None:
    case = held(*spans)
    later = sorted(t for t in instants if t >= anchor)
    seen = [timers.active_time(case, mins(anchor), mins(t)) for t in later]
    assert seen == sorted(seen)
    for t, active in zip(later, seen, strict=True):
        assert timedelta(0) <= active <= mins(t) - mins(anchor)
        assert active == minutes(brute_active(spans, anchor, t))


# running_timers ---------------------------------------------------------------------------


def timer_dues(case: dict[str, Any]) -> dict[str, datetime | None]:
    return {t.kind: t.due_at for t in timers.running_timers(routing_matrix(), case)}


def test_an_open_case_runs_level_ack_and_after_and_both_slas() -> None:
    case = open_at(severity="sev2")
    assert timer_dues(case) == {
        "ack": mins(10),
        "after": mins(60),
        "sla_ack": mins(30),
        "sla_resolve": mins(8 * 60),
    }


def test_an_acknowledged_case_runs_only_after_and_the_resolve_sla() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev2")
    lifecycle.acknowledge(matrix, case, mins(5), "desk", None)
    assert timer_dues(case) == {"after": mins(60), "sla_resolve": mins(480)}


def test_a_case_on_an_open_hold_lists_its_timers_without_due_times() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev2")
    lifecycle.hold(matrix, case, mins(5), None, "waiting", None)
    assert timer_dues(case) == dict.fromkeys(["ack", "after", "sla_ack", "sla_resolve"])
    assert not routing.is_overdue(matrix, case, mins(600))


def test_a_case_on_a_planned_hold_has_its_timers_pushed_past_the_until() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev2")
    lifecycle.hold(matrix, case, mins(5), mins(25), "waiting", None)
    assert timer_dues(case)["ack"] == mins(30)
    assert not routing.is_overdue(matrix, case, mins(29))
    assert routing.is_overdue(matrix, case, mins(30))


@pytest.mark.parametrize("end", [lifecycle.close, "resolve"])
def test_resolved_and_closed_cases_run_no_timers(end: Any) -> None:
    matrix, case = routing_matrix(), open_at(severity="sev2")
    if end == "resolve":
        lifecycle.resolve(matrix, case, mins(1), "fixed", None)
    else:
        end(matrix, case, mins(1), None, force=True)
    assert timers.running_timers(matrix, case) == []
    assert not routing.is_overdue(matrix, case, mins(10_000))


def test_no_sla_timers_without_a_severity_sla_or_once_breached() -> None:
    assert timer_dues(open_at(severity="sev4")) == {"ack": mins(10), "after": mins(60)}
    case = open_at(severity="sev2")
    case["breached"] = ["ack", "resolve"]
    assert set(timer_dues(case)) == {"ack", "after"}


def test_level_timers_restart_at_an_escalation_but_the_slas_keep_created_at() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev2")
    lifecycle.acknowledge(matrix, case, mins(1), "desk", None)
    move = routing.due_now(matrix, case, mins(60)).move
    assert move is not None
    apply_move(matrix, case, move, mins(60))
    assert timer_dues(case) == {"after": mins(180), "sla_resolve": mins(480)}


def test_overdue_is_inclusive() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev4")
    assert not routing.is_overdue(matrix, case, mins(10) - SECOND)
    assert routing.is_overdue(matrix, case, mins(10))


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_fold_of_ascii_text_is_its_nfkc_casefold(text: str) -> None:
    assert timers.fold(text) == unicodedata.normalize("NFKC", text).casefold()


def test_fold_unifies_compatibility_forms_and_folds_case_beyond_ascii() -> None:
    assert timers.fold("STRASSE ﬁle") == timers.fold("Straße file") == "strasse file"
