"""A hold with --until that has passed is over for every read-only command (timing rule 6),
and none of them writes the store; the next write records the `resumed` event at --until."""

from __future__ import annotations

import pytest

from tests.conftest import Cli
from tests.stores import snapshot, stored_case

LATER = "2026-11-23T13:00:00Z"  # the hold ended at 11:00; L1's `after` (2h + 50m held) is due


@pytest.fixture
def held(cli: Cli) -> None:
    """ESC-1 acknowledged at 10:05, on hold from 10:10 until 11:00."""
    cli("open", "Printer on fire", "-q")
    cli("acknowledge", "ESC-1", "--now", "2026-11-23T10:05:00Z")
    cli("hold", "ESC-1", "--reason", "waiting for logs", "--until", "2026-11-23T11:00:00Z",
        "--now", "2026-11-23T10:10:00Z")  # fmt: skip


def test_read_only_commands_see_the_real_status_and_write_nothing(cli: Cli, held: None) -> None:
    before = snapshot()
    at = ("--now", LATER)
    shown = cli.json("show", "ESC-1", *at)
    assert shown["status"] == "acknowledged"
    assert shown["holds"][-1]["ended_at"] == "2026-11-23T11:00:00Z"
    assert "on_hold" not in cli("show", "ESC-1", *at).stdout
    assert [c["status"] for c in cli.json("list", *at)] == ["acknowledged"]
    assert cli.json("list", "--status", "on_hold", *at) == []
    assert [c["id"] for c in cli.json("list", "--status", "acknowledged", *at)] == ["ESC-1"]
    overdue = cli.json("list", "--overdue", *at)
    assert [(c["id"], c["status"]) for c in overdue] == [("ESC-1", "acknowledged")]
    listed = cli("list", "--wide", *at).stdout
    assert "on_hold" not in listed and "2026-11-23 12:50 UTC" in listed
    assert cli.json("brief", "ESC-1", *at)["status"] == "acknowledged"
    assert "Status: acknowledged" in cli("brief", "ESC-1", *at).stdout
    assert cli.json("report", "ESC-1", *at)["status"] == "acknowledged"
    assert "on_hold" not in cli("report", "ESC-1", *at).stdout
    assert cli.json("next", "ESC-1", *at)["next"]["due_at"] == "2026-11-23T12:50:00Z"
    assert cli.json("who", "ESC-1", *at)["owner"] == "frontline"
    assert snapshot() == before
    # While the hold lasts, the same commands still say so.
    assert cli.json("show", "ESC-1", "--now", "2026-11-23T10:30:00Z")["status"] == "on_hold"
    assert cli.json("list", "--status", "on_hold", "--now", "2026-11-23T10:30:00Z") != []


def test_the_next_write_records_the_resume_at_until(cli: Cli, held: None) -> None:
    case = cli.json("update", "ESC-1", "Logs arrived", "--now", LATER)
    resumed = [e for e in case["timeline"] if e["kind"] == "resumed"]
    assert [(e["at"], e["by"]) for e in resumed] == [("2026-11-23T11:00:00Z", None)]
    assert case["status"] == "acknowledged"
    stored = stored_case(1)
    assert stored is not None and "resumed" in [e["kind"] for e in stored["timeline"]]
