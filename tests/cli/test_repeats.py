"""Repeat until someone answers (docs/notifications.md): `repeat: {every, times}` on a path or a
level tells the top of the path again while the case sits there unacknowledged, and a breach at the
top tells the level's contacts and the severity's `notify`. Through a real SMTP server and a
real webhook receiver, on both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.sweeps import at, reminded
from tests.cli.test_notify import channels, write_matrix
from tests.conftest import Cli
from tests.notify_servers import SmtpServer, WebServer, matrix_yaml, read_lines

REPEATING = "paths:\n  default: {levels: [L1, L2], repeat: {every: 10m, times: 2}}\n"


@pytest.fixture
def paging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> dict[str, Any]:
    """frontline by mail, sam (L2, the top) by mail and chat, vp (sev1's notify) by pager."""
    pager = tmp_path / "pager.jsonl"
    via = {"frontline": "[mail]", "sam": "[mail, chat]", "vp": "[pager]"}
    text = matrix_yaml(channels(smtp.port, web.url, pager), via=via)
    write_matrix(tmp_path, monkeypatch, text + REPEATING)
    monkeypatch.setenv("CHAT_SECRET", "k3y")
    return {"smtp": smtp, "web": web, "pager": pager}


def test_the_top_is_told_again_until_someone_answers_then_of_the_breach(
    cli: Cli, paging: dict[str, Any]
) -> None:
    smtp, web = paging["smtp"], paging["web"]
    cli("open", "Checkout down", "--severity", "sev1", "--now", at("10:00"))
    cli("sweep", "--now", at("10:15"))  # not acknowledged at L1: L2, the top
    assert len(smtp.mails.wait(2)) == 2 and len(web.requests.wait(1)) == 1
    assert reminded(cli, "10:24") == []
    repeat = {"case": "ESC-1", "contacts": ["sam"], "what": "repeat"}
    assert reminded(cli, "10:25") == [repeat]
    mail = smtp.mails.wait(3)[2]
    assert mail.recipients == ["sam@acme.example"]
    assert "still not acknowledged at L2 (repeat 1 of 2)" in mail.message.get_content()
    assert mail.message["Subject"].startswith("[ESC-1] still not acknowledged (sev1, open at L2)")
    assert len(web.requests.wait(2)) == 2
    assert reminded(cli, "10:35") == [repeat]
    assert reminded(cli, "10:45") == []  # two repeats, as many as it says
    swept = cli.json("sweep", "--now", at("11:00"))
    assert swept["breached"] == [{"case": "ESC-1", "sla": "ack", "at": at("11:00")}]
    assert swept["reminded"] == [{"case": "ESC-1", "contacts": ["sam", "vp"], "what": "breach"}]
    paged = read_lines(paging["pager"])
    assert [page["stdin"]["contact"]["id"] for page in paged] == ["vp", "vp"]  # open, breach
    events = [e for e in cli.json("show", "ESC-1")["timeline"] if e["kind"] == "notified"]
    assert [e["data"].get("repeat") for e in events[-3:]] == [1, 2, None]
    assert events[-1]["data"]["reason"] == "ack SLA breached"


def test_acknowledging_stops_the_repeats(cli: Cli, paging: dict[str, Any]) -> None:
    cli("open", "Checkout down", "--severity", "sev1", "--now", at("10:00"))
    cli("sweep", "--now", at("10:15"))
    cli("acknowledge", "ESC-1", "--by", "sam", "--now", at("10:20"))
    assert reminded(cli, "10:25") == [] and reminded(cli, "10:59") == []


def test_a_sweep_that_missed_some_sends_one_repeat_then_waits_again(
    cli: Cli, paging: dict[str, Any]
) -> None:
    cli("open", "Checkout down", "--now", at("10:00"))
    cli("sweep", "--now", at("10:15"))
    assert len(reminded(cli, "10:50")) == 1  # late: the first, once
    assert reminded(cli, "10:55") == []
    assert len(reminded(cli, "11:00")) == 1  # ten minutes after the one before


def test_next_and_simulate_show_the_repeats(cli: Cli, paging: dict[str, Any]) -> None:
    cli("open", "Checkout down", "--now", at("10:00"))
    cli("sweep", "--now", at("10:15"))
    shown = cli("next", "ESC-1", "--now", at("10:16")).stdout
    assert "unacknowledged: repeat 1 of 2 at 2026-11-23 10:25 UTC: notifies sam" in shown
    assert cli.json("next", "ESC-1", "--now", at("10:16"))["repeat"] == {
        "number": 1,
        "times": 2,
        "due_at": at("10:25"),
        "contacts": ["sam"],
    }
    steps = cli.json("simulate", "--severity", "sev1", "--now", at("10:00"))["timeline"]
    assert [(s["at"], s["reason"]) for s in steps[2:]] == [
        (at("10:25"), "still not acknowledged at L2 (repeat 1 of 2)"),
        (at("10:35"), "still not acknowledged at L2 (repeat 2 of 2)"),
        (at("11:00"), "ack SLA breached"),
        (at("14:00"), "resolve SLA breached"),
    ]


def test_a_level_repeat_applies_only_where_that_level_is_the_top(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = matrix_yaml("").replace(
        "    contacts: [frontline]\n",
        "    contacts: [frontline]\n    repeat: {every: 5m, times: 1}\n",
    )
    write_matrix(tmp_path, monkeypatch, text)
    cli("open", "Checkout down", "--now", at("10:00"))
    assert reminded(cli, "10:05") == []  # L1 is not the top of the default path
    cli("up", "ESC-1", "--reason", "needs sam", "--by", "frontline", "--now", at("10:06"))
    assert reminded(cli, "10:30") == []  # L2 has no repeat of its own


@pytest.mark.parametrize("times", ["0", "101", "two", "true"])
def test_a_repeat_count_out_of_range_is_an_invalid_matrix(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, times: str
) -> None:
    repeat = f"paths:\n  default: {{levels: [L1, L2], repeat: {{every: 10m, times: {times}}}}}\n"
    path = write_matrix(tmp_path, monkeypatch, matrix_yaml("") + repeat)
    checked = cli("matrix", "validate", str(path), code=4)
    assert "paths.default.repeat.times" in checked.stdout + checked.stderr
