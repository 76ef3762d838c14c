"""`routing.next_due`, the one answer behind `list`, `list --overdue`, `sweep` and `simulate`:
a case is overdue exactly when a sweep would act on it (timing rule 2), and the time it gives
is the soonest one `next` shows.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings

from escalate_cli.core.cases.escalation import sweep_case
from escalate_cli.core.engine import routing
from escalate_cli.core.engine.wake import wake
from escalate_cli.core.matrix.model import Action, Matrix
from tests.core.routing_helpers import SECOND, mins, minutes, open_at, trigger, with_triggers
from tests.core.test_routing_agreement import histories, play


def sweep_acts(matrix: Matrix, case: dict[str, Any], now: datetime) -> bool:
    due = routing.due_now(matrix, case, now)
    return due.move is not None or bool(due.notify) or bool(due.breaches)


def shown_by_next(matrix: Matrix, case: dict[str, Any], now: datetime) -> datetime | None:
    ahead = routing.outlook(matrix, case, now)
    moments = [ahead.move.due_at] if ahead.move is not None and ahead.move.due_at else []
    moments += [n.due_at for n in ahead.notices if n.due_at is not None]
    moments += [t.due_at for t in ahead.deadlines if t.due_at is not None]
    return min(moments, default=None)


def assert_one_answer(matrix: Matrix, case: dict[str, Any], now: datetime) -> datetime | None:
    """Check the promise at `now`; return when the sweep next acts (None: never)."""
    found = routing.next_due(matrix, case, now)
    assert routing.is_overdue(matrix, case, now) == sweep_acts(matrix, case, now)
    if routing.problem(matrix, case) is None:
        assert (found.at if found else None) == shown_by_next(matrix, case, now)
    if found is None:
        return None
    when = max(found.at, now)
    assert found.acts == (found.at <= now and routing.is_overdue(matrix, case, now))
    assert sweep_acts(matrix, case, when)
    if when > now:
        assert not sweep_acts(matrix, case, when - SECOND)
    return when


def test_a_notify_only_trigger_is_the_next_thing_due_and_makes_the_case_overdue() -> None:
    rule = trigger("heads-up", Action("notify", contacts=("vp",)), at_level_for=minutes(5))
    matrix = with_triggers(rule)
    case = open_at(matrix, severity="sev4")  # L1 ack due at 10
    found = routing.next_due(matrix, case, mins(1))
    assert found is not None and (found.at, found.acts) == (mins(5), False)
    assert routing.is_overdue(matrix, case, mins(5))
    sweep_case(matrix, case, mins(5))
    assert not routing.is_overdue(matrix, case, mins(6))
    assert routing.next_due(matrix, case, mins(6)).at == mins(10)  # type: ignore[union-attr]


def test_at_the_top_with_nothing_left_nothing_is_due() -> None:
    matrix = with_triggers()
    case = open_at(matrix, severity="sev4")
    case["level"] = "L4"  # the top of default; L4 has no timers and sev4 no SLA
    assert routing.next_due(matrix, case, mins(600)) is None
    assert not routing.is_overdue(matrix, case, mins(600))


def test_overdue_moves_that_fell_due_apart_show_when_the_winner_fell_due() -> None:
    # L1's ack fell due at 10 (to L2) and the trigger at 20 (to L3): a sweep at 30 makes the
    # trigger's move, so the case shows as due since 20, not since 10.
    matrix = with_triggers(trigger("slow", Action("jump", "L3"), at_level_for=minutes(20)))
    case = open_at(matrix, severity="sev4")
    assert routing.next_due(matrix, case, mins(30)) == (mins(20), True)
    together = with_triggers(trigger("slow", Action("jump", "L3"), at_level_for=minutes(10)))
    assert routing.next_due(together, case, mins(30)) == (mins(10), True)


def assert_wake_holds(matrix: Matrix, case: dict[str, Any], now: datetime) -> datetime | None:
    """Once a case's wake has passed, `list` shows it as due since then until `holds_until`
    (the store's rows stand in for the case): what `next_due` says from the whole case."""
    kept = wake(matrix, case)
    if kept.at is not None and kept.holds_until is not None:
        last = min(kept.holds_until - SECOND, kept.at + timedelta(days=30))
        for moment in (kept.at, kept.at + SECOND, kept.at + (last - kept.at) / 2, last):
            if kept.at <= moment <= last:
                assert routing.next_due(matrix, case, moment) == (kept.at, True), moment
    return routing.next_event_at(matrix, case, now)


@settings(max_examples=150, deadline=None)
@given(histories())
def test_a_passed_wake_is_the_due_time_until_it_stops_holding(history: dict[str, Any]) -> None:
    play(history, assert_wake_holds, follow=8)


def test_a_wake_stops_holding_when_a_second_move_falls_due() -> None:
    # L1's ack falls due at 10 (to L2), the trigger at 20 (to L3): from 20 which move wins
    # decides the due time, so the case is listed from its whole text again.
    matrix = with_triggers(trigger("slow", Action("jump", "L3"), at_level_for=minutes(20)))
    case = open_at(matrix, severity="sev4")
    assert wake(matrix, case)[::2] == (mins(10), mins(20))
    single = with_triggers()
    assert wake(single, open_at(single, severity="sev4")).holds_until == routing.END


@settings(max_examples=150, deadline=None)
@given(histories())
def test_overdue_is_what_a_sweep_would_act_on_for_a_random_case(history: dict[str, Any]) -> None:
    play(history, assert_one_answer, follow=8)


def assert_breaches_are_the_sweeps(
    matrix: Matrix, case: dict[str, Any], now: datetime
) -> datetime | None:
    """`breaches_due` (what metrics count before a sweep) is what a sweep at `now` records;
    returns when the sweep next acts."""
    swept = [t.kind.removeprefix("sla_") for t in routing.due_now(matrix, case, now).breaches]
    assert routing.breaches_due(matrix, case, now) == swept
    later = now + timedelta(hours=5)
    recorded = [t.kind.removeprefix("sla_") for t in routing.due_now(matrix, case, later).breaches]
    assert routing.breaches_due(matrix, case, later) == recorded
    found = routing.next_due(matrix, case, now)
    return None if found is None else max(found.at, now)


@given(histories())
def test_the_breaches_metrics_count_unswept_are_those_a_sweep_records(
    history: dict[str, Any],
) -> None:
    play(history, assert_breaches_are_the_sweeps, follow=8)
