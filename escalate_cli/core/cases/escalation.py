"""Carrying out escalations on a case: timed ones from `sweep`, manual ones from `up`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil
from typing import Any, cast

from escalate_cli.core.cases import audiences
from escalate_cli.core.cases.document import (
    Case,
    Escalation,
    add_event,
    add_participants,
    build_notice,
    escalation_text,
    event,
    level_audience,
    notified_event,
    require_contact,
    require_level,
)
from escalate_cli.core.cases.lifecycle import ensure_active, record_breach, settle
from escalate_cli.core.engine import availability, levels, repeats, routing, timers
from escalate_cli.core.engine.routing import Move
from escalate_cli.core.errors import RefusedError, UsageError
from escalate_cli.core.matrix.model import Action, Matrix
from escalate_cli.core.time import timing


def describe(action: Action) -> str:
    """A trigger's action as `matrix show` and the timeline say it."""
    if action.kind == "escalate":
        return "escalate one level"
    if action.kind in ("notify", "remind"):
        return f"{action.kind} " + ", ".join(action.contacts or (action.target or "",))
    return f"{action.kind} {action.target}"


def _is_escalation(case: Case, move: Move) -> bool:
    return move.external or move.to_level != case["level"] or move.new_path is not None


def apply_move(
    matrix: Matrix,
    case: Case,
    move: Move,
    at: datetime,
    by: str | None = None,
    guardrails: dict[str, Any] | None = None,
    transfer: bool = False,
) -> dict[str, Any]:
    """Carry out a move; return what it did as `{"escalation", "contacts"}`. `guardrails`
    (`agreed_by`, `forced`) go on the escalation record and its event, as a trace. A move to
    a new level hands the case to its primary with `transfer` or the matrix's
    `ownership: follow`; each change tells `notify_on`'s audiences in the same notice."""
    if move.trigger and move.action:
        if move.trigger not in case["fired_triggers"]:  # a repeating trigger is listed once
            case["fired_triggers"].append(move.trigger)
        add_event(
            case,
            event(
                at,
                "triggered",
                by,
                f"trigger {move.trigger}: {describe(move.action)}",
                trigger=move.trigger,
                action=move.action.kind,
            ),
        )
    named: list[tuple[str, tuple[str, ...] | list[str]]] = []
    outside: list[tuple[str, audiences.Named]] = []  # (event, pairs) for the customer audience
    old = case.get("severity")
    if move.new_severity and move.new_severity != old:
        case["severity"] = move.new_severity
        if is_raise(matrix, old, move.new_severity):
            raised = matrix.severities_by_id[move.new_severity]
            named.append((f"severity raised to {raised.id}", raised.notify))
        add_event(
            case,
            event(
                at,
                "severity_changed",
                by,
                f"severity {old} -> {move.new_severity}",
                old=old,
                new=move.new_severity,
            ),
        )
        _hear_of(matrix, case, "severity_changed", at, named, outside)
    escalation = None
    if move.is_notify_only:
        named.append((move.reason, move.notify))
    elif _is_escalation(case, move):
        escalation = _escalate(matrix, case, move, at, by, named, guardrails or {})
        moved = not escalation.get("external") and escalation["to"] != escalation["from"]
        handed = moved and (transfer or matrix.ownership == "follow")
        if handed and transfer_owner(matrix, case, case["level"], at, by):
            _hear_of(matrix, case, "owner_changed", at, named, outside)
    notice = build_notice(named, caused_by=by)
    if notice.contacts:
        # Told of a severity changed in place: the message says so, not the last escalation.
        in_place = escalation is None and not move.is_notify_only and case.get("severity") != old
        reminding = move.action is not None and move.action.kind == "remind"
        about = {"about": "severity_changed"} if in_place else {}
        about = {"about": "reminder"} if reminding else about
        add_event(case, notified_event(at, by, notice, **about))
        add_participants(case, notice.contacts, at)
    told = list(notice.contacts)
    for event_name, pairs in outside:
        told += audiences.tell_customers(case, at, by, event_name, pairs, told)
    return {"escalation": escalation, "contacts": told}


