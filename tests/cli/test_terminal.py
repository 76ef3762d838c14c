"""Case text never drives a terminal (docs/reliability.md): control characters and bidi overrides in
anything a case holds are shown as backslash escapes to people, and as JSON escapes in --json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, on_a_terminal
from tests.notify_servers import (
    SmtpServer,
    WebServer,
    hook_command,
    matrix_yaml,
    read_lines,
)

# OSC 0 (window title), OSC 52 (clipboard), clear screen, backspace, CSI as one C1 byte, DEL,
# a right-to-left override and isolate, a lone carriage return; é and 日本 must stay readable.
EVIL = (
    "pay \x1b]0;pwned\x07 \x1b]52;c;cHduZWQ=\x07 \x1b[2J b\x08 c\x9b d\x7f \u202eevil\u2066 r\r"
    " é 日本"
)
# How people see it, piece by piece (a brief may wrap the line between two pieces).
SHOWN = [
    r"\x1b]0;pwned\x07",
    r"\x1b]52;c;cHduZWQ=\x07",
    r"\x1b[2J",
    r"b\x08",
    r"c\x9b",
    r"d\x7f",
    r"\u202eevil\u2066",
    r"r\r",
    "é 日本",
]
SHOWN_LINE = " ".join(["pay", *SHOWN[:3], *SHOWN[3:]])
# What must never reach a person: C0 controls but newline, DEL, C1, bidi overrides and isolates.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
T0, LATER = "2026-11-23T10:00:00Z", "2026-11-23T18:00:00Z"


def assert_nothing_raw(result: Any, what: str) -> None:
    for stream in ("stdout", "stderr"):
        found = RAW.search(getattr(result, stream))
        assert found is None, f"{what}: raw {found.group()!r} on {stream}" if found else ""


def assert_shown(text: str, what: str) -> None:
    missing = [piece for piece in SHOWN if piece not in text]
    assert not missing, f"{what}: {missing} not shown in {text}"


def assert_json_escapes(result: Any, what: str) -> Any:
    """The JSON keeps the text exactly, escaped: no raw control, C1 or bidi character."""
    assert_nothing_raw(result, what)
    assert "\\u001b" in result.stdout and "\\u202e" in result.stdout, what
    assert "é 日本" in result.stdout, f"{what}: other non-ASCII text stays readable"
    return json.loads(result.stdout)


@pytest.fixture
def evil_case(cli: Cli, tmp_path: Path) -> list[tuple[tuple[str, ...], Any]]:
    """ESC-1 holds EVIL in every text a case records; ESC-2 is left open for a sweep. Returns
    each command with what it printed."""
    log = tmp_path / "log \x1b[2J\u202e.txt"
    log.write_text("boom\n")
    steps = [
        ("open", EVIL, "--customer", EVIL, "--tier", EVIL, "--description", f"{EVIL}\n{EVIL}"),
        ("acknowledge", "1", "--note", EVIL),
        ("gather", "1", "--fact", EVIL, "--why", EVIL, "--attach", str(log)),
        ("assess", "1", "--impact", EVIL, "--root-cause", EVIL),
        ("update", "1", EVIL),
        ("update", "1", EVIL, "--json"),
        ("brainstorm", "1", "--option", EVIL),
        ("implement", "1", "--action", EVIL),
        ("up", "1", "--reason", EVIL, "--force"),
        ("resolve", "1", "--summary", EVIL),
        ("learn", "1", "--lesson", EVIL, "--prevent", EVIL),
        ("open", EVIL, "--customer", EVIL),
    ]
    return [(args, cli(*args, "--now", T0)) for args in steps]


def test_case_text_reaches_people_with_its_control_characters_shown(
    cli: Cli, evil_case: list[tuple[tuple[str, ...], Any]]
) -> None:
    for args, result in evil_case:  # what each change printed
        if "--json" in args:
            assert_json_escapes(result, args[0])
        else:
            assert_nothing_raw(result, args[0])
    for args in (
        ("show", "1"),
        ("list", "--status", "all"),
        ("who", "1"),
        ("next", "1"),
        ("next", "2"),
        ("brief", "1"),
        ("brief", "2"),
        ("report", "1"),
        ("sweep", "--dry-run", "--now", LATER),
        ("outbox", "--status", "all"),
    ):
        assert_nothing_raw(cli(*args), " ".join(args))
    for args in (("show", "1"), ("list", "--status", "all")):
        assert SHOWN_LINE in cli(*args).stdout, args  # a one-line cell, on one line
    for args in (("show", "1"), ("brief", "1"), ("report", "1")):
        assert_shown(cli(*args).stdout, args[0])
    assert f"# ESC-1: {SHOWN_LINE}\n" in cli("report", "1").stdout
    swept = cli("sweep", "--now", LATER)
    assert_nothing_raw(swept, "sweep")


def test_json_escapes_control_and_bidi_characters_and_keeps_the_text(
    cli: Cli, evil_case: list[tuple[tuple[str, ...], Any]]
) -> None:
    for args in (("show", "1", "--json"), ("report", "1", "--format", "json")):
        case = assert_json_escapes(cli(*args), " ".join(args))
        assert case["title"] == EVIL
        assert case["customer"] == {"name": EVIL, "tier": EVIL, "contacts": []}
        assert case["description"] == f"{EVIL}\n{EVIL}" and case["resolution"] == EVIL
        assert case["steps"]["gather"]["facts"][0]["text"] == EVIL
        assert case["steps"]["learn"]["lessons"][0]["text"] == EVIL
    brief = assert_json_escapes(cli("brief", "1", "--json"), "brief --json")
    assert brief["title"] == EVIL and brief["tried"]["whys"] == [EVIL]
    listed = assert_json_escapes(cli("list", "--status", "all", "--json"), "list --json")
    assert [case["title"] for case in listed] == [EVIL, EVIL]
    for args in (("who", "1"), ("next", "2"), ("sweep", "--now", LATER)):
        assert_nothing_raw(cli(*args, "--json"), " ".join(args))
    outbox = cli("outbox", "--status", "all", "--json")
    assert_nothing_raw(outbox, "outbox --json")


def test_emails_webhooks_commands_and_hooks_show_the_text_visibly(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, web: WebServer
) -> None:
    pager, hooks = tmp_path / "pager.jsonl", tmp_path / "hooks.jsonl"
    channels = f"""\
        channels:
          mail: {{kind: email, host: 127.0.0.1, port: {smtp.port}, security: none,
                 from: "Escalations <escalations@acme.example>", timeout: 5s}}
          chat: {{kind: webhook, url: "{web.url}", timeout: 5s}}
          pager: {{kind: command, command: {json.dumps(hook_command(pager))}}}
        """
    text = matrix_yaml(
        channels,
        hooks=f"hooks:\n  on_escalate: {json.dumps(hook_command(hooks))}\n",
        via={"frontline": "[mail]", "sam": "[mail, chat]", "vp": "[pager]"},
    )
    matrix = tmp_path / "escalation.yaml"
    matrix.write_text(text)
    monkeypatch.setenv("ESCALATE_MATRIX", str(matrix))
    assert_nothing_raw(cli("open", EVIL, "--severity", "sev1", "--customer", EVIL, "--now", T0), "")
    assert_nothing_raw(cli("sweep", "--now", "2026-11-23T10:15:00Z"), "sweep")

    mails = smtp.mails.wait(2)
    for mail in mails:
        body = mail.message.get_content().replace("\r\n", "\n")
        assert_shown(body, "email")
        assert not RAW.search(body), body
        subject = str(mail.message["Subject"])
        assert not RAW.search(subject) and "\\x1b]0;pwned\\x07" in subject
        assert "\\u202e" in subject

    (posted,) = web.requests.wait(1)
    raw_body = posted.body.decode()
    assert not RAW.search(raw_body)
    said = posted.json()["text"]
    assert "\\x1b]0;pwned\\x07" in said and "\\u202e" in said and not RAW.search(said)

    (paged,) = read_lines(pager)
    assert_shown(paged["stdin"]["body"], "command channel")
    assert not RAW.search(paged["stdin"]["text"])
    (hooked,) = read_lines(hooks)
    assert hooked["stdin"]["title"] == EVIL  # a hook reads the case JSON: the text as it was


def test_a_backslash_ending_case_text_shows_once_piped_and_on_a_terminal(cli: Cli) -> None:
    # A Windows path at the end of a title, a note or an update showed its last backslash
    # twice wherever the text ended a line on a terminal (output.esc's `at_end`).
    cli("open", "Disk full on C:\\temp\\", "-q")
    cli("note", "1", "see D:\\logs\\")
    for shown in (cli("show", "1").stdout, on_a_terminal("show", "1")):
        assert "Disk full on C:\\temp\\\n" in shown
        assert "see D:\\logs\\ " in shown or "see D:\\logs\\\n" in shown
        assert "\\\\" not in shown
    for shown in (cli("agenda").stdout, on_a_terminal("agenda")):
        assert "Disk full on C:\\temp\\\n" in shown
        assert "\\\\" not in shown
