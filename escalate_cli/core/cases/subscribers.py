"""Subscribing to a case: a contact of the matrix, or an email address, who hears what the
customer hears (docs/notifications.md)."""

from __future__ import annotations

from datetime import datetime

from escalate_cli.core.cases.audiences import customer_contacts
from escalate_cli.core.cases.customers import check_address, is_address
from escalate_cli.core.cases.document import Case, add_event, event, require_contact
from escalate_cli.core.cases.lifecycle import settle
from escalate_cli.core.errors import NotFoundError, RefusedError
from escalate_cli.core.matrix.model import Matrix


def _named(matrix: Matrix, name: str) -> str:
    """An address checked (exit 2 when malformed), or a contact id of the matrix (exit 3)."""
    name = name.strip()
    return check_address(name, "address") if is_address(name) else require_contact(matrix, name)


def _same(found: str, wanted: str) -> bool:
    return found.casefold() == wanted.casefold() if is_address(wanted) else found == wanted


def subscribe(matrix: Matrix, case: Case, now: datetime, name: str, by: str | None) -> bool:
    """Add a subscriber; False when they already hear of the case (nothing is recorded)."""
    who = _named(matrix, name)
    settle(matrix, case, now)
    if case["status"] == "closed":
        raise RefusedError(f"cannot subscribe to {case['id']}: it is closed (reopen it first)")
    if any(_same(found, who) for found in customer_contacts(case)):
        return False
    case.setdefault("subscribers", []).append(who)
    add_event(case, event(now, "subscribed", by, f"subscribed {who}", contact=who))
    return True


def unsubscribe(matrix: Matrix, case: Case, now: datetime, name: str, by: str | None) -> None:
    """Remove a subscriber or a customer contact given at `open`: they hear no more of it."""
    who = name.strip()
    hearing = customer_contacts(case)
    if not any(_same(found, who) for found in hearing):
        listed = f"subscribed: {', '.join(hearing)}" if hearing else "nobody is"
        raise NotFoundError(f"{who} is not subscribed to {case['id']} ({listed})")
    settle(matrix, case, now)
    customer = case["customer"]
    for holder in (case.setdefault("subscribers", []), customer.setdefault("contacts", [])):
        holder[:] = [found for found in holder if not _same(found, who)]
    add_event(case, event(now, "unsubscribed", by, f"unsubscribed {who}", contact=who))
