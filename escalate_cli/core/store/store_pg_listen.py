"""How `escalate watch` learns of a change to a PostgreSQL store: LISTEN/NOTIFY.

Every transaction that writes sends `pg_notify('escalate_changes', <its schema>)` as it commits;
a watcher listens on its own connection and never blocks: `changed()` reads what has arrived.
"""

from __future__ import annotations

from typing import Any

CHANNEL = "escalate_changes"


class PgChanges:
    """A change source (see core/store/changes.py) for one PostgreSQL store."""

    def __init__(self, connection: Any) -> None:
        self._conn = connection
        self._conn.autocommit = True
        with self._conn.cursor() as cur:
            cur.execute("SELECT current_schema()")
            self._schema = cur.fetchone()[0]
            cur.execute(f"LISTEN {CHANNEL}")

    def changed(self) -> bool:
        """Whether a write to this store's schema was committed since the last call."""
        self._conn.poll()
        notes, self._conn.notifies[:] = list(self._conn.notifies), []
        return any(note.payload in (self._schema, "") for note in notes)

    def close(self) -> None:
        self._conn.close()
