"""core.lifecycle: each state change, each refusal, holds that end by themselves, and breaches.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml; sev2 has an
ack SLA of 30m and a resolve SLA of 8h, L1 an ack of 10m.
"""

from __future__ import annotations

from typing import Any

import pytest

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.escalation import apply_move
from escalate_cli.core.engine import routing
from escalate_cli.core.errors import RefusedError, UsageError
from escalate_cli.core.time import timing
from tests.core.routing_helpers import events, kinds, mins, open_at, routing_matrix

M = routing_matrix()


def stamp(minute: float) -> str:
    return timing.to_iso(mins(minute))


def sev2() -> dict[str, Any]:
    return open_at(severity="sev2")


def breach_events(case: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["data"]["sla"], e["at"], e["data"]["due_at"]) for e in events(case, "breached")]


# settle -----------------------------------------------------------------------------------------


def test_settle_ends_a_hold_at_its_until_dated_then_and_restores_the_status() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(1), "desk", None)
    lifecycle.hold(M, case, mins(5), mins(20), "customer away", "desk")
    assert not lifecycle.settle(M, case, mins(19))
    assert lifecycle.settle(M, case, mins(45))
    assert case["status"] == "acknowledged"
    assert case["holds"][-1]["ended_at"] == stamp(20)
    [resumed] = events(case, "resumed")
    assert resumed["at"] == stamp(20)
    assert not lifecycle.settle(M, case, mins(50))  # once
    assert len(events(case, "resumed")) == 1


def test_settle_leaves_an_open_hold_and_a_case_not_on_hold_alone() -> None:
    case = sev2()
    assert not lifecycle.settle(M, case, mins(5))
    lifecycle.hold(M, case, mins(5), None, "waiting", None)
    assert not lifecycle.settle(M, case, mins(5000))
    assert case["status"] == "on_hold"


# acknowledge ------------------------------------------------------------------------------------


def test_acknowledge_records_the_first_acknowledgement_and_the_level_one() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(3), "desk", "on it")
    assert case["status"] == "acknowledged"
    assert case["acknowledged_at"] == case["level_acknowledged_at"] == stamp(3)
    assert case["steps"]["acknowledge"] == {"by": "desk", "at": stamp(3), "note": "on it"}
    assert events(case, "acknowledged")[0]["data"] == {"level": "L1", "note": "on it"}
    assert case["breached"] == []


def test_a_second_acknowledgement_is_recorded_but_the_first_one_counts() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(3), "desk", None)
    lifecycle.acknowledge(M, case, mins(8), "sam", "me too")
    assert len(events(case, "acknowledged")) == 2
    assert (case["acknowledged_at"], case["level_acknowledged_at"]) == (stamp(3), stamp(3))
    assert case["steps"]["acknowledge"]["by"] == "desk"


def test_acknowledging_a_new_level_keeps_the_first_acknowledgement_for_the_sla() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(3), "desk", None)
    move = routing.manual_target(M, case, mins(40))
    assert move is not None
    apply_move(M, case, move, mins(40))
    assert (case["status"], case["level_acknowledged_at"]) == ("open", None)
    lifecycle.acknowledge(M, case, mins(50), "sam", None)
    assert (case["acknowledged_at"], case["level_acknowledged_at"]) == (stamp(3), stamp(50))
    assert case["breached"] == []  # the SLA counted the first acknowledgement


@pytest.mark.parametrize(("minute", "late"), [(29, False), (30, True), (95, True)])
def test_a_late_acknowledgement_records_the_breach_dated_at_the_deadline(
    minute: int, late: bool
) -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(minute), "desk", None)
    expected = [("ack", stamp(30), stamp(30))] if late else []
    assert breach_events(case) == expected
    assert case["breached"] == (["ack"] if late else [])


def test_acknowledge_during_a_hold_keeps_the_hold_and_resume_comes_back_acknowledged() -> None:
    case = sev2()
    lifecycle.hold(M, case, mins(5), None, "waiting", None)
    lifecycle.acknowledge(M, case, mins(50), "desk", None)  # 45m on hold: not late
    assert case["status"] == "on_hold"
    assert case["breached"] == []
    lifecycle.resume(M, case, mins(60), None)
    assert case["status"] == "acknowledged"


