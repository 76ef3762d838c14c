"""Text for a pipe is written without Rich, and is what Rich printed there, byte for byte."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from escalate_cli import output
from tests.conftest import Cli

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
    alone and between our tags; only a run of backslashes at the very end shows doubled."""
    from escalate_cli.core.text.visible import visible

    typed = visible(value, lines=True)
    alone = output.esc(value, lines=True)
    at_end = len(typed) - len(typed.rstrip("\\"))
    expected = typed + "\\" * at_end
    assert printed_by_rich(alone) == printed(alone) == _laid_out(expected)
    tagged = f"[bold]{alone}[/bold]."
    assert printed_by_rich(tagged) == printed(tagged) == _laid_out(typed + ".")


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
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *command],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == cli(*command).stdout
    assert done.stderr == ""
