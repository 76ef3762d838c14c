"""Printing: Rich tables for people, JSON for scripts; data on stdout, everything else on stderr."""

from __future__ import annotations

import functools
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


def emit_json(data: Any) -> None:
    """One JSON document on stdout, nothing else there; control and bidi characters escaped."""
    from escalate_cli.core.text.visible import dumps

    sys.stdout.write(dumps(data, indent=2) + "\n")


def err(message: str) -> None:
    """One line on stderr: errors and notes that are not data. Control characters (say, a
    carriage return in a mistyped argument) are shown escaped so the line stays one line."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message.rstrip("\n"))
    sys.stderr.write(shown + "\n")


_console: Console | None = None


def console() -> Console:
    """The stdout console, made on first use so `--help` never imports Rich."""
    global _console
    if _console is None or _console.file is not sys.stdout:
        from rich.console import Console

        # A pipe has no width: tables take their natural width rather than folding or
        # truncating case text, which a script or a pager would then lose.
        width = None if sys.stdout.isatty() else 1000
        # Case text is shown as typed: `fix :fire: now` must not print an emoji.
        _console = Console(
            file=sys.stdout, highlight=False, width=width, soft_wrap=False, emoji=False
        )
    return _console


def out(*renderables: RenderableType) -> None:
    shown = console()
    if shown.is_terminal:
        shown.print(*renderables)
        return
    # Off a terminal, drop the padding Rich puts after the last column of every row.
    with shown.capture() as captured:
        shown.print(*renderables)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def _piped() -> bool:
    """Stdout is a pipe or a file and nothing tells Rich otherwise (FORCE_COLOR, TTY_COMPATIBLE):
    Rich would print no colour and no layout there, so escalate writes the text itself and
    spares the command importing Rich (~20 ms of a `show`)."""
    return not (
        sys.stdout.isatty() or "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ
    )


def on_terminal() -> bool:
    """Whether stdout gets colour and Rich's layout (asks Rich only when it is not plainly a
    pipe)."""
    return not _piped() and console().is_terminal


def text(line: str) -> None:
    """Plain text on stdout, with Rich markup interpreted (escape case text with `esc`).

    Long lines fold at the terminal's edge rather than being broken into new lines. Whatever
    `esc` missed, no control or bidi character reaches the terminal."""
    from escalate_cli.core.text.visible import visible

    shown = visible(line, lines=True)
    plain = _unmarked(shown) if _piped() else None
    if plain is None:
        console().print(shown, soft_wrap=True)
    else:
        sys.stdout.write(plain + "\n")


# What Rich's console markup reads as a tag after a "[" (`bold]`, `/bold]`).
_TAG_BODY = r"[a-z#/@][^[]*?"
# A tag and the backslashes just before it.
_TAG = re.compile(rf"(\\*)\[({_TAG_BODY})]")
# Every "[" of case text with the backslashes before it, and whether it opens a tag.
_BRACKET = re.compile(rf"(\\*)\[(?=({_TAG_BODY}])?)")
_TRAILING_BACKSLASHES = re.compile(r"\\+$")


def _unmarked(markup: str) -> str | None:
    """`markup` as Rich prints it to a pipe (Rich's markup.render, then Text.wrap with soft wrap):
    tags dropped, escaped tags and `\\[` shown as text, tabs expanded to every 8th cell. None
    for the markup that Rich must judge (a closing tag that does not close the tag opened last,
    an `@` handler), which escalate never writes."""
    if "[" in markup:
        pieces: list[str] = []
        opened: list[str] = []
        position = 0
        for found in _TAG.finditer(markup):
            backslashes, tag = found.groups()
            pieces.append(markup[position : found.start()].replace("\\[", "["))
            pieces.append("\\" * (len(backslashes) // 2))
            position = found.end()
            if len(backslashes) % 2:
                pieces.append(f"[{tag}]")
            elif tag.startswith("@"):
                return None
            elif not tag.startswith("/"):
                opened.append(tag)
            elif opened and tag[1:] in ("", opened[-1]):
                opened.pop()
            else:
                return None
        pieces.append(markup[position:].replace("\\[", "["))
        markup = "".join(pieces)
    if "\t" in markup:
        markup = "\n".join(_tabs_expanded(line) for line in markup.split("\n"))
    return markup


def _tabs_expanded(line: str) -> str:
    """A line's tabs as Rich expands them: each tab a space, then spaces to the next 8th cell."""
    *tabbed, last = line.split("\t")
    parts, cells = [], 0
    for part in tabbed:
        cells += _cell_width(part + " ")
        pad = -cells % 8
        cells += pad
        parts.append(part + " " * (1 + pad))
    return "".join(parts) + last


def _cell_width(line: str) -> int:
    """How many cells a line takes on a terminal (2 for each wide character, as Rich counts)."""
    if line.isascii():
        return len(line)
    from rich.cells import cell_len

    return cell_len(line)


def esc(value: object, *, lines: bool = False, at_end: bool = False) -> str:
    """Case text shown literally: control and bidi characters written out (`\\x1b`), never
    read as Rich markup. One line unless `lines` (then newlines and tabs stay).

    Rich reads `[` with an odd run of backslashes before it as a literal tag, showing half
    of them, and turns any other `\\[` into `[`: each run is lengthened so that what shows is
    what was typed (Rich's own markup.escape lost the backslash of `\\[ b`). A run at the end
    is doubled, so that a tag our code writes right after the text stays a tag, unless the
    text is `at_end` of the markup: nothing follows it there, and a doubled run would show
    doubled (`C:\\temp\\` as `C:\\temp\\\\`)."""
    from escalate_cli.core.text.visible import visible

    shown = visible(value, lines=lines)
    if "[" in shown:
        shown = _BRACKET.sub(_escaped_bracket, shown)
    if shown.endswith("\\") and not at_end:
        shown = _TRAILING_BACKSLASHES.sub(lambda run: run[0] * 2, shown)
    return shown


def _escaped_bracket(found: re.Match[str]) -> str:
    typed = len(found[1])
    if found[2] is not None:  # a tag shape: an odd run, whose half is what was typed
        return "\\" * (2 * typed + 1) + "["
    return "\\" * (typed + 1 if typed else 0) + "["


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    title: str | None = None,
    *,
    show_header: bool = True,
) -> None:
    if not on_terminal():
        _plain_table(columns, rows, title, show_header)
        return
    from rich import box
    from rich.table import Table

    grid = Table(
        *columns,
        title=esc(title) if title else None,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        header_style="bold",
        pad_edge=False,
        show_header=show_header,
    )
    for row in rows:
        grid.add_row(*(_cell(cell) for cell in row))
    out(grid)


