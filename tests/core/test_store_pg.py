"""The PostgreSQL store: schema and migrations, transactions, racing processes, store copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.errors import RefusedError, StoreError
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_base import open_store, redact
from escalate_cli.core.store.store_copy import copy_store, counts
from escalate_cli.core.store.store_pg import PgStore
from escalate_cli.core.store.store_pg_schema import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import Cli

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("pg_worker.py")


def make_case(number: int, status: str = "open", **extra: Any) -> dict[str, Any]:
    return {"number": number, "id": f"ESC-{number}", "status": status, **extra}


@pytest.fixture
def store(pg_url: str) -> Any:
    store = PgStore(pg_url, lock_timeout=5)
    yield store
    store.close()


def rows(store: PgStore, query: str) -> list[tuple[Any, ...]]:
    with store._cursor() as cur:
        cur.execute(query)
        return list(cur.fetchall())


# --- schema ------------------------------------------------------------------------------------


def test_a_new_database_reads_empty_and_creates_nothing(store: PgStore) -> None:
    assert (store.exists(), store.cases(archived=True), store.outbox(), store.read_meta()) == (
        False,
        [],
        [],
        {},
    )
    assert store.get(1) is None
    assert rows(store, "SELECT to_regclass('cases') IS NULL") == [(True,)]


def test_prepare_creates_the_schema_once_and_records_each_migration(store: PgStore) -> None:
    store.prepare()
    store.prepare()
    assert rows(store, "SELECT version FROM schema_version ORDER BY version") == [
        (n,) for n in range(1, len(MIGRATIONS) + 1)
    ]
    assert store.read_meta() == {"last_number": 0, "schema_version": SCHEMA_VERSION}
    indexes = {name for (name,) in rows(store, "SELECT indexname FROM pg_indexes")}
    assert {"cases_open", "cases_open_status", "cases_open_wake", "cases_closed"} <= indexes


def test_a_schema_newer_than_this_escalate_is_exit_6(store: PgStore, pg_url: str) -> None:
    store.prepare()
    with store._cursor() as cur:
        cur.execute("INSERT INTO schema_version VALUES (%s)", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer escalate"):
        PgStore(pg_url).cases()


def test_the_columns_follow_the_document(store: PgStore) -> None:
    case = make_case(1, level="L1", owner="dana", severity="sev1", type="billing")
    case.update(matrix="support", created_at="2026-11-23T10:00:00Z", timeline=[{"kind": "x"}])
    with store.transaction() as tx:
        tx.put(case)
    with store.transaction() as tx:
        tx.put({**case, "status": "closed", "closed_at": "2026-11-24T10:00:00Z"})
    (row,) = rows(
        store,
        "SELECT status, level, owner, matrix, severity, type, archived, created_at::text,"
        " closed_at::text FROM cases",
    )
    assert row[:7] == ("closed", "L1", "dana", "support", "sev1", "billing", True)
    assert row[7].startswith("2026-11-23 10:00:00") and row[8].startswith("2026-11-24 10:00:00")
    assert store.cases() == []
    assert store.cases(archived=True, history=False) == [
        {k: v for k, v in case.items() if k != "timeline"}
        | {"status": "closed", "closed_at": "2026-11-24T10:00:00Z"}
    ]


def test_documents_come_back_exactly_as_written(store: PgStore) -> None:
    """jsonb would reorder keys and refuse \\u0000; the json column keeps the text."""
    case = {"number": 1, "id": "ESC-1", "status": "open", "zeta": 1, "alpha": "a\x00b\x1b[2J"}
    case["lone"] = "\udc80"
    with store.transaction() as tx:
        tx.put(case)
    got = store.get(1)
    assert got == case and list(got) == list(case)


# --- transactions ------------------------------------------------------------------------------


def test_numbers_are_sequential_and_never_reused(store: PgStore) -> None:
    with store.transaction() as tx:
        assert [tx.next_number() for _ in range(3)] == [1, 2, 3]
    with store.transaction() as tx:
        tx.put(make_case(10))
    with store.transaction() as tx:
        assert tx.next_number() == 11


def test_a_transaction_reads_the_cases_it_put_before_they_are_written(store: PgStore) -> None:
    """Puts are written together, before anything in the transaction could read them."""
    with store.transaction() as tx:
        tx.put(make_case(5, title="a"))
        assert tx.get(5) == make_case(5, title="a")
        tx.put(make_case(5, title="b"))
        tx.put(make_case(6))
        assert [case.get("title") for case in tx.cases()] == ["b", None]
        tx.put(make_case(9))
        assert tx.next_number() == 10  # never a number put by hand
        tx.put(make_case(10))
    assert [case["number"] for case in store.cases()] == [5, 6, 9, 10]
    assert store.get(5) == make_case(5, title="b")
    assert store.read_meta()["last_number"] == 10
    with store._cursor() as cur:
        cur.execute("SELECT count(*) FROM case_metrics")
        assert cur.fetchone() == (4,)


def test_an_exception_rolls_everything_back(store: PgStore) -> None:
    with store.transaction() as tx:
        tx.put(make_case(tx.next_number()))
    with pytest.raises(KeyError), store.transaction() as tx:
        tx.put(make_case(tx.next_number(), title="lost"))
        tx.put_outbox({"id": "e1", "status": "pending"})
        tx.meta["matrix"] = "x.yaml"
        raise KeyError("boom")
    assert store.cases() == [make_case(1)]
    assert (store.outbox(), store.read_meta()["last_number"]) == ([], 1)
    assert "matrix" not in store.read_meta()


def test_meta_and_outbox_persist(store: PgStore) -> None:
    with store.transaction() as tx:
        tx.meta["matrix"] = "/m.yaml"
        for n in (3, 1, 2):
            tx.put_outbox({"id": f"e{n}", "status": "pending"})
    with store.transaction() as tx:
        tx.put_outbox({"id": "e1", "status": "sent"})
        tx.drop_outbox(["e2", "nope"])
    assert store.read_meta()["matrix"] == "/m.yaml"
    assert store.outbox() == [{"id": "e3", "status": "pending"}, {"id": "e1", "status": "sent"}]


def test_nested_transaction_is_refused_not_deadlocked(store: PgStore) -> None:
    with store.transaction(), pytest.raises(RuntimeError), store.transaction():
        pass


def test_a_row_held_too_long_is_exit_6(store: PgStore, pg_url: str) -> None:
    with store.transaction() as tx:
        tx.put(make_case(1))
    other = PgStore(pg_url, lock_timeout=0.2)
    with store.transaction() as tx:
        assert tx.get(1) is not None  # row locked until this block ends
        locked = pytest.raises(StoreError, match="locked by another escalate process")
        with locked, other.transaction() as tx2:
            tx2.get(1)
        with other.transaction() as tx2:
            assert tx2.claim(1) is None  # a sweep skips it instead of waiting
            assert tx2.get(2) is None
    other.close()


# --- racing processes --------------------------------------------------------------------------


def start_workers(mode: str, url: str, *, count: int, processes: int) -> list[Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), mode, url, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        assert worker.stdout.readline() == "ready\n", worker.communicate()[1]
    return workers


def go(workers: list[Any]) -> list[Any]:
    """Release every worker at once; what each one reports."""
    for worker in workers:
        worker.stdin.close()
        worker.stdin = None
    said = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        report, done = out.splitlines()
        assert done == "done"
        said.append(json.loads(report))
    return said


def test_twenty_processes_allocate_unique_numbers(store: PgStore, pg_url: str) -> None:
    store.prepare()
    said = go(start_workers("alloc", pg_url, count=10, processes=20))
    numbers = [n for got in said for n in got]
    assert sorted(numbers) == list(range(1, 201))
    cases = store.cases()
    assert [c["number"] for c in cases] == list(range(1, 201))
    assert len({c["pid"] for c in cases}) == 20
    assert store.read_meta()["last_number"] == 200


def test_racing_writers_on_one_case_lose_nothing(store: PgStore, pg_url: str) -> None:
    with store.transaction() as tx:
        tx.put(make_case(tx.next_number(), counter=0))
    go(start_workers("count", pg_url, count=50, processes=4))
    assert store.get(1) == make_case(1, counter=200)


def test_four_racing_sweeps_move_each_due_case_once(
    cli: Cli, pg_url: str, store: PgStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATE_STORE", pg_url)
    for n in range(40):
        cli("open", f"case {n}", "-q")  # L1's ack (15 m) is due at 10:20
    moved = go(start_workers("sweep", pg_url, count=1, processes=4))
    everyone = [case for got in moved for case in got]
    assert sorted(everyone) == sorted(f"ESC-{n}" for n in range(1, 41))  # each once
    for case in store.cases():
        escalations = [e for e in case["timeline"] if e["kind"] == "escalated"]
        assert len(escalations) == 1, case["id"]
        assert case["level"] == "L2"


def test_four_racing_claims_send_each_notification_once(store: PgStore, pg_url: str) -> None:
    with store.transaction() as tx:
        for n in range(60):
            entry = {"id": f"e{n}", "status": "pending", "attempts": 0, "case": "ESC-1"}
            tx.put_outbox(entry | {"channel": "email", "contact": "dana", "claim": None})
    claimed = go(start_workers("claim", pg_url, count=1, processes=4))
    ids = [ident for got in claimed for ident in got]
    assert sorted(ids) == sorted(f"e{n}" for n in range(60))
    assert {entry["status"] for entry in store.outbox()} == {"sent"}


# --- store copy --------------------------------------------------------------------------------


def fill(store: Any) -> None:
    with store.transaction() as tx:
        tx.meta["matrix"] = "/team/support.yaml"
        for n in range(1, 6):
            tx.put(make_case(n, "closed" if n % 2 else "open", timeline=[{"kind": "opened"}]))
        tx.put_outbox({"id": "e1", "status": "failed", "case": "ESC-2"})
        tx.put_outbox({"id": "e0", "status": "pending", "case": "ESC-4"})
        tx.meta["last_number"] = 7  # case 6 and 7 were opened and removed by hand


def test_copy_json_to_postgres_and_back(tmp_path: Path, store: PgStore) -> None:
    source = CaseStore(tmp_path / "a" / "cases.json")
    fill(source)
    before, after = copy_store(source, store)
    assert before == after
    assert (after.open, after.archived, after.outbox, after.last_number) == (2, 3, 2, 7)
    assert store.cases(archived=True) == source.cases(archived=True)
    assert store.outbox() == source.outbox()
    assert store.read_meta()["matrix"] == "/team/support.yaml"
    back = CaseStore(tmp_path / "b" / "cases.json")
    assert copy_store(store, back) == (after, after)
    assert back.cases(archived=True) == source.cases(archived=True)
    assert back.outbox() == source.outbox() and back.read_meta() == source.read_meta()
    assert back.archive_path.exists()  # the closed cases went to the archive
    with back.transaction() as tx:
        assert tx.next_number() == 8


def test_copy_refuses_a_target_that_holds_cases(tmp_path: Path, store: PgStore) -> None:
    source = CaseStore(tmp_path / "cases.json")
    fill(source)
    with store.transaction() as tx:
        tx.put(make_case(1, title="theirs"))
    with pytest.raises(RefusedError, match="already holds 1 case"):
        copy_store(source, store)
    assert store.cases() == [make_case(1, title="theirs")]
    assert counts(store).outbox == 0


def test_copy_cli_prints_the_counts_of_both_sides(cli: Cli, tmp_path: Path, pg_url: str) -> None:
    fill(CaseStore(tmp_path / "cases.json"))
    result = cli("store", "copy", str(tmp_path / "cases.json"), pg_url)
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert all("2 open, 3 archived, 2 in the outbox; last case number 7" in x for x in lines)
    again = cli("store", "copy", str(tmp_path / "cases.json"), pg_url, code=5)
    assert "already holds 5 case(s)" in again.stderr
    shown = cli.json("store", "copy", pg_url, str(tmp_path / "back.json"))
    assert shown["source"]["archived"] == shown["target"]["archived"] == 3


# --- URLs, passwords and the driver ------------------------------------------------------------


def test_urls_are_printed_without_their_password() -> None:
    assert redact("postgresql://ann:s3cret@db.example:5432/esc") == (
        "postgresql://ann@db.example:5432/esc"
    )
    assert redact("postgres://db/esc?password=s3cret&sslmode=require") == (
        "postgres://db/esc?sslmode=require"
    )
    assert redact("postgresql:///esc?host=/run/pg") == "postgresql:///esc?host=/run/pg"


def test_a_failed_connection_names_the_url_without_the_password(cli: Cli, pg_cluster: Any) -> None:
    url = pg_cluster.url().replace("user=postgres", "user=nobody") + "&password=s3cret"
    result = cli("--store", url, "list", code=6)
    assert "s3cret" not in result.stderr and "nobody" in result.stderr
    url = "postgresql://ann:s3cret@127.0.0.1:1/esc?connect_timeout=2"
    result = cli("--store", url, "list", code=6)
    assert "s3cret" not in result.stderr and "ann@127.0.0.1:1" in result.stderr


def test_init_prints_the_url_without_the_password(
    cli: Cli, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "unused")  # trust auth; libpq reads it all the same
    url = pg_url.replace("postgresql:///", "postgresql://postgres:s3cret@/")
    result = cli("--store", url, "init")
    assert "s3cret" not in result.stderr and "postgres@/" in result.stderr
    assert cli.json("--store", url, "init")["store"] == redact(url)
    assert open_store(pg_url).exists()


def test_without_the_driver_a_url_is_exit_6_with_the_install_command(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg2", None)  # import psycopg2 now fails
    result = cli("--store", "postgresql://db.example/esc", "list", code=6)
    assert "pip install 'escalate-cli[postgres]'" in result.stderr


def test_a_json_store_never_imports_the_driver(tmp_path: Path) -> None:
    code = (
        "import sys; from escalate_cli.cli import app\n"
        "try: app(['open', 'x', '-q'])\n"
        "except SystemExit: pass\n"
        "assert 'psycopg2' not in sys.modules, 'imported'\n"
    )
    env = {**os.environ, "ESCALATE_STORE": str(tmp_path / "cases.json")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=REPO, timeout=60)


def test_recording_a_sent_entry_waits_for_a_racing_claimer(store: PgStore, pg_url: str) -> None:
    """Settling must not skip an entry another transaction holds: left `sending` by a process
    that then exits, the entry would be taken over and sent a second time."""
    import threading

    from escalate_cli.core.notify import outbox

    now = datetime(2026, 11, 23, 10, 20, tzinfo=UTC)
    claim = {"token": "t1", "pid": os.getpid(), "host": "here", "at": "2026-11-23T10:20:00Z"}
    entry = {"id": "e1", "status": "sending", "attempts": 1, "case": "ESC-1", "claim": claim}
    entry |= {"channel": "email", "contact": "dana", "at": "2026-11-23T10:20:00Z"}
    with store.transaction() as tx:
        tx.put_outbox(entry)
    other = PgStore(pg_url)

    def settle() -> None:
        with other.transaction() as tx:
            outbox.settle(tx, "t1", [outbox.Outcome(entry, None)], now)

    with store.transaction() as tx:
        assert [e["id"] for e in tx.outbox()] == ["e1"]  # a claimer holds the row
        settler = threading.Thread(target=settle)
        settler.start()
        settler.join(0.5)
        assert settler.is_alive()  # waiting, not skipping
    settler.join(10)
    other.close()
    assert [e["status"] for e in store.outbox()] == ["sent"]


def test_two_transactions_reading_the_outbox_twice_never_deadlock(
    store: PgStore, pg_url: str
) -> None:
    """An entry whose `seq` was drawn first but committed last appears between a transaction's
    two reads (as `prune`, then `settle`): locking rows in `seq` order alone then deadlocked
    two settling sweeps. The outbox lock makes the second reader wait before it locks any row."""
    import threading

    import psycopg2

    store.prepare()
    slow = psycopg2.connect(pg_url)  # draws seq 1 now, commits last
    with slow.cursor() as cur:
        cur.execute("INSERT INTO outbox (id, status, doc) VALUES ('low', 'pending', '{}')")
    with store.transaction() as tx:
        tx.put_outbox({"id": "high", "status": "pending"})
    other = PgStore(pg_url, lock_timeout=10)
    seen: list[list[str]] = []

    def read_twice() -> None:
        with other.transaction() as tx:
            seen.append([entry.get("id", "low") for entry in tx.outbox()])
            seen.append([entry.get("id", "low") for entry in tx.outbox()])

    with store.transaction() as tx:
        assert [entry["id"] for entry in tx.outbox()] == ["high"]
        slow.commit()
        reader = threading.Thread(target=read_twice)
        reader.start()
        reader.join(0.5)
        assert reader.is_alive()  # waiting for this transaction
        assert [entry.get("id", "low") for entry in tx.outbox()] == ["low", "high"]
    reader.join(10)
    assert not reader.is_alive() and seen == [["low", "high"]] * 2
    slow.close()
    other.close()


def test_fields_no_text_column_can_hold_stay_whole_in_the_document(store: PgStore) -> None:
    case = make_case(1, owner="da\x00na", level="L\udc801")
    with store.transaction() as tx:
        tx.put(case)
    assert store.get(1) == case
    assert rows(store, "SELECT owner, level FROM cases") == [("dana", "L?1")]


def test_a_row_changed_by_hand_into_no_case_is_exit_6(store: PgStore) -> None:
    with store.transaction() as tx:
        tx.put(make_case(1))
        tx.put(make_case(2))
    with store._cursor() as cur:
        cur.execute("""UPDATE cases SET doc = '[1]', brief = '{}' WHERE number = 2""")
    assert store.get(1) == make_case(1)
    for read in (lambda: store.get(2), store.cases, lambda: store.cases(history=False)):
        with pytest.raises(StoreError, match='has case "2" whose document is not that case'):
            read()
    with pytest.raises(StoreError, match="has case"), store.transaction() as tx:
        tx.get(2)


def test_the_password_comes_from_pgpassword_or_pgpass_and_is_never_printed(
    cli: Cli, pg_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.pg_server import PASSWORD, PASSWORD_ROLE

    url = pg_cluster.password_url()
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    refused = cli("--store", url, "list", code=6)
    assert "password" in refused.stderr and PASSWORD not in refused.stderr
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert "ready" in cli("--store", url, "init").stderr
    assert cli("--store", url, "open", "from PGPASSWORD", "-q").stdout == "ESC-1\n"
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"*:*:*:{PASSWORD_ROLE}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert [c["title"] for c in cli.json("--store", url, "list")] == ["from PGPASSWORD"]
    wrong = url.replace("postgresql:///", "postgresql://x:wrong-pw@/").replace(
        f"user={PASSWORD_ROLE}&", ""
    )
    failed = cli("--store", wrong, "list", code=6)
    assert "wrong-pw" not in failed.stderr and "//x@/" in failed.stderr


def test_watchers_hear_of_each_write_to_their_store_and_nothing_else(
    store: PgStore, pg_url: str, pg_cluster: Any
) -> None:
    import time

    store.prepare()
    source = store.changes()
    elsewhere = PgStore(pg_cluster.url(pg_cluster.new_schema()))

    def heard() -> bool:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            if source.changed():
                return True
            time.sleep(0.02)
        return False

    assert not source.changed()
    writer = PgStore(pg_url)
    with writer.transaction() as tx:
        tx.put(make_case(tx.next_number()))
    assert heard()
    assert not source.changed()  # heard once
    with writer.transaction() as tx:
        tx.get(1)  # reads only
    with elsewhere.transaction() as tx:
        tx.put(make_case(1))  # another store in the same database
    assert not heard()
    with writer.transaction() as tx:
        tx.put_outbox({"id": "e1", "status": "pending"})
    assert heard()
    for one in (source, writer, elsewhere):
        one.close()
