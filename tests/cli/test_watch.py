"""`escalate watch --once`: one frame of the live board, for scripts and tests (docs/store.md).

The live board itself runs in a real terminal in tests/cli/test_watch_tmux.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASIC_MATRIX, Cli

AT = "2026-11-23T10:20:00Z"
TRIGGERS = """triggers:
  - id: legal-threat
    when: {keywords: [lawyer, lawsuit]}
    then: {path: legal}"""
# What a pipe gets: columns two spaces apart, nothing cut; "breached" shows as ESC-2 has one.
PLAIN_FRAME = """\
5 active cases, 2 overdue  2026-11-23 10:20:00 UTC
case   sev   level  next               due          owner      status   breached  title
ESC-2  sev1  L3     L4                 overdue 45m  sam        open     ack       Checkout down
ESC-1  sev3  L1     L2                 overdue 5m   frontline  open               Printer jams
ESC-3  sev3  L1     L2                 in 5m        frontline  open               Typo on invoice
ESC-6  sev3  L4     external contacts  in 3h40m     ana        open               Regulator letter
ESC-5  sev3  L1     L2                 -            frontline  on_hold            Waiting on customer
"""  # noqa: E501
KEYS = [
    "case",
    "title",
    "severity",
    "level",
    "owner",
    "status",
    "next_level",
    "due_at",
    "overdue",
    "breached",
]


@pytest.fixture
def queue(cli: Cli) -> None:
    """Six cases on the basic matrix (L1 ack 15m; L3 ack 5m; sev1 ack 15m, start L2; sev3 ack
    4h; legal: [L3, L4] then the regulator), seen at 10:20."""
    cli("open", "Printer jams")  # 10:00: L1 ack due 10:15
    cli("open", "Checkout down", "--severity", "sev1", "--now", "2026-11-23T09:00:00Z")
    cli("open", "Typo on invoice", "--now", "2026-11-23T10:10:00Z")  # L1 ack due 10:25
    cli("open", "Resolved soon")
    cli("resolve", "4", "--summary", "ok")
    cli("open", "Waiting on customer")
    cli("hold", "5", "--reason", "customer away")
    cli("open", "Regulator letter", "--type", "legal")  # at L3
    cli("up", "6", "--reason", "the letter", "--force", "--now", "2026-11-23T10:01:00Z")
    # 09:30: ESC-2 moves L2 -> L3 (ack due 09:35) and its ack SLA is recorded as breached.
    cli("sweep", "--now", "2026-11-23T09:30:00Z")


@pytest.mark.usefixtures("queue")
def test_once_json_prints_the_rows_overdue_first_then_soonest_then_nothing_due(cli: Cli) -> None:
    rows = cli.json("watch", "--once", "--now", AT)
    assert all(list(row) == KEYS for row in rows)
    assert rows[0] == {
        "case": "ESC-2",
        "title": "Checkout down",
        "severity": "sev1",
        "level": "L3",
        "owner": "sam",
        "status": "open",
        "next_level": "L4",
        "due_at": "2026-11-23T09:35:00Z",
        "overdue": True,
        "breached": ["ack"],
    }
    seen = [(r["case"], r["next_level"], r["due_at"], r["overdue"], r["breached"]) for r in rows]
    assert seen == [
        ("ESC-2", "L4", "2026-11-23T09:35:00Z", True, ["ack"]),
        ("ESC-1", "L2", "2026-11-23T10:15:00Z", True, []),
        ("ESC-3", "L2", "2026-11-23T10:25:00Z", False, []),
        ("ESC-6", None, "2026-11-23T14:00:00Z", False, []),  # the regulator is next
        ("ESC-5", "L2", None, False, []),  # on hold with no end: nothing due
    ]
    assert [r["status"] for r in rows] == ["open", "open", "open", "open", "on_hold"]


@pytest.mark.usefixtures("queue")
def test_once_prints_one_plain_frame_with_countdowns_and_breaches(cli: Cli) -> None:
    result = cli("watch", "--once", "--now", AT)
    assert result.stdout == PLAIN_FRAME
    assert result.stderr == ""


@pytest.mark.usefixtures("queue")
def test_the_frame_follows_the_clock(cli: Cli) -> None:
    """The same store a minute before ESC-1's ack is due, and with --now from the environment."""
    lines = cli("watch", "--once", "--now", "2026-11-23T10:14:00Z").stdout.splitlines()
    assert lines[0].startswith("5 active cases, 1 overdue  2026-11-23 10:14:00")
    assert [line.split()[0] for line in lines[2:]] == ["ESC-2", "ESC-1", "ESC-3", "ESC-6", "ESC-5"]
    assert "in 1m" in lines[3] and "in 11m" in lines[4]


