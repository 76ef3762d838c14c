"""update, hold, resume, resolve, close and reopen through the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli


def opened(cli: Cli) -> str:
    return cli("open", "Printer on fire", "-q").stdout.strip()


def test_update_logs_the_audience_and_resets_silence(cli: Cli) -> None:
    case_id = opened(cli)
    case = cli.json(
        "update",
        case_id,
        "Still investigating",
        "--audience",
        "customer",
        "--by",
        "frontline",
        "--now",
        "2026-11-23T10:30:00Z",
    )
    entry = case["timeline"][-1]
    assert (entry["kind"], entry["text"], entry["by"]) == (
        "update",
        "Still investigating",
        "frontline",
    )
    assert entry["data"] == {"audience": "customer"}
    assert case["last_update_at"] == "2026-11-23T10:30:00Z"
    internal = cli.json("update", case_id, "Internal note", "--now", "2026-11-23T10:40:00Z")
    (logged,) = [e for e in internal["timeline"] if e["text"] == "Internal note"]
    assert logged["data"] == {"audience": "internal"}
    assert "--audience" in cli("update", case_id, "x", "--audience", "everyone", code=2).stderr
    assert "text" in cli("update", case_id, " ", code=2).stderr


def test_resolve_close_reopen(cli: Cli, tmp_path: Path) -> None:
    case_id = opened(cli)
    resolved = cli.json("resolve", case_id, "--summary", "Replaced the fuser")
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "Replaced the fuser")
    assert resolved["resolved_at"] == "2026-11-23T10:00:00Z"
    assert "already resolved" in cli("resolve", case_id, "--summary", "again", code=5).stderr
    closed = cli.json("close", case_id)
    assert closed["status"] == "closed"
    # Closed cases leave the everyday list and the hot file, but stay findable.
    assert cli.json("list") == []
    assert [c["id"] for c in cli.json("list", "--status", "closed")] == [case_id]
    assert cli.json("show", case_id)["status"] == "closed"
    assert [c["id"] for c in cli.json("list", "--status", "all")] == [case_id]
    assert "already closed" in cli("close", case_id, code=5).stderr
    reopened = cli.json(
        "reopen", case_id, "--reason", "Smoke again", "--now", "2026-11-24T09:00:00Z"
    )
    assert (reopened["status"], reopened["reopened"]) == ("open", 1)
    assert reopened["resolved_at"] is None and reopened["closed_at"] is None
    assert reopened["level_entered_at"] == "2026-11-24T09:00:00Z"
    assert [c["id"] for c in cli.json("list")] == [case_id]
    assert "only resolved or closed" in cli("reopen", case_id, "--reason", "x", code=5).stderr


def test_resolve_needs_a_summary_and_reopen_a_reason(cli: Cli) -> None:
    case_id = opened(cli)
    assert "--summary" in cli("resolve", case_id, code=2).stderr
    cli("resolve", case_id, "--summary", "done")
    assert "--reason" in cli("reopen", case_id, code=2).stderr


def test_hold_and_resume(cli: Cli) -> None:
    case_id = opened(cli)
    held = cli.json("hold", case_id, "--reason", "Waiting for logs", "--until", "2h")
    assert held["status"] == "on_hold"
    assert held["holds"][-1]["until"] == "2026-11-23T12:00:00Z"
    assert "on hold" in cli("hold", case_id, "--reason", "again", code=5).stderr
    assert (
        "not in the future"
        in cli(
            "hold", opened(cli), "--reason", "x", "--until", "2026-11-23T09:00:00Z", code=2
        ).stderr
    )
    assert "--until" in cli("hold", case_id, "--reason", "x", "--until", "soonish", code=2).stderr
    resumed = cli.json("resume", case_id, "--now", "2026-11-23T10:30:00Z")
    assert resumed["status"] == "open"
    assert resumed["holds"][-1]["ended_at"] == "2026-11-23T10:30:00Z"
    assert "not on hold" in cli("resume", case_id, code=5).stderr


def test_every_change_prints_the_case_as_json_and_next_for_people(cli: Cli) -> None:
    case_id = opened(cli)
    out = cli("update", case_id, "Still on it").stdout
    assert out.startswith(f"{case_id} update logged (internal)")
    assert "Next: L2 (Support supervisor)" in out
