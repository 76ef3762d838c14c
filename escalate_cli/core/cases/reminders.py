"""Follow-through: the dated items of a case (corrective actions and prevention items with a
`due`, follow-ups from `learn`) come back when they fall due.

A sweep reminds each item's person once, when it falls due: an action's or a prevention
item's assignee (else the case's owner), a follow-up's contact. Each reminder is a `notified`
event (so the outbox delivers it) and is reported under the sweep's `reminded`.

The store tracks which cases have open dated items and when the next reminder is due
(`track`/`untrack`), so that a sweep and `escalate agenda` find them without reading every
case, closed ones included: a follow-up is often due after the case is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from escalate_cli.core.cases.document import (
    add_event,
    add_participants,
    build_notice,
    notified_event,
)
from escalate_cli.core.store.store_base import StoreTransaction
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case


@dataclass(frozen=True, eq=False)  # never compared: __eq__ and __hash__ cost import time
class Item:
    """One open dated item of a case."""

    what: str  # "action", "prevent" or "follow_up", as in `sweep --json` and `agenda --json`
    n: int  # its number in its list, counting from 1
    text: str
    due_at: datetime
    contacts: tuple[str, ...]
    entry: dict[str, Any]  # the item in the case, where `reminded_at` is kept

    @property
    def reminded(self) -> bool:
        return bool(self.entry.get("reminded_at"))

    def reason(self) -> str:
        if self.what == "follow_up":
            return f"follow-up {self.n} with {', '.join(self.contacts)} due"
        noun = "action" if self.what == "action" else "prevention item"
        return f"{noun} {self.n} due: {self.text}"


def _due(entry: dict[str, Any], key: str) -> datetime | None:
    value = entry.get(key)
    if not isinstance(value, str):
        return None
    try:
        return timing.from_iso(value)
    except ValueError:
        return None


def _assigned(case: Case, entry: dict[str, Any]) -> tuple[str, ...]:
    person = entry.get("assignee") or case.get("owner")
    return (person,) if isinstance(person, str) and person else ()


def items(case: Case) -> list[Item]:
    """The case's dated items not done yet, soonest first."""
    steps = case.get("steps") or {}
    learned = steps.get("learn") or {}
    found: list[Item] = []
    assigned = (
        ("action", (steps.get("implement") or {}).get("actions") or []),
        ("prevent", learned.get("prevent") or []),
    )
    for what, entries in assigned:
        for n, entry in enumerate(entries, 1):
            due = _due(entry, "due")
            if due is not None and not entry.get("done"):
                text = entry.get("text", "")
                found.append(Item(what, n, text, due, _assigned(case, entry), entry))
    for n, entry in enumerate(learned.get("follow_ups") or [], 1):
        due = _due(entry, "at")
        if due is not None and not entry.get("done"):
            person = entry.get("with")
            contacts = (person,) if isinstance(person, str) else ()
            found.append(Item("follow_up", n, "", due, contacts, entry))
    return sorted(found, key=lambda item: item.due_at)


def _ever_dated(case: Case) -> bool:
    """Whether the case has (or had) a dated item: only then does the store track it."""
    steps = case.get("steps") or {}
    learned = steps.get("learn") or {}
    return bool(
        learned.get("follow_ups")
        or any(e.get("due") for e in (steps.get("implement") or {}).get("actions") or [])
        or any(e.get("due") for e in learned.get("prevent") or [])
    )


def next_due(case: Case) -> datetime | None:
    """When the next reminder is due, or None when every open item was reminded."""
    return next((item.due_at for item in items(case) if not item.reminded), None)


def keep(tx: StoreTransaction, case: Case) -> None:
    """Tell the store whether the case has open dated items, and when the next is due."""
    if not _ever_dated(case):
        return
    if items(case):
        tx.track(case["number"], next_due(case))
    else:
        tx.untrack(case["number"])


def send(case: Case, now: datetime) -> list[dict[str, Any]]:
    """Remind the people of each item due by `now` and not reminded yet, once; what was sent,
    as `sweep --json` reports it (plus `text`, for people)."""
    sent = []
    for item in items(case):
        if item.reminded or item.due_at > now:
            continue
        item.entry["reminded_at"] = timing.to_iso(now)
        reason = item.reason()
        notice = build_notice([(reason, item.contacts)], caused_by=None)
        if notice.contacts:
            add_event(case, notified_event(now, None, notice, about=item.what))
            add_participants(case, notice.contacts, now)
        sent.append(
            {"case": case["id"], "contacts": notice.contacts, "what": item.what, "text": reason}
        )
    return sent
