"""`escalate agenda`: what is waiting on people, as of a moment.

Four lists: open actions and prevention items (overdue first, then by due time, undated last),
follow-ups due, cases waiting for an acknowledgement, and status updates due by cadence (the
`remind` triggers still to fire). With a user, only theirs: what is assigned to them (or, with
no assignee, cases they own), follow-ups with them, cases at a level where they are reachable
now or that they own, and reminders that would tell them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from escalate_cli.core.cases import reminders
from escalate_cli.core.engine import availability, routing, timers
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case


@dataclass(eq=False)
class Agenda:
    at: datetime
    user: str | None
    actions: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    acknowledge: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.actions or self.follow_ups or self.acknowledge or self.updates)

    def json(self) -> dict[str, Any]:
        return {
            "at": timing.to_iso(self.at),
            "user": self.user,
            "actions": self.actions,
            "follow_ups": self.follow_ups,
            "acknowledge": self.acknowledge,
            "updates": self.updates,
        }


def agenda(matrix: Matrix, cases: list[Case], at: datetime, user: str | None) -> Agenda:
    """The agenda of `cases` as of `at`; with a `user`, only what waits on them."""
    found = Agenda(at, user)
    for case in cases:
        _actions(found, case)
        if case.get("status") in timers.ACTIVE and routing.problem(matrix, case) is None:
            _acknowledge(found, matrix, case)
            _updates(found, matrix, case)
    found.actions.sort(key=_action_order)
    found.follow_ups.sort(key=lambda entry: entry["due"])
    found.acknowledge.sort(key=lambda entry: entry["since"])
    found.updates.sort(key=lambda entry: entry["due"])
    return found


def _action_order(entry: dict[str, Any]) -> tuple[int, str]:
    """Overdue first, then by due time, undated last."""
    if entry["due"] is None:
        return (2, "")
    return (0 if entry["overdue"] else 1, entry["due"])


def _actions(found: Agenda, case: Case) -> None:
    steps = case.get("steps") or {}
    dated = {(item.what, item.n): item for item in reminders.items(case)}
    open_actions = [
        ("action", n, entry)
        for n, entry in enumerate((steps.get("implement") or {}).get("actions") or [], 1)
        if not entry.get("done")
    ]
    open_actions += [
        ("prevent", n, entry)
        for n, entry in enumerate((steps.get("learn") or {}).get("prevent") or [], 1)
        if entry.get("assignee") or entry.get("due")
        if not entry.get("done")
    ]
    for what, n, entry in open_actions:
        person = entry.get("assignee") or case.get("owner")
        if found.user is not None and person != found.user:
            continue
        item = dated.get((what, n))
        due = timing.to_iso(item.due_at) if item is not None else None
        found.actions.append(
            {
                "case": case["id"],
                "title": case.get("title", ""),
                "what": what,
                "n": n,
                "text": entry.get("text", ""),
                "assignee": entry.get("assignee"),
                "due": due,
                "overdue": item is not None and item.due_at <= found.at,
            }
        )
    for item in reminders.items(case):
        if item.what != "follow_up" or item.due_at > found.at:
            continue
        if found.user is not None and found.user not in item.contacts:
            continue
        found.follow_ups.append(
            {
                "case": case["id"],
                "title": case.get("title", ""),
                "n": item.n,
                "with": item.contacts[0] if item.contacts else None,
                "due": timing.to_iso(item.due_at),
            }
        )


def _acknowledge(found: Agenda, matrix: Matrix, case: Case) -> None:
    if case["status"] != "open" or not timers.unacknowledged(case):
        return
    if found.user is not None:
        reachable = availability.level_contacts(matrix, case["level"], found.at)
        here = {contact.id for contact in reachable if contact.available}
        if found.user not in here and case.get("owner") != found.user:
            return
    found.acknowledge.append(
        {
            "case": case["id"],
            "title": case.get("title", ""),
            "severity": case.get("severity"),
            "level": case["level"],
            "since": case["level_entered_at"],
        }
    )


def _updates(found: Agenda, matrix: Matrix, case: Case) -> None:
    ahead = routing.outlook(matrix, case, found.at)
    for notice in ahead.notices:
        if notice.action is None or notice.action.kind != "remind" or notice.due_at is None:
            continue
        if found.user is not None and found.user not in notice.notify:
            continue
        found.updates.append(
            {
                "case": case["id"],
                "title": case.get("title", ""),
                "trigger": notice.trigger,
                "due": timing.to_iso(notice.due_at),
                "contacts": list(notice.notify),
            }
        )
