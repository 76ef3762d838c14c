"""`next` and `sweep` cannot disagree: what `routing.upcoming` says is due at T is the move
`routing.due_now` makes at T, and not a second earlier; what `due_now` would do now,
`upcoming` reports now.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.escalation import UpRequest, escalate_up, sweep_case
from escalate_cli.core.engine import routing
from escalate_cli.core.engine.routing import Move
from escalate_cli.core.errors import EscalateError
from escalate_cli.core.matrix.model import Action, Matrix
from tests.core.routing_helpers import (
    SECOND,
    mins,
    minutes,
    open_at,
    routing_matrix,
    trigger,
    with_triggers,
)


def key(move: Move | None) -> tuple[Any, ...] | None:
    """What a move does, leaving out when it was computed."""
    if move is None:
        return None
    return (
        move.source,
        move.to_level,
        move.trigger,
        move.new_path,
        move.new_severity,
        move.external,
        move.skipped,
        move.reason,
    )


def assert_agree(matrix: Matrix, case: dict[str, Any], now: datetime) -> datetime | None:
    """Check the promise at `now`; return when the next move happens (None: never)."""
    sweeps_now = routing.due_now(matrix, case, now).move
    said = routing.upcoming(matrix, case, now)
    if sweeps_now is not None:
        assert said is not None and said.due_at is not None and said.due_at <= now
        assert key(said) == key(sweeps_now)
    if said is None:
        return None
    assert said.due_at is not None
    when = max(said.due_at, now)
    assert key(routing.due_now(matrix, case, when).move) == key(said)
    if said.due_at > now:
        assert routing.due_now(matrix, case, said.due_at - SECOND).move is None
    return when


# Examples ---------------------------------------------------------------------------------------


def test_overdue_moves_are_weighed_together_as_a_sweep_would() -> None:
    # L1's ack fell due at 10 (to L2) and the trigger at 20 (to L3); nobody swept until 30.
    matrix = with_triggers(trigger("slow", Action("jump", "L3"), at_level_for=minutes(20)))
    case = open_at(matrix, severity="sev4")
    said = routing.upcoming(matrix, case, mins(30))
    assert said is not None and (said.to_level, said.trigger) == ("L3", "slow")
    assert said.due_at == mins(20)
    assert_agree(matrix, case, mins(30))


def test_on_an_open_hold_nothing_is_upcoming_even_an_instant_trigger() -> None:
    matrix = with_triggers(trigger("legal", Action("path", "legal"), keywords=["lawyer"]))
    case = open_at(matrix, title="a lawyer phoned")
    lifecycle.hold(matrix, case, mins(1), None, "waiting", None)
    assert routing.upcoming(matrix, case, mins(2)) is None


def test_a_move_overdue_when_the_case_was_held_is_due_when_the_hold_ends() -> None:
    matrix = with_triggers()
    case = open_at(matrix, severity="sev4")  # L1 ack due at 10
    lifecycle.hold(matrix, case, mins(20), mins(60), "customer in a meeting", None)
    said = routing.upcoming(matrix, case, mins(30))
    assert said is not None and said.due_at == mins(60)
    assert assert_agree(matrix, case, mins(30)) == mins(60)


def test_an_instant_trigger_on_a_planned_hold_is_due_when_the_hold_ends() -> None:
    matrix = with_triggers(trigger("legal", Action("path", "legal"), keywords=["lawyer"]))
    case = open_at(matrix, title="a lawyer phoned", severity="sev4")
    lifecycle.hold(matrix, case, mins(1), mins(3), "waiting", None)
    said = routing.upcoming(matrix, case, mins(2))
    assert said is not None and (said.trigger, said.due_at) == ("legal", mins(3))
    assert_agree(matrix, case, mins(2))


# Property: random cases and histories on the routing matrix and its triggers -------------------

RULES = (
    trigger("to-l4-late", Action("jump", "L4"), severity=["sev1"], breached=["ack"]),
    trigger("slow-l1", Action("jump", "L3"), level=["L1"], at_level_for=minutes(25)),
    trigger("vip-quiet", Action("notify", contacts=("vp",)), tier=["vip"], silent_for=minutes(40)),
)


def full_matrix() -> Matrix:
    return with_triggers(*routing_matrix().triggers, *RULES)


ACTIONS = ("ack", "hold", "hold_until", "resume", "update", "resolve_reopen", "sweep", "up")


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "severity": draw(st.sampled_from(["sev1", "sev2", "sev3", "sev4"])),
        "type": draw(st.sampled_from(["default", "us", "weekday", "vendor", "security", "legal"])),
        "tier": draw(st.sampled_from([None, "gold", "vip"])),
        "title": draw(
            st.sampled_from(["Printer on fire", "A lawyer wrote", "Vendor outage", "cosmetic"])
        ),
        "start": draw(st.integers(0, 7 * 24 * 60)),  # a week of hours, shifts and leave
        "steps": draw(
            st.lists(st.tuples(st.integers(1, 120), st.sampled_from(ACTIONS)), max_size=5)
        ),
    }


def act(matrix: Matrix, case: dict[str, Any], action: str, now: datetime) -> None:
    """One thing a person or cron does; refusals are fine, the history just goes on."""
    try:
        if action == "ack":
            lifecycle.acknowledge(matrix, case, now, None, None)
        elif action in ("hold", "hold_until"):
            until = now + minutes(30) if action == "hold_until" else None
            lifecycle.hold(matrix, case, now, until, "waiting", None)
        elif action == "resume":
            lifecycle.resume(matrix, case, now, None)
        elif action == "update":
            lifecycle.update(matrix, case, now, "news", "customer", None)
        elif action == "resolve_reopen":
            lifecycle.resolve(matrix, case, now, "fixed", None)
            lifecycle.reopen(matrix, case, now, "back", None)
        elif action == "sweep":
            sweep_case(matrix, case, now)
        else:
            request = UpRequest("help", agreed_by="vp", force=True, by="desk")
            escalate_up(matrix, case, request, now)
    except EscalateError:
        pass


def play(
    history: dict[str, Any],
    check: Callable[[Matrix, dict[str, Any], datetime], datetime | None],
    follow: int,
) -> None:
    """Open the history's case and `check` it after each step; then, as nobody acts, sweep at
    the moment `check` says the next thing is due, `follow` times at most (as `simulate`)."""
    matrix = full_matrix()
    now = mins(history["start"])
    fields = ("severity", "type", "tier", "title")
    case = open_at(matrix, now=now, **{name: history[name] for name in fields})
    for gap, action in history["steps"]:
        now += minutes(gap)
        act(matrix, case, action, now)
        check(matrix, case, now)
    for _ in range(follow):
        when = check(matrix, case, now)
        if when is None:
            break
        sweep_case(matrix, case, when)
        now = when


@settings(max_examples=200, deadline=None)
@given(histories())
def test_next_and_sweep_agree_on_every_move_of_a_random_case(history: dict[str, Any]) -> None:
    play(history, assert_agree, follow=6)
