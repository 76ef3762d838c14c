"""open, list, show and who through the CLI, on the basic test matrix at a fixed clock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BASIC_MATRIX, Cli


def notified(case: dict) -> list[str]:
    events = [e for e in case["timeline"] if e["kind"] == "notified"]
    assert len(events) == 1, events
    return events[0]["data"]["contacts"]


def test_open_uses_default_severity_path_and_start_level(cli: Cli) -> None:
    case = cli.json("open", "Printer on fire")
    assert case["id"] == "ESC-1"
    assert case["number"] == 1
    assert (case["type"], case["severity"], case["level"], case["status"]) == (
        "default",
        "sev3",
        "L1",
        "open",
    )
    assert case["owner"] == "frontline"
    assert case["created_at"] == "2026-11-23T10:00:00Z"
    assert [e["kind"] for e in case["timeline"]] == ["opened", "notified"]
    assert notified(case) == ["frontline"]


def test_ids_are_sequential_and_quiet_prints_the_id_alone(cli: Cli) -> None:
    assert cli("open", "first", "-q").stdout == "ESC-1\n"
    assert cli("open", "second", "--quiet").stdout == "ESC-2\n"
    assert cli.json("show", "2")["title"] == "second"


def test_severity_start_level_owner_and_severity_notify(cli: Cli) -> None:
    case = cli.json("open", "Checkout down", "--severity", "sev1", "--customer", "Initech")
    assert case["level"] == "L2"
    # sam is in office hours in London; tia is asleep in Tokyo, so sam is the primary contact.
    assert case["owner"] == "sam"
    assert notified(case) == ["sam", "vp"]
    assert case["customer"] == {"name": "Initech", "tier": None, "contacts": []}


def test_type_path_also_notify_and_start_moved_onto_the_path(cli: Cli) -> None:
    security = cli.json("open", "Leaked key", "--type", "security")
    assert security["level"] == "L2"
    assert notified(security) == ["sam", "legal"]
    # sev1 starts at L2, which the legal path lacks: the lowest level at or above it is L3.
    legal = cli.json("open", "Ombudsman letter", "--type", "legal", "--severity", "sev1")
    assert legal["level"] == "L3"
    assert legal["owner"] == "ana"
    assert notified(legal) == ["ana", "vp"]


def test_owner_and_by(cli: Cli) -> None:
    case = cli.json("open", "VIP outage", "--severity", "sev1", "--owner", "dana", "--by", "sam")
    assert case["owner"] == "dana"
    assert case["timeline"][0]["by"] == "sam"
    # The person who caused the change is not notified of it.
    assert notified(case) == ["vp"]


def test_unknown_names_exit_3_and_write_nothing(cli: Cli) -> None:
    for args in (
        ["--severity", "sev9"],
        ["--type", "nope"],
        ["--owner", "nobody"],
        ["--by", "nobody"],
    ):
        result = cli("open", "x", *args, code=3)
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1
    assert "sev1, sev2, sev3" in cli("open", "x", "--severity", "sev9", code=3).stderr
    assert cli.json("list") == []


def test_empty_title_is_a_usage_error(cli: Cli) -> None:
    assert "title" in cli("open", "  ", code=2).stderr


def test_human_open_names_the_case_and_who_was_notified(cli: Cli) -> None:
    out = cli("open", "Checkout down", "--severity", "sev1").stdout
    assert "ESC-1 opened at L2 (Support supervisor)" in out
    assert "notified: Sam Okafor (sam), VP Support (vp)" in out


def test_list_filters_and_json(cli: Cli) -> None:
    cli("open", "one")
    cli("open", "two", "--severity", "sev1")
    cli("open", "three", "--type", "security")
    rows = cli.json("list")
    assert [c["id"] for c in rows] == ["ESC-1", "ESC-2", "ESC-3"]
    assert all("timeline" not in c for c in rows)
    assert [c["id"] for c in cli.json("list", "--level", "L2")] == ["ESC-2", "ESC-3"]
    assert [c["id"] for c in cli.json("list", "--owner", "frontline")] == ["ESC-1"]
    assert [c["id"] for c in cli.json("list", "--type", "security")] == ["ESC-3"]
    assert [c["id"] for c in cli.json("list", "--severity", "sev1")] == ["ESC-2"]
    assert cli.json("list", "--status", "resolved") == []
    assert "no cases match" in cli("list", "--owner", "vp").stderr
    assert "--status" in cli("list", "--status", "bogus", code=2).stderr


def test_list_table_for_people(cli: Cli) -> None:
    cli("open", "Printer on fire", "--customer", "Initech")
    out = cli("list").stdout
    assert "ESC-1" in out and "Printer on fire" in out and "frontline" in out
    # L1's ack timer (15m) is the next one due, in 15 minutes; it opened just now.
    header, row = out.splitlines()[:2]
    assert header.split() == ["id", "status", "sev", "level", "owner", "due", "opened", "title"]
    assert " ".join(row.split()) == "ESC-1 open sev3 L1 frontline in 15m now Printer on fire"
    wide = cli("list", "--wide").stdout
    assert "2026-11-23 10:15 UTC" in wide and "2026-11-23 10:00 UTC" in wide
    cli("hold", "ESC-1", "--reason", "waiting")
    assert "in 15m" not in cli("list").stdout


def test_show_json_is_the_case_and_refs_are_flexible(cli: Cli) -> None:
    opened = cli.json("open", "Printer on fire")
    assert cli.json("show", "ESC-1") == opened
    assert cli.json("show", "esc-1") == opened
    assert cli.json("show", "1") == opened


def test_show_for_people_has_checklist_and_timeline(cli: Cli) -> None:
    cli("open", "Printer [bold]on fire[/bold]", "--description", "Smoke everywhere")
    out = cli("show", "ESC-1").stdout
    # Case text is printed literally, never interpreted as markup.
    assert "Printer [bold]on fire[/bold]" in out
    assert "Smoke everywhere" in out
    for step in ("acknowledge", "gather", "assess", "convene", "brainstorm", "implement", "learn"):
        assert step in out
    assert "opened at Frontline support" in out
    assert "notified frontline" in out


@pytest.mark.parametrize("terminal", [False, True])
def test_emoji_codes_in_case_text_are_shown_as_typed(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    if terminal:
        monkeypatch.setenv("FORCE_COLOR", "1")
    cli("open", "fix :fire: now", "--description", "it went :boom:")
    shown = cli("show", "ESC-1").stdout
    assert "fix :fire: now" in shown and "it went :boom:" in shown
    assert "\N{FIRE}" not in shown and "\N{COLLISION SYMBOL}" not in shown


def test_missing_and_malformed_case_refs(cli: Cli) -> None:
    cli("open", "one")
    assert "ESC-9 not found" in cli("show", "ESC-9", code=3).stderr
    assert "not found" in cli("show", "INC-1", code=3).stderr
    assert "not a case id" in cli("show", "banana", code=2).stderr
    assert "not a case id" in cli("who", "ESC-0", code=2).stderr


def test_who_lists_level_contacts_with_availability(cli: Cli) -> None:
    cli("open", "Checkout down", "--severity", "sev1")
    who = cli.json("who", "ESC-1")
    assert who["case"] == "ESC-1"
    assert who["owner"] == "sam"
    assert who["level"] == "L2"
    assert [(c["id"], c["available"]) for c in who["contacts"]] == [("sam", True), ("tia", False)]
    assert who["participants"][0]["contact"] == "sam"
    out = cli("who", "ESC-1").stdout
    assert "Tia Novak" in out and "no" in out


def test_who_at_another_time_follows_the_clock(cli: Cli) -> None:
    cli("open", "Checkout down", "--severity", "sev1")
    # 01:00 UTC on Tuesday is 10:00 in Tokyo: tia is in, sam is not.
    who = cli.json("who", "ESC-1", "--now", "2026-11-24T01:00:00Z")
    assert [(c["id"], c["available"]) for c in who["contacts"]] == [("sam", False), ("tia", True)]


def test_global_options_before_or_after_the_command(cli: Cli, tmp_path: Path) -> None:
    store = str(tmp_path / "other.json")
    cli("--store", store, "open", "x", "-q")
    assert (
        cli("--json", "--store", store, "show", "ESC-1").stdout
        == cli("show", "ESC-1", "--store", store, "--json").stdout
    )
    case = json.loads(cli("show", "1", "--json", f"--store={store}").stdout)
    assert case["title"] == "x"
    assert cli.json("list") == []


def test_now_option_sets_the_clock_and_bad_now_is_usage(cli: Cli) -> None:
    case = cli.json("open", "x", "--now", "2026-12-01T08:30:00+01:00")
    assert case["created_at"] == "2026-12-01T07:30:00Z"
    assert "--now" in cli("open", "x", "--now", "yesterday-ish", code=2).stderr


def test_init_remembers_the_matrix(cli: Cli, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ESCALATE_MATRIX")
    assert "no matrix" in cli("open", "x", code=4).stderr
    cli("init", "--matrix", str(BASIC_MATRIX))
    assert cli.json("open", "x")["level"] == "L1"


def test_escalation_yaml_in_the_working_directory_is_found(
    cli: Cli, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ESCALATE_MATRIX")
    (tmp_path / "escalation.yaml").write_text(BASIC_MATRIX.read_text().replace("ESC", "ACME"))
    assert cli("open", "x", "-q").stdout == "ACME-1\n"


def test_the_matrix_recorded_by_init_comes_before_escalation_yaml_in_the_folder(
    cli: Cli, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ESCALATE_MATRIX")
    cli("init", "--matrix", str(BASIC_MATRIX))
    (tmp_path / "escalation.yaml").write_text(BASIC_MATRIX.read_text().replace("ESC", "ACME"))
    assert cli("open", "x", "-q").stdout == "ESC-1\n"


def test_statuses_are_coloured_on_a_terminal_and_plain_otherwise(cli: Cli, monkeypatch) -> None:
    cli("open", "one", "-q")
    cli("acknowledge", "ESC-1")
    assert "\x1b[" not in cli("list").stdout
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = cli("list").stdout
    assert "\x1b[36mack\x1b[0m" in coloured


def test_opening_an_external_id_again_names_the_case_on_stdout(cli: Cli) -> None:
    # "returns the existing case (exit 0, its id)": a person reads stdout, so the id is there,
    # not only in a note on stderr.
    cli("open", "Printer on fire", "--external-id", "ZD-1", "-q")
    again = cli("open", "Printer smoking", "--external-id", "ZD-1")
    assert again.stdout.startswith("ESC-1 has external id ZD-1 already (opened ")
    assert again.stdout.endswith("): nothing new was opened\n") and again.stderr == ""
    quiet = cli("open", "Printer smoking", "--external-id", "ZD-1", "-q")
    assert quiet.stdout == "ESC-1\n" and "ESC-1 has external id ZD-1" in quiet.stderr


def test_a_list_that_matches_nothing_says_which_filter_names_nothing_known(cli: Cli) -> None:
    # Exit 0: a store keeps cases from before the matrix dropped a name, and they are listed.
    cli("open", "Printer on fire", "-q")
    typo = cli("list", "--owner", "danna", "--level", "L9")
    assert typo.stderr == (
        'no cases match; --owner "danna" is no contact of this matrix;'
        ' --level "L9" is no level of this matrix\n'
    )
    assert cli("list", "--owner", "dana").stderr == "no cases match\n"
    assert cli("list", "--tier", "platinum").stderr == "no cases match\n"  # tiers undeclared
