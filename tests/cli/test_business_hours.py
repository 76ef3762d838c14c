"""Business-hours SLAs (docs/working-cases.md): a severity's `calendar` makes its SLA clocks run
only inside the calendar's hours, skipping its holidays, in its zone; `warn: 75%` warns the owner
and the level before a breach. On both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_notify import write_matrix
from tests.conftest import Cli

MATRIX = """\
version: 1
name: Business hours
timezone: Europe/London
contacts:
  - {id: frontline}
  - {id: sam}
  - {id: nyc}
levels:
  - {id: L1, contacts: [frontline]}
  - {id: L2, contacts: [sam]}
calendars:
  office:
    hours: Mon-Fri 09:00-17:00
    holidays: [2026-12-25, {from: 2026-12-28, until: 2026-12-31}]
  new-york:
    timezone: America/New_York
    hours: Mon-Fri 09:00-17:00
severities:
  - {id: sev2, ack: 1h, resolve: 4h, calendar: office, warn: 75%}
  - {id: sev3, ack: 1h, resolve: 4h, calendar: new-york}
  - {id: sev1, ack: 15m, resolve: 4h}
default_severity: sev2
"""


@pytest.fixture
def office(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    write_matrix(tmp_path, monkeypatch, MATRIX)
    return cli


def next_due(cli: Cli, now: str) -> Any:
    return cli.json("next", "ESC-1", "--now", now)["next"]["due_at"]


def test_a_case_opened_on_saturday_is_due_on_monday(office: Cli) -> None:
    office("open", "Weekend outage", "--now", "2026-11-28T10:00:00Z")
    assert next_due(office, "2026-11-28T10:00:00Z") == "2026-11-30T10:00:00Z"  # 09:00 + 1h
    shown = office("list", "--wide", "--now", "2026-11-28T10:00:00Z").stdout
    assert "2026-11-30 09:45 UTC" in shown  # the warning at 75% is the next thing due


def test_holidays_stop_the_clock_for_whole_days(office: Cli) -> None:
    office("open", "Christmas Eve", "--now", "2026-12-24T16:00:00Z")
    assert next_due(office, "2026-12-24T16:00:00Z") == "2026-12-24T17:00:00Z"
    # 4h to resolve: 16:00-17:00 on the 24th, then the 25th, the weekend, the 28th-31st are
    # off; Friday 1 January 09:00-12:00.
    swept = office.json("sweep", "--now", "2027-01-01T12:00:00Z")
    assert swept["breached"] == [
        {"case": "ESC-1", "sla": "ack", "at": "2026-12-24T17:00:00Z"},
        {"case": "ESC-1", "sla": "resolve", "at": "2027-01-01T12:00:00Z"},
    ]


def test_a_calendar_in_another_zone(office: Cli) -> None:
    office("open", "East coast", "--severity", "sev3", "--now", "2026-11-23T12:00:00Z")
    # 12:00 UTC is 07:00 in New York: the clock starts at 09:00 there (14:00 UTC).
    assert next_due(office, "2026-11-23T12:00:00Z") == "2026-11-23T15:00:00Z"


def test_a_hold_pauses_business_time_too(office: Cli) -> None:
    office("open", "Paused", "--now", "2026-11-23T09:00:00Z")
    office("hold", "ESC-1", "--reason", "customer away", "--now", "2026-11-23T09:30:00Z")
    office("resume", "ESC-1", "--now", "2026-11-23T16:30:00Z")
    # 30 minutes before the hold, 30 after it: due at 17:00.
    assert next_due(office, "2026-11-23T16:30:00Z") == "2026-11-23T17:00:00Z"


def test_without_a_calendar_the_clock_runs_round_the_clock(office: Cli) -> None:
    office("open", "Critical", "--severity", "sev1", "--now", "2026-11-28T10:00:00Z")
    assert next_due(office, "2026-11-28T10:00:00Z") == "2026-11-28T10:15:00Z"


def test_warn_tells_the_owner_and_the_level_once_before_the_breach(office: Cli) -> None:
    office("open", "Warned", "--owner", "sam", "--now", "2026-11-23T09:00:00Z")
    assert office.json("sweep", "--now", "2026-11-23T09:44:00Z")["reminded"] == []
    warned = office.json("sweep", "--now", "2026-11-23T09:45:00Z")["reminded"]
    assert warned == [{"case": "ESC-1", "contacts": ["sam", "frontline"], "what": "warning"}]
    assert office.json("sweep", "--now", "2026-11-23T09:50:00Z")["reminded"] == []
    timeline = office.json("show", "ESC-1")["timeline"]
    (event,) = [e for e in timeline if e["kind"] == "warned"]
    assert event["data"] == {"sla": "ack", "due_at": "2026-11-23T10:00:00Z"}
    shown = office("sweep", "--now", "2026-11-23T12:00:00Z").stdout  # resolve: 75% of 4h
    assert "ESC-1: resolve SLA due 2026-11-23 13:00 UTC; notified sam, frontline" in shown


def test_a_sweep_after_the_deadline_records_the_breach_and_no_late_warning(office: Cli) -> None:
    # A sweep that runs late (cron was down) finds the warning's moment and the deadline both
    # gone: a "due soon" warning then would tell people of a breach as if still to come.
    office("open", "Swept late", "--owner", "sam", "--now", "2026-11-23T09:00:00Z")
    swept = office.json("sweep", "--now", "2026-11-23T10:30:00Z")
    assert swept["reminded"] == []
    assert [(b["case"], b["sla"]) for b in swept["breached"]] == [("ESC-1", "ack")]
    timeline = office.json("show", "ESC-1")["timeline"]
    assert [e for e in timeline if e["kind"] == "warned"] == []
    assert office.json("sweep", "--now", "2026-11-23T10:40:00Z")["reminded"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("calendar: office, warn", "calendar: offices, warn"), 'unknown calendar "offices"'),
        (("warn: 75%", "warn: 120%"), "use a percentage such as 80%"),
        (("2026-12-25,", "xmas,"), "use a date such as 2026-12-25"),
        (("Mon-Fri 09:00-17:00\n    holidays", "Mon-Fry 09:00-17:00\n    holidays"), "Fry"),
    ],
)
def test_a_calendar_the_matrix_cannot_keep_is_invalid(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in MATRIX
    path = write_matrix(tmp_path, monkeypatch, MATRIX.replace(old, new, 1))
    checked = cli("matrix", "validate", str(path), code=4)
    assert message in checked.stdout + checked.stderr
