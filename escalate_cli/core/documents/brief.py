"""The situation report (`brief`) for whoever a case is escalated to, as data and as plain text."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, tzinfo
from typing import Any

from escalate_cli.core.cases.document import Case, escalation_text
from escalate_cli.core.engine import timers
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.text.visible import one_line, visible
from escalate_cli.core.text.words import plural
from escalate_cli.core.time import timing

ASKS = ("awareness", "help", "decision", "resources")
WIDTH = 100
# A brief is pasted into a chat: beyond this many facts or actions the report has the rest.
MOST_SHOWN = 4


def _clean(text: object) -> str:
    """Case text on one line: a brief is a few lines, so newlines and runs of spaces fold (and
    control characters show as escapes, as everywhere)."""
    return one_line(text)


def when(iso: str | None, zone: tzinfo | None = None) -> str:
    """A stored instant for people, in `zone` (None: the local zone): `2026-11-23 14:05 UTC`."""
    if not iso:
        return "-"
    return timing.shown_time(timing.from_iso(iso), zone)


def span(start: str | None, end: str | None) -> str | None:
    """The time between two stored instants, to the minute (`1h30m`), or None if one is missing."""
    if not start or not end:
        return None
    seconds = (timing.from_iso(end) - timing.from_iso(start)).total_seconds()
    return timing.format_duration(timedelta(minutes=int(seconds // 60)))


def relative(iso: str, now: datetime) -> str:
    """`in 1h30m`, `1h30m ago` or `now`, to the minute."""
    stamp = timing.to_iso(now)
    if iso == stamp:
        return "now"
    if iso > stamp:
        return f"in {span(stamp, iso)}"
    return f"{span(iso, stamp)} ago"


def contact_label(matrix: Matrix | None, contact_id: str | None) -> str:
    """`Sam Okafor (sam)`, or the bare id when the matrix does not know the contact."""
    if not contact_id:
        return "-"
    contact = matrix.contacts_by_id.get(contact_id) if matrix else None
    return f"{contact.name} ({contact_id})" if contact and contact.name else contact_id


def level_label(matrix: Matrix | None, level_id: str | None) -> str:
    """`L2 (Support supervisor)`, or the bare id."""
    if not level_id:
        return "-"
    level = matrix.levels_by_id.get(level_id) if matrix else None
    return f"{level_id} ({level.name})" if level and level.name else level_id


def severity_name(matrix: Matrix | None, severity_id: str | None) -> str | None:
    severity = matrix.severities_by_id.get(severity_id) if matrix and severity_id else None
    return severity.name if severity else None


def sla_states(matrix: Matrix, case: Case, now: datetime) -> list[dict[str, Any]]:
    """Each SLA of the case's severity: when it is due and whether it was `met`, is `running`,
    `paused` (on hold) or `breached` (recorded, or past due and not yet swept)."""
    stops = {
        "ack": case["acknowledged_at"] or case["resolved_at"] or case["closed_at"],
        "resolve": case["resolved_at"] or case["closed_at"],
    }
    states = []
    for sla, stopped_at in stops.items():
        if not _has_sla(matrix, case, sla):
            continue
        due = timers.sla_deadline(matrix, case, sla)
        if sla in case["breached"]:
            state = "breached"
            due = _breached_at(case, sla) or due
        elif stopped_at:
            state = "met"
        elif due is None or timers.is_on_hold(case, now):
            state = "paused"
        else:
            state = "breached" if now >= due else "running"
        states.append({"sla": sla, "due_at": timing.to_iso(due) if due else None, "state": state})
    return states


def _breached_at(case: Case, sla: str) -> datetime | None:
    """The deadline a recorded breach missed: the severity's deadline back then, which a later
    severity change does not move."""
    for entry in case["timeline"]:
        if entry["kind"] == "breached" and entry["data"].get("sla") == sla:
            return timing.from_iso(entry["at"])
    return None


def _has_sla(matrix: Matrix, case: Case, sla: str) -> bool:
    severity = matrix.severities_by_id.get(case.get("severity") or "")
    return severity is not None and getattr(severity, sla, None) is not None


def default_ask(case: Case) -> str:
    """Awareness once a case is resolved, a decision while options wait for a choice, else help."""
    if case["status"] in ("resolved", "closed"):
        return "awareness"
    brainstorm = case["steps"]["brainstorm"]
    if brainstorm["options"] and brainstorm["chosen"] is None:
        return "decision"
    return "help"


def ask_text(matrix: Matrix, case: Case, ask: str) -> str:
    """The request, phrased for the person reading the brief."""
    if ask == "awareness":
        return "For your awareness: no action is needed from you now; the owner keeps you updated."
    if ask == "help":
        return (
            "Please help: we need your knowledge or hands to move this forward;"
            " the owner can brief you."
        )
    if ask == "decision":
        brainstorm = case["steps"]["brainstorm"]
        chosen, options = brainstorm["chosen"], brainstorm["options"]
        if chosen is not None:
            text = _clean(options[chosen - 1]["text"])
            return f"Please decide: approve option {chosen} ({text}) or choose another."
        if options:
            if len(options) == 1:
                return "Please decide: approve the option above or propose another."
            return f"Please decide: choose one of the {len(options)} options above."
        return "Please decide how to proceed; the owner can walk you through the facts."
    level = matrix.levels_by_id.get(case["level"])
    authority = f" (its authority: {_clean(level.authority)})" if level and level.authority else ""
    return (
        "Please provide resources (people, budget or access) beyond what"
        f" {level_label(matrix, case['level'])} can commit{authority}."
    )


def _owner(matrix: Matrix, case: Case, now: datetime) -> dict[str, Any]:
    from escalate_cli.core.engine import availability

    owner_id = case["owner"]
    contact = matrix.contacts_by_id.get(owner_id)
    found: dict[str, Any] = {"id": owner_id, "name": contact.label if contact else owner_id}
    for key in ("role", "email", "phone", "chat"):
        found[key] = getattr(contact, key, None)
    found["available"] = availability.is_available(matrix, owner_id, now) if contact else None
    return found


def _working(matrix: Matrix, case: Case) -> dict[str, Any] | None:
    """Who acknowledged the case at its current level, when that is not its owner: under
    `ownership: keep` the owner stays below while someone higher works the case."""
    if not case["level_acknowledged_at"]:
        return None
    for entry in reversed(case["timeline"]):
        if entry["at"] < case["level_entered_at"]:
            return None
        if entry["kind"] == "acknowledged" and entry["data"].get("level") == case["level"]:
            by = entry["by"]
            if by is None or by == case["owner"]:
                return None
            contact = matrix.contacts_by_id.get(by)
            return {"id": by, "name": contact.label if contact else by, "since": entry["at"]}
    return None


ESCALATION_KEYS = (
    "at",
    "from",
    "to",
    "reason",
    "by",
    "external",
    "agreed_by",
    "forced",
    "from_path",
    "path",
)


def _tried(case: Case) -> dict[str, Any]:
    steps = case["steps"]
    ack = steps["acknowledge"]
    updates = [e for e in case["timeline"] if e["kind"] == "update"]
    chosen = steps["brainstorm"]["chosen"]
    keys = ("n", "text", "kind", "assignee", "due", "done")
    return {
        "acknowledged": dict(ack) if ack["at"] else None,
        "facts": [fact["text"] for fact in steps["gather"]["facts"]],
        "whys": [why["text"] for why in steps["gather"]["whys"]],
        "options": [
            {"n": o["n"], "text": o["text"], "chosen": o["n"] == chosen}
            for o in steps["brainstorm"]["options"]
        ],
        "actions": [{key: a[key] for key in keys} for a in steps["implement"]["actions"]],
        "escalations": [
            {key: e.get(key) for key in ESCALATION_KEYS} | {"text": escalation_text(e)}
            for e in case["escalations"]
        ],
        "last_update": (
            {"at": updates[-1]["at"], "text": updates[-1]["text"], **updates[-1]["data"]}
            if updates
            else None
        ),
    }


def _deadline(matrix: Matrix, case: Case, now: datetime) -> dict[str, Any]:
    from escalate_cli.core.cases.planning import next_view

    view = next_view(matrix, case, now)
    upcoming = view.data["next"]
    return {
        "next": None
        if upcoming is None
        else {
            "level": upcoming["level"],
            "due_at": upcoming["due_at"],
            "reason": upcoming["reason"],
            "contacts": [contact["id"] for contact in upcoming["contacts"]],
            "external": upcoming["external"],
        },
        "note": view.note,
        "sla": sla_states(matrix, case, now),
        "breached": list(case["breached"]),
    }


def brief(matrix: Matrix, case: Case, now: datetime, ask: str | None = None) -> dict[str, Any]:
    """The situation report as data: what, impact, tried, ask, owner, deadline, details."""
    kind = ask or default_ask(case)
    assess = case["steps"]["assess"]
    return {
        "case": case["id"],
        "title": case["title"],
        "status": case["status"],
        "what": {
            "description": case["description"] or None,
            "customer": dict(case["customer"]),
            "severity": case["severity"],
            "severity_name": severity_name(matrix, case["severity"]),
            "type": case["type"],
            "level": case["level"],
            "level_name": getattr(matrix.levels_by_id.get(case["level"]), "name", None),
            "opened_at": case["created_at"],
            "resolved_at": case["resolved_at"],
            "resolution": case["resolution"],
        },
        "impact": {"text": assess["impact"], "root_cause": assess["root_cause"]},
        "tried": _tried(case),
        "ask": {"kind": kind, "text": ask_text(matrix, case, kind)},
        "owner": _owner(matrix, case, now),
        "working": _working(matrix, case),
        "deadline": _deadline(matrix, case, now),
        "details": {
            "show": f"escalate show {case['id']}",
            "report": f"escalate report {case['id']}",
        },
    }


def _wrapped(line: str, width: int) -> list[str]:
    # Never split words: ids, paths and addresses must stay whole to be copied.
    return textwrap.wrap(
        line, width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    ) or [line]


def _listed(texts: list[str], joiner: str = "; ") -> str:
    shown = [_clean(text) for text in texts[:MOST_SHOWN]]
    more = len(texts) - len(shown)
    return joiner.join(shown) + (f" (+{more} more)" if more else "")


def _what_line(matrix: Matrix, data: dict[str, Any], now: datetime, zone: tzinfo | None) -> str:
    what = data["what"]
    severity = what["severity"] or "no severity"
    if what["severity_name"]:
        severity += f" ({what['severity_name']})"
    customer = what["customer"]
    who = _clean(customer.get("name")) or "no customer named"
    if customer.get("tier"):
        who += f" ({_clean(customer['tier'])})"
    opened = f"{when(what['opened_at'], zone)} ({relative(what['opened_at'], now)})"
    return f"What: {severity} for {who}, opened {opened}."


def _status_line(matrix: Matrix, data: dict[str, Any]) -> str:
    status = f"Status: {data['status']} at {level_label(matrix, data['what']['level'])}"
    escalations = data["tried"]["escalations"]
    if escalations:
        chain = [escalations[0]["from"]]
        for entry in escalations:
            if entry["to"] != chain[-1]:
                chain.append(entry["to"])
        told = [name for e in escalations for name in e["external"] or ()]
        if told:
            chain.append(f"external contacts ({', '.join(told)})")
        status += f", escalated {' -> '.join(str(level) for level in chain)}"
    traced = [e["text"] for e in escalations if e["agreed_by"] or e["forced"] or e["from_path"]]
    if traced:
        status += f" ({'; '.join(traced)})"
    return status + "."


def _tried_lines(data: dict[str, Any], zone: tzinfo | None) -> list[str]:
    tried = data["tried"]
    lines = []
    if tried["facts"]:
        lines.append(f"Facts: {_listed(tried['facts'])}")
    if tried["whys"]:
        lines.append(f"Why?: {_listed(tried['whys'], ' -> ')}")
    if tried["options"]:
        chosen = next((o for o in tried["options"] if o["chosen"]), None)
        considered = f"Options considered: {len(tried['options'])}"
        if chosen is None:
            numbered = [f"{o['n']}. {o['text']}" for o in tried["options"]]
            lines.append(f"{considered}, none chosen yet: {_listed(numbered)}")
        else:
            lines.append(f"{considered}; chosen {chosen['n']}: {_clean(chosen['text'])}")
    for action in tried["actions"][:MOST_SHOWN]:
        state = "done" if action["done"] else "open"
        if not action["done"] and action["due"]:
            state = f"due {when(action['due'], zone)}"
        who = f", {action['assignee']}" if action["assignee"] else ""
        lines.append(
            f"Action {action['n']} ({action['kind']}{who}, {state}): {_clean(action['text'])}"
        )
    if len(tried["actions"]) > MOST_SHOWN:
        more = plural(len(tried["actions"]) - MOST_SHOWN, "more action", "more actions")
        lines.append(f"(+{more} in the report)")
    if tried["last_update"]:
        update = tried["last_update"]
        audience = update.get("audience") or "internal"
        lines.append(
            f"Last update ({audience}, {when(update['at'], zone)}): {_clean(update['text'])}"
        )
    if not lines:
        return ["Tried: nothing recorded yet."]
    return ["Tried:", *(f"  {line}" for line in lines)]


def _sla_part(sla: dict[str, Any], now: datetime, zone: tzinfo | None) -> str:
    name = f"{sla['sla']} SLA"
    if sla["state"] == "met":
        return f"{name} met"
    if sla["state"] == "paused":
        # A hold with --until has a known end, so the pushed-back deadline is known too.
        then = f", then due {when(sla['due_at'], zone)}" if sla["due_at"] else ""
        return f"{name} paused while on hold{then}"
    due = f"{when(sla['due_at'], zone)} ({relative(sla['due_at'], now)})"
    return f"{name} breached (due {due})" if sla["state"] == "breached" else f"{name} due {due}"


def _deadline_lines(
    matrix: Matrix, data: dict[str, Any], now: datetime, zone: tzinfo | None
) -> list[str]:
    deadline = data["deadline"]
    parts = [_sla_part(sla, now, zone) for sla in deadline["sla"]]
    lines = [f"Deadline: {'; '.join(parts) if parts else 'no SLA for this severity'}."]
    upcoming = deadline["next"]
    if upcoming is None:
        lines.append(f"Next escalation: none ({deadline['note'] or 'nothing runs'}).")
        return lines
    if upcoming["external"]:
        where = f"external contacts {', '.join(upcoming['contacts'])}"
    else:
        where = level_label(matrix, upcoming["level"])
    due = upcoming["due_at"]
    if due:
        at = f"at {when(due, zone)} ({relative(due, now)}) if nothing changes"
    else:
        at = "only when someone decides to"
    lines.append(f"Next escalation: {where} {at}: {upcoming['reason']}.")
    return lines


def _owner_line(data: dict[str, Any]) -> str:
    owner = data["owner"]
    name = f"{owner['name']} ({owner['id']})" if owner["name"] != owner["id"] else owner["id"]
    if owner["role"]:
        name += f", {owner['role']}"
    reach = [owner[key] for key in ("email", "phone", "chat") if owner[key]]
    if owner["available"] is False:
        reach.append("not available right now")
    return f"Owner: {name}" + (f"; {', '.join(reach)}" if reach else "") + "."


def brief_text(
    matrix: Matrix,
    data: dict[str, Any],
    now: datetime,
    zone: tzinfo | None = None,
    *,
    width: int | None = WIDTH,
) -> str:
    """The brief as plain text to paste into a chat or an email: no markup, and no control or
    bidi character from the case or the matrix (they show as `\\x1b`). Lines are folded to
    `width` (a terminal's; WIDTH at most, which reads best); with None they are not: a chat
    folds them itself, so a pasted brief has one line per item."""
    what, impact = data["what"], data["impact"]
    lines = [f"{data['case']}: {_clean(data['title'])}", _what_line(matrix, data, now, zone)]
    if what["description"]:
        lines.append(f"  {_clean(what['description'])}")
    lines.append(_status_line(matrix, data))
    if what["resolved_at"]:
        lines.append(f"Resolved {when(what['resolved_at'], zone)}: {_clean(what['resolution'])}")
    lines.append(f"Impact: {_clean(impact['text']) or 'not assessed yet'}")
    if impact["root_cause"]:
        lines.append(f"Root cause: {_clean(impact['root_cause'])}")
    lines += _tried_lines(data, zone)
    lines.append(f"Ask: {data['ask']['text']}")
    lines.append(_owner_line(data))
    working = data["working"]
    if working:
        name = (
            working["name"]
            if working["name"] == working["id"]
            else f"{working['name']} ({working['id']})"
        )
        level = data["what"]["level"]
        since = when(working["since"], zone)
        lines.append(f"Working on it now: {_clean(name)}, who acknowledged at {level} {since}.")
    lines += _deadline_lines(matrix, data, now, zone)
    details = data["details"]
    lines.append(
        f"Details: {details['show']} (case and timeline), {details['report']} (full document)"
    )
    if width is not None:
        fold = min(width, WIDTH) if width > 0 else WIDTH  # 0: a terminal that says no width
        lines = [wrapped for line in lines for wrapped in _wrapped(line, fold)]
    return visible("\n".join(lines) + "\n", lines=True)
