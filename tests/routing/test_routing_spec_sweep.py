"""`sweep` reports everything it did (docs/scripting.md): escalations, notify-only triggers,
recorded breaches and the fields triggers changed, in `--json` and for people alike."""

from __future__ import annotations

from tests.conftest import Cli
from tests.routing.test_routing_spec import at, open_case, show, sweep

KEYS = {"checked", "escalated", "notified", "breached", "changed", "reminded"}


def test_sweep_json_has_every_section_6_key_even_when_nothing_is_due(cli: Cli) -> None:
    open_case(cli, "Printer on fire")
    report = sweep(cli, at("10:05"))
    assert report == {"checked": 1, **{key: [] for key in KEYS - {"checked"}}}


def test_a_breach_and_a_severity_trigger_are_reported_and_the_dry_run_says_the_same(
    cli: Cli,
) -> None:
    # sev2, "outage" in the title: outage-raise makes it sev1, whose start level L2 is above
    # L1; at 10:30 the ack SLA (30m) is breached too. One move: the trigger's, on a tie.
    case = open_case(cli, "Exports outage", "--severity", "sev2")
    dry = cli.json("sweep", "--dry-run", "--now", at("10:30"))
    real = sweep(cli, at("10:30"))
    assert real == dry
    assert set(real) == KEYS
    assert real["escalated"] == [
        {
            "case": case,
            "from": "L1",
            "to": "L2",
            "trigger": "outage-raise",
            "at": at("10:30"),
            "contacts": ["vp", "sam"],  # sev1's notify, then L2's available contact
        }
    ]
    assert real["breached"] == [{"case": case, "sla": "ack", "at": at("10:30")}]
    assert real["changed"] == [
        {"case": case, "field": "severity", "from": "sev2", "to": "sev1", "trigger": "outage-raise"}
    ]
    # sev2-slow (sev2 unresolved 20m) held before the change, so it fires in the same sweep.
    assert real["notified"] == [{"case": case, "contacts": ["vp"], "trigger": "sev2-slow"}]
    assert real["reminded"] == []
    shown = show(cli, case)
    assert (shown["severity"], shown["level"], shown["breached"]) == ("sev1", "L2", ["ack"])


def test_sweep_for_people_prints_one_line_per_thing_and_a_summary(cli: Cli) -> None:
    case = open_case(cli, "Exports outage", "--severity", "sev2")
    dry = cli("sweep", "--dry-run", "--now", at("10:30"))
    done = cli("sweep", "--now", at("10:30"))
    lines = [
        f"{case}: L1 -> L2 (trigger outage-raise); notified vp, sam",
        f"{case}: severity sev2 -> sev1 (trigger outage-raise)",
        f"{case}: trigger sev2-slow notified vp",
        f"{case}: ack SLA breached at 2026-11-23 10:30 UTC",
    ]
    assert done.stdout.splitlines()[:-1] == lines
    assert dry.stdout.splitlines()[:-1] == lines
    assert (
        done.stdout.splitlines()[-1]
        == "1 escalated, 1 notified, 1 breached, 1 changed (1 case checked)"
    )
    assert "dry run" in dry.stdout.splitlines()[-1]
    assert done.stderr == ""
    quiet = cli("sweep", "--now", at("10:31"))
    assert (quiet.stdout, quiet.stderr) == ("", "nothing due (1 case checked)\n")


def test_a_path_switch_at_the_same_level_prints_the_paths_not_the_level_twice(cli: Cli) -> None:
    # vendor-issue: path default -> vendor [L1, L3, L4]; the case stays at L1 (timing rule 9).
    case = open_case(cli, "Our vendor is late")
    report = cli.json("sweep", "--dry-run", "--now", at("10:01"))
    assert [(e["from"], e["to"], e["trigger"]) for e in report["escalated"]] == [
        ("L1", "L1", "vendor-issue")
    ]
    assert report["changed"] == [
        {
            "case": case,
            "field": "type",
            "from": "default",
            "to": "vendor",
            "trigger": "vendor-issue",
        }
    ]
    out = cli("sweep", "--now", at("10:01")).stdout
    assert f"{case}: path default -> vendor (trigger vendor-issue); notified vm" in out
    assert "L1 -> L1" not in out


def test_a_notify_only_trigger_is_reported_with_its_id(cli: Cli) -> None:
    case = open_case(cli, "Exports slow", "--severity", "sev2")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    report = cli.json("sweep", "--now", at("10:20"))
    assert report["notified"] == [{"case": case, "contacts": ["vp"], "trigger": "sev2-slow"}]
    assert report["escalated"] == [] and report["changed"] == []


def test_an_escalation_to_the_external_contacts_names_them(cli: Cli) -> None:
    # The legal path [L3, L4] has the regulator beyond its top. At L4 the sev2 ack SLA (10:30)
    # is breached: the one escalation left is to the external contacts.
    case = open_case(cli, "Ombudsman complaint", "--type", "legal", "--severity", "sev2")
    cli("up", case, "--reason", "counsel", "--now", at("10:02"))
    report = cli.json("sweep", "--dry-run", "--now", at("10:30"))
    assert [(e["from"], e["to"], e["contacts"]) for e in report["escalated"]] == [
        ("L4", "L4", ["regulator"])
    ]
    out = cli("sweep", "--now", at("10:30")).stdout
    assert f"{case}: L4 -> external contacts (regulator); notified regulator" in out
    assert "L4 -> L4" not in out
    assert f"{case}: ack SLA breached at 2026-11-23 10:30 UTC" in out


def test_a_severity_raised_without_a_move_says_whom_it_told(cli: Cli) -> None:
    # On the security path the case opens at L2, sev1's start level: outage-raise makes it
    # sev1 without moving it, and sev1's notify (vp) is told.
    case = open_case(cli, "Exports outage", "--type", "security", "--severity", "sev2")
    report = cli.json("sweep", "--dry-run", "--now", at("10:01"))
    assert report["escalated"] == []
    assert report["changed"] == [
        {"case": case, "field": "severity", "from": "sev2", "to": "sev1", "trigger": "outage-raise"}
    ]
    # Telling the severity's notify list is a section 9 notification: reported under reminded.
    assert report["reminded"] == [{"case": case, "contacts": ["vp"], "what": "severity_changed"}]
    out = cli("sweep", "--now", at("10:01")).stdout
    assert f"{case}: severity sev2 -> sev1 (trigger outage-raise); notified vp\n" in out
