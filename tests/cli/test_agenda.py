"""`escalate agenda` (docs/notifications.md): open actions by due date (overdue first), follow-ups
due (closed cases too), cases waiting for an acknowledgement, updates due by cadence; `--mine`,
`--at`, `--json`. On both stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.sweeps import at
from tests.cli.test_notify import write_matrix
from tests.conftest import Cli
from tests.notify_servers import matrix_yaml

CADENCE = """\
triggers:
  - id: cadence
    when: {silent_for: 2h}
    then: {remind: owner}
    repeat: true
"""


@pytest.fixture
def queue(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """ESC-1 owned by sam with two actions; ESC-2 closed with a follow-up with vp; ESC-3 new."""
    write_matrix(tmp_path, monkeypatch, matrix_yaml("") + CADENCE)
    cli("open", "Printer on fire", "--owner", "sam", "--now", at("10:00"))
    cli("acknowledge", "ESC-1", "--by", "sam", "--now", at("10:01"))
    for action, due in (("Order toner", at("16:00")), ("Replace fuser", at("12:00"))):
        cli("implement", "ESC-1", "--action", action, "--assignee", "sam", "--due", due)
    cli("implement", "ESC-1", "--action", "Write it up", "--now", at("10:02"))
    cli("open", "Toner leak", "--now", at("10:05"))
    cli("resolve", "ESC-2", "--summary", "wiped", "--now", at("10:30"))
    cli("learn", "ESC-2", "--follow-up", at("09:00", 24), "--with", "vp", "--now", at("10:31"))
    cli("close", "ESC-2", "--now", at("10:32"))
    cli("open", "Paper jam", "--now", at("10:40"))
    return cli


def agenda(cli: Cli, *args: str) -> dict[str, Any]:
    return dict(cli.json("agenda", *args))


def test_the_team_agenda_orders_actions_overdue_first_and_lists_what_waits(queue: Cli) -> None:
    found = agenda(queue, "--now", at("13:00"))
    assert found["at"] == at("13:00") and found["user"] is None
    listed = [(a["case"], a["n"], a["due"], a["overdue"]) for a in found["actions"]]
    assert listed == [
        ("ESC-1", 2, at("12:00"), True),
        ("ESC-1", 1, at("16:00"), False),
        ("ESC-1", 3, None, False),
    ]
    assert found["follow_ups"] == []  # not due before tomorrow
    assert [w["case"] for w in found["acknowledge"]] == ["ESC-3"]
    updates = [(u["case"], u["trigger"], u["due"], u["contacts"]) for u in found["updates"]]
    assert updates == [
        ("ESC-1", "cadence", at("12:00"), ["sam"]),  # two hours without an update
        ("ESC-3", "cadence", at("12:40"), ["frontline"]),
    ]


def test_at_a_later_moment_a_closed_case_s_follow_up_is_due(queue: Cli) -> None:
    found = agenda(queue, "--at", at("09:30", 24), "--now", at("13:00"))
    (follow_up,) = found["follow_ups"]
    assert follow_up == {
        "case": "ESC-2",
        "title": "Toner leak",
        "n": 1,
        "with": "vp",
        "due": at("09:00", 24),
    }
    assert all(a["overdue"] for a in found["actions"] if a["due"])


def test_mine_is_only_what_waits_on_the_user(queue: Cli) -> None:
    sam = agenda(queue, "--mine", "--by", "sam", "--now", at("13:00"))
    assert sam["user"] == "sam"
    assert [a["n"] for a in sam["actions"]] == [2, 1, 3]  # the unassigned one is on sam's case
    assert sam["acknowledge"] == [] and len(sam["updates"]) == 1
    vp = agenda(queue, "--mine", "--by", "vp", "--now", at("10:00", 24))
    assert [f["case"] for f in vp["follow_ups"]] == ["ESC-2"]
    assert vp["actions"] == [] and vp["updates"] == []
    frontline = agenda(queue, "--mine", "--by", "frontline", "--now", at("13:00"))
    assert [w["case"] for w in frontline["acknowledge"]] == ["ESC-3"]  # at L1, reachable


def test_the_agenda_for_people(queue: Cli) -> None:
    shown = queue("agenda", "--mine", "--by", "sam", "--now", at("13:00")).stdout
    assert shown.startswith("Agenda for sam as of 2026-11-23 13:00 UTC\n")
    assert "ESC-1 action 2: Replace fuser, due 2026-11-23 12:00 UTC (overdue by 1h)" in shown
    assert "Updates due by cadence" in shown and "Follow-ups due" not in shown
    quiet = queue("agenda", "--mine", "--by", "vp", "--now", at("13:00"))
    assert quiet.stdout == ""
    assert quiet.stderr == "nothing on the agenda for vp as of 2026-11-23 13:00 UTC\n"


def test_mine_without_a_user_is_a_usage_error(queue: Cli) -> None:
    failed = queue("agenda", "--mine", code=2)
    assert "agenda --mine needs a user" in failed.stderr


def test_done_items_leave_the_agenda(queue: Cli) -> None:
    queue("implement", "ESC-1", "--done", "2", "--now", at("12:30"))
    queue("learn", "ESC-2", "--follow-up-done", "1", "--now", at("12:31"))
    found = agenda(queue, "--at", at("10:00", 24), "--now", at("13:00"))
    assert [a["n"] for a in found["actions"]] == [1, 3]
    assert found["follow_ups"] == []
