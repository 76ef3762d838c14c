"""The rows file beside the hot file (core/store/store_rows.py): `list` and a sweep read it
instead of the whole hot file, and only while it describes the hot file exactly. Whatever
happens to either file, what they read must be what the hot file itself says.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from escalate_cli import Session
from escalate_cli.core.engine.wake import matrix_key
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.store import store_file, store_rows
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_file import StoreFile
from escalate_cli.core.time.timing import to_iso
from tests.core.routing_helpers import mins as at


@pytest.fixture
def hot(tmp_path: Path, matrix_file: Path) -> Path:
    """A store of five cases in every state a survey tells apart: due later, acknowledged, on
    hold, escalated after a breach, and one written without a wake (as an older escalate
    left it)."""
    location = tmp_path / "store" / "cases.json"
    with Session(location, matrix_file, now=at(0), user="frontline") as work:
        numbers = [int(work.open(f"case {n}", severity="sev3").case["number"]) for n in range(5)]
        work.acknowledge(numbers[1])
        work.hold(numbers[2], "waiting for the customer", until=at(90))
    with Session(location, matrix_file, now=at(20), user="frontline") as work:
        work.sweep()  # the open ones escalate
    store = CaseStore(location)
    with store.transaction() as tx:
        case = tx.get(numbers[4])
        assert case is not None
        tx.put({**case, "title": "written without a wake"})
    return location


def survey_of_hot_file(
    path: Path, key: str, now: datetime, overdue_rows: bool = False
) -> dict[str, Any]:
    return vars(StoreFile.load(path)[0].survey(key, to_iso(now), False, overdue_rows))


def survey_of_rows(
    path: Path, key: str, now: datetime, overdue_rows: bool = False
) -> dict[str, Any] | None:
    found = store_rows.survey(path, key, to_iso(now), overdue_rows)
    return None if found is None else vars(found)


def listed(path: Path, matrix_file: Path, now: datetime) -> list[tuple[str, str, str | None]]:
    with Session(path, matrix_file, now=now, user="frontline") as work:
        found = work.cases(history=False)
    return [
        (case["title"], case["status"], to_iso(found.due[case["number"]].at))
        for case in found.cases
    ]


def test_each_write_leaves_rows_that_survey_as_the_hot_file_does(
    hot: Path, matrix_file: Path
) -> None:
    key = matrix_key(load_matrix(matrix_file))
    for now in (at(21), at(40), at(95), at(600)):
        for under, overdue_rows in itertools.product((key, "another matrix"), (False, True)):
            expected = survey_of_hot_file(hot, under, now, overdue_rows)
            assert survey_of_rows(hot, under, now, overdue_rows) == expected, (now, under)
    found = survey_of_hot_file(hot, key, at(21))
    assert found["stale"] and found["settled"] and len(found["cases"]) == 5  # all kinds there


def test_an_overdue_case_comes_as_its_row_for_a_list_and_whole_for_a_sweep(
    hot: Path, matrix_file: Path
) -> None:
    key = matrix_key(load_matrix(matrix_file))
    for_sweep = survey_of_rows(hot, key, at(600))
    for_list = survey_of_rows(hot, key, at(600), overdue_rows=True)
    assert for_sweep is not None and for_list is not None
    overdue = for_list["settled"].keys() - for_sweep["settled"].keys()
    assert overdue, "no case of the fixture is overdue at 600"
    for number in overdue:
        assert for_list["settled"][number] < to_iso(at(600))  # its wake has passed
        assert "timeline" in for_sweep["cases"][number]  # whole, for the sweep to act on
        assert "timeline" not in for_list["cases"][number]  # its row: all the list shows


def test_list_reads_the_rows_not_the_whole_hot_file(
    hot: Path, matrix_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = listed(hot, matrix_file, at(21))

    def whole(path: Path) -> Any:
        raise AssertionError(f"{path} was read whole")

    monkeypatch.setattr(StoreFile, "load", whole)
    assert listed(hot, matrix_file, at(21)) == expected


def cases_one_by_one(path: Path) -> list[Any]:
    store = CaseStore(path)
    return [store.get(number) for number in range(0, 8)]  # ESC-6 is archived, 0 and 7 none


def test_a_command_on_one_case_reads_its_line_alone(
    hot: Path, matrix_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(hot, matrix_file, now=at(22), user="frontline") as work:
        closed = work.open("closed at once", severity="sev3").case["number"]
        work.resolve(closed, "a duplicate")
        work.close(closed)
    expected = cases_one_by_one(hot)
    assert [case and case["number"] for case in expected] == [None, 1, 2, 3, 4, 5, 6, None]
    real = StoreFile.load

    def archive_only(path: Path) -> Any:
        assert path != hot, "the hot file was read whole"
        return real(path)

    monkeypatch.setattr(StoreFile, "load", archive_only)
    assert cases_one_by_one(hot) == expected


def _edit_in_place_keeping_size_and_times(path: Path) -> None:
    """What `touch -r` after an edit leaves: the same inode, size and modification time; only
    the change time, which nobody can set back, tells the file is not the one described."""
    before = path.stat()
    text = path.read_bytes()
    with path.open("r+b") as handle:  # the case's line; its row in `wakes` keeps the old title
        handle.write(text.replace(b'"title":"case 0"', b'"title":"case X"', 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def _restore_an_older_copy(path: Path) -> None:
    """A backup put back with its times (`cp -p`): another inode, an older content."""
    older = path.with_name("backup.json")
    shutil.copy2(path, older)
    store = CaseStore(path)
    with store.transaction() as tx:
        case = tx.get(1)
        assert case is not None
        tx.put({**case, "title": "renamed after the backup"})
    shutil.copy2(older, path)


@pytest.mark.parametrize("change", [_edit_in_place_keeping_size_and_times, _restore_an_older_copy])
def test_rows_are_not_believed_once_the_hot_file_is_another(
    hot: Path, matrix_file: Path, change: Callable[[Path], None]
) -> None:
    change(hot)
    assert survey_of_rows(hot, matrix_key(load_matrix(matrix_file)), at(21)) is None
    with pytest.raises(store_rows.Unusable):
        store_rows.case_line(hot, 1)
    titles = [title for title, _, _ in listed(hot, matrix_file, at(21))]
    title = "case X" if change is _edit_in_place_keeping_size_and_times else "case 0"
    assert titles[0] == title
    first = CaseStore(hot).get(1)
    assert first is not None and first["title"] == title


def test_a_write_after_an_edit_by_hand_does_not_vouch_for_the_edited_case(
    hot: Path, matrix_file: Path
) -> None:
    """The next write checks every wake entry again (its rows file describes another file), and
    the new rows say the edited case has none it can trust: it is read whole from then on."""
    _edit_in_place_keeping_size_and_times(hot)
    with Session(hot, matrix_file, now=at(22), user="frontline") as work:
        work.update(2, "still looking")  # another case: the edited one is written as it reads
    key = matrix_key(load_matrix(matrix_file))
    assert survey_of_rows(hot, key, at(23)) == survey_of_hot_file(hot, key, at(23))
    assert 1 in survey_of_hot_file(hot, key, at(23))["stale"]
    with Session(hot, matrix_file, now=at(24), user="frontline") as work:
        work.update(3, "and again")  # vouched for by the rows above, except the edited case
    assert listed(hot, matrix_file, at(25))[0][0] == "case X"
    assert survey_of_rows(hot, key, at(25)) == survey_of_hot_file(hot, key, at(25))


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-40])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xff not rows at all")


def _body_changed(path: Path) -> None:
    """A body that no longer matches the checksum its header gives."""
    path.write_bytes(path.read_bytes().replace(b'"case 1"', b'"case 9"', 1))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)  # opened blocking, a read would wait for a writer forever


@pytest.mark.parametrize(
    "damage", [_truncated, _garbage, _body_changed, _empty, _directory, _fifo, Path.unlink]
)
def test_a_damaged_or_missing_rows_file_is_read_around(
    hot: Path, matrix_file: Path, damage: Callable[[Path], None]
) -> None:
    expected, one_by_one = listed(hot, matrix_file, at(21)), cases_one_by_one(hot)
    damage(store_rows.rows_path(hot))
    assert survey_of_rows(hot, matrix_key(load_matrix(matrix_file)), at(21)) is None
    assert listed(hot, matrix_file, at(21)) == expected
    assert cases_one_by_one(hot) == one_by_one


def test_rows_that_cannot_be_written_leave_no_older_rows_behind(
    hot: Path, matrix_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if kwargs.get("prefix", "").startswith(".cases.json.rows"):
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    with Session(hot, matrix_file, now=at(22), user="frontline") as work:
        work.update(1, "still looking")  # the store is written; its rows cannot be
    assert not store_rows.rows_path(hot).exists()
    monkeypatch.undo()
    assert listed(hot, matrix_file, at(23))[0][0] == "case 0"


def test_a_rows_file_is_owner_only_and_its_temp_files_are_cleaned_up(
    hot: Path, matrix_file: Path
) -> None:
    rows = store_rows.rows_path(hot)
    assert rows.stat().st_mode & 0o777 == 0o600  # it holds titles and customers
    left = rows.with_name(".cases.json.rows.tmp-abcd1234")  # by a writer killed mid-write
    left.write_bytes(b"[")
    with Session(hot, matrix_file, now=at(22), user="frontline") as work:
        work.update(1, "still looking")
    assert not left.exists()


def test_rows_read_while_writers_race_always_describe_the_file_read(tmp_path: Path) -> None:
    """Two processes rewrite titles as fast as they can, moving every line after the one they
    change; whenever a reader takes the rows as describing the hot file it has open, every row
    must be the case at the place it names."""
    from tests.core.test_store import go, start_workers

    store = CaseStore(tmp_path / "cases.json", lock_timeout=60)
    workers = start_workers("retitle", store, count=150, processes=2)
    go_thread = threading.Thread(target=go, args=(workers,))
    go_thread.start()
    believed = 0
    while go_thread.is_alive() or believed == 0:
        try:
            handle = store_file.open_regular(store.path)
        except FileNotFoundError:
            continue
        with handle:
            try:
                listed = store_rows.listed_rows(store.path, store_file.identity(handle.fileno()))
            except (store_rows.Unusable, OSError, ValueError):
                continue  # between a write and its rows, or no rows yet
            for (number, offset, length), entry in listed:
                handle.seek(offset)
                case = orjson.loads(handle.read(length))
                assert case["number"] == number and entry["row"]["title"] == case["title"]
            believed += 1
    go_thread.join()
    assert all(worker.returncode == 0 for worker in workers)
    assert believed > 1
