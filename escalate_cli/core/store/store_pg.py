"""The case store in PostgreSQL: one row per case beside columns for what commands filter on.

Every command is one database transaction. A case being changed is locked by its row
(`SELECT ... FOR UPDATE`); numbers come from an `UPDATE ... RETURNING` on the meta row; a sweep
skips the cases another transaction holds (`FOR UPDATE SKIP LOCKED`), so racing sweeps on several
machines move each due case once. The outbox rows a transaction reads stay locked until it ends:
a second claimer waits, then finds them claimed, so each notification is sent once. (Skipping
them instead would let the process that sent an entry skip recording so, and a later sweep would
take the entry over once that process is gone, and send it again.)

The case document is kept in a `json` column, which stores its text exactly as written: `jsonb`
would reorder the keys and refuses `\\u0000`, which case text may hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from escalate_cli.core.errors import StoreError
from escalate_cli.core.store.store_base import (
    INSTALL,
    Listing,
    SweepCases,
    Wake,
    lock_timeout,
    redact,
)
from escalate_cli.core.store.store_file import _collector_paused, dumps, loads, summary
from escalate_cli.core.store.store_pg_listen import CHANNEL, PgChanges
from escalate_cli.core.store.store_pg_schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.cases.search import Query

_MIGRATION_LOCK = 0x65736361  # pg_advisory_xact_lock key: "esca"
_OUTBOX_LOCK = 0x6F757462  # with the schema's hash, the two-key pg_advisory_xact_lock: "outb"


_CASE_COLUMNS = "number, id, status, level, owner, matrix, severity, type, due_at, due_key,"
_CASE_COLUMNS += " created_at, closed_at, archived, doc, brief, external_id, search_words"
_METRICS_COLUMNS = "number, matrix, created_at, active, reopened, ack_s, resolve_s, breached,"
_METRICS_COLUMNS += " escalated_to, escalated_path, exact"


def _upsert(table: str, columns: str) -> str:
    """An INSERT of many rows at once (`VALUES %s`, for _values) that replaces a row of the
    same number."""
    names = columns.replace(" ", "").split(",")
    return (
        f"INSERT INTO {table} ({columns}) VALUES %s ON CONFLICT (number) DO UPDATE SET "
        + ", ".join(f"{c} = EXCLUDED.{c}" for c in names[1:])
    )


_UPSERT_CASES = _upsert("cases", _CASE_COLUMNS)
# metrics --by groups summed in SQL: case columns holding what breakdown.breakdown groups by
_GROUPED = ("severity", "owner", "type", "level")


def _no_sums() -> dict[str, Any]:
    """The sums of no case."""
    return {
        "cases": 0,
        "open": 0,
        "reopened": 0,
        "ack_sum": 0.0,
        "ack_count": 0,
        "resolve_sum": 0.0,
        "resolve_count": 0,
        "breaches": {},
        "by_level": {},
        "by_path": {},
    }


_UPSERT_METRICS = _upsert("case_metrics", _METRICS_COLUMNS)


def _values(cur: Any, sql: str, rows: list[tuple[Any, ...]], page: int) -> list[bytes]:
    """What psycopg2.extras.execute_values would run: `sql` with its `VALUES %s` filled with
    `page` rows at a time. Made here because importing psycopg2.extras (and the logging it
    brings) costs each writing command about 3 ms of CPU."""
    head, tail = sql.encode().split(b"%s")
    template = "(" + ",".join(["%s"] * len(rows[0])) + ")"
    return [
        head + b",".join(cur.mogrify(template, row) for row in rows[start : start + page]) + tail
        for start in range(0, len(rows), page)
    ]


def _run(cur: Any, statements: list[bytes], batch: int = 1 << 20) -> None:
    """Run the statements, as many to a round trip as fit in about `batch` bytes."""
    pending: list[bytes] = []
    size = 0
    for statement in statements:
        pending.append(statement)
        size += len(statement)
        if size >= batch:
            cur.execute(b";".join(pending))
            pending, size = [], 0
    if pending:
        cur.execute(b";".join(pending))


def _driver() -> Any:
    try:
        import psycopg2
    except ImportError:
        raise StoreError(
            f"a PostgreSQL store needs its driver, which is not installed: {INSTALL}"
        ) from None
    return psycopg2


def _text(value: Any) -> str | None:
    """A column's copy of a string field: a text column holds no NUL and no lone surrogate
    (the document keeps the field exactly)."""
    if not isinstance(value, str):
        return None
    return value.encode("utf-8", "replace").decode().replace("\x00", "")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def _row(case: Case, text: str, wake: Wake | None) -> tuple[Any, ...]:
    """The column values of one case, and its document."""
    return (
        case["number"],
        _text(case.get("id")) or "",
        *(_text(case.get(key)) for key in ("status", "level", "owner", "matrix", "severity")),
        _text(case.get("type")),
        wake.at if wake is not None else None,
        wake.key if wake is not None else None,
        _time(case.get("created_at")),
        _time(case.get("closed_at")),
        case.get("status") == "closed",
        text,
        dumps(summary(case)).decode(),
        _text(case.get("external_id")),
        _search_words(case),
    )


# A tsvector holds at most 1 MB; a lexeme of this text takes at most about five times its size.
_MAX_SEARCH_WORDS = 200_000


def _search_words(case: Case) -> str | None:
    """The case's words for full-text search; None (search reads the case) when too many."""
    from escalate_cli.core.cases.search import case_words

    found = case_words(case)
    return found if len(found.encode()) <= _MAX_SEARCH_WORDS else None


