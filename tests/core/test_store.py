"""Tests for the case store: API, atomic writes, locking, corruption, migrations, concurrency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.store import SCHEMA_VERSION, CaseStore


def make_case(number: int, status: str = "open", **extra: Any) -> dict[str, Any]:
    return {"number": number, "id": f"ESC-{number}", "status": status, **extra}


def open_cases(store: CaseStore, count: int, status: str = "open") -> list[int]:
    numbers = []
    with store.transaction() as tx:
        for _ in range(count):
            number = tx.next_number()
            tx.put(make_case(number, status))
            numbers.append(number)
    return numbers


def close(store: CaseStore, number: int, status: str = "closed") -> None:
    with store.transaction() as tx:
        case = tx.get(number)
        assert case is not None
        case["status"] = status
        tx.put(case)


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore(tmp_path / "data" / "cases.json", lock_timeout=5)


# --- the API ---------------------------------------------------------------------------------


def test_paths(tmp_path: Path) -> None:
    s = CaseStore(tmp_path / "cases.json")
    assert s.path == tmp_path / "cases.json"
    assert s.archive_path == tmp_path / "cases.archive.json"
    assert s.lock_path == tmp_path / "cases.json.lock"


def test_missing_store_reads_empty(store: CaseStore) -> None:
    assert not store.exists()
    assert store.read_meta() == {}
    assert store.get(1) is None
    assert store.cases() == []
    assert store.cases(archived=True) == []
    assert not store.path.parent.exists()  # reading creates nothing


def test_first_transaction_creates_store_and_parent(store: CaseStore) -> None:
    with store.transaction():
        pass
    assert store.exists()
    assert store.read_meta() == {"schema_version": SCHEMA_VERSION, "last_number": 0}
    assert not store.archive_path.exists()


def test_put_get_and_order(store: CaseStore) -> None:
    with store.transaction() as tx:
        for number in (3, 1, 2):
            tx.put(make_case(number, title=f"t{number}"))
    assert [c["number"] for c in store.cases()] == [1, 2, 3]
    assert store.get(2) == make_case(2, title="t2")
    assert store.get(4) is None


def test_numbers_are_sequential_and_never_reused(store: CaseStore) -> None:
    assert open_cases(store, 3) == [1, 2, 3]
    close(store, 3)  # the highest number leaves the hot file
    assert open_cases(store, 1) == [4]
    with store.transaction() as tx:
        tx.put(make_case(10))  # a number put directly is taken too
    assert open_cases(store, 1) == [11]


def test_meta_persists(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.meta["matrix"] = "/etc/escalate/support.yaml"
    assert store.read_meta()["matrix"] == "/etc/escalate/support.yaml"
    with store.transaction() as tx:
        assert tx.meta["matrix"] == "/etc/escalate/support.yaml"


def test_close_moves_to_archive_and_reopen_moves_back(store: CaseStore) -> None:
    open_cases(store, 3)
    close(store, 2)
    hot = json.loads(store.path.read_text())
    archive = json.loads(store.archive_path.read_text())
    assert sorted(hot["cases"]) == ["1", "3"]
    assert sorted(archive["cases"]) == ["2"]
    assert [c["number"] for c in store.cases()] == [1, 3]
    assert [c["number"] for c in store.cases(archived=True)] == [1, 2, 3]
    assert store.get(2) == make_case(2, "closed")

    close(store, 2, status="open")  # reopen
    assert sorted(json.loads(store.path.read_text())["cases"]) == ["1", "2", "3"]
    assert json.loads(store.archive_path.read_text())["cases"] == {}
    assert store.get(2) == make_case(2)
