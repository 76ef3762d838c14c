"""`core.matrix_coverage` and its SVG: counts per hour through leave, delegates, rotations and
daylight saving, on the bundled matrix and on small ones written here."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from xml.dom import minidom

import pytest

from escalate_cli.core.errors import NotFoundError
from escalate_cli.core.matrix import level_gaps
from escalate_cli.core.matrix.coverage_svg import render
from escalate_cli.core.matrix.loader import load_matrix, load_matrix_text
from escalate_cli.core.matrix.matrix_coverage import coverage, mark, monday_of
from escalate_cli.core.matrix.model import Matrix

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "matrices" / "support.yaml"


def matrix(body: str, zone: str = "UTC") -> Matrix:
    text = f"version: 1\ntimezone: {zone}\n" + textwrap.dedent(body)
    return load_matrix_text(text, "test.yaml")


def shown(hours: tuple[int | None, ...]) -> str:
    return "".join(mark(count) for count in hours)


OFFICE = """\
contacts:
  - id: ann
    hours: "Mon-Fri 09:00-17:00"
    away:
      - {from: 2026-12-02, until: 2026-12-03%s}
  - id: bob
levels:
  - id: L1
    contacts: [ann]
"""


def test_support_l2_is_empty_at_night_and_at_weekends() -> None:
    (grid,) = coverage(load_matrix(SUPPORT), date(2026, 12, 21), 1, "L2")
    assert grid.week == date(2026, 12, 21)
    assert grid.zone == "Europe/London"
    weekday, saturday = shown(grid.days[0].hours), shown(grid.days[5].hours)
    assert weekday == "........111111222211111" + "1"
    assert saturday == "." * 24
    assert grid.empty_hours == 5 * 8 + 2 * 24
    # Finance works 09:00-17:30: half an hour with nobody makes 17:00 a gap.
    (finance,) = coverage(load_matrix(SUPPORT), date(2026, 12, 21), 1, "FIN")
    assert shown(finance.days[0].hours) == "." * 9 + "2" * 8 + "." * 7


def test_leave_without_a_delegate_empties_those_days_only() -> None:
    first, second = coverage(matrix(OFFICE % ""), date(2026, 11, 30), 2)
    office = "." * 9 + "1" * 8 + "." * 7
    assert [shown(day.hours) for day in first.days[:5]] == [
        office,
        office,
        "." * 24,
        "." * 24,
        office,
    ]
    assert [shown(day.hours) for day in second.days[:5]] == [office] * 5
    assert first.empty_hours == second.empty_hours + 2 * 8


def test_a_delegate_stands_in_at_every_hour_of_the_leave() -> None:
    (grid,) = coverage(matrix(OFFICE % ", delegate: bob"), date(2026, 11, 30), 1)
    assert shown(grid.days[2].hours) == "1" * 24  # bob has no hours: always reachable
    assert shown(grid.days[1].hours) == "." * 9 + "1" * 8 + "." * 7


def test_a_rotation_counts_the_member_on_shift() -> None:
    rotating = matrix(
        """\
        contacts:
          - id: ann
          - id: cat
            away: [{from: 2026-11-01, until: 2027-01-31}]
        rotations:
          - {id: desk, members: [ann, cat], shift: 1d, start: 2026-11-30T06:00}
        levels:
          - id: L1
            contacts: [rotation:desk, ann]
        """
    )
    (grid,) = coverage(rotating, date(2026, 11, 30), 1)
    # Monday from 06:00 is ann's shift; Tuesday from 06:00 cat's, who is away; ann stays a
    # contact of her own, so the level never empties, and is counted once.
    assert shown(grid.days[1].hours) == "1" * 24
    cat_only = matrix(
        """\
        contacts:
          - id: ann
          - id: cat
            away: [{from: 2026-11-01, until: 2027-01-31}]
        rotations:
          - {id: desk, members: [ann, cat], shift: 1d, start: 2026-11-30T06:00}
        levels:
          - id: L1
            contacts: [rotation:desk]
        """
    )
    (grid,) = coverage(cat_only, date(2026, 11, 30), 1)
    assert shown(grid.days[0].hours) == "......" + "1" * 18
    assert shown(grid.days[1].hours) == "1" * 6 + "." * 18
    assert shown(grid.days[2].hours) == "......" + "1" * 18


NEW_YORK = """\
contacts:
  - id: nia
    timezone: America/New_York
    hours: "Mon-Fri 09:00-17:00"