def _hear_of(
    matrix: Matrix,
    case: Case,
    event_name: str,
    at: datetime,
    named: list[tuple[str, tuple[str, ...] | list[str]]],
    outside: list[tuple[str, audiences.Named]],
) -> None:
    """Add `notify_on`'s audiences of an event to a move's notice (customers apart)."""
    inside, beyond = audiences.named_for(matrix, case, event_name, at)
    named += inside
    if beyond:
        outside.append((event_name, beyond))


def is_raise(matrix: Matrix, old: str | None, new: str) -> bool:
    """Whether `new` is more severe than `old` (severities are listed most severe first); any
    severity is a raise over none or over one the matrix no longer has."""
    order = [severity.id for severity in matrix.severities]
    if old not in order:
        return True
    return new in order and order.index(new) < order.index(old)


def _escalate(
    matrix: Matrix,
    case: Case,
    move: Move,
    at: datetime,
    by: str | None,
    named: list[tuple[str, tuple[str, ...] | list[str]]],
    guardrails: dict[str, Any],
) -> Escalation:
    """Move the case to its new level or path and ask that level for a fresh acknowledgement.

    Telling a path's external contacts is no move: the case keeps its level, its status and
    its acknowledgement (timing rule 8)."""
    from_level = case["level"]
    from_path = case["type"]
    for level_id, why in move.skipped:
        add_event(case, event(at, "skipped", by, f"skipped {level_id}: {why}", level=level_id))
    if move.new_path:
        case["type"] = move.new_path
    if not move.external:
        case["level"] = move.to_level
        case["level_entered_at"] = timing.to_iso(at)
        case["level_acknowledged_at"] = None
        if case["status"] == "acknowledged":
            case["status"] = "open"
    entry: Escalation = {
        "at": timing.to_iso(at),
        "from": from_level,
        "to": case["level"],
        "reason": move.reason,
        "trigger": move.trigger,
        "by": by,
        "path": case["type"],
    }
    if case["type"] != from_path:
        entry["from_path"] = from_path
    entry.update(cast("Escalation", {key: value for key, value in guardrails.items() if value}))
    if move.external:
        entry["external"] = list(move.notify)
        named.append((f"beyond the top of path {case['type']}", move.notify))
    elif move.to_level != from_level:
        named.append((f"escalated to {move.to_level}", level_audience(matrix, move.to_level, at)))
    named.append(
        (f"also_notify of path {case['type']}", matrix.all_paths[case["type"]].also_notify)
    )
    case["escalations"].append(entry)
    traced = {key: entry[key] for key in ("agreed_by", "forced", "from_path") if key in entry}
    add_event(
        case,
        event(
            at,
            "escalated",
            by,
            f"{escalation_text(entry)}: {move.reason}",
            **{k: entry[k] for k in ("from", "to", "trigger", "reason", "path")},
            skipped=[level_id for level_id, _ in move.skipped],
            external=list(move.notify) if move.external else [],
            **traced,
        ),
    )
    return entry


@dataclass(eq=False)  # never compared: __eq__ costs import time
class SweepResult:
    """What one sweep did to one case, as the entries of `sweep --json` (docs/scripting.md)."""

    escalated: dict[str, Any] | None = None  # plus "external": the external contacts told
    notified: list[dict[str, Any]] = field(default_factory=list)
    breaches: list[dict[str, Any]] = field(default_factory=list)
    # severity or type, by a trigger; plus "contacts" when no escalation says whom it told
    changes: list[dict[str, Any]] = field(default_factory=list)
    # notifications the sweep made (docs/notifications.md): a severity raised in place
    reminded: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    changed: bool = False  # whether the case was written at all


def sweep_case(matrix: Matrix, case: Case, now: datetime) -> SweepResult:
    """Check one case against its timers and triggers and make at most one move."""
    result = SweepResult(changed=settle(matrix, case, now))
    problem = routing.problem(matrix, case)
    if problem is not None:
        if case["status"] in timers.ACTIVE:
            result.problem = problem
        return result
    due = routing.due_now(matrix, case, now)
    at_top = not levels.levels_above(matrix, case)
    for timer in due.breaches:
        sla = timer.kind.removeprefix("sla_")
        if timer.due_at is not None and record_breach(case, sla, timer.due_at):
            at = timing.to_iso(timer.due_at)
            result.breaches.append({"case": case["id"], "sla": sla, "at": at})
            result.changed = True
            if at_top:  # no level above to take it: the top and the severity's people hear
                _tell(matrix, case, now, result, "breach", f"{sla} SLA breached", severity=True)
    if due.repeat is not None:
        _tell(matrix, case, now, result, "repeat", repeats.reason(case, due.repeat), due.repeat)
    for sla, _, deadline in due.warnings:
        _warn(matrix, case, now, result, sla, deadline)
    if due.move is not None:
        _sweep_move(matrix, case, due.move, now, result)
    for move in due.notify:
        done = apply_move(matrix, case, move, now)
        if move.action is not None and move.action.kind == "remind":
            reminder = {"case": case["id"], "contacts": done["contacts"], "what": "reminder"}
            result.reminded.append(reminder | {"trigger": move.trigger})
        else:
            result.notified.append(
                {"case": case["id"], "contacts": done["contacts"], "trigger": move.trigger}
            )
        result.changed = True
    return result


