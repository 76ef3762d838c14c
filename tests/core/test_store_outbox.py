"""Tests for the store's outbox table and the schema 1 -> 2 migration that added it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.errors import StoreError
from escalate_cli.core.store import store_file
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_file import SCHEMA_VERSION


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore(tmp_path / "s" / "cases.json")


def entry(ident: str, **extra: Any) -> dict[str, Any]:
    return {"id": ident, "status": "pending", **extra}


def test_entries_are_kept_in_order_replaced_by_id_and_dropped(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put({"number": 1, "id": "ESC-1", "status": "open"})
        for ident in ("a", "b", "c"):
            tx.put_outbox(entry(ident))
    with store.transaction() as tx:
        tx.put_outbox(entry("b", status="sent"))
        tx.drop_outbox(["a", "unknown"])
        assert [e["id"] for e in tx.outbox()] == ["b", "c"]
    assert store.outbox() == [entry("b", status="sent"), entry("c")]
    raw = json.loads(store.path.read_bytes())
    assert list(raw["outbox"]) == ["1", "2"] and raw["outbox"]["1"]["id"] == "b"


def test_an_outbox_change_alone_writes_the_hot_file(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put({"number": 1, "id": "ESC-1", "status": "closed"})
    assert "outbox" not in json.loads(store.path.read_bytes())  # empty: not written
    with store.transaction() as tx:
        tx.put_outbox(entry("x"))
    assert store.outbox() == [entry("x")]
    assert "outbox" not in json.loads(store.archive_path.read_bytes())


def test_reading_the_outbox_writes_nothing(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put_outbox(entry("x"))
    before = store.path.stat().st_mtime_ns, store.path.read_bytes()
    with store.transaction() as tx:
        copy = tx.outbox()[0]
        copy["status"] = "changed only in the copy"
    assert (store.path.stat().st_mtime_ns, store.path.read_bytes()) == before


def test_an_exception_keeps_the_outbox_as_it_was(store: CaseStore) -> None:
    with store.transaction() as tx:
        tx.put_outbox(entry("x"))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.put_outbox(entry("y"))
        raise RuntimeError("boom")
    assert [e["id"] for e in store.outbox()] == ["x"]


def test_an_entry_needs_a_string_id(store: CaseStore) -> None:
    with store.transaction() as tx, pytest.raises(ValueError):
        tx.put_outbox({"status": "pending"})


def test_a_version_1_store_is_migrated_and_persisted_as_the_current_version(
    store: CaseStore,
) -> None:
    store.path.parent.mkdir(parents=True)
    v1 = {
        "_meta": {"1": {"schema_version": 1, "last_number": 1}},
        "cases": {"1": {"number": 1, "id": "ESC-1", "status": "open"}},
    }
    store.path.write_text(json.dumps(v1))
    assert store.outbox() == [] and store.get(1) == v1["cases"]["1"]
    assert store.read_meta()["schema_version"] == SCHEMA_VERSION == 3
    with store.transaction() as tx:
        tx.put_outbox(entry("x"))
    written = json.loads(store.path.read_bytes())
    assert written["_meta"]["1"]["schema_version"] == 3
    assert written["cases"] == v1["cases"] and written["outbox"]["1"] == entry("x")


def test_a_version_2_store_is_refused_by_a_version_1_reader(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.transaction() as tx:
        tx.put_outbox(entry("x"))
    monkeypatch.setattr(store_file, "SCHEMA_VERSION", 1)
    monkeypatch.setattr(store_file, "MIGRATIONS", [])
    with pytest.raises(StoreError, match="written by a newer escalate"):
        CaseStore(store.path).outbox()


@pytest.mark.parametrize(
    "outbox",
    [[], {"1": "x"}, {"one": {"id": "x"}}, {"²": {"id": "x"}}, {"1": {"status": "pending"}}],
)
def test_a_corrupt_outbox_is_reported_and_left_alone(store: CaseStore, outbox: Any) -> None:
    store.path.parent.mkdir(parents=True)
    raw = json.dumps({"_meta": {"1": {"schema_version": 2}}, "cases": {}, "outbox": outbox})
    store.path.write_text(raw)
    with pytest.raises(StoreError, match="outbox"):
        store.outbox()
    with pytest.raises(StoreError), store.transaction():
        pass
    assert store.path.read_text() == raw
