"""The `matrix coverage` grids as one SVG picture, for a wiki page: written by hand, no library."""

from __future__ import annotations

from xml.sax.saxutils import escape

from escalate_cli.core.matrix.matrix_coverage import CoverageWeek, mark

CELL_W, CELL_H = 26, 20
LEFT = 84  # room for the day labels
TITLE_H, HEADER_H, GAP = 26, 18, 18
FILLS = {0: "#d73027", 1: "#fdd835", 2: "#4caf50"}  # nobody, one, two or more
SKIPPED_FILL = "#d9d9d9"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEGEND = (
    (FILLS[0], ".", "nobody"),
    (FILLS[1], "1", "one person"),
    (FILLS[2], "2+", "two or more"),
    (SKIPPED_FILL, "-", "hour skipped by the clock change"),
)


def render(grids: list[CoverageWeek]) -> str:
    """Every grid under the next, each with its title, then the legend."""
    width = LEFT + 24 * CELL_W + 10
    parts: list[str] = []
    top = 10
    for grid in grids:
        parts += _grid(grid, top)
        top += TITLE_H + HEADER_H + 7 * CELL_H + GAP
    parts += _legend(top)
    height = top + CELL_H + 10
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
            "<title>Escalation matrix coverage</title>",
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            *parts,
            "</svg>",
            "",
        ]
    )


def _grid(grid: CoverageWeek, top: int) -> list[str]:
    title = f"{grid.level} {grid.name}: week of {grid.week.isoformat()} ({grid.zone})"
    parts = [f'<text x="4" y="{top + 16}" font-size="14" font-weight="bold">{escape(title)}</text>']
    header = top + TITLE_H + HEADER_H - 5
    for hour in range(24):
        x = LEFT + hour * CELL_W + CELL_W // 2
        parts.append(f'<text x="{x}" y="{header}" text-anchor="middle">{hour:02d}</text>')
    for row, day in enumerate(grid.days):
        y = top + TITLE_H + HEADER_H + row * CELL_H
        label = f"{DAY_NAMES[day.day.weekday()]} {day.day.isoformat()}"
        parts.append(f'<text x="4" y="{y + 14}">{escape(label)}</text>')
        for hour, count in enumerate(day.hours):
            x = LEFT + hour * CELL_W
            said = "skipped by the clock change" if count is None else f"{count} available"
            tip = f"{grid.level} {day.day.isoformat()} {hour:02d}:00: {said}"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL_W - 1}" height="{CELL_H - 1}"'
                f' fill="{_fill(count)}"><title>{escape(tip)}</title></rect>'
                f'<text x="{x + CELL_W // 2}" y="{y + 14}" text-anchor="middle">'
                f"{escape(mark(count))}</text>"
            )
    return parts


def _legend(top: int) -> list[str]:
    parts: list[str] = []
    x = 4
    for fill, shown, meaning in LEGEND:
        middle = x + CELL_W // 2
        parts.append(
            f'<rect x="{x}" y="{top}" width="{CELL_W - 1}" height="{CELL_H - 1}" fill="{fill}"/>'
            f'<text x="{middle}" y="{top + 14}" text-anchor="middle">{escape(shown)}</text>'
            f'<text x="{x + CELL_W + 4}" y="{top + 14}">{escape(meaning)}</text>'
        )
        x += CELL_W + 12 + 7 * len(meaning)
    return parts


def _fill(count: int | None) -> str:
    return SKIPPED_FILL if count is None else FILLS[min(count, 2)]
