"""Who hears about what (docs/notifications.md): the matrix's `notify_on` audiences made contacts,
and the `notified` events that tell them, through the outbox like every other notification."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from escalate_cli.core.cases.document import (
    Case,
    add_event,
    build_notice,
    level_audience,
    notified_event,
)
from escalate_cli.core.matrix.model import Matrix

Named = list[tuple[str, list[str]]]

# What each event is called in a reason ("resolved, to the participants").
WHAT = {
    "update": "status update",
    "resolve": "resolved",
    "reopen": "reopened",
    "close": "closed",
    "owner_changed": "new owner",
    "convene": "convened",
    "severity_changed": "severity changed",
    "repeat": "still not acknowledged",
    "breach": "SLA breached",
    "warning": "SLA due soon",
    "reminder": "reminder",
    "action": "action due",
    "prevent": "prevention item due",
    "follow_up": "follow-up due",
}
_WHOM = {
    "owner": "the owner",
    "participants": "the people on the case",
    "level": "the current level",
    "customer": "the customer",
    "added": "the people added",
}


def customer_contacts(case: Case) -> list[str]:
    """The case's customer contacts, then its subscribers, each once."""
    given = (case.get("customer") or {}).get("contacts") or []
    return list(dict.fromkeys([*given, *case.get("subscribers", [])]))


def members(
    matrix: Matrix, case: Case, audience: str, at: datetime, added: Sequence[str] = ()
) -> list[str]:
    """The contacts (or addresses) an audience names on this case now."""
    if audience == "owner":
        return [case["owner"]] if case.get("owner") else []
    if audience == "participants":
        # An external party told at the top of a path hears that escalation, not the team's
        # internal talk: reach them as `customer` (subscribe) when they should.
        return [
            p["contact"]
            for p in case["participants"]
            if not getattr(matrix.contacts_by_id.get(p["contact"]), "external", False)
        ]
    if audience == "level":
        known = case["level"] in matrix.levels_by_id
        return level_audience(matrix, case["level"], at) if known else []
    if audience == "customer":
        return customer_contacts(case)
    return list(added)


def named_for(
    matrix: Matrix,
    case: Case,
    event: str,
    at: datetime,
    *,
    added: Sequence[str] = (),
    audiences: Iterable[str] | None = None,
) -> tuple[Named, Named]:
    """(reason, contacts) pairs for an event: those told as the team, and those told as the
    customer (who get the plain message). `audiences` overrides the matrix's `notify_on`."""
    chosen = matrix.notify_on.audiences(event) if audiences is None else audiences
    internal: Named = []
    outside: Named = []
    for audience in chosen:
        pair = (f"{WHAT[event]}, to {_WHOM[audience]}", members(matrix, case, audience, at, added))
        (outside if audience == "customer" else internal).append(pair)
    return internal, outside


def tell_customers(
    case: Case, at: datetime, by: str | None, about: str, outside: Named, told: Sequence[str]
) -> list[str]:
    """One `notified` event for the customer audience, leaving out whoever `told` already has:
    nobody hears of one event twice, and the team never gets the plain version instead."""
    left = [(reason, [c for c in contacts if c not in told]) for reason, contacts in outside]
    notice = build_notice(left, caused_by=by)
    if notice.contacts:
        add_event(case, notified_event(at, by, notice, about=about, audience="customer"))
    return notice.contacts


def tell(
    matrix: Matrix,
    case: Case,
    events: Sequence[str],
    at: datetime,
    by: str | None,
    *,
    added: Sequence[str] = (),
    audiences: Iterable[str] | None = None,
) -> list[str]:
    """Record who hears of `events` (just added to the case, told together: the last one names
    the message) as `notified` events; each person once, and never the one who caused them.
    Returns everyone told."""
    internal: Named = []
    outside: Named = []
    for event in events:
        inside, beyond = named_for(matrix, case, event, at, added=added, audiences=audiences)
        internal += inside
        outside += beyond
    about = events[-1]
    notice = build_notice(internal, caused_by=by)
    if notice.contacts:
        add_event(case, notified_event(at, by, notice, about=about))
    return notice.contacts + tell_customers(case, at, by, about, outside, notice.contacts)
