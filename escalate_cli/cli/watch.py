"""The live board: `escalate watch`, every active case with whatever falls due first on top."""

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import Settings, settings

if TYPE_CHECKING:
    from rich.console import RenderableType

    from escalate_cli.core.cases.board import BoardRow
    from escalate_cli.core.cases.watching import Watched

POLL_SECONDS = 0.25  # how often the store is looked at, and the keyboard read between
TITLE_ROOM = 24  # with less than this left for titles, columns stand closer together


def watch(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option("--once", help="Print one frame and exit (for scripts; plain when piped)."),
    ] = False,
) -> None:
    """The live board of active cases, whatever falls due first on top; q or Ctrl-C leaves.

    Redrawn within a second of any change to the store, by anyone, and every second for the
    countdowns. --once prints one frame; with --json, the rows.

    Example: escalate watch --once --json
    """
    from escalate_cli import output
    from escalate_cli.core.errors import UsageError

    state = settings(ctx)
    if state.json and not once:
        raise UsageError("--json needs --once: the live board is for people")
    if not once and not sys.stdout.isatty():
        raise UsageError("the live board needs a terminal: use --once when piping")
    if not once:
        gc.enable()  # main() paused it for one short command; this one runs until quit
        _live(state, state.session().watch())
        return
    found = state.session().board()
    for row in found.rows:
        if row.problem is not None:
            output.err(f"{row.case}: {row.problem}")
    if state.json:
        output.emit_json([row.to_json() for row in found.rows])
    else:
        shown = output.console()
        output.out(frame(found.rows, found.now, width=shown.width if shown.is_terminal else None))


def frame(
    rows: "list[BoardRow]", now: datetime, *, width: int | None = None, height: int | None = None
) -> "RenderableType":
    """One frame of the board: a heading line and the table, fitted to `width` columns and
    `height` lines when given (live, or on a terminal)."""
    from rich.console import Group
    from rich.text import Text

    overdue = sum(row.overdue for row in rows)
    heading = Text(f"{len(rows)} active case{'' if len(rows) == 1 else 's'}")
    if overdue:
        heading.append(f", {overdue} overdue", style="bold red")
    heading.append(f"  {now.astimezone().strftime('%Y-%m-%d %H:%M:%S %Z')}")
    if height is not None:
        heading.append("  (q quits)", style="dim")
    if not rows:
        return Group(heading, Text("no active cases"))
    shown, hidden = rows, 0
    if height is not None and len(rows) > max(1, height - 3):
        room = max(1, height - 4)  # the heading, the table's header, the "more" line
        shown, hidden = rows[:room], len(rows) - room
    parts: list[Any] = [heading, table(shown, now, width)]
    if hidden:
        parts.append(Text(f"... and {hidden} more (escalate watch --once shows all)", style="dim"))
    return Group(*parts)


def table(rows: "list[BoardRow]", now: datetime, width: int | None = None) -> Any:
    """The rows as a table, one line per case. When `width` is tight (80 columns), columns
    stand one space apart rather than two, then `external contacts` reads `external`, and only
    then is the title, last, cut short."""
    from rich.table import Table
    from rich.text import Text

    columns = ["case", "sev", "level", "next", "due", "owner", "status"]
    if any(row.breached for row in rows):
        columns.append("breached")
    gap, external = 2, "external contacts"
    lines = _cells(rows, now, external, columns)
    if width is not None and width - _width(columns, lines, gap) < TITLE_ROOM:
        gap = 1
        if width - _width(columns, lines, gap) < TITLE_ROOM and any(r.external for r in rows):
            external = "external"
            lines = _cells(rows, now, external, columns)
    grid = Table(box=None, pad_edge=False, header_style="bold", padding=(0, gap, 0, 0))
    for name in columns:
        grid.add_column(name, no_wrap=True)
    grid.add_column("title", min_width=8)  # the one column Rich narrows
    for line in lines:
        grid.add_row(
            *(Text(text, style=style, no_wrap=True, overflow="ellipsis") for text, style in line)
        )
    return grid


