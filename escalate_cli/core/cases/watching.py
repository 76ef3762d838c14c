"""The live board's data, kept current: the cases and the matrix, each read again when its source
says it changed (`Session.watch`; `escalate watch` draws it)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from escalate_cli.core.cases.board import BoardRow
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.matrix.model import Matrix
    from escalate_cli.core.store.changes import ChangeSource, FileChanges
    from escalate_cli.core.store.store_base import Store


class Source(Protocol):
    """Where the board is read from: a `Session`."""

    @property
    def store(self) -> Store: ...

    def matrix_path(self) -> Path | None: ...

    def team(self) -> str: ...


class Watched:
    """The cases and the matrix the board shows. Entering starts watching their sources and
    reads the cases; leaving lets go of the store's source (a database connection). When a new
    read fails, the last good one stays and `trouble` says why, one line for the store and one
    for the matrix."""

    def __init__(self, source: Source, matrix: Matrix) -> None:
        self.source, self.matrix = source, matrix
        self.cases: list[Case] = []
        self.team: str | None = None
        self.trouble: dict[str, str] = {}
        self._store_changes: ChangeSource | None = None
        self._matrix_changes: FileChanges | None = None

    def __enter__(self) -> Watched:
        from escalate_cli.core.store.changes import FileChanges, changes_for

        store = self.source.store
        self._store_changes = changes_for(store)
        try:
            path = self.source.matrix_path()
            self._matrix_changes = FileChanges(path) if path else None
            self.cases = store.cases()
            self.team = self.source.team()
        except BaseException:
            self._store_changes.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._store_changes is not None:
            self._store_changes.close()

    def poll(self) -> bool:
        """Read again whatever changed; whether anything did."""
        from escalate_cli.core.cases.teams import team_name
        from escalate_cli.core.errors import EscalateError
        from escalate_cli.core.matrix import matrix_cache

        changed = False
        if self._store_changes is not None and self._store_changes.changed():
            changed = True
            try:
                self.cases = self.source.store.cases()
                self.trouble.pop("store", None)
            except EscalateError as error:
                self.trouble["store"] = f"store unreadable, showing the last good read: {error}"
        if self._matrix_changes is not None and self._matrix_changes.changed():
            changed = True
            try:
                self.matrix = matrix_cache.load(self._matrix_changes.path)
                self.team = team_name(self.matrix, self._matrix_changes.path)  # renamed, maybe
                self.trouble.pop("matrix", None)
            except EscalateError as error:
                self.trouble["matrix"] = f"matrix not reloaded, still the last good one: {error}"
        return changed

    def rows(self, now: datetime) -> list[BoardRow]:
        """The board at `now` from the last good reads (see `board.board`)."""
        from escalate_cli.core.cases.board import board

        return board(self.matrix, self.cases, now, self.team)
