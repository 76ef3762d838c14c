"""Acceptance tests for routing, written from docs/matrix.md "Timing rules" 1-5 and section 6.

Every test is a timeline on tests/data/routing.yaml: open a case at t0 (Monday 2026-11-23 10:00
UTC, London on GMT), step the clock with --now, sweep, and check who moved where and why.
The helpers here are shared by the other tests/routing/test_routing_spec_*.py files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, Cli

ROUTING = ROOT / "tests" / "data" / "routing.yaml"
DAY = "2026-11-23"


def use_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALATE_MATRIX", str(ROUTING))


def at(clock: str, day: str = DAY) -> str:
    """`at("10:10")` is "2026-11-23T10:10:00Z"; `at("09:59:59", "2026-11-24")` likewise."""
    return f"{day}T{clock if clock.count(':') == 2 else clock + ':00'}Z"


def matrix_variant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[[dict[str, Any]], None]
) -> Path:
    """A copy of routing.yaml changed by `edit`, made the current matrix."""
    data = yaml.safe_load(ROUTING.read_text())
    edit(data)
    path = tmp_path / "routing-variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv("ESCALATE_MATRIX", str(path))
    return path


def open_case(cli: Cli, title: str, *args: str, now: str = at("10:00")) -> str:
    return cli("open", title, *args, "--now", now, "-q").stdout.strip()


def sweep(cli: Cli, now: str) -> dict[str, Any]:
    return cli.json("sweep", "--now", now)


def show(cli: Cli, case: str) -> dict[str, Any]:
    return cli.json("show", case)


def moves(report: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    return [(e["case"], e["from"], e["to"], e["trigger"]) for e in report["escalated"]]


def events(case: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in case["timeline"] if e["kind"] == kind]


def last_notified(case: dict[str, Any]) -> list[str]:
    return events(case, "notified")[-1]["data"]["contacts"]


def breaches(case: dict[str, Any]) -> list[str]:
    """The case's `breached` list as SLA names, whether stored as strings or objects."""
    return [b if isinstance(b, str) else b.get("sla", b.get("kind")) for b in case["breached"]]


def breach_events(case: dict[str, Any], sla: str) -> list[dict[str, Any]]:
    return [e for e in events(case, "breached") if sla in e["data"].values()]


# Section 6 shapes


