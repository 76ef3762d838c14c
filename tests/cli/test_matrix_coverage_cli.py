"""`escalate matrix coverage`: the grids for people (80 columns, marks without colour), JSON,
the SVG file, and its errors."""

from __future__ import annotations

from pathlib import Path
from xml.dom import minidom

import pytest

from tests.conftest import ROOT, Cli

# Coverage reads no store: the JSON one is enough.
pytestmark = pytest.mark.json_store

SUPPORT = str(ROOT / "matrices" / "support.yaml")

LEAVE = """\
version: 1
timezone: UTC
contacts:
  - id: ann
    hours: "Mon-Fri 09:00-17:00"
    away: [{from: 2026-12-02, until: 2026-12-02}]
  - id: bob
    hours: "Mon-Fri 12:00-20:00"
levels:
  - id: L1
    name: Desk
    contacts: [ann, bob]
  - id: L2
    contacts: [bob]
"""


def written(tmp_path: Path, text: str = LEAVE, name: str = "team.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_week_grid_per_level_marks_gaps_without_colour(cli: Cli, tmp_path: Path) -> None:
    path = written(tmp_path)
    lines = cli("matrix", "coverage", path, "--from", "2026-12-02", "--level", "L1").stdout
    lines = lines.splitlines()
    assert lines[0] == "L1 Desk: week of 2026-11-30 (UTC), nobody for 116 hours"
    assert lines[1] == "       " + " ".join(f"{hour:02d}" for hour in range(24))
    monday = "Mon 30" + "  ." * 9 + "  1" * 3 + "  2" * 5 + "  1" * 3 + "  ." * 4
    wednesday = "Wed 02" + "  ." * 12 + "  1" * 8 + "  ." * 4  # ann on leave
    assert lines[2] == monday
    assert lines[4] == wednesday
    assert lines[7] == "Sat 05" + "  ." * 24
    assert lines[9].startswith("legend: . nobody")
    assert all(len(line) <= 80 for line in lines)


def test_json_has_a_grid_per_level_and_week_from_the_monday(cli: Cli, tmp_path: Path) -> None:
    grids = cli.json(
        "matrix", "coverage", written(tmp_path), "--from", "2026-12-03", "--weeks", "2"
    )
    assert [(grid["level"], grid["week"]) for grid in grids] == [
        ("L1", "2026-11-30"),
        ("L1", "2026-12-07"),
        ("L2", "2026-11-30"),
        ("L2", "2026-12-07"),
    ]
    assert all(set(grid) == {"level", "week", "days"} for grid in grids)
    first = grids[0]["days"]
    assert [day["date"] for day in first] == [f"2026-{d}" for d in (
        "11-30", "12-01", "12-02", "12-03", "12-04", "12-05", "12-06"
    )]  # fmt: skip
    assert first[2]["hours"][9:12] == [0, 0, 0]  # the leave
    assert grids[1]["days"][2]["hours"][9:12] == [1, 1, 1]  # a week later, ann is back


def test_from_defaults_to_the_week_of_now_in_the_matrix_zone(cli: Cli, tmp_path: Path) -> None:
    # The clock is fixed at Monday 2026-11-23 10:00 UTC.
    (grid,) = cli.json("matrix", "coverage", written(tmp_path), "--level", "L2")
    assert grid["week"] == "2026-11-23"
    assert cli.json("--matrix", SUPPORT, "matrix", "coverage", "--level", "L3")[0]["week"] == (
        "2026-11-23"
    )


def test_svg_is_written_with_the_same_grids(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "cover.svg"
    result = cli("matrix", "coverage", SUPPORT, "--from", "2026-12-21", "--svg", str(target))
    assert result.stderr.strip() == f"wrote {target}"
    assert "L2 Support supervisor: week of 2026-12-21" in result.stdout
    document = minidom.parse(str(target))
    titles = [node.firstChild.data for node in document.getElementsByTagName("text")]
    assert "L2 Support supervisor: week of 2026-12-21 (Europe/London)" in titles
    levels = len(cli.json("matrix", "coverage", SUPPORT, "--from", "2026-12-21"))
    assert len(document.getElementsByTagName("rect")) == 1 + levels * 7 * 24 + 4


def test_errors(cli: Cli, tmp_path: Path) -> None:
    path = written(tmp_path)
    assert "L9" in cli("matrix", "coverage", path, "--level", "L9", code=3).stderr
    broken = written(tmp_path, LEAVE.replace("[bob]", "[bobby]"), "broken.yaml")
    assert 'unknown contact "bobby"' in cli("matrix", "coverage", broken, code=4).stderr
    assert "--weeks" in cli("matrix", "coverage", path, "--weeks", "0", code=2).stderr
    assert "--from" in cli("matrix", "coverage", path, "--from", "someday", code=2).stderr
    folder = tmp_path / "missing" / "cover.svg"
    assert "--svg" in cli("matrix", "coverage", path, "--svg", str(folder), code=2).stderr


def test_colour_on_a_terminal_red_for_nobody_green_for_two(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from rich.console import Console

    from escalate_cli.cli.matrix_more import _day_row
    from escalate_cli.core.matrix.matrix_coverage import CoverageDay

    monkeypatch.delenv("NO_COLOR")
    console = Console(force_terminal=True, color_system="standard", width=80)
    with console.capture() as captured:
        console.print(_day_row(CoverageDay(date(2026, 11, 30), (0, 1, 2) + (None,) * 21)))
    shown = captured.get()
    assert "\x1b[1;37;41m ." in shown  # bold white on red
    assert "\x1b[30;43m 1" in shown  # black on yellow
    assert "\x1b[30;42m 2" in shown  # black on green
