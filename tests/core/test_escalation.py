"""core.escalation: carrying out moves (who hears, who joins, who owns) and `up`'s guardrails.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml. Dana (L4)
is away that week and eli stands in; ana holds the on-call shift until Tuesday 09:00 London.
Sweeps and simulations are in tests/core/test_sweeping.py.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.escalation import UpRequest, apply_move, escalate_up
from escalate_cli.core.engine import routing
from escalate_cli.core.engine.routing import Move
from escalate_cli.core.errors import NotFoundError, RefusedError, UsageError
from escalate_cli.core.matrix.model import Action, Matrix, Path
from tests.core.routing_helpers import (
    SECOND,
    T0,
    events,
    kinds,
    mins,
    open_at,
    routing_matrix,
    trigger,
    with_triggers,
)

M = routing_matrix()
TUESDAY = datetime.fromisoformat("2026-11-24T10:00:00+00:00")


def notified(case: dict[str, Any]) -> list[str]:
    return events(case, "notified")[-1]["data"]["contacts"]


def to(level: str, at: datetime = T0, **extra: Any) -> Move:
    return Move("manual", level, "needs help", at, **extra)


# apply_move: who hears ------------------------------------------------------------------------


def test_a_contact_named_twice_is_notified_once_with_both_reasons() -> None:
    case = open_at(type="security")  # also_notify: legal and eli; L4's dana is away: eli
    assert case["level"] == "L2"
    done = apply_move(M, case, to("L4"), T0)
    assert done["contacts"] == ["eli", "legal"]
    reasons = events(case, "notified")[-1]["data"]["reasons"]
    assert reasons["eli"] == ["escalated to L4", "also_notify of path security"]


def test_the_person_who_caused_the_move_is_not_notified() -> None:
    case = open_at(type="security")
    done = apply_move(M, case, to("L4"), T0, by="eli")
    assert done["contacts"] == ["legal"]
    assert events(case, "escalated")[-1]["by"] == "eli"


@pytest.mark.parametrize(("at", "member"), [(T0, "ana"), (TUESDAY, "ben")])
def test_a_rotation_level_notifies_the_member_on_shift_and_the_paths_also_notify(
    at: datetime, member: str
) -> None:
    case = open_at(type="vendor", now=at)
    done = apply_move(M, case, to("L3", at), at)
    assert done["contacts"] == [member, "vm"]


def test_an_escalation_brings_in_participants_but_keeps_the_owner() -> None:
    case = open_at(type="security")
    owner = case["owner"]
    apply_move(M, case, to("L4"), mins(5))
    assert case["owner"] == owner
    joined = [(p["contact"], p["role"], p["since"]) for p in case["participants"]]
    assert joined == [
        (owner, "owner", "2026-11-23T10:00:00Z"),
        ("eli", "notified", "2026-11-23T10:05:00Z"),
        ("legal", "notified", "2026-11-23T10:05:00Z"),
    ]
    apply_move(M, case, to("L4", external=True, notify=("regulator",)), mins(6))
    assert [p["contact"] for p in case["participants"]].count("legal") == 1


def test_an_escalation_asks_the_new_level_for_a_fresh_acknowledgement() -> None:
    case = open_at()
    lifecycle.acknowledge(M, case, mins(1), "desk", None)
    apply_move(M, case, to("L2"), mins(40))
    assert (case["status"], case["level"]) == ("open", "L2")
    assert (case["level_entered_at"], case["level_acknowledged_at"]) == (
        "2026-11-23T10:40:00Z",
        None,
    )
    assert case["acknowledged_at"] == "2026-11-23T10:01:00Z"


def test_skipped_levels_are_on_the_timeline_before_the_one_escalation() -> None:
    case = open_at(type="us")
    move = routing.manual_target(M, case, T0)
    assert move is not None and move.skipped
    apply_move(M, case, move, T0)
    assert kinds(case)[-3:] == ["skipped", "escalated", "notified"]
    assert events(case, "skipped")[0]["data"] == {"level": "US"}
    escalated = events(case, "escalated")[0]["data"]
    assert (escalated["from"], escalated["to"], escalated["skipped"]) == ("L1", "L3", ["US"])
    assert len(case["escalations"]) == 1


def test_a_path_switch_keeping_the_level_notifies_only_the_new_paths_also_notify() -> None:
    matrix = with_triggers(trigger("vend", Action("path", "vendor"), keywords=["vendor"]))
    case = open_at(matrix, title="vendor box down")
    move = routing.trigger_move(matrix, case, "vend", mins(1))
    done = apply_move(matrix, case, move, mins(1))
    assert done["contacts"] == ["vm"]
    assert (case["type"], case["level"]) == ("vendor", "L1")
    entry = done["escalation"]
    assert (entry["from"], entry["to"], entry["trigger"]) == ("L1", "L1", "vend")
    assert case["fired_triggers"] == ["vend"]
    assert events(case, "triggered")[0]["data"] == {"trigger": "vend", "action": "path"}


def test_a_notify_only_move_tells_its_contacts_and_moves_nothing() -> None:
    matrix = with_triggers(trigger("tell", Action("notify", contacts=("vp", "legal"))))
    case = open_at(matrix)
    move = routing.trigger_move(matrix, case, "tell", mins(1))
    done = apply_move(matrix, case, move, mins(1))
    assert done == {"escalation": None, "contacts": ["vp", "legal"]}
    assert (case["level"], case["escalations"]) == ("L1", [])
    assert events(case, "notified")[-1]["data"]["reason"] == "trigger tell"


def test_a_severity_move_records_the_change() -> None:
    matrix = with_triggers(trigger("raise", Action("severity", "sev1"), keywords=["outage"]))
    case = open_at(matrix, title="outage")
    apply_move(matrix, case, routing.trigger_move(matrix, case, "raise", mins(1)), mins(1))
    assert (case["severity"], case["level"]) == ("sev1", "L2")
    assert events(case, "severity_changed")[0]["data"] == {"old": "sev3", "new": "sev1"}


def test_beyond_the_top_the_externals_are_told_and_the_level_stays() -> None:
    case = open_at(type="legal")
    case["level"] = "L4"
    done = apply_move(M, case, to("L4", external=True, notify=("regulator",)), mins(2))
    assert done["contacts"] == ["regulator"]
    assert done["escalation"]["external"] == ["regulator"]
    assert case["level"] == "L4"


# escalate_up: guardrails, in order ------------------------------------------------------------


def up(case: dict[str, Any], minute: float, matrix: Matrix = M, **request: Any) -> dict[str, Any]:
    return escalate_up(
        matrix, case, UpRequest(request.pop("reason", "help"), **request), mins(minute)
    )


def test_up_needs_a_reason_before_anything_else() -> None:
    case = open_at()
    lifecycle.resolve(M, case, mins(1), "fixed", None)
    with pytest.raises(UsageError, match="--reason"):
        up(case, 2, reason="  ")


def test_up_names_an_unknown_contact() -> None:
    with pytest.raises(NotFoundError, match='"nobody"'):
        up(open_at(), 40, by="nobody")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda c: lifecycle.resolve(M, c, mins(1), "fixed", None), "resolved.*reopen it first"),
        (lambda c: lifecycle.close(M, c, mins(1), None, force=True), "closed"),
        (lambda c: lifecycle.hold(M, c, mins(1), None, "wait", None), "on hold.*resume it first"),
        (lambda c: c.update(level="L9"), 'level "L9" is no longer in the matrix'),
    ],
)
def test_up_is_refused_when_the_case_cannot_move(setup: Any, message: str) -> None:
    case = open_at()
    setup(case)
    before = copy.deepcopy(case)
    with pytest.raises(RefusedError, match=message):
        up(case, 45, force=True)
    assert case == before


def agreement_matrix() -> Matrix:
    """The security path over L1 (min_time 30m) and L4: both guardrails at once."""
    paths = {**M.paths, "security": Path(("L1", "L4"), agreement="required")}
    return replace(M, paths=paths)


def test_agreement_comes_before_min_time_and_force_never_overrides_it() -> None:
    matrix, case = agreement_matrix(), open_at(agreement_matrix(), type="security")
    with pytest.raises(RefusedError, match=r'path "security" takes two.*--agreed-by'):
        up(case, 5, matrix, force=True)
    with pytest.raises(UsageError, match="caller other than sam"):
        up(case, 5, matrix, agreed_by="sam", by="sam", force=True)
    with pytest.raises(UsageError, match="caller other than sam"):
        up(case, 5, matrix, agreed_by="sam", force=True)
    with pytest.raises(RefusedError, match="min_time"):
        up(case, 5, matrix, agreed_by="sam", by="desk")
    escalation = up(case, 5, matrix, agreed_by="sam", by="desk", force=True)["escalation"]
    assert (escalation["to"], escalation["agreed_by"], escalation["forced"]) == ("L4", "sam", True)


def test_min_time_refusal_says_how_long_is_left_and_hold_time_does_not_count() -> None:
    case = open_at()
    lifecycle.hold(M, case, mins(5), mins(25), "waiting", None)
    message = "ESC-1 has been at L1 for 15m; min_time is 30m: wait 15m or use --force"
    with pytest.raises(RefusedError, match=message):
        up(case, 35)
    with pytest.raises(RefusedError, match="for 29m59s; min_time is 30m: wait 1s or"):
        escalate_up(M, case, UpRequest("help"), mins(50) - SECOND)
    assert up(case, 50)["escalation"]["to"] == "L2"


def test_up_to_a_level_must_be_above_and_known() -> None:
    case = open_at()
    with pytest.raises(RefusedError, match="--to L1 is not above L1"):
        up(case, 40, to="L1")
    with pytest.raises(NotFoundError, match='unknown level "L7"'):
        up(case, 40, to="L7")
    assert up(case, 40, to="L4")["escalation"]["to"] == "L4"


def test_up_at_the_top_reaches_the_externals_once_then_is_refused() -> None:
    case = open_at(type="legal")
    case["level"] = "L4"
    assert up(case, 1)["escalation"]["external"] == ["regulator"]
    with pytest.raises(RefusedError, match="already told"):
        up(case, 2)
    top = open_at()
    top["level"] = "L4"
    with pytest.raises(RefusedError, match="top of path default, which has no external"):
        up(top, 1)


def test_up_transfer_makes_the_new_levels_primary_the_owner() -> None:
    case = open_at()
    assert case["owner"] == "desk"
    up(case, 40, transfer=True, by="desk")
    assert case["owner"] == "sam"
    [changed] = events(case, "owner_changed")
    assert (changed["by"], changed["data"]) == ("desk", {"old": "desk", "new": "sam"})
    roles = {p["contact"]: p["role"] for p in case["participants"]}
    assert roles == {"desk": "former owner", "sam": "owner"}


def test_up_without_transfer_keeps_the_owner() -> None:
    case = open_at()
    up(case, 40)
    assert case["owner"] == "desk"
    assert events(case, "owner_changed") == []
