"""Acceptance tests for triggers: path switches (timing rule 9), firing once and `silent_for`
(rule 10), `reopened`, severity changes and notify-only triggers, from docs/matrix.md and
docs/case.md."""

from __future__ import annotations

from typing import Any

from tests.conftest import Cli
from tests.routing.test_routing_spec import (
    at,
    events,
    moves,
    open_case,
    show,
    sweep,
)


def triggered(case: dict[str, Any], trigger: str) -> list[dict[str, Any]]:
    return [e for e in events(case, "triggered") if trigger in e["data"].values()]


def notices(report: dict[str, Any]) -> list[tuple[str, list[str], str]]:
    return [(n["case"], n["contacts"], n["trigger"]) for n in report["notified"]]


# Rule 9: {path: NAME}


def test_rule9_path_switch_keeps_the_level_and_is_recorded_with_from_equal_to(cli: Cli) -> None:
    # vendor-issue switches to path vendor [L1, L3, L4]: L1 is on it, so the case stays at L1.
    # Only the path's also_notify (vm) hears of it: the level did not change.
    case = open_case(cli, "Vendor API rejects logins")
    report = sweep(cli, at("10:05"))
    assert moves(report) == [(case, "L1", "L1", "vendor-issue")]
    assert report["escalated"][0]["contacts"] == ["vm"]
    shown = show(cli, case)
    assert (shown["type"], shown["level"]) == ("vendor", "L1")
    [esc] = shown["escalations"]
    assert (esc["from"], esc["to"], esc["trigger"]) == ("L1", "L1", "vendor-issue")
    [event] = events(shown, "escalated")
    assert (event["data"]["from"], event["data"]["to"], event["data"]["trigger"]) == (
        "L1",
        "L1",
        "vendor-issue",
    )
    assert events(shown, "notified")[-1]["data"]["contacts"] == ["vm"]
    assert len(triggered(shown, "vendor-issue")) == 1
    # On the vendor path the next level above L1 is L3 (L2 is not on it).
    assert cli.json("next", case, "--now", at("10:06"))["next"]["level"] == "L3"


def test_rule9_path_switch_moves_up_to_the_lowest_level_at_or_above(cli: Cli) -> None:
    # legal is [L3, L4]: from L1 the lowest level at or above is L3. Keywords ignore case.
    case = open_case(cli, "Customer mentions a LAWSUIT")
    report = sweep(cli, at("10:01"))
    assert moves(report) == [(case, "L1", "L3", "legal-threat")]
    assert report["escalated"][0]["contacts"] == ["ana"]
    shown = show(cli, case)
    assert (shown["type"], shown["level"], shown["status"]) == ("legal", "L3", "open")


def test_triggers_are_checked_by_next(cli: Cli) -> None:
    case = open_case(cli, "Letter from a lawyer")
    nxt = cli.json("next", case, "--now", at("10:01"))["next"]
    assert (nxt["level"], nxt["trigger"]) == ("L3", "legal-threat")


# Rule 10: at most once; silent_for


def test_rule10_a_trigger_fires_at_most_once(cli: Cli) -> None:
    case = open_case(cli, "Letter from a lawyer")
    assert moves(sweep(cli, at("10:01"))) == [(case, "L1", "L3", "legal-threat")]
    cli("acknowledge", case, "--by", "ana", "--now", at("10:02"))
    # The keyword still matches, but legal-threat already fired: no second switch (which
    # would show as L3 -> L3).
    assert sweep(cli, at("10:03"))["escalated"] == []
    shown = show(cli, case)
    assert len(shown["escalations"]) == 1
    assert len(triggered(shown, "legal-threat")) == 1


def test_rule10_silent_for_is_not_reset_by_escalations(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire", "--tier", "vip")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:01"))
    # L1's after (1h) moves it at 11:00; silence counts from created_at: 10:00 + 90m = 11:30.
    assert moves(sweep(cli, at("11:00"))) == [(case, "L1", "L2", None)]
    assert sweep(cli, at("11:29:59"))["escalated"] == []
    assert moves(sweep(cli, at("11:30"))) == [(case, "L2", "L3", "vip-silence")]
    cli("acknowledge", case, "--by", "ana", "--now", at("11:31"))
    # Still silent hours later, but vip-silence fired already.
    assert sweep(cli, at("14:00"))["escalated"] == []
    assert len(show(cli, case)["escalations"]) == 2


