"""Times typed as people say them (`tomorrow 9:00`, `mon 14:00`, `eod`, `+2h`, `2d`) are read in
the user's zone and always shown back as the absolute time they were read as: in the command's
own line where it has one, else on stderr. ISO-8601, which scripts give, is not repeated."""

from __future__ import annotations

import re

from tests.conftest import FIXED_NOW, Cli

READ_AS = re.compile(r"^--now 'mon 14:00' read as \d{4}-\d\d-\d\d 14:00 UTC$", re.M)


def test_a_hold_says_until_when(cli: Cli) -> None:
    cli("open", "Printer on fire", "-q")
    held = cli("hold", "1", "--until", "tomorrow 9:00", "--reason", "waiting for logs")
    assert held.stdout.startswith("ESC-1 on hold until 2026-11-24 09:00 UTC\n")
    assert cli.json("show", "1")["holds"][-1]["until"] == "2026-11-24T09:00:00Z"
    cli("resume", "1")
    assert cli("hold", "1", "--reason", "open-ended").stdout.startswith("ESC-1 on hold\n")


def test_an_action_due_at_the_end_of_the_day_says_when(cli: Cli) -> None:
    cli("open", "Printer on fire", "-q")
    done = cli("implement", "1", "--action", "Swap the fuser", "--due", "eod")
    assert "due 2026-11-23 17:00 UTC" in done.stdout


def test_a_list_filter_typed_as_people_say_it_is_echoed_on_stderr(cli: Cli) -> None:
    cli("open", "Printer on fire", "-q")
    listed = cli("list", "--since", "2d", "--until", "sun 9:00")
    assert listed.stderr.splitlines() == [
        "--since '2d' read as 2026-11-21 10:00 UTC",
        "--until 'sun 9:00' read as 2026-11-22 09:00 UTC",
        "no cases match",
    ]
    found = cli("search", "printer", "--since", "yesterday 9:00")
    assert found.stderr == "--since 'yesterday 9:00' read as 2026-11-22 09:00 UTC\n"


def test_iso_times_are_not_repeated(cli: Cli) -> None:
    cli("open", "Printer on fire", "-q")
    listed = cli("list", "--since", "2026-11-21T10:00:00Z", "--now", FIXED_NOW)
    assert listed.stderr == "" and "ESC-1" in listed.stdout


def test_now_typed_as_people_say_it_is_echoed(cli: Cli) -> None:
    # Counted from the system clock, as `--now` stands in for it (docs/scripting.md).
    shown = cli("list", "--now", "mon 14:00")
    assert READ_AS.search(shown.stderr), shown.stderr


def test_metrics_since_typed_as_people_say_it_is_echoed(cli: Cli) -> None:
    cli("open", "Printer on fire", "-q")
    assert cli("metrics", "--since", "sun 9:00", "--json").stderr == (
        "--since 'sun 9:00' read as 2026-11-22 09:00 UTC\n"
    )
    assert cli("metrics", "--since", "2026-11-22T09:00:00Z", "--csv").stderr == ""
    assert cli("metrics", "--since", "tomorrow", code=2).stderr == (
        "error: --since: tomorrow is after now\n"
    )
