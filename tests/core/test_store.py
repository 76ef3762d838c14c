"""Tests for the case store: API, atomic writes, locking, corruption, migrations, concurrency."""

from __future__ import annotations

import difflib
import fcntl
import gc
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from tinydb import TinyDB

from escalate_cli.core.errors import ExitCode, StoreError, UsageError
from escalate_cli.core.store import store_file
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_base import lock_timeout
from escalate_cli.core.store.store_file import SCHEMA_VERSION
from escalate_cli.core.time.timing import from_iso

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("store_worker.py")


def make_case(number: int, status: str = "open", **extra: Any) -> dict[str, Any]:
    return {"number": number, "id": f"ESC-{number}", "status": status, **extra}


def open_cases(store: CaseStore, count: int) -> list[int]:
    numbers = []
    with store.transaction() as tx:
        for _ in range(count):
            numbers.append(tx.next_number())
            tx.put(make_case(numbers[-1]))
    return numbers


def set_status(store: CaseStore, number: int, status: str) -> None:
    with store.transaction() as tx:
        case = tx.get(number)
        assert case is not None
        tx.put({**case, "status": status})


def transact(store: CaseStore) -> None:
    with store.transaction():
        pass


def numbers_in(path: Path) -> list[int]:
    return sorted(int(key) for key in json.loads(path.read_bytes())["cases"])


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore(tmp_path / "data" / "cases.json", lock_timeout=5)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the store writes, in order."""
    written: list[Path] = []
    real = store_file.write_atomic

    def spy(path: Path, payload: bytes) -> None:
        written.append(path)
        real(path, payload)

    monkeypatch.setattr(store_file, "write_atomic", spy)
    return written


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the store reads and parses, in order."""
    read: list[Path] = []
    real = store_file.read_file

    def spy(path: Path) -> Any:
        read.append(path)
        return real(path)

    monkeypatch.setattr(store_file, "read_file", spy)
    return read