def test_rule10_silent_for_is_reset_by_an_update(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire", "--tier", "vip")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:01"))
    cli("update", case, "Engineer on site", "--now", at("10:45"))
    # Silence now counts from 10:45: due 12:15. L1's after still moves it at 11:00.
    assert moves(sweep(cli, at("11:00"))) == [(case, "L1", "L2", None)]
    assert sweep(cli, at("11:30"))["escalated"] == []
    assert sweep(cli, at("12:14:59"))["escalated"] == []
    assert moves(sweep(cli, at("12:15"))) == [(case, "L2", "L3", "vip-silence")]


def test_reopened_trigger_fires_at_the_second_reopen(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:01"))
    cli("resolve", case, "--summary", "paper jam", "--now", at("10:02"))
    cli("reopen", case, "--reason", "jammed again", "--now", at("10:03"))
    assert sweep(cli, at("10:04"))["escalated"] == []  # reopened once: reopened: 2 not met
    cli("resolve", case, "--summary", "new roller", "--now", at("10:05"))
    cli("reopen", case, "--reason", "jammed a third time", "--now", at("10:06"))
    report = sweep(cli, at("10:07"))
    assert moves(report) == [(case, "L1", "L3", "reopened-twice")]
    assert report["escalated"][0]["contacts"] == ["ana"]
    assert show(cli, case)["reopened"] == 2


# {severity: ID}


def test_severity_trigger_raising_moves_up_to_the_new_start_level(cli: Cli) -> None:
    # sev3 opens at L1; outage-raise sets sev1, whose start is L2. Raising the severity tells
    # the sev1 notify list (vp), as opening at sev1 would.
    case = open_case(cli, "Checkout outage")
    report = sweep(cli, at("10:01"))
    assert moves(report) == [(case, "L1", "L2", "outage-raise")]
    assert report["escalated"][0]["contacts"] == ["vp", "sam"]
    shown = show(cli, case)
    assert (shown["severity"], shown["level"]) == ("sev1", "L2")


def test_severity_trigger_lowering_never_moves_down(cli: Cli) -> None:
    case = open_case(cli, "Cosmetic glitch in the footer", "--severity", "sev1")
    report = sweep(cli, at("10:01"))
    assert report["escalated"] == []
    shown = show(cli, case)
    assert (shown["severity"], shown["level"]) == ("sev4", "L2")
    assert shown["escalations"] == []
    assert len(triggered(shown, "cosmetic-lower")) == 1


# Notify-only triggers


def test_notify_only_trigger_is_reported_in_the_sweeps_notified(cli: Cli) -> None:
    # sev2-slow: sev2 unresolved for 20m (10:20) -> notify vp. The acknowledgement stops L1's
    # ack; L1's after is only due at 11:00.
    case = open_case(cli, "Exports slow", "--severity", "sev2")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    assert sweep(cli, at("10:19:59"))["notified"] == []
    report = sweep(cli, at("10:20"))
    assert report["escalated"] == []
    assert notices(report) == [(case, ["vp"], "sev2-slow")]
    shown = show(cli, case)
    assert shown["level"] == "L1"
    note = events(shown, "notified")[-1]
    assert (note["at"], note["data"]["contacts"]) == (at("10:20"), ["vp"])
    assert len(triggered(shown, "sev2-slow")) == 1
    assert sweep(cli, at("10:30"))["notified"] == []


def test_notify_only_trigger_fires_in_the_same_sweep_as_a_move(cli: Cli) -> None:
    case = open_case(cli, "Exports slow", "--severity", "sev2")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    report = sweep(cli, at("11:00"))
    assert moves(report) == [(case, "L1", "L2", None)]
    assert notices(report) == [(case, ["vp"], "sev2-slow")]
