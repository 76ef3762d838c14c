"""Change sources: how `escalate watch` learns that someone, anywhere, changed the store.

A source answers one question, cheaply and without blocking: has the store changed since I last
asked? The JSON store is replaced by an atomic rename on every write, so its file's identity
(device, inode, size, modification and change times) changes with every write; a poll of
`os.stat` four times a second finds it on every platform. A store that can tell its watchers
itself (PostgreSQL's LISTEN/NOTIFY) plugs in by having a `changes()` method that returns its own
source; any other store is read again and compared, twice a second.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

Signature = tuple[int, ...] | None


class ChangeSource(Protocol):
    """Says whether the store may have changed since the last call."""

    def changed(self) -> bool:
        """True when the store may have changed since the last call (or since the source was
        made); never blocks for long. A false alarm costs one re-read, a miss a stale board."""
        ...

    def close(self) -> None:
        """Let go of whatever the source holds (a connection, a file)."""
        ...


def file_signature(path: Path) -> Signature:
    """What changes whenever the file is written or replaced (store_file.identity); None while
    it does not exist."""
    from escalate_cli.core.store.store_file import identity

    try:
        return identity(path)
    except OSError:
        return None


class FileChanges:
    """The JSON store's source: the hot file's identity, compared on every call. The archive
    needs no watching: a case reaches it only by a write to the hot file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = file_signature(path)

    def changed(self) -> bool:
        now = file_signature(self.path)
        if now == self._seen:
            return False
        self._seen = now
        return True

    def close(self) -> None:
        return None


class PolledChanges:
    """The source of last resort, for a store with neither a source of its own nor a file: read
    it (`read()`, say every case) at most every `every` seconds and compare with the last read."""

    def __init__(
        self,
        read: Callable[[], object],
        every: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read, self._every, self._clock = read, every, clock
        self._at = clock()
        self._seen = self._take()

    def _take(self) -> object:
        try:
            return self._read()
        except Exception as error:  # the board's own read says what is wrong
            return error

    def changed(self) -> bool:
        if self._clock() - self._at < self._every:
            return False
        self._at = self._clock()
        now = self._take()
        if isinstance(now, Exception) or now != self._seen:
            self._seen = now
            return True
        return False

    def close(self) -> None:
        return None


def changes_for(store: Any) -> ChangeSource:
    """The change source for a store: its own (`store.changes()`) when it has one, else a watch
    on its file (`store.path`, a path), else reading all its cases twice a second."""
    own = getattr(store, "changes", None)
    if callable(own):
        source: ChangeSource = own()
        return source
    path = getattr(store, "path", None)
    if isinstance(path, os.PathLike):
        return FileChanges(Path(path))
    return PolledChanges(store.cases)
