"""Tests for core.delivery and core.hooks against real servers and programs on this machine."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.notify import delivery, hooks, outbox
from tests.notify_servers import (
    SmtpServer,
    WebServer,
    black_hole,
    hook_command,
    loopback_certificate,
    matrix_yaml,
    read_lines,
    smtp_server,
    web_server,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NASTY = "Checkout <b>down</b> & out\r\nBcc: evil@attacker.example\u2028X-Evil: 1"


def load(channels: str, **extra: str) -> Matrix:
    return load_matrix_text(matrix_yaml(channels, **extra), "m.yaml")


def opened(matrix: Matrix, title: str = NASTY, severity: str = "sev1") -> list[dict[str, Any]]:
    """The outbox entries of a case opened now, by id."""
    case = new_case(matrix, 1, OpenRequest(title, severity=severity), NOW)
    return outbox.entries_for(matrix, case, range(len(case["timeline"])), NOW)


def mail_channel(port: int, *extra: str) -> str:
    """YAML for a plain-text SMTP channel `mail`; `extra` are more of its keys."""
    lines = [
        "notify_via: [mail]",
        "channels:",
        "  mail:",
        "    kind: email",
        "    host: 127.0.0.1",
        f"    port: {port}",
        "    security: none",
        '    from: "Escalations <escalations@acme.example>"',
        "    timeout: 5s",
        *(f"    {line}" for line in extra),
    ]
    return "\n".join(lines) + "\n"


# Email --------------------------------------------------------------------------------------


def test_an_email_reaches_the_contact_with_one_line_headers_and_the_situation_report(
    smtp: SmtpServer,
) -> None:
    matrix = load(mail_channel(smtp.port))
    entry = next(e for e in opened(matrix) if e["contact"] == "frontline")
    delivery.send(matrix, entry, NOW, {})
    (mail,) = smtp.mails.wait(1)
    assert mail.recipients == ["frontline@acme.example"]
    assert mail.sender == "escalations@acme.example"
    msg = mail.message
    assert msg["To"] == "Frontline queue <frontline@acme.example>"
    subject = msg["Subject"]
    assert subject.startswith("[ESC-1] opened at L1 (Frontline support), sev1: Checkout")
    assert "\n" not in subject and "\r" not in subject
    assert msg["Bcc"] is None and msg["X-Evil"] is None  # the title stayed inside Subject
    assert msg["Message-ID"] == "<ESC-1.1.frontline.mail@acme.example>"
    assert msg["Auto-Submitted"] == "auto-generated"
    body = msg.get_content()
    assert "You are told because: opened at L1." in body
    for line in ("What: sev1 (Critical)", "Impact: not assessed yet", "Ask: ", "Deadline: "):
        assert line in body  # the situation report from core.documents


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_credentials_come_from_the_environment_variables_the_matrix_names() -> None:
    for server in smtp_server(credentials=("robot", "s3cret")):
        extra = ("username_env: SMTP_USER", "password_env: SMTP_PASSWORD")
        matrix = load(mail_channel(server.port, *extra))
        entry = opened(matrix)[0]
        with pytest.raises(delivery.DeliveryError, match=r"SMTP_USER .* is not set"):
            delivery.send(matrix, entry, NOW, {})
        with pytest.raises(delivery.DeliveryError, match=r"SMTP 127.0.0.1:\d+: .*535"):
            delivery.send(matrix, entry, NOW, {"SMTP_USER": "robot", "SMTP_PASSWORD": "no"})
        delivery.send(matrix, entry, NOW, {"SMTP_USER": "robot", "SMTP_PASSWORD": "s3cret"})
        assert server.mails.wait(1)[0].recipients == ["frontline@acme.example"]
        assert ("robot", "no") in server.logins  # smtplib tries each mechanism offered
        assert server.logins[-1] == ("robot", "s3cret")


def test_starttls_is_required_when_the_matrix_says_so(smtp: SmtpServer) -> None:
    matrix = load(mail_channel(smtp.port).replace("security: none", "security: starttls"))
    with pytest.raises(delivery.DeliveryError, match="STARTTLS extension not supported"):
        delivery.send(matrix, opened(matrix)[0], NOW, {})
    assert smtp.mails.items == []  # never sent in clear text


def test_an_unreachable_smtp_server_is_one_line() -> None:
    for listener in black_hole():
        port = listener.getsockname()[1]
    matrix = load(mail_channel(port))  # closed by now: nothing listens there
    with pytest.raises(delivery.DeliveryError) as caught:
        delivery.send(matrix, opened(matrix)[0], NOW, {})
    assert f"SMTP 127.0.0.1:{port}: " in str(caught.value) and "\n" not in str(caught.value)


# Webhooks -----------------------------------------------------------------------------------


def chat_channel(url: str | None, *extra: str, timeout: str = "5s") -> str:
    """YAML for a webhook channel `chat`; `extra` are more of its keys."""
    lines = ["notify_via: [chat]", "channels:", "  chat:", "    kind: webhook"]
    lines += [f'    url: "{url}"'] if url else []
    lines += [f"    timeout: {timeout}", *(f"    {line}" for line in extra)]
    return "\n".join(lines) + "\n"


def test_a_webhook_gets_json_with_slack_text_an_idempotency_key_and_a_signature(
    web: WebServer,
) -> None:
    matrix = load(chat_channel(web.url, "secret_env: CHAT_SECRET"))
    entry = next(e for e in opened(matrix) if e["contact"] == "frontline")
    delivery.send(matrix, entry, NOW, {"CHAT_SECRET": "k3y"})
    (request,) = web.requests.wait(1)
    assert request.path == "/hook/T0K3N"
    assert request.headers["Idempotency-Key"] == "ESC-1:1:frontline:chat"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    expected = hmac.new(b"k3y", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Escalate-Signature-256"] == f"sha256={expected}"
    data = request.json()
    assert data["id"] == entry["id"] and data["case"] == "ESC-1"
    assert data["contact"] == {
        "id": "frontline",
        "name": "Frontline queue",
        "email": "frontline@acme.example",
        "chat": None,
    }
    assert data["event"] == {"index": 1, "at": "2026-11-23T10:00:00Z", "cause": "opened",
                             "reason": "opened at L1"}  # fmt: skip
    assert "&lt;b&gt;down&lt;/b&gt; &amp; out" in data["text"]  # Slack's escaping
    assert "<b>" not in data["text"]
    assert "\n" not in data["subject"] and "\r" not in data["subject"]
    assert "Checkout <b>down</b> & out Bcc: evil@attacker.example X-Evil: 1" in data["subject"]
    assert "Impact: not assessed yet" in data["body"]


def test_a_failing_webhook_is_one_line_without_the_secret_path() -> None:
    for server in web_server([500]):
        matrix = load(chat_channel(server.url))
        with pytest.raises(delivery.DeliveryError) as caught:
            delivery.send(matrix, opened(matrix)[0], NOW, {})
        message = str(caught.value)
        assert message == f"webhook http://127.0.0.1:{server.port}: HTTP 500: server on fire"
        assert "T0K3N" not in message


def test_a_webhook_url_and_secret_from_the_environment(web: WebServer) -> None:
    matrix = load(chat_channel(None, "url_env: CHAT_URL", "secret_env: SIGN"))
    entry = opened(matrix)[0]
    with pytest.raises(delivery.DeliveryError, match=r"CHAT_URL .*is not set"):
        delivery.send(matrix, entry, NOW, {})
    with pytest.raises(delivery.DeliveryError, match=r"SIGN .*is not set"):
        delivery.send(matrix, entry, NOW, {"CHAT_URL": web.url})
    with pytest.raises(delivery.DeliveryError, match="use http:// or https://"):
        delivery.send(matrix, entry, NOW, {"CHAT_URL": "file:///etc/passwd", "SIGN": "x"})
    delivery.send(matrix, entry, NOW, {"CHAT_URL": web.url, "SIGN": "x"})
    assert len(web.requests.wait(1)) == 1


def test_a_webhook_that_never_answers_times_out() -> None:
    for listener in black_hole():
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        matrix = load(chat_channel(url, timeout="1s"))
        with pytest.raises(delivery.DeliveryError, match="timed out"):
            delivery.send(matrix, opened(matrix)[0], NOW, {})


# Commands and hooks -------------------------------------------------------------------------


def pager_channel(argv: list[str], timeout: str = "10s") -> str:
    """YAML for a command channel `pager` running `argv`."""
    lines = ["notify_via: [pager]", "channels:", "  pager:", "    kind: command"]
    lines += [f"    command: {json.dumps(argv)}", f"    timeout: {timeout}"]
    return "\n".join(lines) + "\n"


def test_a_command_channel_reads_the_event_on_stdin_and_case_text_stays_out_of_argv(
    tmp_path: Path,
) -> None:
    out = tmp_path / "pager.jsonl"
    matrix = load(pager_channel(hook_command(out)))
    entry = opened(matrix)[0]
    delivery.send(matrix, entry, NOW, {"PATH": "/usr/bin:/bin"})
    (record,) = read_lines(out)
    assert record["argv"] == [str(out), "0"]
    assert record["event_id"] == entry["id"] and record["case"] == "ESC-1"
    assert record["stdin"]["id"] == entry["id"]
    assert record["stdin"]["subject"] == entry["subject"]


@pytest.mark.parametrize(
    ("argv", "timeout", "said"),
    [
        (["/no/such/program"], "5s", "/no/such/program: program not found"),
        ([sys.executable, "-c", "import signal; signal.pause()"], "1s", "timed out after 1 s"),
    ],
)
def test_a_command_that_cannot_run_or_hangs_is_one_line(
    argv: list[str], timeout: str, said: str
) -> None:
    matrix = load(pager_channel(argv, timeout))
    with pytest.raises(delivery.DeliveryError, match=said):
        delivery.send(matrix, opened(matrix)[0], NOW, {})


def test_a_command_that_fails_says_its_exit_code_and_last_words(tmp_path: Path) -> None:
    matrix = load(pager_channel(hook_command(tmp_path / "o", exit_code=3)))
    with pytest.raises(delivery.DeliveryError, match=r"exit 3: refusing on purpose with 3$"):
        delivery.send(matrix, opened(matrix)[0], NOW, {})


def test_a_relative_program_is_found_beside_the_matrix(tmp_path: Path) -> None:
    (tmp_path / "hooks").mkdir()
    script = tmp_path / "hooks" / "page.py"
    script.write_text(f"#!{sys.executable}\nimport sys\nopen(sys.argv[1], 'w').write('paged')\n")
    script.chmod(0o755)
    matrix = load(pager_channel(["./hooks/page.py", str(tmp_path / "done")]))
    delivery.send(matrix, opened(matrix)[0], NOW, {}, base=tmp_path)
    assert (tmp_path / "done").read_text() == "paged"


def test_a_channel_gone_from_the_matrix(tmp_path: Path) -> None:
    entry = opened(load(pager_channel(["true"])))[0]
    with pytest.raises(delivery.DeliveryError, match='channel "pager" is not in the matrix'):
        delivery.send(load(""), entry, NOW, {})


def test_hooks_get_the_case_on_stdin_and_failures_are_lines(tmp_path: Path) -> None:
    out = tmp_path / "hooks.jsonl"
    hook_yaml = f"""\
        hooks:
          timeout: 5s
          on_open: [{json.dumps(hook_command(out))}, {json.dumps(hook_command(out, 4))}]
          on_change: {json.dumps(["/no/such/hook"])}
        """
    matrix = load("", hooks=hook_yaml)
    case = new_case(matrix, 1, OpenRequest(NASTY), NOW)
    found = hooks.jobs(matrix, case, range(len(case["timeline"])))
    assert [job.hook for job in found] == ["on_open", "on_change"]
    failures = hooks.run(matrix, found, {}, None)
    assert failures == [
        f"hook on_open for ESC-1 failed: {sys.executable}: exit 4: refusing on purpose with 4",
        "hook on_change for ESC-1 failed: /no/such/hook: program not found",
    ]
    records = read_lines(out)
    assert [r["hook"] for r in records] == ["on_open", "on_open"]
    assert records[0]["stdin"] == json.loads(json.dumps(case))  # the case, exactly
    assert records[0]["argv"] == [str(out), "0"]  # no case text in the arguments


def test_hook_names_follow_the_new_events() -> None:
    matrix = load("", hooks="hooks:\n  on_escalate: [x]\n  on_breach: [y]\n  on_resume: [z]\n")
    case = {"id": "ESC-1", "timeline": [{"kind": k} for k in ("opened", "resumed", "breached",
                                                             "escalated", "notified")]}  # fmt: skip
    assert [job.hook for job in hooks.jobs(matrix, case, [1, 2, 3, 4])] == [
        "on_resume",
        "on_breach",
        "on_escalate",
    ]
    assert hooks.jobs(matrix, case, []) == []  # nothing new, nothing runs


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return loopback_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_encrypted_to_a_server_whose_certificate_verifies(
    security: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client trusts the system's CAs; SSL_CERT_FILE makes it trust the test's own.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    for server in smtp_server(tls=security, certificate=certificate):
        matrix = load(mail_channel(server.port).replace("security: none", f"security: {security}"))
        delivery.send(matrix, opened(matrix)[0], NOW, {})
        assert server.mails.wait(1)[0].recipients == ["frontline@acme.example"]


def test_a_certificate_that_does_not_verify_sends_nothing(certificate: tuple[Path, Path]) -> None:
    for server in smtp_server(tls="tls", certificate=certificate):
        matrix = load(mail_channel(server.port).replace("security: none", "security: tls"))
        with pytest.raises(delivery.DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            delivery.send(matrix, opened(matrix)[0], NOW, {})
        assert server.mails.items == []
