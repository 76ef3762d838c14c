"""Who did what, and what a move really was: `--by`'s default, guardrail traces, the external
contacts at the top, `up --to` on the path, and severity raises that tell the severity's people."""

from __future__ import annotations

import pytest

from tests.conftest import Cli
from tests.routing.test_routing_spec import at, events, last_notified, open_case, show, sweep


def test_by_defaults_to_escalate_user_so_every_event_has_an_author(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATE_USER", "desk")
    case = open_case(cli, "Printer on fire")
    shown = cli.json("acknowledge", case, "--now", at("10:05"))
    assert [e["by"] for e in shown["timeline"]] == ["desk"] * len(shown["timeline"])
    update = cli.json("update", case, "Still on fire", "--by", "sam", "--now", at("10:06"))
    assert update["timeline"][-1]["by"] == "sam"


def test_an_unknown_escalate_user_is_not_found_with_a_suggestion(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = open_case(cli, "Printer on fire")
    monkeypatch.setenv("ESCALATE_USER", "dsek")
    error = cli("acknowledge", case, code=3).stderr
    assert "ESCALATE_USER" in error and 'did you mean "desk"?' in error
    assert "ESCALATE_USER" in cli("open", "Another", code=3).stderr
    monkeypatch.delenv("ESCALATE_USER")
    assert show(cli, case)["status"] == "open"  # nothing saved


def test_agreed_by_needs_a_known_caller_other_than_the_one_who_agrees(cli: Cli) -> None:
    case = open_case(cli, "Leaked key", "--type", "security")
    for extra in ((), ("--by", "sam")):
        error = cli("up", case, "--reason", "leak", "--agreed-by", "sam", *extra, code=2).stderr
        assert "ESCALATE_USER" in error
    assert show(cli, case)["escalations"] == []


def test_the_agreement_is_kept_on_the_record_and_shown(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATE_USER", "desk")
    case = open_case(cli, "Leaked key", "--type", "security")
    shown = cli.json("up", case, "--reason", "credential harvesting", "--agreed-by", "sam")
    (escalation,) = shown["escalations"]
    assert (escalation["by"], escalation["agreed_by"]) == ("desk", "sam")
    assert "forced" not in escalation
    (moved,) = events(shown, "escalated")
    assert moved["data"]["agreed_by"] == "sam"
    assert "escalated L2 -> L4 (agreed by sam)" in cli("show", case).stdout
    assert "agreed by sam" in cli("brief", case).stdout
    assert "credential harvesting (agreed by sam)" in cli("report", case).stdout


def test_force_is_kept_on_the_record_and_shown(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")  # L1 has min_time 30m
    up = ("up", case, "--reason", "smoke", "--by", "desk", "--now", at("10:05"))
    assert "min_time" in cli(*up, code=5).stderr
    shown = cli.json(*up, "--force")
    assert shown["escalations"][-1]["forced"] is True
    assert events(shown, "escalated")[-1]["data"]["forced"] is True
    assert "escalated L1 -> L2 (forced before min_time)" in cli("show", case).stdout
    assert "forced before min_time" in cli("brief", case).stdout
    assert "smoke (forced before min_time)" in cli("report", case).stdout


def test_telling_the_external_contacts_keeps_level_status_and_acknowledgement(cli: Cli) -> None:
    case = open_case(cli, "Ombudsman letter", "--type", "legal", "--severity", "sev4")  # L3
    cli("up", case, "--reason", "counsel", "--by", "desk", "--now", at("10:05"))
    acked = cli.json("acknowledge", case, "--by", "eli", "--now", at("10:10"))
    assert (acked["level"], acked["status"]) == ("L4", "acknowledged")
    result = cli("up", case, "--reason", "tell the ombudsman", "--by", "eli", "--now", at("10:20"))
    assert "escalated L4 -> external contacts (regulator)" in result.stdout
    assert "L4 -> L4" not in result.stdout
    shown = show(cli, case)
    assert (shown["level"], shown["status"]) == ("L4", "acknowledged")
    assert shown["level_acknowledged_at"] == acked["level_acknowledged_at"]
    assert shown["level_entered_at"] == at("10:05")
    assert shown["escalations"][-1]["external"] == ["regulator"]
    assert last_notified(shown) == ["regulator"]
    for printed in (cli("show", case).stdout, cli("brief", case).stdout):
        assert "L4 -> external contacts (regulator)" in printed
        assert "L4 -> L4" not in printed


def test_up_to_a_level_off_the_path_is_refused_naming_the_paths_that_have_it(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")  # default path: L1, L2, L3, L4
    error = cli("up", case, "--to", "US", "--reason", "x", "--force", "--by", "desk", code=5)
    assert "not on path default" in error.stderr
    assert "us, us-only, weekday" in error.stderr
    assert show(cli, case)["level"] == "L1"


def test_a_path_switch_at_the_same_level_reads_as_a_path_change(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("up", case, "--to", "L3", "--reason", "smoke", "--force", "--by", "desk")
    cli("gather", case, "--fact", "The vendor firmware is at fault", "--by", "ana")
    sweep(cli, at("10:01"))
    shown = show(cli, case)
    assert (shown["type"], shown["level"]) == ("vendor", "L3")
    (switch,) = [e for e in shown["escalations"] if e["trigger"] == "vendor-issue"]
    assert (switch["from"], switch["to"], switch["from_path"]) == ("L3", "L3", "default")
    text = cli("show", case).stdout
    assert "path default -> vendor" in text
    assert "L3 -> L3" not in text


def test_raising_the_severity_by_assess_tells_the_new_severitys_notify_list(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")  # sev3 at L1; sev1 notifies vp and starts at L2
    raised = cli.json("assess", case, "--severity", "sev1", "--by", "desk")
    assert "vp" in last_notified(raised)
    lowered = cli.json("assess", case, "--severity", "sev2", "--by", "desk")
    assert events(lowered, "notified") == events(raised, "notified")  # lowering tells nobody


def test_a_recorded_breach_keeps_its_deadline_after_a_severity_change(cli: Cli) -> None:
    case = open_case(cli, "Reports slow", "--severity", "sev2")  # resolve SLA 8h: 18:00
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    sweep(cli, at("18:00"))
    cli("assess", case, "--severity", "sev1", "--by", "desk", "--now", at("18:10"))
    brief = cli.json("brief", case, "--now", at("18:20"))
    (resolve,) = [s for s in brief["deadline"]["sla"] if s["sla"] == "resolve"]
    assert (resolve["state"], resolve["due_at"]) == ("breached", at("18:00"))
    assert "2026-11-23 18:00" in cli("brief", case, "--now", at("18:20")).stdout
