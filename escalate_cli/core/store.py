"""The case store: open and closed cases in locked, atomically replaced, versioned JSON files."""

from __future__ import annotations

import gc
import importlib
import json
import math
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from escalate_cli.core.errors import StoreError, UsageError

try:  # optional: parses faster than json when installed
    _orjson: Any = importlib.import_module("orjson")
except ImportError:
    _orjson = None


def _add_outbox(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps the notifications waiting to be sent in an `outbox` table."""
    data.setdefault(_OUTBOX, {})
    return data


SCHEMA_VERSION = 2
# MIGRATIONS[i] turns the raw data of a version i+1 file into version i+2.
MIGRATIONS: list[Callable[[dict[str, Any]], dict[str, Any]]] = [_add_outbox]
DEFAULT_LOCK_TIMEOUT = 30.0
LOCK_TIMEOUT_ENV = "ESCALATE_LOCK_TIMEOUT"

_META, _CASES, _META_ID = "_meta", "cases", 1
_OUTBOX = "outbox"  # written to the hot file only, and only when it holds entries
_ADVICE = "it was left untouched — restore it from a backup or point --store elsewhere"
_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
_held = threading.local()  # stores this thread has locked: a nested transaction would deadlock


def _corrupt(path: Path, what: str) -> StoreError:
    return StoreError(f"{path} {what}; {_ADVICE}")


def _kind(value: Any) -> str:
    return "null" if value is None else _KINDS.get(type(value), "a number")


def _loads(raw: bytes) -> Any:
    """Parse JSON with the collector paused: a store is a million objects, none of them cyclic."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        if _orjson is not None:
            with suppress(_orjson.JSONDecodeError):
                return _orjson.loads(raw)
            # json reads what orjson refuses (lone surrogates) and words its errors with lines
        return json.loads(raw)
    finally:
        if len(raw) > 1 << 20:
            # Re-enabled, the collector would walk all these objects again, a few times per
            # command (measured: +100 to +400 ms on 10,000 cases). Frozen objects are still
            # freed by reference counting, and parsed JSON has no cycles to collect.
            gc.freeze()
        if enabled:
            gc.enable()


def _dumps(value: Any) -> bytes:
    if _orjson is not None:
        with suppress(TypeError):
            return bytes(_orjson.dumps(value))
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate from an undecodable argument: escape it
        return json.dumps(value, allow_nan=False, separators=(",", ":")).encode()


def _clone(value: Any) -> Any:
    """A deep copy of JSON data: a round trip through the C codec beats copy.deepcopy."""
    return _loads(_dumps(value))


def _identity(path: Path | int) -> tuple[int, ...]:
    # Every write replaces the file, so a changed inode, size or mtime means new content.
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _read_file(path: Path) -> tuple[Any, tuple[int, ...]] | None:
    """Parse one store file; None when it does not exist. Never changes the file."""
    try:
        with open(path, "rb") as handle:
            identity, raw = _identity(handle.fileno()), handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise _corrupt(path, "is a directory, not a store file") from None
    except OSError as error:
        raise _corrupt(path, f"cannot be read ({error.strerror or error})") from None
    if not raw:
        raise _corrupt(path, "is empty (0 bytes), not a case store")
    try:
        return _loads(raw), identity
    except UnicodeDecodeError:
        raise _corrupt(path, "is not valid JSON (it is not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise _corrupt(path, f"is not valid JSON (line {error.lineno})") from None
    except RecursionError:
        raise _corrupt(path, "is not a case store (it is nested too deeply)") from None


def _migrate(path: Path, data: Any) -> dict[str, Any]:
    """Bring data up to SCHEMA_VERSION in memory; the next write of the file persists it."""
    if not isinstance(data, dict):
        raise _corrupt(path, f"is not a case store (the top level is {_kind(data)}, not an object)")
    meta = data.get(_META)
    doc = meta.get(str(_META_ID)) if isinstance(meta, dict) else None
    version = doc.get("schema_version", 1) if isinstance(doc, dict) else 1
    if type(version) is not int or version < 1:
        raise _corrupt(path, f"has schema_version {version!r}; expected a whole number >= 1")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer escalate (schema version {version}; this one reads up"
            f" to {SCHEMA_VERSION}); upgrade escalate — the store was left untouched"
        )
    migrated: dict[str, Any] = data
    for migration in MIGRATIONS[version - 1 : SCHEMA_VERSION - 1]:
        migrated = migration(migrated)
    meta = migrated.setdefault(_META, {})
    if version != SCHEMA_VERSION and isinstance(meta, dict):  # else _check says what is wrong
        doc = meta.setdefault(str(_META_ID), {})
        if isinstance(doc, dict):
            doc["schema_version"] = SCHEMA_VERSION
    return migrated


def _check(path: Path, data: dict[str, Any]) -> int:
    """Check the layout of current-version data; return the highest case number seen."""
    for unexpected in sorted(set(data) - {_META, _CASES, _OUTBOX})[:1]:
        raise _corrupt(path, f'is not a case store (unexpected "{unexpected}" at the top)')
    for name in (_META, _CASES, _OUTBOX):
        table = data.setdefault(name, {})
        if not isinstance(table, dict):
            raise _corrupt(path, f'has a "{name}" that is {_kind(table)}, not an object')
        for key, doc in table.items():
            if not isinstance(doc, dict):
                raise _corrupt(path, f'has "{name}" entry "{key}" that is {_kind(doc)}')
    if set(data[_META]) - {str(_META_ID)}:
        raise _corrupt(path, f'has a "{_META}" table with entries other than "{_META_ID}"')
    for key, entry in data[_OUTBOX].items():
        if not key.isdigit() or not isinstance(entry.get("id"), str):
            raise _corrupt(path, f'has outbox entry "{key}" without a number key and a string id')
    last = data[_META].get(str(_META_ID), {}).get("last_number", 0)
    if type(last) is not int or last < 0:
        raise _corrupt(path, f"has last_number {last!r}; expected a whole number >= 0")
    for key, case in data[_CASES].items():
        number = case.get("number")
        if type(number) is not int or number < 1 or str(number) != key:
            raise _corrupt(path, f'has case "{key}" whose number is {number!r}')
        last = max(last, number)
    return last


def _load(path: Path) -> tuple[_StoreFile, tuple[int, ...] | None]:
    """The file, read, migrated and checked; an empty one when it does not exist yet."""
    read = _read_file(path)
    if read is None:
        return _StoreFile(path, None, 0), None
    data = _migrate(path, read[0])
    return _StoreFile(path, data, _check(path, data)), read[1]


class _MemoryStorage(Storage):
    """TinyDB storage over the dict parsed once per command; writes wait in memory for commit."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data


class _StoreFile:
    """One store file seen through TinyDB, with doc_id = case number."""

    def __init__(self, path: Path, data: dict[str, Any] | None, highest: int) -> None:
        self.path, self.existed, self.highest = path, data is not None, highest
        self.storage = _MemoryStorage(data if data is not None else {})
        db = TinyDB(storage=lambda: self.storage)
        self.cases: Table = db.table(_CASES, cache_size=0)
        self._meta: Table = db.table(_META, cache_size=0)
        self.outbox: Table = db.table(_OUTBOX, cache_size=0)

    def meta(self) -> dict[str, Any]:
        doc = self._meta.get(doc_id=_META_ID)
        return dict(_clone(doc)) if doc is not None else {}

    def set_meta(self, meta: dict[str, Any]) -> None:
        self._meta.remove(doc_ids=[_META_ID])
        self._meta.insert(Document(meta, doc_id=_META_ID))

    def has(self, number: int) -> bool:
        return self.cases.contains(doc_id=number)

    def replace(self, drop: Iterable[int], add: list[dict[str, Any]]) -> None:
        """Remove the numbers in drop, then file each case in add under its number."""
        gone = [n for n in set(drop) if self.has(n)]
        if gone:
            self.cases.remove(doc_ids=gone)
        if add:
            self.cases.insert_multiple(Document(case, doc_id=case["number"]) for case in add)

    def dump(self) -> bytes:
        """One line per document in number order: readable, and a change diffs as one line."""
        tables = []
        for name in (_META, _CASES, _OUTBOX):
            if name == _OUTBOX and not self.storage.data.get(name):
                continue
            docs = sorted((int(k), doc) for k, doc in self.storage.data.get(name, {}).items())
            body = b",".join(b'\n  "%d": %s' % (n, _dumps(doc)) for n, doc in docs)
            tables.append(b'"%s": {%s%s}' % (name.encode(), body, b"\n" if docs else b""))
        return b"{\n" + b",\n".join(tables) + b"\n}\n"


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def _write_atomic(path: Path, payload: bytes) -> None:
    """Replace path with payload so a reader, or a crash, sees the old file or the new one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)  # mode 0600
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    if sys.platform != "win32":  # the rename is durable only once its directory is
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files of writers killed mid-write (they hold customer data); needs the lock."""
    pattern = re.compile(re.escape(f".{path.name}.tmp-") + r"[a-z0-9_]{8}")
    with suppress(OSError):
        for name in os.listdir(path.parent):
            if pattern.fullmatch(name):
                os.unlink(path.parent / name)


class _LockTimeout(TimeoutError):
    pass


@contextmanager
def _lock(lock_path: Path, timeout: float) -> Iterator[None]:
    """Sleep in flock(LOCK_EX), which the kernel ends the moment the lock frees, and let SIGALRM
    end it on timeout: polling with 50 ms sleeps starved waiters for 20-66 s with 20 processes."""
    if (  # SIGALRM needs the main thread, a timeout, and no timer of someone else's to clobber
        sys.platform == "win32"
        or timeout == 0
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] != 0
    ):
        from filelock import FileLock  # polls, but works in any thread and on Windows

        with FileLock(lock_path, timeout=timeout, mode=0o600):
            yield
        return
    import fcntl

    waiting = True

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if waiting:  # an alarm landing just after the flock returned is ignored
            raise _LockTimeout

    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            waiting = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        yield
    finally:
        os.close(fd)  # releases the flock


def _closed(case: dict[str, Any]) -> bool:
    return case.get("status") == "closed"


class Transaction:
    """Reads and writes inside CaseStore.transaction(); changes reach disk only on a clean exit."""

    def __init__(self, archive_path: Path, hot: _StoreFile, archive: _StoreFile | None) -> None:
        self._archive_path, self._hot, self._archive = archive_path, hot, archive
        self._pending: dict[int, dict[str, Any]] = {}
        # Numbers up to this were allocated before; higher ones cannot be in the archive.
        self._allocated = self._last = max(hot.highest, archive.highest if archive else 0)
        self._active = True
        self.meta: dict[str, Any] = hot.meta()
        self._meta_before = _clone(self.meta)
        self._outbox: dict[str, dict[str, Any]] | None = None  # by entry id, read on first use
        self._outbox_before: dict[str, dict[str, Any]] | None = None

    def _archive_file(self) -> _StoreFile:
        if self._archive is None:
            self._archive = _load(self._archive_path)[0]
            self._allocated = max(self._allocated, self._archive.highest)
            self._last = max(self._last, self._allocated)
        return self._archive

    def _check_active(self) -> None:
        if not self._active:
            raise RuntimeError("the transaction is over; open a new one")

    def next_number(self) -> int:
        """Allocate the next case number; numbers are never reused, even after archiving."""
        self._check_active()
        self._last += 1
        return self._last

    def get(self, number: int) -> dict[str, Any] | None:
        """The case as it stands in this transaction (a copy: change it through put)."""
        doc = self._pending.get(number) or self._hot.cases.get(doc_id=number)
        if doc is None:
            doc = self._archive_file().cases.get(doc_id=number)
        return dict(_clone(doc)) if doc is not None else None

    def put(self, case: dict[str, Any]) -> None:
        """Insert or replace the case by its number; a closed case goes to the archive."""
        self._check_active()
        number = case.get("number")
        if type(number) is not int or number < 1:
            raise ValueError(f"a case needs an integer 'number' >= 1, got {number!r}")
        owned: dict[str, Any] = _clone(case)  # later changes to the caller's dict stay out
        if _closed(owned) or (number <= self._allocated and not self._hot.has(number)):
            self._archive_file()  # the case goes there, or may be coming back from there
        self._pending[number] = owned
        self._last = max(self._last, number)

    def cases(self, *, archived: bool = False) -> list[dict[str, Any]]:
        """Cases not closed by number (copies); with archived=True the closed ones too."""
        merged: dict[int, dict[str, Any]] = {}
        if archived:
            merged.update((doc.doc_id, doc) for doc in self._archive_file().cases)
        merged.update((doc.doc_id, doc) for doc in self._hot.cases)  # the hot file wins
        for number, case in self._pending.items():
            if archived or not _closed(case):
                merged[number] = case
            else:
                merged.pop(number, None)
        return list(_clone([merged[n] for n in sorted(merged)]))

    def _outbox_entries(self) -> dict[str, dict[str, Any]]:
        if self._outbox is None:
            docs = sorted(self._hot.outbox, key=lambda doc: doc.doc_id)
            self._outbox = {doc["id"]: dict(_clone(doc)) for doc in docs}
            self._outbox_before = _clone(self._outbox)
        return self._outbox

    def outbox(self) -> list[dict[str, Any]]:
        """The outbox entries, oldest first (copies: change them through put_outbox)."""
        return list(_clone(list(self._outbox_entries().values())))

    def put_outbox(self, entry: dict[str, Any]) -> None:
        """Add an outbox entry, or replace the one with the same `id`."""
        self._check_active()
        if not isinstance(entry.get("id"), str):
            raise ValueError(f"an outbox entry needs a string 'id', got {entry.get('id')!r}")
        self._outbox_entries()[entry["id"]] = _clone(entry)

    def drop_outbox(self, ids: Iterable[str]) -> None:
        """Remove the outbox entries with these ids (unknown ids are ignored)."""
        self._check_active()
        entries = self._outbox_entries()
        for ident in ids:
            entries.pop(ident, None)

    def _finish(self) -> list[tuple[Path, bytes]]:
        """Apply the pending puts; return the files to write, in a crash-safe order."""
        self._active = False
        hot, archive = self._hot, self._archive
        to_hot = [c for c in self._pending.values() if not _closed(c)]
        to_archive = [c for c in self._pending.values() if _closed(c)]
        closing = [c["number"] for c in to_archive if hot.has(c["number"])]
        writes: list[tuple[Path, bytes]] = []
        if archive is not None:
            # A case in both files shows from the hot file, so an archived copy left by a crash
            # can go; a reopened case stays until the hot file that gains it is on disk.
            drop = [doc.doc_id for doc in hot.cases if archive.has(doc.doc_id)]
            drop += [c["number"] for c in (to_archive if closing else to_archive + to_hot)]
            if to_archive or any(archive.has(n) for n in drop):
                archive.replace(drop, to_archive)
                archive.set_meta({"schema_version": SCHEMA_VERSION})
                writes.append((archive.path, archive.dump()))
        meta = {**self.meta, "schema_version": SCHEMA_VERSION}
        meta["last_number"] = max(self._last, meta.get("last_number", 0))
        outbox_changed = self._outbox is not None and self._outbox != self._outbox_before
        if outbox_changed and self._outbox is not None:
            hot.outbox.truncate()
            hot.outbox.insert_multiple(
                Document(entry, doc_id=n) for n, entry in enumerate(self._outbox.values(), 1)
            )
        if to_hot or closing or not hot.existed or meta != self._meta_before or outbox_changed:
            hot.replace(closing + [c["number"] for c in to_hot], to_hot)
            hot.set_meta(meta)
            writes.append((hot.path, hot.dump()))
        # The file that gains a case goes first: if the second write never happens, the case is
        # in both files or still where it was, and never in neither.
        return writes if closing else writes[::-1]


class CaseStore:
    """Cases in two JSON files: the hot file (every case not closed) and the archive (closed)."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float | None = None) -> None:
        if lock_timeout is not None and not (math.isfinite(lock_timeout) and lock_timeout >= 0):
            raise ValueError(f"lock_timeout must be a finite number >= 0, got {lock_timeout!r}")
        self.path = Path(path)
        self.archive_path = self.path.with_name(f"{self.path.stem}.archive{self.path.suffix}")
        self.lock_path = self.path.with_name(f"{self.path.name}.lock")
        self._lock_timeout = lock_timeout
        self._cache: dict[Path, tuple[tuple[int, ...], _StoreFile]] = {}

    def exists(self) -> bool:
        return self.path.exists()

    def _snapshot(self, path: Path) -> _StoreFile | None:
        """The file as an earlier lock-free read parsed it, unless it has been replaced since."""
        cached = self._cache.pop(path, None)
        with suppress(OSError):
            if cached is not None and cached[0] == _identity(path):
                self._cache[path] = cached
                return cached[1]
        snapshot, identity = _load(path)
        if identity is None:
            return None
        self._cache[path] = (identity, snapshot)
        return snapshot

    def read_meta(self) -> dict[str, Any]:
        """The store's metadata, read without the lock; {} when the store does not exist yet."""
        hot = self._snapshot(self.path)
        return hot.meta() if hot is not None else {}

    def get(self, number: int) -> dict[str, Any] | None:
        """The case, read without the lock: the hot file first, then the archive."""
        for path in (self.path, self.archive_path):
            snapshot = self._snapshot(path)
            doc = snapshot.cases.get(doc_id=number) if snapshot is not None else None
            if doc is not None:
                return dict(_clone(doc))
        return None

    def cases(self, *, archived: bool = False) -> list[dict[str, Any]]:
        """Cases by number, read without the lock; archived=True adds the closed ones."""
        merged: dict[int, dict[str, Any]] = {}
        for path in (self.path, self.archive_path) if archived else (self.path,):
            snapshot = self._snapshot(path)
            if snapshot is not None:
                for doc in snapshot.cases:
                    merged.setdefault(doc.doc_id, dict(doc))  # the hot file comes first and wins
                # The documents now belong to the caller, so they must not be served again.
                del self._cache[path]
        return [merged[n] for n in sorted(merged)]

    def outbox(self) -> list[dict[str, Any]]:
        """The outbox entries, oldest first, read without the lock."""
        snapshot = self._snapshot(self.path)
        docs = sorted(snapshot.outbox, key=lambda doc: doc.doc_id) if snapshot else []
        return [dict(_clone(doc)) for doc in docs]

    def _timeout(self) -> float:
        if self._lock_timeout is not None:
            return self._lock_timeout
        raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
        if not re.fullmatch(r"(\d+(\.\d*)?|\.\d+)?", raw):
            raise UsageError(f"{LOCK_TIMEOUT_ENV}={raw!r}: expected a number of seconds, like 30")
        return float(raw) if raw else DEFAULT_LOCK_TIMEOUT

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Lock the store, read it, yield; on a clean exit write what changed, then unlock."""
        timeout, key = self._timeout(), str(self.lock_path.absolute())
        held: set[str] = _held.__dict__.setdefault("paths", set())
        if key in held:
            raise RuntimeError(f"{self.path}: a transaction is already open in this thread")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            lock = _lock(self.lock_path, timeout)
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
            self._commit(transaction._finish())
        finally:
            held.discard(key)
            lock.__exit__(None, None, None)

    def _begin(self) -> Transaction:
        hot = _load(self.path)[0]
        # The counter lives in the hot file: without it, the archive's numbers stay taken.
        gone = not hot.existed and self.archive_path.exists()
        return Transaction(self.archive_path, hot, _load(self.archive_path)[0] if gone else None)

    def _commit(self, writes: list[tuple[Path, bytes]]) -> None:
        if writes:
            _remove_stale_temps(self.path)
            _remove_stale_temps(self.archive_path)
        for path, payload in writes:
            try:
                _write_atomic(path, payload)
            except OSError as error:
                raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
