"""`escalate matrix validate` and `escalate matrix show` through the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import BASIC_MATRIX, ROOT, Cli

BROKEN = """\
version: 1
contacts:
  - id: sam
    hours: "Mon-Fry 09:00-17:00"
levels:
  - id: L1
    contacts: [sma]
    after: 2x
"""


def test_validate_a_good_matrix(cli: Cli) -> None:
    out = cli("matrix", "validate", str(ROOT / "matrices" / "support.yaml")).stdout
    assert "valid (8 levels" in out
    # Without a PATH it checks the matrix the lookup order finds.
    assert f"{BASIC_MATRIX}: valid" in cli("matrix", "validate").stdout


def test_validate_reports_every_problem_with_exit_4(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    result = cli("matrix", "validate", str(broken), code=4)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f'{broken}:4: contacts[0].hours: bad hours "Mon-Fry 09:00-17:00": unknown day "Fry"'
        " (use Mon..Sun, Mon-Fri, Mon,Wed or daily)",
        f'{broken}:7: levels[0].contacts[0]: unknown contact "sma" (known: sam)',
        f'{broken}:8: levels[0].after: bad duration "2x" (use 90s, 15m, 4h, 2d, 1w, 1h30m)',
        f"{broken}: 3 problems",
    ]


def test_validate_json(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    report = cli.json("matrix", "validate", str(broken), code=4)
    assert report["valid"] is False
    assert [(p["line"], p["key"]) for p in report["problems"]] == [
        (4, "contacts[0].hours"),
        (7, "levels[0].contacts[0]"),
        (8, "levels[0].after"),
    ]
    assert cli.json("matrix", "validate")["problems"] == []


def test_validate_a_missing_file(cli: Cli, tmp_path: Path) -> None:
    result = cli("matrix", "validate", str(tmp_path / "nope.yaml"), code=4)
    assert "nope.yaml" in result.stderr


def test_show_renders_every_section(cli: Cli) -> None:
    out = cli("matrix", "show").stdout
    for expected in (
        "Levels (bottom to top)",
        "Frontline support",
        "rotation:sre-oncall",
        "Contacts",
        "Mon-Fri 08:00-18:00",
        "Asia/Tokyo",
        "2026-11-20..2026-11-27 -> eli",
        "Rotations",
        "Paths",
        "L2 > L4",
        "required",
        "Severities (most severe first)",
        "sev3 (default)",
        "Triggers",
        "path legal",
    ):
        assert expected in out, expected


def test_show_json_uses_plain_values(cli: Cli) -> None:
    shown = cli.json("matrix", "show")
    assert shown["levels"][0]["ack"] == "15m"
    assert shown["timezone"] == "Europe/London"
    assert shown["paths"]["security"]["agreement"] == "required"
    assert shown["triggers"][0]["then"] == {"kind": "path", "target": "legal", "contacts": []}


def test_show_json_writes_hours_and_leave_as_the_yaml_does(cli: Cli) -> None:
    """As `matrix diff --json` does: the hours' spec, not the minutes it compiles to, and leave
    with `from`, so that the JSON reads back as the matrix was written."""
    support = str(ROOT / "matrices" / "support.yaml")
    contacts = {c["id"]: c for c in cli.json("matrix", "show", support)["contacts"]}
    assert contacts["dana"]["hours"] == "Mon-Fri 08:00-18:00, Sat 10:00-14:00"
    assert contacts["dana"]["away"] == [
        {"from": "2026-12-24", "until": "2027-01-02", "delegate": "eli"}
    ]