def _metrics_row(case: Mapping[str, Any]) -> tuple[Any, ...]:
    """The case's `case_metrics` row: what it adds to `escalate metrics` (see metrics.figures);
    not `exact` when the columns cannot hold that exactly (metrics then reads the cases)."""
    from escalate_cli.core.documents.metrics import figures

    found = figures(case)
    recorded = case.get("matrix")
    if found is not None and (recorded is None or isinstance(recorded, str)):
        texts = [*found.breached, *found.levels, *found.paths]
        texts += [recorded] if recorded is not None else []
        if all(_text(text) == text for text in texts):  # no NUL, no lone surrogate
            return (
                case["number"],
                recorded,
                _time(found.created),
                found.active,
                found.reopened,
                found.ack_s,
                found.resolve_s,
                list(found.breached) or None,
                list(found.levels) or None,
                list(found.paths) or None,
                True,
            )
    return (case["number"], None, None, False, False, None, None, None, None, None, False)


def _decode(raw: Any) -> Any:
    return loads(raw.encode() if isinstance(raw, str) else raw)


def _cases(where: str, rows: list[tuple[int, str]]) -> list[Case]:
    """Many case rows' documents, parsed with the collector paused (as the JSON store parses
    its file): collecting between rows would walk every case parsed so far, again and again
    (10,000 open cases: about 100 ms of a sweep)."""
    with _collector_paused(sum(len(raw) for _, raw in rows)):
        return [_case(where, number, raw) for number, raw in rows]


def _case(where: str, number: int, raw: str) -> Case:
    """A case row's document, checked as the JSON store checks its lines (exit 6 otherwise)."""
    doc = _decode(raw)
    if not isinstance(doc, dict) or doc.get("number") != number:
        raise StoreError(
            f'{where} has case "{number}" whose document is not that case (changed by hand?);'
            " it was left untouched — fix or remove that row"
        )
    return cast("Case", doc)


def _each_batch(cur: Any, column: str, batch: int) -> Iterator[list[tuple[int, Any]]]:
    """Every case's number and parsed `column`, `batch` cases at a time: what a migration
    fills in for the cases written before it."""
    last = 0
    while True:
        cur.execute(
            f"SELECT number, {column}::text FROM cases WHERE number > %s ORDER BY number LIMIT %s",
            (last, batch),
        )
        found = cur.fetchall()
        if not found:
            return
        yield [(number, _decode(raw)) for number, raw in found]
        last = found[-1][0]


def _fill_case_metrics(cur: Any, batch: int = 5_000) -> None:
    """Migration 2's rows for the cases written before it, from their summaries."""
    for found in _each_batch(cur, "brief", batch):
        rows = []
        for number, brief in found:
            whole = isinstance(brief, dict) and brief.get("number") == number
            rows.append(_metrics_row(brief if whole else {"number": number, "matrix": 0}))
        _run(cur, _values(cur, _UPSERT_METRICS, rows, page=batch))


