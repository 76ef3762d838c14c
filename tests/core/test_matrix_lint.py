"""`core.matrix_lint`: each check on a matrix flawed on purpose, noqa comments, the bundled ones."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from escalate_cli.core.matrix import level_gaps
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.matrix.matrix_lint import CODES, lint_file

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "matrices").glob("*.yaml"))
MONDAY = date(2026, 11, 23)

# Clean under every check: one always-reachable person per level, a path ending outside.
CLEAN = """\
version: 1
timezone: UTC
contacts:
  - id: ann
    email: ann@example.com
  - id: bob
    email: bob@example.com
  - id: ext
    email: ext@example.com
    external: true
levels:
  - id: L1
    contacts: [ann]
  - id: L2
    contacts: [bob]
paths:
  default:
    levels: [L1, L2]
    external: [ext]
"""


def lint(tmp_path: Path, text: str, start: date = MONDAY, weeks: int = 1) -> list[str]:
    """The findings as `line: CODE message`, without the file name."""
    path = tmp_path / "m.yaml"
    path.write_text(textwrap.dedent(text))
    result = lint_file(path, start, weeks)
    assert result.problems == []
    return [str(finding).removeprefix(f"{path}:") for finding in result.findings]


def test_a_clean_matrix_has_no_findings(tmp_path: Path) -> None:
    assert lint(tmp_path, CLEAN) == []


def test_an_invalid_matrix_gives_validate_problems_and_no_findings(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(CLEAN.replace("contacts: [bob]", "contacts: [bobby]"))
    result = lint_file(path, MONDAY, 1)
    assert [problem.line for problem in result.problems] == [15]
    assert result.findings == []


def test_l101_names_the_empty_hours_compactly(tmp_path: Path) -> None:
    text = CLEAN.replace(
        "    email: bob@example.com\n",
        '    email: bob@example.com\n    hours: "Mon-Fri 08:00-18:00"\n',
    )
    assert lint(tmp_path, text, weeks=2) == [
        "16: L101 level L2 has nobody available Mon-Thu 18:00-08:00, Fri 18:00-Mon 08:00 (UTC)"
    ]


def test_l101_walks_daylight_saving_in_the_matrix_zone(tmp_path: Path) -> None:
    # Bob keeps New York hours, 09:00-24:00 in London in winter. New York moves its clocks on
    # 14 March 2027, London on the 28th: for those two weeks his day is 08:00-23:00 there.
    text = (
        CLEAN.replace("timezone: UTC", "timezone: Europe/London")
        .replace(
            "    email: bob@example.com\n",
            "    email: bob@example.com\n    timezone: America/New_York\n"
            '    hours: "daily 04:00-19:00"\n',
        )
        .replace("contacts: [ann]", "contacts: [ann]")
    )
    found = lint(tmp_path, text, start=date(2027, 3, 8), weeks=3)
    assert found == [
        "17: L101 level L2 has nobody available daily 00:00-08:00, Mon 8 Mar-Sat 13 Mar"
        " 08:00-09:00, Sun 14 Mar-Sat 27 Mar 23:00-24:00, Sun 28 Mar 08:00-09:00"
        " (Europe/London)"
    ]


def test_l101_counts_a_rotation_member_on_shift(tmp_path: Path) -> None:
    text = CLEAN.replace(
        "levels:\n",
        "rotations:\n  - id: r\n    members: [bob, ann]\n    shift: 1w\n"
        "    start: 2026-11-23T00:00\nlevels:\n",
    ).replace("contacts: [bob]", "contacts: [rotation:r]")
    text = text.replace(
        "    email: bob@example.com\n",
        '    email: bob@example.com\n    hours: "Mon-Fri 00:00-24:00"\n',
    )
    # Bob's week leaves the weekend empty; in Ann's week someone is always there.
    assert lint(tmp_path, text, weeks=2) == [
        "21: L101 level L2 has nobody available Sat 28 Nov 00:00-Mon 30 Nov 00:00 (UTC)"
    ]


def test_l102_a_timer_slower_than_the_sla_it_starts_with(tmp_path: Path) -> None:
    text = CLEAN + textwrap.dedent(
        """\
        severities:
          - id: sev1
            ack: 15m
            resolve: 4h
          - id: sev2
            ack: 1h
            resolve: 1d
        """
    )
    text = text.replace("contacts: [ann]\n", "contacts: [ann]\n    ack: 30m\n    after: 2h\n")
    text = text.replace("contacts: [bob]\n", "contacts: [bob]\n    ack: {sev2: 2h}\n")
    assert lint(tmp_path, text) == [
        "14: L102 level L1's ack is longer than the ack SLA it starts with (sev1 30m against"
        " 15m): the SLA escalates first and this ack never does",
        # L2 is no start level, but its ack names sev2 itself.
        "18: L102 level L2's ack is longer than the ack SLA it starts with (sev2 2h against"
        " 1h): the SLA escalates first and this ack never does",
    ]


def test_l103_a_contact_nobody_can_reach(tmp_path: Path) -> None:
    text = CLEAN.replace("  - id: bob\n    email: bob@example.com\n", "  - id: bob\n")
    assert lint(tmp_path, text) == [
        "6: L103 contact bob has no email, phone, chat or webhook or command channel:"
        " nobody can reach them"
    ]
    hooked = text.replace(
        "levels:\n",
        "channels:\n  hook: {kind: webhook, url: 'https://example.com/x'}\n"
        "notify_via: [hook]\nlevels:\n",
    )
    assert lint(tmp_path, hooked) == []


def test_l104_leave_without_a_delegate_that_empties_a_level(tmp_path: Path) -> None:
    text = CLEAN.replace(
        "    email: bob@example.com\n",
        "    email: bob@example.com\n    away:\n      - {from: 2026-11-25, until: 2026-11-26}\n",
    )
    assert lint(tmp_path, text, weeks=2) == [
        "9: L104 leave of bob from 2026-11-25 until 2026-11-26 has no delegate and leaves"
        " level L2 with nobody available for 2d in all, first Wed 25 Nov 00:00-Fri 27 Nov 00:00"
    ]
    delegated = text.replace("until: 2026-11-26}", "until: 2026-11-26, delegate: ann}")
    assert lint(tmp_path, delegated, weeks=2) == []
    # Leave over before the walk begins is no one's concern.
    assert lint(tmp_path, text, start=date(2026, 12, 7)) == []


def test_l104_names_each_of_two_leaves_that_empty_a_level_together(tmp_path: Path) -> None:
    text = CLEAN.replace("contacts: [bob]", "contacts: [bob, ext]").replace(
        "    external: true\n",
        "    external: true\n    away: [{from: 2026-11-25, until: 2026-11-25}]\n",
    )
    text = text.replace(
        "    email: bob@example.com\n",
        "    email: bob@example.com\n    away: [{from: 2026-11-24, until: 2026-11-26}]\n",
    )
    found = lint(tmp_path, text)
    # Only the day both are away; and L1, where neither is, is not blamed on them.
    assert [line.split(" has no delegate")[0] for line in found] == [
        "8: L104 leave of bob from 2026-11-24 until 2026-11-26",
        "12: L104 leave of ext from 2026-11-25 until 2026-11-25",
    ]
    assert all(line.endswith("for 1d in all, first Wed 25 Nov 00:00-24:00") for line in found)


def test_l105_to_l108_what_nothing_leads_to(tmp_path: Path) -> None:
    text = CLEAN.replace(
        "levels:\n",
        "  - id: spare\n    email: spare@example.com\nrotations:\n  - id: idle\n"
        "    members: [ann]\n    shift: 1w\n    start: 2026-11-23T00:00\nlevels:\n",
    )
    text = (
        text.replace(
            "paths:\n",
            "  - id: L3\n    contacts: [ann]\npaths:\n",
        )
        + "  manual: [L1]\n"
    )
    assert lint(tmp_path, text) == [
        "11: L105 contact spare is named nowhere: on no level, rotation, path, severity or"
        " trigger, and delegate for nobody",
        "14: L106 rotation idle is on no level",
        "23: L107 level L3 is on no path: no case reaches it",
        "29: L108 path manual is named by no trigger: only open --type manual or route"
        " --path manual puts a case on it",
        "29: L111 path manual tops out at L1 with no external contacts and no repeat: a case"
        " nobody acknowledges there is told once, then waits",
    ]


def test_l109_a_level_condition_off_the_trigger_paths(tmp_path: Path) -> None:
    text = CLEAN.replace(
        "  default:\n", "  side:\n    levels: [L2]\n    external: [ext]\n  default:\n"
    )
    text += textwrap.dedent(
        """\
        triggers:
          - id: stuck
            when: {type: side, level: L1, at_level_for: 1h}
            then: escalate
          - id: fine
            when: {type: [side, default], level: L1, at_level_for: 1h}
            then: escalate
        """
    )
    assert lint(tmp_path, text) == [
        "25: L109 trigger stuck can never fire: level L1 is on no path of type side"
    ]


def test_l110_short_and_common_keywords(tmp_path: Path) -> None:
    text = CLEAN + textwrap.dedent(
        """\
        triggers:
          - id: words
            when: {keywords: [sue, Issue, lawsuit]}
            then: escalate
        """
    )
    assert lint(tmp_path, text) == [
        '22: L110 keyword "sue" of trigger words is shorter than 4 letters and may match more'
        " than you mean",
        '22: L110 keyword "Issue" of trigger words is a word most cases use, so it matches far'
        " more than you mean",
    ]


def test_l111_and_the_repeat_that_quiets_it(tmp_path: Path) -> None:
    text = CLEAN.replace("    external: [ext]\n", "    also_notify: [ext]\n")
    message = (
        "17: L111 path default tops out at L2 with no external contacts and no repeat: a case"
        " nobody acknowledges there is told once, then waits"
    )
    assert lint(tmp_path, text) == [message]
    on_path = text.replace(
        "levels: [L1, L2]\n", "levels: [L1, L2]\n    repeat: {every: 15m, times: 3}\n"
    )
    assert lint(tmp_path, on_path) == []
    on_level = text.replace(
        "contacts: [bob]\n", "contacts: [bob]\n    repeat: {every: 15m, times: 3}\n"
    )
    assert lint(tmp_path, on_level) == []


def test_noqa_silences_only_the_codes_it_names_on_its_line(tmp_path: Path) -> None:
    flawed = CLEAN.replace("    external: [ext]\n", "    also_notify: [ext]\n") + "  manual: [L1]\n"
    assert [line[:8] for line in lint(tmp_path, flawed)] == ["17: L111", "20: L108", "20: L111"]
    silenced = flawed.replace("  manual: [L1]", "  manual: [L1]   # by hand only. NOQA: L108,L111")
    assert [line[:8] for line in lint(tmp_path, silenced)] == ["17: L111"]
    partly = flawed.replace("  manual: [L1]", "  manual: [L1]   # noqa: L108")
    assert [line[:8] for line in lint(tmp_path, partly)] == ["17: L111", "20: L111"]
    path = tmp_path / "m.yaml"
    path.write_text(flawed.replace("  manual: [L1]", "  manual: [L1]  # noqa"))
    assert lint_file(path, MONDAY, 1).silenced == 2


def test_the_start_may_be_an_instant_read_in_the_matrix_zone(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        CLEAN.replace("timezone: UTC", "timezone: Pacific/Auckland").replace(
            "    email: bob@example.com\n",
            "    email: bob@example.com\n    away: [{from: 2026-11-24, until: 2026-11-24}]\n",
        )
    )
    # 23 Nov 12:00 UTC is already the 24th in Auckland: the leave is inside a one-day walk.
    found = lint_file(path, datetime(2026, 11, 23, 12, tzinfo=UTC), 1).findings
    assert [finding.code for finding in found] == ["L104"]


@pytest.mark.parametrize("path", BUNDLED, ids=[path.stem for path in BUNDLED])
@pytest.mark.parametrize("start", [date(2026, 11, 29), date(2026, 12, 21), date(2027, 3, 22)])
def test_bundled_matrices_are_lint_clean_with_their_reasons_written_down(
    path: Path, start: date
) -> None:
    result = lint_file(path, start, 2)
    assert result.findings == []
    assert result.silenced > 0  # the findings are there, each excused by a comment


def test_every_code_is_documented() -> None:
    doc = (ROOT / "docs" / "matrix-lint.md").read_text()
    for code in CODES:
        assert f"| `{code}` |" in doc, code


def test_gaps_subtract() -> None:
    t = [datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in range(10)]
    assert level_gaps.subtract([(t[0], t[9])], [(t[1], t[2]), (t[5], t[6])]) == [
        (t[0], t[1]),
        (t[2], t[5]),
        (t[6], t[9]),
    ]
    assert level_gaps.subtract([(t[1], t[2])], [(t[0], t[3])]) == []


def test_a_level_empty_all_week_is_said_so() -> None:
    matrix = load_matrix_text(
        "version: 1\ncontacts:\n  - id: a\n    away: [{from: 2026-01-01, until: 2027-12-31}]\n"
        "levels:\n  - id: L1\n    contacts: [a]\n",
        "m.yaml",
    )
    zone = ZoneInfo("UTC")
    start, end = level_gaps.window(MONDAY, 1, zone)
    gaps = level_gaps.level_gaps(matrix, "L1", start, end)
    assert gaps == [(start, end)]
    assert level_gaps.describe_weekly(gaps, MONDAY, 1, zone) == "at all hours"