def test_an_empty_store_is_an_empty_board(cli: Cli) -> None:
    assert cli.json("watch", "--once") == []
    result = cli("watch", "--once")
    assert result.stdout == "0 active cases  2026-11-23 10:00:00 UTC\nno active cases\n"


def test_json_without_once_and_the_live_board_without_a_terminal_are_usage_errors(
    cli: Cli,
) -> None:
    result = cli("watch", "--json", code=2)
    assert "--json needs --once" in result.stderr
    result = cli("watch", code=2)
    assert "needs a terminal: use --once" in result.stderr
    assert result.stdout == ""


def test_case_text_on_the_board_never_drives_the_terminal(cli: Cli) -> None:
    cli("open", "pay \x1b]0;pwned\x07 now \u202eevil")
    result = cli("watch", "--once")
    assert "pay \\x1b]0;pwned\\x07 now \\u202eevil" in result.stdout
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    raw = cli("watch", "--once", "--json").stdout
    assert "\\u001b" in raw and "\\u202e" in raw and "\x1b" not in raw


def test_a_case_routing_cannot_run_on_stays_on_the_board_and_stderr_says_why(
    cli: Cli, tmp_path: Path
) -> None:
    cli("open", "Printer jams")
    cli("open", "Regulator letter", "--type", "legal")
    text = BASIC_MATRIX.read_text()
    for gone in ("  legal:\n    levels: [L3, L4]\n    external: [regulator]\n", TRIGGERS):
        assert gone in text
        text = text.replace(gone, "")
    without = tmp_path / "no-legal.yaml"
    without.write_text(text)
    rows = cli.json("watch", "--once", "--matrix", str(without))
    assert [(r["case"], r["due_at"], r["next_level"]) for r in rows] == [
        ("ESC-1", "2026-11-23T10:15:00Z", "L2"),
        ("ESC-2", None, None),
    ]
    result = cli("watch", "--once", "--matrix", str(without))
    assert result.stderr == 'ESC-2: path "legal" is no longer in the matrix\n'
    assert result.stdout.splitlines()[-1].split()[:5] == ["ESC-2", "sev3", "L3", "-", "-"]


def live_frame(width: int, height: int = 24) -> list[str]:
    """The frame the live board draws on a terminal this size, at AT, as plain lines."""
    import os

    from rich.console import Console

    from escalate_cli.cli.watch import frame
    from escalate_cli.core.cases.board import board
    from escalate_cli.core.matrix.loader import load_matrix
    from escalate_cli.core.store.store_base import open_store
    from escalate_cli.core.time.timing import from_iso

    now = from_iso(AT)
    store = open_store(os.environ["ESCALATE_STORE"])  # the JSON file, or PostgreSQL
    rows = board(load_matrix(BASIC_MATRIX), store.cases(), now)
    store.close()
    console = Console(width=width, height=height, force_terminal=True, color_system=None)
    with console.capture() as captured:
        console.print(frame(rows, now, width=width, height=height))
    return [line.rstrip() for line in captured.get().splitlines()]


@pytest.mark.usefixtures("queue")
def test_at_80_columns_every_column_stays_whole_and_only_titles_are_cut() -> None:
    lines = live_frame(80)
    assert all(len(line) <= 80 for line in lines)
    assert lines == [
        "5 active cases, 2 overdue  2026-11-23 10:20:00 UTC  (q quits)",
        "case  sev  level next     due         owner     status  breached title",
        "ESC-2 sev1 L3    L4       overdue 45m sam       open    ack      Checkout down",
        "ESC-1 sev3 L1    L2       overdue 5m  frontline open             Printer jams",
        "ESC-3 sev3 L1    L2       in 5m       frontline open             Typo on invoice",
        "ESC-6 sev3 L4    external in 3h40m    ana       open             Regulator lett…",
        "ESC-5 sev3 L1    L2       -           frontline on_hold          Waiting on cus…",
    ]
    assert "external contacts  in 3h40m" in "\n".join(live_frame(120))


