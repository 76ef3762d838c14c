"""The case store: open and closed cases in locked, atomically replaced, versioned JSON files."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from escalate_cli.core.errors import StoreError
from escalate_cli.core.store import store_file, store_rows
from escalate_cli.core.store.store_base import Listing, SweepCases, Wake, lock_timeout
from escalate_cli.core.store.store_file import StoreFile, clone, dumps, loads
from escalate_cli.core.store.store_lock import exclusive
from escalate_cli.core.time.timing import from_iso, to_iso

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.cases.search import Query

_held = threading.local()  # stores this thread has locked: a nested transaction would deadlock


TRACKED = "tracked"  # the metadata key of `track`: {"7": "2026-11-30T09:00:00Z", "9": null}


def _tracked_in(value: Any) -> dict[str, Any]:
    """The tracked cases as stored; anything but a mapping of numbers to times (edited by hand)
    counts as none: a sweep and `agenda` then miss reminders until the next write, never more."""
    if not isinstance(value, dict):
        return {}
    return {
        n: at
        for n, at in value.items()
        if isinstance(n, str) and store_file.is_number(n) and (at is None or _is_time(at))
    }


def _is_time(value: Any) -> bool:
    try:
        from_iso(value)
    except ValueError:
        return False
    return True


def _closed(case: Mapping[str, Any]) -> bool:
    return case.get("status") == "closed"


def _same_case(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Two copies of one case (say, before and after a reopen), not two cases that were given
    the same number: a case keeps its title and the moment it was opened."""
    return all(one.get(key) == other.get(key) for key in ("created_at", "title"))


def _named(case: Mapping[str, Any]) -> str:
    return f'{case.get("id")} "{case.get("title")}" (opened {case.get("created_at")})'