levels:
  - id: L1
    contacts: [nia]
"""


def test_daylight_saving_moves_the_hours_in_the_week_the_zones_disagree() -> None:
    grids = coverage(matrix(NEW_YORK, "Europe/London"), date(2026, 10, 19), 3)
    rows = [shown(grid.days[0].hours) for grid in grids]
    # London falls back on 25 Oct, New York on 1 Nov: for one week 09:00 there is 13:00 here.
    assert rows == [
        "." * 14 + "1" * 8 + "." * 2,
        "." * 13 + "1" * 8 + "." * 3,
        "." * 14 + "1" * 8 + "." * 2,
    ]


def test_the_hour_the_clock_skips_is_none_and_the_repeated_one_counted_once() -> None:
    always = matrix(
        "contacts:\n  - id: ann\nlevels:\n  - id: L1\n    contacts: [ann]\n", "Europe/London"
    )
    (spring,) = coverage(always, date(2026, 3, 29), 1)  # a Sunday: its week began on the 23rd
    assert spring.week == date(2026, 3, 23)
    assert spring.days[6].hours[1] is None
    assert shown(spring.days[6].hours) == "1-" + "1" * 22
    night = matrix(
        """\
        contacts:
          - id: owl
            hours: "daily 01:30-02:00"
        levels:
          - id: L1
            contacts: [owl]
        """,
        "Europe/London",
    )
    (autumn,) = coverage(night, date(2026, 10, 25), 1)
    # 01:00-02:00 happens twice on 25 Oct: the fewest over both is nobody.
    assert autumn.days[6].hours[1] == 0


def test_monday_of_a_date_and_of_an_instant_in_the_matrix_zone() -> None:
    tokyo = matrix(NEW_YORK, "Asia/Tokyo")
    assert monday_of(date(2026, 12, 3), tokyo) == date(2026, 11, 30)
    # Sunday 20:00 UTC is already Monday in Tokyo.
    assert monday_of(datetime(2026, 11, 29, 20, 0, tzinfo=UTC), tokyo) == date(2026, 11, 30)


def test_an_unknown_level_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="L9"):
        coverage(matrix(NEW_YORK), date(2026, 11, 30), 1, "L9")


def test_the_counts_agree_with_lint_gaps() -> None:
    support = load_matrix(SUPPORT)
    first = date(2026, 12, 21)
    for level in support.levels:
        (grid,) = coverage(support, first, 1, level.id)
        start, end = level_gaps.window(first, 1, support.timezone)
        gaps = level_gaps.level_gaps(support, level.id, start, end)
        assert (grid.empty_hours == 0) == (not gaps), level.id


def test_svg_has_a_rect_per_hour_a_title_per_grid_and_escapes_names() -> None:
    named = matrix(NEW_YORK.replace("- id: L1", '- id: L1\n    name: "R&D <night> desk"'))
    grids = coverage(named, date(2026, 11, 30), 2)
    picture = render(grids)
    document = minidom.parseString(picture)
    rects = document.getElementsByTagName("rect")
    assert len(rects) == 1 + 2 * 7 * 24 + 4  # background, the hours, the legend
    titles = [node.firstChild.data for node in document.getElementsByTagName("text")]
    assert "L1 R&D <night> desk: week of 2026-11-30 (UTC)" in titles
    assert "L1 R&D <night> desk: week of 2026-12-07 (UTC)" in titles
    assert "R&amp;D &lt;night&gt;" in picture
    fills = [rect.getAttribute("fill") for rect in rects[1:169]]
    assert fills.count("#d73027") == 7 * 24 - 5 * 8  # red where nobody is


@pytest.mark.parametrize("path", sorted((ROOT / "matrices").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_matrix_has_a_full_grid_per_level(path: Path) -> None:
    loaded = load_matrix(path)
    grids = coverage(loaded, date(2026, 12, 21), 2)
    assert [grid.level for grid in grids] == [lvl.id for lvl in loaded.levels for _ in range(2)]
    assert all(len(day.hours) == 24 for grid in grids for day in grid.days)
    assert all(len(grid.days) == 7 for grid in grids)
