"""Acceptance tests for timing rule 7 (who is reachable: hours, daylight saving, leave, rotations,
skip_unavailable) and the manual-only `next`, from docs/matrix.md and docs/scripting.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.routing.test_routing_spec import (
    at,
    events,
    last_notified,
    matrix_variant,
    moves,
    open_case,
    show,
    sweep,
)


def no_skip(data: dict[str, Any]) -> None:
    data["skip_unavailable"] = False


def skipped_levels(case: dict[str, Any]) -> list[str]:
    return [e["data"]["level"] for e in events(case, "skipped")]


def available(contacts: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    return [(c["id"], c["available"]) for c in contacts]


# skip_unavailable on


def test_rule7_skip_unavailable_skips_a_level_whose_contacts_are_all_off_hours(cli: Cli) -> None:
    # Path us is [L1, US, L3, L4]. At 10:10 UTC it is 04:10 in Chicago: cal is off, so the L1
    # ack escalation goes on to L3, reported as one move from L1 to L3.
    case = open_case(cli, "Report export fails", "--type", "us")
    report = sweep(cli, at("10:10"))
    assert moves(report) == [(case, "L1", "L3", None)]
    assert report["escalated"][0]["contacts"] == ["ana"]
    shown = show(cli, case)
    assert shown["level"] == "L3"
    assert skipped_levels(shown) == ["US"]
    assert [(e["from"], e["to"]) for e in shown["escalations"]] == [("L1", "L3")]
    [event] = events(shown, "escalated")
    assert (event["data"]["from"], event["data"]["to"]) == ("L1", "L3")


def test_rule7_several_skipped_levels_are_still_one_move(cli: Cli) -> None:
    # Saturday 2026-11-28: on path weekday [L1, L2, US, L4] sam, kim and cal are all off; dana
    # is back from leave (away until 2026-11-27 inclusive).
    day = "2026-11-28"
    case = open_case(cli, "Weekend outage report", "--type", "weekday", now=at("10:00", day))
    report = sweep(cli, at("10:10", day))
    assert moves(report) == [(case, "L1", "L4", None)]
    assert report["escalated"][0]["contacts"] == ["dana"]
    shown = show(cli, case)
    assert skipped_levels(shown) == ["L2", "US"]
    assert len(shown["escalations"]) == 1


def test_rule7_skip_never_goes_past_the_top(cli: Cli) -> None:
    # Path us-only is [L1, US]: US is the top, so the case goes there although cal is off, and
    # (rule 11) when nobody is available all of the level's contacts are notified.
    case = open_case(cli, "Report export fails", "--type", "us-only")
    report = sweep(cli, at("10:10"))
    assert moves(report) == [(case, "L1", "US", None)]
    assert report["escalated"][0]["contacts"] == ["cal"]
    shown = show(cli, case)
    assert shown["level"] == "US"
    assert skipped_levels(shown) == []
    assert last_notified(shown) == ["cal"]


def test_rule7_next_applies_skip_unavailable_to_the_level_it_reports(cli: Cli) -> None:
    case = open_case(cli, "Report export fails", "--type", "us")
    nxt = cli.json("next", case)
    assert nxt["next"]["level"] == "L3"
    assert nxt["next"]["due_at"] == at("10:10")
    assert available(nxt["next"]["contacts"]) == [("ana", True)]


# skip_unavailable off


def test_rule7_without_skip_next_says_unavailable_and_when_next_available(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix_variant(tmp_path, monkeypatch, no_skip)
    # Saturday 2026-10-31: the L1 ack is due 10:10 UTC. cal works Mon-Fri 09:00 Chicago time;
    # Chicago leaves daylight saving on Sunday 2026-11-01, so Monday 09:00 CST is 15:00 UTC
    # (14:00 UTC would be the CDT answer).
    day = "2026-10-31"
    case = open_case(cli, "Report export fails", "--type", "us", now=at("10:00", day))
    nxt = cli.json("next", case, "--now", at("10:00", day))["next"]
    assert nxt["level"] == "US"
    assert nxt["due_at"] == at("10:10", day)
    assert available(nxt["contacts"]) == [("cal", False)]
    assert nxt.get("available", False) is False
    assert '"2026-11-02T15:00:00Z"' in json.dumps(nxt)
    assert '"2026-11-02T14:00:00Z"' not in json.dumps(nxt)
    # The sweep goes there anyway and says nothing was skipped.
    assert moves(sweep(cli, at("10:10", day))) == [(case, "L1", "US", None)]
    assert skipped_levels(show(cli, case)) == []


def test_rule7_without_skip_the_case_goes_to_an_unavailable_level(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix_variant(tmp_path, monkeypatch, no_skip)
    case = open_case(cli, "Report export fails", "--type", "us")
    report = sweep(cli, at("10:10"))
    assert moves(report) == [(case, "L1", "US", None)]
    assert report["escalated"][0]["contacts"] == ["cal"]


# Daylight saving


def test_rule7_contact_hours_before_the_chicago_dst_change(cli: Cli) -> None:
    # Friday 2026-10-30 14:30 UTC is 09:30 CDT: cal is in.
    day = "2026-10-30"
    case = open_case(cli, "Report export fails", "--type", "us", now=at("14:20", day))
    report = sweep(cli, at("14:30", day))  # L1 ack 10m
    assert moves(report) == [(case, "L1", "US", None)]
    assert report["escalated"][0]["contacts"] == ["cal"]


def test_rule7_contact_hours_after_the_chicago_dst_change(cli: Cli) -> None:
    # Monday 2026-11-02 14:30 UTC is 08:30 CST: cal is not in yet, so US is skipped.
    day = "2026-11-02"
    case = open_case(cli, "Report export fails", "--type", "us", now=at("14:20", day))
    assert moves(sweep(cli, at("14:30", day))) == [(case, "L1", "L3", None)]
    assert skipped_levels(show(cli, case)) == ["US"]


def test_rule7_rotation_hands_over_at_local_time_across_the_london_dst_change(cli: Cli) -> None:
    # Daily shifts from Sat 2026-03-28 09:00 GMT. The Sunday handover is at 09:00 BST = 08:00
    # UTC, so at 08:05 UTC ben holds the shift (counting 24h blocks would still say ana).
    # Nobody at L2 works on a Sunday, so the sev1 case opens at L3 (skip_unavailable), with
    # ana still on shift at 07:50 UTC.
    day = "2026-03-29"
    case = open_case(cli, "Checkout down", "--severity", "sev1", now=at("07:50", day))
    assert (show(cli, case)["level"], show(cli, case)["owner"]) == ("L3", "ana")
    who = cli.json("who", case, "--now", at("08:05", day))
    assert [(c["id"], c["available"]) for c in who["contacts"]] == [("ben", True)]


# Rotations and leave


def test_rule7_rotation_resolved_at_the_moment_the_escalation_would_happen(cli: Cli) -> None:
    # Tuesday 08:50 UTC: ana's shift ends at 09:00; the sev1 ack SLA is due 09:05, when ben holds
    # the shift, so next names ben and the sweep notifies ben.
    day = "2026-11-24"
    case = open_case(cli, "Checkout down", "--severity", "sev1", now=at("08:50", day))
    nxt = cli.json("next", case, "--now", at("08:50", day))["next"]
    assert (nxt["level"], nxt["due_at"]) == ("L3", at("09:05", day))
    assert available(nxt["contacts"]) == [("ben", True)]
    report = sweep(cli, at("09:05", day))
    assert moves(report) == [(case, "L2", "L3", None)]
    assert report["escalated"][0]["contacts"] == ["ben"]


def test_rule7_away_contact_is_replaced_by_the_delegate(cli: Cli) -> None:
    case = open_case(cli, "Regulator letter", "--type", "legal", "--severity", "sev4")
    nxt = cli.json("next", case)["next"]
    assert nxt["level"] == "L4"
    assert [(c["id"], c["name"], c["available"]) for c in nxt["contacts"]] == [
        ("eli", "Eli Brandt", True)
    ]
    shown = cli.json("up", case, "--reason", "management", "--now", at("10:01"))
    assert last_notified(shown) == ["eli"]


def test_rule7_next_reports_manual_only_when_no_timer_runs(cli: Cli) -> None:
    # Legal path at L3 (ack 5m, no after); sev4 has no SLA. Unacknowledged: due 10:05.
    case = open_case(cli, "Regulator letter", "--type", "legal", "--severity", "sev4")
    assert cli.json("next", case)["next"]["due_at"] == at("10:05")
    cli("acknowledge", case, "--by", "ana", "--now", at("10:01"))
    nxt = cli.json("next", case, "--now", at("10:02"))["next"]
    assert (nxt["level"], nxt["due_at"], nxt["trigger"]) == ("L4", None, None)
    assert sweep(cli, at("18:00"))["escalated"] == []


# Nobody at the start level


def test_with_skip_unavailable_a_case_opens_at_the_first_level_where_someone_is(cli: Cli) -> None:
    # Sunday 2026-11-29 10:00 UTC: L2 (sam, kim) keep weekday hours; L3's on-call answers.
    day = "2026-11-29"
    case = open_case(cli, "Checkout down", "--severity", "sev1", now=at("10:00", day))
    shown = show(cli, case)
    assert shown["level"] == "L3"
    assert shown["owner"] in ("ana", "ben", "cho")
    (skipped,) = [e for e in shown["timeline"] if e["kind"] == "skipped"]
    assert skipped["data"]["level"] == "L2"
    assert "nobody at L2 is available" in skipped["text"]
    assert "sam" not in [c for e in shown["timeline"] for c in e["data"].get("contacts", [])]


def test_without_skip_unavailable_open_says_nobody_is_there_and_when_someone_is(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix_variant(tmp_path, monkeypatch, no_skip)
    day = "2026-11-29"
    result = cli("open", "Checkout down", "--severity", "sev1", "--now", at("10:00", day))
    assert "ESC-1 opened at L2" in result.stdout
    # kim's Monday 09:00 in Tokyo is Monday 00:00 UTC: the first moment anyone at L2 answers.
    assert result.stderr.strip() == (
        "warning: nobody at L2 is available now; someone is from 2026-11-30 00:00 UTC"
    )
    assert "warning" not in cli("open", "Weekday case", "--severity", "sev1").stderr