class Transaction:
    """Reads and writes inside CaseStore.transaction(); changes reach disk only on a clean exit."""

    def __init__(self, archive_path: Path, hot: StoreFile, archive: StoreFile | None) -> None:
        self._archive_path, self._hot, self._archive = archive_path, hot, archive
        self._pending: dict[int, tuple[bytes, bool]] = {}  # number -> (case text, closed)
        # number -> (row text, wake) of each case put that stays in the hot file
        self._indexed: dict[int, tuple[bytes, Wake | None]] = {}
        self._woken: dict[int, tuple[str, Wake]] = {}  # see keep_wakes
        # Numbers up to this were allocated before; higher ones cannot be in the archive.
        self._allocated = self._last = max(hot.highest, archive.highest if archive else 0)
        self._marked = archive is not None  # whether _allocated counts the archive's numbers
        self._active = True
        self.meta: dict[str, Any] = hot.meta()
        # Kept in the metadata document under TRACKED, but no business of the callers'.
        self._tracked: dict[str, Any] = _tracked_in(self.meta.pop(TRACKED, None))
        self._tracked_before = dict(self._tracked)
        self._meta_before = clone(self.meta)
        self._outbox: dict[str, dict[str, Any]] | None = None  # by entry id, read on first use
        self._externals: dict[tuple[Any, str], int] | None = None  # see find_external
        self._outbox_before: dict[str, dict[str, Any]] | None = None

    def _archive_file(self) -> StoreFile:
        if self._archive is None:
            self._archive = StoreFile.load(self._archive_path)[0]
            self._allocated = max(self._allocated, self._archive.highest)
            self._last = max(self._last, self._allocated)
            self._marked = True
        return self._archive

    def _count_archived(self) -> None:
        """Make _allocated cover the archive's numbers too: a hot file put back from an older
        backup has a lower mark. The archive's own mark is on its first lines, so the archive
        is read whole only when it has none (written by escalate 0.1, or by hand)."""
        if self._marked:
            return
        mark = store_file.read_mark(self._archive_path)
        if mark is None:
            self._archive_file()
            return
        self._allocated = max(self._allocated, mark)
        self._last = max(self._last, self._allocated)
        self._marked = True

    def _check_active(self) -> None:
        if not self._active:
            raise RuntimeError("the transaction is over; open a new one")

    def next_number(self) -> int:
        """Allocate the next case number; numbers are never reused, even after archiving."""
        self._check_active()
        self._count_archived()
        self._last += 1
        return self._last

    def claim(self, number: int) -> Case | None:
        """The case, as get: the whole store is locked, so no other transaction holds it."""
        return self.get(number)

    def get(self, number: int) -> Case | None:
        """The case as it stands in this transaction (a copy: change it through put)."""
        pending = self._pending.get(number)
        if pending is not None:
            return cast("Case", dict(loads(pending[0])))
        case = self._hot.case(number)
        found = case if case is not None else self._archive_file().case(number)
        return cast("Case | None", found)

    def put(self, case: Case, wake: Wake | None = None) -> None:
        """Insert or replace the case by its number; a closed case goes to the archive. A case
        in the hot file keeps its row and its wake beside it (see StoreFile.index)."""
        self._check_active()
        number = case.get("number")
        if type(number) is not int or number < 1:
            raise ValueError(f"a case needs an integer 'number' >= 1, got {number!r}")
        closed, in_hot = _closed(case), self._hot.has(number)
        if not in_hot and number > self._allocated:
            self._count_archived()  # a number no file knows, unless the hot file is older
        if closed or (number <= self._allocated and not in_hot):
            self._archive_file()  # the case goes there, or may be coming back from there
        self._hot.case(number)  # a damaged copy is reported, never silently replaced
        there = self._archive.case(number) if self._archive is not None else None
        if there is not None and (closed or not in_hot) and not _same_case(there, case):
            raise StoreError(
                f"cannot {'archive' if closed else 'store'} {_named(case)}: {self._archive_path}"
                f" holds a different case under its number, {_named(there)}; nothing was saved"
                " (was a store file restored from an older backup? move one of the two cases"
                " aside by hand)"
            )
        # Kept as text: later changes to the caller's dict stay out, and the write needs no more.
        self._pending[number] = (dumps(case), closed)
        if closed:
            self._indexed.pop(number, None)
        else:
            self._indexed[number] = (dumps(store_file.row(case)), wake)
        if self._externals is not None:
            self._index_external(number, case)
        self._last = max(self._last, number)

    def keep_wakes(self, wakes: dict[int, tuple[str, Wake]]) -> None:
        """Keep the wakes a sweep worked out (number -> (checksum of the case text it read,
        wake)), each only if the case is unchanged since and not put in this transaction."""
        self._check_active()
        self._woken.update(wakes)

    def _index(self, hot: StoreFile, to_hot: dict[int, bytes]) -> bool:
        """File the row and wake of each case put in the hot file, and the wakes a sweep
        kept; whether any of the latter applied (the file then needs writing)."""
        for number in to_hot:
            row, wake = self._indexed[number]
            hot.index(number, row, *_wake_fields(wake))
        woke = False
        for number, (version, wake) in self._woken.items():
            if number in self._pending or str(hot.checksum(number)) != version:
                continue
            case = hot.case(number)
            assert case is not None  # it has a checksum
            hot.index(number, dumps(store_file.row(case)), *_wake_fields(wake))
            woke = True
        return woke

    def find_external(self, team: str | None, external_id: str) -> int | None:
        """From an index of every case's external id built on first use (the whole store is
        locked, so it stays true for the transaction, with the cases put since)."""
        if self._externals is None:
            self._externals = {}
            for store_file in (self._archive_file(), self._hot):
                for number, case in store_file.briefs().items():
                    self._index_external(number, case)
            for text, _ in self._pending.values():
                pending = loads(text)
                self._index_external(pending["number"], pending)
        return self._externals.get((team, external_id))

    def _index_external(self, number: int, case: Mapping[str, Any]) -> None:
        assert self._externals is not None
        found = case.get("external_id")
        if isinstance(found, str):
            self._externals[(case.get("matrix"), found)] = number

    def track(self, number: int, due_at: datetime | None) -> None:
        self._check_active()
        self._tracked[str(number)] = to_iso(due_at) if due_at is not None else None

    def untrack(self, number: int) -> None:
        self._check_active()
        self._tracked.pop(str(number), None)

    def cases(self, *, archived: bool = False) -> list[Case]:
        """Cases not closed by number (copies); with archived=True the closed ones too."""
        merged: dict[int, dict[str, Any]] = {}
        if archived:
            merged.update(self._archive_file().cases())
        merged.update(self._hot.cases())  # the hot file wins
        for number, (text, closed) in self._pending.items():
            if archived or not closed:
                merged[number] = loads(text)
            else:
                merged.pop(number, None)
        return [cast("Case", merged[n]) for n in sorted(merged)]

    def _outbox_entries(self) -> dict[str, dict[str, Any]]:
        if self._outbox is None:
            self._outbox = {entry["id"]: entry for entry in self._hot.outbox()}
            self._outbox_before = clone(self._outbox)
        return self._outbox

    def outbox(self) -> list[dict[str, Any]]:
        """The outbox entries, oldest first (copies: change them through put_outbox)."""
        return list(clone(list(self._outbox_entries().values())))

    def put_outbox(self, entry: dict[str, Any]) -> None:
        """Add an outbox entry, or replace the one with the same `id`."""
        self._check_active()
        if not isinstance(entry.get("id"), str):
            raise ValueError(f"an outbox entry needs a string 'id', got {entry.get('id')!r}")
        self._outbox_entries()[entry["id"]] = clone(entry)

    def drop_outbox(self, ids: Iterable[str]) -> None:
        """Remove the outbox entries with these ids (unknown ids are ignored)."""
        self._check_active()
        entries = self._outbox_entries()
        for ident in ids:
            entries.pop(ident, None)

    def _copies(self, number: int, case: dict[str, Any] | None) -> bool:
        """Whether the archive holds a copy of this case under number."""
        there = self._archive.case(number) if self._archive is not None else None
        return there is not None and case is not None and _same_case(there, case)

    def _finish(self) -> tuple[list[tuple[Path, bytes]], store_rows.Rows | None]:
        """Apply the pending puts; return the files to write, in a crash-safe order, and the
        rows of the hot file when it is one of them (see store_rows)."""
        self._active = False
        hot, archive, version = self._hot, self._archive, store_file.SCHEMA_VERSION
        to_hot = {n: text for n, (text, closed) in self._pending.items() if not closed}
        to_archive = {n: text for n, (text, closed) in self._pending.items() if closed}
        closing = [n for n in to_archive if hot.has(n)]
        writes: list[tuple[Path, bytes]] = []
        if archive is not None:
            # A case in both files shows from the hot file, so an archived copy left by a crash
            # can go; a reopened case stays until the hot file that gains it is on disk.
            # A different case under the same number (left by an older escalate) is never dropped.
            drop = [n for n in hot.numbers() if archive.has(n) and self._copies(n, hot.case(n))]
            drop += to_archive
            if not closing:
                drop += [n for n, text in to_hot.items() if self._copies(n, loads(text))]
            unmarked = archive.existed and type(archive.meta().get("last_number")) is not int
            if to_archive or any(archive.has(n) for n in drop) or unmarked:
                archive.replace(drop, to_archive)
                archive.summarize()
                mark = max(self._last, archive.highest)
                archive.set_meta({"schema_version": version, "last_number": mark})
                writes.append((archive.path, archive.dump()))
        meta = {**self.meta, "schema_version": version}
        meta["last_number"] = max(self._last, meta.get("last_number", 0))
        if self._tracked:
            meta[TRACKED] = dict(sorted(self._tracked.items(), key=lambda pair: int(pair[0])))
        outbox_changed = self._outbox is not None and self._outbox != self._outbox_before
        if outbox_changed and self._outbox is not None:
            hot.set_outbox(self._outbox.values())
        meta_changed = meta != self._meta_before or self._tracked != self._tracked_before
        hot.replace(closing, to_hot)
        woke = self._index(hot, to_hot)
        rows = None
        if to_hot or closing or not hot.existed or meta_changed or outbox_changed or woke:
            hot.set_meta(meta)
            places: dict[int, tuple[int, int]] = {}
            writes.append((hot.path, hot.dump(places)))
            rows = store_rows.rows(hot, places)
        # The file that gains a case goes first: if the second write never happens, the case is
        # in both files or still where it was, and never in neither.
        return (writes if closing else writes[::-1]), rows


