"""The Store protocol every command uses, and `open_store`: a path or a PostgreSQL URL."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from escalate_cli.core.values import Record, record

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.cases.search import Query

URL_SCHEMES = ("postgresql://", "postgres://")
INSTALL = "pip install 'escalate-cli[postgres]'"
DEFAULT_LOCK_TIMEOUT = 30.0
LOCK_TIMEOUT_ENV = "ESCALATE_LOCK_TIMEOUT"


def lock_timeout(configured: float | None) -> float:
    """How long a command waits for a lock (a file lock, or a row): as configured, else
    `$ESCALATE_LOCK_TIMEOUT` seconds, else 30."""
    if configured is not None:
        return configured
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not re.fullmatch(r"(\d+(\.\d*)?|\.\d+)?", raw):
        from escalate_cli.core.errors import UsageError

        raise UsageError(f"{LOCK_TIMEOUT_ENV}={raw!r}: expected a number of seconds, like 30")
    return float(raw) if raw else DEFAULT_LOCK_TIMEOUT


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether a --store value names a PostgreSQL store rather than a JSON file."""
    return isinstance(location, str) and location.lower().startswith(URL_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password (in the user part or as a `password` parameter): what
    errors, `init`, `store copy` and `whoami` print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://..."
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = "&".join(
        pair
        for pair in parts.query.split("&")
        if pair and pair.split("=", 1)[0].strip().lower() != "password"
    )
    # urlunsplit would drop the // of a URL with no host (postgresql:///db?host=/run/pg)
    shown = f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
    return shown + (f"#{parts.fragment}" if parts.fragment else "")


class Wake(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """When a sweep may first act on a case, worked out as it is written under the matrix that
    `key` names (see core/engine/wake.py); `at` None: only a write can make it due. The PostgreSQL
    store keeps it beside the case, so that a sweep reads only the cases due by then.
    `holds_until`: once `at` has passed, it stays the case's due time until then, so that
    `list` can show an overdue case from its row (None: it must work it out from the case)."""

    at: datetime | None
    key: str
    holds_until: datetime | None = None


@record
class Listing(Record):
    """What `list` reads: cases by number, and the wakes of those whose due time the store
    knows (see Store.listing)."""

    cases: list[Case]
    wakes: dict[int, Wake]


@record
class SweepCases(Record):
    """What a sweep reads: how many active cases are in its scope, those of them that may be
    due by its `now`, and those whose wake was not worked out under its matrix (with the
    version of the row read, so that keeping their wake never overwrites a newer write)."""

    checked: int
    cases: list[Case]
    stale: dict[int, str]


class StoreTransaction(Protocol):
    """Reads and writes of one command: all of them are saved, or none."""

    meta: dict[str, Any]

    def next_number(self) -> int: ...

    def get(self, number: int) -> Case | None: ...

    def claim(self, number: int) -> Case | None:
        """Like get, but None when another transaction holds the case (a racing sweep)."""
        ...

    def put(self, case: Case, wake: Wake | None = None) -> None:
        """Insert or replace the case; `wake` is kept where the store can use it."""
        ...

    def keep_wakes(self, wakes: dict[int, tuple[str, Wake]]) -> None:
        """Keep a sweep's wakes of cases it read (number -> (version read, wake)), each only
        if the case is unchanged since and free; a store that does not use them ignores this."""
        ...

    def cases(self, *, archived: bool = False) -> list[Case]: ...

    def find_external(self, team: str | None, external_id: str) -> int | None:
        """The number of the case of `team` (closed ones too) opened with `external_id`; held
        until the transaction ends, so that a racing open of the same id waits, then finds it."""
        ...

    def track(self, number: int, due_at: datetime | None) -> None:
        """The case has open dated items (actions, follow-ups); its next reminder is due at
        `due_at` (None: every open item was reminded). See core/cases/reminders.py."""
        ...

    def untrack(self, number: int) -> None:
        """The case has no open dated item left."""
        ...

    def outbox(self) -> list[dict[str, Any]]: ...

    def put_outbox(self, entry: dict[str, Any]) -> None: ...

    def drop_outbox(self, ids: Iterable[str]) -> None: ...


class Store(Protocol):
    """A case store: open cases, the archive of closed ones, the outbox and the metadata."""

    @property
    def location(self) -> str:
        """Where it is, fit to print (a URL without its password)."""
        ...

    def exists(self) -> bool: ...

    def prepare(self) -> None:
        """Create the store, or bring its schema up to date (`escalate init`)."""
        ...

    def read_meta(self) -> dict[str, Any]: ...

    def get(self, number: int) -> Case | None: ...

    def cases(self, *, archived: bool = False, history: bool = True) -> list[Case]: ...

    def listing(
        self, *, archived: bool = False, history: bool = True, due: tuple[str, datetime]
    ) -> Listing:
        """The cases `cases` reads, with the wake of each active case, not on hold, that the
        store knows nothing acts on by `due`'s time under the matrix whose key `due` gives (see
        core/engine/wake.py), or (a store may say) whose wake has passed and holds as its due
        time then (Wake.holds_until). Without `history` such a case may come as no more than
        what `list` shows and filters on (store_file.row); every other case comes whole,
        history included, for its due time to be worked out."""
        ...

    def outbox(self) -> list[dict[str, Any]]: ...

    def tracked(self) -> dict[int, datetime | None]:
        """The cases with open dated items, each with when its next reminder is due."""
        ...

    def search(self, query: Query, *, archived: bool = False) -> list[Case]:
        """The cases not closed (with archived=True, the closed ones too) that may hold every
        word of the query, with their history: a superset of those that do, which
        core/cases/search.py confirms and ranks."""
        ...

    def sweep_cases(self, now: datetime, key: str, team: str | None) -> SweepCases:
        """The active cases of `team` (None: all) a sweep at `now` under the matrix `key` must
        read: on PostgreSQL only those due by then or not worked out under that matrix."""
        ...

    def transaction(self) -> AbstractContextManager[StoreTransaction]: ...

    def close(self) -> None: ...


def open_store(location: str | os.PathLike[str]) -> Store:
    """The JSON store at a path, or the PostgreSQL store at a URL (its driver loaded only then)."""
    if is_url(location):
        from escalate_cli.core.store.store_pg import PgStore

        return PgStore(str(location))
    from escalate_cli.core.store.json_store import CaseStore

    return CaseStore(Path(location))
