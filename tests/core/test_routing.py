"""core.routing: moves onto paths, one step up, choosing between moves, and what is due now.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml. At T0 the
desk, sam and ana are reachable; kim (Tokyo) and cal (Chicago) are not. At 20:00 UTC nobody at
L2 is. The agreement of `upcoming` (what `next` says) with `due_now` (what `sweep` does) is in
tests/core/test_routing_agreement.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.escalation import sweep_case
from escalate_cli.core.engine import routing
from escalate_cli.core.engine.routing import Move
from escalate_cli.core.matrix.model import Action, Contact, Level, Matrix, Path
from escalate_cli.core.time import hours
from tests.core.routing_helpers import (
    T0,
    mins,
    minutes,
    open_at,
    routing_matrix,
    trigger,
    with_triggers,
)

SATURDAY = datetime.fromisoformat("2026-11-28T12:00:00+00:00")
EVENING = mins(10 * 60)  # Monday 20:00 UTC


def level_rank(level_id: str) -> int:
    return routing_matrix().level_rank[level_id]


# onto_path ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "from_level", "expected"),
    [
        ("default", "L2", "L2"),  # on the path: stays
        ("default", "US", "L3"),  # between two of its levels: the next one up
        ("legal", "L1", "L3"),  # below the path: its lowest level
        ("us-only", "L4", "US"),  # above the path: its top
        ("security", "L3", "L4"),
    ],
)
def test_onto_path_gives_the_lowest_level_at_or_above(
    path: str, from_level: str, expected: str
) -> None:
    matrix = routing_matrix()
    assert routing.onto_path(matrix, matrix.all_paths[path], level_rank(from_level)) == expected


# step_up ----------------------------------------------------------------------------------------


def case_on(path: str, level: str) -> dict[str, Any]:
    case = open_at(type=path)
    case["level"] = level
    return case


@pytest.mark.parametrize(
    ("path", "at", "expected", "skipped"),
    [
        ("default", T0, "L2", []),
        ("default", EVENING, "L3", ["L2"]),
        ("us", T0, "L3", ["US"]),  # cal is asleep in Chicago
        ("us-only", T0, "US", []),  # the top, even though nobody there is available
        ("weekday", SATURDAY, "L4", ["L2", "US"]),
    ],
)
def test_step_up_skips_unavailable_levels_but_never_past_the_top(
    path: str, at: datetime, expected: str, skipped: list[str]
) -> None:
    level_id, why = routing.step_up(routing_matrix(), case_on(path, "L1"), at)
    assert level_id == expected
    assert [level for level, _ in why] == skipped
    assert all(reason == f"nobody at {level} is available" for level, reason in why)


def test_step_up_without_skip_unavailable_goes_one_level_up_regardless() -> None:
    matrix = replace(routing_matrix(), skip_unavailable=False)
    assert routing.step_up(matrix, case_on("default", "L1"), EVENING) == ("L2", ())
    assert routing.step_up(matrix, case_on("us", "L1"), T0) == ("US", ())


def test_step_up_with_nobody_available_anywhere_goes_to_the_top() -> None:
    never = hours.parse_hours("Sun 03:00-03:01")
    matrix = Matrix(
        levels=(Level("A", ("a",)), Level("B", ("b",)), Level("C", ("c",)), Level("D", ("d",))),
        contacts=(Contact("a"), *(Contact(c, hours=never) for c in "bcd")),
        skip_unavailable=True,
    )
    case = open_at(matrix)
    assert case["level"] == "A"
    level_id, skipped = routing.step_up(matrix, case, T0)
    assert (level_id, [level for level, _ in skipped]) == ("D", ["B", "C"])


def test_step_up_follows_the_path_and_refuses_at_its_top() -> None:
    matrix = routing_matrix()
    assert routing.step_up(matrix, case_on("vendor", "L1"), T0)[0] == "L3"
    with pytest.raises(LookupError):
        routing.step_up(matrix, case_on("default", "L4"), T0)
    with pytest.raises(LookupError):
        routing.step_up(matrix, case_on("us-only", "US"), T0)


# choose -----------------------------------------------------------------------------------------


def move(source: Any, to: str, trigger_id: str | None = None, **extra: Any) -> Move:
    return Move(source, to, f"{source} {to}", T0, trigger=trigger_id, **extra)


def test_choose_takes_the_move_that_goes_highest() -> None:
    moves = [move("timer", "L2"), move("trigger", "L4", "b"), move("trigger", "L3", "a")]
    assert routing.choose(routing_matrix(), moves) == moves[1]


def test_choose_breaks_a_tie_for_the_trigger_then_the_first_listed() -> None:
    timer, first, second = move("timer", "L3"), move("trigger", "L3", "a"), move("trigger", "L3")
    assert routing.choose(routing_matrix(), [timer, first, second]) is first
    assert routing.choose(routing_matrix(), [first, timer]) is first


def test_choose_ranks_a_move_beyond_the_top_highest_of_all() -> None:
    external = move("timer", "L3", external=True, notify=("regulator",))
    moves = [move("trigger", "L4", "jump"), external]
    assert routing.choose(routing_matrix(), moves) is external
    assert routing.choose(routing_matrix(), []) is None


# due_now ----------------------------------------------------------------------------------------


def crowded_matrix() -> Matrix:
    return with_triggers(
        trigger("tell-vp", Action("notify", contacts=("vp",)), at_level_for=minutes(10)),
        trigger("horizontal", Action("path", "vendor"), keywords=["vendor"]),
        trigger("to-l3", Action("jump", "L3"), at_level_for=minutes(20)),
        trigger("raise", Action("severity", "sev1"), unresolved_for=minutes(25)),
    )


def test_due_now_makes_one_move_from_many_and_keeps_breaches_and_notices() -> None:
    matrix = crowded_matrix()
    case = open_at(matrix, title="Vendor box down", severity="sev2")
    due = routing.due_now(matrix, case, mins(30))
    assert due.move is not None
    assert (due.move.source, due.move.trigger, due.move.to_level) == ("trigger", "to-l3", "L3")
    assert [m.trigger for m in due.notify] == ["tell-vp"]
    assert [t.kind for t in due.breaches] == ["sla_ack"]
    result = sweep_case(matrix, case, mins(30))
    assert case["level"] == "L3"
    assert case["fired_triggers"] == ["to-l3", "tell-vp"]
    assert case["breached"] == ["ack"]
    assert result.escalated is not None and result.escalated["to"] == "L3"
    # The triggers that did not act stay unfired. Next, both keep the level (sev1 starts at
    # L2, vendor has L3): a tie between triggers goes to the first listed, the path switch.
    sweep_case(matrix, case, mins(30))
    assert (case["type"], case["severity"]) == ("vendor", "sev2")
    sweep_case(matrix, case, mins(30))
    assert (case["type"], case["severity"], case["level"]) == ("vendor", "sev1", "L3")


def test_due_now_at_the_same_instant_the_timer_loses_a_tie_to_the_trigger() -> None:
    matrix = with_triggers(trigger("also-up", "escalate", at_level_for=minutes(10)))
    due = routing.due_now(matrix, open_at(matrix), mins(10))
    assert due.move is not None and due.move.source == "trigger"


def test_due_now_does_nothing_on_hold_or_after_resolve() -> None:
    matrix = routing_matrix()
    held = open_at(title="a lawyer phoned", severity="sev1")
    lifecycle.hold(matrix, held, mins(1), None, "waiting", None)
    assert routing.due_now(matrix, held, mins(600)) == routing.Due()
    resolved = open_at(title="a lawyer phoned", severity="sev1")
    lifecycle.resolve(matrix, resolved, mins(1), "done", None)
    assert routing.due_now(matrix, resolved, mins(600)) == routing.Due()


def test_due_now_at_the_top_without_externals_records_breaches_but_makes_no_move() -> None:
    matrix = with_triggers()
    case = open_at(matrix, severity="sev1")
    case["level"] = "L4"
    due = routing.due_now(matrix, case, mins(300))
    assert due.move is None
    assert sorted(t.kind for t in due.breaches) == ["sla_ack", "sla_resolve"]


def test_due_now_at_the_top_of_a_path_with_externals_calls_them_once() -> None:
    base = with_triggers()
    paths = {**base.paths, "l3-only": Path(levels=("L3",), external=("regulator",))}
    matrix = replace(base, paths=paths)
    case = open_at(matrix, type="l3-only", severity="sev4")
    assert case["level"] == "L3"
    due = routing.due_now(matrix, case, mins(5))  # L3's ack, at the top of the path
    assert due.move is not None
    assert (due.move.external, due.move.notify, due.move.to_level) == (True, ("regulator",), "L3")
    sweep_case(matrix, case, mins(5))
    assert case["escalations"][-1]["external"] == ["regulator"]
    assert routing.due_now(matrix, case, mins(60)).move is None


def test_a_reminder_for_the_owner_of_a_case_with_none_tells_its_level() -> None:
    from escalate_cli.core.matrix.model import OWNER, Action

    matrix = routing_matrix()
    case = open_at(matrix, severity="sev4")
    remind = Action("remind", target=OWNER)
    case["owner"] = "vp"
    assert routing.reminded(matrix, case, remind) == ("vp",)
    case["owner"] = None
    assert routing.reminded(matrix, case, remind) == matrix.levels_by_id[case["level"]].contacts