def _wake_fields(wake: Wake | None) -> tuple[str | None, str | None, str | None]:
    if wake is None:
        return None, None, None
    at, until = wake.at, wake.holds_until
    return (
        to_iso(at) if at is not None else None,
        wake.key,
        to_iso(until) if until is not None else None,
    )


def _target(path: Path) -> Path:
    """The file a path names once its symlinks are followed (as it is if they loop)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # reading it then says what is wrong
        return path


class CaseStore:
    """Cases in two JSON files: the hot file (every case not closed) and the archive (closed)."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float | None = None) -> None:
        if lock_timeout is not None and not (math.isfinite(lock_timeout) and lock_timeout >= 0):
            raise ValueError(f"lock_timeout must be a finite number >= 0, got {lock_timeout!r}")
        # A symlinked file stays a link: the lock, the reads and the atomic replace (its temp
        # file beside the target) act on the target, wherever the link is.
        self.path = _target(Path(path))
        if not self.path.name:  # the root folder: no file name to put the store, archive, lock
            raise StoreError(f"{path}: not a store file (give a file path such as cases.json)")
        archive = self.path.with_name(f"{self.path.stem}.archive{self.path.suffix}")
        self.archive_path = _target(archive)
        self.lock_path = self.path.with_name(f"{self.path.name}.lock")
        self._lock_timeout = lock_timeout
        self._cache: dict[Path, tuple[tuple[int, ...], StoreFile]] = {}

    @property
    def location(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def prepare(self) -> None:
        """Create the store file (and bring an older one up to date) if it needs it."""
        with self.transaction():
            pass

    def close(self) -> None:
        self._cache.clear()

    def _snapshot(self, path: Path) -> StoreFile | None:
        """The file as an earlier lock-free read found it, unless it has been replaced since."""
        cached = self._cache.pop(path, None)
        with suppress(OSError):
            if cached is not None and cached[0] == store_file.identity(path):
                self._cache[path] = cached
                return cached[1]
        snapshot, identity = StoreFile.load(path)
        if identity is None:
            return None
        self._cache[path] = (identity, snapshot)
        return snapshot

    def _meta(self) -> dict[str, Any]:
        """The hot file's metadata, read without the lock: from its first lines unless it is
        read already (or in a layout that must be read whole); {} when there is none yet."""
        if self.path not in self._cache:
            try:
                found = store_file.head_meta(self.path)
            except FileNotFoundError:
                return {}
            if found is not None:
                return found
        hot = self._snapshot(self.path)
        return hot.meta() if hot is not None else {}

    def read_meta(self) -> dict[str, Any]:
        """The store's metadata, read without the lock; {} when the store does not exist yet."""
        meta = self._meta()
        meta.pop(TRACKED, None)
        return meta

    def tracked(self) -> dict[int, datetime | None]:
        """The cases with open dated items, read without the lock."""
        found = _tracked_in(self._meta().get(TRACKED))
        return {int(n): from_iso(at) if at else None for n, at in found.items()}

    def get(self, number: int) -> Case | None:
        """The case, read without the lock: the hot file first, then the archive. From the hot
        file, its line alone when the rows file describes it (see store_rows): the other
        10,000 cases were most of what `show` of one of them cost."""
        paths: tuple[Path, ...] = (self.path, self.archive_path)
        if self.path not in self._cache:
            try:
                line = store_rows.case_line(self.path, number)
            except store_rows.Unusable:
                pass
            else:
                if line is not None:
                    return cast("Case", store_file.checked_case(self.path, number, line))
                paths = (self.archive_path,)
        for path in paths:
            snapshot = self._snapshot(path)
            case = snapshot.case(number) if snapshot is not None else None
            if case is not None:
                return cast("Case", case)
        return None

    def cases(self, *, archived: bool = False, history: bool = True) -> list[Case]:
        """Cases by number, read without the lock; archived=True adds the closed ones.
        history=False leaves out each case's timeline and steps, which makes reading the
        archive several times faster: it keeps a summary of each case for this."""
        merged: dict[int, dict[str, Any]] = {}
        for path in (self.path, self.archive_path) if archived else (self.path,):
            snapshot = self._snapshot(path)
            if snapshot is None:
                continue
            cases = snapshot.cases() if history else snapshot.briefs()
            for number, case in cases.items():
                merged.setdefault(number, case)  # the hot file comes first and wins
        return [cast("Case", merged[n]) for n in sorted(merged)]

    def search(self, query: Query, *, archived: bool = False) -> list[Case]:
        """The cases not closed (with archived=True, the closed ones too) that may hold every
        word of the query, read without the lock: each case's JSON text is screened as it
        lies in the file, and only those that pass are parsed (see Query.screen)."""
        found: list[dict[str, Any]] = []
        seen: set[int] = set()  # the hot file's cases win over archived copies
        for path in (self.path, self.archive_path) if archived else (self.path,):
            snapshot = self._snapshot(path)
            if snapshot is None:
                continue
            found += snapshot.screened(query.screen, seen)
            seen.update(snapshot.numbers())
        return sorted(cast("list[Case]", found), key=lambda case: int(case["number"]))

    def listing(
        self, *, archived: bool = False, history: bool = True, due: tuple[str, datetime]
    ) -> Listing:
        """Cases by number, read without the lock, as `cases` reads them, with the wake of each
        case that nothing acts on by `due`'s time under the matrix its key names (see
        StoreFile.survey): such a case may come without its history; every other comes whole."""
        key, now = due
        merged: dict[int, dict[str, Any]] = {}
        wakes: dict[int, Wake] = {}
        survey = self._survey(key, to_iso(now), history, overdue_rows=True)
        if survey is not None:
            merged.update(survey.cases)
            for number, at in survey.settled.items():
                try:
                    wakes[number] = Wake(from_iso(at) if at is not None else None, key)
                except ValueError:  # kept wrong by hand: work it out from the whole case
                    merged[number] = dict(self.get(number) or merged[number])
        archive = self._snapshot(self.archive_path) if archived else None
        if archive is not None:
            closed = archive.cases() if history else archive.briefs()
            for number, case in closed.items():
                merged.setdefault(number, case)  # the hot file comes first and wins
        return Listing([cast("Case", merged[n]) for n in sorted(merged)], wakes)

    def sweep_cases(self, now: datetime, key: str, team: str | None) -> SweepCases:
        """The active cases of the team that may be due by `now` under `key`, read without
        the lock, and those whose wake was not worked out under it (`stale`, with their text's
        checksum); `checked` counts every active one."""
        from escalate_cli.core.cases.teams import belongs
        from escalate_cli.core.engine.timers import ACTIVE

        survey = self._survey(key, to_iso(now), history=False, overdue_rows=False)
        if survey is None:
            return SweepCases(0, [], {})
        scope = [
            case
            for case in survey.cases.values()
            if case.get("status") in ACTIVE and belongs(case, team)
        ]
        due = [case for case in scope if case["number"] not in survey.settled]
        stale = {
            c["number"]: str(survey.stale[c["number"]]) for c in due if c["number"] in survey.stale
        }
        return SweepCases(len(scope), cast("list[Case]", due), stale)

    def _survey(
        self, key: str, now: str, history: bool, overdue_rows: bool
    ) -> store_file.Survey | None:
        """StoreFile.survey of the hot file, from its rows file when that describes it (see
        store_rows); None when there is no hot file."""
        found = None if history else store_rows.survey(self.path, key, now, overdue_rows)
        if found is not None:
            return found
        snapshot = self._snapshot(self.path)
        return snapshot.survey(key, now, history, overdue_rows) if snapshot is not None else None

    def outbox(self) -> list[dict[str, Any]]:
        """The outbox entries, oldest first, read without the lock."""
        snapshot = self._snapshot(self.path)
        return snapshot.outbox() if snapshot is not None else []

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Lock the store, read it, yield; on a clean exit write what changed, then unlock."""
        timeout, key = lock_timeout(self._lock_timeout), str(self.lock_path.absolute())
        held: set[str] = _held.__dict__.setdefault("paths", set())
        if key in held:
            raise RuntimeError(f"{self.path}: a transaction is already open in this thread")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = exclusive(self.lock_path, timeout)
            lock.__enter__()
        except TimeoutError:  # ours from SIGALRM, or filelock.Timeout
            raise StoreError(
                f"{self.path} is locked by another escalate process (waited {timeout:g} s);"
                " try again"
            ) from None
        except OSError as error:
            raise StoreError(f"cannot create or lock {self.lock_path}: {error.strerror}") from None
        held.add(key)
        try:
            transaction = self._begin()
            try:
                yield transaction
            except BaseException:
                transaction._active = False  # an exception in the block writes nothing
                raise
            self._commit(*transaction._finish())
        finally:
            held.discard(key)
            lock.__exit__(None, None, None)

    def _begin(self) -> Transaction:
        hot, seen = StoreFile.load(self.path)
        if seen is not None:
            store_rows.vouch(hot, seen)
        # The counter lives in the hot file: without it, the archive's numbers stay taken.
        gone = not hot.existed and self.archive_path.exists()
        archive = StoreFile.load(self.archive_path)[0] if gone else None
        return Transaction(self.archive_path, hot, archive)

    def _commit(self, writes: list[tuple[Path, bytes]], rows: store_rows.Rows | None) -> None:
        if writes:
            for path in (self.path, self.archive_path, store_rows.rows_path(self.path)):
                store_file.remove_stale_temps(path)
        for path, payload in writes:
            try:
                store_file.write_atomic(path, payload)
            except OSError as error:
                raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
        if rows is not None:
            store_rows.write(self.path, rows)
