"""One bad channel never stalls a delivery batch, and each outcome is saved as soon as it is
known, so a process that dies mid-batch resends at most the entry it was sending."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.notify import delivery, outbox
from escalate_cli.core.store.json_store import CaseStore
from tests.notify_servers import matrix_yaml

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CHANNELS = """\
    notify_via: [one, two, three]
    channels:
      one: {kind: command, command: ["true"]}
      two: {kind: command, command: ["true"]}
      three: {kind: command, command: ["true"]}
    """


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore(tmp_path / "cases.json", lock_timeout=5)


def opened(store: CaseStore) -> tuple[Matrix, outbox.Dispatch]:
    """A case opened now, its three entries (frontline by one, two and three) claimed."""
    matrix = load_matrix_text(matrix_yaml(CHANNELS), "m.yaml")
    dispatch = outbox.Dispatch()
    with store.transaction() as tx:
        case = new_case(matrix, tx.next_number(), OpenRequest("Down"), NOW)
        tx.put(case)
        outbox.record(tx, matrix, [(case, list(range(len(case["timeline"]))))], NOW, dispatch)
    assert [e["channel"] for e in dispatch.claimed] == ["one", "two", "three"]
    return matrix, dispatch


def statuses(store: CaseStore) -> dict[str, str]:
    return {entry["channel"]: entry["status"] for entry in store.outbox()}


@pytest.mark.parametrize("error", [ValueError("Port out of range 0-65535"), KeyError("chat")])
def test_any_exception_from_one_channel_fails_that_entry_and_the_batch_goes_on(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    matrix, dispatch = opened(store)
    real = delivery.send

    def send(matrix: Matrix, entry: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        if entry["channel"] == "two":
            raise error
        real(matrix, entry, *args, **kwargs)

    monkeypatch.setattr(delivery, "send", send)
    done, lines = outbox.finish(store, matrix, dispatch, NOW, {"PATH": "/usr/bin:/bin"})
    assert [(o.entry["channel"], o.error) for o in done.outcomes] == [
        ("one", None),
        ("two", f"{type(error).__name__}: {error}"),
        ("three", None),
    ]
    assert statuses(store) == {"one": "sent", "two": "failed", "three": "sent"}
    assert lines == [
        f"ESC-1: two to frontline failed: {type(error).__name__}: {error}"
        " (kept in the outbox: escalate outbox retry)"
    ]


def test_each_outcome_is_saved_before_the_next_entry_is_sent(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix, dispatch = opened(store)
    seen: list[dict[str, str]] = []

    def send(matrix: Matrix, entry: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        seen.append(statuses(store))  # what a process killed right now would leave
        if entry["channel"] == "two":
            raise delivery.DeliveryError("refused")

    monkeypatch.setattr(delivery, "send", send)
    outbox.deliver(store, matrix, dispatch, NOW, {})
    assert seen == [
        {"one": "sending", "two": "sending", "three": "sending"},
        {"one": "sent", "two": "sending", "three": "sending"},
        {"one": "sent", "two": "failed", "three": "sending"},
    ]
    assert statuses(store) == {"one": "sent", "two": "failed", "three": "sent"}
