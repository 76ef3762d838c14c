"""Real servers on loopback for the notification tests: SMTP (aiosmtpd), webhooks, a black hole.

Every server binds 127.0.0.1 on a port the kernel picks, records what it receives and sets an
event for each arrival, so tests wait on events (bounded) rather than sleeping.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

WAIT_S = 20.0
HOOK_SCRIPT = Path(__file__).with_name("hook_script.py")


class Arrivals:
    """A list that the test can wait on: `wait(n)` returns once n items have arrived."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._changed = threading.Condition()

    def add(self, item: Any) -> None:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    def wait(self, count: int = 1) -> list[Any]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.items) >= count, WAIT_S):
                raise AssertionError(f"waited {WAIT_S} s for {count}, got {len(self.items)}")
            return list(self.items)


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage


class _MailHandler:
    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        self.arrivals.add(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"


class _LoopbackController(Controller):
    """aiosmtpd's Controller on port 0: learn the port the kernel chose before connecting."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    port: int
    mails: Arrivals
    logins: list[tuple[str, str]] = field(default_factory=list)


def loopback_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away CA's certificate for 127.0.0.1: (the CA to trust, the server's cert+key)."""
    import trustme

    authority = trustme.CA()
    trusted, served = folder / "ca.pem", folder / "server.pem"
    authority.cert_pem.write_to_path(str(trusted))
    issued = authority.issue_cert("127.0.0.1")
    issued.private_key_and_cert_chain_pem.write_to_path(str(served))
    return trusted, served


def smtp_server(
    credentials: tuple[str, str] | None = None,
    *,
    tls: str | None = None,
    certificate: tuple[Path, Path] | None = None,
) -> Iterator[SmtpServer]:
    """Yield a running SMTP server; with `credentials` it requires AUTH (over plain text).

    `tls="starttls"` requires STARTTLS before mail; `tls="tls"` speaks TLS from the first byte;
    both use `certificate` (from `loopback_certificate`)."""
    mails = Arrivals()
    logins: list[tuple[str, str]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if isinstance(data, LoginPassword):
            pair = (data.login.decode(), data.password.decode())
            logins.append(pair)
            return AuthResult(success=pair == credentials, handled=False)
        return AuthResult(success=False, handled=False)

    extra: dict[str, Any] = {}
    if credentials:
        extra = {"authenticator": authenticate, "auth_require_tls": False, "auth_required": True}
    if tls is not None:
        assert certificate is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate[1])
        if tls == "starttls":
            extra.update(tls_context=context, require_starttls=True)
        else:
            extra.update(ssl_context=context)
    controller = _LoopbackController(
        _MailHandler(mails), hostname="127.0.0.1", port=0, ready_timeout=WAIT_S, **extra
    )
    controller.start()
    try:
        yield SmtpServer(controller.port, mails, logins)
    finally:
        controller.stop()


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebServer:
    port: int
    requests: Arrivals
    statuses: list[int]  # answers still to give, in order; 200 once they run out

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook/T0K3N"


def web_server(statuses: list[int] | None = None) -> Iterator[WebServer]:
    """Yield a running HTTP server that records each POST and answers the next status."""
    requests = Arrivals()
    answers = list(statuses or [])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = answers.pop(0) if answers else 200
            reply = b"ok" if status < 400 else b"server on fire"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
            requests.add(Request(self.path, dict(self.headers.items()), body))

        def log_message(self, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield WebServer(server.server_address[1], requests, answers)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT_S)


def black_hole() -> Iterator[socket.socket]:
    """A listening socket nobody reads from: a client connects, sends, and waits forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT_S)
    try:
        yield listener
    finally:
        listener.close()


def hook_command(out: Path, exit_code: int = 0) -> list[str]:
    """The argument list of tests/hook_script.py, appending what it reads to `out`."""
    return [sys.executable, str(HOOK_SCRIPT), str(out), str(exit_code)]


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def matrix_yaml(
    channels: str, *, notify_via: str = "", hooks: str = "", via: dict[str, str] | None = None
) -> str:
    """A small matrix: frontline (L1, email), sam (L2, chat), vp (told of sev1 opens).
    `via` gives contacts their own `notify_via` (`{"sam": "[mail, chat]"}`)."""
    text = f"""\
        version: 1
        name: Notify test
        timezone: UTC
        {notify_via}
        contacts:
          - id: frontline
            name: Frontline queue
            email: frontline@acme.example
          - id: sam
            name: Sam Okafor
            email: sam@acme.example
            chat: "@sam"
          - id: vp
            name: VP Support
        levels:
          - id: L1
            name: Frontline support
            contacts: [frontline]
            ack: 15m
          - id: L2
            name: Support supervisor
            contacts: [sam]
        severities:
          - id: sev1
            name: Critical
            ack: 1h
            resolve: 4h
            notify: [vp]
          - id: sev3
            name: Minor
        default_severity: sev3
        """
    text = textwrap.dedent(text)
    for contact, channels_of in (via or {}).items():
        entry = f"  - id: {contact}\n"
        text = text.replace(entry, f"{entry}    notify_via: {channels_of}\n")
    return text + textwrap.dedent(channels) + textwrap.dedent(hooks)
