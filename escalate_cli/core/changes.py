"""Change sources: how `escalate watch` learns that someone, anywhere, changed the store.

A source answers one question, cheaply and without blocking: has the store changed since I last
asked? The JSON store is replaced by an atomic rename on every write, so its file's identity
(device, inode, size, modification time) changes with every write; a poll of `os.stat` four times
a second finds it on every platform. A store that can tell its watchers itself (PostgreSQL's
LISTEN/NOTIFY) plugs in by having a `changes()` method that returns its own source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

Signature = tuple[int, int, int, int] | None


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
    """What changes whenever the file is written or replaced; None while it does not exist."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


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


def changes_for(store: Any) -> ChangeSource:
    """The change source for a store: its own (`store.changes()`) when it has one, else a watch
    on its file (`store.path`)."""
    own = getattr(store, "changes", None)
    if callable(own):
        source: ChangeSource = own()
        return source
    return FileChanges(Path(store.path))
