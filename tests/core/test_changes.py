"""Change sources: the JSON store's file watch sees every write, by this process or another, and
a store with its own source (PostgreSQL's LISTEN/NOTIFY, later) is asked for it."""

from __future__ import annotations

import os
from pathlib import Path

from escalate_cli.core.store.changes import ChangeSource, FileChanges, PolledChanges, changes_for
from escalate_cli.core.store.json_store import CaseStore


def put(store: CaseStore, number: int, **fields: object) -> None:
    with store.transaction() as tx:
        tx.put({"number": number, "id": f"ESC-{number}", "status": "open", **fields})


def test_a_store_file_source_sees_each_write_once(tmp_path: Path) -> None:
    store = CaseStore(tmp_path / "cases.json")
    source = changes_for(store)
    assert isinstance(source, FileChanges)
    assert not source.changed()  # nothing yet: not even a file
    put(store, 1, title="a")
    assert source.changed()
    assert not source.changed()
    put(store, 1, title="a")  # the same bytes again: still a new file, renamed into place
    assert source.changed()
    put(store, 2, title="b")
    put(store, 3, title="c")  # two writes between two looks are one change
    assert source.changed() and not source.changed()
    source.close()


def test_a_file_rewritten_in_place_within_the_same_second_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text("{}")
    source = FileChanges(path)
    stamp = os.stat(path).st_mtime_ns
    path.write_text("{ }")
    os.utime(path, ns=(stamp, stamp))  # same modification time: the size tells
    assert source.changed()
    assert not source.changed()
    with path.open("r+") as handle:  # the same size, the modification time put back
        handle.write("{}\n")
    os.utime(path, ns=(stamp, stamp))
    assert source.changed()  # the change time tells: nobody can set it back
    path.unlink()
    assert source.changed()  # gone is a change too (the board shows it empty)
    assert not source.changed()


class Notified:
    """What a store that tells its watchers itself looks like to `changes_for`."""

    def __init__(self) -> None:
        self.closed = False
        self.pending = True

    def changed(self) -> bool:
        pending, self.pending = self.pending, False
        return pending

    def close(self) -> None:
        self.closed = True


class ListeningStore:
    def __init__(self) -> None:
        self.source = Notified()

    def changes(self) -> ChangeSource:
        return self.source


def test_a_store_with_its_own_source_is_watched_through_it() -> None:
    store = ListeningStore()
    source = changes_for(store)
    assert source is store.source
    assert source.changed() and not source.changed()
    source.close()
    assert store.source.closed


class PlainStore:
    """A store with no source of its own and no file: its cases, and a clock to poll by."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = [{"id": "ESC-1"}]
        self.broken = False
        self.reads = 0

    def cases(self) -> list[dict[str, object]]:
        self.reads += 1
        if self.broken:
            raise OSError("connection lost")
        return [dict(row) for row in self.rows]


def test_any_other_store_is_read_again_at_most_twice_a_second_and_compared() -> None:
    store, ticks = PlainStore(), [0.0]
    source = PolledChanges(store.cases, clock=lambda: ticks[0])
    assert isinstance(changes_for(PlainStore()), PolledChanges)
    store.rows.append({"id": "ESC-2"})
    ticks[0] = 0.4
    assert not source.changed() and store.reads == 1  # too soon to look
    ticks[0] = 0.5
    assert source.changed() and store.reads == 2
    ticks[0] = 1.0
    assert not source.changed()  # the same cases again
    store.broken = True
    ticks[0] = 1.5
    assert source.changed()  # a failed read is news: the board's own read says what failed
    source.close()
