"""Notifications through the CLI: a real escalation reaching SMTP, a webhook and a command, the
outbox commands, --no-notify, hooks, and a process killed between writing and sending."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.notify_servers import (
    SmtpServer,
    WebServer,
    black_hole,
    hook_command,
    matrix_yaml,
    read_lines,
    web_server,
)

ESCALATE = str(Path(sys.executable).with_name("escalate"))
T0, T15 = "2026-11-23T10:00:00Z", "2026-11-23T10:15:00Z"


def channels(smtp_port: int, url: str, pager_out: Path) -> str:
    return f"""\
        channels:
          mail:
            kind: email
            host: 127.0.0.1
            port: {smtp_port}
            security: none
            from: "Escalations <escalations@acme.example>"
            timeout: 5s
          chat:
            kind: webhook
            url: "{url}"
            secret_env: CHAT_SECRET
            timeout: 5s
          pager:
            kind: command
            command: {json.dumps(hook_command(pager_out))}
        """


def write_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "escalation.yaml"
    path.write_text(text)
    path.chmod(0o644)  # whatever the umask: hooks and command channels run from it
    monkeypatch.setenv("ESCALATE_MATRIX", str(path))
    return path


@pytest.fixture
def wired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> dict[str, Any]:
    """All three channels and two hooks: frontline by mail, sam by mail and chat, vp by pager."""
    hooks_out = tmp_path / "hooks.jsonl"
    hooks = f"""\
        hooks:
          on_open: {json.dumps(hook_command(hooks_out))}
          on_escalate: {json.dumps(hook_command(hooks_out))}
        """
    via = {"frontline": "[mail]", "sam": "[mail, chat]", "vp": "[pager]"}
    text = matrix_yaml(channels(smtp.port, web.url, tmp_path / "pager.jsonl"), hooks=hooks, via=via)
    write_matrix(tmp_path, monkeypatch, text)
    monkeypatch.setenv("CHAT_SECRET", "k3y")
    return {"smtp": smtp, "web": web, "hooks": hooks_out, "pager": tmp_path / "pager.jsonl"}


def outbox(cli: Cli, status: str = "all") -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in cli.json("outbox", "--status", status)}


def test_a_real_escalation_reaches_email_a_webhook_and_a_command_end_to_end(
    cli: Cli, wired: dict[str, Any]
) -> None:
    smtp, web = wired["smtp"], wired["web"]
    title = "Checkout <fails> & more\nBcc: evil@attacker.example"
    opened = cli("open", title, "--severity", "sev1", "--now", T0)
    assert opened.stderr == ""
    (first_mail,) = smtp.mails.wait(1)
    assert first_mail.recipients == ["frontline@acme.example"]
    (paged,) = read_lines(wired["pager"])
    assert paged["stdin"]["id"] == "ESC-1:1:vp:pager" and paged["event_id"] == "ESC-1:1:vp:pager"

    swept = cli("sweep", "--now", T15)
    assert "ESC-1: L1 -> L2; notified sam" in swept.stdout and swept.stderr == ""
    mails = smtp.mails.wait(2)
    escalated = mails[1].message
    assert mails[1].recipients == ["sam@acme.example"]
    assert escalated["Subject"].startswith("[ESC-1] escalated L1 -> L2 (sev1): Checkout <fails>")
    assert escalated["Bcc"] is None
    body = escalated.get_content()
    assert "You are told because: escalated to L2." in body
    assert "Status: open at L2 (Support supervisor), escalated L1 -> L2." in body  # the brief
    assert "Next escalation: none" in body

    (posted,) = web.requests.wait(1)
    signature = hmac.new(b"k3y", posted.body, hashlib.sha256).hexdigest()
    assert posted.headers["X-Escalate-Signature-256"] == f"sha256={signature}"
    assert posted.headers["Idempotency-Key"] == "ESC-1:3:sam:chat"
    data = posted.json()
    assert data["contact"]["chat"] == "@sam" and data["event"]["cause"] == "escalated"
    assert "Checkout &lt;fails&gt; &amp; more" in data["text"]

    ran = read_lines(wired["hooks"])
    assert [(r["hook"], r["case"]) for r in ran] == [("on_open", "ESC-1"), ("on_escalate", "ESC-1")]
    assert ran[1]["stdin"]["level"] == "L2" and ran[1]["stdin"]["title"] == title

    entries = outbox(cli)
    assert {i: e["status"] for i, e in entries.items()} == {
        "ESC-1:1:frontline:mail": "sent",
        "ESC-1:1:vp:pager": "sent",
        "ESC-1:3:sam:mail": "sent",
        "ESC-1:3:sam:chat": "sent",
    }
    assert cli("outbox").stderr == "no unsent notifications in the outbox\n"


def test_no_notify_records_but_sends_nothing_and_runs_no_hook(
    cli: Cli, wired: dict[str, Any]
) -> None:
    case = cli.json("open", "Quiet one", "--severity", "sev1", "--no-notify")
    assert case["timeline"][1]["kind"] == "notified"
    cli("--no-notify", "sweep", "--now", T15)
    assert {e["status"] for e in outbox(cli).values()} == {"suppressed"}
    assert wired["smtp"].mails.items == [] and wired["web"].requests.items == []
    assert not wired["hooks"].exists() and not wired["pager"].exists()


def test_a_failing_webhook_never_fails_the_command_and_is_retried(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for web in web_server([500, 500]):
        text = matrix_yaml(
            f'channels:\n  chat: {{kind: webhook, url: "{web.url}"}}\n',
            notify_via="notify_via: [chat]",
        )
        write_matrix(tmp_path, monkeypatch, text)
        done = cli("open", "Webhook down", "--json", "--now", T0)
        assert json.loads(done.stdout)["id"] == "ESC-1"  # one JSON document, nothing else
        assert done.stderr == (
            f"warning: ESC-1: chat to frontline failed: webhook http://127.0.0.1:{web.port}:"
            " HTTP 500: server on fire (kept in the outbox: escalate outbox retry)\n"
        )
        (entry,) = outbox(cli, "failed").values()
        assert entry["attempts"] == 1 and entry["next_attempt_at"] == "2026-11-23T10:01:00Z"
        early = cli("sweep", "--now", "2026-11-23T10:00:59Z")
        assert early.stderr == "nothing due (1 case checked)\n"  # not retried before its time
        assert len(web.requests.items) == 1
        due = cli("sweep", "--now", "2026-11-23T10:01:00Z")
        assert "HTTP 500" in due.stderr and len(web.requests.wait(2)) == 2
        retried = cli("outbox", "retry", "--now", "2026-11-23T10:01:30Z")
        assert retried.stdout == "sent ESC-1:1:frontline:chat\n" and retried.stderr == ""
        requests = web.requests.wait(3)
        assert {r.headers["Idempotency-Key"] for r in requests} == {"ESC-1:1:frontline:chat"}
        assert outbox(cli)["ESC-1:1:frontline:chat"]["attempts"] == 3
        again = cli("outbox", "retry", "--json")
        assert json.loads(again.stdout) == [] and len(web.requests.items) == 3


def test_contacts_without_a_channel_are_recorded_and_shown(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: WebServer
) -> None:
    text = matrix_yaml(f'channels:\n  chat: {{kind: webhook, url: "{web.url}"}}\n')
    write_matrix(tmp_path, monkeypatch, text)
    done = cli("open", "Nobody wired", "--severity", "sev1")
    assert done.stderr.splitlines() == [
        "warning: ESC-1: no channel reaches frontline (recorded in the outbox)",
        "warning: ESC-1: no channel reaches vp (recorded in the outbox)",
    ]
    listed = cli("outbox").stdout
    assert "ESC-1:1:frontline:-  no channel  0" in listed and "opened at L1" in listed
    assert cli("outbox", "retry", "ESC-1:1:vp:-", code=5).stderr == (
        "error: ESC-1:1:vp:- is no_channel: nothing to do\n"
    )
    assert cli("outbox", "drop", "ESC-1:1:vp:-").stderr == "dropped 1 outbox entry\n"
    assert list(outbox(cli)) == ["ESC-1:1:frontline:-"]
    assert web.requests.items == []


def test_a_matrix_without_channels_says_where_notifications_are(cli: Cli) -> None:
    cli("open", "Plain")
    assert cli("outbox").stderr == (
        "no unsent notifications in the outbox"
        " (the matrix has no channels: notifications are on the case timelines only)\n"
    )
    assert cli.json("outbox") == []


def test_outbox_usage_errors(cli: Cli) -> None:
    assert "use one of unsent" in cli("outbox", "--status", "lost", code=2).stderr
    assert cli("outbox", "retry", "ESC-9:1:x:y", code=3).stderr == (
        "error: ESC-9:1:x:y is not in the outbox (escalate outbox --status all)\n"
    )


def test_a_failing_hook_is_one_line_and_the_change_is_kept(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = f"hooks:\n  on_acknowledge: {json.dumps(hook_command(tmp_path / 'h', 7))}\n"
    write_matrix(tmp_path, monkeypatch, matrix_yaml("", hooks=hooks))
    cli("open", "Hooked")
    done = cli("acknowledge", "ESC-1", "--by", "frontline", "--json")
    assert json.loads(done.stdout)["status"] == "acknowledged"
    assert done.stderr == (
        f"warning: hook on_acknowledge for ESC-1 failed: {sys.executable}: exit 7:"
        " refusing on purpose with 7\n"
    )
    assert cli.json("show", "ESC-1")["status"] == "acknowledged"


def test_a_process_killed_between_writing_and_sending_loses_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, web: WebServer
) -> None:
    """The first process saves the case and its claimed entry, then hangs sending to a server
    that never answers, and is killed. `outbox retry` delivers the entry exactly once."""
    for hole in black_hole():
        url = f"http://127.0.0.1:{hole.getsockname()[1]}/hook"
        chat = f'channels:\n  chat: {{kind: webhook, url: "{url}", timeout: 10m}}\n'
        matrix = write_matrix(tmp_path, monkeypatch, matrix_yaml(chat, via={"frontline": "[chat]"}))
        process = subprocess.Popen(
            [ESCALATE, "open", "Killed mid-send", "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        try:
            connection, _ = hole.accept()  # the case is saved: the sender is on the wire
            process.send_signal(signal.SIGKILL)
            process.wait(20)
            connection.close()
        finally:
            process.kill()
        assert process.stdout is not None and process.stdout.read() == b"ESC-1\n"
    (entry,) = outbox(cli).values()
    assert entry["status"] == "sending" and entry["claim"]["pid"] == process.pid
    assert cli.json("show", "ESC-1")["timeline"][1]["kind"] == "notified"
    matrix.write_text(matrix.read_text().replace(url, web.url))  # the endpoint is back

    retried = cli("outbox", "retry", "--json")
    assert json.loads(retried.stdout) == [
        {"id": "ESC-1:1:frontline:chat", "sent": True, "error": None}
    ]
    (request,) = web.requests.wait(1)
    assert request.headers["Idempotency-Key"] == "ESC-1:1:frontline:chat"
    assert cli.json("outbox", "retry") == []
    assert cli("sweep").stderr == "nothing due (1 case checked)\n"
    assert len(web.requests.items) == 1  # exactly once
    assert outbox(cli)["ESC-1:1:frontline:chat"]["status"] == "sent"


def test_matrix_show_lists_channels_and_hooks_without_webhook_secrets(
    cli: Cli, tmp_path: Path
) -> None:
    hooks = "hooks:\n  on_open: [./hooks/post.py, --quiet]\n  on_close: [[a], [b, c]]\n"
    via = {"frontline": "[mail]", "sam": "[mail, chat]"}
    text = matrix_yaml(channels(2525, "https://hooks.example/T0K3N", tmp_path / "p"), via=via)
    path = tmp_path / "m.yaml"
    path.write_text(text + hooks)
    shown = cli("matrix", "show", str(path)).stdout
    assert "mail     email    127.0.0.1:2525 (none) from Escalations" in shown
    assert "chat     webhook  https://hooks.example/..." in shown and "T0K3N" not in shown
    assert "frontline, sam" in shown
    assert "on_open   ./hooks/post.py --quiet" in shown and "on_close  a; b c" in shown
    data = cli.json("matrix", "show", str(path))
    assert data["channels"]["mail"]["from"] == "Escalations <escalations@acme.example>"
    assert data["hooks"]["on_close"] == [["a"], ["b", "c"]]
