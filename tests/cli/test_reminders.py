"""Cadence (docs/notifications.md): a trigger with `repeat: true` fires again each time its
conditions newly hold, and `then: {remind: owner}` or `{remind: [CONTACTS]}` tells people without
moving the case; the reminders reach a real SMTP server and a real webhook receiver, and a sweep
reports them under `reminded`. Runs on both stores: on PostgreSQL a sweep reads only the cases
due, so a reminder's due time must be in the case's wake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.sweeps import at, reminded
from tests.cli.test_notify import channels, write_matrix
from tests.conftest import Cli
from tests.notify_servers import SmtpServer, WebServer, matrix_yaml


def nudging(*, repeat: bool = True, remind: str = "owner") -> str:
    return f"""\
triggers:
  - id: nudge
    when: {{silent_for: 1h}}
    then: {{remind: {remind}}}
    repeat: {"true" if repeat else "false"}
"""


@pytest.fixture
def reminding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> dict[str, Any]:
    """sam (the owner) by mail and chat; a reminder every hour without an update."""
    text = matrix_yaml(
        channels(smtp.port, web.url, tmp_path / "pager.jsonl"),
        via={"frontline": "[mail]", "sam": "[mail, chat]"},
    )
    write_matrix(tmp_path, monkeypatch, text + nudging())
    monkeypatch.setenv("CHAT_SECRET", "k3y")
    return {"smtp": smtp, "web": web}


def test_the_owner_is_reminded_every_hour_without_an_update_by_mail_and_webhook(
    cli: Cli, reminding: dict[str, Any]
) -> None:
    smtp, web = reminding["smtp"], reminding["web"]
    cli("open", "Printer on fire", "--owner", "sam", "--now", at("10:00"))
    cli("acknowledge", "ESC-1", "--by", "frontline", "--now", at("10:01"))
    smtp.mails.wait(1)  # the open, to frontline
    assert reminded(cli, "10:59") == []
    assert reminded(cli, "11:00") == [{"case": "ESC-1", "contacts": ["sam"], "what": "reminder"}]
    mails = smtp.mails.wait(2)
    assert mails[1].recipients == ["sam@acme.example"]
    assert "reminder: nudge" in mails[1].message.get_content()
    (posted,) = web.requests.wait(1)
    assert posted.json()["contact"]["chat"] == "@sam"
    assert reminded(cli, "11:30") == []
    cli("update", "ESC-1", "the toner caught fire", "--by", "sam", "--now", at("11:45"))
    # An hour from the update, not from the reminder: the case was not silent since.
    assert reminded(cli, "12:44") == []
    assert [r["contacts"] for r in reminded(cli, "12:45")] == [["sam"]]
    assert [r["contacts"] for r in reminded(cli, "13:45")] == [["sam"]]  # and again
    mails = smtp.mails.wait(5)  # the open, three reminders, and the update told to frontline
    to_sam = [m for m in mails if m.recipients == ["sam@acme.example"]]
    assert ["reminder: nudge" in m.message.get_content() for m in to_sam] == [True] * 3
    events = [e for e in cli.json("show", "ESC-1")["timeline"] if e["kind"] == "notified"]
    reminders = [e for e in events if e["data"]["reason"] == "reminder: nudge"]
    assert [e["data"]["contacts"] for e in reminders] == [["sam"]] * 3


def test_next_and_the_sweep_say_who_a_reminder_tells(cli: Cli, reminding: dict[str, Any]) -> None:
    cli("open", "Printer on fire", "--owner", "sam", "--now", at("10:00"))
    cli("acknowledge", "ESC-1", "--by", "frontline", "--now", at("10:01"))
    shown = cli("next", "ESC-1", "--now", at("10:30")).stdout
    assert "trigger nudge at 2026-11-23 11:00 UTC: reminds sam" in shown
    (notice,) = cli.json("next", "ESC-1", "--now", at("10:30"))["triggers"]
    assert notice == {"trigger": "nudge", "contacts": ["sam"], "due_at": at("11:00")}
    swept = cli("sweep", "--now", at("11:00")).stdout
    assert "ESC-1: trigger nudge reminded sam\n" in swept
    assert swept.endswith(
        "0 escalated, 0 notified, 0 breached, 0 changed, 1 reminded (1 case checked)\n"
    )


def test_without_repeat_a_reminder_fires_once(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_matrix(tmp_path, monkeypatch, matrix_yaml("") + nudging(repeat=False, remind="[vp]"))
    cli("open", "Printer on fire", "--now", at("10:00"))
    cli("acknowledge", "ESC-1", "--by", "frontline", "--now", at("10:01"))
    assert [r["contacts"] for r in reminded(cli, "11:00")] == [["vp"]]
    assert reminded(cli, "12:00") == [] and reminded(cli, "15:00") == []


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (
            "  - id: nag\n    when: {level: [L1]}\n    then: {remind: owner}\n    repeat: true\n",
            "a repeating trigger needs a duration to repeat on",
        ),
        (
            "  - id: nag\n    when: {silent_for: 1h}\n    then: {remind: [nobody]}\n",
            'unknown contact "nobody"',
        ),
    ],
)
def test_a_reminder_the_matrix_cannot_keep_is_invalid(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trigger: str, message: str
) -> None:
    path = write_matrix(tmp_path, monkeypatch, matrix_yaml("") + "triggers:\n" + trigger)
    checked = cli("matrix", "validate", str(path), code=4)
    assert message in checked.stdout + checked.stderr


def test_simulate_shows_the_first_few_reminders_of_a_repeating_trigger(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_matrix(tmp_path, monkeypatch, matrix_yaml("") + nudging())
    timeline = cli.json("simulate", "--now", at("10:00"))["timeline"]
    assert [(step["at"], step["reason"]) for step in timeline] == [
        (at("10:00"), "opened"),
        (at("10:15"), "not acknowledged at L1 within 15m (level ack)"),
        (at("11:00"), "reminder: nudge"),
        (at("12:00"), "reminder: nudge"),
        (at("13:00"), "reminder: nudge"),
    ]
    assert [c["id"] for c in timeline[2]["contacts"]] == ["frontline"]  # the owner from open
