"""Looking ahead: `next` (who is next for a case, when, why) and `simulate` (a new case's path)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalate_cli.core.cases.document import Case, OpenRequest, level_audience, new_case
from escalate_cli.core.cases.escalation import sweep_case
from escalate_cli.core.cases.lifecycle import as_of
from escalate_cli.core.engine import availability, routing, timers
from escalate_cli.core.engine.routing import Move
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing

SIMULATION_MOVES = 50
REPEATS_SHOWN = 3  # of each repeating reminder in `simulate`


def contact_json(matrix: Matrix, contact_id: str, at: datetime) -> dict[str, Any]:
    """A contact already resolved to a person, as JSON, with availability at `at`."""
    contact = matrix.contacts_by_id.get(contact_id)
    return {
        "id": contact_id,
        "name": contact.label if contact else contact_id,
        "available": availability.is_available(matrix, contact_id, at) if contact else False,
    }


def _move_contacts(matrix: Matrix, move: Move, at: datetime) -> list[dict[str, Any]]:
    if move.external:
        return [availability.reach(matrix, ref, at).to_json() for ref in move.notify]
    return [c.to_json() for c in availability.level_contacts(matrix, move.to_level, at)]


def _next_entry(matrix: Matrix, case: Case, move: Move, now: datetime) -> dict[str, Any]:
    judged_at = move.due_at if move.due_at and move.due_at > now else now
    contacts = _move_contacts(matrix, move, judged_at)
    entry: dict[str, Any] = {
        "level": None if move.external else move.to_level,
        "contacts": contacts,
        "due_at": timing.to_iso(move.due_at) if move.due_at else None,
        "reason": move.reason,
        "trigger": move.trigger,
        "external": move.external,
        "skipped": [level_id for level_id, _ in move.skipped],
        "available": any(c["available"] for c in contacts),
        "available_at": None,
    }
    if not entry["available"] and not move.external:
        found = availability.level_next_available_at(matrix, move.to_level, judged_at)
        entry["available_at"] = timing.to_iso(found) if found else None
    if move.new_path:
        entry["path"] = move.new_path
    return entry


@dataclass(frozen=True, eq=False)  # never compared: __eq__ and __hash__ cost import time
class NextView:
    """`escalate next`'s JSON (docs/scripting.md), and why `next` is null when it is."""

    data: dict[str, Any]
    note: str | None = None
    problem: bool = False
    reminding: frozenset[str] = frozenset()  # the triggers in `data` that remind, not notify


def next_view(matrix: Matrix, case: Case, now: datetime) -> NextView:
    """The next escalation, when it is due and why, or why there is none; and the notify-only
    triggers and SLA deadlines still ahead (`triggers`, `deadlines`), which `list` counts too."""
    case = as_of(case, now)  # a hold past its --until is over
    data: dict[str, Any] = {
        "case": case["id"],
        "level": case["level"],
        "next": None,
        "notify": [],
        "triggers": [],
        "deadlines": [],
        "repeat": None,
    }
    if case["status"] not in timers.ACTIVE:
        return NextView(data, f"{case['status']}: nothing runs")
    problem = routing.problem(matrix, case)
    if problem is not None:
        return NextView(data, problem, problem=True)
    ahead = routing.outlook(matrix, case, now)
    data["triggers"] = [
        {"trigger": notice.trigger, "contacts": list(notice.notify), "due_at": _iso(notice.due_at)}
        for notice in sorted(ahead.notices, key=lambda n: n.due_at or now)
    ]
    reminding = frozenset(
        n.trigger for n in ahead.notices if n.trigger and n.action and n.action.kind == "remind"
    )
    data["deadlines"] = [
        {"sla": timer.kind.removeprefix("sla_"), "due_at": _iso(timer.due_at)}
        for timer in ahead.deadlines
    ]
    if ahead.repeat is not None:
        data["repeat"] = {
            "number": ahead.repeat.number,
            "times": ahead.repeat.times,
            "due_at": _iso(ahead.repeat.due_at),
            "contacts": level_audience(matrix, case["level"], max(ahead.repeat.due_at, now)),
        }
    move = ahead.move
    if move is None:
        move = routing.manual_target(matrix, case, now)
        if move is not None:
            move = _manual_reason(case, move, now)
    if move is None:
        return NextView(data, f"at the top of path {case['type']}", reminding=reminding)
    data["next"] = _next_entry(matrix, case, move, now)
    data["notify"] = list(matrix.all_paths[move.new_path or case["type"]].also_notify)
    return NextView(data, reminding=reminding)


def _iso(at: datetime | None) -> str | None:
    return timing.to_iso(at) if at is not None else None


def _manual_reason(case: Case, move: Move, now: datetime) -> Move:
    if timers.is_on_hold(case, now):
        why = "on hold, timers paused until resumed"
    else:
        why = f"no timer runs at {case['level']}: manual escalation only (escalate up)"
    return move._replace(reason=why)


def simulate(matrix: Matrix, request: OpenRequest, now: datetime) -> list[dict[str, Any]]:
    """The timeline a new case would follow if nobody acted: who is notified, when, and why."""
    case = new_case(matrix, 0, request, now)
    opened = [e for e in case["timeline"] if e["kind"] == "notified"]
    timeline = [
        {
            "at": timing.to_iso(now),
            "level": case["level"],
            "contacts": [
                contact_json(matrix, c, now) for e in opened for c in e["data"]["contacts"]
            ],
            "reason": "opened",
        }
    ]
    at = now
    for _ in range(SIMULATION_MOVES):
        next_at = routing.next_event_at(matrix, case, at)
        if next_at is None:
            break
        at = next_at
        result = sweep_case(matrix, case, at)
        if not result.changed:
            break
        entries = _simulated(matrix, case, result, at)
        # A repeating reminder would fill the page: its first few show the cadence.
        shown = [entry["reason"] for entry in timeline]
        entries = [
            e
            for e in entries
            if not e["reason"].startswith("reminder: ") or shown.count(e["reason"]) < REPEATS_SHOWN
        ]
        if not entries and not result.escalated and not result.breaches:
            break
        timeline.extend(entries)
    return timeline


def _simulated(matrix: Matrix, case: Case, result: Any, at: datetime) -> list[dict[str, Any]]:
    entries = []
    stamp = timing.to_iso(at)
    if result.escalated:
        last = case["escalations"][-1]
        entries.append(
            {
                "at": stamp,
                "level": case["level"],
                "contacts": [contact_json(matrix, c, at) for c in result.escalated["contacts"]],
                "reason": last["reason"],
            }
        )
    for notice in result.notified:
        entries.append(
            {
                "at": stamp,
                "level": case["level"],
                "contacts": [contact_json(matrix, c, at) for c in notice["contacts"]],
                "reason": f"trigger {notice['trigger']}",
            }
        )
    for reminder in result.reminded:
        if reminder.get("trigger"):
            why = f"reminder: {reminder['trigger']}"
        elif reminder.get("text"):  # a repeat, a breach at the top
            why = reminder["text"]
        else:
            continue  # a severity raised in place is no entry of its own
        entries.append(
            {
                "at": stamp,
                "level": case["level"],
                "contacts": [contact_json(matrix, c, at) for c in reminder["contacts"]],
                "reason": why,
            }
        )
    return entries