def test_acknowledge_after_a_planned_hold_ended_settles_it_first() -> None:
    case = sev2()
    lifecycle.hold(M, case, mins(5), mins(15), "waiting", None)
    lifecycle.acknowledge(M, case, mins(20), "desk", None)
    assert kinds(case)[-2:] == ["resumed", "acknowledged"]
    assert case["status"] == "acknowledged"


@pytest.mark.parametrize("end", ["resolve", "close"])
def test_acknowledge_is_refused_on_an_ended_case(end: str) -> None:
    case = sev2()
    if end == "resolve":
        lifecycle.resolve(M, case, mins(1), "fixed", None)
    else:
        lifecycle.close(M, case, mins(1), None, force=True)
    with pytest.raises(RefusedError, match=f"it is {end}d"):
        lifecycle.acknowledge(M, case, mins(2), "desk", None)


# hold and resume --------------------------------------------------------------------------------


def test_hold_records_the_hold_and_the_status_before() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(1), "desk", None)
    lifecycle.hold(M, case, mins(5), mins(65), "customer on a plane", "desk")
    assert case["status"] == "on_hold"
    assert case["holds"] == [
        {
            "since": stamp(5),
            "until": stamp(65),
            "ended_at": None,
            "reason": "customer on a plane",
            "by": "desk",
            "status_before": "acknowledged",
        }
    ]
    [held] = events(case, "held")
    assert (held["at"], held["data"]["until"]) == (stamp(5), stamp(65))


def test_a_hold_inside_a_hold_is_refused_but_after_its_until_a_new_one_starts() -> None:
    case = sev2()
    lifecycle.hold(M, case, mins(5), mins(20), "waiting", None)
    with pytest.raises(RefusedError, match="on hold until"):
        lifecycle.hold(M, case, mins(10), None, "again", None)
    lifecycle.hold(M, case, mins(25), None, "again", None)
    assert [h["ended_at"] for h in case["holds"]] == [stamp(20), None]
    assert kinds(case)[-2:] == ["resumed", "held"]


@pytest.mark.parametrize(
    ("until", "reason", "message"),
    [(5, "waiting", "not in the future"), (4, "waiting", "not in the future"), (None, " ", "why")],
)
def test_hold_refuses_a_past_until_or_a_blank_reason(
    until: int | None, reason: str, message: str
) -> None:
    case = sev2()
    with pytest.raises(UsageError, match=message):
        lifecycle.hold(M, case, mins(5), mins(until) if until else None, reason, None)
    assert case["status"] == "open" and case["holds"] == []


def test_hold_is_refused_on_a_resolved_case() -> None:
    case = sev2()
    lifecycle.resolve(M, case, mins(1), "fixed", None)
    with pytest.raises(RefusedError, match="resolved"):
        lifecycle.hold(M, case, mins(2), None, "waiting", None)


def test_resume_ends_the_hold_now_and_refuses_a_case_not_on_hold() -> None:
    case = sev2()
    with pytest.raises(RefusedError, match="not on hold"):
        lifecycle.resume(M, case, mins(1), None)
    lifecycle.hold(M, case, mins(5), mins(60), "waiting", None)
    lifecycle.resume(M, case, mins(15), "desk")
    assert (case["status"], case["holds"][-1]["ended_at"]) == ("open", stamp(15))
    assert events(case, "resumed")[0]["by"] == "desk"


def test_resume_after_the_until_passed_finds_the_hold_already_over() -> None:
    case = sev2()
    lifecycle.hold(M, case, mins(5), mins(15), "waiting", None)
    with pytest.raises(RefusedError, match="not on hold"):
        lifecycle.resume(M, case, mins(30), None)


# update -----------------------------------------------------------------------------------------


