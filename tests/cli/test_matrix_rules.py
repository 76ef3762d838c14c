"""Routing answers a user can trust: whole-word keywords, declared tiers, level timers by severity.

Each test runs the CLI on tests/data/basic.yaml with a few lines changed, so the changes read
as the matrix a team would write.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from escalate_cli.cli import app
from tests.conftest import BASIC_MATRIX, ROOT, Cli

SUPPORT = ROOT / "matrices" / "support.yaml"
LEGAL_TRIGGER = "    when: {keywords: [lawyer, lawsuit]}\n"
L1_TIMERS = "    after: 2h\n    ack: 15m\n    min_time: 30m\n"

Edit = Callable[..., Path]


@pytest.fixture
def matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Edit:
    """Write basic.yaml with (old, new) replacements as m.yaml and make it the matrix in use."""

    def edit(*changes: tuple[str, str], append: str = "") -> Path:
        text = BASIC_MATRIX.read_text()
        for old, new in changes:
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / "m.yaml"
        path.write_text(text + append)
        monkeypatch.setenv("ESCALATE_MATRIX", str(path))
        return path

    return edit


def trigger_of(cli: Cli, case: str, at: str = "2026-11-23T10:01:00Z") -> Any:
    """The trigger `next` names for a case, or None when a built-in timer comes first."""
    nxt = cli.json("--now", at, "next", case)["next"]
    return nxt["trigger"] if nxt else None


# 1. Keywords match whole words and phrases -----------------------------------------------------


def test_a_keyword_never_matches_inside_a_longer_word(cli: Cli, matrix: Edit) -> None:
    matrix((LEGAL_TRIGGER, "    when: {keywords: [sue, lawyer]}\n"))
    cli("open", "Invoice PDF: display issue with VAT number", "--severity", "sev3", "-q")
    cli("open", "They will SUE us", "-q")
    assert trigger_of(cli, "ESC-1") is None
    assert trigger_of(cli, "ESC-2") == "legal-threat"
    swept = cli.json("--now", "2026-11-23T10:01:00Z", "sweep", "--dry-run")
    assert [move["case"] for move in swept["escalated"]] == ["ESC-2"]


def test_a_phrase_matches_across_any_run_of_whitespace(cli: Cli, matrix: Edit) -> None:
    matrix((LEGAL_TRIGGER, '    when: {keywords: ["charge back"]}\n'))
    cli("open", "Customer asks for a Charge  back", "-q")
    cli("open", "Refund", "--description", "they filed a charge\n\tback today", "-q")
    cli("open", "Payment taken twice", "--description", "a chargeback, not a charge", "-q")
    assert trigger_of(cli, "ESC-1") == "legal-threat"
    assert trigger_of(cli, "ESC-2") == "legal-threat"
    assert trigger_of(cli, "ESC-3") is None


def test_word_boundaries_are_unicode_aware(cli: Cli, matrix: Edit) -> None:
    matrix((LEGAL_TRIGGER, "    when: {keywords: [rger, Straße, café]}\n"))
    cli("open", "Großer Ärger mit der Rechnung", "-q")  # "rger" is inside "Ärger"
    cli("open", "Lieferung in die STRASSE falsch", "-q")
    cli("open", "The CAFÉ terminal is down", "-q")
    cli("open", "Three cafés are down", "-q")
    assert trigger_of(cli, "ESC-1") is None
    assert trigger_of(cli, "ESC-2") == "legal-threat"
    assert trigger_of(cli, "ESC-3") == "legal-threat"
    assert trigger_of(cli, "ESC-4") is None


def test_keywords_are_found_in_status_updates(cli: Cli) -> None:
    cli("open", "Invoice total wrong", "-q")
    assert trigger_of(cli, "ESC-1") is None
    cli("--now", "2026-11-23T10:02:00Z", "update", "ESC-1", "Their Lawyer phoned us", "--by", "sam")
    assert trigger_of(cli, "ESC-1", at="2026-11-23T10:03:00Z") == "legal-threat"
    swept = cli.json("--now", "2026-11-23T10:03:00Z", "sweep")
    assert [(m["case"], m["trigger"]) for m in swept["escalated"]] == [("ESC-1", "legal-threat")]


def test_keywords_are_not_joined_across_fields(cli: Cli, matrix: Edit) -> None:
    matrix((LEGAL_TRIGGER, '    when: {keywords: ["charge back"]}\n'))
    cli("open", "Customer wants the charge", "--description", "back to normal pricing", "-q")
    assert trigger_of(cli, "ESC-1") is None


def test_validate_warns_about_short_keywords_and_still_passes(cli: Cli, matrix: Edit) -> None:
    path = matrix((LEGAL_TRIGGER, '    when: {keywords: [sue, lawyer, "503"]}\n'))
    line = path.read_text().splitlines().index('    when: {keywords: [sue, lawyer, "503"]}') + 1
    result = cli("matrix", "validate", str(path))
    assert result.stdout.startswith(f"{path}: valid (")
    assert result.stderr.splitlines() == [
        f'{path}:{line}: triggers[0].when.keywords[0]: keyword "sue" of trigger legal-threat'
        " is shorter than 4 letters and may match more than you mean",
        f'{path}:{line}: triggers[0].when.keywords[2]: keyword "503" of trigger legal-threat'
        " is shorter than 4 letters and may match more than you mean",
    ]
    report = cli.json("matrix", "validate", str(path))
    assert report["valid"] is True and report["problems"] == []
    assert [(w["line"], w["key"]) for w in report["warnings"]] == [
        (line, "triggers[0].when.keywords[0]"),
        (line, "triggers[0].when.keywords[2]"),
    ]


def test_a_blank_keyword_is_an_error(cli: Cli, matrix: Edit) -> None:
    path = matrix((LEGAL_TRIGGER, '    when: {keywords: [lawyer, "  "]}\n'))
    result = cli("matrix", "validate", str(path), code=4)
    assert "triggers[0].when.keywords[1]: a keyword needs a letter or digit" in result.stderr


@pytest.mark.parametrize("name", ["support", "incident", "project"])
def test_the_bundled_matrices_have_no_warnings(cli: Cli, name: str) -> None:
    result = cli("matrix", "validate", str(ROOT / "matrices" / f"{name}.yaml"))
    assert result.stderr == ""


def test_the_bundled_support_matrix_routes_everyday_text_nowhere(cli: Cli) -> None:
    for title in (
        "Customer unhappy: SLA breach on ticket 4411",
        "Password reset email never arrives",
        "Export shows a display issue in Safari",
        "Customer wants to claim a discount code",
        "Leaked memory in the desktop app?",
    ):
        cli("--matrix", str(SUPPORT), "open", title, "--severity", "sev3", "-q")
    swept = cli.json(
        "--matrix", str(SUPPORT), "--now", "2026-11-23T10:01:00Z", "sweep", "--dry-run"
    )
    assert swept["escalated"] == [] and swept["notified"] == []
    cli("--matrix", str(SUPPORT), "open", "Account compromised: data breach suspected", "-q")
    swept = cli.json(
        "--matrix", str(SUPPORT), "--now", "2026-11-23T10:01:00Z", "sweep", "--dry-run"
    )
    assert [(m["case"], m["trigger"]) for m in swept["escalated"]] == [("ESC-6", "security-report")]


# 2. Tiers can be declared ----------------------------------------------------------------------

TIERS = "tiers: [standard, gold, vip]\n"
VIP_TRIGGER = """\
  - id: vip-fast
    when: {tier: [VIP], unacknowledged_for: 5m}
    then: {notify: [vp]}
