"""Correcting a case (docs/working-cases.md): edit, route, down, assign, take, note. Each change is
a timeline event with its author, and none rewrites history. On both stores, with
tests/data/basic.yaml (L1 ack 15m; paths default L1-L4, security L2/L4, legal L3/L4; tiers
undeclared) and the fixed clock Monday 2026-11-23 10:00 UTC.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.cli.sweeps import at
from tests.conftest import Cli


def events(cli: Cli, kind: str) -> list[dict[str, Any]]:
    return [e for e in cli.json("show", "ESC-1")["timeline"] if e["kind"] == kind]


@pytest.fixture
def opened(cli: Cli) -> Cli:
    cli("open", "printer", "--customer", "Initech", "--now", at("10:00"))
    return cli


def test_edit_corrects_fields_and_the_timeline_keeps_the_old_values(opened: Cli) -> None:
    shown = opened(
        "edit", "ESC-1", "--title", "Printer on fire", "--tier", "vip",
        "--tag", "hardware", "--tag", "Urgent", "--by", "sam", "--now", at("10:01"),
    ).stdout  # fmt: skip
    assert shown.startswith(
        'ESC-1 edited: title "printer" -> "Printer on fire"; customer tier - -> vip;'
        " tags +hardware +urgent\n"
    )
    case = opened.json(
        "edit", "ESC-1", "--untag", "URGENT", "--description", "Smoke", "--now", at("10:02")
    )
    assert (case["title"], case["customer"], case["tags"], case["description"]) == (
        "Printer on fire",
        {"name": "Initech", "tier": "vip", "contacts": []},
        ["hardware"],
        "Smoke",
    )
    first, second = events(opened, "edited")
    assert first["by"] == "sam" and first["data"]["old"]["title"] == "printer"
    assert second["data"]["old"]["tags"] == ["hardware", "urgent"]
    assert re.search(r"^tags +hardware$", opened("show", "ESC-1").stdout, re.MULTILINE)


def test_edit_clears_a_customer_tier_or_description_given_empty(opened: Cli) -> None:
    opened("edit", "ESC-1", "--tier", "vip", "--description", "Smoke")
    cleared = opened.json("edit", "ESC-1", "--customer", "", "--tier", " ", "--description", "")
    assert (cleared["customer"]["name"], cleared["customer"]["tier"]) == (None, None)
    assert cleared["description"] == ""
    assert events(opened, "edited")[-1]["data"]["old"]["customer"]["name"] == "Initech"


def test_edit_with_a_new_title_can_fire_a_keyword_trigger(opened: Cli) -> None:
    opened("edit", "ESC-1", "--title", "Their lawyer called", "--now", at("10:01"))
    swept = opened.json("sweep", "--now", at("10:02"))
    assert [(c["field"], c["to"]) for c in swept["changed"]] == [("type", "legal")]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ([], 2, "edit needs --title"),
        (["--title", "  "], 2, "--title needs some text"),
        (["--title", ""], 2, "--title needs some text"),
        (["--tag", ""], 2, "--tag needs some text"),
        (["--tag", "two words"], 2, "--tag 'two words': a tag is one word"),
        (["--tag", "bell\x07"], 2, "a tag is one word"),
        (["--tag", "eu", "--untag", "EU"], 2, "--tag and --untag both name eu"),
        (["--untag", " "], 2, "--untag needs some text"),
    ],
)
def test_edit_refuses_nothing_to_do(opened: Cli, args: list[str], code: int, message: str) -> None:
    failed = opened("edit", "ESC-1", *args, code=code)
    assert message in failed.stderr
    assert events(opened, "edited") == []


def test_route_moves_to_another_path_as_an_escalation(opened: Cli) -> None:
    done = opened(
        "route", "ESC-1", "--path", "legal", "--reason", "A regulator asked", "--by", "sam",
        "--now", at("10:05"),
    )  # fmt: skip
    assert done.stdout.startswith("ESC-1 escalated L1 -> L3, path default -> legal\n")
    case = opened.json("show", "ESC-1")
    assert (case["type"], case["level"]) == ("legal", "L3")
    (moved,) = case["escalations"]
    assert (moved["from_path"], moved["path"], moved["by"]) == ("default", "legal", "sam")
    refused = opened("route", "ESC-1", "--path", "legal", "--reason", "again", code=5)
    assert "on path legal already" in refused.stderr
    assert "unknown" in opened("route", "ESC-1", "--path", "nope", "--reason", "x", code=3).stderr


def test_down_hands_the_case_down_with_fresh_timers_and_keeps_its_breaches(opened: Cli) -> None:
    opened("sweep", "--now", at("10:15"))  # L1's ack: up to L2
    opened("sweep", "--now", at("14:01"))  # the ack SLA (4h) is breached: up to L3
    opened("acknowledge", "ESC-1", "--by", "ana", "--now", at("14:02"))
    done = opened.json(
        "down", "ESC-1", "--reason", "Workaround holds", "--by", "ana", "--now", at("14:05")
    )
    assert (done["level"], done["status"], done["level_entered_at"]) == ("L2", "open", at("14:05"))
    assert done["breached"] == ["ack"]
    (moved,) = events(opened, "de_escalated")
    assert (moved["data"]["from"], moved["data"]["to"], moved["by"]) == ("L3", "L2", "ana")
    assert events(opened, "notified")[-1]["data"]["contacts"] == ["sam"]  # tia is off hours
    # L2's `after` (4h) counts from the move down.
    assert opened.json("next", "ESC-1", "--now", at("14:06"))["next"]["due_at"] == at("18:05")
    assert opened.json("down", "ESC-1", "--reason", "Frontline can close it")["level"] == "L1"
    refused = opened("down", "ESC-1", "--reason", "lower", code=5)
    assert "at the bottom of path default" in refused.stderr


def test_down_to_a_level_must_be_below_on_the_path(opened: Cli) -> None:
    opened("up", "ESC-1", "--to", "L4", "--reason", "VP asked", "--by", "frontline", "--force")
    assert opened.json("down", "ESC-1", "--to", "L2", "--reason", "x")["level"] == "L2"
    refused = opened("down", "ESC-1", "--to", "L4", "--reason", "x", code=5)
    assert refused.stderr == (
        "error: ESC-1: --to L4 is not below L2 on path default (levels below L2 there: L1)\n"
    )
    opened("route", "ESC-1", "--path", "security", "--reason", "breach", "--by", "sam")
    opened(
        "up",
        "ESC-1",
        "--to",
        "L4",
        "--reason",
        "CISO",
        "--by",
        "sam",
        "--force",
        "--agreed-by",
        "dana",
    )
    off = opened("down", "ESC-1", "--to", "L3", "--reason", "x", code=5).stderr
    assert off == "error: ESC-1: --to L3 is not on path security (levels below L4 there: L2)\n"


def test_assign_and_take_change_the_owner(opened: Cli) -> None:
    assert opened.json("assign", "ESC-1", "sam", "--by", "frontline")["owner"] == "sam"
    again = opened("assign", "ESC-1", "sam", "--by", "frontline")  # as a script may, twice
    assert again.stdout.startswith("ESC-1 unchanged: owned by sam already\n")
    assert opened.json("take", "ESC-1", "--by", "dana")["owner"] == "dana"
    changes = [
        (e["by"], e["data"]["old"], e["data"]["new"]) for e in events(opened, "owner_changed")
    ]
    assert changes == [("frontline", "frontline", "sam"), ("dana", "sam", "dana")]
    assert "take needs a user" in opened("take", "ESC-1", code=2).stderr
    assert "unknown contact" in opened("assign", "ESC-1", "nobody", code=3).stderr


def test_an_external_contact_never_owns_a_case(opened: Cli) -> None:
    # A regulator is told at the top of a path; it works no case, so it cannot own one.
    refused = opened("assign", "ESC-1", "regulator", code=5).stderr
    assert refused == (
        "error: regulator is an external contact: told at the top of a path, never an owner\n"
    )
    opened("take", "ESC-1", "--by", "regulator", code=5)
    opened("open", "Fine", "--owner", "regulator", code=5)
    assert opened.json("show", "ESC-1")["owner"] == "frontline"
    assert [c["id"] for c in opened.json("list")] == ["ESC-1"]


def test_a_note_resets_nothing_and_tells_nobody(opened: Cli) -> None:
    before = opened.json("next", "ESC-1", "--now", at("10:05"))
    told = len(events(opened, "notified"))
    opened("note", "ESC-1", "Customer prefers email", "--by", "sam", "--now", at("10:06"))
    (noted,) = events(opened, "note")
    assert (noted["by"], noted["text"]) == ("sam", "Customer prefers email")
    assert opened.json("next", "ESC-1", "--now", at("10:05")) == before
    assert len(events(opened, "notified")) == told
    assert opened.json("show", "ESC-1").get("last_update_at") is None


def test_a_note_holding_a_time_that_is_no_time_shows_as_typed(opened: Cli) -> None:
    # Stamps in event texts are shown in the reader's zone; one that is no real date is text.
    typed = "see 2026-13-30T16:00:00Z and 2026-11-23T10:00:00Z"
    opened("note", "ESC-1", typed, "--by", "sam", "--now", at("10:06"))
    shown = opened("show", "ESC-1").stdout
    assert "see 2026-13-30T16:00:00Z and 2026-11-23 10:00 UTC" in shown
    assert "2026-13-30T16:00:00Z" in opened("report", "ESC-1").stdout


def test_a_closed_case_is_not_corrected(opened: Cli) -> None:
    opened("resolve", "ESC-1", "--summary", "done", "--now", at("10:30"))
    opened("close", "ESC-1", "--now", at("10:31"))
    for args in (
        ["edit", "ESC-1", "--title", "x"],
        ["assign", "ESC-1", "sam"],
        ["down", "ESC-1", "--reason", "x"],
        ["route", "ESC-1", "--path", "legal", "--reason", "x"],
    ):
        assert "it is closed (reopen it first)" in opened(*args, code=5).stderr, args


def test_assign_tells_the_new_owner_and_take_tells_nobody_it_took_itself(opened: Cli) -> None:
    opened("assign", "ESC-1", "sam", "--by", "frontline", "--now", at("10:05"))
    told = events(opened, "notified")[-1]
    assert (told["data"]["about"], told["data"]["contacts"]) == ("owner_changed", ["sam"])
    before = len(events(opened, "notified"))
    opened("take", "ESC-1", "--by", "sam", "--now", at("10:06"))  # sam owns it: no change
    opened("take", "ESC-1", "--by", "dana", "--now", at("10:07"))
    told = events(opened, "notified")[before:]
    # The owner_changed audiences (owner, participants) but dana, who took it.
    assert [sorted(t["data"]["contacts"]) for t in told] == [["frontline", "sam"]]
