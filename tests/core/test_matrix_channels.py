"""Tests for the matrix's channels, notify_via and hooks: what loads, and every problem by line."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from escalate_cli.core.matrix.loader import load_matrix_text
from tests.core.matrix_helpers import BASE, problems, with_base
from tests.core.test_matrix_junk import (
    JUNK_SETTINGS,
    _paths_into,
    dump,
    junk,
    only_matrix_errors,
    spliced,
)

CHANNELS = """\
channels:
  email-main:
    kind: email
    host: smtp.acme.example
    port: 2525
    security: none
    from: "Escalations <escalations@acme.example>"
    username_env: SMTP_USER
    password_env: SMTP_PASSWORD
  chat:
    kind: webhook
    url: https://hooks.example/T1
    secret_env: CHAT_SECRET
    timeout: 5s
  pager:
    kind: command
    command: [page, --team, support]
notify_via: [chat]
hooks:
  timeout: 20s
  on_open: [./hooks/post.py, --quiet]
  on_escalate: [[./a.py], [b, c]]
"""


def test_channels_notify_via_and_hooks_load() -> None:
    text = BASE.replace("  - id: sam\n", "  - id: sam\n    email: sam@x.example\n")
    text = text.replace(
        "  - id: tia\n", "  - id: tia\n    notify_via: []\n  - id: ana\n    notify_via: [pager]\n"
    )
    matrix = load_matrix_text(text + CHANNELS, "m.yaml")
    email = matrix.channels["email-main"]
    assert (email.kind, email.port, email.security) == ("email", 2525, "none")
    assert email.from_ == "Escalations <escalations@acme.example>"
    assert matrix.channels["chat"].timeout == timedelta(seconds=5)
    assert matrix.channels["pager"].command == ("page", "--team", "support")
    assert matrix.channels_of("sam") == ("chat",)  # the matrix's default
    assert matrix.channels_of("tia") == ()  # record only
    assert matrix.channels_of("ana") == ("pager",)
    assert matrix.hooks.on_open == (("./hooks/post.py", "--quiet"),)
    assert matrix.hooks.on_escalate == (("./a.py",), ("b", "c"))
    assert matrix.hooks.timeout == timedelta(seconds=20)


def test_a_matrix_without_channels_sends_nothing() -> None:
    matrix = load_matrix_text(BASE, "m.yaml")
    assert matrix.channels == {} and matrix.channels_of("dana") == ()
    assert matrix.hooks.on_open == ()


def test_email_channel_problems() -> None:
    text = with_base(
        """\
        channels:
          mail:
            kind: email
            host: smtp example
            port: 70000
            from: "not an address"
            username_env: SMTP-USER
            url: https://x.example
            timeout: 2h
          mail2:
            kind: email
            frm: x@y.example
            password_env: PASS
        """
    )
    assert problems(text) == [
        'm.yaml:15: channels.mail.host: bad host "smtp example" (a name or address, no spaces)',
        "m.yaml:16: channels.mail.port: bad port 70000 (use a number from 1 to 65535)",
        'm.yaml:17: channels.mail.from: bad address "not an address"'
        ' (use escalate@acme.example or a "Name <…>")',
        'm.yaml:18: channels.mail.username_env: bad environment variable name "SMTP-USER"'
        " (use letters, digits and _: the matrix names the variable, the secret stays in the"
        " environment)",
        "m.yaml:18: channels.mail.username_env: username_env needs password_env as well"
        " (both or neither)",
        'm.yaml:19: channels.mail.url: "url" is not used by email channels'
        " (they take host, port, security, from, username_env, password_env, timeout)",
        "m.yaml:20: channels.mail.timeout: a timeout of at most 10m, please",
        'm.yaml:21: channels.mail2: missing required key "host" for an email channel',
        'm.yaml:21: channels.mail2: missing required key "from" for an email channel',
        'm.yaml:23: channels.mail2.frm: unknown key "frm" (did you mean "from"?)',
        "m.yaml:24: channels.mail2.password_env: password_env needs username_env as well"
        " (both or neither)",
    ]


def test_webhook_and_command_problems() -> None:
    text = with_base(
        """\
        channels:
          chat:
            kind: webhook
            url: ftp://hooks.example
            secret_env: "1SECRET"
            host: smtp.example
          chat2:
            kind: webhook
          pager:
            kind: command
            command: "page --all"
          pager2:
            kind: command
            command: []
            timeout: soon
          fax:
            kind: fax
          "bad name":
            kind: command
            command: [x]
        """
    )
    assert problems(text) == [
        'm.yaml:15: channels.chat.url: bad url "ftp://hooks.example" (use http:// or https://)',
        'm.yaml:16: channels.chat.secret_env: bad environment variable name "1SECRET"'
        " (use letters, digits and _: the matrix names the variable, the secret stays in the"
        " environment)",
        'm.yaml:17: channels.chat.host: "host" is not used by webhook channels'
        " (they take url, url_env, secret_env, timeout)",
        "m.yaml:18: channels.chat2: a webhook channel needs url, or url_env naming a variable"
        " that holds it",
        "m.yaml:22: channels.pager.command: expected a list",
        "m.yaml:25: channels.pager2.command: expected an argument list starting with the program",
        'm.yaml:26: channels.pager2.timeout: bad duration "soon" (use 90s, 15m, 4h, 2d, 1w, 1h30m)',
        'm.yaml:28: channels.fax.kind: expected "email", "webhook" or "command"',
        'm.yaml:29: channels.bad name: bad channel name "bad name"'
        " (use letters, digits, _ - and .)",
    ]


def test_notify_via_names_channels_once_and_email_needs_an_address() -> None:
    text = textwrap.dedent(
        """\
        notify_via: [chat, chta]
        channels:
          chat: {kind: webhook, url: "https://hooks.example/x"}
          mail: {kind: email, host: smtp.example, from: esc@x.example}
        contacts:
          - id: dana
            notify_via: [mail, chat, chat]
          - id: sam
            email: sam@x.example
            notify_via: mail
        levels:
          - id: L1
            contacts: [dana, sam]
        """
    )
    assert problems(text) == [
        'm.yaml:1: notify_via[1]: unknown channel "chta" (known: chat, mail)',
        'm.yaml:7: contacts[0].notify_via[2]: channel "chat" is listed twice',
        'm.yaml:7: contacts[0].notify_via[0]: "mail" is an email channel but dana has no email',
        "m.yaml:10: contacts[1].notify_via: expected a list",
    ]


def test_hook_problems() -> None:
    text = with_base(
        """\
        hooks:
          on_resolv: [x]
          on_close: "notify-send closed"
          on_reopen: []
          on_open: [[x], 3]
          on_escalate: ["", x]
          timeout: 0s
        """
    )
    assert problems(text) == [
        'm.yaml:13: hooks.on_resolv: unknown key "on_resolv" (did you mean "on_resolve"?)',
        "m.yaml:14: hooks.on_close: expected an argument list such as [./hooks/post.py, --quiet]"
        " (no shell)",
        "m.yaml:15: hooks.on_reopen: expected a non-empty argument list",
        "m.yaml:16: hooks.on_open: expected a list of strings, starting with the program",
        "m.yaml:17: hooks.on_escalate: expected a list of strings, starting with the program",
        'm.yaml:18: hooks.timeout: bad duration "0s": must be more than zero'
        " (use 90s, 15m, 4h, 2d, 1w, 1h30m)",
    ]


def test_channels_must_be_a_mapping_of_mappings() -> None:
    assert problems(with_base("channels: [chat]\n")) == ["m.yaml:12: channels: expected a mapping"]
    assert problems(with_base("channels:\n  chat: webhook\n")) == [
        "m.yaml:13: channels.chat: expected a mapping"
    ]


WIRED = yaml.safe_load(
    BASE.replace(
        "  - id: sam\n", "  - id: sam\n    email: sam@x.example\n    notify_via: [pager]\n"
    )
    + CHANNELS
)
WIRED_PATHS = [
    path
    for path in _paths_into(WIRED)[1:]
    if path[0] in ("channels", "notify_via", "hooks") or "notify_via" in path
]


@JUNK_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(WIRED_PATHS), junk), min_size=1, max_size=3))
def test_junk_in_channels_and_hooks_only_raises_matrix_error(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    only_matrix_errors(dump(spliced(WIRED, changes)))