def _warn(
    matrix: Matrix, case: Case, now: datetime, result: SweepResult, sla: str, deadline: datetime
) -> None:
    """`warn: 80%`: before an SLA breaches, a `warned` event, and the owner and the level told."""
    case.setdefault("warned", []).append(sla)
    due = timing.to_iso(deadline)
    add_event(case, event(now, "warned", None, f"{sla} SLA due {due}", sla=sla, due_at=due))
    owner = case.get("owner")
    _tell(
        matrix, case, now, result, "warning", f"{sla} SLA due {due}", also=(owner,) if owner else ()
    )


def _tell(
    matrix: Matrix,
    case: Case,
    now: datetime,
    result: SweepResult,
    what: str,
    reason: str,
    repeat: repeats.NextRepeat | None = None,
    *,
    severity: bool = False,
    also: tuple[str, ...] = (),
) -> None:
    """Tell the case's level, and `also` those (with `severity`, the severity's `notify`) why,
    as a `notified` event (a repeat's carries its number), reported under `reminded`."""
    named: list[tuple[str, Iterable[str]]] = [(reason, also)] if also else []
    named.append((reason, level_audience(matrix, case["level"], now)))
    found = matrix.severities_by_id.get(case.get("severity") or "")
    if severity and found is not None:
        named.append((reason, found.notify))
    notice = build_notice(named, caused_by=None)
    entry = notified_event(now, None, notice, about=what)
    if repeat is not None:
        entry["data"]["repeat"] = repeat.number
    add_event(case, entry)
    add_participants(case, notice.contacts, now)
    result.reminded.append(
        {"case": case["id"], "contacts": notice.contacts, "what": what, "text": reason}
    )
    result.changed = True


def _sweep_move(matrix: Matrix, case: Case, move: Move, now: datetime, result: SweepResult) -> None:
    """Make the sweep's one move and report it: the escalation and the fields it changed."""
    before = {"severity": case.get("severity"), "type": case["type"]}
    done = apply_move(matrix, case, move, now)
    entry = done["escalation"]
    if entry is not None:
        result.escalated = {
            "case": case["id"],
            "from": entry["from"],
            "to": entry["to"],
            "trigger": entry["trigger"],
            "at": entry["at"],
            "contacts": done["contacts"],
            "external": list(entry.get("external") or []),
        }
    for name, old in before.items():
        if case.get(name) != old:
            change = {
                "case": case["id"],
                "field": name,
                "from": old,
                "to": case.get(name),
                "trigger": move.trigger,
            }
            if entry is None and done["contacts"]:  # no move to report them with
                change["contacts"] = done["contacts"]
                what = f"{name}_changed"
                result.reminded.append(
                    {"case": case["id"], "contacts": done["contacts"], "what": what}
                )
            result.changes.append(change)
    result.changed = True


@dataclass(frozen=True, eq=False)  # never compared: __eq__ and __hash__ cost import time
class UpRequest:
    """What `escalate up` was asked for."""

    reason: str
    to: str | None = None
    agreed_by: str | None = None
    transfer: bool = False
    force: bool = False
    by: str | None = None