def _plain_table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], title: str | None, show_header: bool
) -> None:
    """The table as Rich lays it out for a pipe (no box, columns two spaces apart, each as wide
    as its widest line, a cell's extra lines under it), written directly: Rich took 1.7 s to
    lay out a timeline of 5,000 events."""
    from escalate_cli.core.text.visible import visible

    def lines_of(value: object) -> list[str]:
        text = _one_line(value)
        if text.isprintable():  # a Styled cell's plain text always is
            return [text]
        return visible(text, lines=isinstance(value, Lines)).splitlines() or [""]

    if set(map(type, chain.from_iterable(rows))) <= {str, Lines}:
        texts = cast(Sequence[Sequence[str]], rows)
    else:
        texts = [[_one_line(cell) for cell in row] for row in rows]
    # Each line of the table as its cells; `wide` holds the indexes of those not all ASCII,
    # where a cell's width is not its length. Most tables are one line of printable ASCII per
    # cell, which one check of all their text tells (a timeline of 5,000 events: ~1.5 ms less
    # than a check of each row); only the others are taken row by row.
    laid: list[Sequence[str]] = []
    wide: set[int] = set()
    if show_header:
        laid.append([str(name) for name in columns])
        if not "".join(laid[0]).isascii():
            wide.add(0)
    everything = "".join(chain.from_iterable(texts))
    if everything.isascii() and everything.isprintable():
        laid.extend(texts)
    else:
        for row, text in zip(rows, texts, strict=True):
            joined = "".join(text)
            if joined.isascii() and joined.isprintable():
                laid.append(text)
                continue
            stacked = [lines_of(cell) for cell in row]
            for depth in range(max(map(len, stacked))):
                at_depth = [lines[depth] if depth < len(lines) else "" for lines in stacked]
                if not "".join(at_depth).isascii():
                    wide.add(len(laid))
                laid.append(at_depth)
    narrow = [cells for index, cells in enumerate(laid) if index not in wide] if wide else laid
    # A column's width from its cells picked out row by row: zip(*narrow) built every column as a
    # tuple from one call of 5,000 arguments (~0.65 ms more for a timeline).
    widths = [max(map(len, map(itemgetter(i), narrow)), default=0) for i in range(len(columns))]
    for index in wide:
        widths = [
            max(size, _cell_width(cell)) for size, cell in zip(widths, laid[index], strict=True)
        ]
    # The last column is not padded: each line loses its trailing spaces anyway, as Rich's did.
    # Every line is laid out as ASCII, then the wide ones again by their cells' widths.
    simple = "  ".join([*(f"%-{size}s" for size in widths[:-1]), "%s"])
    shown = [(simple % tuple(cells)).rstrip() for cells in laid]
    for index in wide:
        padded = (
            cell + " " * (size - _cell_width(cell))
            for size, cell in zip(widths, laid[index], strict=True)
        )
        shown[index] = "  ".join(padded).rstrip()
    if title:
        shown.insert(0, visible(title))
    if shown:
        sys.stdout.write("\n".join(shown) + "\n")


