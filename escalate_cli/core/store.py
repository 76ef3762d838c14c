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
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from escalate_cli.core.errors import StoreError, UsageError

try:  # optional: parses several times faster than json when installed
    _orjson: Any = importlib.import_module("orjson")
except ImportError:
    _orjson = None

SCHEMA_VERSION = 1
# MIGRATIONS[i] turns the raw data of a version i+1 file into version i+2.
MIGRATIONS: list[Callable[[dict[str, Any]], dict[str, Any]]] = []
DEFAULT_LOCK_TIMEOUT = 30.0
LOCK_TIMEOUT_ENV = "ESCALATE_LOCK_TIMEOUT"

_META, _CASES = "_meta", "cases"
_META_ID = 1
_ADVICE = "it was left untouched — restore it from a backup or point --store elsewhere"
_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
_held = threading.local()  # lock files this thread holds: a nested transaction would deadlock


def _kind(value: Any) -> str:
    return "null" if value is None else _KINDS.get(type(value), "a number")


def _corrupt(path: Path, what: str) -> StoreError:
    return StoreError(f"{path} {what}; {_ADVICE}")


def _loads(raw: bytes) -> Any:
    """Parse JSON with the collector paused: a store is millions of objects, none cyclic."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        if _orjson is not None:
            with suppress(_orjson.JSONDecodeError):
                return _orjson.loads(raw)
            # json reads what orjson refuses (lone surrogates) and words its errors with lines
        return json.loads(raw)
    finally:
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
    """A deep copy of JSON data; a round trip through the C codec beats copy.deepcopy."""
    return _loads(_dumps(value))


def _read_file(path: Path) -> tuple[Any, tuple[int, ...]] | None:
    """Parse one store file; None when it does not exist. Never changes the file."""
    try:
        with open(path, "rb") as handle:
            identity = _identity(os.fstat(handle.fileno()))
            raw = handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise _corrupt(path, "is a directory, not a store file") from None
    except PermissionError:
        raise _corrupt(path, "cannot be read (permission denied)") from None
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


def _identity(st: os.stat_result) -> tuple[int, ...]:
    # Every write replaces the file, so a changed inode, size or mtime means new content.
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _check_tables(path: Path, data: Any) -> dict[str, Any]:
    """The envelope: an object holding a "_meta" and a "cases" table of objects."""
    if not isinstance(data, dict):
        raise _corrupt(path, f"is not a case store (the top level is {_kind(data)}, not an object)")
    unknown = sorted(set(data) - {_META, _CASES})
    if unknown:
        raise _corrupt(path, f'is not a case store (unexpected key "{unknown[0]}" at the top)')
    for name in (_META, _CASES):
        table = data.setdefault(name, {})
        if not isinstance(table, dict):
            raise _corrupt(path, f'has a "{name}" that is {_kind(table)}, not an object')
        bad = next((k for k, doc in table.items() if not isinstance(doc, dict)), None)
        if bad is not None:
            raise _corrupt(path, f'has "{name}" entry "{bad}" that is {_kind(table[bad])}')
    if set(data[_META]) - {str(_META_ID)}:
        raise _corrupt(path, f'has a "{_META}" table with entries other than "{_META_ID}"')
    return data


def _version(path: Path, data: dict[str, Any]) -> int:
    version = data[_META].get(str(_META_ID), {}).get("schema_version", 1)
    if type(version) is not int or version < 1:
        raise _corrupt(path, f"has schema_version {version!r}; expected a whole number >= 1")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer escalate (schema version {version}; this one reads up"
            f" to {SCHEMA_VERSION}); upgrade escalate — the store was left untouched"
        )
    return version


def _migrate(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Bring the raw data up to SCHEMA_VERSION in memory; the next write persists it."""
    version = _version(path, data)
    if version == SCHEMA_VERSION:
        return data
    for migration in MIGRATIONS[version - 1 : SCHEMA_VERSION - 1]:
        data = _check_tables(path, migration(data))
    data[_META].setdefault(str(_META_ID), {})["schema_version"] = SCHEMA_VERSION
    return data