@pytest.mark.usefixtures("queue")
def test_cases_beyond_the_screen_are_counted_on_the_last_line() -> None:
    lines = live_frame(100, height=6)
    assert len(lines) <= 6
    assert [line.split()[0] for line in lines[2:-1]] == ["ESC-2", "ESC-1"]
    assert lines[-1] == "... and 3 more (escalate watch --once shows all)"


def shown(rendered: object, width: int = 100) -> str:
    from rich.console import Console

    console = Console(width=width, height=24, force_terminal=True, color_system=None)
    with console.capture() as captured:
        console.print(rendered)
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


class Switch:
    """A change source a test flips by hand."""

    def __init__(self) -> None:
        self.pending = False

    def changed(self) -> bool:
        pending, self.pending = self.pending, False
        return pending

    def close(self) -> None:
        return None


class FlakyStore:
    """The test's store behind a store that tells its watchers itself, and can fail to read."""

    def __init__(self, store: Any) -> None:
        self.store, self.source, self.broken = store, Switch(), False

    def changes(self) -> Switch:
        return self.source

    def cases(self) -> list[dict[str, Any]]:
        if self.broken:
            from escalate_cli.core.errors import StoreError

            raise StoreError("store.db: connection lost")
        return list(self.store.cases())

    def read_meta(self) -> dict[str, Any]:
        return dict(self.store.read_meta())


def test_the_live_board_rereads_the_store_when_its_source_says_so_and_keeps_the_last_good_read(
    cli: Cli,
) -> None:
    from escalate_cli.cli._app import Settings
    from escalate_cli.cli.watch import live_frame
    from escalate_cli.core.time.timing import from_iso

    cli("open", "Printer jams")
    state = Settings()
    flaky = FlakyStore(state.store)
    state.session()._store = flaky  # type: ignore[assignment]
    with state.session().watch() as watched:
        now = from_iso(AT)
        assert not watched.poll()
        cli("open", "Checkout down")
        assert not watched.poll()  # the source has not said so yet
        flaky.source.pending = True
        assert watched.poll()
        assert "ESC-2" in shown(live_frame(watched, now, 100, 24))
        flaky.broken, flaky.source.pending = True, True
        assert watched.poll()
        text = shown(live_frame(watched, now, 100, 24))
        assert text.splitlines()[0] == (
            "store unreadable, showing the last good read: store.db: connection lost"
        )
        assert "ESC-1" in text and "ESC-2" in text
        flaky.broken, flaky.source.pending = False, True
        assert watched.poll()
        assert "unreadable" not in shown(live_frame(watched, now, 100, 24))


def test_the_live_board_follows_the_matrix_file_and_keeps_the_last_good_one(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate_cli.cli._app import Settings
    from escalate_cli.cli.watch import live_frame
    from escalate_cli.core.time.timing import from_iso

    matrix = tmp_path / "matrix.yaml"
    matrix.write_text(BASIC_MATRIX.read_text())
    monkeypatch.setenv("ESCALATE_MATRIX", str(matrix))
    cli("open", "Printer jams")  # L1 ack 15m: due 10:15
    state = Settings()
    with state.session().watch() as watched:
        now = from_iso("2026-11-23T10:10:00Z")
        assert "in 5m" in shown(live_frame(watched, now, 100, 24))
        matrix.write_text("levels: [")
        assert watched.poll()
        text = shown(live_frame(watched, now, 100, 24))
        assert text.splitlines()[0].startswith("matrix not reloaded, still the last good one: ")
        assert "in 5m" in text
        matrix.write_text(
            BASIC_MATRIX.read_text().replace("ack: 15m\n    min_time", "ack: 5m\n    min_time")
        )
        assert watched.poll()
        text = shown(live_frame(watched, now, 100, 24))
        assert "overdue 5m" in text and "not reloaded" not in text


def test_the_board_keeps_to_its_matrix_as_list_does(cli: Cli) -> None:
    routing = str(BASIC_MATRIX.with_name("routing.yaml"))
    cli("open", "Printer jams")
    cli("open", "Another team's case", "--matrix", routing)
    assert [r["case"] for r in cli.json("watch", "--once")] == ["ESC-1"]
    assert [r["case"] for r in cli.json("watch", "--once", "--matrix", routing)] == ["ESC-2"]
