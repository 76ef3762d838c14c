"""Acceptance tests for `up`, `hold` and `resume`: guardrails, the top of a path (timing rule 8),
who is notified (rule 11) and holds (rule 6), from docs/matrix.md and docs/timing.md."""

from __future__ import annotations

import re

from tests.conftest import Cli
from tests.routing.test_routing_spec import (
    at,
    events,
    last_notified,
    moves,
    open_case,
    show,
    sweep,
)

# min_time, agreement, --to, --transfer


def test_up_before_min_time_is_refused_with_the_time_left_and_force_overrides(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    # L1's min_time is 30m from 10:00: at 10:20 there are 10 minutes left.
    result = cli("up", case, "--reason", "impatient", "--now", at("10:20"), code=5)
    assert result.stdout == ""
    assert re.search(r"\b10 ?m(in|inutes)?\b", result.stderr), result.stderr
    assert "--force" in result.stderr
    shown = show(cli, case)
    assert (shown["level"], shown["escalations"]) == ("L1", [])
    forced = cli.json("up", case, "--reason", "impatient", "--force", "--now", at("10:20"))
    assert forced["level"] == "L2"


def test_up_at_exactly_min_time_is_allowed(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    shown = cli.json("up", case, "--reason", "customer waiting", "--now", at("10:30"))
    assert (shown["level"], shown["status"]) == ("L2", "open")
    [esc] = shown["escalations"]
    assert (esc["at"], esc["from"], esc["to"], esc["trigger"]) == (at("10:30"), "L1", "L2", None)
    assert esc["reason"] == "customer waiting"
    [event] = events(shown, "escalated")
    assert (event["data"]["from"], event["data"]["to"], event["data"]["trigger"]) == (
        "L1",
        "L2",
        None,
    )
    assert last_notified(shown) == ["sam"]


def test_agreement_required_needs_agreed_by_and_force_never_overrides_it(cli: Cli) -> None:
    case = open_case(cli, "Leaked key", "--type", "security")  # security path [L2, L4]
    assert "--agreed-by" in cli("up", case, "--reason", "breach", code=5).stderr
    assert "--agreed-by" in cli("up", case, "--reason", "breach", "--force", code=5).stderr
    cli("up", case, "--reason", "breach", "--agreed-by", "nobody", code=3)
    assert show(cli, case)["level"] == "L2"
    # It takes two named people: an agreement without a known caller is a usage error.
    assert "--by" in cli("up", case, "--reason", "breach", "--agreed-by", "sam", code=2).stderr
    shown = cli.json("up", case, "--reason", "breach", "--agreed-by", "sam", "--by", "desk")
    assert shown["level"] == "L4"


def test_up_to_level_has_the_same_guardrails(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    refused = cli("up", case, "--to", "L3", "--reason", "x", "--now", at("10:20"), code=5)
    assert re.search(r"\b10 ?m(in|inutes)?\b", refused.stderr), refused.stderr
    assert "L9" in cli("up", case, "--to", "L9", "--reason", "x", "--force", code=3).stderr
    shown = cli.json("up", case, "--to", "L3", "--reason", "x", "--force", "--now", at("10:20"))
    assert shown["level"] == "L3"
    assert [(e["from"], e["to"]) for e in shown["escalations"]] == [("L1", "L3")]
    assert last_notified(shown) == ["ana"]  # on the oncall shift until Tue 09:00
    security = open_case(cli, "Leaked key", "--type", "security")
    cli("up", security, "--to", "L4", "--reason", "x", "--force", code=5)


def test_up_transfer_makes_the_new_levels_primary_the_owner(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    assert show(cli, case)["owner"] == "desk"
    shown = cli.json("up", case, "--reason", "x", "--transfer", "--now", at("10:30"))
    assert (shown["level"], shown["owner"]) == ("L2", "sam")  # kim is asleep in Tokyo
    assert len(events(shown, "owner_changed")) == 1
    # Without --transfer, escalation adds people but keeps the owner.
    other = open_case(cli, "Scanner smokes")
    assert cli.json("up", other, "--reason", "x", "--now", at("10:30"))["owner"] == "desk"


def test_up_is_refused_on_a_resolved_case(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("resolve", case, "--summary", "paper jam", "--now", at("10:05"))
    cli("up", case, "--reason", "x", "--force", "--now", at("11:00"), code=5)
    assert show(cli, case)["level"] == "L1"


# Rule 11: who is notified


def test_rule11_escalation_notifies_the_new_level_not_the_owner_nor_severity_notify(
    cli: Cli,
) -> None:
    case = open_case(cli, "Checkout down", "--severity", "sev1")  # owner sam; vp at open
    shown = cli.json("up", case, "--reason", "needs engineering", "--now", at("10:01"))
    assert (shown["level"], shown["owner"]) == ("L3", "sam")
    assert last_notified(shown) == ["ana"]


def test_rule11_same_contact_notified_once_per_event(cli: Cli) -> None:
    # security's L4 is dana, away with eli standing in; also_notify is [legal, eli]: eli is named
    # twice and notified once.
    case = open_case(cli, "Leaked key", "--type", "security")
    shown = cli.json(
        "up", case, "--reason", "breach", "--agreed-by", "sam", "--by", "desk", "--now", at("10:01")
    )
    assert sorted(last_notified(shown)) == ["eli", "legal"]


def test_rule11_the_person_who_caused_the_change_is_not_notified(cli: Cli) -> None:
    case = open_case(cli, "Leaked key", "--type", "security")
    shown = cli.json(
        "up", case, "--reason", "breach", "--agreed-by", "sam", "--by", "eli", "--now", at("10:01")
    )
    assert last_notified(shown) == ["legal"]
    assert shown["escalations"][-1]["by"] == "eli"


# Rule 8: the top of a path


def test_rule8_at_the_top_next_gives_the_externals_and_up_reaches_them_once(cli: Cli) -> None:
    case = open_case(cli, "Regulator letter", "--type", "legal", "--severity", "sev4")
    assert show(cli, case)["level"] == "L3"
    cli("up", case, "--reason", "management", "--now", at("10:01"))
    nxt = cli.json("next", case, "--now", at("10:01"))
    assert nxt["level"] == "L4"
    assert [c["id"] for c in nxt["next"]["contacts"]] == ["regulator"]
    shown = cli.json("up", case, "--reason", "report it", "--now", at("10:02"))
    assert shown["level"] == "L4"
    assert len(shown["escalations"]) == 2
    assert last_notified(shown) == ["regulator"]
    # Once the externals have it there is nowhere left to go.
    assert cli.json("next", case, "--now", at("10:03"))["next"] is None
    cli("up", case, "--reason", "again", "--force", "--now", at("10:03"), code=5)
    assert len(show(cli, case)["escalations"]) == 2


def test_rule8_at_the_top_without_externals_next_is_null_and_up_refused(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli("up", case, "--to", "L4", "--reason", "x", "--force", "--now", at("10:01"))
    nxt = cli.json("next", case, "--now", at("10:02"))
    assert (nxt["level"], nxt["next"]) == ("L4", None)
    cli("up", case, "--reason", "x", "--force", "--now", at("10:02"), code=5)
    # No wrap-around: a week later the case is still at the top.
    assert sweep(cli, at("10:00", "2026-11-30"))["escalated"] == []
    assert show(cli, case)["level"] == "L4"


# Rule 6: holds


def test_rule6_hold_stops_timers_refuses_up_and_resume_pushes_due_times_back(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    held = cli.json("hold", case, "--reason", "waiting for customer", "--now", at("10:05"))
    assert held["status"] == "on_hold"
    assert len(events(held, "held")) == 1
    # L1's ack was due 10:10; on hold nothing runs.
    assert sweep(cli, at("10:30"))["escalated"] == []
    assert cli.json("list", "--overdue", "--now", at("10:30")) == []
    cli("up", case, "--reason", "x", "--force", "--now", at("10:31"), code=5)
    resumed = cli.json("resume", case, "--now", at("10:35"))
    assert (resumed["status"], resumed["level"]) == ("open", "L1")
    assert events(resumed, "resumed")[0]["at"] == at("10:35")
    # 30 minutes on hold: the ack due time moves from 10:10 to 10:40.
    assert cli.json("next", case, "--now", at("10:36"))["next"]["due_at"] == at("10:40")
    assert sweep(cli, at("10:39:59"))["escalated"] == []
    assert moves(sweep(cli, at("10:40"))) == [(case, "L1", "L2", None)]
    cli("resume", case, "--now", at("10:41"), code=5)  # not on hold


def test_rule6_no_trigger_fires_on_hold(cli: Cli) -> None:
    case = open_case(cli, "Letter from a lawyer")
    cli("hold", case, "--reason", "waiting for customer", "--now", at("10:01"))
    assert sweep(cli, at("10:02"))["escalated"] == []
    assert show(cli, case)["type"] == "default"
    cli("resume", case, "--now", at("10:03"))
    assert moves(sweep(cli, at("10:03"))) == [(case, "L1", "L3", "legal-threat")]


def test_rule6_hold_until_ends_by_itself(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    cli(
        "hold",
        case,
        "--until",
        at("10:20"),
        "--reason",
        "customer in a meeting",
        "--now",
        at("10:05"),
    )
    # Held 10:05-10:20 (15m): the ack due at 10:10 moves to 10:25. Read-only commands treat
    # the hold as over after 10:20.
    assert cli.json("next", case, "--now", at("10:21"))["next"]["due_at"] == at("10:25")
    assert sweep(cli, at("10:24:59"))["escalated"] == []
    assert moves(sweep(cli, at("10:25"))) == [(case, "L1", "L2", None)]
    shown = show(cli, case)
    assert shown["status"] == "open"
    [resumed] = events(shown, "resumed")
    assert resumed["at"] == at("10:20")
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds.index("resumed") < kinds.index("escalated")
