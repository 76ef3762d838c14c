"""core.timers.trigger_due_at: when each trigger condition holds, on tests/data/routing.yaml.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.escalation import apply_move
from escalate_cli.core.engine import routing, timers
from escalate_cli.core.matrix.model import Action, Matrix, Trigger
from tests.core.routing_helpers import (
    SECOND,
    T0,
    mins,
    minutes,
    open_at,
    routing_matrix,
    trigger,
    with_triggers,
)

JUMP_L3 = Action("jump", "L3")


def due(case: dict[str, Any], rule: Trigger) -> datetime | None:
    return timers.trigger_due_at(with_triggers(rule), case, rule)


def escalate_at(matrix: Matrix, case: dict[str, Any], minute: float) -> None:
    """A manual one-level escalation at `minute`."""
    move = routing.manual_target(matrix, case, mins(minute))
    assert move is not None
    apply_move(matrix, case, move, mins(minute))


# Static conditions: due from the moment the case entered its level --------------------------


@pytest.mark.parametrize(
    ("when", "request_", "holds"),
    [
        ({"level": ["L1"]}, {}, True),
        ({"level": ["L2", "L3"]}, {}, False),
        ({"severity": ["sev2"]}, {"severity": "sev2"}, True),
        ({"severity": ["sev2"]}, {"severity": "sev3"}, False),
        ({"type": ["us"]}, {"type": "us"}, True),
        ({"type": ["us"]}, {}, False),
        ({"tier": ["gold", "vip"]}, {"tier": "vip"}, True),
        ({"tier": ["gold"]}, {"tier": "silver"}, False),
        ({"tier": ["gold"]}, {}, False),
        ({"keywords": ["LAWYER"]}, {"title": "a lawyer phoned"}, True),
        ({"keywords": ["lawsuit"]}, {"description": "They threaten a LawSuit"}, True),
        ({"keywords": ["lawyer", "outage"]}, {"title": "Total OUTAGE"}, True),
        ({"keywords": ["lawyer"]}, {"title": "Printer on fire"}, False),
    ],
)
def test_static_conditions_hold_from_level_entry_or_never(
    when: dict[str, Any], request_: dict[str, Any], holds: bool
) -> None:
    case = open_at(**request_)
    assert due(case, trigger("t", JUMP_L3, **when)) == (T0 if holds else None)


def test_keywords_are_found_in_gathered_facts_case_insensitively() -> None:
    case = open_at(title="Printer on fire")
    rule = trigger("t", JUMP_L3, keywords=["Lawyer"])
    assert due(case, rule) is None
    fact = {"text": "Customer says their LAWYER is copied", "at": mins(3).isoformat(), "by": None}
    case["steps"]["gather"]["facts"].append(fact)
    assert due(case, rule) == T0


def test_all_conditions_must_hold_and_the_latest_due_time_wins() -> None:
    rule = trigger(
        "t", JUMP_L3, tier=["gold"], unacknowledged_for=minutes(10), silent_for=minutes(90)
    )
    assert due(open_at(tier="gold"), rule) == mins(90)
    assert due(open_at(tier="bronze"), rule) is None


# Duration conditions --------------------------------------------------------------------------


def test_unacknowledged_for_counts_from_level_entry_and_restarts_at_an_escalation() -> None:
    matrix, case = routing_matrix(), open_at()
    rule = trigger("t", JUMP_L3, unacknowledged_for=minutes(20))
    assert due(case, rule) == mins(20)
    lifecycle.acknowledge(matrix, case, mins(5), "desk", None)
    assert due(case, rule) is None
    escalate_at(matrix, case, 40)  # the new level has not acknowledged yet
    assert due(case, rule) == mins(60)


def test_unacknowledged_for_is_pushed_back_by_a_hold_and_stopped_by_an_open_one() -> None:
    matrix, case = routing_matrix(), open_at()
    rule = trigger("t", JUMP_L3, unacknowledged_for=minutes(20))
    lifecycle.hold(matrix, case, mins(5), None, "waiting", None)
    assert due(case, rule) is None
    lifecycle.resume(matrix, case, mins(15), None)
    assert due(case, rule) == mins(30)


def test_unacknowledged_for_never_holds_on_an_acknowledged_case_put_on_hold() -> None:
    matrix, case = routing_matrix(), open_at()
    lifecycle.acknowledge(matrix, case, mins(1), "desk", None)
    lifecycle.hold(matrix, case, mins(2), mins(30), "waiting", None)
    assert due(case, trigger("t", JUMP_L3, unacknowledged_for=minutes(20))) is None


def test_unresolved_for_counts_from_created_and_from_the_last_reopen() -> None:
    matrix, case = routing_matrix(), open_at()
    rule = trigger("t", JUMP_L3, unresolved_for=minutes(20))
    assert due(case, rule) == mins(20)
    lifecycle.resolve(matrix, case, mins(10), "fixed", None)
    assert due(case, rule) is None
    lifecycle.reopen(matrix, case, mins(50), "back again", None)
    assert due(case, rule) == mins(70)


def test_at_level_for_counts_from_the_last_level_change() -> None:
    matrix, case = routing_matrix(), open_at()
    rule = trigger("t", JUMP_L3, at_level_for=minutes(45))
    assert due(case, rule) == mins(45)
    escalate_at(matrix, case, 30)
    assert due(case, rule) == mins(75)


def test_silent_for_counts_from_the_last_update_and_escalations_do_not_reset_it() -> None:
    matrix, case = routing_matrix(), open_at()
    rule = trigger("t", JUMP_L3, silent_for=minutes(90))
    assert due(case, rule) == mins(90)
    lifecycle.update(matrix, case, mins(30), "still looking", "customer", None)
    assert due(case, rule) == mins(120)
    escalate_at(matrix, case, 60)
    assert due(case, rule) == mins(120)


def test_reopened_holds_from_the_nth_reopen() -> None:
    matrix, case = routing_matrix(), open_at()
    rule = trigger("t", JUMP_L3, reopened=2)
    for n, minute in enumerate((10, 30), start=1):
        lifecycle.resolve(matrix, case, mins(minute), "fixed", None)
        lifecycle.reopen(matrix, case, mins(minute + 5), "back", None)
        assert due(case, rule) == (mins(35) if n == 2 else None)


# breached: recorded, or past its deadline before any sweep recorded it ------------------------


def test_breached_ack_is_due_at_the_deadline_before_it_is_recorded() -> None:
    rule = trigger("t", JUMP_L3, breached=["ack"])
    assert due(open_at(severity="sev2"), rule) == mins(30)
    assert due(open_at(severity="sev4"), rule) is None  # no SLA, never breached


def test_breached_resolve_deadline_is_pushed_back_by_a_hold() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev1")
    lifecycle.hold(matrix, case, mins(60), mins(90), "waiting for the vendor", None)
    assert due(case, trigger("t", JUMP_L3, breached=["resolve"])) == mins(270)


def test_breached_holds_at_once_when_the_breach_is_recorded() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev2")
    lifecycle.acknowledge(matrix, case, mins(45), "desk", None)  # late: records the breach
    assert case["breached"] == ["ack"]
    rule = trigger("t", JUMP_L3, breached=["ack"])
    when = due(case, rule)
    assert when is not None and when <= mins(45)


def test_breached_ack_never_holds_when_acknowledged_in_time() -> None:
    matrix, case = routing_matrix(), open_at(severity="sev2")
    lifecycle.acknowledge(matrix, case, mins(5), "desk", None)
    rule = trigger("t", JUMP_L3, breached=["ack"])
    assert due(case, rule) is None
    assert routing.due_now(with_triggers(rule), case, mins(59)).move is None


# Never due: fired, resolved; due is inclusive ---------------------------------------------------


def test_a_trigger_that_fired_is_never_due_again() -> None:
    case = open_at(title="a lawyer phoned")
    rule = trigger("t", JUMP_L3, keywords=["lawyer"])
    case["fired_triggers"].append("t")
    assert due(case, rule) is None
    assert routing.due_now(with_triggers(rule), case, mins(5)).move is None


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_no_trigger_is_due_on_an_ended_case(status: str) -> None:
    case = open_at(title="a lawyer phoned")
    case["status"] = status
    assert due(case, trigger("t", JUMP_L3, keywords=["lawyer"])) is None


@pytest.mark.parametrize(
    ("when", "at"),
    [
        ({"unacknowledged_for": minutes(7)}, 7),
        ({"unresolved_for": minutes(8)}, 8),
        ({"at_level_for": minutes(9)}, 9),
        ({"silent_for": minutes(11)}, 11),
        ({"breached": ["ack"]}, 30),
    ],
)
def test_duration_conditions_fire_at_exactly_their_due_time(when: dict[str, Any], at: int) -> None:
    rule = trigger("t", Action("jump", "L4"), **when)
    matrix, case = with_triggers(rule), open_at(severity="sev2")
    before = routing.due_now(matrix, case, mins(at) - SECOND).move
    assert before is None or before.trigger is None  # at most L1's own timer
    move = routing.due_now(matrix, case, mins(at)).move
    assert move is not None and (move.trigger, move.to_level) == ("t", "L4")
