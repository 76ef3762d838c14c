"""The unit of work: a store, a matrix, a clock and a user; one change to one case in one
transaction with its outbox entries, delivered once that transaction is saved.

This is the Python API (`from escalate_cli import Session`) and what every CLI command that
changes a case calls. It prints nothing: a change returns the case and the delivery warnings.

    with Session("cases.json", "escalation.yaml", user="sam") as session:
        opened = session.open("Checkout fails for all EU customers", severity="sev1")
        session.acknowledge(opened.case["id"], note="looking at the payment logs")
        swept = session.sweep()

Everything is loaded on first use (the store opened, the matrix read), so that a session costs
nothing until it works. Imports stay inside the methods: `escalate open` pays only for what
it uses.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate_cli.core.values import Record, record

if TYPE_CHECKING:
    from escalate_cli.core.cases.agenda import Agenda
    from escalate_cli.core.cases.board import BoardRow
    from escalate_cli.core.cases.document import Case, OpenRequest
    from escalate_cli.core.cases.filters import CaseFilter
    from escalate_cli.core.cases.planning import NextView
    from escalate_cli.core.cases.search import Searched
    from escalate_cli.core.cases.watching import Watched
    from escalate_cli.core.documents.breakdown import Breakdown
    from escalate_cli.core.documents.metrics import Late, Metrics
    from escalate_cli.core.engine import NextDue
    from escalate_cli.core.io.intake import Imported, Row
    from escalate_cli.core.matrix.matrix_cache import Head
    from escalate_cli.core.matrix.matrix_coverage import CoverageWeek
    from escalate_cli.core.matrix.matrix_diff import MatrixDiff
    from escalate_cli.core.matrix.model import Matrix
    from escalate_cli.core.notify.outbox import Delivered, Dispatch
    from escalate_cli.core.store.store_base import Store, StoreTransaction

Location = str | os.PathLike[str]


class _RolledBack(Exception):
    """Leaves a transaction without saving it (an import's dry run)."""


Change = Callable[["Matrix", "Case", datetime], Any]


@record
class Changed(Record):
    """What one change did: the case as saved, the matrix and the instant it was changed at,
    what the change said besides (brainstorm's advice, up's escalation, ...), and one line for
    each delivery problem (empty when delivery is deferred, see `Session.deliver`)."""

    case: Case
    matrix: Matrix
    now: datetime
    result: Any = None
    warnings: list[str] = field(default_factory=list)


@record
class Swept(Record):
    """What one sweep did: the report (`report["problems"]` lists the cases it could not
    route), and one line for each delivery problem."""

    report: dict[str, Any]
    matrix: Matrix
    now: datetime
    dry_run: bool
    warnings: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        """The report in the shape `sweep --json` prints (docs/scripting.md)."""
        from escalate_cli.core.sweeping import report_json

        return report_json(self.report)


@record
class NextOf(Record):
    """A case as it stands at `now`, and who is next for it (`escalate next`)."""

    case: Case
    matrix: Matrix
    now: datetime
    view: NextView


@record
class Briefed(Record):
    """A situation report: its data (`brief --json`), and the text people paste."""

    data: dict[str, Any]
    matrix: Matrix
    now: datetime

    def text(self, *, width: int | None) -> str:
        """The brief folded to `width` (None: one line per item), see brief_text."""
        from escalate_cli.core.documents.brief import brief_text

        return brief_text(self.matrix, self.data, self.now, width=width)


@record
class Reported(Record):
    """What `escalate report` documents: the case, the matrix (None, with `problem` saying
    why, when it no longer loads), and the instant."""

    case: Case
    matrix: Matrix | None
    now: datetime
    problem: str | None

    def markdown(self) -> str:
        from escalate_cli.core.documents.case_report import report_markdown

        return report_markdown(self.matrix, self.case, self.now)


@record
class OnCall(Record):
    """Who is reachable at each level at `at` (`escalate oncall`)."""

    at: datetime
    levels: list[dict[str, Any]]


@record
class Listed(Record):
    """The cases `escalate list` shows, as they stand now: `due` is when each is next due, by
    case number (left out when nothing is due, or when it was not asked for); `skipped` each
    stored case left out with the unusable time in it; `team` the matrix the cases were picked
    for (None: every team's); `unknown` when none match, the filters naming what the matrix
    has none of (filters.unknown_names)."""

    cases: list[Case]
    due: dict[int, NextDue]
    skipped: list[tuple[Case, str]]
    team: str | None
    unknown: list[str]


@record
class Board(Record):
    """The live board at `now` (`escalate watch --once`): one row per active case, whatever
    falls due first on top; a row's `problem` says why routing cannot run on its case."""

    rows: list[BoardRow]
    matrix: Matrix
    now: datetime


@record
class Outbox(Record):
    """The outbox entries of one status (`escalate outbox`); `no_channels` is True when there
    are none because the matrix has no channels (looked at only then)."""

    entries: list[dict[str, Any]]
    no_channels: bool = False


@record
class Initialized(Record):
    """What `escalate init` set up: the store's location, the matrix file (absolute) it now
    follows, that matrix validated, and its name (else the name of the file as it was given)."""

    store: str
    matrix_path: Path
    matrix: Matrix
    name: str


class Session:
    """The store and matrix a team works with, the clock, and who is acting.

    - `store`: a file path or a `postgresql://` URL (or an open Store); None means
      `$ESCALATE_STORE`, then the config's `store`, then the user data dir.
    - `matrix`: a YAML path (or a loaded Matrix); None means `$ESCALATE_MATRIX`, the config's
      `matrix`, the one `escalate init` recorded in the store, then `./escalation.yaml`.
    - `now`: a fixed instant, or a clock (a function) read once per call; None is the system
      clock.
    - `user`: the contact id acting (`--by`); `user_label` names where it came from in errors.
    - `notify`: False records notifications as `suppressed` and runs no hook (`--no-notify`).
    - `environ`: where delivery finds its secrets (and the store and matrix their defaults).
    - `defer_delivery`: keep what changes claimed until `deliver()` is called (the CLI prints
      first); by default each change delivers once its transaction is saved.
    """

    def __init__(
        self,
        store: Location | Store | None = None,
        matrix: Location | Matrix | None = None,
        *,
        now: datetime | Callable[[], datetime] | None = None,
        user: str | None = None,
        user_label: str = "user",
        notify: bool = True,
        environ: Mapping[str, str] | None = None,
        defer_delivery: bool = False,
    ) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.user = user
        self.user_label = user_label
        self.notify = notify
        self.defer_delivery = defer_delivery
        self._clock = now
        self._store_spec: Location | None = None
        self._store: Store | None = None
        self._owns_store = True
        if store is None or isinstance(store, str | os.PathLike):
            self._store_spec = store
        else:
            self._store, self._owns_store = store, False
        self._matrix_spec: Location | None = None
        self._matrix: Matrix | None = None
        self._matrix_given = False
        self._head: Head | None = None
        self._head_read = False
        if matrix is None or isinstance(matrix, str | os.PathLike):
            self._matrix_spec = matrix
        else:
            self._matrix, self._matrix_given = matrix, True
        self._dispatch: Dispatch | None = None
        self._last_now: datetime | None = None

    # -- what the session works with, loaded on first use ---------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            from escalate_cli.core.locations import store_path
            from escalate_cli.core.store.store_base import open_store

            spec = None if self._store_spec is None else os.fspath(self._store_spec)
            self._store = open_store(store_path(spec, self.environ))
        return self._store

    @property
    def now(self) -> datetime:
        """The instant a call made now works at: the fixed one, or the clock's reading."""
        clock = self._clock
        if clock is None:
            from escalate_cli.core.time.timing import system_now

            return system_now()
        return clock if isinstance(clock, datetime) else clock()

    def matrix_path(self) -> Path | None:
        """The matrix file (None for a Matrix given as such, or when none is found)."""
        if self._matrix_given:
            return None
        from escalate_cli.core.locations import matrix_path

        def recorded() -> str | None:
            return self.store.read_meta().get("matrix")

        spec = None if self._matrix_spec is None else os.fspath(self._matrix_spec)
        return matrix_path(spec, self.environ, Path.cwd(), recorded)

    def matrix(self) -> Matrix:
        if self._matrix is not None:
            return self._matrix
        from escalate_cli.core.errors import MatrixError, MatrixProblem
        from escalate_cli.core.matrix import matrix_cache

        path = self.matrix_path()
        if path is None:
            hint = "pass --matrix PATH, set ESCALATE_MATRIX, or run escalate init --matrix PATH"
            raise MatrixError([MatrixProblem("", None, "", f"no matrix found: {hint}")])
        self._matrix = matrix_cache.load(path)
        return self._matrix

    def team(self) -> str:
        """The name of this session's matrix: what its cases record as `matrix`. Taken from the
        matrix cache while nothing else of the matrix has been needed: `show` then never
        imports the matrix model."""
        from escalate_cli.core.cases.teams import named_team, team_name

        path = self.matrix_path()
        head = self._cached_head(path)
        if head is not None and path is not None:
            return named_team(head.name, path)
        return team_name(self.matrix(), path)

    def _cached_head(self, path: Path | None) -> Head | None:
        """What the matrix cache's entry tells of the matrix file at `path` (see
        matrix_cache.cached_head), read once; None once the matrix itself is loaded."""
        if self._matrix is not None or path is None:
            return None
        if not self._head_read:
            from escalate_cli.core.matrix import matrix_cache

            self._head, self._head_read = matrix_cache.cached_head(path), True
        return self._head

    def team_if_any(self) -> str | None:
        """The team, or None when there is no usable matrix (then every case is shown)."""
        from escalate_cli.core.errors import MatrixError

        try:
            return self.team()
        except MatrixError:
            return None

    def matrix_if_any(self) -> Matrix | None:
        """The matrix, or None when there is no usable one (for reads that can do without)."""
        from escalate_cli.core.errors import MatrixError

        try:
            return self.matrix()
        except MatrixError:
            return None

    def close_store(self) -> None:
        """Let go of the store this session opened (a database connection). `close` is the
        command that closes a case; leaving a `with Session(...)` block calls this."""
        if self._store is not None and self._owns_store:
            self._store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_store()

    # -- reads ------------------------------------------------------------------------------

    def case(self, ref: str | int) -> Case:
        """The case a reference names (`ESC-7`, `7`), as it stands now: a hold whose `until`
        has passed is over, although only the next write records it. A case of another team is
        refused; with no usable matrix every case is anyone's."""
        return self._as_of(self._stored(ref), None)

    def next(self, ref: str | int) -> NextOf:
        """Who to escalate the case to next, when, and why."""
        from escalate_cli.core.cases.planning import next_view

        matrix = self.matrix()
        stored = self._stored(ref)
        now = self.now
        case = self._as_of(stored, now)
        return NextOf(case, matrix, now, next_view(matrix, case, now))

    def who(self, ref: str | int) -> dict[str, Any]:
        """`escalate who`: the owner, the level and its contacts now, the participants."""
        from escalate_cli.core.cases.document import who

        case = self.case(ref)
        return who(self.matrix(), case, self.now)

    def brief(self, ref: str | int, *, ask: str | None = None) -> Briefed:
        """`escalate brief`: the situation report's data (`brief --json`); `text()` is what
        people paste."""
        from escalate_cli.core.documents import brief as documents

        if ask is not None and ask not in documents.ASKS:
            from escalate_cli.core.errors import UsageError

            raise UsageError(f'--ask "{ask}": use one of {", ".join(documents.ASKS)}')
        case = self.case(ref)
        matrix, now = self.matrix(), self.now
        return Briefed(documents.brief(matrix, case, now, ask), matrix, now)

    def report(self, ref: str | int) -> Reported:
        """`escalate report`: the case and, for the Markdown document, the matrix if it still
        loads (a report documents what the case recorded; names then show as bare ids)."""
        from escalate_cli.core.errors import MatrixError

        case = self.case(ref)
        try:
            matrix: Matrix | None = self.matrix()
            problem = None
        except MatrixError as error:
            matrix, problem = None, str(error)
        return Reported(case, matrix, self.now, problem)

    def simulate(
        self, *, severity: str | None = None, type: str | None = None, tier: str | None = None
    ) -> list[dict[str, Any]]:
        """`escalate simulate`: the timeline a new case would follow if nobody acted."""
        from escalate_cli.core.cases.document import OpenRequest
        from escalate_cli.core.cases.planning import simulate

        request = OpenRequest("simulated case", severity, type, tier=tier)
        return simulate(self.matrix(), request, self.now)

    def oncall(self, *, at: datetime | None = None, level: str | None = None) -> OnCall:
        """`escalate oncall`: who is reachable at each level (or `level`) at `at` (now)."""
        from escalate_cli.core.cases.oncall import oncall

        moment = self.now if at is None else at
        return OnCall(moment, oncall(self.matrix(), moment, level))

    def _stored(self, ref: str | int) -> Case:
        from escalate_cli.core.cases.document import matches_ref, parse_case_ref
        from escalate_cli.core.cases.teams import require_team

        ref = str(ref)
        _, number = parse_case_ref(ref)
        case = matches_ref(self.store.get(number), ref)
        self._refuse_unusable(case)
        require_team(case, self.team_if_any())  # read-only: a case with no matrix is anyone's
        return case

    def _as_of(self, case: Case, now: datetime | None) -> Case:
        if case.get("status") != "on_hold":
            return case  # spares `show` and `list` the import
        from escalate_cli.core.cases.lifecycle import as_of

        return as_of(case, self.now if now is None else now)

    def cases(
        self,
        *,
        status: str = "active",
        owner: str | None = None,
        level: str | None = None,
        type: str | None = None,
        severity: str | None = None,
        overdue: bool = False,
        all_matrices: bool = False,
        due: bool = True,
        customer: str | None = None,
        tier: str | None = None,
        tags: Iterable[str] = (),
        breached: bool = False,
        participant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        sort: str | None = None,
        limit: int | None = None,
        history: bool = True,
    ) -> Listed:
        """`escalate list`: the cases of this team (of every team with `all_matrices`, or when
        there is no usable matrix) that match; `status` is `active` (open, acknowledged,
        on_hold), one status, or `all`; customer, tier and tags compare case-insensitively,
        every tag must be there; `since`/`until` bound when a case was opened. `due` works out
        when each is next due; `overdue` keeps only those a sweep would act on now, and needs
        the matrix, as do `sort` `due` and `severity` (see listing.ordered). `limit` keeps the
        first that many. Without `history`, a case may come as no more than the table shows and
        the filters read (store_file.row)."""
        from escalate_cli.core.cases import listing
        from escalate_cli.core.cases.filters import CaseFilter
        from escalate_cli.core.errors import UsageError
        from escalate_cli.core.store.store_base import Listing

        if sort is not None and sort not in listing.SORTS:
            raise UsageError(f'--sort "{sort}": use one of {", ".join(listing.SORTS)}')
        if limit is not None and limit < 1:
            raise UsageError(f"--limit {limit}: give a number of cases, 1 or more")
        wanted = CaseFilter(
            status, owner, level, type, severity, customer, tier, tuple(tags), breached,
            participant, since, until,
        )  # fmt: skip
        now = self._clock_once()
        needs_due = overdue or sort == "due"
        key = self._listing_key(required=needs_due) if needs_due or due else None
        # After the key: the team is then the matrix's name, not read again.
        team = None if all_matrices else self.team_if_any()
        # A sort by the latest event reads the timeline; the table and the filters do not.
        history = history or sort == "updated"
        if key is None:
            read = Listing(self.store.cases(archived=wanted.needs_archive, history=history), {})
        else:
            read = self.store.listing(
                archived=wanted.needs_archive, history=history, due=(key, now())
            )
        kept, skipped = listing.usable(read.cases, read.wakes)
        found = listing.picked(kept, wanted, team, now)
        next_due = listing.next_due(self.matrix, found, self.team(), now, read.wakes) if key else {}
        if overdue:
            found = listing.overdue(found, next_due)
        ranks = self.matrix() if sort == "severity" else None
        found = listing.ordered(found, sort, next_due, ranks)[:limit]
        unknown = [] if found or team is None else self._unknown_names(wanted)
        return Listed(found, next_due, skipped, team, unknown)

    def _unknown_names(self, wanted: CaseFilter) -> list[str]:
        """filters.unknown_names under this session's matrix; none without a usable one."""
        from escalate_cli.core.cases.filters import unknown_names

        matrix = self.matrix_if_any()
        return [] if matrix is None else unknown_names(matrix, wanted)

    def search(
        self,
        text: str,
        *,
        status: str = "all",
        since: datetime | None = None,
        all_matrices: bool = False,
    ) -> Searched:
        """`escalate search`: the cases of this team (of every team with `all_matrices`, or
        when there is no usable matrix), open and closed, that hold every word of `text` in any
        field, case-insensitively (`word*` is a prefix), best match first; `status` as for
        `cases`, `since` bounds when a case was opened. See core/cases/search.py."""
        from escalate_cli.core.cases import listing, search
        from escalate_cli.core.cases.filters import CaseFilter

        query = search.parse_query(text)
        wanted = CaseFilter(status, since=since)
        candidates = self.store.search(query, archived=wanted.needs_archive)
        kept, skipped = listing.usable(candidates)
        team = None if all_matrices else self.team_if_any()
        found = listing.picked(kept, wanted, team, self._clock_once())
        return search.Searched(search.ranked(query, found), skipped, team)

    def _listing_key(self, *, required: bool) -> str | None:
        """The key of the matrix whose wakes a list reads (engine/wake.py), from the matrix
        cache's entry while nothing else of the matrix has been needed: a list whose cases all
        have such wakes then never imports the matrix model or zoneinfo (~4 ms). Without a
        usable matrix a list still shows, with no due times, unless they are `required`."""
        from escalate_cli.core.engine.wake import key_of, matrix_key
        from escalate_cli.core.errors import MatrixError

        try:
            head = self._cached_head(self.matrix_path())
            return key_of(head.digest) if head is not None else matrix_key(self.matrix())
        except MatrixError:
            if required:
                raise
            return None

    def _clock_once(self) -> Callable[[], datetime]:
        """The clock for one call, read at the first need only: a call that needs no time
        leaves a bad `--now` alone, as it always has."""
        read: list[datetime] = []

        def now() -> datetime:
            if not read:
                read.append(self.now)
            return read[0]

        return now

    def agenda(self, *, mine: bool = False, at: datetime | None = None) -> Agenda:
        """`escalate agenda`: open actions, due follow-ups, cases waiting for an
        acknowledgement and updates due by cadence, as of `at` (default now); with `mine`,
        only the session user's."""
        from escalate_cli.core.cases.agenda import agenda
        from escalate_cli.core.cases.listing import usable
        from escalate_cli.core.cases.teams import belongs

        matrix = self.matrix()
        if mine and self.user is None:
            from escalate_cli.core.errors import UsageError

            raise UsageError(
                "agenda --mine needs a user: --by, $ESCALATE_USER or escalate config set user ID"
            )
        self._require_user(matrix)
        when = self.now if at is None else at
        team = self.team()
        cases = self.store.cases()
        held = {case["number"] for case in cases}
        # Closed cases count only for their open dated items, which the store tracks.
        cases += [
            closed
            for number in self.store.tracked()
            if number not in held and (closed := self.store.get(number)) is not None
        ]
        kept, _ = usable(case for case in cases if belongs(case, team))
        mine_only = self.user if mine else None
        return agenda(matrix, [self._as_of(case, when) for case in kept], when, mine_only)

    def board(self) -> Board:
        """`escalate watch --once`: every active case of this team, whatever falls due first
        on top."""
        from escalate_cli.core.cases.board import board

        matrix = self.matrix()
        now = self.now
        return Board(board(matrix, self.store.cases(), now, self.team()), matrix, now)

    def watch(self) -> Watched:
        """`escalate watch`: the board's cases and matrix, read again when either changes.
        Use it in a `with` block; `poll()` says whether anything changed, `rows(now)` gives the
        board."""
        from escalate_cli.core.cases.watching import Watched

        return Watched(self, self.matrix())

    def coverage(
        self,
        start: date | datetime | None = None,
        *,
        weeks: int = 1,
        level: str | None = None,
        matrix_file: Location | None = None,
    ) -> list[CoverageWeek]:
        """`escalate matrix coverage`: week grids of how many people each level (or `level`)
        has available each hour, from the Monday of `start` (default: now) in the matrix's
        zone; `matrix_file` instead of the session's matrix. Reads no store."""
        from escalate_cli.core.errors import UsageError
        from escalate_cli.core.matrix.loader import load_matrix
        from escalate_cli.core.matrix.matrix_coverage import coverage

        if weeks < 1:
            raise UsageError(f"--weeks {weeks}: give a number of weeks, 1 or more")
        matrix = load_matrix(matrix_file) if matrix_file is not None else self.matrix()
        return coverage(matrix, self.now if start is None else start, weeks, level)

    def matrix_diff(self, old: str, new: str) -> MatrixDiff:
        """`escalate matrix diff`: what changed from `old` to `new` (each a file, or a git
        revision: `HEAD~1`, `main:escalation.yaml`), and each open case of this team whose
        `next` answer changes. A bare revision means the other side's file, else this
        session's matrix file, at that revision."""
        from escalate_cli.core.cases import listing
        from escalate_cli.core.cases.teams import belongs, team_name
        from escalate_cli.core.engine.timers import ACTIVE
        from escalate_cli.core.matrix import matrix_diff
        from escalate_cli.core.matrix.matrix_sources import load_side

        named = [Path(spec) for spec in (new, old) if Path(spec).is_file()]
        file_at_revision = named[0] if named else self.matrix_path()
        old_label, before = load_side(old, file_at_revision)
        new_label, after = load_side(new, file_at_revision)
        teams = {team_name(before, Path(old_label)), team_name(after, Path(new_label))}
        kept, _ = listing.usable(self.store.cases())
        open_cases = [
            case
            for case in kept
            if case.get("status") in ACTIVE and any(belongs(case, team) for team in teams)
        ]
        now = self.now
        return matrix_diff.MatrixDiff(
            old_label,
            new_label,
            matrix_diff.changes(before, after),
            matrix_diff.case_changes(before, after, open_cases, now),
        )

    def metrics(self, since: timedelta | None = None, *, all_matrices: bool = False) -> Metrics:
        """`escalate metrics`: the cases of this team (every team's with `all_matrices`, or
        when there is no usable matrix), only those opened within `since` before now when
        given; summed in SQL on PostgreSQL. A case past an SLA deadline counts as breached
        before a sweep records it (see `metrics.late_breaches`)."""
        from escalate_cli.core.documents.metrics import for_store
        from escalate_cli.core.errors import StoreError

        now = self.now
        team = None if all_matrices else self.team_if_any()
        matrix = self.matrix_if_any()
        try:
            return for_store(self.store, now, since, team, self._late_breaches(now, matrix))
        except ValueError as error:
            raise StoreError(f"{self.store.location}: {error}") from None

    def breakdown(
        self, kind: str, since: timedelta | None = None, *, all_matrices: bool = False
    ) -> Breakdown:
        """`escalate metrics --by KIND` (severity, owner, customer, path, level) or `--period
        KIND` (week, month): the metrics of each group or period, of the cases `metrics` takes;
        severities and levels in the matrix's order when there is a usable matrix."""
        from escalate_cli.core.documents.breakdown import BY, PERIODS, breakdown_for_store
        from escalate_cli.core.errors import StoreError, UsageError

        if kind not in BY + PERIODS:
            raise UsageError(f'"{kind}": use one of {", ".join(BY + PERIODS)}')
        now = self.now
        team = None if all_matrices else self.team_if_any()
        try:
            matrix = self.matrix_if_any()  # an unusable one is read once, not again for late
            late = self._late_breaches(now, matrix)
            return breakdown_for_store(self.store, now, since, team, kind, matrix, late)
        except ValueError as error:
            raise StoreError(f"{self.store.location}: {error}") from None

    def _late_breaches(self, now: datetime, matrix: Matrix | None) -> Late:
        """This team's cases past an SLA deadline that no command has recorded yet, judged by
        `matrix` (this session's); none without a usable one."""
        from escalate_cli.core.documents.metrics import late_breaches

        return {} if matrix is None else late_breaches(self.store, matrix, self.team(), now)

    def outbox(self, status: str = "unsent") -> Outbox:
        """`escalate outbox`: the entries of `status`: `unsent` (pending, failed, no_channel),
        one status, or `all`."""
        from escalate_cli.core.notify.outbox import select

        entries = select(self.store.outbox(), status)
        return Outbox(entries, no_channels=not entries and self._without_channels())

    def _without_channels(self) -> bool:
        try:
            return not self.matrix().channels
        except Exception:  # listing the outbox needs no matrix: this only explains an empty one
            return False

    # -- the store and the outbox: one transaction each, no case changed -----------------------

    def init(self) -> Initialized:
        """`escalate init`: create the store (or create or migrate its schema) and record the
        matrix file it follows, validated first. A Matrix given as such is no file to record:
        a UsageError, as when no matrix is found."""
        from escalate_cli.core.matrix.loader import load_matrix

        path = self.matrix_path()
        if path is None:
            from escalate_cli.core.errors import UsageError

            raise UsageError("init needs a matrix: escalate init --matrix PATH")
        matrix = load_matrix(path)
        store = self.store
        store.prepare()
        followed = path.resolve()
        with store.transaction() as tx:
            tx.meta["matrix"] = str(followed)
        return Initialized(store.location, followed, matrix, matrix.name or path.name)

    def drop_outbox(self, ids: Iterable[str]) -> list[str]:
        """`escalate outbox drop`: give up on the entries named, each of which must be in the
        outbox: removed in one transaction, never sent. The ids dropped."""
        dropped = list(ids)
        self._require_outbox(dropped, refuse=())  # one being sent now: its sender finds it gone
        with self.store.transaction() as tx:
            tx.drop_outbox(dropped)
        return dropped

    def _require_outbox(self, ids: Iterable[str], refuse: Collection[str]) -> None:
        """Each id names an outbox entry (exit 3) whose status is not in `refuse` (exit 5)."""
        from escalate_cli.core.errors import NotFoundError, RefusedError

        entries = {entry["id"]: entry for entry in self.store.outbox()}
        for ident in ids:
            if ident not in entries:
                raise NotFoundError(f"{ident} is not in the outbox (escalate outbox --status all)")
            if entries[ident]["status"] in refuse:
                raise RefusedError(f"{ident} is {entries[ident]['status']}: nothing to do")

    # -- changes: one case, one transaction each ----------------------------------------------

    def open(
        self,
        title: str,
        *,
        severity: str | None = None,
        type: str | None = None,
        customer: str | None = None,
        tier: str | None = None,
        description: str | None = None,
        owner: str | None = None,
        customer_contacts: Iterable[str] = (),
        external_id: str | None = None,
    ) -> Changed:
        """Open a case at its start level and notify that level; `customer_contacts` are the
        email addresses that hear `update --audience customer`. With an `external_id` this
        team has opened before, nothing is opened: `result` is "existing" and `case` that
        case (so that running an import twice opens nothing twice)."""
        from escalate_cli.core.cases.document import OpenRequest, check_external_id

        matrix = self.matrix()
        now = self.now
        self._require_user(matrix)
        request = OpenRequest(
            title,
            severity,
            type,
            customer,
            tier,
            description,
            owner,
            self.user,
            self.team(),
            customer_contacts=tuple(customer_contacts),
            external_id=None if external_id is None else check_external_id(external_id),
        )
        with self.store.transaction() as tx:
            opened, written = self._open_in(tx, matrix, request, now)
        return self._saved(opened, written)

    def _open_in(
        self, tx: StoreTransaction, matrix: Matrix, request: OpenRequest, now: datetime
    ) -> tuple[Changed, Dispatch | None]:
        """One open inside a transaction: the new case and its outbox entries, or the case
        already opened with the request's external id."""
        from escalate_cli.core.cases.document import case_id, new_case
        from escalate_cli.core.engine.wake import wake

        if request.external_id is not None:
            number = tx.find_external(request.matrix, request.external_id)
            existing = tx.get(number) if number is not None else None
            if existing is not None:
                return Changed(existing, matrix, now, "existing"), None
        # Built, and so checked, before it takes a number: a refused open leaves no gap, and
        # the number (locked until commit) waits for no import or work of new_case, which
        # every racing `open` would wait for in turn.
        case = new_case(matrix, 0, request, now)
        number = tx.next_number()
        case["number"] = number
        case["id"] = case_id(number, matrix.case_prefix)
        tx.put(case, wake(matrix, case))
        written = self._record(tx, matrix, case, list(range(len(case["timeline"]))), now)
        return Changed(case, matrix, now, "opened"), written

    def import_cases(self, rows: Iterable[Row], *, dry_run: bool = False) -> Imported:
        """`escalate import`: open a case for each row, a transaction for every BATCH rows
        (their notifications delivered after each); a row that cannot be opened is refused
        with why, and a row whose external id this team has opened opens nothing. With
        `dry_run`, the same report and nothing written."""
        from escalate_cli.core.io.intake import BATCH, Imported

        matrix = self.matrix()
        now = self.now
        self._require_user(matrix)
        team = self.team()
        report = Imported(dry_run=dry_run)
        pending = list(rows)
        for start in range(0, len(pending), BATCH):
            try:
                with self.store.transaction() as tx:
                    for row in pending[start : start + BATCH]:
                        self._import_row(tx, matrix, row, team, now, report)
                    if dry_run:
                        raise _RolledBack  # the batch's opens, and their numbers, go unsaved
            except _RolledBack:
                continue
            self._last_now = now
            if not self.defer_delivery:
                report.warnings += self.deliver()
        return report

    def _import_row(
        self,
        tx: StoreTransaction,
        matrix: Matrix,
        row: Row,
        team: str,
        now: datetime,
        report: Imported,
    ) -> None:
        from escalate_cli.core.errors import EscalateError
        from escalate_cli.core.io.intake import open_request

        if row.error is not None:
            report.refused.append({"row": row.number, "error": row.error})
            return
        try:
            request = open_request(row, self.user, team)
            done, written = self._open_in(tx, matrix, request, now)
        except EscalateError as error:
            report.refused.append({"row": row.number, "error": str(error)})
            return
        entry = {"row": row.number, "case": done.case["id"], "external_id": request.external_id}
        if done.result == "existing":
            report.existing.append(entry)
            return
        report.opened.append(entry)
        if written is not None and not report.dry_run:
            self._pending().absorb(written)

    def change(self, ref: str | int, change: Change, now: datetime | None = None) -> Changed:
        """Read, change and write one case, with the outbox entries of what the change added
        to its timeline; `change(matrix, case, now)` edits the case in place, and what it
        returns is the result's `result`. The matrix and the clock are read before the lock."""
        from escalate_cli.core.cases.document import (
            matches_ref,
            new_events,
            parse_case_ref,
            timeline_mark,
        )
        from escalate_cli.core.cases.reminders import keep as keep_tracked
        from escalate_cli.core.cases.teams import adopt, require_team
        from escalate_cli.core.engine.wake import wake

        matrix = self.matrix()
        if now is None:
            now = self.now
        self._require_user(matrix)
        ref = str(ref)
        _, number = parse_case_ref(ref)
        with self.store.transaction() as tx:
            case = matches_ref(tx.get(number), ref)
            self._refuse_unusable(case)
            team = self.team()
            require_team(case, team)  # another team's case is exit 5
            adopt(case, team)  # one from before cases recorded their matrix becomes ours
            mark = timeline_mark(case)
            result = change(matrix, case, now)
            tx.put(case, wake(matrix, case))
            keep_tracked(tx, case)  # a dated item added, done, or none left
            written = self._record(tx, matrix, case, new_events(case, mark), now)
        return self._saved(Changed(case, matrix, now, result), written)

    def acknowledge(self, case: str | int, *, note: str | None = None) -> Changed:
        """Step 1: the problem is seen and owned; stops the level's ack timer."""
        from escalate_cli.core.cases import lifecycle

        by = self.user
        return self.change(case, lambda m, c, now: lifecycle.acknowledge(m, c, now, by, note))

    def update(self, case: str | int, text: str, *, audience: str = "internal") -> Changed:
        """A status update, for the `customer` or `internal`; resets silent_for. `result` is
        who was told."""
        from escalate_cli.core.cases import lifecycle

        if audience not in ("internal", "customer"):
            from escalate_cli.core.errors import UsageError

            raise UsageError(f'audience "{audience}": use customer or internal')

        by = self.user
        return self.change(case, lambda m, c, now: lifecycle.update(m, c, now, text, audience, by))

    def resolve(self, case: str | int, summary: str) -> Changed:
        """Resolve a case: every timer stops."""
        from escalate_cli.core.cases import lifecycle

        by = self.user
        return self.change(case, lambda m, c, now: lifecycle.resolve(m, c, now, summary, by))

    def close(self, case: str | int, *, summary: str | None = None, force: bool = False) -> Changed:
        """Close a resolved case (one never resolved needs a `summary` or `force`)."""
        from escalate_cli.core.cases import lifecycle

        by = self.user
        return self.change(
            case,
            lambda m, c, now: lifecycle.close(m, c, now, by, summary=summary, force=force),
        )

    def reopen(self, case: str | int, reason: str) -> Changed:
        """Reopen a resolved or closed case at its level, with fresh level timers."""
        from escalate_cli.core.cases import lifecycle

        by = self.user
        return self.change(case, lambda m, c, now: lifecycle.reopen(m, c, now, reason, by))

    def subscribe(self, case: str | int, contact: str) -> Changed:
        """A contact id or an email address hears what the customer hears; `result` is False
        when they already did."""
        from escalate_cli.core.cases.subscribers import subscribe

        by = self.user
        return self.change(case, lambda m, c, now: subscribe(m, c, now, contact, by))

    def unsubscribe(self, case: str | int, contact: str) -> Changed:
        """A subscriber or customer contact hears no more of the case."""
        from escalate_cli.core.cases.subscribers import unsubscribe

        by = self.user
        return self.change(case, lambda m, c, now: unsubscribe(m, c, now, contact, by))

    def hold(self, case: str | int, reason: str, *, until: datetime | None = None) -> Changed:
        """Put a case on hold: no timer runs and no trigger fires until it resumes."""
        from escalate_cli.core.cases import lifecycle

        by = self.user
        return self.change(case, lambda m, c, now: lifecycle.hold(m, c, now, until, reason, by))

    def resume(self, case: str | int) -> Changed:
        """Resume a case on hold: its timers continue where they stopped."""
        from escalate_cli.core.cases import lifecycle

        by = self.user
        return self.change(case, lambda m, c, now: lifecycle.resume(m, c, now, by))

    def gather(
        self,
        case: str | int,
        *,
        facts: Iterable[str] = (),
        whys: Iterable[str] = (),
        attach: Iterable[str] = (),
    ) -> Changed:
        """Step 2: facts, the chain of "why?" answers, and files kept by path and sha256 (hashed
        before the store is locked)."""
        from escalate_cli.core.cases.attachments import attachment
        from escalate_cli.core.cases.steps import Gathered, gather

        by = self.user
        now = self.now
        files = [attachment(path, now, by) for path in attach]
        found = Gathered(list(facts), list(whys), files)
        return self.change(case, lambda m, c, at: gather(m, c, at, found, by), now)

    def assess(
        self,
        case: str | int,
        *,
        severity: str | None = None,
        impact: str | None = None,
        root_cause: str | None = None,
    ) -> Changed:
        """Step 3: impact, root cause and severity (a raise moves the case up)."""
        from escalate_cli.core.cases.steps import Assessment, assess

        by = self.user
        found = Assessment(severity, impact, root_cause)
        return self.change(case, lambda m, c, now: assess(m, c, now, found, by))

    def convene(
        self, case: str | int, *, owner: str | None = None, add: Iterable[str] = ()
    ) -> Changed:
        """Step 4: the people at the table (`CONTACT[:ROLE]`) and one clear owner."""
        from escalate_cli.core.cases.steps import convene

        by = self.user
        members = list(add)
        return self.change(case, lambda m, c, now: convene(m, c, now, owner, members, by))

    def brainstorm(
        self, case: str | int, *, options: Iterable[str] = (), choose: int | None = None
    ) -> Changed:
        """Step 5: options, then a choice (counting from 1). `result` is the advice given."""
        from escalate_cli.core.cases.steps import brainstorm

        by = self.user
        listed = list(options)
        return self.change(case, lambda m, c, now: brainstorm(m, c, now, listed, choose, by))

    def implement(
        self,
        case: str | int,
        *,
        action: str | None = None,
        kind: str = "fix",
        assignee: str | None = None,
        due: datetime | None = None,
        done: int | None = None,
    ) -> Changed:
        """Step 6: a corrective action (a `workaround` or a `fix`), or action `done` marked
        done."""
        from escalate_cli.core.cases.steps import ActionRequest, implement

        by = self.user
        request = ActionRequest(action, kind, assignee, due, done)
        return self.change(case, lambda m, c, now: implement(m, c, now, request, by))

    def learn(
        self,
        case: str | int,
        *,
        lessons: Iterable[str] = (),
        prevent: Iterable[str] = (),
        follow_up: datetime | None = None,
        follow_up_with: str | None = None,
        assignee: str | None = None,
        due: datetime | None = None,
        follow_up_done: int | None = None,
        prevent_done: int | None = None,
    ) -> Changed:
        """Step 7, after resolve: lessons, prevention (with an `assignee` and a `due` time,
        reminded when it falls due), and a follow-up check-in; or follow-up or prevention
        item N marked done."""
        from escalate_cli.core.cases.steps import Learning, learn

        by = self.user
        found = Learning(
            list(lessons),
            list(prevent),
            follow_up,
            follow_up_with,
            assignee,
            due,
            follow_up_done,
            prevent_done,
        )
        return self.change(case, lambda m, c, now: learn(m, c, now, found, by))

    def up(
        self,
        case: str | int,
        reason: str,
        *,
        to: str | None = None,
        agreed_by: str | None = None,
        transfer: bool = False,
        force: bool = False,
    ) -> Changed:
        """Escalate now: one level up the case's path, or `to` a higher level. `result` is the
        escalation recorded."""
        from escalate_cli.core.cases.escalation import UpRequest, escalate_up

        request = UpRequest(reason, to, agreed_by, transfer, force, self.user)
        return self.change(case, lambda m, c, now: escalate_up(m, c, request, now))

    # -- corrections (docs/working-cases.md) -------------------------------------------------------

    def edit(
        self,
        case: str | int,
        *,
        title: str | None = None,
        description: str | None = None,
        customer: str | None = None,
        tier: str | None = None,
        tag: Iterable[str] = (),
        untag: Iterable[str] = (),
    ) -> Changed:
        """Correct the title, description, customer, tier or tags. `result`: what changed, one
        line each (empty when nothing did)."""
        from escalate_cli.core.cases.corrections import Edit, edit

        by = self.user
        change = Edit(title, description, customer, tier, list(tag), list(untag))
        return self.change(case, lambda m, c, now: edit(m, c, now, change, by))

    def route(self, case: str | int, path: str, reason: str) -> Changed:
        """Move the case to another path by hand (timing rule 9). `result`: the escalation."""
        from escalate_cli.core.cases.corrections import route

        by = self.user
        return self.change(case, lambda m, c, now: route(m, c, now, path, reason, by))

    def down(self, case: str | int, reason: str, *, to: str | None = None) -> Changed:
        """Hand the case down its path (one level, or `to` a lower one). `result`: the level."""
        from escalate_cli.core.cases.corrections import down

        by = self.user
        return self.change(case, lambda m, c, now: down(m, c, now, to, reason, by))

    def assign(self, case: str | int, contact: str) -> Changed:
        """Make `contact` the owner."""
        from escalate_cli.core.cases.corrections import assign

        by = self.user
        return self.change(case, lambda m, c, now: assign(m, c, now, contact, by))

    def take(self, case: str | int) -> Changed:
        """Make the session's user the owner."""
        if self.user is None:
            from escalate_cli.core.errors import UsageError

            raise UsageError(
                "take needs a user: --by, $ESCALATE_USER or escalate config set user ID"
            )
        return self.assign(case, self.user)

    def note(self, case: str | int, text: str) -> Changed:
        """An internal note: resets nothing, tells nobody."""
        from escalate_cli.core.cases.corrections import note

        by = self.user
        return self.change(case, lambda m, c, now: note(c, now, text, by))

    def sweep(self, *, dry_run: bool = False) -> Swept:
        """Every active case of this team against its timers and triggers: what is due moves,
        each case in its own write with its notifications; then what the outbox has due for
        another try is claimed. With `dry_run`, the same report and nothing written."""
        from escalate_cli.core.sweeping import sweep_store

        matrix = self.matrix()
        now = self.now
        dispatch = None if dry_run else self._pending()
        report = sweep_store(
            self.store, matrix, now, dry_run=dry_run, dispatch=dispatch, team=self.team()
        )
        swept = Swept(report, matrix, now, dry_run)
        if dispatch is not None:
            from escalate_cli.core.notify.outbox import claim

            claim(self.store, now, dispatch, due_only=True)
            self._last_now = now
            if not self.defer_delivery:
                swept.warnings = self.deliver()
        return swept

    # -- delivery, after commit ----------------------------------------------------------------

    def deliver(self) -> list[str]:
        """Send what the changes so far claimed and run their hooks; one line for each thing
        that went wrong. Nothing here undoes a change that was saved."""
        dispatch = self._dispatch
        if dispatch is None or not (dispatch.claimed or dispatch.unrouted or dispatch.hooks):
            return []
        from escalate_cli.core.notify.outbox import finish

        now = self._last_now if self._last_now is not None else self.now
        try:
            source = self._matrix_source()
            _, lines = finish(self.store, self.matrix(), dispatch, now, self.environ, source)
        except Exception as error:  # the case change is saved: say what failed, never undo it
            lines = [f"delivery stopped: {type(error).__name__}: {error}"]
        self._dispatch = None
        return lines

    def retry(self, ids: Collection[str] | None = None) -> tuple[Delivered, list[str]]:
        """`escalate outbox retry`: send again now what is pending or failed (or only the
        entries named, each of which must be in the outbox and not sent, suppressed or without
        a channel), whatever `notify` says; the outcomes, and one line for each problem."""
        from escalate_cli.core.notify.outbox import Dispatch, claim, finish

        if ids:
            self._require_outbox(ids, refuse=("sent", "suppressed", "no_channel"))
        matrix = self.matrix()
        now = self.now
        dispatch = Dispatch(send=True)
        claim(self.store, now, dispatch, due_only=False, ids=ids)
        return finish(self.store, matrix, dispatch, now, self.environ, self._matrix_source())

    def _matrix_source(self) -> Path | None:
        """The matrix file, absolute: hooks and command channels run relative to its folder,
        and only from a file nobody else can write."""
        path = self.matrix_path()
        return path.absolute() if path else None

    def _pending(self) -> Dispatch:
        if self._dispatch is None:
            from escalate_cli.core.notify.outbox import Dispatch

            self._dispatch = Dispatch(send=self.notify)
        return self._dispatch

    def _record(
        self, tx: StoreTransaction, matrix: Matrix, case: Case, added: list[int], now: datetime
    ) -> Dispatch | None:
        """Inside a write: the case's new notifications into the outbox, claimed for sending.
        What it returns joins the session's dispatch only once the transaction is saved."""
        if not matrix.channels and not matrix.hooks.configured:
            return None  # nothing is ever sent or run: spare every change the imports
        from escalate_cli.core.notify.outbox import record

        fork = self._pending().fork()
        record(tx, matrix, [(case, added)], now, fork)
        return fork

    def _saved(self, changed: Changed, written: Dispatch | None) -> Changed:
        self._last_now = changed.now
        if written is not None:
            self._pending().absorb(written)
            if not self.defer_delivery:
                changed.warnings = self.deliver()
        return changed

    def _require_user(self, matrix: Matrix) -> None:
        """The user must be a contact of the matrix (exit 3), named by `user_label`."""
        if self.user is None:
            return
        from escalate_cli.core.cases.document import require_contact
        from escalate_cli.core.errors import NotFoundError

        try:
            require_contact(matrix, self.user)
        except NotFoundError as error:
            raise NotFoundError(f"{self.user_label}: {error}") from None

    def _refuse_unusable(self, case: Case) -> None:
        """Exit 6, naming the store and the field, when a stored time in the case is unusable
        (written by hand or by an older version): nothing is changed."""
        from escalate_cli.core.errors import StoreError
        from escalate_cli.core.time.timing import stored_time_problem

        problem = stored_time_problem(case)
        if problem is not None:
            raise StoreError(f"{case['id']} in {self.store.location}: {problem}; fix or remove it")
