"""`escalate metrics` on PostgreSQL is summed in SQL (`case_metrics`), and gives exactly what the
JSON store's reading of every case gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.documents import metrics
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_file import dumps
from escalate_cli.core.store.store_pg import PgStore, _metrics_row, _row
from escalate_cli.core.store.store_pg_schema import MIGRATIONS
from tests.cli.test_metrics import history  # noqa: F401  (a fixture)
from tests.conftest import Cli

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WINDOWS = [None, timedelta(days=7), timedelta(hours=25), timedelta(days=3, hours=1), timedelta(0)]


def case(number: int, **fields: Any) -> dict[str, Any]:
    return {"number": number, "id": f"ESC-{number}", "status": "closed", **fields}


# Cases whose figures are unusual but exact: counted the same by both paths.
ODD_BUT_EXACT = [
    case(1, created_at="2026-11-20T09:00:00Z", acknowledged_at="2026-11-20T09:07:13Z"),
    case(2, created_at="2026-11-20T09:00:00Z", breached=["ack", "ack", "later"], reopened=2),
    # L02 and L2 sort as equals: the first seen comes first, on both paths
    case(3, created_at="2026-11-21T08:00:00Z", type="legal", escalations=[{"to": "L02"}]),
    case(4, created_at="2026-11-21T08:00:00Z", escalations=[{"to": "L2", "path": "vip"}] * 2),
    case(5, status="open", created_at="2026-11-22T09:00:00Z", matrix="Other team"),
    case(6, status="on_hold", created_at="2026-11-22T10:00:00+02:00", matrix="Basic support"),
    case(7, created_at="2026-11-16T10:00:00Z", resolved_at="2026-11-16T10:00:01.5Z"),
    case(8, status="acknowledged"),  # no created_at: counted without a window
]


def both(tmp_path: Path, pg_url: str, cases: list[dict[str, Any]]) -> tuple[Any, PgStore]:
    json_store, pg_store = CaseStore(tmp_path / "cases.json"), PgStore(pg_url)
    for store in (json_store, pg_store):
        with store.transaction() as tx:
            for one in cases:
                tx.put(dict(one))
    return json_store, pg_store


def summed_in_sql(store: PgStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("metrics read the cases instead of summing them in SQL")

    monkeypatch.setattr(store, "cases", no_reading)


def test_both_stores_give_identical_metrics_on_the_same_cases(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    json_store, pg_store = both(tmp_path, pg_url, ODD_BUT_EXACT[:-1])
    summed_in_sql(pg_store, monkeypatch)
    for team in (None, "Basic support", "Other team", "nobody"):
        for since in WINDOWS:
            expected = metrics.for_store(json_store, NOW, since, team)
            assert metrics.for_store(pg_store, NOW, since, team) == expected, (team, since)
    everything = metrics.for_store(pg_store, NOW).to_json()
    assert everything["breaches"] == {"ack": 2, "resolve": 0}
    assert list(everything["escalations"]["by_level"]) == ["L02", "L2"]
    assert everything["escalations"]["by_path"] == {"legal": 1, "vip": 2}
    pg_store.close()


def test_a_case_without_a_usable_time_is_read_and_reported_as_on_a_json_store(
    tmp_path: Path, pg_url: str
) -> None:
    json_store, pg_store = both(tmp_path, pg_url, ODD_BUT_EXACT)
    assert metrics.for_store(pg_store, NOW) == metrics.for_store(json_store, NOW)  # in SQL
    for store in (json_store, pg_store):  # a window needs every created_at: both read the cases
        with pytest.raises(ValueError, match="ESC-8: bad created_at None"):
            metrics.for_store(store, NOW, timedelta(days=7))
    broken = case(9, created_at="2026-11-20T09:00:00Z", acknowledged_at="yesterday")
    assert _metrics_row(broken)[-1] is False  # not exact: the sums cannot hold it
    for store in (json_store, pg_store):
        with store.transaction() as tx:
            tx.put(broken)
        with pytest.raises(ValueError, match="ESC-9: bad acknowledged_at 'yesterday'"):
            metrics.for_store(store, NOW)
    pg_store.close()


def test_metrics_json_is_the_same_on_both_stores_after_real_commands(
    history: Cli,  # noqa: F811
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CLI tests' history (opens, sweeps, resolves, a reopen), copied to PostgreSQL; and
    `--by` a case column, summed in SQL too."""
    history("store", "copy", str(tmp_path / "store" / "cases.json"), pg_url)
    monkeypatch.setattr(PgStore, "cases", lambda *a, **k: pytest.fail("read the cases"))
    groups = [["--by", by] for by in ("severity", "owner", "path", "level")]
    for args in ([], ["--since", "7d"], ["--since", "25h"], ["--all-matrices"], *groups):
        on_json = history.json("metrics", *args)
        assert history.json("--store", pg_url, "metrics", *args) == on_json, args


def test_the_migration_fills_case_metrics_for_cases_written_before_it(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PgStore(pg_url)
    with store._cursor() as cur:  # a store as the first schema left it
        cur.execute(MIGRATIONS[0])
        cur.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        cur.execute("INSERT INTO schema_version VALUES (1)")
        for one in ODD_BUT_EXACT[:-1]:
            row = _row(one, dumps(one).decode(), None)
            # without due_key, external_id (migration 3) and search_words (migration 4)
            first_schema = row[:9] + row[10:-2]
            values = ", ".join(["%s"] * len(first_schema))
            cur.execute(f"INSERT INTO cases VALUES ({values})", first_schema)
    migrated = PgStore(pg_url)
    migrated.prepare()
    with migrated._cursor() as cur:
        cur.execute("SELECT count(*), bool_and(exact) FROM case_metrics")
        assert cur.fetchone() == (len(ODD_BUT_EXACT) - 1, True)
    json_store = CaseStore(tmp_path / "c.json")
    with json_store.transaction() as tx:
        for one in ODD_BUT_EXACT[:-1]:
            tx.put(dict(one))
    summed_in_sql(migrated, monkeypatch)
    for since in WINDOWS:
        assert metrics.for_store(migrated, NOW, since) == metrics.for_store(json_store, NOW, since)
    store.close()
    migrated.close()