def test_next_json_has_the_section_6_shape(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    nxt = cli.json("next", case)
    assert {"case", "level", "next", "notify"} <= set(nxt)  # plus `triggers` and `deadlines`
    assert (nxt["case"], nxt["level"], nxt["notify"]) == ("ESC-1", "L1", [])
    assert {"level", "contacts", "due_at", "reason", "trigger"} <= set(nxt["next"])
    # L1's ack is 10m from entering the level at 10:00: due 10:10, a timer, not a trigger.
    assert nxt["next"]["level"] == "L2"
    assert nxt["next"]["due_at"] == "2026-11-23T10:10:00Z"
    assert nxt["next"]["trigger"] is None
    assert "ack" in nxt["next"]["reason"].lower()
    # Every contact of L2, judged at 10:10: sam is in the London office, kim is off (19:10 Tokyo).
    assert [(c["id"], c["name"], c["available"]) for c in nxt["next"]["contacts"]] == [
        ("sam", "Sam Okafor", True),
        ("kim", "Kim Sato", False),
    ]


def test_sweep_json_has_the_section_6_shape(cli: Cli) -> None:
    open_case(cli, "Printer on fire")
    nothing = {"checked": 1, "escalated": [], "notified": [], "breached": [], "changed": []}
    assert sweep(cli, at("10:05")) == {**nothing, "reminded": []}
    report = sweep(cli, at("10:10"))
    assert set(report) == {"checked", "escalated", "notified", "breached", "changed", "reminded"}
    assert report["checked"] == 1
    [entry] = report["escalated"]
    assert {"case", "from", "to", "trigger", "at", "contacts"} <= set(entry)
    assert (entry["case"], entry["from"], entry["to"], entry["trigger"]) == (
        "ESC-1",
        "L1",
        "L2",
        None,
    )
    assert entry["at"] == "2026-11-23T10:10:00Z"
    assert entry["contacts"] == ["sam"]
    assert report["notified"] == []


# Rule 1: built-in timers


def test_rule1_level_ack_escalates_one_level_and_records_it(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    sweep(cli, at("10:10"))  # L1 ack 10m: 10:00 + 10m
    shown = show(cli, case)
    assert (shown["level"], shown["status"], shown["owner"]) == ("L2", "open", "desk")
    [esc] = shown["escalations"]
    assert (esc["at"], esc["from"], esc["to"], esc["trigger"]) == (at("10:10"), "L1", "L2", None)
    [event] = events(shown, "escalated")
    assert event["at"] == at("10:10")
    assert (event["data"]["from"], event["data"]["to"], event["data"]["trigger"]) == (
        "L1",
        "L2",
        None,
    )
    # The owner (desk, at L1) is not notified: only the available contacts of the new level.
    note = events(shown, "notified")[-1]
    assert (note["at"], note["data"]["contacts"]) == (at("10:10"), ["sam"])
    assert note["data"]["reason"]


def test_rule1_acknowledge_stops_level_ack_but_after_keeps_running(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    # The ack timer (due 10:10) stopped; after (1h from 10:00) still runs: due 11:00.
    assert sweep(cli, at("10:10"))["escalated"] == []
    assert sweep(cli, at("10:59:59"))["escalated"] == []
    assert cli.json("next", case, "--now", at("10:30"))["next"]["due_at"] == at("11:00")
    assert moves(sweep(cli, at("11:00"))) == [(case, "L1", "L2", None)]


def test_rule1_severity_ack_sla_breach_escalates_and_is_recorded(cli: Cli) -> None:
    # sev1 opens at L2 (after 2h, no level ack); its ack SLA is 15m from created_at: 10:15.
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    assert sweep(cli, at("10:14:59"))["escalated"] == []
    assert moves(sweep(cli, at("10:15"))) == [(case, "L2", "L3", None)]
    shown = show(cli, case)
    assert shown["level"] == "L3"
    assert breaches(shown) == ["ack"]
    [breach] = breach_events(shown, "ack")
    assert breach["at"] == at("10:15")


def test_rule1_sla_breach_escalates_once_and_is_recorded_once(cli: Cli) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    assert moves(sweep(cli, at("10:15"))) == [(case, "L2", "L3", None)]
    # At L3 the ack SLA stays breached, but it escalated once: only L3's own ack (5m from the
    # 10:15 escalation, due 10:20) moves the case again.
    assert sweep(cli, at("10:16"))["escalated"] == []
    assert sweep(cli, at("10:19:59"))["escalated"] == []
    assert moves(sweep(cli, at("10:20"))) == [(case, "L3", "L4", None)]
    shown = show(cli, case)
    assert breaches(shown) == ["ack"]
    assert len(events(shown, "breached")) == 1
    assert len(shown["escalations"]) == 2


def test_rule1_resolve_sla_breach_escalates_at_the_deadline(cli: Cli) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    cli("acknowledge", case, "--by", "sam", "--now", at("10:01"))
    cli("up", case, "--reason", "needs engineering", "--now", at("10:02"))
    cli("acknowledge", case, "--by", "ana", "--now", at("10:03"))
    # The resolve SLA is 4h from created_at (10:00): due 14:00, whatever the level.
    assert sweep(cli, at("13:59:59"))["escalated"] == []
    assert moves(sweep(cli, at("14:00"))) == [(case, "L3", "L4", None)]
    assert sweep(cli, at("15:00"))["escalated"] == []
    shown = show(cli, case)
    assert breaches(shown) == ["resolve"]
    [breach] = events(shown, "breached")
    assert breach["at"] == at("14:00")


# Rule 2: due is inclusive


def test_rule2_due_is_inclusive_and_one_second_before_is_not(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    assert sweep(cli, at("10:09:59"))["escalated"] == []
    assert show(cli, case)["level"] == "L1"
    assert moves(sweep(cli, at("10:10:00"))) == [(case, "L1", "L2", None)]


# Rule 3: a fresh acknowledgement, timers from the moment of the escalation


def test_rule3_timed_escalation_resets_status_and_restarts_timers_at_the_sweep(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    # L1's after was due 11:00, but the sweep only runs at 11:20: L2's after (2h) counts from
    # 11:20, so it is due 13:20, not 13:00.
    assert moves(sweep(cli, at("11:20"))) == [(case, "L1", "L2", None)]
    shown = show(cli, case)
    assert (shown["level"], shown["status"]) == ("L2", "open")
    assert cli.json("next", case, "--now", at("11:30"))["next"]["due_at"] == at("13:20")
    assert sweep(cli, at("13:19:59"))["escalated"] == []
    assert moves(sweep(cli, at("13:20"))) == [(case, "L2", "L3", None)]


def test_rule3_manual_escalation_restarts_timers_at_the_escalation(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    shown = cli.json("up", case, "--reason", "customer waiting", "--now", at("10:40"))
    assert (shown["level"], shown["status"]) == ("L2", "open")
    # L2's after is 2h from the manual escalation at 10:40: due 12:40.
    assert cli.json("next", case, "--now", at("10:41"))["next"]["due_at"] == at("12:40")
    assert sweep(cli, at("12:39:59"))["escalated"] == []
    assert moves(sweep(cli, at("12:40"))) == [(case, "L2", "L3", None)]


# Rule 4: one move per sweep; the highest move wins, a tie goes to the trigger


def test_rule4_one_move_per_sweep_even_after_a_long_gap(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    # Nobody swept for 3h: L1's ack (10:10) and after (11:00) are long due, and L2's 2h would
    # have passed too if counted from 11:00; still only one level up, at 13:00.
    report = sweep(cli, at("13:00"))
    assert moves(report) == [(case, "L1", "L2", None)]
    assert report["escalated"][0]["at"] == at("13:00")
    assert sweep(cli, at("13:00"))["escalated"] == []
    # The next sweep continues from there: L2's after runs from 13:00, due 15:00.
    assert sweep(cli, at("14:59:59"))["escalated"] == []
    assert moves(sweep(cli, at("15:00"))) == [(case, "L2", "L3", None)]
    assert len(show(cli, case)["escalations"]) == 2


def test_rule4_highest_move_wins_and_the_trigger_that_did_not_act_stays_unfired(
    cli: Cli,
) -> None:
    # "vendor" switches to path vendor [L1, L3, L4]: at L1 that keeps L1. At 10:10 the L1 ack
    # timer (to L2) is also due, and L2 is higher, so the timer wins.
    case = open_case(cli, "Vendor API rejects logins")
    assert moves(sweep(cli, at("10:10"))) == [(case, "L1", "L2", None)]
    shown = show(cli, case)
    assert shown["type"] == "default"
    assert "vendor-issue" not in shown["fired_triggers"]
    # The trigger still holds and fires on the next sweep: lowest vendor level at or above L2.
    assert moves(sweep(cli, at("10:11"))) == [(case, "L2", "L3", "vendor-issue")]
    assert show(cli, case)["type"] == "vendor"


def test_rule4_tie_between_timer_and_trigger_goes_to_the_trigger(cli: Cli) -> None:
    # gold-unacked (unacknowledged_for 10m, escalate) and L1's ack 10m both go to L2 at 10:10.
    case = open_case(cli, "Printer on fire", "--tier", "gold")
    report = sweep(cli, at("10:10"))
    assert moves(report) == [(case, "L1", "L2", "gold-unacked")]
    shown = show(cli, case)
    assert len(shown["escalations"]) == 1
    assert shown["escalations"][0]["trigger"] == "gold-unacked"
    assert [e for e in events(shown, "triggered") if "gold-unacked" in e["data"].values()]


def test_rule4_breach_is_recorded_when_a_trigger_takes_the_move(cli: Cli) -> None:
    # sev1 at L2: the ack SLA (10:15) would move it to L3; legal-threat switches to the legal
    # path [L3, L4], also L3. A tie: the trigger acts, the breach is still recorded.
    case = open_case(cli, "Lawsuit threatened", "--severity", "sev1")
    assert moves(sweep(cli, at("10:15"))) == [(case, "L2", "L3", "legal-threat")]
    shown = show(cli, case)
    assert (shown["type"], shown["level"]) == ("legal", "L3")
    assert breaches(shown) == ["ack"]
    # The breach's one escalation was that move: nothing more until L3's ack (10:20).
    assert sweep(cli, at("10:16"))["escalated"] == []


# Rule 5: acknowledging, resolving, reopening


def test_rule5_first_acknowledgement_counts_for_the_sla_escalations_do_not_restart_it(
    cli: Cli,
) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    cli("acknowledge", case, "--by", "sam", "--now", at("10:05"))
    cli("up", case, "--reason", "needs engineering", "--now", at("10:06"))
    # At L3 nobody acknowledged: L3's ack (10:06 + 5m) moves it at 10:11, but the sev1 ack SLA
    # (10:15) was met at 10:05 and is not breached.
    assert moves(sweep(cli, at("10:20"))) == [(case, "L3", "L4", None)]
    shown = show(cli, case)
    assert breaches(shown) == []
    assert events(shown, "breached") == []
    assert shown["acknowledged_at"] == at("10:05")


def test_rule5_second_acknowledgement_is_recorded_not_refused(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:02"))
    shown = cli.json("acknowledge", case, "--by", "desk", "--now", at("10:03"))
    assert len(events(shown, "acknowledged")) == 2
    assert shown["acknowledged_at"] == at("10:02")


def test_rule5_late_acknowledge_records_the_breach_at_the_deadline(cli: Cli) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    # No sweep ran; the ack SLA (15m) passed at 10:15 and the acknowledgement came at 10:20.
    shown = cli.json("acknowledge", case, "--by", "sam", "--now", at("10:20"))
    assert breaches(shown) == ["ack"]
    [breach] = breach_events(shown, "ack")
    assert breach["at"] == at("10:15")
    sweep(cli, at("10:30"))
    assert len(events(show(cli, case), "breached")) == 1


def test_rule5_late_resolve_records_the_resolve_breach_at_the_deadline(cli: Cli) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    cli("acknowledge", case, "--by", "sam", "--now", at("10:01"))
    shown = cli.json("resolve", case, "--summary", "restarted", "--now", at("14:30"))
    assert breaches(shown) == ["resolve"]
    [breach] = events(shown, "breached")
    assert breach["at"] == at("14:00")  # resolve SLA 4h from created_at


def test_rule5_resolved_case_is_never_moved_or_overdue(cli: Cli) -> None:
    resolved = open_case(cli, "Printer on fire")
    cli("resolve", resolved, "--summary", "paper jam", "--now", at("10:05"))
    other = open_case(cli, "Scanner smokes")
    report = sweep(cli, at("12:00"))
    assert report["checked"] == 1
    assert moves(report) == [(other, "L1", "L2", None)]
    shown = show(cli, resolved)
    assert (shown["level"], shown["status"], shown["escalations"]) == ("L1", "resolved", [])
    assert [c["id"] for c in cli.json("list", "--overdue", "--now", at("12:00"))] == []


def test_rule5_reopen_puts_fresh_level_timers_on_the_case(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:01"))
    cli("resolve", case, "--summary", "paper jam", "--now", at("10:30"))
    shown = cli.json("reopen", case, "--reason", "jammed again", "--now", at("10:40"))
    assert (shown["level"], shown["status"]) == ("L1", "open")
    # Fresh L1 timers from 10:40: ack due 10:50 (the old after would only be due at 11:00).
    assert sweep(cli, at("10:49:59"))["escalated"] == []
    assert moves(sweep(cli, at("10:50"))) == [(case, "L1", "L2", None)]


def test_rule5_reopen_continues_the_slas_without_the_time_spent_resolved(cli: Cli) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    cli("acknowledge", case, "--by", "sam", "--now", at("10:01"))
    cli("resolve", case, "--summary", "restarted", "--now", at("10:30"))
    reopened = cli.json("reopen", case, "--reason", "down again", "--now", at("13:00"))
    assert reopened["breached"] == []  # resolved within its 4h, so not in breach on reopen
    # Resolved 10:30-13:00 does not count: the 4h resolve SLA now ends at 16:30. L2's `after`
    # restarts at the reopen (due 15:00); the ack SLA was met by the first acknowledgement.
    assert sweep(cli, at("14:00"))["escalated"] == []
    assert breaches(show(cli, case)) == []
    assert moves(sweep(cli, at("15:00"))) == [(case, "L2", "L3", None)]
    sweep(cli, at("16:29:59"))
    assert breaches(show(cli, case)) == []
    sweep(cli, at("16:30"))
    shown = show(cli, case)
    assert breaches(shown) == ["resolve"]
    assert breach_events(shown, "resolve")[0]["at"] == at("16:30")


def test_rule5_a_breach_recorded_late_takes_its_place_in_the_timeline(cli: Cli) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    cli("up", case, "--reason", "needs engineering", "--by", "sam", "--now", at("10:20"))
    sweep(cli, at("10:30"))  # records the ack SLA missed at 10:15, before the 10:20 move
    shown = show(cli, case)
    stamps = [e["at"] for e in shown["timeline"]]
    assert stamps == sorted(stamps)
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds.index("breached") < kinds.index("escalated")
    assert breach_events(shown, "ack")[0]["at"] == at("10:15")
    shown_text = cli("show", case).stdout
    assert shown_text.index("ack SLA breached") < shown_text.index("escalated L2 -> L3")
    report = cli("report", case).stdout
    assert report.index("ack SLA breached") < report.index("escalated L2 -> L3")
