"""The Python API: `Session` opens, changes and sweeps cases with no CLI in between, on both
stores, and hands back delivery problems as data."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate_cli import Session
from escalate_cli.core.errors import MatrixError, NotFoundError, RefusedError, UsageError
from escalate_cli.core.store.store_base import open_store
from tests.conftest import BASIC_MATRIX
from tests.notify_servers import matrix_yaml, web_server

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["json", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the session's store is: a JSON file, or a PostgreSQL URL of the test's own."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "session" / "cases.json")


def test_open_acknowledge_and_sweep_from_python(location: str) -> None:
    with Session(location, BASIC_MATRIX, now=T0, user="sam") as session:
        opened = session.open("Checkout fails for EU customers", customer="Initech")
        assert (opened.case["id"], opened.case["level"], opened.warnings) == ("ESC-1", "L1", [])
        assert opened.case["matrix"] == "Test support" and opened.now == T0
        acked = session.acknowledge("ESC-1", note="looking at the payment logs")
        assert acked.case["status"] == "acknowledged"
        assert acked.case["timeline"][-1]["by"] == "sam"
    later = T0 + timedelta(hours=2, minutes=1)
    with Session(location, BASIC_MATRIX, now=later) as session:
        dry = session.sweep(dry_run=True)
        assert [move["to"] for move in dry.report["escalated"]] == ["L2"]
        assert session.case(1)["level"] == "L1"  # a dry run writes nothing
        swept = session.sweep()
        assert swept.json()["escalated"][0]["case"] == "ESC-1" and swept.warnings == []
        assert swept.json()["checked"] == 1
    store = open_store(location)
    try:
        saved = store.get(1)
    finally:
        store.close()
    assert saved is not None  # moved up, the case asks the new level for its ack:
    assert (saved["level"], saved["status"]) == ("L2", "open")


def test_every_change_is_one_method_and_one_write(location: str) -> None:
    session = Session(location, BASIC_MATRIX, now=T0, user="sam")
    session.open("Refunds stuck", severity="sev2")
    session.gather("ESC-1", facts=["HTTP 504 from /refund"], whys=["the gateway times out"])
    session.assess("ESC-1", impact="Refunds wait a day", root_cause="gateway timeout")
    session.convene("ESC-1", owner="sam", add=["dana:decision-maker"])
    advice = session.brainstorm("ESC-1", options=["Roll back", "Raise the timeout"], choose=2)
    assert isinstance(advice.result, list)
    session.implement("ESC-1", action="Raise the timeout", kind="workaround")
    session.update("ESC-1", "Timeout raised, watching", audience="customer")
    session.hold("ESC-1", "waiting for the gateway vendor", until=T0 + timedelta(hours=1))
    session.resume("ESC-1")
    session.up("ESC-1", "vendor needs a manager", force=True)
    session.resolve("ESC-1", "Vendor fixed the gateway")
    session.learn("ESC-1", lessons=["No alert on refund latency"], prevent=["Add the alert"])
    closed = session.close("ESC-1")
    assert closed.case["status"] == "closed"
    reopened = session.reopen("ESC-1", "Refunds stuck again")
    assert reopened.case["status"] == "open" and reopened.case["reopened"] == 1
    assert session.next("ESC-1").view.data["case"] == "ESC-1"
    session.close_store()


def test_a_clock_is_read_once_per_call() -> None:
    readings = iter([T0, T0 + timedelta(minutes=5)])
    session = Session(None, BASIC_MATRIX, now=lambda: next(readings))
    assert session.open("Printer on fire").case["created_at"] == "2026-11-23T10:00:00Z"
    assert session.acknowledge(1).now == T0 + timedelta(minutes=5)


def test_a_user_who_is_no_contact_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "cases.json"
    session = Session(store, BASIC_MATRIX, now=T0, user="nobody", user_label="--by")
    with pytest.raises(NotFoundError, match=r"^--by: "):
        session.open("Printer on fire")
    assert not store.exists()


def test_an_update_for_nobody_is_refused_before_the_store_is_touched(tmp_path: Path) -> None:
    store = tmp_path / "cases.json"
    with pytest.raises(UsageError, match="use customer or internal"):
        Session(store, BASIC_MATRIX, now=T0).update("ESC-1", "fixed", audience="everyone")
    assert not store.exists()


def test_a_loaded_matrix_and_an_open_store_are_used_as_given(tmp_path: Path) -> None:
    from escalate_cli.core.matrix import matrix_cache

    matrix = matrix_cache.load(BASIC_MATRIX)
    store = open_store(tmp_path / "cases.json")
    with Session(store, matrix, now=T0) as session:
        assert session.matrix() is matrix and session.store is store
        assert session.open("Printer on fire").case["id"] == "ESC-1"
    assert store.get(1) is not None  # the caller's store stays open: the caller closes it


@pytest.fixture
def failing_webhook(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    for web in web_server([500, 500]):
        path = tmp_path / "escalation.yaml"
        text = f'channels:\n  chat: {{kind: webhook, url: "{web.url}"}}\n'
        path.write_text(matrix_yaml(text, notify_via="notify_via: [chat]"))
        path.chmod(0o644)
        yield web, path


def test_delivery_problems_come_back_as_data(
    tmp_path: Path, failing_webhook: tuple[Any, Path]
) -> None:
    web, matrix = failing_webhook
    session = Session(tmp_path / "cases.json", matrix, now=T0, environ={})
    opened = session.open("Webhook down")
    assert opened.warnings == [
        f"ESC-1: chat to frontline failed: webhook http://127.0.0.1:{web.port}: HTTP 500:"
        " server on fire (kept in the outbox: escalate outbox retry)"
    ]
    assert len(web.requests.items) == 1 and session.deliver() == []
    done, lines = session.retry()  # `escalate outbox retry`: the second 500
    assert [o.entry["id"] for o in done.outcomes] == ["ESC-1:1:frontline:chat"]
    assert len(lines) == 1 and "HTTP 500" in lines[0] and len(web.requests.items) == 2


def test_deferred_delivery_waits_for_deliver(
    tmp_path: Path, failing_webhook: tuple[Any, Path]
) -> None:
    web, matrix = failing_webhook
    session = Session(tmp_path / "cases.json", matrix, now=T0, defer_delivery=True)
    assert session.open("Webhook down").warnings == []
    assert web.requests.items == []  # nothing sent before the caller asks
    (line,) = session.deliver()
    assert "chat to frontline failed" in line and len(web.requests.items) == 1


def test_without_notify_nothing_is_sent(tmp_path: Path, failing_webhook: tuple[Any, Path]) -> None:
    web, matrix = failing_webhook
    session = Session(tmp_path / "cases.json", matrix, now=T0, notify=False)
    assert session.open("Webhook down").warnings == []
    assert [e["status"] for e in session.store.outbox()] == ["suppressed"]
    assert web.requests.items == []


def test_importing_the_package_leaves_the_session_unloaded() -> None:
    probe = (
        "import sys, escalate_cli\n"
        "assert 'escalate_cli.core.session' not in sys.modules\n"
        "from escalate_cli import Session\n"
        "assert Session.__module__ == 'escalate_cli.core.session'\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


def test_cases_are_what_list_shows_with_their_due_times(location: str) -> None:
    with Session(location, BASIC_MATRIX, now=T0) as session:
        session.open("Printer jams")  # L1 ack 15m: due 10:15
        session.open("Checkout down")
        session.resolve("ESC-2", "fixed")
        listed = session.cases()
        assert [c["id"] for c in listed.cases] == ["ESC-1"]
        assert (listed.due[1].at, listed.due[1].acts) == (T0 + timedelta(minutes=15), False)
        assert (listed.skipped, listed.team) == ([], "Test support")
        assert [c["id"] for c in session.cases(status="all").cases] == ["ESC-1", "ESC-2"]
        assert session.cases(due=False).due == {}
        assert session.cases(overdue=True).cases == []
    later = T0 + timedelta(minutes=20)
    with Session(location, BASIC_MATRIX, now=later) as session:
        overdue = session.cases(overdue=True, due=False)
        assert [c["id"] for c in overdue.cases] == ["ESC-1"] and overdue.due[1].acts


def test_cases_skip_a_case_with_an_unusable_time_and_name_it(tmp_path: Path) -> None:
    store = tmp_path / "cases.json"
    with Session(store, BASIC_MATRIX, now=T0) as session:
        session.open("Printer jams")
        session.open("Checkout down")
        with session.store.transaction() as tx:
            bad = tx.get(2)
            assert bad is not None
            bad["created_at"] = "junk"
            tx.put(bad)
        listed = session.cases()
    assert [c["id"] for c in listed.cases] == ["ESC-1"]
    ((case, problem),) = listed.skipped
    assert case["id"] == "ESC-2" and "created_at" in problem


def test_cases_without_a_matrix_show_every_team_and_no_due_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "cases.json"
    Session(store, BASIC_MATRIX, now=T0).open("Printer jams")
    monkeypatch.delenv("ESCALATE_MATRIX")
    monkeypatch.chdir(tmp_path)
    session = Session(store, now=T0)
    listed = session.cases()
    assert ([c["id"] for c in listed.cases], listed.due, listed.team) == (["ESC-1"], {}, None)
    with pytest.raises(MatrixError, match="no matrix found"):
        session.cases(overdue=True)  # what is overdue is the matrix's to say


def test_cases_read_the_clock_once_and_only_when_they_need_it(tmp_path: Path) -> None:
    reads: list[datetime] = []

    def clock() -> datetime:
        reads.append(T0)
        return T0

    session = Session(tmp_path / "cases.json", BASIC_MATRIX, now=clock)
    session.open("Printer jams")
    session.open("Checkout down")
    reads.clear()
    session.cases(due=False)  # nothing on hold, no due times: no time needed
    assert reads == []
    session.hold("ESC-2", "waiting on the customer")
    reads.clear()
    session.cases()  # a held case and the due times: one reading for both
    assert len(reads) == 1


def test_the_board_and_the_live_board_through_the_session(tmp_path: Path) -> None:
    store = tmp_path / "cases.json"
    session = Session(store, BASIC_MATRIX, now=T0 + timedelta(minutes=20))
    Session(store, BASIC_MATRIX, now=T0).open("Printer jams")  # overdue since 10:15
    board = session.board()
    assert board.now == T0 + timedelta(minutes=20)
    assert [row.to_json()["overdue"] for row in board.rows] == [True]
    with session.watch() as watched:
        assert not watched.poll()
        Session(store, BASIC_MATRIX, now=T0).open("Checkout down")
        assert watched.poll() and watched.trouble == {}
        rows = watched.rows(T0 + timedelta(minutes=5))
        assert [(row.case, row.overdue) for row in rows] == [("ESC-1", False), ("ESC-2", False)]


def test_metrics_count_this_teams_cases(location: str) -> None:
    with Session(location, BASIC_MATRIX, now=T0) as session:
        session.open("Printer jams")
        session.acknowledge("ESC-1")
        result = session.metrics()
        assert (result.cases, result.open, result.acknowledged) == (1, 1, 1)
        assert session.metrics(timedelta(hours=1), all_matrices=True).cases == 1
    with Session(location, BASIC_MATRIX, now=T0 + timedelta(days=2)) as session:
        assert session.metrics(timedelta(days=1)).cases == 0


def test_the_outbox_can_be_listed_and_dropped(
    tmp_path: Path, failing_webhook: tuple[Any, Path]
) -> None:
    _, matrix = failing_webhook
    session = Session(tmp_path / "cases.json", matrix, now=T0, notify=False)
    session.open("Webhook down")
    assert session.outbox().entries == [] and not session.outbox().no_channels
    (entry,) = session.outbox("all").entries
    with pytest.raises(RefusedError, match="is suppressed: nothing to do"):
        session.retry([entry["id"]])
    assert session.drop_outbox([entry["id"]]) == [entry["id"]]
    assert session.outbox("all").entries == []
    with pytest.raises(NotFoundError, match="is not in the outbox"):
        session.drop_outbox([entry["id"]])


def test_an_empty_outbox_says_when_the_matrix_has_no_channels(tmp_path: Path) -> None:
    session = Session(tmp_path / "cases.json", BASIC_MATRIX, now=T0)
    session.open("Printer jams")
    assert session.outbox("all").entries == [] and session.outbox("all").no_channels


def test_init_prepares_the_store_and_records_the_matrix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "new" / "cases.json"
    done = Session(store, BASIC_MATRIX).init()
    assert (done.store, done.matrix_path, done.name) == (str(store), BASIC_MATRIX, "Test support")
    monkeypatch.delenv("ESCALATE_MATRIX")
    monkeypatch.chdir(tmp_path)
    assert Session(store).matrix_path() == BASIC_MATRIX  # what init recorded
    from escalate_cli.core.matrix import matrix_cache

    with pytest.raises(UsageError, match="init needs a matrix"):
        Session(tmp_path / "other.json", matrix_cache.load(BASIC_MATRIX)).init()


def test_store_copy_opens_both_stores_and_counts_both_sides(tmp_path: Path, location: str) -> None:
    from escalate_cli.core.store.store_copy import copy_between

    source = tmp_path / "source.json"
    with Session(source, BASIC_MATRIX, now=T0) as session:
        session.open("Printer jams")
        session.open("Checkout down")
        session.resolve("ESC-2", "fixed")
        session.close("ESC-2")
    copied = copy_between(str(source), location)
    shaped = copied.as_json()
    assert (shaped["source"]["store"], shaped["target"]["store"]) == (str(source), copied.target)
    assert shaped["source"] | {"store": None} == shaped["target"] | {"store": None}
    assert (shaped["target"]["open"], shaped["target"]["archived"]) == (1, 1)
    with Session(location, BASIC_MATRIX, now=T0) as session:
        assert [c["id"] for c in session.cases(status="all").cases] == ["ESC-1", "ESC-2"]