def _check_guardrails(matrix: Matrix, case: Case, request: UpRequest, now: datetime) -> None:
    path = levels.case_path(matrix, case)
    if path.agreement == "required" and not request.agreed_by:
        raise RefusedError(
            f'{case["id"]}: path "{case["type"]}" takes two to escalate: add --agreed-by CONTACT'
        )
    level = matrix.levels_by_id[case["level"]]
    if level.min_time and not request.force:
        spent = timers.active_time(case, timing.from_iso(case["level_entered_at"]), now)
        if spent < level.min_time:
            # Rounded up: "wait 30m" must never be a few hundred milliseconds too early.
            left = timing.format_duration(
                timedelta(seconds=ceil((level.min_time - spent).total_seconds()))
            )
            raise RefusedError(
                f"{case['id']} has been at {level.id} for {timing.format_duration(spent)};"
                f" min_time is {timing.format_duration(level.min_time)}:"
                f" wait {left} or use --force"
            )


def escalate_up(matrix: Matrix, case: Case, request: UpRequest, now: datetime) -> dict[str, Any]:
    """A manual escalation, one level up (or `--to` a higher level), within the guardrails."""
    if not request.reason.strip():
        raise UsageError("--reason must say why")
    for contact in (request.agreed_by, request.by):
        if contact is not None:
            require_contact(matrix, contact)
    if request.agreed_by is not None and request.by in (None, request.agreed_by):
        # It takes two named people: the agreement means nothing without a known caller.
        raise UsageError(
            f"--agreed-by {request.agreed_by} needs a caller other than {request.agreed_by}:"
            " add --by CONTACT, or set ESCALATE_USER or the config's user"
        )
    settle(matrix, case, now)
    ensure_active(case, now, "escalate")
    problem = routing.problem(matrix, case)
    if problem is not None:
        raise RefusedError(f"{case['id']}: {problem}")
    _check_guardrails(matrix, case, request, now)
    move = _manual_move(matrix, case, request, now)
    guardrails = {"agreed_by": request.agreed_by, "forced": request.force}
    return apply_move(
        matrix, case, move, now, by=request.by, guardrails=guardrails, transfer=request.transfer
    )


def _manual_move(matrix: Matrix, case: Case, request: UpRequest, now: datetime) -> Move:
    if request.to is not None:
        require_level(matrix, request.to)
        path = levels.case_path(matrix, case)
        if request.to not in path.levels:
            raise RefusedError(_off_path(matrix, case, request.to))
        if matrix.level_rank[request.to] <= matrix.level_rank[case["level"]]:
            raise RefusedError(f"--to {request.to} is not above {case['level']}")
        return Move("manual", request.to, request.reason, now)
    move = routing.manual_target(matrix, case, now)
    if move is None:
        top = f"{case['id']} is at the top of path {case['type']}"
        if levels.case_path(matrix, case).external:
            raise RefusedError(f"{top} and its external contacts were already told")
        raise RefusedError(f"{top}, which has no external contacts")
    return move._replace(reason=request.reason, due_at=now)


def _off_path(matrix: Matrix, case: Case, level_id: str) -> str:
    """Why `up --to` refuses a level off the case's path, and which paths hold it."""
    levels = ", ".join(matrix.all_paths[case["type"]].levels)
    holding = [name for name, path in matrix.all_paths.items() if level_id in path.levels]
    where = f"it is on path {', '.join(holding)}" if holding else "no path has it"
    hint = " (change the path with a trigger, or escalate along this one)" if holding else ""
    return f"--to {level_id} is not on path {case['type']} ({levels}): {where}{hint}"


def transfer_owner(
    matrix: Matrix, case: Case, level_id: str, now: datetime, by: str | None
) -> bool:
    """Hand the case to the level's primary contact; whether the owner changed."""
    new_owner = availability.primary_contact(matrix, level_id, now)
    return change_owner(case, new_owner, now, by)


def change_owner(case: Case, new_owner: str, now: datetime, by: str | None) -> bool:
    """Make `new_owner` the owner, on the timeline; whether that changed anything."""
    old = case["owner"]
    if new_owner == old:
        return False
    case["owner"] = new_owner
    add_event(
        case, event(now, "owner_changed", by, f"owner {old} -> {new_owner}", old=old, new=new_owner)
    )
    present = {p["contact"] for p in case["participants"]}
    if new_owner not in present:
        case["participants"].append(
            {"contact": new_owner, "role": "owner", "since": timing.to_iso(now)}
        )
    for participant in case["participants"]:
        if participant["contact"] == new_owner:
            participant["role"] = "owner"
        elif participant["contact"] == old and participant["role"] == "owner":
            participant["role"] = "former owner"
    return True
