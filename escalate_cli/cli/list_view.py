"""`escalate list` for people: one line per case that fits the terminal.

Plain string work, not a Rich table: laying out 10,000 rows with Rich took seconds, and a list
is read row by row. Times are relative to the command's clock ("in 14m", "3h ago", then the
weekday, then the date); the title takes what room is left and is cut last. Off a terminal no
line is cut, so a pipe gets every title whole; `--wide` shows absolute times and every column.
"""

import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.engine import NextDue

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
MIN_TITLE = 10  # characters of title below which a narrow list drops its `opened` column


def relative(at: datetime, now: datetime) -> str:
    """`in 14m`, `3h ago` within a day; within a week, the weekday and time ahead (`Tue
    14:45`) and days behind (`2d ago`: a bare weekday in the past reads as the coming one, and
    an overdue case would look due later); else the date."""
    gap = (at - now).total_seconds()  # in seconds: a list asks this twice per case
    size = abs(gap)
    if size < _MINUTE:
        return "now"
    if size < _HOUR:
        span = f"{int(size // _MINUTE)}m"
    elif size < _DAY:
        span = f"{int(size // _HOUR)}h"
    elif size < _WEEK and gap < 0:
        span = f"{int(size // _DAY)}d"
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
    from escalate_cli.core.time.timing import from_iso

    def times(instants: Iterable[datetime | None]) -> list[str]:
        """A column of times as people read them: relative, or absolute when `wide`."""
        if not wide:
            return ["-" if at is None else relative(at, now) for at in instants]
        from escalate_cli.output import local_time

        return ["-" if at is None else local_time(at) for at in instants]

    # Built, checked and padded column by column, one comprehension each: a row at a time, the
    # lists, calls and lookups for each cell cost a 10,000-case list ~10 ms more (of ~50).
    found = [due.get(case["number"]) for case in cases]
    statuses = [case["status"] for case in cases]
    header = ["id", "status", "sev", "level", "owner", "due", "opened"]
    columns = [
        [case["id"] for case in cases],
        statuses if wide else [SHORT_STATUS.get(status, status) for status in statuses],
        [case.get("severity") or "-" for case in cases],
        [case["level"] for case in cases],
        [case.get("owner") or "-" for case in cases],
        times(None if next_due is None else next_due.at for next_due in found),
        times(map(from_iso, [case["created_at"] for case in cases])),
    ]
    if wide:
        customers = [case.get("customer") or {} for case in cases]
        header += ["type", "customer", "tier", "tags"]
        columns += [
            [case["type"] for case in cases],
            [customer.get("name") or "-" for customer in customers],
            [customer.get("tier") or "-" for customer in customers],
            [",".join(case.get("tags") or []) or "-" for case in cases],
        ]
    if teams or wide:
        header.append("matrix")
        columns.append([case.get("matrix") or "-" for case in cases])
    columns.append([case["title"] for case in cases])
    header.append("title")
    for index, column in enumerate(columns):
        try:  # cells are text, save a value edited into the store by hand
            plain = " ".join(column).isprintable()
        except TypeError:
            column = columns[index] = list(map(str, column))
            plain = " ".join(column).isprintable()
        # Case text never drives the terminal: made visible before any colour is added. Most
        # columns are plain already, and one check of a whole column costs little.
        if not plain:
            from escalate_cli.core.text.visible import one_line

            columns[index] = [cell if cell.isprintable() else one_line(cell) for cell in column]
    columns = [[name, *column] for name, column in zip(header, columns, strict=True)]
    *shown, titles = columns
    widths = [max(map(len, column)) for column in shown]
    if width is not None:
        room = width - (sum(widths) + 2 * len(widths))
        if room < MIN_TITLE and "opened" in header:
            # On a narrow terminal `opened` goes before the title is cut to nothing: what a
            # case is about matters more than when it opened.
            dropped = header.index("opened")
            room += widths[dropped] + 2
            for each in (columns, widths, header):
                del each[dropped]
            titles = columns[-1]
        columns[-1] = [_cut(title, room) for title in titles]
    rows = list(zip(*columns, strict=True))
    if colour:
        styles = [
            (status, "overdue" if next_due is not None and next_due.acts else "")
            for status, next_due in zip(statuses, found, strict=True)
        ]
        rows = [
            (*_painted(row[:-1], widths, styles[index - 1] if index else None), row[-1])
            for index, row in enumerate(rows)
        ]
    # One format for every row: padding cell by cell cost a 10,000-case list ~30 ms.
    layout = "  ".join(f"%-{size}s" for size in widths) + "  %s"
    return [(layout % row).rstrip() for row in rows]


def _cut(title: str, room: int) -> str:
    """The title within `room` characters: cut, with an ellipsis, when it is longer."""
    if len(title) <= room:
        return title
    return title[: max(room - 1, 0)] + "…" if room > 1 else ""


def _painted(row: Sequence[str], widths: list[int], style: tuple[str, str] | None) -> list[str]:
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