def _check_cases(path: Path, data: dict[str, Any]) -> int:
    """Every case is filed under its own number; returns the highest number (0 if none)."""
    meta = data[_META].get(str(_META_ID), {})
    last = meta.get("last_number", 0)
    if type(last) is not int or last < 0:
        raise _corrupt(path, f"has last_number {last!r}; expected a whole number >= 0")
    for key, case in data[_CASES].items():
        number = case.get("number")
        if type(number) is not int or number < 1 or str(number) != key:
            raise _corrupt(path, f'has case "{key}" whose number is {number!r}')
        last = max(last, number)
    return last


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

    def __init__(self, path: Path, loaded: tuple[dict[str, Any], int] | None) -> None:
        self.path = path
        self.existed = loaded is not None
        data, self.highest = loaded if loaded is not None else ({}, 0)
        self.db = TinyDB(data, storage=_MemoryStorage)
        self.cases: Table = self.db.table(_CASES, cache_size=0)
        self.meta_table: Table = self.db.table(_META, cache_size=0)

    def meta(self) -> dict[str, Any]:
        doc = self.meta_table.get(doc_id=_META_ID)
        return dict(_clone(doc)) if doc is not None else {}

    def set_meta(self, meta: dict[str, Any]) -> None:
        self.meta_table.remove(doc_ids=[_META_ID])
        self.meta_table.insert(Document(meta, doc_id=_META_ID))

    def has(self, number: int) -> bool:
        return self.cases.contains(doc_id=number)

    def documents(self) -> list[Document]:
        return self.cases.all()

    def replace(self, drop: Iterable[int], add: Iterable[dict[str, Any]]) -> None:
        """Remove the numbers in drop, then file each case in add under its number."""
        gone = [n for n in drop if self.has(n)]
        if gone:
            self.cases.remove(doc_ids=gone)
        docs = [Document(case, doc_id=case["number"]) for case in add]
        if docs:
            self.cases.insert_multiple(docs)

    def dump(self) -> bytes:
        """One line per document, in number order: readable, and a change diffs as one line."""
        storage = self.db.storage
        assert isinstance(storage, _MemoryStorage)
        tables = []
        for name in (_META, _CASES):
            table = storage.data.get(name, {})
            docs = sorted(((int(k), doc) for k, doc in table.items()), key=lambda item: item[0])
            body = b",".join(b'\n  "%d": %s' % (n, _dumps(doc)) for n, doc in docs)
            tables.append(b'"%s": {%s%s}' % (name.encode(), body, b"\n" if docs else b""))
        return b"{\n" + b",\n".join(tables) + b"\n}\n"


