"""Text for a pipe is written without Rich, and is what Rich printed there, byte for byte."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from escalate_cli import output
from tests.conftest import Cli, run_python

# What output.text is given: our own tags around case text passed through esc, and the pieces
# that make Rich's markup tricky (escapes, backslashes, tabs after wide characters).
PIECES = [
    "[bold]", "[/bold]", "[dim]", "[/dim]", "[/]", "[cyan]", "[/cyan]", "[x]", "[@click]",
    "[link=x]", "[", "]", "\\", "\\\\", "\\[", "\t", "\n", " ", "a", "é", "日本", ":fire:", "=",
]  # fmt: skip
MARKUP = st.lists(st.sampled_from(PIECES) | st.text(max_size=3)).map("".join)


@contextmanager
def piped_stdout() -> Iterator[io.StringIO]:
    written, real = io.StringIO(), sys.stdout
    sys.stdout = written
    try:
        yield written
    finally:
        sys.stdout = real


def printed_by_rich(markup: str) -> str:
    """What the text printed before it bypassed Rich: our console, given the same text."""
    from escalate_cli.core.text.visible import visible

    with piped_stdout() as written:
        output.console().print(visible(markup, lines=True), soft_wrap=True)
    return written.getvalue()


def printed(markup: str) -> str:
    with piped_stdout() as written:
        output.text(markup)
    return written.getvalue()


@given(MARKUP)
def test_text_for_a_pipe_is_what_rich_printed(markup: str) -> None:
    try:
        expected = printed_by_rich(markup)
    except Exception as error:  # markup Rich refuses (an unmatched closing tag) fails alike
        with pytest.raises(type(error)):
            printed(markup)
        return
    assert printed(markup) == expected


@given(MARKUP, MARKUP)
def test_case_text_between_our_tags_prints_as_written(before: str, value: str) -> None:
    shown = f"[bold]{output.esc(before)}[/bold] {output.esc(value, lines=True)}"
    assert printed(shown) == printed_by_rich(shown)


@given(MARKUP)
@example("a \\[ b and c\\")  # Rich's markup.escape lost the first backslash
@example("x \\[red] y")
def test_case_text_escaped_shows_as_typed(value: str) -> None:
    """Rich (the terminal's path) and the pipe's path both show escaped case text as typed,
    at the end of a line and between our tags, a run of backslashes at its end included."""
    from escalate_cli.core.text.visible import visible

    typed = visible(value, lines=True)
    at_end = output.esc(value, lines=True, at_end=True)
    assert printed_by_rich(at_end) == printed(at_end) == _laid_out(typed)
    tagged = f"[bold]{output.esc(value, lines=True)}[/bold]."
    assert printed_by_rich(tagged) == printed(tagged) == _laid_out(typed + ".")


@given(MARKUP)
@example("C:\\temp\\")
def test_a_table_cell_shows_as_typed_on_a_terminal(value: str) -> None:
    """Rich reads each cell as markup of its own: nothing follows the text there, so a run of
    backslashes at its end must not be doubled (a Windows path in a timeline did show so)."""
    from escalate_cli.core.text.visible import visible

    assert printed_by_rich(output._cell(value)) == _laid_out(visible(value))


def _laid_out(text: str) -> str:
    """Plain text as a pipe shows it: tabs expanded as Rich does."""
    return "\n".join(output._tabs_expanded(line) for line in text.split("\n")) + "\n"


# Runs the app in a fresh interpreter with stdout piped, then says on stderr which Rich
# modules it imported.
PROBE = """
import sys
from escalate_cli.cli import app
try:
    app(sys.argv[1:])
except SystemExit as done:
    assert not done.code, done.code
sys.stderr.write(" ".join(sorted(name for name in sys.modules if name.split(".")[0] == "rich")))
"""


@pytest.mark.parametrize("command", [["show", "ESC-1"], ["who", "ESC-1"], ["next", "ESC-1"]])
def test_a_case_for_a_pipe_is_printed_without_importing_rich(cli: Cli, command: list[str]) -> None:
    # ASCII text: only a wide character needs Rich's table of cell widths (rich.cells).
    cli("open", "Printer [bold]on fire[/bold]", "--description", "smoke\teverywhere\nagain")
    done = run_python(PROBE, *command)
    assert done.returncode == 0, done.stderr
    assert done.stdout == cli(*command).stdout
    assert done.stderr == ""


# Table cells: one-line ASCII (the fast path), and what takes a row off it: wide and combining
# characters, newlines and tabs (kept in a Lines cell), controls, markup-like text, empties.
CELL_TEXT = st.lists(
    st.sampled_from(["a", "bc", " ", "日本", "e\u0301", "é", "\t", "\n", "\x1b", "[red]", "\\"]),
    max_size=4,
).map("".join)
HEADINGS = st.sampled_from(["", "at", "event", "日本", "e\u0301"])  # ours: printable
CELLS = st.one_of(
    CELL_TEXT,
    CELL_TEXT.map(output.Lines),
    CELL_TEXT.map(lambda value: output.Styled(value, "green")),
    st.none(),
    st.integers(0, 99),
)


@given(st.lists(CELL_TEXT, max_size=4), st.booleans())
def test_a_cell_of_meant_lines_shows_as_a_lines_cell(texts: list[str], piped: bool) -> None:
    """output.lines leaves a text without a newline or a tab as it is, rather than copy it into
    a Lines: on a terminal and in a pipe it must show as the Lines would."""
    if not piped:
        assert [output._cell(output.lines(text)) for text in texts] == [
            output._cell(output.Lines(text)) for text in texts
        ]
        return
    shown = []
    for cell in (output.lines, output.Lines):
        with piped_stdout() as written:
            output.table(["what"], [[cell(text)] for text in texts], "Timeline")
        shown.append(written.getvalue())
    assert shown[0] == shown[1]


def _table_laid_out_cell_by_cell(
    columns: list[str], rows: list[list[object]], title: str | None, show_header: bool
) -> str:
    """A table for a pipe the plain way: each cell's lines, each line's width in cells (an
    ASCII line's is its length, a tab's too)."""
    from rich.cells import cell_len

    from escalate_cli.core.text.visible import visible

    def width(line: str) -> int:
        return len(line) if line.isascii() else cell_len(line)

    def lines_of(value: object) -> list[str]:
        if isinstance(value, output.Styled):
            return [value.plain]
        text = "" if value is None else str(value)
        if text.isprintable():
            return [text]
        return visible(text, lines=isinstance(value, output.Lines)).splitlines() or [""]

    grid = [[[name] for name in columns]] if show_header else []
    grid += [[lines_of(cell) for cell in row] for row in rows]
    widths = [
        max((width(line) for row in grid for line in row[index]), default=0)
        for index in range(len(columns))
    ]
    shown = [visible(title)] if title else []
    for row in grid:
        for depth in range(max(len(cell) for cell in row)):
            parts = []
            for index, cell in enumerate(row):
                line = cell[depth] if depth < len(cell) else ""
                parts.append(line + " " * (widths[index] - width(line)))
            shown.append("  ".join(parts).rstrip())
    return "".join(line + "\n" for line in shown)


@given(
    st.integers(1, 4).flatmap(
        lambda width: st.tuples(
            st.lists(HEADINGS, min_size=width, max_size=width),
            st.lists(st.lists(CELLS, min_size=width, max_size=width), max_size=5),
        )
    ),
    st.sampled_from([None, "Timeline"]),
    st.booleans(),
)
def test_a_table_for_a_pipe_is_laid_out_as_cell_by_cell(
    table: tuple[list[str], list[list[object]]], title: str | None, show_header: bool
) -> None:
    """The pipe's table takes rows of one-line printable ASCII, or whole tables of them, by a
    shorter path: it must lay them out as a cell-by-cell layout does."""
    columns, rows = table
    with piped_stdout() as written:
        output.table(columns, rows, title, show_header=show_header)
    assert written.getvalue() == _table_laid_out_cell_by_cell(columns, rows, title, show_header)