@pytest.fixture
def held_lock(store: CaseStore) -> Iterator[None]:
    """Another holder of the store's lock (flock is per open file, so this fd competes)."""
    store.lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(store.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def lock_is_free(store: CaseStore) -> bool:
    fd = os.open(store.lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


# --- the API ---------------------------------------------------------------------------------


def test_paths(tmp_path: Path) -> None:
    s = CaseStore(str(tmp_path / "cases.json"))
    assert s.path == tmp_path / "cases.json"
    assert s.archive_path == tmp_path / "cases.archive.json"
    assert s.lock_path == tmp_path / "cases.json.lock"


def test_missing_store_reads_empty_and_creates_nothing(store: CaseStore) -> None:
    assert not store.exists()
    assert store.read_meta() == {}
    assert store.get(1) is None
    assert store.cases() == []
    assert store.cases(archived=True) == []
    assert not store.path.parent.exists()


def test_first_transaction_creates_store_and_parent(store: CaseStore) -> None:
    transact(store)
    assert store.exists()
    assert store.read_meta() == {"schema_version": SCHEMA_VERSION, "last_number": 0}
    assert not store.archive_path.exists()
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_put_get_and_order(store: CaseStore) -> None:
    with store.transaction() as tx:
        for number in (3, 1, 2):
            tx.put(make_case(number, title=f"t{number}"))
        assert tx.get(1) == make_case(1, title="t1")  # a put is visible in its transaction
        assert [c["number"] for c in tx.cases()] == [1, 2, 3]
    assert [c["number"] for c in store.cases()] == [1, 2, 3]
    assert store.get(2) == make_case(2, title="t2")
    assert store.get(4) is None
    with store.transaction() as tx:
        tx.put(make_case(2, title="replaced"))
    assert store.get(2) == make_case(2, title="replaced")


def test_numbers_are_sequential_and_never_reused(store: CaseStore) -> None:
    assert open_cases(store, 3) == [1, 2, 3]
    set_status(store, 3, "closed")  # the highest number leaves the hot file
    assert open_cases(store, 1) == [4]
    with store.transaction() as tx:
        tx.put(make_case(10))  # a number put directly is taken too
    assert open_cases(store, 1) == [11]


def test_numbers_continue_after_the_archive_when_the_hot_file_is_gone(store: CaseStore) -> None:
    open_cases(store, 2)
    set_status(store, 2, "closed")
    set_status(store, 1, "closed")
    store.path.unlink()
    assert open_cases(store, 1) == [3]


def test_meta_persists(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.meta["matrix"] = "/etc/escalate/support.yaml"
    assert store.read_meta()["matrix"] == "/etc/escalate/support.yaml"
    with store.transaction() as tx:
        assert tx.meta["matrix"] == "/etc/escalate/support.yaml"


def test_put_and_get_hand_over_copies(store: CaseStore) -> None:
    case = make_case(1, timeline=[{"kind": "opened"}])
    with store.transaction() as tx:
        tx.put(case)
        case["timeline"].append({"kind": "changed after put"})
        tx.put(make_case(2))
    assert store.get(1) == make_case(1, timeline=[{"kind": "opened"}])
    with store.transaction() as tx:
        got = tx.get(1)
        assert got is not None
        got["timeline"].append({"kind": "never put"})
        tx.put(make_case(3))  # the hot file is written, without the change above
    assert store.get(1) == make_case(1, timeline=[{"kind": "opened"}])
    lock_free = store.get(1)
    assert lock_free is not None
    lock_free["timeline"].clear()
    assert store.get(1) == make_case(1, timeline=[{"kind": "opened"}])


def test_put_rejects_a_case_without_a_number(store: CaseStore) -> None:
    with store.transaction() as tx:
        for bad in ({"id": "ESC-1"}, {"number": "1"}, {"number": 0}, {"number": True}):
            with pytest.raises(ValueError, match="number"):
                tx.put(bad)


def test_transaction_is_unusable_after_exit(store: CaseStore) -> None:
    with store.transaction() as tx:
        pass
    with pytest.raises(RuntimeError, match="over"):
        tx.next_number()
    with pytest.raises(RuntimeError, match="over"):
        tx.put(make_case(1))


def test_nested_transaction_is_refused_not_deadlocked(store: CaseStore) -> None:
    with store.transaction(), pytest.raises(RuntimeError, match="already open"):
        transact(CaseStore(store.path))
    transact(store)  # and the guard is cleared afterwards


# --- hot file and archive ----------------------------------------------------------------------


def test_close_moves_to_archive_and_reopen_moves_back(store: CaseStore) -> None:
    open_cases(store, 3)
    set_status(store, 2, "closed")
    assert numbers_in(store.path) == [1, 3]
    assert numbers_in(store.archive_path) == [2]
    assert [c["number"] for c in store.cases()] == [1, 3]
    assert [c["number"] for c in store.cases(archived=True)] == [1, 2, 3]
    assert store.get(2) == make_case(2, "closed")
    with store.transaction() as tx:
        assert [c["number"] for c in tx.cases()] == [1, 3]
        assert [c["number"] for c in tx.cases(archived=True)] == [1, 2, 3]

    set_status(store, 2, "open")
    assert numbers_in(store.path) == [1, 2, 3]
    assert numbers_in(store.archive_path) == []
    assert store.get(2) == make_case(2)


def test_everyday_transactions_do_not_read_the_archive(
    store: CaseStore, reads: list[Path], writes: list[Path]
) -> None:
    open_cases(store, 2)
    set_status(store, 2, "closed")
    reads.clear()
    writes.clear()
    with store.transaction() as tx:  # open a case, update another: the daily work
        tx.put(make_case(tx.next_number()))
        case = tx.get(1)
        assert case is not None
        tx.put({**case, "note": "updated"})
        assert [c["number"] for c in tx.cases()] == [1, 3]
    assert reads == [store.path]
    assert writes == [store.path]


def test_each_file_is_read_and_written_at_most_once(
    store: CaseStore, reads: list[Path], writes: list[Path]
) -> None:
    open_cases(store, 4)
    set_status(store, 4, "closed")
    reads.clear()
    writes.clear()
    with store.transaction() as tx:
        for number in (1, 2, 3):
            set_closed = tx.get(number)
            assert set_closed is not None
            tx.put({**set_closed, "status": "closed"})
        assert tx.get(4) is not None
        tx.cases(archived=True)
        tx.put(make_case(tx.next_number()))
    assert sorted(reads) == sorted([store.path, store.archive_path])
    assert writes == [store.archive_path, store.path]


def test_read_only_transaction_writes_nothing(store: CaseStore, writes: list[Path]) -> None:
    open_cases(store, 2)
    set_status(store, 2, "closed")
    writes.clear()
    with store.transaction() as tx:
        tx.get(1)
        tx.get(2)
        tx.cases(archived=True)
    assert writes == []


def test_editing_a_closed_case_writes_only_the_archive(
    store: CaseStore, writes: list[Path]
) -> None:
    open_cases(store, 2)
    set_status(store, 1, "closed")
    writes.clear()
    with store.transaction() as tx:
        case = tx.get(1)
        assert case is not None
        tx.put({**case, "lessons": ["page earlier"]})
    assert writes == [store.archive_path]
    assert store.get(1) == make_case(1, "closed", lessons=["page earlier"])


def test_a_case_gained_by_a_file_is_written_before_it_is_lost_elsewhere(
    store: CaseStore, writes: list[Path]
) -> None:
    open_cases(store, 2)
    writes.clear()
    set_status(store, 1, "closed")
    assert writes == [store.archive_path, store.path]
    writes.clear()
    set_status(store, 1, "open")
    assert writes == [store.path, store.archive_path]


def fail_second_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a crash between the two writes of one transaction."""
    real = store_file.write_atomic
    calls: list[Path] = []

    def first_only(path: Path, payload: bytes) -> None:
        calls.append(path)
        if len(calls) > 1:
            raise OSError(5, "Input/output error")
        real(path, payload)

    monkeypatch.setattr(store_file, "write_atomic", first_only)


@pytest.mark.parametrize("status", ["closed", "open"])
def test_a_crash_between_the_two_writes_loses_no_case(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    open_cases(store, 2)
    set_status(store, 1, "closed" if status == "open" else "open")
    with monkeypatch.context() as patch:
        fail_second_write(patch)
        with pytest.raises(StoreError, match="cannot write"):
            set_status(store, 1, status)
    # Either way the case is in the hot file and maybe the archive too; the hot copy wins.
    assert 1 in numbers_in(store.path)
    assert store.get(1) == make_case(1, "open")
    assert [c["number"] for c in store.cases(archived=True)] == [1, 2]
    assert [c["status"] for c in store.cases(archived=True)] == ["open", "open"]
    set_status(store, 1, "closed")  # and the store carries on
    assert numbers_in(store.path) == [2]
    assert numbers_in(store.archive_path) == [1]


def test_closing_and_reopening_in_one_transaction(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_cases(store, 2)
    set_status(store, 2, "closed")

    def swap() -> None:
        with store.transaction() as tx:
            tx.put(make_case(1, "closed"))
            tx.put(make_case(2, "open"))

    with monkeypatch.context() as patch:
        fail_second_write(patch)
        with pytest.raises(StoreError):
            swap()
    assert store.get(1) == make_case(1, "open")  # the archive gained it; the hot copy wins
    assert store.get(2) == make_case(2, "closed")  # kept in the archive until the hot file has it
    swap()
    assert store.get(1) == make_case(1, "closed")
    assert store.get(2) == make_case(2, "open")
    assert [c["status"] for c in store.cases(archived=True)] == ["closed", "open"]
    with store.transaction() as tx:
        tx.cases(archived=True)  # loading the archive drops the copy the hot file shadows
    assert numbers_in(store.archive_path) == [1]


def test_hot_file_wins_when_a_case_is_in_both(store: CaseStore) -> None:
    open_cases(store, 1)
    set_status(store, 1, "closed")
    archive = json.loads(store.archive_path.read_bytes())
    hot = json.loads(store.path.read_bytes())
    hot["cases"]["1"] = make_case(1, "open", note="hot")
    store.path.write_text(json.dumps(hot))
    assert store.get(1) == make_case(1, "open", note="hot")
    assert store.cases(archived=True) == [make_case(1, "open", note="hot")]
    with store.transaction() as tx:
        assert tx.get(1) == make_case(1, "open", note="hot")
        assert tx.cases(archived=True) == [make_case(1, "open", note="hot")]
    assert archive["cases"]["1"]["status"] == "closed"


# --- the file itself ---------------------------------------------------------------------------


def test_file_is_a_tinydb_database_keyed_by_case_number(store: CaseStore) -> None:
    open_cases(store, 3)
    set_status(store, 2, "closed")
    with TinyDB(store.path, access_mode="r") as db:
        assert db.table("cases").get(doc_id=3) == make_case(3)
        meta = db.table("_meta").get(doc_id=1)
        assert meta is not None and meta["last_number"] == 3
    with TinyDB(store.archive_path, access_mode="r") as db:
        assert db.table("cases").get(doc_id=2) == make_case(2, "closed")


def test_file_is_readable_and_diffs_one_line_per_changed_case(store: CaseStore) -> None:
    open_cases(store, 3)
    before = store.path.read_text().splitlines()
    cases = before[before.index('"cases": {') + 1 :]
    assert cases[: cases.index("},")] == [
        f'  "{n}": {json.dumps(make_case(n), separators=(",", ":"))},' for n in (1, 2)
    ] + [f'  "3": {json.dumps(make_case(3), separators=(",", ":"))}']
    with store.transaction() as tx:
        tx.put(make_case(2, title="Ünïcode stays readable"))
    after = store.path.read_text(encoding="utf-8").splitlines()
    changed = [d for d in difflib.ndiff(before, after) if d[:1] in "+-"]
    # Out and in: the case, and its wake with its row (see StoreFile.index); nothing else.
    assert len(changed) == 4
    assert all(line[2:].startswith('  "2": ') for line in changed)
    assert sum("Ünïcode stays readable" in line for line in changed) == 2


def test_undecodable_text_round_trips(store: CaseStore) -> None:
    title = b"caf\xe9".decode("utf-8", "surrogateescape")  # what argv gives for bad bytes
    with store.transaction() as tx:
        tx.put(make_case(1, title=title))
    assert store.get(1) == make_case(1, title=title)
    json.loads(store.path.read_bytes())  # still valid UTF-8 JSON


def test_write_is_temp_file_fsync_replace_fsync_dir(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_cases(store, 1)
    events: list[tuple[str, ...]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file",))
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        events.append(("replace", src, str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    open_cases(store, 1)
    # Then the rows file: a cache checked against the file it describes, so not fsynced.
    assert [e[0] for e in events] == ["fsync-file", "replace", "fsync-dir", "replace"]
    src, dst = Path(events[1][1]), Path(events[1][2])
    assert dst == store.path
    assert src.parent == store.path.parent
    assert src.name.startswith(".cases.json.tmp-")
    assert not src.exists()
    assert Path(events[3][2]) == store.path.with_name("cases.json.rows")


def test_files_are_created_owner_only(store: CaseStore) -> None:
    old_umask = os.umask(0)  # the modes must not depend on a friendly umask
    try:
        open_cases(store, 2)
        set_status(store, 1, "closed")
    finally:
        os.umask(old_umask)
    for path in (store.path, store.archive_path, store.lock_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_an_existing_world_readable_store_is_written_back_0600(store: CaseStore) -> None:
    open_cases(store, 1)
    store.path.chmod(0o644)
    open_cases(store, 1)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_exception_in_the_block_writes_nothing(store: CaseStore, writes: list[Path]) -> None:
    with pytest.raises(KeyError), store.transaction() as tx:
        tx.put(make_case(tx.next_number()))
        raise KeyError("boom")
    assert writes == []
    assert not store.exists()
    open_cases(store, 2)
    before = store.path.read_bytes()
    with pytest.raises(KeyError), store.transaction() as tx:
        tx.put(make_case(1, "closed"))
        tx.meta["matrix"] = "x.yaml"
        raise KeyError("boom")
    assert store.path.read_bytes() == before
    assert not store.archive_path.exists()
    assert lock_is_free(store)


def test_killed_mid_write_leaves_the_previous_store(store: CaseStore) -> None:
    open_cases(store, 3)
    before = store.path.read_bytes()
    worker = start_workers("hang", store, count=200, processes=1)[0]
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "half\n"
        temps = list(store.path.parent.glob(".cases.json.tmp-*"))
        assert (
            len(temps) == 1 and 0 < temps[0].stat().st_size < len(before) * 60
        )  # less than 203 whole cases
        assert [c["number"] for c in CaseStore(store.path).cases()] == [1, 2, 3]  # readers fine
        worker.kill()  # SIGKILL: no cleanup runs
        worker.wait(timeout=30)
    finally:
        worker.kill()
        worker.communicate()
    assert worker.returncode == -signal.SIGKILL
    assert store.path.read_bytes() == before
    assert stat.S_IMODE(temps[0].stat().st_mode) == 0o600
    assert open_cases(store, 1) == [4]  # the killed transaction allocated nothing
    assert not temps[0].exists()  # its temp file, holding customer data, is gone


# --- lock-free reads ---------------------------------------------------------------------------


def test_lock_free_reads_parse_each_file_once(store: CaseStore, reads: list[Path]) -> None:
    open_cases(store, 2)
    set_status(store, 2, "closed")
    reader = CaseStore(store.path)
    reads.clear()
    reader.read_meta()  # from the first lines
    reader.get(1)  # its line alone, through the rows file
    reader.get(1)
    assert reads == []
    reader.get(2)
    reader.get(2)
    assert reads == [store.archive_path]
    reader.cases()
    reader.cases()
    assert reads == [store.archive_path, store.path]


def test_lock_free_reads_see_other_writers(store: CaseStore) -> None:
    reader = CaseStore(store.path)
    open_cases(store, 1)
    assert [c["number"] for c in reader.cases()] == [1]
    assert reader.get(2) is None
    open_cases(store, 1)
    assert reader.get(2) == make_case(2)
    assert reader.read_meta()["last_number"] == 2


def test_parsing_pauses_the_garbage_collector(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_cases(store, 2)
    seen: list[bool] = []
    real = store_file.orjson.loads

    def spy(raw: Any) -> Any:
        seen.append(gc.isenabled())
        return real(raw)

    spying = SimpleNamespace(**{**vars(store_file.orjson), "loads": spy})
    monkeypatch.setattr(store_file, "orjson", spying)
    assert gc.isenabled()
    CaseStore(store.path).cases()
    assert seen and not any(seen)
    assert gc.isenabled()
    store.path.write_text("{not json")
    with pytest.raises(StoreError):
        CaseStore(store.path).cases()
    assert gc.isenabled()  # re-enabled after a failed parse too


def test_a_large_parse_is_kept_out_of_later_collections(store: CaseStore) -> None:
    with store.transaction() as tx:
        for _ in range(800):  # about 1.3 MB
            tx.put(make_case(tx.next_number(), text="x" * 1500))
    assert store.path.stat().st_size > 1 << 20
    before = gc.get_freeze_count()
    try:
        assert len(CaseStore(store.path).cases()) == 800
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()  # give the test process its collector back
    assert gc.isenabled()


# --- corrupt stores ----------------------------------------------------------------------------

CORRUPT = [
    (b'{\n"cases": {\n  "1": oops\n}\n}\n', "is not valid JSON (line 3)"),
    (b"", "is empty"),
    (b'{"cases": {"1": {"title": "caf\xe9"}}}', "not UTF-8"),
    (b"[]", "the top level is an array, not an object"),
    (b'{"cases": []}', 'has a "cases" that is an array'),
    (b'{"_meta": "v1"}', 'has a "_meta" that is a string'),
    (b'{"cases": {"1": "ESC-1"}}', 'entry "1" that is a string'),
    (b'{"cases": {"1": {"number": 2}}}', 'case "1" whose number is 2'),
    (b'{"cases": {"one": {"number": 1}}}', 'case "one"'),
    (b'{"_meta": {"1": {"schema_version": "1"}}}', "schema_version '1'"),
    (b'{"_meta": {"1": {"last_number": -1}}}', "last_number -1"),
    (b'{"_meta": {"2": {}}}', 'entries other than "1"'),
    (b'{"tasks": {}}', 'unexpected "tasks"'),
    (b"[" * 100_000, "is n"),  # too deep for the parser: valid-looking start, no crash
]


def assert_refused(store: CaseStore, target: Path, fragment: str) -> None:
    """Every way in fails with a message naming the file; the file is never touched."""
    before = target.read_bytes() if target.is_file() else None
    listing = sorted(p.name for p in target.parent.iterdir())
    for attempt in (
        lambda: CaseStore(store.path).cases(archived=True),
        lambda: CaseStore(store.path).get(99),
    ):
        with pytest.raises(StoreError) as caught:
            attempt()
        assert str(target) in str(caught.value) and fragment in str(caught.value)
    with pytest.raises(StoreError) as caught, store.transaction() as tx:
        tx.put(make_case(tx.next_number(), "closed"))
        tx.put(make_case(1, "open"))
    message = str(caught.value)
    assert message.startswith(str(target)) and fragment in message
    assert "left untouched" in message
    assert caught.value.exit_code == ExitCode.STORE_UNUSABLE
    assert (target.read_bytes() if target.is_file() else None) == before
    lock = store.lock_path.name
    assert sorted({*listing, lock}) == sorted(p.name for p in target.parent.iterdir())


@pytest.mark.parametrize(("content", "fragment"), CORRUPT)
def test_corrupt_hot_file_is_reported_and_left_alone(
    store: CaseStore, content: bytes, fragment: str
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content)
    assert_refused(store, store.path, fragment)


@pytest.mark.parametrize(("content", "fragment"), CORRUPT[:4])
def test_corrupt_archive_is_reported_and_left_alone(
    store: CaseStore, content: bytes, fragment: str
) -> None:
    open_cases(store, 1)
    store.archive_path.write_bytes(content)
    assert store.get(1) == make_case(1)  # the hot file alone still serves everyday reads
    assert [c["number"] for c in store.cases()] == [1]
    hot_before = store.path.read_bytes()
    assert_refused(store, store.archive_path, fragment)
    assert store.path.read_bytes() == hot_before


def test_a_directory_in_place_of_the_store(store: CaseStore) -> None:
    store.path.mkdir(parents=True)
    assert_refused(store, store.path, "is a directory")


def test_an_unreadable_store(store: CaseStore, monkeypatch: pytest.MonkeyPatch) -> None:
    open_cases(store, 1)

    real_open = os.open

    def denied(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path) == store.path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    # Tests may run as root, which chmod cannot lock out; deny the open itself instead.
    monkeypatch.setattr(store_file.os, "open", denied)
    assert_refused(store, store.path, "cannot be read (Permission denied)")


def test_an_unwritable_directory_is_a_store_error(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_cases(store, 1)
    before = store.path.read_bytes()

    def no_space(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", no_space)
    with pytest.raises(StoreError, match=r"cannot write .*cases\.json: No space left on device"):
        open_cases(store, 1)
    assert store.path.read_bytes() == before


# --- schema versions ---------------------------------------------------------------------------


def test_a_store_from_a_newer_escalate_is_refused(store: CaseStore) -> None:
    store.path.parent.mkdir(parents=True)
    newer = {"_meta": {"1": {"schema_version": SCHEMA_VERSION + 1}}, "cases": {}, "new": {}}
    store.path.write_text(json.dumps(newer))
    assert_refused(store, store.path, "was written by a newer escalate")


def test_migrations_apply_in_memory_and_persist_on_the_next_write(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch, writes: list[Path]
) -> None:
    open_cases(store, 2)
    set_status(store, 2, "closed")
    hot_v1, archive_v1 = store.path.read_bytes(), store.archive_path.read_bytes()
    applied: list[str] = []

    # Two made-up versions past the current one: files written today are SCHEMA_VERSION.
    current = SCHEMA_VERSION

    def to_v2(data: dict[str, Any]) -> dict[str, Any]:
        applied.append("v2")
        for case in data.get("cases", {}).values():
            case["priority"] = "normal"
        return data

    def to_v3(data: dict[str, Any]) -> dict[str, Any]:
        applied.append("v3")
        for case in data.get("cases", {}).values():
            case["priority"] = case["priority"].upper()
        return data

    monkeypatch.setattr(store_file, "SCHEMA_VERSION", current + 2)
    monkeypatch.setattr(store_file, "MIGRATIONS", [*store_file.MIGRATIONS, to_v2, to_v3])
    writes.clear()
    reader = CaseStore(store.path)
    assert reader.get(1) == make_case(1, priority="NORMAL")
    assert reader.get(2) == make_case(2, "closed", priority="NORMAL")
    assert reader.read_meta()["schema_version"] == current + 2
    assert applied == ["v2", "v3", "v2", "v3"]  # in order, once per file
    with store.transaction() as tx:
        assert tx.get(2) is not None  # reading alone writes nothing
    assert writes == []
    assert (store.path.read_bytes(), store.archive_path.read_bytes()) == (hot_v1, archive_v1)

    with store.transaction() as tx:
        tx.meta["touched"] = True
    hot = json.loads(store.path.read_bytes())
    assert hot["_meta"]["1"]["schema_version"] == current + 2
    assert hot["cases"]["1"]["priority"] == "NORMAL"
    assert store.archive_path.read_bytes() == archive_v1  # the archive waits for its own write

    applied.clear()
    assert CaseStore(store.path).get(1) == make_case(1, priority="NORMAL")
    assert applied == []  # a current file is not migrated again
    v2_file = json.loads(archive_v1)
    v2_file["_meta"]["1"]["schema_version"] = current + 1
    v2_file["cases"]["2"]["priority"] = "low"
    store.archive_path.write_text(json.dumps(v2_file))
    assert CaseStore(store.path).get(2) == make_case(2, "closed", priority="LOW")
    assert applied == ["v3"]  # starts from the file's own version


# --- locking -----------------------------------------------------------------------------------


def test_lock_is_held_only_inside_the_transaction(store: CaseStore) -> None:
    with store.transaction():
        assert not lock_is_free(store)
    assert lock_is_free(store)
    with pytest.raises(ZeroDivisionError), store.transaction():
        _ = 1 / 0
    assert lock_is_free(store)


def test_main_thread_blocks_in_flock_instead_of_polling(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    flags: list[int] = []
    real = fcntl.flock

    def spy(fd: int, operation: int) -> None:
        flags.append(operation)
        real(fd, operation)

    monkeypatch.setattr(fcntl, "flock", spy)
    open_cases(store, 1)
    assert flags == [fcntl.LOCK_EX]  # one blocking call: no LOCK_NB retry loop


def test_lock_timeout_in_the_main_thread(store: CaseStore, held_lock: None) -> None:
    def sentinel(signum: int, frame: Any) -> None:
        raise AssertionError("the store's alarm leaked")

    previous = signal.signal(signal.SIGALRM, sentinel)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            transact(CaseStore(store.path, lock_timeout=0.3))
        waited = time.monotonic() - started
        assert signal.getsignal(signal.SIGALRM) is sentinel
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert str(caught.value) == (
        f"{store.path} is locked by another escalate process (waited 0.3 s); try again"
    )
    assert caught.value.exit_code == ExitCode.STORE_UNUSABLE
    assert 0.3 <= waited < 5


def test_lock_timeout_comes_from_the_environment(
    store: CaseStore, held_lock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lock_timeout(None) == 30
    monkeypatch.setenv("ESCALATE_LOCK_TIMEOUT", "0.2")
    with pytest.raises(StoreError, match=r"waited 0\.2 s"):
        transact(CaseStore(store.path))
    monkeypatch.setenv("ESCALATE_LOCK_TIMEOUT", "soon")
    with pytest.raises(UsageError, match="ESCALATE_LOCK_TIMEOUT"):
        transact(CaseStore(store.path))
    with pytest.raises(ValueError):
        CaseStore(store.path, lock_timeout=-1)


def test_a_zero_timeout_tries_once(store: CaseStore, held_lock: None) -> None:
    with pytest.raises(StoreError, match=r"waited 0 s"):
        transact(CaseStore(store.path, lock_timeout=0))


def test_an_armed_timer_of_the_caller_is_left_alone(store: CaseStore) -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        open_cases(store, 1)
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert 90 < remaining <= 100
    assert fired == []


def run_in_thread(function: Callable[[], Any]) -> Any:
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(function())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return outcome[0]


def test_other_threads_fall_back_to_filelock(store: CaseStore, held_lock: None) -> None:
    error = run_in_thread(lambda: transact(CaseStore(store.path, lock_timeout=0.2)))
    assert isinstance(error, StoreError)
    assert "is locked by another escalate process (waited 0.2 s)" in str(error)


def test_threads_exclude_each_other(store: CaseStore) -> None:
    def work() -> None:
        for _ in range(10):
            open_cases(CaseStore(store.path, lock_timeout=30), 1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [c["number"] for c in store.cases()] == list(range(1, 41))


# --- real processes ----------------------------------------------------------------------------


def start_workers(
    mode: str, store: CaseStore, *, count: int, processes: int
) -> list[subprocess.Popen[str]]:
    """Start workers and wait until each has imported everything and is ready to go."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, str(store.path), str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "ready\n", worker.communicate()[1]
    return workers


def go(workers: list[subprocess.Popen[str]]) -> None:
    """Release every worker at once (each waits for its stdin to close), then wait for all."""
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.close()
        worker.stdin = None  # so communicate() does not flush the closed pipe
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert out == "done\n"


def test_twenty_processes_allocate_five_hundred_unique_numbers(store: CaseStore) -> None:
    open_cases(store, 0)  # create the store, so every worker starts from the same file
    started = time.monotonic()
    go(start_workers("alloc", store, count=25, processes=20))
    elapsed = time.monotonic() - started
    cases = CaseStore(store.path).cases()
    assert [c["number"] for c in cases] == list(range(1, 501))
    assert all(c["id"] == f"ESC-{c['number']}" for c in cases)
    assert len({c["pid"] for c in cases}) == 20
    assert json.loads(store.path.read_bytes())["_meta"]["1"]["last_number"] == 500
    assert elapsed < 60, elapsed


def test_racing_read_modify_write_loses_nothing(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put(make_case(tx.next_number(), counter=0))
    go(start_workers("count", store, count=100, processes=2))
    assert store.get(1) == make_case(1, counter=200)


def test_tracked_cases_edited_by_hand_into_junk_count_as_none(store: CaseStore) -> None:
    """The tracked cases live in the metadata document; keys that name no number as escalate
    writes them (`²` is a digit, not a number) and times that are no times are left out, and
    the next write goes through."""
    open_cases(store, 2)
    data = json.loads(store.path.read_bytes())
    data["_meta"]["1"]["tracked"] = {"1": "2026-11-30T09:00:00Z", "²": None, "x": None, "2": "soon"}
    store.path.write_text(json.dumps(data))
    assert store.tracked() == {1: from_iso("2026-11-30T09:00:00Z")}
    with store.transaction() as tx:
        tx.track(2, None)
    assert CaseStore(store.path).tracked() == {1: from_iso("2026-11-30T09:00:00Z"), 2: None}
