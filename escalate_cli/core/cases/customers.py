"""People outside the matrix who hear about a case: customer contacts and subscribers by email.

They are named by their address wherever a contact id would go (a timeline's `data.contacts`,
an outbox entry's `contact`): a matrix id never holds an `@`, so the two never mix.
"""

from __future__ import annotations

import re

from escalate_cli.core.errors import UsageError
from escalate_cli.core.matrix.model import Contact, Matrix

# One address, no display name: local@domain.tld, nothing a mail header could be split on.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_LONGEST = 254  # RFC 5321's limit on a forward path


def is_address(name: str) -> bool:
    return "@" in name


def check_address(text: str, option: str) -> str:
    """The address, stripped, or a usage error (exit 2) naming the option it came from."""
    address = text.strip()
    if len(address) > _LONGEST or not _ADDRESS.fullmatch(address):
        from escalate_cli.core.time.timing import show_value

        raise UsageError(
            f"{option} {show_value(text)} is not an email address (use name@example.com)"
        )
    return address


def customer_channel(matrix: Matrix) -> str | None:
    """The email channel that reaches addresses: the first one in the matrix's `notify_via`,
    else the first declared; None when the matrix has no email channel."""
    emails = [name for name, channel in matrix.channels.items() if channel.kind == "email"]
    chosen = [name for name in matrix.notify_via if name in emails] or emails
    return chosen[0] if chosen else None


def recipient(matrix: Matrix, contact_id: str) -> Contact | None:
    """The matrix's contact of that id, or an address made a contact that mail can reach."""
    found = matrix.contacts_by_id.get(contact_id)
    if found is None and is_address(contact_id):
        return Contact(id=contact_id, email=contact_id)
    return found