"""


def test_open_stores_a_declared_tier_as_the_matrix_spells_it(cli: Cli, matrix: Edit) -> None:
    matrix(("skip_unavailable: true\n", "skip_unavailable: true\n" + TIERS))
    case = cli.json("open", "Checkout down", "--tier", "GOLD")
    assert case["customer"]["tier"] == "gold"


def test_an_unknown_tier_on_open_is_not_found_with_a_suggestion(cli: Cli, matrix: Edit) -> None:
    matrix(("skip_unavailable: true\n", "skip_unavailable: true\n" + TIERS))
    result = cli("open", "Checkout down", "--tier", "gld", code=3)
    assert 'unknown tier "gld"' in result.stderr
    assert 'did you mean "gold"?' in result.stderr
    assert "standard, gold, vip" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli.json("list") == []
    result = cli("simulate", "--tier", "platinum", code=3)
    assert 'unknown tier "platinum"' in result.stderr


def test_without_tiers_any_tier_is_accepted_as_typed(cli: Cli) -> None:
    assert cli.json("open", "Checkout down", "--tier", "Enterprise")["customer"]["tier"] == (
        "Enterprise"
    )


def test_a_trigger_tier_must_be_declared(cli: Cli, matrix: Edit) -> None:
    path = matrix(
        ("skip_unavailable: true\n", "skip_unavailable: true\n" + TIERS),
        append=VIP_TRIGGER.replace("[VIP]", "[vip, platinum]"),
    )
    line = (
        path.read_text()
        .splitlines()
        .index("    when: {tier: [vip, platinum], unacknowledged_for: 5m}")
        + 1
    )
    result = cli("matrix", "validate", str(path), code=4)
    assert result.stderr.splitlines()[0] == (
        f'{path}:{line}: triggers[1].when.tier[1]: unknown tier "platinum"'
        " (known: standard, gold, vip)"
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("declared", [True, False])
def test_trigger_tiers_compare_case_insensitively(cli: Cli, matrix: Edit, declared: bool) -> None:
    tiers = TIERS if declared else ""
    matrix(("skip_unavailable: true\n", "skip_unavailable: true\n" + tiers), append=VIP_TRIGGER)
    cli("open", "Checkout down", "--tier", "vip", "-q")
    cli("open", "Checkout slow", "--tier", "Gold", "-q")
    swept = cli.json("--now", "2026-11-23T10:05:00Z", "sweep", "--dry-run")
    assert [(n["case"], n["trigger"]) for n in swept["notified"]] == [("ESC-1", "vip-fast")]


def test_bad_tiers_lists_are_errors(cli: Cli, matrix: Edit) -> None:
    path = matrix(
        ("skip_unavailable: true\n", "skip_unavailable: true\ntiers: [gold, Gold, 'a b']\n")
    )
    stderr = cli("matrix", "validate", str(path), code=4).stderr
    assert 'tiers[1]: duplicate tier "Gold" (already listed as "gold")' in stderr
    assert 'tiers[2]: bad id "a b"' in stderr


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=12) | st.sampled_from(["vip", "VIP ", "Gold", "vpi", ""]))
def test_any_tier_on_open_is_stored_or_not_found(tier: str) -> None:
    result = CliRunner().invoke(app, ["--matrix", str(SUPPORT), "open", "x", f"--tier={tier}"])
    assert result.exit_code in (0, 2, 3), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 3:
        assert result.stderr.startswith("error: unknown tier")


def test_the_bundled_support_matrix_declares_its_tiers(cli: Cli) -> None:
    shown = cli.json("matrix", "show", str(SUPPORT))
    assert "vip" in shown["tiers"]
    case = cli.json("--matrix", str(SUPPORT), "open", "Checkout down", "--tier", "VIP")
    assert case["customer"]["tier"] == "vip"


# 3. Level timers by severity -------------------------------------------------------------------

BY_SEVERITY = "    after: {sev1: 1h, sev2: 2h}\n    ack: {sev1: 5m, sev2: 15m, default: 3h}\n"


def test_a_level_timer_can_depend_on_the_severity(cli: Cli, matrix: Edit) -> None:
    matrix((L1_TIMERS, BY_SEVERITY + "    min_time: 30m\n"))
    cli("open", "Checkout down", "--severity", "sev2", "-q")
    cli("open", "Typo on the pricing page", "--severity", "sev3", "-q")
    first = cli.json("next", "ESC-1")["next"]
    assert (first["due_at"], first["reason"]) == (
        "2026-11-23T10:15:00Z",
        "not acknowledged at L1 within 15m (level ack)",
    )
    second = cli.json("next", "ESC-2")["next"]
    assert second["due_at"] == "2026-11-23T13:00:00Z"  # the default, before sev3's 4h ack SLA
    assert second["reason"] == "not acknowledged at L1 within 3h (level ack)"
    cli("--now", "2026-11-23T10:10:00Z", "acknowledge", "ESC-1", "--by", "frontline")
    cli("--now", "2026-11-23T10:10:00Z", "acknowledge", "ESC-2", "--by", "frontline")
    assert cli.json("--now", "2026-11-23T10:11:00Z", "next", "ESC-1")["next"]["reason"] == (
        "unresolved at L1 for 2h (level after)"
    )
    # sev3 has no `after` entry and there is no default: only the severity's SLAs run.
    assert cli.json("--now", "2026-11-23T10:11:00Z", "next", "ESC-2")["next"]["reason"] == (
        "resolve SLA of 3d breached"
    )


def test_matrix_show_prints_the_mapping(cli: Cli, matrix: Edit) -> None:
    path = matrix((L1_TIMERS, BY_SEVERITY + "    min_time: 30m\n"))
    out = cli("matrix", "show", str(path)).stdout
    assert "sev1 5m, sev2 15m, default 3h" in out
    assert "sev1 1h, sev2 2h" in out
    level = cli.json("matrix", "show", str(path))["levels"][0]
    assert level["ack"] == {"sev1": "5m", "sev2": "15m", "default": "3h"}
    assert level["after"] == {"sev1": "1h", "sev2": "2h"}


def test_bad_mappings_are_errors_with_file_line_and_key(cli: Cli, matrix: Edit) -> None:
    timers = "    after:\n      sev1: 1h\n      sev9: 2h\n    ack: {sev1: 2x, default: 4h}\n"
    path = matrix((L1_TIMERS, timers))
    lines = path.read_text().splitlines()
    sev9 = lines.index("      sev9: 2h") + 1
    ack = lines.index("    ack: {sev1: 2x, default: 4h}") + 1
    result = cli("matrix", "validate", str(path), code=4)
    assert result.stderr.splitlines() == [
        f'{path}:{sev9}: levels[0].after.sev9: unknown severity "sev9" (known: sev1, sev2, sev3)',
        f'{path}:{ack}: levels[0].ack.sev1: bad duration "2x" (use 90s, 15m, 4h, 2d, 1w, 1h30m)',
        f"{path}: 2 problems",
    ]
    result = cli("open", "Checkout down", code=4)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[15m]", "expected a duration, or a mapping from severity id to duration"),
        ("{}", "expected at least one severity id or default"),
        ("{sev1: null}", "levels[0].ack.sev1: bad duration (empty)"),
        ("{1: 5m}", "expected a name as the key"),
    ],
)
def test_odd_timer_values_are_errors(cli: Cli, matrix: Edit, value: str, message: str) -> None:
    path = matrix((L1_TIMERS, f"    ack: {value}\n"))
    result = cli("matrix", "validate", str(path), code=4)
    assert message in result.stderr
    assert "levels[0].ack" in result.stderr


def test_a_sev4_question_at_night_does_not_page_engineering(cli: Cli) -> None:
    timeline = cli.json(
        "--matrix", str(SUPPORT), "--now", "2026-11-23T22:00:00Z", "simulate", "--severity", "sev4"
    )["timeline"]
    early = [entry for entry in timeline if entry["at"] < "2026-11-24T09:00:00Z"]
    assert [entry["level"] for entry in early] == ["L1"]


def test_the_bundled_legal_path_reaches_counsel_first(cli: Cli) -> None:
    support = ("--matrix", str(SUPPORT))
    cli(*support, "open", "Customer threatens a lawsuit over the outage", "-q")
    swept = cli.json(*support, "--now", "2026-11-23T10:01:00Z", "sweep")
    moved = swept["escalated"]
    assert [(m["from"], m["to"], m["trigger"]) for m in moved] == [("L1", "LEGAL", "legal-threat")]
    assert "ben" not in moved[0]["contacts"] and "general-counsel" in moved[0]["contacts"]
    assert "dana" in moved[0]["contacts"]
