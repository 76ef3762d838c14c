"""Notifications under stress through the CLI: a bad webhook address, a process killed in the
middle of a batch, and hooks and command channels from a matrix others could change."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.notify_servers import (
    SmtpServer,
    WebServer,
    black_hole,
    hook_command,
    matrix_yaml,
    read_lines,
)

ESCALATE = str(Path(sys.executable).with_name("escalate"))


def mail_and_chat(smtp_port: int, chat: str) -> str:
    """frontline hears by mail, then by chat (`chat` is the webhook's url or url_env line)."""
    channels = f"""\
        channels:
          mail:
            kind: email
            host: 127.0.0.1
            port: {smtp_port}
            security: none
            from: escalations@acme.example
            timeout: 5s
          chat: {{kind: webhook, {chat}}}
        """
    return matrix_yaml(channels, via={"frontline": "[mail, chat]"})


def write_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "escalation.yaml"
    path.write_text(text)
    path.chmod(0o644)  # whatever the umask: hooks and command channels run from it
    monkeypatch.setenv("ESCALATE_MATRIX", str(path))
    return path


def statuses(cli: Cli) -> dict[str, str]:
    return {e["id"]: e["status"] for e in cli.json("outbox", "--status", "all")}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://[::1", "an IPv6 address goes in brackets, as in http://[::1]:8080/"),
        ("http://x:99999/", "port 99999: use 1 to 65535"),
    ],
)
def test_matrix_validate_names_a_bad_webhook_url_with_exit_4(
    cli: Cli, tmp_path: Path, url: str, why: str
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(mail_and_chat(25, f'url: "{url}"'))
    done = cli("matrix", "validate", str(path), code=4)
    assert f'{path}:41: channels.chat.url: bad url "{url}" ({why})' in done.stderr


def test_a_bad_url_in_the_environment_fails_its_entry_and_the_rest_is_delivered(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> None:
    write_matrix(tmp_path, monkeypatch, mail_and_chat(smtp.port, "url_env: CHAT_URL"))
    monkeypatch.setenv("CHAT_URL", "http://[::1")
    failed = (
        "warning: ESC-1: chat to frontline failed: the webhook URL in CHAT_URL is not usable"
        " (an IPv6 address goes in brackets, as in http://[::1]:8080/)"
        " (kept in the outbox: escalate outbox retry)\n"
    )
    opened = cli("open", "Bad chat address", "--now", "2026-11-23T10:00:00Z")
    assert opened.stderr == failed
    assert smtp.mails.wait(1)[0].recipients == ["frontline@acme.example"]
    assert statuses(cli) == {"ESC-1:1:frontline:mail": "sent", "ESC-1:1:frontline:chat": "failed"}

    retried = cli("outbox", "retry", code=7)  # partly done, never "unexpected failure"
    assert retried.stderr == failed + (
        "1 notification could not be sent: it stays in the outbox (escalate outbox)\n"
    )
    swept = cli("sweep", "--now", "2026-11-23T10:05:00Z")  # due again: it retries, exit 0
    assert swept.stderr == "nothing due (1 case checked)\n" + failed
    ack = cli("acknowledge", "ESC-1", "--by", "sam", "--now", "2026-11-23T10:06:00Z")
    assert ack.stderr == ""  # nothing new to send; the failed entry waits for its turn
    assert "sending" not in statuses(cli).values()

    monkeypatch.setenv("CHAT_URL", web.url)
    assert cli("outbox", "retry").stdout == "sent ESC-1:1:frontline:chat\n"
    assert len(web.requests.wait(1)) == 1 and len(smtp.mails.items) == 1


def test_a_process_killed_mid_batch_resends_only_the_entry_it_was_sending(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> None:
    """The mail is accepted, then the process hangs on the webhook and is killed: `outbox retry`
    sends the webhook, not the mail again."""
    for hole in black_hole():
        url = f"http://127.0.0.1:{hole.getsockname()[1]}/hook"
        text = mail_and_chat(smtp.port, f'url: "{url}", timeout: 10m')
        matrix = write_matrix(tmp_path, monkeypatch, text)
        process = subprocess.Popen(
            [ESCALATE, "open", "Killed mid-batch", "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        try:
            connection, _ = hole.accept()  # the mail went first; now it waits on the webhook
            process.send_signal(signal.SIGKILL)
            process.wait(20)
            connection.close()
        finally:
            process.kill()
    assert len(smtp.mails.wait(1)) == 1
    assert statuses(cli) == {"ESC-1:1:frontline:mail": "sent", "ESC-1:1:frontline:chat": "sending"}
    matrix.write_text(matrix.read_text().replace(url, web.url))
    assert cli.json("outbox", "retry") == [
        {"id": "ESC-1:1:frontline:chat", "sent": True, "error": None}
    ]
    assert len(web.requests.wait(1)) == 1
    assert len(smtp.mails.items) == 1  # the mail was not sent twice


@pytest.mark.parametrize(
    ("mode", "who"),
    [(0o664, "its group"), (0o646, "others"), (0o666, "its group and others")],
)
def test_hooks_and_command_channels_run_only_from_a_matrix_nobody_else_can_write(
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    web: WebServer,
    mode: int,
    who: str,
) -> None:
    ran = tmp_path / "ran.jsonl"  # what the hook and the pager would write, had they run
    program = json.dumps(hook_command(ran))
    channels = f"""\
        channels:
          chat: {{kind: webhook, url: "{web.url}"}}
          pager: {{kind: command, command: {program}}}
        """
    text = matrix_yaml(
        channels, hooks=f"hooks:\n  on_change: {program}\n", via={"frontline": "[chat, pager]"}
    )
    path = write_matrix(tmp_path, monkeypatch, text)
    path.chmod(mode)
    why = (
        f"{path} is writable by {who} (mode {mode:04o}), so its hooks and command channels"
        f" do not run (chmod go-w {path})"
    )
    opened = cli("open", "Guarded")
    assert opened.stderr == (
        f"warning: {why}; 1 notification waiting in the outbox as failed and 1 hook not run\n"
    )
    assert len(web.requests.wait(1)) == 1  # the webhook is not a program: it went
    entries = {e["channel"]: e for e in cli.json("outbox", "--status", "all")}
    assert (entries["chat"]["status"], entries["pager"]["status"]) == ("sent", "failed")
    assert entries["pager"]["error"] == why
    retried = cli("outbox", "retry", code=7)
    assert retried.stderr.startswith(f"warning: {why}; 1 notification waiting")
    assert not ran.exists()

    path.chmod(0o644)  # owned by the user (root here), writable by nobody else: programs run
    assert cli("outbox", "retry").stdout == "sent ESC-1:1:frontline:pager\n"
    assert cli("acknowledge", "ESC-1", "--by", "frontline").stderr == ""
    assert [(r["event_id"], r["hook"]) for r in read_lines(ran)] == [
        ("ESC-1:1:frontline:pager", None),
        (None, "on_change"),
    ]