def test_update_logs_the_text_and_resets_silence_but_not_on_a_closed_case() -> None:
    case = sev2()
    lifecycle.update(M, case, mins(7), "rebooted the printer", "customer", "desk")
    assert case["last_update_at"] == stamp(7)
    [logged] = events(case, "update")
    assert (logged["text"], logged["data"]) == ("rebooted the printer", {"audience": "customer"})
    with pytest.raises(UsageError):
        lifecycle.update(M, case, mins(8), "  ", "internal", None)
    lifecycle.resolve(M, case, mins(9), "fixed", None)
    lifecycle.update(M, case, mins(10), "customer confirmed", "internal", None)  # resolved: fine
    lifecycle.close(M, case, mins(11), None)
    with pytest.raises(RefusedError, match="closed"):
        lifecycle.update(M, case, mins(12), "one more thing", "internal", None)


# resolve, close, reopen -------------------------------------------------------------------------


def test_resolve_stops_everything_and_records_the_summary() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(1), "desk", None)
    lifecycle.resolve(M, case, mins(90), "replaced the fuser", "desk")
    assert (case["status"], case["resolved_at"]) == ("resolved", stamp(90))
    assert case["resolution"] == "replaced the fuser"
    assert events(case, "resolved")[0]["text"] == "replaced the fuser"
    assert case["breached"] == []
    with pytest.raises(RefusedError, match="already resolved"):
        lifecycle.resolve(M, case, mins(91), "again", None)


def test_resolve_needs_a_summary() -> None:
    with pytest.raises(UsageError, match="summary"):
        lifecycle.resolve(M, sev2(), mins(1), "", None)


def test_a_late_resolve_records_both_missed_slas_at_their_deadlines() -> None:
    case = sev2()
    lifecycle.resolve(M, case, mins(600), "finally", None)
    assert breach_events(case) == [
        ("ack", stamp(30), stamp(30)),
        ("resolve", stamp(480), stamp(480)),
    ]


def test_resolve_on_hold_ends_the_hold_and_hold_time_does_not_count_toward_the_sla() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(1), "desk", None)
    lifecycle.hold(M, case, mins(60), None, "waiting for parts", None)
    lifecycle.resolve(M, case, mins(600), "parts came", None)
    assert case["holds"][-1]["ended_at"] == stamp(600)
    assert case["breached"] == []  # only 60 active minutes


def test_close_a_resolved_case_records_nothing_more() -> None:
    case = sev2()
    lifecycle.resolve(M, case, mins(10), "fixed", None)
    lifecycle.close(M, case, mins(2000), "desk")
    assert (case["status"], case["closed_at"]) == ("closed", stamp(2000))
    assert case["breached"] == []
    with pytest.raises(RefusedError, match="already closed"):
        lifecycle.close(M, case, mins(2001), None)


def test_closing_an_unresolved_case_late_records_the_resolve_breach() -> None:
    case = sev2()
    lifecycle.close(M, case, mins(600), None, force=True)
    assert case["breached"] == ["ack", "resolve"]


def test_closing_a_case_acknowledged_in_time_records_no_ack_breach() -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(5), "desk", None)
    lifecycle.close(M, case, mins(60), None, force=True)
    assert case["breached"] == []
    assert events(case, "breached") == []


def test_close_on_hold_ends_the_hold() -> None:
    case = sev2()
    lifecycle.hold(M, case, mins(5), None, "waiting", None)
    lifecycle.close(M, case, mins(8), None, force=True)
    assert (case["status"], case["holds"][-1]["ended_at"]) == ("closed", stamp(8))


