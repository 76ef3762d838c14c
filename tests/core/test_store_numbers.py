"""Case numbers are never reused and archiving never replaces a different case, even after one
of the two store files is put back from an older backup (issue 11, item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.errors import StoreError
from escalate_cli.core.store import store_file
from escalate_cli.core.store.json_store import CaseStore
from tests.core.test_store import make_case, numbers_in, open_cases, reads, set_status, store

__all__ = ["reads", "store"]  # fixtures


def case(number: int, title: str, status: str = "open") -> dict[str, Any]:
    return make_case(number, status, title=title, created_at=f"2026-11-2{number}T10:00:00Z")


def add_to_file(path: Path, *cases: dict[str, Any]) -> None:
    """Edit a store file by hand, as a restore or an older escalate would leave it."""
    data = json.loads(path.read_bytes())
    data["cases"].update({str(c["number"]): c for c in cases})
    path.write_text(json.dumps(data))


def archived(store: CaseStore, number: int) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(store.archive_path.read_bytes())["cases"][str(number)]
    return found


def test_numbers_stay_above_the_archive_after_the_hot_file_is_restored(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put(case(tx.next_number(), "first"))
    backup = store.path.read_bytes()
    with store.transaction() as tx:
        tx.put(case(tx.next_number(), "second"))
    set_status(store, 2, "closed")
    store.path.write_bytes(backup)  # last_number 1 again; the archive holds ESC-2
    assert open_cases(store, 1) == [3]
    set_status(store, 3, "closed")
    assert numbers_in(store.archive_path) == [2, 3]
    assert archived(store, 2)["title"] == "second"


def test_numbers_stay_above_the_hot_file_after_the_archive_is_restored(store: CaseStore) -> None:
    open_cases(store, 3)
    set_status(store, 1, "closed")
    backup = store.archive_path.read_bytes()
    set_status(store, 3, "closed")
    store.archive_path.write_bytes(backup)  # ESC-3 is gone from both files
    assert open_cases(store, 1) == [4]


def test_both_files_carry_the_high_water_mark(store: CaseStore) -> None:
    open_cases(store, 3)
    set_status(store, 2, "closed")
    for path in (store.path, store.archive_path):
        assert json.loads(path.read_bytes())["_meta"]["1"]["last_number"] == 3, path


def test_opening_reads_only_the_head_of_the_archive(
    store: CaseStore, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_cases(store, 2)
    set_status(store, 2, "closed")
    peeked: list[Path] = []
    real = store_file.read_mark

    def spy(path: Path) -> int | None:
        peeked.append(path)
        return real(path)

    monkeypatch.setattr(store_file, "read_mark", spy)
    reads.clear()
    assert open_cases(store, 1) == [3]
    assert reads == [store.path]  # the archive is not read, let alone parsed
    assert peeked == [store.archive_path]


def test_an_archive_without_a_mark_is_read_whole_once_and_gains_one(store: CaseStore) -> None:
    open_cases(store, 1)
    set_status(store, 1, "closed")
    data = json.loads(store.archive_path.read_bytes())
    data["_meta"]["1"] = {"schema_version": store_file.SCHEMA_VERSION}  # as escalate 0.1 wrote
    data["cases"]["7"] = make_case(7, "closed")
    store.archive_path.write_text(json.dumps(data))
    assert store_file.read_mark(store.archive_path) is None
    assert open_cases(store, 1) == [8]
    assert store_file.read_mark(store.archive_path) == 8


def test_archiving_never_replaces_a_different_case(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put(case(1, "first"))
        tx.put(case(2, "second", "closed"))
    add_to_file(store.path, case(2, "third") | {"created_at": "2026-11-29T10:00:00Z"})
    before = store.path.read_bytes(), store.archive_path.read_bytes()
    with pytest.raises(StoreError) as raised:
        set_status(store, 2, "closed")
    message = str(raised.value)
    assert 'ESC-2 "third"' in message and 'ESC-2 "second"' in message, message
    assert str(store.archive_path) in message
    assert (store.path.read_bytes(), store.archive_path.read_bytes()) == before


def test_a_different_case_under_an_archived_number_is_never_dropped(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put(case(1, "first"))
        tx.put(case(2, "second", "closed"))
    add_to_file(store.path, case(2, "third") | {"created_at": "2026-11-29T10:00:00Z"})
    set_status(store, 1, "closed")  # loads the archive, which drops copies the hot file shadows
    assert numbers_in(store.archive_path) == [1, 2]
    assert archived(store, 2)["title"] == "second"
    shown = store.get(2)  # the hot file's, as before
    assert shown is not None and shown["title"] == "third"


def test_reopening_and_closing_the_same_case_again_is_fine(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put(case(tx.next_number(), "first"))
    for status in ("closed", "open", "closed"):
        set_status(store, 1, status)
    assert numbers_in(store.archive_path) == [1]
    assert numbers_in(store.path) == []


def test_an_open_case_never_takes_the_number_of_a_different_archived_one(
    store: CaseStore,
) -> None:
    with store.transaction() as tx:
        tx.put(case(1, "first", "closed"))
    store.path.unlink()
    with pytest.raises(StoreError, match='ESC-1 "first"'), store.transaction() as tx:
        tx.put(case(1, "another") | {"created_at": "2026-11-29T10:00:00Z"})
    assert archived(store, 1)["title"] == "first"
