"""Who hears about what, end to end: updates, resolve, convene and ownership changes reaching a
real SMTP server and a real webhook receiver; customer contacts and subscribers; `ownership:
follow`. On both stores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.notify_servers import SmtpServer, WebServer, matrix_yaml

ESCALATE = str(Path(sys.executable).with_name("escalate"))
T0, T15, T20 = "2026-11-23T10:00:00Z", "2026-11-23T10:15:00Z", "2026-11-23T10:20:00Z"
CUSTOMER = "it-lead@customer.example"
INTERNAL = ("HTTP 504 from /pay", "gateway times out", "expired certificate", "Checkout")


def wire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer, extra: str
) -> None:
    """frontline by mail, sam and vp by the chat webhook; customers by the mail channel."""
    channels = f"""\
        channels:
          chat: {{kind: webhook, url: "{web.url}", timeout: 5s}}
          mail:
            kind: email
            host: 127.0.0.1
            port: {smtp.port}
            security: none
            from: "Escalations <escalations@acme.example>"
            timeout: 5s
        """
    via = {"frontline": "[mail]", "sam": "[chat]", "vp": "[chat]"}
    path = tmp_path / "escalation.yaml"
    path.write_text(matrix_yaml(textwrap.dedent(channels) + extra, via=via))
    monkeypatch.setenv("ESCALATE_MATRIX", str(path))


@pytest.fixture
def wired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> dict[str, Any]:
    wire(tmp_path, monkeypatch, smtp, web, "")
    return {"smtp": smtp, "web": web}


def notices(case: dict[str, Any], about: str) -> list[dict[str, Any]]:
    return [e for e in case["timeline"] if e["data"].get("about") == about]


def outbox_statuses(cli: Cli) -> dict[str, str]:
    return {e["id"]: e["status"] for e in cli.json("outbox", "--status", "all")}


def test_a_customer_update_mails_the_customer_the_text_and_nothing_internal(
    cli: Cli, wired: dict[str, Any]
) -> None:
    smtp, web = wired["smtp"], wired["web"]
    opened = cli.json(
        "open", "Checkout fails", "--owner", "sam", "--customer-contact", CUSTOMER, "--now", T0
    )
    assert opened["customer"]["contacts"] == [CUSTOMER] and opened["subscribers"] == []
    smtp.mails.wait(1)  # frontline, told of the open
    cli("gather", "ESC-1", "--fact", INTERNAL[0], "--why", INTERNAL[1], "--by", "frontline")
    cli("assess", "ESC-1", "--root-cause", INTERNAL[2], "--by", "frontline")
    text = "We found the cause; payments should work again by 11:00."
    done = cli("update", "ESC-1", text, "--audience", "customer", "--by", "frontline")
    assert done.stderr == "" and done.stdout.startswith(
        "ESC-1 update logged (customer); told it-lead@customer.example\n"
    )
    mail = smtp.mails.wait(2)[1]
    assert mail.recipients == [CUSTOMER]
    message = mail.message
    assert message["To"] == CUSTOMER and message["Subject"] == "[ESC-1] Update on your case"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content().replace("\r\n", "\n")
    assert body == f"{text}\n\nPlease quote ESC-1 in any reply.\n"
    for secret in (*INTERNAL, "sam", "frontline", "L1"):
        assert secret not in body and secret not in message["Subject"]
    assert web.requests.items == []  # the team heard nothing of a customer update
    (notice,) = notices(cli.json("show", "ESC-1"), "update")
    assert notice["data"]["contacts"] == [CUSTOMER]
    assert notice["data"]["reason"] == "status update, to the customer"
    assert notice["data"]["audience"] == "customer" and notice["by"] == "frontline"
    (entry,) = [e for e in cli.json("outbox", "--status", "all") if e["contact"] == CUSTOMER]
    assert (entry["status"], entry["channel"], entry["cause"]) == ("sent", "mail", "update")


def test_an_internal_update_reaches_owner_and_level_but_never_its_author(
    cli: Cli, wired: dict[str, Any]
) -> None:
    smtp, web = wired["smtp"], wired["web"]
    cli("open", "Checkout fails", "--owner", "sam", "--customer-contact", CUSTOMER, "--now", T0)
    smtp.mails.wait(1)
    cli("update", "ESC-1", "Rolled back; watching the error rate", "--by", "frontline")
    (posted,) = web.requests.wait(1)
    data = posted.json()
    assert data["contact"]["id"] == "sam" and data["event"]["cause"] == "update"
    assert data["body"].startswith("Status update by frontline: Rolled back; watching the error")
    assert "You are told because: status update, to the owner" in data["body"]
    assert len(smtp.mails.items) == 1  # frontline wrote it; the customer hears no internal update
    by_sam = cli("update", "ESC-1", "Error rate back to normal", "--by", "sam")
    assert by_sam.stderr == ""
    mails = smtp.mails.wait(2)
    assert mails[1].recipients == ["frontline@acme.example"]  # L1's contact; sam is not told
    assert "Status update by sam: Error rate back to normal" in mails[1].message.get_content()
    assert len(web.requests.items) == 1
    assert set(outbox_statuses(cli).values()) == {"sent"}


def test_subscribers_hear_customer_updates_until_they_unsubscribe(
    cli: Cli, wired: dict[str, Any]
) -> None:
    smtp, web = wired["smtp"], wired["web"]
    cli("open", "Refunds stuck", "--now", T0)
    smtp.mails.wait(1)
    lonely = cli("update", "ESC-1", "Looking into it", "--audience", "customer")
    assert lonely.stderr == (
        "warning: no customer was told: ESC-1 has no customer contact or subscriber"
        " besides you (add one: escalate subscribe ESC-1 EMAIL)\n"
    )
    done = cli("subscribe", "ESC-1", "Boss@Customer.example", "--by", "frontline")
    assert done.stdout.startswith("ESC-1 subscribed Boss@Customer.example\n")
    again = cli("subscribe", "ESC-1", "boss@customer.example")
    assert again.stdout.startswith("ESC-1 already hears of it: boss@customer.example\n")
    case = cli.json("subscribe", "ESC-1", "vp", "--by", "frontline")
    assert case["subscribers"] == ["Boss@Customer.example", "vp"]
    events = [(e["kind"], e["by"], e["text"]) for e in case["timeline"][-2:]]
    assert events == [
        ("subscribed", "frontline", "subscribed Boss@Customer.example"),
        ("subscribed", "frontline", "subscribed vp"),
    ]
    shown = cli("show", "ESC-1").stdout
    assert "customer hears  Boss@Customer.example, vp" in shown
    assert "| Customer hears | Boss@Customer.example, vp |" in cli("report", "ESC-1").stdout
    cli("update", "ESC-1", "Refunds replayed", "--audience", "customer")
    assert smtp.mails.wait(2)[1].recipients == ["Boss@Customer.example"]
    (posted,) = web.requests.wait(1)  # a subscribed contact hears through their own channel
    assert posted.json()["contact"]["id"] == "vp"
    assert posted.json()["body"].startswith("Refunds replayed\n\nPlease quote ESC-1")

    cli("unsubscribe", "ESC-1", "boss@customer.example")
    cli("update", "ESC-1", "All refunds are through", "--audience", "customer")
    web.requests.wait(2)
    assert len(smtp.mails.items) == 2  # the address heard nothing more
    assert cli.json("show", "ESC-1")["subscribers"] == ["vp"]


def test_bad_subscribers_and_customer_addresses_are_one_line_errors(cli: Cli) -> None:
    bad = cli("open", "Typo", "--customer-contact", "it-lead@customer", code=2)
    assert bad.stderr == (
        'error: --customer-contact "it-lead@customer" is not an email address'
        " (use name@example.com)\n"
    )
    assert cli.json("list") == []  # nothing was saved
    cli("open", "Printer on fire")
    assert cli("subscribe", "ESC-1", "a@b@c.example", code=2).stderr.count("\n") == 1
    assert cli("subscribe", "ESC-1", "samm", code=3).stderr.startswith(
        'error: unknown contact "samm" (did you mean "sam"?'
    )
    assert cli("unsubscribe", "ESC-1", "sam", code=3).stderr == (
        "error: sam is not subscribed to ESC-1 (nobody is)\n"
    )
    assert cli("subscribe", "ESC-9", "sam", code=3).stderr.startswith("error: ESC-9 not found")


def test_resolve_and_convene_reach_people_through_smtp_and_the_webhook(
    cli: Cli, wired: dict[str, Any]
) -> None:
    smtp, web = wired["smtp"], wired["web"]
    cli("open", "Search is slow", "--now", T0)  # frontline owns it
    smtp.mails.wait(1)
    convened = cli.json("convene", "ESC-1", "--add", "vp:decision-maker", "--by", "frontline")
    (posted,) = web.requests.wait(1)
    assert posted.json()["contact"]["id"] == "vp" and posted.json()["event"]["cause"] == "convene"
    assert "Convened by frontline: vp (decision-maker)" in posted.json()["body"]
    assert "Owner: Frontline queue (frontline)" in posted.json()["body"]  # the brief
    assert notices(convened, "convene")[0]["data"]["contacts"] == ["vp"]
    resolved = cli.json("resolve", "ESC-1", "--summary", "Reindexed", "--by", "vp")
    mails = smtp.mails.wait(2)
    assert mails[1].recipients == ["frontline@acme.example"]
    assert mails[1].message["Subject"].startswith("[ESC-1] resolved (sev3, resolved at L1)")
    assert "Resolved by vp: Reindexed" in mails[1].message.get_content()
    assert notices(resolved, "resolve")[0]["data"]["contacts"] == ["frontline"]
    assert len(web.requests.items) == 1  # vp resolved it: never told


def test_notify_on_in_the_matrix_changes_who_hears(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> None:
    extra = "notify_on:\n  resolve: [customer]\n  update: []\n  close: [owner]\n"
    wire(tmp_path, monkeypatch, smtp, web, extra)
    cli("open", "Sync broken", "--owner", "sam", "--customer-contact", CUSTOMER, "--now", T0)
    smtp.mails.wait(1)
    cli("update", "ESC-1", "Nobody hears this one", "--by", "frontline")
    cli("resolve", "ESC-1", "--summary", "Restarted the sync worker", "--by", "frontline")
    mail = smtp.mails.wait(2)[1]
    assert mail.recipients == [CUSTOMER]
    assert mail.message.get_content().replace("\r\n", "\n") == (
        "Your case ESC-1 has been resolved.\n\nPlease quote ESC-1 in any reply.\n"
    )
    assert web.requests.items == []
    cli("close", "ESC-1", "--by", "frontline")
    (posted,) = web.requests.wait(1)
    assert posted.json()["contact"]["id"] == "sam" and posted.json()["event"]["cause"] == "close"


def test_matrix_show_says_who_is_told_of_what(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(matrix_yaml("ownership: follow\nnotify_on:\n  resolve: [owner, customer]\n"))
    shown = cli("matrix", "show", str(path)).stdout.split("Who is told of what", 1)[1]
    assert shown.splitlines()[0] == " (ownership: follow)"
    assert "resolve           owner, customer\n" in shown
    assert "update            owner, participants, level           (default)" in shown
    assert "severity_changed  the severity's notify (when raised)  (default)" in shown
    assert cli.json("matrix", "show", str(path))["notify_on"]["resolve"] == ["owner", "customer"]


def test_ownership_follow_hands_the_case_up_and_says_so(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> None:
    wire(tmp_path, monkeypatch, smtp, web, "ownership: follow\n")
    assert cli.json("open", "Queue stuck", "--now", T0)["owner"] == "frontline"
    smtp.mails.wait(1)
    swept = cli.json("sweep", "--now", T15)
    assert swept["escalated"][0]["contacts"] == ["sam", "frontline"]
    case = cli.json("show", "ESC-1", "--now", T15)
    assert case["owner"] == "sam"
    (change,) = [e for e in case["timeline"] if e["kind"] == "owner_changed"]
    assert (change["text"], change["at"]) == ("owner frontline -> sam", T15)
    (posted,) = web.requests.wait(1)
    body = posted.json()["body"]
    assert posted.json()["event"]["cause"] == "escalated"  # one message: the move and the handover
    assert body.startswith("You are told because: escalated to L2; new owner, to the owner;")
    mail = smtp.mails.wait(2)[1]  # the former owner hears who has it now
    assert mail.recipients == ["frontline@acme.example"]
    assert "new owner, to the people on the case" in mail.message.get_content()
    brief = cli("brief", "ESC-1", "--now", T20).stdout
    assert "Owner: Sam Okafor (sam); sam@acme.example, @sam." in brief
    assert cli.json("who", "ESC-1", "--now", T20)["owner"] == "sam"


def test_keep_is_the_default_and_up_transfer_still_hands_over(
    cli: Cli, wired: dict[str, Any]
) -> None:
    cli("open", "Queue stuck", "--now", T0)
    cli("sweep", "--now", T15)
    assert cli.json("show", "ESC-1")["owner"] == "frontline"
    cli("open", "Queue stuck again", "--now", T0)
    cli("up", "ESC-2", "--reason", "needs sam", "--transfer", "--force", "--by", "frontline")
    assert cli.json("show", "ESC-2")["owner"] == "sam"
    (notice,) = [
        e for e in cli.json("show", "ESC-2")["timeline"] if e["data"].get("reasons", {}).get("sam")
    ]
    assert notice["data"]["reasons"]["sam"] == [
        "escalated to L2",
        "new owner, to the owner",
        ("new owner, to the people on the case"),
    ]


def test_the_installed_command_subscribes_and_mails_the_customer(
    tmp_path: Path, wired: dict[str, Any]
) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ESCALATE, *args], capture_output=True, text=True, env=dict(os.environ), check=True
        )

    assert run("open", "Login loops", "-q").stdout == "ESC-1\n"
    run("subscribe", "ESC-1", CUSTOMER)
    done = run("update", "ESC-1", "Clearing sessions now", "--audience", "customer", "--json")
    assert json.loads(done.stdout)["subscribers"] == [CUSTOMER] and done.stderr == ""
    mail = wired["smtp"].mails.wait(2)[1]
    assert mail.recipients == [CUSTOMER] and "Clearing sessions now" in mail.message.get_content()