def _fill_search_words(cur: Any, batch: int = 1_000) -> None:
    """Migration 4's words for the cases written before it."""
    from psycopg2.extras import execute_values

    for found in _each_batch(cur, "doc", batch):
        rows = [
            (number, _search_words(cast("Case", doc)) if isinstance(doc, dict) else None)
            for number, doc in found
        ]
        execute_values(
            cur,
            "UPDATE cases SET search_words = v.words FROM (VALUES %s) AS v(number, words)"
            " WHERE cases.number = v.number",
            rows,
            template="(%s::bigint, %s::text)",
            page_size=batch,
        )


class PgTransaction:
    """Reads and writes of one command inside one PostgreSQL transaction."""

    def __init__(self, cursor: Any, meta: dict[str, Any], last_number: int, where: str) -> None:
        self._cur, self.meta, self._where = cursor, meta, where
        self._meta_before = dict(meta)
        self._last = last_number
        self._active = True
        # Cases put and not yet written: written together before anything could read them
        # (a sweep puts 500 cases in one statement each for cases and case_metrics, not 500).
        self._pending: dict[int, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        self._outbox_locked = False
        self.wrote = False  # whether watchers are to hear of this transaction

    def _check_active(self) -> None:
        if not self._active:
            raise RuntimeError("the transaction is over; open a new one")

    def _flush(self) -> None:
        """Write the cases put so far: an upsert into each table and the last number's update,
        sent in one round trip (more only past 1,000 cases or 1 MB): an `open` holds the
        number's lock until commit, and each round trip in there is time other opens wait."""
        if not self._pending:
            return
        rows = list(self._pending.values())
        self._pending = {}
        cur = self._cur
        highest = max(row[0] for row, _ in rows)
        _run(
            cur,
            _values(cur, _UPSERT_CASES, [row for row, _ in rows], page=1000)
            + _values(cur, _UPSERT_METRICS, [row for _, row in rows], page=1000)
            + [
                cur.mogrify(
                    "UPDATE store_meta SET last_number = %s WHERE id = 1 AND last_number < %s",
                    (highest, highest),
                )
            ],
        )

    def next_number(self) -> int:
        """The next case number; the meta row stays locked until commit, so never given twice."""
        self._check_active()
        self._flush()  # a number put by hand is never given again
        self.wrote = True
        self._cur.execute(
            "UPDATE store_meta SET last_number = last_number + 1 WHERE id = 1 RETURNING last_number"
        )
        self._last = int(self._cur.fetchone()[0])
        return self._last

    def _one(self, number: int, lock: str) -> Case | None:
        if type(number) is not int or not 0 < number < 2**63:
            return None
        if number in self._pending:
            self._flush()
        self._cur.execute(f"SELECT doc::text FROM cases WHERE number = %s {lock}", (number,))
        row = self._cur.fetchone()
        return _case(self._where, number, row[0]) if row is not None else None

    def get(self, number: int) -> Case | None:
        """The case, its row locked until the transaction ends."""
        return self._one(number, "FOR UPDATE")

    def claim(self, number: int) -> Case | None:
        """The case, locked; None when another transaction holds it (it is being moved there)."""
        return self._one(number, "FOR UPDATE SKIP LOCKED")

    def put(self, case: Case, wake: Wake | None = None) -> None:
        """Insert or replace the case; without a wake, every sweep reads it until one keeps
        its wake (see keep_wakes)."""
        self._check_active()
        number = case.get("number")
        if type(number) is not int or number < 1:
            raise ValueError(f"a case needs an integer 'number' >= 1, got {number!r}")
        self._pending[number] = (_row(case, dumps(case).decode(), wake), _metrics_row(case))
        self.wrote = True
        self._last = max(self._last, number)

    def keep_wakes(self, wakes: dict[int, tuple[str, Wake]]) -> None:
        """One statement: each row still at the version the sweep read (`xmin`), and not held
        by another transaction (a writer about to save its own wake), gets its wake."""
        if not wakes:
            return
        from psycopg2.extras import execute_values

        self._flush()
        rows = [(number, version, w.at, w.key) for number, (version, w) in wakes.items()]
        execute_values(
            self._cur,
            "WITH v (number, version, due_at, due_key) AS (VALUES %s),"
            " free AS (SELECT c.number FROM cases c JOIN v ON c.number = v.number"
            " WHERE c.xmin::text = v.version FOR UPDATE OF c SKIP LOCKED)"
            " UPDATE cases SET due_at = v.due_at, due_key = v.due_key FROM v"
            " WHERE cases.number = v.number AND cases.number IN (SELECT number FROM free)",
            rows,
            template="(%s::bigint, %s, %s::timestamptz, %s)",
            page_size=1000,
        )
        self.wrote = True

    def find_external(self, team: str | None, external_id: str) -> int | None:
        self._check_active()
        self._flush()
        # Two opens of one id wait on this lock in turn; the second then sees the first's row.
        self._cur.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{team}\x1f{external_id}",)
        )
        self._cur.execute(
            "SELECT number FROM cases WHERE external_id = %s AND matrix IS NOT DISTINCT FROM %s",
            (external_id, team),
        )
        row = self._cur.fetchone()
        return int(row[0]) if row is not None else None

    def track(self, number: int, due_at: datetime | None) -> None:
        self._check_active()
        self._cur.execute(
            "INSERT INTO tracked (number, due_at) VALUES (%s, %s)"
            " ON CONFLICT (number) DO UPDATE SET due_at = EXCLUDED.due_at",
            (number, due_at),
        )
        self.wrote = True

    def untrack(self, number: int) -> None:
        self._check_active()
        self._cur.execute("DELETE FROM tracked WHERE number = %s", (number,))
        self.wrote = True

    def cases(self, *, archived: bool = False) -> list[Case]:
        self._flush()
        where = "" if archived else " WHERE NOT archived"
        self._cur.execute(f"SELECT number, doc::text FROM cases{where} ORDER BY number")
        return _cases(self._where, self._cur.fetchall())

    def _lock_outbox(self) -> None:
        """The store's outbox lock, held until the transaction ends, taken before any outbox row.

        Locking the rows in `seq` order is not enough: numbers are drawn before commit, so a row
        of a lower `seq` can appear between two reads of one transaction (settling an entry reads
        twice: `prune`, then `settle`), which then locks it after rows of higher `seq`, and two
        settling sweeps deadlocked (the entry sent but its outcome lost, so sent again later).
        Every outbox read locks every row anyway, so this lock costs no concurrency."""
        if not self._outbox_locked:
            self._cur.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (_OUTBOX_LOCK,)
            )
            self._outbox_locked = True

    def outbox(self) -> list[dict[str, Any]]:
        """The entries, oldest first, locked until commit: a racing claimer waits, then sees
        them claimed."""
        self._lock_outbox()
        self._cur.execute("SELECT doc::text FROM outbox ORDER BY seq FOR UPDATE")
        return [_decode(row[0]) for row in self._cur.fetchall()]

    def put_outbox(self, entry: dict[str, Any]) -> None:
        self._check_active()
        self._lock_outbox()
        if not isinstance(entry.get("id"), str):
            raise ValueError(f"an outbox entry needs a string 'id', got {entry.get('id')!r}")
        self._cur.execute(
            "INSERT INTO outbox (id, status, doc) VALUES (%s, %s, %s) ON CONFLICT (id)"
            " DO UPDATE SET status = EXCLUDED.status, doc = EXCLUDED.doc",
            (entry["id"], str(entry.get("status", "")), dumps(entry).decode()),
        )
        self.wrote = True

    def drop_outbox(self, ids: Iterable[str]) -> None:
        self._check_active()
        wanted = list(ids)
        if wanted:
            self._lock_outbox()
            self._cur.execute("DELETE FROM outbox WHERE id = ANY(%s)", (wanted,))
            self.wrote = True

    def _finish(self) -> None:
        """Write the cases put, and the metadata if it changed (the numbers are saved as they
        are given)."""
        self._flush()
        self._active = False
        meta = {k: v for k, v in self.meta.items() if k not in ("last_number", "schema_version")}
        before = {
            k: v for k, v in self._meta_before.items() if k not in ("last_number", "schema_version")
        }
        last = self.meta.get("last_number")
        if meta != before or (type(last) is int and last > self._last):
            self._cur.execute(
                "UPDATE store_meta SET doc = %s, last_number = GREATEST(last_number, %s)"
                " WHERE id = 1",
                (dumps(meta).decode(), last if type(last) is int else 0),
            )
            self.wrote = True


