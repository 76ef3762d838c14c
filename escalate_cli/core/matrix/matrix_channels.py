"""Semantic checks on a matrix's `channels`, `notify_via` and their references, on raw YAML data."""

from __future__ import annotations

import ipaddress
import json
import re
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from escalate_cli.core.matrix.matrix_refs import Issue, KeyPath, entries, names, unknown

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ID = re.compile(r"\w[\w.-]*")
_COMMON = ("kind", "timeout")
# The keys each kind takes (`from` is `from_` by now) and the ones it cannot do without.
KEYS: dict[str, tuple[str, ...]] = {
    "email": ("host", "port", "security", "from_", "username_env", "password_env"),
    "webhook": ("url", "url_env", "secret_env"),
    "command": ("command",),
}
_REQUIRED = {"email": ("host", "from_"), "command": ("command",)}
_MAX_TIMEOUT_S = 600
_ARTICLE = {"email": "an", "webhook": "a", "command": "a"}


def _spelled(key: str) -> str:
    return "from" if key == "from_" else key


def check_channels(data: dict[str, Any]) -> list[Issue]:
    """Every problem with the channels and with who is told through which (paths normalised)."""
    channels = data.get("channels")
    known: dict[str, str | None] = {}
    issues: list[Issue] = []
    if isinstance(channels, dict):
        for name, channel in channels.items():
            path: KeyPath = ("channels", name)
            if isinstance(name, str) and not _ID.fullmatch(name):
                issues.append((path, f'bad channel name "{name}" (use letters, digits, _ - and .)'))
            kind = channel.get("kind") if isinstance(channel, dict) else None
            known[str(name)] = kind if isinstance(kind, str) else None
            if isinstance(channel, dict) and isinstance(kind, str) and kind in KEYS:
                issues += _check_channel(channel, kind, path)
    issues += _check_choices(data, known)
    return issues


def _check_channel(channel: dict[str, Any], kind: str, path: KeyPath) -> list[Issue]:
    takes = ", ".join(_spelled(key) for key in (*KEYS[kind], "timeout"))
    issues: list[Issue] = [
        ((*path, key), f'"{_spelled(key)}" is not used by {kind} channels (they take {takes})')
        for key in channel
        if key not in KEYS[kind] + _COMMON and any(key in keys for keys in KEYS.values())
    ]
    issues += [
        (path, f'missing required key "{_spelled(key)}" for {_ARTICLE[kind]} {kind} channel')
        for key in _REQUIRED.get(kind, ())
        if key not in channel
    ]
    checks = {"email": _check_email, "webhook": _check_webhook, "command": _check_command}
    issues += checks[kind](channel, path)
    timeout = channel.get("timeout")
    issues += _check_timeout(timeout, (*path, "timeout"))
    return issues


def _check_env(channel: dict[str, Any], key: str, path: KeyPath) -> list[Issue]:
    value = channel.get(key)
    if not isinstance(value, str) or _ENV_NAME.fullmatch(value):
        return []
    return [
        (
            (*path, key),
            f'bad environment variable name "{value}" (use letters, digits and _: the matrix'
            " names the variable, the secret stays in the environment)",
        )
    ]


def _check_email(channel: dict[str, Any], path: KeyPath) -> list[Issue]:
    issues: list[Issue] = []
    host, port, sender = channel.get("host"), channel.get("port"), channel.get("from_")
    if isinstance(host, str) and (not host.strip() or any(c.isspace() for c in host)):
        issues.append(((*path, "host"), f'bad host "{host}" (a name or address, no spaces)'))
    if isinstance(port, bool) or (isinstance(port, int) and not 0 < port < 65536):
        issues.append(((*path, "port"), f"bad port {port} (use a number from 1 to 65535)"))
    if isinstance(sender, str) and not _address(sender):
        issues.append(
            ((*path, "from"), f'bad address "{sender}" (use escalate@acme.example or a "Name <…>")')
        )
    for key in ("username_env", "password_env"):
        issues += _check_env(channel, key, path)
    if ("username_env" in channel) != ("password_env" in channel):
        given, other = (
            ("username_env", "password_env")
            if "username_env" in channel
            else ("password_env", "username_env")
        )
        issues.append(((*path, given), f"{given} needs {other} as well (both or neither)"))
    return issues


