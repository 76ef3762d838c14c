"""Follow-through (docs/notifications.md): a sweep reminds an action's assignee once when it falls
due, a prevention item's assignee likewise, and a follow-up's contact on its date, closed cases
included; `--done`, `--follow-up-done` and `--prevent-done` close them. Reminders reach a real
SMTP server; every test runs on both stores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.sweeps import at, reminded
from tests.cli.test_notify import channels, write_matrix
from tests.conftest import Cli
from tests.notify_servers import SmtpServer, WebServer, matrix_yaml


@pytest.fixture
def mailing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> SmtpServer:
    vp_mail = "  - id: vp\n    name: VP Support\n    email: vp@acme.example\n"
    text = matrix_yaml(
        channels(smtp.port, web.url, tmp_path / "pager.jsonl"),
        notify_via="notify_via: [mail]",
        via={"sam": "[mail, chat]"},
    ).replace("  - id: vp\n    name: VP Support\n", vp_mail)
    write_matrix(tmp_path, monkeypatch, text)
    monkeypatch.setenv("CHAT_SECRET", "k3y")
    return smtp


def opened(cli: Cli) -> None:
    cli("open", "Checkout down", "--now", at("10:00"))
    cli("acknowledge", "ESC-1", "--by", "frontline", "--now", at("10:01"))


def test_an_action_reminds_its_assignee_once_when_it_falls_due(
    cli: Cli, mailing: SmtpServer, web: WebServer
) -> None:
    opened(cli)
    cli(
        "implement", "ESC-1", "--action", "Raise the gateway timeout", "--assignee", "sam",
        "--due", at("12:00"), "--by", "frontline", "--now", at("10:10"),
    )  # fmt: skip
    mailing.mails.wait(1)  # the open
    assert reminded(cli, "11:59") == []
    assert reminded(cli, "12:00") == [{"case": "ESC-1", "contacts": ["sam"], "what": "action"}]
    mail = mailing.mails.wait(2)[1]
    assert mail.recipients == ["sam@acme.example"]
    assert "action 1 due: Raise the gateway timeout" in mail.message.get_content()
    assert mail.message["Subject"].startswith("[ESC-1] action due (")
    (posted,) = web.requests.wait(1)  # and sam's chat, through the webhook
    assert posted.json()["contact"]["chat"] == "@sam"
    assert reminded(cli, "13:00") == []  # once
    shown = cli("sweep", "--now", at("14:00"), "--dry-run").stdout + cli("next", "ESC-1").stdout
    assert "action 1 due" not in shown


def test_an_action_done_before_it_is_due_reminds_nobody(cli: Cli, mailing: SmtpServer) -> None:
    opened(cli)
    cli("implement", "ESC-1", "--action", "Restart", "--due", at("12:00"), "--now", at("10:10"))
    cli("implement", "ESC-1", "--done", "1", "--now", at("11:00"))
    assert reminded(cli, "12:30") == []


def test_an_action_with_no_assignee_reminds_the_owner(cli: Cli, mailing: SmtpServer) -> None:
    opened(cli)  # frontline acknowledged it: the owner
    cli("implement", "ESC-1", "--action", "Restart", "--due", at("12:00"), "--now", at("10:10"))
    assert [r["contacts"] for r in reminded(cli, "12:00")] == [["frontline"]]


def test_a_follow_up_reminds_its_contact_on_its_date_after_the_case_is_closed(
    cli: Cli, mailing: SmtpServer
) -> None:
    opened(cli)
    cli("resolve", "ESC-1", "--summary", "Gateway restarted", "--now", at("11:00"))
    cli(
        "learn", "ESC-1", "--follow-up", at("09:00", 30), "--with", "vp",
        "--by", "frontline", "--now", at("11:30"),
    )  # fmt: skip
    cli("close", "ESC-1", "--now", at("12:00"))
    assert reminded(cli, "08:59", 30) == []
    dry = reminded(cli, "09:00", 30, "--dry-run")
    assert dry == [{"case": "ESC-1", "contacts": ["vp"], "what": "follow_up"}]
    assert reminded(cli, "09:00", 30) == dry  # the dry run wrote nothing
    assert reminded(cli, "10:00", 30) == []
    assert mailing.mails.wait(2)[-1].recipients == ["vp@acme.example"]
    case = cli.json("show", "ESC-1")
    assert case["status"] == "closed"
    assert case["timeline"][-1]["data"]["reason"] == "follow-up 1 with vp due"


def test_a_follow_up_done_is_not_reminded(cli: Cli, mailing: SmtpServer) -> None:
    opened(cli)
    cli("resolve", "ESC-1", "--summary", "fixed", "--now", at("11:00"))
    cli("learn", "ESC-1", "--follow-up", at("09:00", 30), "--with", "vp", "--now", at("11:30"))
    done = cli.json("learn", "ESC-1", "--follow-up-done", "1", "--now", at("12:00"))
    assert done["steps"]["learn"]["follow_ups"][0]["done"] is True
    assert reminded(cli, "09:00", 30) == []


def test_a_prevention_item_with_an_assignee_and_a_due_time_is_reminded_and_closed(
    cli: Cli, mailing: SmtpServer
) -> None:
    opened(cli)
    cli("resolve", "ESC-1", "--summary", "fixed", "--now", at("11:00"))
    cli(
        "learn", "ESC-1", "--prevent", "Add a smoke test to deploys", "--assignee", "sam",
        "--due", at("09:00", 25), "--now", at("11:30"),
    )  # fmt: skip
    item = cli.json("show", "ESC-1")["steps"]["learn"]["prevent"][0]
    assert (item["assignee"], item["due"], item["done"]) == ("sam", at("09:00", 25), False)
    assert [r["what"] for r in reminded(cli, "09:00", 25)] == ["prevent"]
    cli("learn", "ESC-1", "--prevent-done", "1", "--now", at("10:00", 25))
    assert cli.json("show", "ESC-1")["steps"]["learn"]["prevent"][0]["done"] is True


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--follow-up-done", "9"], 3, "no follow-up 9 on ESC-1"),
        (["--prevent-done", "2"], 3, "no prevention item 2 on ESC-1"),
        (["--lesson", "x", "--assignee", "sam"], 2, "--assignee and --due go with --prevent"),
        (["--prevent", "x", "--assignee", "nobody"], 3, 'unknown contact "nobody"'),
    ],
)
def test_learn_refuses_what_it_cannot_do(
    cli: Cli, mailing: SmtpServer, args: list[str], code: int, message: str
) -> None:
    opened(cli)
    cli("resolve", "ESC-1", "--summary", "fixed", "--now", at("11:00"))
    failed = cli("learn", "ESC-1", *args, code=code)
    assert message in failed.stderr and failed.stderr.count("\n") == 1
