"""Sending one outbox entry through its channel: SMTP, an HTTP webhook or a local command."""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from escalate_cli import __version__
from escalate_cli.core.cases import customers
from escalate_cli.core.matrix.matrix_channels import url_problem
from escalate_cli.core.matrix.model import Channel, Contact, Matrix
from escalate_cli.core.notify import hooks, programs
from escalate_cli.core.notify.templates import one_line, slack_escape
from escalate_cli.core.text.visible import dumps

SIGNATURE_HEADER = "X-Escalate-Signature-256"
DEFAULT_TIMEOUT_S = {"email": 30.0, "webhook": 10.0, "command": 30.0}
_SMTP_PORT = {"starttls": 587, "tls": 465, "none": 25}


class DeliveryError(Exception):
    """A delivery that did not happen; the message is one line, fit for the outbox and stderr."""


def payload(entry: dict[str, Any], contact: Contact | None) -> dict[str, Any]:
    """The JSON a webhook receives and a command reads on stdin; `text` is ready for Slack."""
    return {
        "id": entry["id"],
        "text": f"{slack_escape(entry['summary'])}\n\n{slack_escape(entry['text'])}",
        "case": entry["case"],
        "event": {
            "index": entry["event"],
            "at": entry["at"],
            "cause": entry["cause"],
            "reason": entry["reason"],
        },
        "contact": {
            "id": entry["contact"],
            "name": contact.label if contact else entry["contact"],
            "email": contact.email if contact else None,
            "chat": contact.chat if contact else None,
        },
        "channel": entry["channel"],
        "subject": entry["subject"],
        "body": entry["text"],
    }


def send(
    matrix: Matrix,
    entry: dict[str, Any],
    now: datetime,
    env: Mapping[str, str],
    base: Path | None = None,
) -> None:
    """Deliver `entry` through the channel it names in the current matrix; DeliveryError if not."""
    channel = matrix.channels.get(entry["channel"] or "")
    if channel is None:
        raise DeliveryError(f'channel "{entry["channel"]}" is not in the matrix any more')
    contact = customers.recipient(matrix, entry["contact"])
    timeout = (
        channel.timeout.total_seconds() if channel.timeout else DEFAULT_TIMEOUT_S[channel.kind]
    )
    if channel.kind == "email":
        _email(channel, entry, contact, now, env, timeout)
    elif channel.kind == "webhook":
        _webhook(channel, entry, contact, env, timeout)
    else:
        body = dumps(payload(entry, contact)).encode()
        extra = {"ESCALATE_EVENT_ID": entry["id"], "ESCALATE_CASE": entry["case"]}
        clean = programs.clean_env(env, hooks.secret_names(matrix), extra)
        try:
            programs.run(channel.command, body, timeout=timeout, env=clean, base=base)
        except programs.ProgramFailed as error:
            raise DeliveryError(str(error)) from None


def _secret(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name)
    if not value:
        raise DeliveryError(f"environment variable {name} ({what}) is not set")
    return value


def message_id(entry_id: str, sender: str) -> str:
    """A Message-ID made from the entry's id: a retry of the same entry carries the same one."""
    domain = sender.rpartition("@")[2] or "escalate.invalid"
    local = "".join(c if c.isalnum() or c in "-." else "." for c in entry_id)
    return f"<{local}@{domain}>"


def contact_address(contact: Contact | None) -> str:
    address = contact.email if contact else None
    if not address or one_line(address) != address or "@" not in address:
        raise DeliveryError(
            f"{contact.id if contact else 'the contact'} has no usable email address"
        )
    return address


def build_email(
    channel: Channel, entry: dict[str, Any], contact: Contact | None, now: datetime
) -> EmailMessage:
    """The mail for one entry. Case text goes into headers as one line, only through `one_line`."""
    address = contact_address(contact)
    sender = parseaddr(channel.from_ or "")[1]
    msg = EmailMessage()
    msg["From"] = channel.from_ or ""
    msg["To"] = formataddr((one_line(contact.name if contact else "", 80), address))
    msg["Subject"] = one_line(entry["subject"])
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(entry["id"], sender)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
    msg["X-Escalate-Case"] = one_line(entry["case"])
    msg["X-Escalate-Id"] = one_line(entry["id"])
    msg.set_content(entry["text"])
    return msg


def _email(
    channel: Channel,
    entry: dict[str, Any],
    contact: Contact | None,
    now: datetime,
    env: Mapping[str, str],
    timeout: float,
) -> None:
    msg = build_email(channel, entry, contact, now)
    host, port = channel.host or "", channel.port or _SMTP_PORT[channel.security]
    try:
        smtp: smtplib.SMTP
        if channel.security == "tls":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username_env and channel.password_env:
                user = _secret(env, channel.username_env, "the SMTP user name")
                smtp.login(user, _secret(env, channel.password_env, "the SMTP password"))
            smtp.send_message(msg, parseaddr(channel.from_ or "")[1], [contact_address(contact)])
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP {host}:{port}: {one_line(error, 200)}") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that answers with a redirect has moved: say so rather than re-post elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _webhook(
    channel: Channel,
    entry: dict[str, Any],
    contact: Contact | None,
    env: Mapping[str, str],
    timeout: float,
) -> None:
    url = channel.url or _secret(env, channel.url_env or "", "the webhook URL")
    problem = url_problem(url)  # the matrix's own url was checked when it was loaded
    if problem is not None:
        where = f"in {channel.url_env}" if channel.url_env else f'of channel "{entry["channel"]}"'
        raise DeliveryError(f"the webhook URL {where} is not usable ({problem})")
    parts = urlsplit(url)
    body = dumps(payload(entry, contact)).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"escalate/{__version__}",
        "Idempotency-Key": entry["id"],
    }
    if channel.secret_env:
        secret = _secret(env, channel.secret_env, "the webhook signing secret").encode()
        digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
        headers[SIGNATURE_HEADER] = f"sha256={digest}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    # Never the path or the query: they may hold a token (Slack's URLs do).
    shown = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        said = one_line(error.read(300).decode(errors="replace"), 120)
        raise DeliveryError(
            f"webhook {shown}: HTTP {error.code}" + (f": {said}" if said else "")
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"webhook {shown}: {one_line(reason, 200)}") from None