@pytest.mark.parametrize("end", ["resolve", "close"])
def test_reopen_puts_the_case_back_at_its_level_with_fresh_level_timers(end: str) -> None:
    case = sev2()
    lifecycle.acknowledge(M, case, mins(1), "desk", None)
    if end == "resolve":
        lifecycle.resolve(M, case, mins(20), "fixed", None)
    lifecycle.close(M, case, mins(25), None, force=True)
    lifecycle.reopen(M, case, mins(40), "it is back", "desk")
    assert (case["status"], case["level"], case["reopened"]) == ("open", "L1", 1)
    assert (case["resolved_at"], case["closed_at"]) == (None, None)
    assert (case["level_entered_at"], case["level_acknowledged_at"]) == (stamp(40), None)
    assert case["reopened_at"] == stamp(40)
    assert case["acknowledged_at"] == stamp(1)  # the SLA's first acknowledgement stays
    assert events(case, "reopened")[0]["data"] == {"count": 1}
    due = {t.kind: t.due_at for t in routing.timers.running_timers(M, case)}
    # The 8h resolve SLA does not count the time the case spent resolved (or closed).
    paused = 20 if end == "resolve" else 15
    assert due == {"ack": mins(50), "after": mins(100), "sla_resolve": mins(480 + paused)}


def test_reopen_is_refused_unless_resolved_or_closed_and_needs_a_reason() -> None:
    case = sev2()
    with pytest.raises(RefusedError, match="only resolved or closed"):
        lifecycle.reopen(M, case, mins(1), "why not", None)
    lifecycle.resolve(M, case, mins(2), "fixed", None)
    with pytest.raises(UsageError):
        lifecycle.reopen(M, case, mins(3), " ", None)
    assert case["status"] == "resolved"


def test_resolve_reopen_resolve_counts_each_reopen() -> None:
    case = sev2()
    for n in (1, 2):
        lifecycle.resolve(M, case, mins(10 * n), "fixed", None)
        lifecycle.reopen(M, case, mins(10 * n + 1), "back", None)
        assert case["reopened"] == n
    lifecycle.resolve(M, case, mins(40), "fixed for good", None)
    assert case["resolution"] == "fixed for good"


# record_breach ----------------------------------------------------------------------------------


def test_record_breach_records_each_sla_once_dated_at_its_deadline() -> None:
    case = sev2()
    assert lifecycle.record_breach(case, "ack", mins(30))
    assert not lifecycle.record_breach(case, "ack", mins(31))
    assert lifecycle.record_breach(case, "resolve", mins(480))
    assert case["breached"] == ["ack", "resolve"]
    assert breach_events(case) == [
        ("ack", stamp(30), stamp(30)),
        ("resolve", stamp(480), stamp(480)),
    ]


# The timeline's order ---------------------------------------------------------------------------


def test_an_event_recorded_late_is_placed_at_its_time_and_still_counts_as_new() -> None:
    from escalate_cli.core.cases.document import add_event, event, new_events, timeline_mark

    case = sev2()
    lifecycle.update(M, case, mins(20), "still looking", "internal", "desk")
    mark = timeline_mark(case)
    add_event(case, event(mins(10), "breached", None, "ack SLA breached", sla="ack"))
    add_event(case, event(mins(20), "update", "desk", "same minute, after the first"))
    stamps = [entry["at"] for entry in case["timeline"]]
    assert stamps == sorted(stamps)
    added = new_events(case, mark)
    assert [case["timeline"][i]["text"] for i in added] == [
        "ack SLA breached",
        "same minute, after the first",
    ]
    assert case["timeline"][-1]["text"] == "same minute, after the first"


def test_reopen_records_the_time_spent_resolved_and_no_breach_falls_inside_it() -> None:
    case = open_at(severity="sev1")  # ack 15m, resolve 4h
    lifecycle.acknowledge(M, case, mins(5), "sam", None)
    lifecycle.resolve(M, case, mins(60), "fixed", None)
    lifecycle.reopen(M, case, mins(24 * 60), "back again", None)
    assert case["resolved_periods"] == [{"since": stamp(60), "until": stamp(24 * 60)}]
    assert case["breached"] == []
    resolve_sla = routing.timers.sla_deadline(M, case, "resolve")
    assert resolve_sla == mins(24 * 60 + 180)  # the 3h left when it was resolved
    lifecycle.resolve(M, case, mins(24 * 60 + 200), "fixed again", None)
    (breach,) = events(case, "breached")
    assert breach["at"] == stamp(24 * 60 + 180)
