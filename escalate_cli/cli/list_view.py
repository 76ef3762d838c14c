"""`escalate list` for people: one line per case that fits the terminal.

Plain string work, not a Rich table: laying out 10,000 rows with Rich took seconds, and a list
is read row by row. Times are relative to the command's clock ("in 14m", "3h ago", then the
weekday, then the date); the title takes what room is left and is cut last. Off a terminal no
line is cut, so a pipe gets every title whole; `--wide` shows absolute times and every column.
"""

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.engine.routing import NextDue

SHORT_STATUS = {"acknowledged": "ack", "on_hold": "hold"}
_SGR = {
    "open": "33",
    "acknowledged": "36",
    "on_hold": "35",
    "resolved": "32",
    "closed": "2",
    "overdue": "1;31",
}


_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 7 * 86400


def relative(at: datetime, now: datetime) -> str:
    """`in 14m`, `3h ago` within a day; the weekday and time within a week; else the date."""
    gap = (at - now).total_seconds()  # in seconds: a list asks this twice per case
    size = abs(gap)
    if size < _MINUTE:
        return "now"
    if size < _HOUR:
        span = f"{int(size // _MINUTE)}m"
    elif size < _DAY:
        span = f"{int(size // _HOUR)}h"
    else:
        return at.astimezone().strftime("%a %H:%M" if size < _WEEK else "%Y-%m-%d")
    return f"in {span}" if gap >= 0 else f"{span} ago"


def lines(
    cases: Sequence["Case"],
    due: dict[int, "NextDue"],
    now: datetime,
    *,
    wide: bool,
    teams: bool,
    width: int | None,
    colour: bool,
) -> list[str]:
    """The header and one line per case; with a `width`, each line fits it (the title cut)."""
    from escalate_cli.core.text.visible import one_line
    from escalate_cli.core.time.timing import from_iso
    from escalate_cli.output import local_time

    def when(at: datetime) -> str:
        return local_time(at) if wide else relative(at, now)

    header = ["id", "status", "sev", "level", "owner", "due", "opened"]
    if wide:
        header += ["type", "customer", "tier", "tags"]
    if teams or wide:
        header.append("matrix")
    rows: list[list[str]] = []
    styles: list[tuple[str, str]] = []
    for case in cases:
        found = due.get(case["number"])
        row = [
            case["id"],
            case["status"] if wide else SHORT_STATUS.get(case["status"], case["status"]),
            case.get("severity") or "-",
            case["level"],
            case.get("owner") or "-",
            when(found.at) if found is not None else "-",
            when(from_iso(case["created_at"])),
        ]
        if wide:
            customer = case.get("customer") or {}
            tags = ",".join(case.get("tags") or []) or "-"
            row += [case["type"], customer.get("name") or "-", customer.get("tier") or "-", tags]
        if teams or wide:
            row.append(case.get("matrix") or "-")
        # Case text never drives the terminal: made visible before any colour is added. Most
        # rows are plain already, and one check of the whole row costs a tenth of one_line.
        cells = list(map(str, row))
        if not " ".join(cells).isprintable():
            cells = [cell if cell.isprintable() else one_line(cell) for cell in cells]
        rows.append(cells)
        styles.append((case["status"], "overdue" if found is not None and found.acts else ""))
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]
    titles = ["title"] + [
        title if (title := str(case["title"])).isprintable() else one_line(title) for case in cases
    ]
    room = None if width is None else width - (sum(widths) + 2 * len(widths))
    # One format for every row: padding cell by cell cost a 10,000-case list ~30 ms.
    layout = "  ".join(f"{{:<{size}}}" for size in widths) + "  {}"
    out = []
    for index, row in enumerate([header, *rows]):
        if colour:
            row = _painted(row, widths, styles[index - 1] if index else None)
        title = titles[index]
        if room is not None and len(title) > room:
            title = title[: max(room - 1, 0)] + "…" if room > 1 else ""
        out.append(layout.format(*row, title).rstrip())
    return out


def _painted(row: list[str], widths: list[int], style: tuple[str, str] | None) -> list[str]:
    """The row's cells padded and coloured (padding first: the colour codes take no room);
    the header in bold, a case's status in its colour and an overdue due time in red."""
    cells = [cell.ljust(size) for cell, size in zip(row, widths, strict=True)]
    if style is None:
        return [_paint(cell, "bold") for cell in cells]
    status, overdue = style
    cells[1] = _paint(cells[1], status)
    if overdue:
        cells[5] = _paint(cells[5], overdue)
    return cells


def _paint(text: str, style: str) -> str:
    code = "1" if style == "bold" else _SGR.get(style)
    if not code:
        return text
    stripped = text.rstrip()
    return f"\x1b[{code}m{stripped}\x1b[0m" + text[len(stripped) :]


def show(
    cases: Sequence["Case"], due: dict[int, "NextDue"], now: datetime, *, wide: bool, teams: bool
) -> None:
    """Print the list: fitted and coloured on a terminal, whole lines off one."""
    width, colour = _terminal()
    found = lines(
        cases, due, now, wide=wide, teams=teams, width=None if wide else width, colour=colour
    )
    sys.stdout.write("\n".join(found) + "\n")


def _terminal() -> tuple[int | None, bool]:
    """The terminal's width (None off a terminal, unless FORCE_COLOR says to act as one:
    nothing is cut) and whether to colour (not with NO_COLOR), as Rich decides them for the
    other commands; asked here directly, as importing Rich costs a list ~30 ms."""
    import os
    import shutil

    on_terminal = bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()
    if not on_terminal:
        return None, False
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() else shutil.get_terminal_size().columns
    return width, "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