def _one_line(value: object) -> str:
    """A cell's text as a one-line table cell shows it (a Styled cell without its markup)."""
    if isinstance(value, Styled):
        return value.plain
    return "" if value is None else str(value)


def _cell(value: object) -> str:
    """A table cell holds one line; a `Lines` cell (a description) may hold several."""
    if isinstance(value, Styled):
        return value
    return esc(value, lines=isinstance(value, Lines), at_end=True)


class Lines(str):
    """A table cell whose newlines are meant (a description, an update): they stay newlines."""


def lines(text: str) -> str:
    """A cell whose newlines are meant: a Lines when it holds a newline or a tab, else the text
    itself, which shows the same. Making a Lines copies the text (~0.8 ms over the 5,000 event
    texts of a long timeline)."""
    return Lines(text) if "\n" in text or "\t" in text else text


class Styled(str):
    """A table cell shown in colour on a terminal (and plain in a pipe or with NO_COLOR)."""

    style: str

    plain: str  # the value as a pipe shows it

    def __new__(cls, value: str, style: str) -> Styled:
        cell = super().__new__(cls, f"[{style}]{esc(value)}[/{style}]")
        cell.style = style
        from escalate_cli.core.text.visible import visible

        cell.plain = visible(value)
        return cell


STATUS_STYLES = {
    "open": "yellow",
    "acknowledged": "cyan",
    "on_hold": "magenta",
    "resolved": "green",
    "closed": "dim",
}


def status(value: str) -> Styled:
    """A case status in the colour a team lead scans a list for."""
    return Styled(value, STATUS_STYLES.get(value, "default"))


def when(iso: str | None) -> str:
    """A stored UTC instant in the reader's local zone, for people."""
    if not iso:
        return "-"
    if len(iso) == 20 and iso.endswith("Z"):  # as stored; the minute is all that shows
        return _minute_shown(iso[:16], time.tzname, time.timezone, time.altzone)
    from escalate_cli.core.time.timing import from_iso

    return local_time(from_iso(iso))


@functools.lru_cache(maxsize=4096)
def _minute_shown(minute: str, *zone: object) -> str:
    """A stored minute (`2026-11-23T14:05`) as `when` shows it, worked out once per minute and
    local zone (`zone`: its names and offsets, a key alone): a long timeline has many events in
    a minute, and converting each took ~10 µs."""
    from escalate_cli.core.time.timing import from_iso

    return local_time(from_iso(minute + ":00Z"))


def local_time(at: datetime) -> str:
    """An instant in the reader's local zone, for people."""
    from escalate_cli.core.time.timing import shown_time

    return shown_time(at)