def _cells(
    rows: "list[BoardRow]", now: datetime, external: str, columns: list[str]
) -> list[list[tuple[str, str]]]:
    """Each row's cells as (text, style), in `columns` order and the title last."""
    from escalate_cli.core.cases.board import countdown
    from escalate_cli.core.text.visible import one_line
    from escalate_cli.output import STATUS_STYLES

    lines = []
    for row in rows:
        cells = [
            (row.case, "bold"),
            (row.severity or "-", ""),
            (row.level, ""),
            (external if row.external else row.next_level or "-", ""),
            (countdown(row, now), "bold red" if row.overdue else ""),
            (row.owner, ""),
            (row.status, STATUS_STYLES.get(row.status, "")),
        ]
        if "breached" in columns:
            cells.append((",".join(row.breached), "bold red"))
        cells.append((row.title, ""))
        lines.append([(one_line(text), style) for text, style in cells])
    return lines


def _width(columns: list[str], lines: list[list[tuple[str, str]]], gap: int) -> int:
    """How wide the columns before the title are, each with the gap after it."""
    from rich.cells import cell_len

    return sum(
        max([cell_len(name)] + [cell_len(line[index][0]) for line in lines]) + gap
        for index, name in enumerate(columns)
    )


def _clock(state: Settings) -> Callable[[], datetime]:
    """Live, the board's clock is the system clock; with --now (or ESCALATE_NOW) it starts at
    that instant and runs on in real time, so a fixed clock still counts down."""
    from datetime import UTC, timedelta
    from time import monotonic

    if state.now_flag is None and not os.environ.get("ESCALATE_NOW", "").strip():
        return lambda: datetime.now(UTC)
    start, began = state.now, monotonic()
    return lambda: start + timedelta(seconds=monotonic() - began)


class _Keys:
    """Keys pressed on the terminal, read without echo and without waiting for Enter."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def read(self, timeout: float) -> str:
        """What was typed within `timeout` seconds ("" when nothing)."""
        import time

        if self.fd is None:  # no keyboard: Ctrl-C still leaves
            time.sleep(timeout)
            return ""
        if sys.platform == "win32":  # pragma: no cover - Windows consoles
            import msvcrt

            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if msvcrt.kbhit():
                    return msvcrt.getwch()
                time.sleep(0.02)
            return ""
        import select

        ready, _, _ = select.select([self.fd], [], [], timeout)
        return os.read(self.fd, 64).decode(errors="replace") if ready else ""


@contextmanager
def _keyboard() -> Iterator[_Keys]:
    """The terminal in cbreak mode (keys one by one, Ctrl-C still an interrupt) for the
    duration; restored however the board ends."""
    if not sys.stdin.isatty():
        yield _Keys(None)
        return
    fd = sys.stdin.fileno()
    if sys.platform == "win32":  # pragma: no cover - Windows reads keys as they come
        yield _Keys(fd)
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield _Keys(fd)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def live_frame(watched: "Watched", now: datetime, width: int, height: int) -> "RenderableType":
    """The board as `watched` last read it, under a red line for each read that failed."""
    from rich.console import Group
    from rich.text import Text

    from escalate_cli.core.text.visible import one_line

    notes = [
        Text(one_line(note), style="bold red", no_wrap=True, overflow="ellipsis")
        for note in watched.trouble.values()
    ]
    shown = frame(watched.rows(now), now, width=width, height=height - len(notes))
    return Group(*notes, shown) if notes else shown


@contextmanager
def _terminated_as_interrupt() -> Iterator[None]:
    """`kill` (SIGTERM) leaves the way Ctrl-C does: the terminal restored, exit 0."""
    import signal

    def interrupt(signum: int, stack: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _live(state: Settings, watched: "Watched") -> None:
    """Redraw the board on every change to the store or the matrix and every second, until q,
    Ctrl-C or SIGTERM."""
    from rich.live import Live

    from escalate_cli import output

    clock, console = _clock(state), output.console()
    with watched:
        try:
            with (
                _terminated_as_interrupt(),
                _keyboard() as keys,
                Live(console=console, screen=True, auto_refresh=False, transient=True) as live,
            ):
                drawn: int | None = None
                while True:
                    now = clock()
                    if drawn != int(now.timestamp()):
                        live.update(live_frame(watched, now, *console.size), refresh=True)
                        drawn = int(now.timestamp())
                    if "q" in keys.read(POLL_SECONDS).lower():
                        break
                    if watched.poll():
                        drawn = None
        except KeyboardInterrupt:
            pass  # Ctrl-C is the other way out: the terminal is restored, exit 0


def register(app: typer.Typer) -> None:
    app.command()(watch)