class PgStore:
    """Cases, archive, outbox and metadata in a PostgreSQL database (schema: `MIGRATIONS`)."""

    def __init__(self, url: str, *, lock_timeout: float | None = None) -> None:
        self.url = url
        self._lock_timeout = lock_timeout
        self._conn: Any = None
        self._version: int | None = None
        self._in_transaction = False

    @property
    def location(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"PgStore({self.location!r})"

    def _failed(self, error: Exception) -> StoreError:
        text = " ".join(str(error).split())
        password = re.search(r"://[^:/@]*:([^@]*)@", self.url)
        if password and password[1]:
            text = text.replace(password[1], "...")
        return StoreError(f"{self.location}: {text}; the store was left untouched")

    def _connection(self) -> Any:
        if self._conn is None:
            driver = _driver()
            try:
                self._conn = driver.connect(self.url)
            except driver.Error as error:
                raise self._failed(error) from None
            self._conn.autocommit = True
        return self._conn

    def changes(self) -> PgChanges:
        """A change source for `escalate watch`: told of each write as it commits."""
        driver = _driver()
        try:
            return PgChanges(driver.connect(self.url))
        except driver.Error as error:
            raise self._failed(error) from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _schema_version(self, cur: Any) -> int:
        cur.execute("SELECT to_regclass('schema_version') IS NOT NULL")
        if not cur.fetchone()[0]:
            return 0
        cur.execute("SELECT max(version) FROM schema_version")
        return int(cur.fetchone()[0] or 0)

    def _ready(self, cur: Any) -> bool:
        """Whether the schema exists; a schema newer than this escalate is exit 6."""
        if self._version is None:
            self._version = self._schema_version(cur)
        if self._version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.location} was written by a newer escalate (schema version"
                f" {self._version}; this one reads up to {SCHEMA_VERSION}); upgrade escalate"
                " — the store was left untouched"
            )
        return self._version == SCHEMA_VERSION

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        driver = _driver()
        try:
            with self._connection().cursor() as cur:
                yield cur
        except driver.Error as error:
            raise self._failed(error) from None

    def exists(self) -> bool:
        with self._cursor() as cur:
            return self._schema_version(cur) > 0

    def prepare(self) -> None:
        """Create the schema, or run the migrations it has not had, under an advisory lock."""
        with self._cursor() as cur:
            if self._ready(cur):
                return
            cur.execute("BEGIN")
            try:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
                version = self._schema_version(cur)
                for step in range(version, SCHEMA_VERSION):
                    cur.execute(MIGRATIONS[step])
                    cur.execute("INSERT INTO schema_version (version) VALUES (%s)", (step + 1,))
                if 1 <= version < 2 <= SCHEMA_VERSION:
                    _fill_case_metrics(cur)
                if 1 <= version < 4 <= SCHEMA_VERSION:
                    _fill_search_words(cur)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            self._version = None
            self._ready(cur)

    def read_meta(self) -> dict[str, Any]:
        with self._cursor() as cur:
            if not self._ready(cur):
                return {}
            cur.execute("SELECT doc::text, last_number FROM store_meta WHERE id = 1")
            doc, last = cur.fetchone()
        meta = dict(_decode(doc))
        meta.update(last_number=int(last), schema_version=SCHEMA_VERSION)
        return meta

    def get(self, number: int) -> Case | None:
        if type(number) is not int or not 0 < number < 2**63:
            return None
        with self._cursor() as cur:
            if not self._ready(cur):
                return None
            cur.execute("SELECT doc::text FROM cases WHERE number = %s", (number,))
            row = cur.fetchone()
        return _case(self.location, number, row[0]) if row is not None else None

    def cases(self, *, archived: bool = False, history: bool = True) -> list[Case]:
        column = "doc" if history else "brief"
        where = "" if archived else " WHERE NOT archived"
        with self._cursor() as cur:
            if not self._ready(cur):
                return []
            cur.execute(f"SELECT number, {column}::text FROM cases{where} ORDER BY number")
            rows = cur.fetchall()
        return _cases(self.location, rows)

    def listing(
        self, *, archived: bool = False, history: bool = True, due: tuple[str, datetime]
    ) -> Listing:
        key, now = due
        settled = (
            "due_key = %(key)s AND (due_at IS NULL OR due_at > %(now)s) AND status <> 'on_hold'"
        )
        # Without history, a closed or settled case is read as its brief (the case's summary).
        column = "doc" if history else "CASE WHEN archived OR settled THEN brief ELSE doc END"
        where = "" if archived else " WHERE NOT archived"
        with self._cursor() as cur:
            if not self._ready(cur):
                return Listing([], {})
            cur.execute(
                f"SELECT number, ({column})::text, settled, due_at"
                f" FROM (SELECT *, NOT archived AND {settled} AS settled FROM cases{where}) AS c"
                " ORDER BY number",
                {"key": key, "now": now},
            )
            rows = cur.fetchall()
        cases = _cases(self.location, [(number, raw) for number, raw, _, _ in rows])
        wakes = {number: Wake(at, key) for number, _, is_settled, at in rows if is_settled}
        return Listing(cases, wakes)

    def metrics_sums(
        self, window: tuple[str, str] | None, team: str | None
    ) -> dict[str, Any] | None:
        """`escalate metrics` summed in SQL over `case_metrics` (see metrics.Summing): two scans
        of a narrow table instead of reading every case. None when a case in scope has no exact
        figures, or no usable created_at for a window: metrics then reads the cases."""
        groups = self._sums(window, team, None)
        return None if groups is None else groups.get(None) or _no_sums()

    def metrics_groups(
        self, window: tuple[str, str] | None, team: str | None, by: str
    ) -> dict[str, dict[str, Any]] | None:
        """The sums of `metrics_sums` for each value of a case column (`severity`, `owner`,
        `type`, `level`; "(none)" for none), for `metrics --by`; None as metrics_sums is."""
        if by not in _GROUPED:
            raise ValueError(f"metrics are not grouped by {by!r} in SQL")
        groups = self._sums(window, team, by)
        return None if groups is None else {str(key): sums for key, sums in groups.items()}

    def _sums(
        self, window: tuple[str, str] | None, team: str | None, by: str | None
    ) -> dict[str | None, dict[str, Any]] | None:
        scope, params = ["TRUE"], []
        if team is not None:
            scope.append("(m.matrix IS NULL OR m.matrix = %s)")
            params.append(team)
        dated = list(scope)
        if window is not None:
            scope.append("m.created_at BETWEEN %s::timestamptz AND %s::timestamptz")
            params += list(window)
        where = " AND ".join(scope)
        from escalate_cli.core.documents.breakdown import NONE_LABEL

        # A group is a case column, as breakdown.breakdown keys its groups: empty is "(none)".
        group = f"coalesce(nullif(c.{by}, ''), '{NONE_LABEL}')" if by else "NULL"
        joined = "JOIN cases c ON c.number = m.number" if by else ""
        with self._cursor() as cur:
            if not self._ready(cur):
                return None
            cur.execute("SELECT EXISTS (SELECT 1 FROM case_metrics WHERE NOT exact)")
            if cur.fetchone()[0]:
                return None
            if window is not None:
                undated = " AND ".join([*dated, "m.created_at IS NULL"])
                cur.execute(
                    f"SELECT EXISTS (SELECT 1 FROM case_metrics m WHERE {undated})",
                    params[: len(dated) - 1],
                )
                if cur.fetchone()[0]:
                    return None
            cur.execute(
                f"SELECT {group}, count(*), count(*) FILTER (WHERE active),"
                " count(*) FILTER (WHERE reopened), coalesce(sum(ack_s), 0), count(ack_s),"
                f" coalesce(sum(resolve_s), 0), count(resolve_s) FROM case_metrics m {joined}"
                f" WHERE {where} GROUP BY 1",
                params,
            )
            found: dict[str | None, dict[str, Any]] = {}
            for (
                key,
                cases,
                active,
                reopened,
                ack_sum,
                ack_n,
                resolve_sum,
                resolve_n,
            ) in cur.fetchall():
                found[key] = {
                    "cases": int(cases),
                    "open": int(active),
                    "reopened": int(reopened),
                    "ack_sum": float(ack_sum),
                    "ack_count": int(ack_n),
                    "resolve_sum": float(resolve_sum),
                    "resolve_count": int(resolve_n),
                    "breaches": {},
                    "by_level": {},
                    "by_path": {},
                }
            # One row per key of each count, first seen first (by case, then within the case).
            cur.execute(
                f"SELECT {group}, kind, key, count(*) FROM case_metrics m {joined}, LATERAL ("
                " SELECT 'breaches', k, o FROM unnest(m.breached) WITH ORDINALITY AS b(k, o)"
                " UNION ALL SELECT 'by_level', k, o"
                " FROM unnest(m.escalated_to) WITH ORDINALITY AS l(k, o)"
                " UNION ALL SELECT 'by_path', k, o"
                " FROM unnest(m.escalated_path) WITH ORDINALITY AS p(k, o)"
                f") AS u(kind, key, o) WHERE {where}"
                " GROUP BY 1, kind, key ORDER BY min(ARRAY[m.number, u.o])",
                params,
            )
            for key, kind, name, count in cur.fetchall():
                found[key][kind][name] = int(count)
        return found

    def tracked(self) -> dict[int, datetime | None]:
        with self._cursor() as cur:
            if not self._ready(cur):
                return {}
            cur.execute("SELECT number, due_at FROM tracked ORDER BY number")
            return {int(number): due_at for number, due_at in cur.fetchall()}

    def search(self, query: Query, *, archived: bool = False) -> list[Case]:
        """The cases whose words hold every term of the query (a prefix term as `word:*`), by
        full-text search on the GIN index, and those with no words indexed. A term the server's
        parser keeps no lexeme of drops out of the tsquery, never any case from the answer."""
        whole = " ".join(term.text for term in query.terms if not term.prefix)
        parts = ["plainto_tsquery('simple', %s)"]
        params = [whole]
        for term in query.terms:
            if term.prefix:  # a term holds word characters alone: no tsquery operator
                parts.append("to_tsquery('simple', %s)")
                params.append(f"{term.text}:*")
        scope = [] if archived else ["NOT archived"]
        with self._cursor() as cur:
            if not self._ready(cur):
                return []
            cur.execute(f"SELECT ({' && '.join(parts)})::text", params)
            wanted = cur.fetchone()[0]
            if wanted:
                scope.append("(search @@ %s::tsquery OR search_words IS NULL)")
            where = f" WHERE {' AND '.join(scope)}" if scope else ""
            cur.execute(
                f"SELECT number, doc::text FROM cases{where} ORDER BY number",
                [wanted] if wanted else [],
            )
            rows = cur.fetchall()
        return _cases(self.location, rows)

    def sweep_cases(self, now: datetime, key: str, team: str | None) -> SweepCases:
        """The active cases of the team due by `now` under `key`, and those not worked out
        under it (`stale`, with their row versions); `checked` counts every active one."""
        from escalate_cli.core.engine.timers import ACTIVE

        scope = "NOT archived AND status = ANY(%(active)s)"
        if team is not None:
            scope += " AND (matrix IS NULL OR matrix = %(team)s)"
        params = {"active": list(ACTIVE), "team": team, "key": key, "now": now}
        with self._cursor() as cur:
            if not self._ready(cur):
                return SweepCases(0, [], {})
            cur.execute(f"SELECT count(*) FROM cases WHERE {scope}", params)
            checked = int(cur.fetchone()[0])
            # `<` or `>` rather than `<>`: each is a range of the (due_key, due_at) index.
            cur.execute(
                f"SELECT number, doc::text, xmin::text, due_key IS DISTINCT FROM %(key)s"
                f" FROM cases WHERE {scope} AND (due_key = %(key)s AND due_at <= %(now)s"
                " OR due_key IS NULL OR due_key < %(key)s OR due_key > %(key)s)"
                " ORDER BY number",
                params,
            )
            rows = cur.fetchall()
        cases = _cases(self.location, [(number, raw) for number, raw, _, _ in rows])
        stale = {number: version for number, _, version, other in rows if other}
        return SweepCases(checked, cases, stale)

    def outbox(self) -> list[dict[str, Any]]:
        with self._cursor() as cur:
            if not self._ready(cur):
                return []
            cur.execute("SELECT doc::text FROM outbox ORDER BY seq")
            rows = cur.fetchall()
        return [_decode(row[0]) for row in rows]

    def _begin(self, cur: Any, millis: int, *, checked: bool) -> tuple[Any, Any] | None:
        """BEGIN, the lock timeout, the meta row and the schema's version, in one round trip:
        the meta row's doc and last number. (Checked on its own, the version took two more
        round trips before every command.) None, rolled back, when the schema is missing or
        not this escalate's, so that `prepare` creates or migrates it, or refuses a newer one;
        once `checked` by `prepare`, an error is raised as it is."""
        try:
            cur.execute(
                f"BEGIN; SET LOCAL lock_timeout = {millis};"
                " SELECT doc::text, last_number, (SELECT max(version) FROM schema_version)"
                " FROM store_meta WHERE id = 1"
            )
            row = cur.fetchone()
        except _driver().Error as error:
            if not self._conn.closed:
                cur.execute("ROLLBACK")
            # Class 42 (undefined_table, undefined_column): no schema yet, or another one.
            if checked or not str(getattr(error, "pgcode", None)).startswith("42"):
                raise
            self._version = None
            return None
        if row is not None and row[2] == SCHEMA_VERSION:
            self._version = SCHEMA_VERSION
            return row[0], row[1]
        cur.execute("ROLLBACK")
        self._version = None
        return None

    @contextmanager
    def transaction(self) -> Iterator[PgTransaction]:
        """One database transaction: committed on a clean exit, rolled back on an exception.
        The schema is created on first use, as the JSON store creates its file."""
        if self._in_transaction:
            raise RuntimeError(f"{self.location}: a transaction is already open in this thread")
        timeout = lock_timeout(self._lock_timeout)
        millis = max(int(timeout * 1000), 1) if timeout else 1
        driver = _driver()
        _load_for_writing()
        self._in_transaction = True
        try:
            with self._cursor() as cur:
                begun = self._begin(cur, millis, checked=False)
                if begun is None:
                    self.prepare()
                    begun = self._begin(cur, millis, checked=True)
                if begun is None:
                    raise StoreError(
                        f"{self.location}: its schema is not one this escalate can use"
                        " (store_meta or schema_version changed by hand?); it was left untouched"
                    )
                try:
                    doc, last = begun
                    meta = dict(_decode(doc))
                    meta.update(last_number=int(last), schema_version=SCHEMA_VERSION)
                    transaction = PgTransaction(cur, meta, int(last), self.location)
                    try:
                        yield transaction
                    except BaseException:
                        transaction._active = False
                        raise
                    transaction._finish()
                    # One round trip: watchers hear of it as the commit lands.
                    notify = f"SELECT pg_notify('{CHANNEL}', current_schema()); "
                    cur.execute((notify if transaction.wrote else "") + "COMMIT")
                except driver.Error as error:
                    if self._conn.closed:
                        raise
                    cur.execute("ROLLBACK")
                    if getattr(error, "pgcode", None) != "55P03":  # lock_not_available
                        raise
                    raise StoreError(
                        f"{self.location}: a case is locked by another escalate process"
                        f" (waited {timeout:g} s); try again"
                    ) from None
                except BaseException:
                    if not self._conn.closed:
                        cur.execute("ROLLBACK")
                    raise
        finally:
            self._in_transaction = False


def _load_for_writing() -> None:
    """Import what a write needs before its transaction begins. An `open` holds the store's
    number locked from taking it to commit, and every racing `open` waits for that: a module
    first imported in there (metrics' figures for the case's row, about 2 ms of CPU) is paid
    for by each of them, ten times over when 20 processes share 2 cores."""
    from escalate_cli.core.documents import metrics  # noqa: F401