def _load(path: Path) -> tuple[tuple[dict[str, Any], int], tuple[int, ...]] | None:
    read = _read_file(path)
    if read is None:
        return None
    raw, identity = read
    data = _migrate(path, _check_tables(path, raw))
    return (data, _check_cases(path, data)), identity


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
    if sys.platform != "win32":  # the rename itself is durable only once the directory is
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files left by a writer killed mid-write; call only under the lock."""
    pattern = re.compile(re.escape(f".{path.name}.tmp-") + r"[a-z0-9_]{8}")
    with suppress(OSError):
        for name in os.listdir(path.parent):
            if pattern.fullmatch(name):
                with suppress(OSError):
                    os.unlink(path.parent / name)


class _LockTimeout(Exception):
    pass


@contextmanager
def _flock(lock_path: Path, timeout: float) -> Iterator[None]:
    """Block in flock(LOCK_EX), which wakes a waiter as soon as the lock frees; SIGALRM ends it."""
    import fcntl

    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if timeout == 0:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise _LockTimeout from None
        else:
            waiting = True

            def on_alarm(signum: int, frame: FrameType | None) -> None:
                if waiting:
                    raise _LockTimeout

            previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                waiting = False
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        yield
    finally:
        os.close(fd)  # releases the flock


@contextmanager
def _filelock(lock_path: Path, timeout: float) -> Iterator[None]:
    """Outside the main thread (no SIGALRM) or without fcntl: filelock's polling lock."""
    from filelock import FileLock, Timeout

    lock = FileLock(lock_path, timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise _LockTimeout from None
    try:
        yield
    finally:
        lock.release()


def _lock(lock_path: Path, timeout: float) -> AbstractContextManager[None]:
    alarm_free = sys.platform != "win32" and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    if alarm_free and threading.current_thread() is threading.main_thread():
        return _flock(lock_path, timeout)
    return _filelock(lock_path, timeout)


def _number(case: Any) -> int:
    number = case.get("number") if isinstance(case, dict) else None
    if type(number) is not int or number < 1:
        raise ValueError(f"a case needs an integer 'number' >= 1, got {number!r}")
    return number


def _closed(case: dict[str, Any]) -> bool:
    return case.get("status") == "closed"


class Transaction:
    """Reads and writes inside CaseStore.transaction(); changes reach disk only on a clean exit."""

    def __init__(self, store: CaseStore, hot: _StoreFile, archive: _StoreFile | None) -> None:
        self._store = store
        self._hot = hot
        self._archive = archive
        self._pending: dict[int, dict[str, Any]] = {}
        # Numbers above this were never allocated before, so cannot be in the archive.
        self._allocated = max(hot.highest, archive.highest if archive else 0)
        self._last = self._allocated
        self._active = True
        self.meta: dict[str, Any] = hot.meta()
        self._meta_before = _clone(self.meta)

    def _check_active(self) -> None:
        if not self._active:
            raise RuntimeError("the transaction is over; open a new one")

    def _archive_file(self) -> _StoreFile:
        if self._archive is None:
            self._archive = _StoreFile(
                self._store.archive_path, self._store._load_file(self._store.archive_path)
            )
            self._allocated = max(self._allocated, self._archive.highest)
            self._last = max(self._last, self._allocated)
        return self._archive

    def next_number(self) -> int:
        """Allocate the next case number; numbers are never reused, even after archiving."""
        self._check_active()
        self._last += 1
        return self._last

    def get(self, number: int) -> dict[str, Any] | None:
        """The case as it stands in this transaction (a copy: change it through put)."""
        self._check_active()
        if number in self._pending:
            return dict(_clone(self._pending[number]))
        doc = self._hot.cases.get(doc_id=number)
        if doc is None:
            doc = self._archive_file().cases.get(doc_id=number)
        return dict(_clone(doc)) if doc is not None else None

    def put(self, case: dict[str, Any]) -> None:
        """Insert or replace the case by its number; a closed case goes to the archive."""
        self._check_active()
        number = _number(case)
        owned: dict[str, Any] = _clone(case)  # later changes to the caller's dict stay out
        maybe_archived = number <= self._allocated and not self._hot.has(number)
        if _closed(owned) or maybe_archived:
            self._archive_file()
        self._pending[number] = owned
        self._last = max(self._last, number)

    def cases(self, *, archived: bool = False) -> list[dict[str, Any]]:
        """Open cases by number (copies); with archived=True the closed ones too."""
        self._check_active()
        merged: dict[int, dict[str, Any]] = {}
        if archived:
            merged.update((doc.doc_id, doc) for doc in self._archive_file().documents())
        merged.update((doc.doc_id, doc) for doc in self._hot.documents())  # hot wins
        for number, case in self._pending.items():
            if archived or not _closed(case):
                merged[number] = case
            else:
                merged.pop(number, None)
        return list(_clone([merged[n] for n in sorted(merged)]))

    def _finish(self) -> list[tuple[Path, bytes]]:
        """Apply the pending puts; return the files to write, in a crash-safe order."""
        self._active = False
        hot, archive = self._hot, self._archive
        to_hot = [c for c in self._pending.values() if not _closed(c)]
        to_archive = [c for c in self._pending.values() if _closed(c)]
        closing = [c["number"] for c in to_archive if hot.has(c["number"])]
        reopening = [c["number"] for c in to_hot if archive and archive.has(c["number"])]
        writes: list[tuple[Path, bytes]] = []
        if archive is not None:
            # A case in both files shows from the hot file, so copies made stale by an earlier
            # crash can go; reopened cases stay until the hot file that gains them is on disk.
            stale = [doc.doc_id for doc in hot.documents() if archive.has(doc.doc_id)]
            drop = stale + ([] if closing else reopening)
            if to_archive or drop:
                archive.replace(drop, to_archive)
                archive.set_meta({"schema_version": SCHEMA_VERSION})
                writes.append((archive.path, archive.dump()))
        meta = dict(self.meta)
        meta["schema_version"] = SCHEMA_VERSION
        meta["last_number"] = max(self._last, meta.get("last_number", 0))
        if to_hot or closing or not hot.existed or meta != self._meta_before:
            hot.replace(closing + [c["number"] for c in to_hot], to_hot)
            hot.set_meta(meta)
            writes.append((hot.path, hot.dump()))
        # The file that gains a case is written before the one that loses it.
        return writes if closing else writes[::-1]


class CaseStore:
    """Cases kept in two JSON files: the hot file (not closed) and the archive (closed)."""

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
        """The file as parsed by an earlier lock-free read, unless it has been replaced since."""
        try:
            identity = _identity(os.stat(path))
        except OSError:
            identity = ()
        cached = self._cache.get(path)
        if cached is not None and cached[0] == identity:
            return cached[1]
        self._cache.pop(path, None)
        loaded = _load(path)
        if loaded is None:
            return None
        snapshot = _StoreFile(path, loaded[0])
        self._cache[path] = (loaded[1], snapshot)
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
        for path in (self.archive_path, self.path) if archived else (self.path,):
            snapshot = self._snapshot(path)
            if snapshot is not None:
                merged.update((doc.doc_id, dict(doc)) for doc in snapshot.documents())
                # The documents now belong to the caller, so they must not be served again.
                self._cache.pop(path, None)
        return [merged[n] for n in sorted(merged)]

    def _timeout(self) -> float:
        if self._lock_timeout is not None:
            return self._lock_timeout
        raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_LOCK_TIMEOUT
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not (math.isfinite(value) and value >= 0):
            raise UsageError(f"{LOCK_TIMEOUT_ENV}={raw!r}: expected a number of seconds, like 30")
        return value

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Lock the store, read it, yield; on a clean exit write what changed, then unlock."""
        timeout = self._timeout()
        key = str(self.lock_path.absolute())
        held: set[str] | None = getattr(_held, "paths", None)
        if held is None:
            held = _held.paths = set()
        if key in held:
            raise RuntimeError(f"{self.path}: a transaction is already open in this thread")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise StoreError(f"cannot create {self.path.parent}: {error.strerror}") from None
        held.add(key)
        try:
            with ExitStack() as stack:
                self._acquire(stack, timeout)
                transaction = self._begin()
                try:
                    yield transaction
                except BaseException:
                    transaction._active = False  # an exception in the block writes nothing
                    raise
                self._commit(transaction._finish())
        finally:
            held.discard(key)

    def _acquire(self, stack: ExitStack, timeout: float) -> None:
        try:
            stack.enter_context(_lock(self.lock_path, timeout))
        except _LockTimeout:
            raise StoreError(
                f"{self.path} is locked by another escalate process (waited {timeout:g} s);"
                " try again"
            ) from None
        except OSError as error:
            raise StoreError(f"cannot lock {self.lock_path}: {error.strerror or error}") from None

    def _begin(self) -> Transaction:
        hot = _StoreFile(self.path, self._load_file(self.path))
        archive = None
        if not hot.existed and self.archive_path.exists():
            # Without the hot file the counter is gone: the archive's numbers stay taken.
            archive = _StoreFile(self.archive_path, self._load_file(self.archive_path))
        return Transaction(self, hot, archive)

    def _load_file(self, path: Path) -> tuple[dict[str, Any], int] | None:
        loaded = _load(path)
        return loaded[0] if loaded is not None else None

    def _commit(self, writes: list[tuple[Path, bytes]]) -> None:
        if writes:
            _remove_stale_temps(self.path)
            _remove_stale_temps(self.archive_path)
        for path, payload in writes:
            try:
                _write_atomic(path, payload)
            except OSError as error:
                raise StoreError(
                    f"cannot write {path}: {error.strerror or error}; it was left as it was"
                ) from None
