"""What people read: counts in the right number, hints that fit, local times, the help to see,
and the exit codes and refusals of outbox retry and close."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.notify_servers import matrix_yaml, web_server


def opened(cli: Cli, *args: str) -> str:
    return cli("open", "Printer on fire", "-q", *args).stdout.strip()


def local_zone(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()


# counts ------------------------------------------------------------------------------------------


def test_one_of_a_thing_is_singular(cli: Cli, tmp_path: Path) -> None:
    case_id = opened(cli)
    assert cli("sweep", "--dry-run").stderr == "nothing due (1 case checked)\n"
    cli("resolve", case_id, "--summary", "fixed")
    assert cli("reopen", case_id, "--reason", "back").stdout.startswith(
        f"{case_id} reopened (1 time)\n"
    )
    assert "1 time\n" in cli("show", case_id).stdout
    cli("resolve", case_id, "--summary", "fixed again")
    assert f"{case_id} reopened (2 times)" in cli("reopen", case_id, "--reason", "again").stdout
    summary = cli("matrix", "validate").stdout
    assert "(4 levels, 10 contacts, 1 rotation, 3 paths, 3 severities, 1 trigger)" in summary
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "version: 1\ncontacts: [{id: sam}]\nlevels: [{id: L1, contacts: [sam]}]\nx: 1\n"
    )
    assert cli("matrix", "validate", str(broken), code=4).stderr.endswith(f"{broken}: 1 problem\n")


def test_an_empty_outbox_says_so_in_plain_words(cli: Cli) -> None:
    opened(cli)
    assert cli("outbox", "--status", "all").stderr.startswith("no notifications in the outbox")
    assert cli("outbox").stderr.startswith("no unsent notifications in the outbox")
    assert cli("outbox", "--status", "no_channel").stderr.startswith(
        "no notifications without a channel in the outbox"
    )


# brainstorm --------------------------------------------------------------------------------------


def test_choosing_before_any_option_says_how_to_add_one(cli: Cli) -> None:
    case_id = opened(cli)
    assert cli("brainstorm", case_id, "--choose", "1", code=3).stderr == (
        "error: no options yet on ESC-1: add one with --option TEXT\n"
    )
    cli("brainstorm", case_id, "--option", "roll back")
    assert "(the only option is 1)" in cli("brainstorm", case_id, "--choose", "2", code=3).stderr
    cli("brainstorm", case_id, "--option", "patch")
    assert "(options are 1 to 2)" in cli("brainstorm", case_id, "--choose", "3", code=3).stderr


# hours -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "hint"),
    [
        ("Mon-Fri 9am-6pm", "(use HH:MM-HH:MM, e.g. Mon-Fri 09:00-18:00)"),
        ("Mon-Fri 9-5", "(use HH:MM-HH:MM, e.g. Mon-Fri 09:00-18:00)"),
        ("Mon-Fri 08:00-18:00 CET", "(hours take no zone; set the contact's timezone)"),
        ("Mon-Fri 08:00-18:00 Europe/Paris", "(hours take no zone; set the contact's timezone)"),
        ("08:00-18:00", '(name the days: "daily 08:00-18:00"?)'),
        ("9am-6pm", '(name the days and use HH:MM-HH:MM, e.g. "daily 09:00-18:00")'),
    ],
)
def test_a_bad_hours_spec_gets_the_hint_that_fits(
    cli: Cli, tmp_path: Path, hours: str, hint: str
) -> None:
    matrix = tmp_path / "m.yaml"
    matrix.write_text(
        "version: 1\ncontacts:\n  - id: sam\n"
        f'    hours: "{hours}"\nlevels:\n  - id: L1\n    contacts: [sam]\n'
    )
    [problem, _] = cli("matrix", "validate", str(matrix), code=4).stderr.splitlines()
    assert problem == (
        f'{matrix}:4: contacts[0].hours: bad hours "{hours}": cannot read "{hours}" {hint}'
    )


# local times -------------------------------------------------------------------------------------


def test_times_in_errors_and_show_are_local(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    local_zone(monkeypatch, "Europe/Paris")
    case_id = opened(cli)
    past = cli("hold", case_id, "--reason", "x", "--until", "2026-11-22T10:00", code=2).stderr
    assert past == (
        "error: --until 2026-11-22 10:00 CET is not in the future (it is 2026-11-23 11:00 CET)\n"
    )
    cli("hold", case_id, "--reason", "x", "--until", "2026-11-23T14:00")
    again = cli("hold", case_id, "--reason", "y", code=5).stderr
    assert "it is on hold until 2026-11-23 14:00 CET (resume it first)" in again
    cli("resume", case_id)
    cli("resolve", case_id, "--summary", "fixed")
    cli("learn", case_id, "--follow-up", "2026-11-30T17:00", "--with", "dana")
    shown = cli("show", case_id).stdout
    assert "follow up with dana at 2026-11-30 17:00 CET" in shown
    assert "on hold until 2026-11-23 14:00 CET: x" in shown  # the timeline, too
    assert "Z" not in shown.split("Timeline")[1]
    assert "follow up with dana 2026-11-30 17:00 CET" in cli("report", case_id).stdout


# next --------------------------------------------------------------------------------------------


def test_next_on_hold_says_when_the_hold_ends(cli: Cli) -> None:
    case_id = opened(cli)
    held = cli("hold", case_id, "--reason", "waiting").stdout
    assert (
        "Next: L2 (Support supervisor) when the hold ends: on hold, timers paused until resumed"
        in held
    )
    assert "when you decide" not in held
    assert cli.json("next", case_id)["next"]["reason"] == "on hold, timers paused until resumed"
    other = opened(cli)
    with_until = cli("hold", other, "--reason", "waiting", "--until", "2h").stdout
    assert "Next: L2 (Support supervisor) at 2026-11-23 12:15 UTC" in with_until
    assert "  on hold until 2026-11-23 12:00 UTC" in with_until


def test_an_overdue_next_says_so(cli: Cli) -> None:
    case_id = opened(cli)
    late = cli("next", case_id, "--now", "2026-11-23T12:45:30Z").stdout
    assert "Next: L2 (Support supervisor) at 2026-11-23 10:15 UTC (overdue by 2h30m):" in late
    on_time = cli("next", case_id).stdout
    assert "at 2026-11-23 10:15 UTC: not acknowledged" in on_time
    assert (
        "at 2026-11-23 10:15 UTC (due now):"
        in cli("next", case_id, "--now", "2026-11-23T10:15:00Z").stdout
    )


# usage errors ------------------------------------------------------------------------------------


def test_a_usage_error_points_to_the_commands_own_help(cli: Cli) -> None:
    assert cli("show", code=2).stderr == (
        "error: Missing argument 'CASE'. (see escalate show --help)\n"
    )
    assert (
        "(see escalate matrix validate --help)"
        in cli("matrix", "validate", "--bogus", code=2).stderr
    )
    assert "(see escalate outbox retry --help)" in cli("outbox", "retry", "--x", code=2).stderr
    missing_value = cli("resolve", "ESC-1", "--summary", code=2).stderr
    assert missing_value.endswith("(see escalate resolve --help)\n")
    assert cli("outbox", "--status", code=2).stderr.endswith("(see escalate outbox --help)\n")
    assert cli("opn", code=2).stderr.endswith("(see escalate --help)\n")


# outbox retry ------------------------------------------------------------------------------------


def test_outbox_retry_exits_7_while_anything_still_fails(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for web in web_server([500, 500]):
        matrix = tmp_path / "escalation.yaml"
        matrix.write_text(
            matrix_yaml(
                f'channels:\n  chat: {{kind: webhook, url: "{web.url}"}}\n',
                notify_via="notify_via: [chat]",
            )
        )
        monkeypatch.setenv("ESCALATE_MATRIX", str(matrix))
        cli("open", "Webhook down")  # the first try fails: a warning, exit 0
        failed = cli("outbox", "retry", code=7)
        assert failed.stdout == ""
        assert failed.stderr.splitlines()[-1] == (
            "1 notification could not be sent: it stays in the outbox (escalate outbox)"
        )
        assert cli.json("outbox", "retry") == [
            {"id": "ESC-1:1:frontline:chat", "sent": True, "error": None}
        ]


# close -------------------------------------------------------------------------------------------


def test_close_refuses_a_case_never_resolved_without_summary_or_force(cli: Cli) -> None:
    case_id = opened(cli)
    assert cli("close", case_id, code=5).stderr == (
        "error: ESC-1 was never resolved: add --summary TEXT or --force\n"
    )
    cli("acknowledge", case_id)
    cli("hold", case_id, "--reason", "waiting")
    assert "never resolved" in cli("close", case_id, code=5).stderr
    closed = cli.json("close", case_id, "--summary", "Duplicate of ESC-9")
    assert (closed["status"], closed["resolution"]) == ("closed", "Duplicate of ESC-9")
    assert closed["resolved_at"] == closed["closed_at"] == "2026-11-23T10:00:00Z"
    kinds = [e["kind"] for e in closed["timeline"]]
    assert kinds[-3:] == ["resolved", "notified", "closed"]  # the resolve told its audiences
    other = opened(cli)
    forced = cli.json("close", other, "--force")
    assert (forced["status"], forced["resolution"], forced["resolved_at"]) == ("closed", None, None)
    resolved = opened(cli)
    cli("resolve", resolved, "--summary", "fixed")
    refused = cli("close", resolved, "--summary", "other words", code=5).stderr
    assert "already resolved" in refused
    assert cli.json("close", resolved)["resolution"] == "fixed"