def _address(text: str) -> bool:
    if "\r" in text or "\n" in text:
        return False
    _, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    return bool(local and domain) and not any(c.isspace() for c in address)


def _check_webhook(channel: dict[str, Any], path: KeyPath) -> list[Issue]:
    issues = _check_env(channel, "secret_env", path) + _check_env(channel, "url_env", path)
    url = channel.get("url")
    if ("url" in channel) == ("url_env" in channel):
        issues.append(
            (path, "a webhook channel needs url, or url_env naming a variable that holds it")
        )
    problem = url_problem(url) if isinstance(url, str) else None
    if problem is not None:
        shown = json.dumps(url, ensure_ascii=False)  # a control character is shown, not printed
        issues.append(((*path, "url"), f"bad url {shown} ({problem})"))
    return issues


_HOST = re.compile(r"[\w.-]+")  # a name (IDN too) or an IPv4 address
_IPV6 = "an IPv6 address goes in brackets, as in http://[::1]:8080/"


def url_problem(url: str) -> str | None:
    """What keeps `url` from being a webhook's address (scheme http or https, a host, a port
    from 1 to 65535, an IPv6 address in brackets), or None. Never repeats the path or query:
    they may hold a token, and this also judges URLs from the environment."""
    if not url.strip():
        return "empty"
    if any(c.isspace() or ord(c) < 32 or 127 <= ord(c) < 160 for c in url):
        return "no spaces or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced or bad [IPv6] host
        return _IPV6
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(
        f"{parts.scheme.lower()}://"
    ):
        return "use http:// or https://"
    where = parts.netloc.rpartition("@")[2]
    if where.startswith("["):
        literal, _, rest = where[1:].partition("]")
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return _IPV6
        if rest and not rest.startswith(":"):
            return _IPV6
        port = rest[1:]
    else:
        host, _, port = where.partition(":")
        if ":" in port:
            return _IPV6
        if not host:
            return "no host"
        if not _HOST.fullmatch(host):
            return f'bad host "{host}"'
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return f"port {port}: use 1 to 65535"
    return None


def _check_command(channel: dict[str, Any], path: KeyPath) -> list[Issue]:
    command = channel.get("command")  # a string is the schema's "expected a list"
    if command == [] or (isinstance(command, list) and command and command[0] == ""):
        return [((*path, "command"), "expected an argument list starting with the program")]
    return []


def _check_timeout(timeout: Any, path: KeyPath) -> list[Issue]:
    from escalate_cli.core.time.timing import parse_duration

    try:
        too_long = parse_duration(timeout).total_seconds() > _MAX_TIMEOUT_S
    except (ValueError, TypeError):
        return []  # the schema reports a bad duration
    return [(path, "a timeout of at most 10m, please")] if too_long else []


def _check_choices(data: dict[str, Any], known: dict[str, str | None]) -> list[Issue]:
    """`notify_via` at the top and on each contact names channels, each once."""
    issues = _names_ok(data.get("notify_via"), ("notify_via",), known)
    for index, contact in entries(data, "contacts"):
        path: KeyPath = ("contacts", index, "notify_via")
        via = contact.get("notify_via")
        issues += _names_ok(via, path, known)
        for where, name in names(via, path, single=False):
            if known.get(name) == "email" and not contact.get("email"):
                ident = contact.get("id", "this contact")
                issues.append((where, f'"{name}" is an email channel but {ident} has no email'))
    return issues


def _names_ok(value: Any, path: KeyPath, known: dict[str, str | None]) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[str] = set()
    for where, name in names(value, path, single=False):
        if name not in known:
            issues.append((where, unknown("channel", name, list(known))))
        elif name in seen:
            issues.append((where, f'channel "{name}" is listed twice'))
        seen.add(name)
    return issues
