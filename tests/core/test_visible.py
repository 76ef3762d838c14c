"""Control and bidi characters written out for people, escaped in JSON, one convention."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from escalate_cli.core.text.visible import dumps, one_line, visible
from escalate_cli.output import esc

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_controls_and_bidi_characters_are_written_as_python_escapes() -> None:
    assert visible("\x1b]0;pwned\x07") == r"\x1b]0;pwned\x07"
    assert visible("\x1b]52;c;cHduZWQ=\x07\x1b[2J") == r"\x1b]52;c;cHduZWQ=\x07\x1b[2J"
    assert visible("a\x08\x00\x7f\x9b\x85b") == r"a\x08\x00\x7f\x9b\x85b"
    assert visible("\u202a\u202e\u2066\u2069") == r"\u202a\u202e\u2066\u2069"
    assert visible("é 日本 ‏ \u2028 \\x1b") == "é 日本 ‏ \u2028 \\x1b"  # the rest as it is
    assert visible(None) == "" and visible(3) == "3"


def test_newlines_and_tabs_stay_only_where_lines_are_meant() -> None:
    assert visible("a\nb\tc\rd") == r"a\nb\tc\rd"
    assert visible("a\r\nb\tc\rd\x0be", lines=True) == "a\nb\tc\\rd\\x0be"
    assert one_line("  a\r\nb\t c\u2028d\x1b[2J\re ") == r"a b c d\x1b[2J\re"


def test_rich_markup_is_escaped_after_the_controls_are_written_out() -> None:
    assert esc("\x1b[bold]x[/bold]") == "\\x1b\\[bold]x\\[/bold]"
    assert esc("a\nb") == r"a\nb" and esc("a\nb", lines=True) == "a\nb"


def test_json_escapes_what_could_drive_a_terminal_and_keeps_the_rest_readable() -> None:
    text = "\x1b]0;x\x07 \x9b \x7f \u202e é 日本"
    shown = dumps({"title": text})
    assert shown == '{"title": "\\u001b]0;x\\u0007 \\u009b \\u007f \\u202e é 日本"}'
    assert json.loads(shown) == {"title": text}


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_parses_back_to_the_same_text_with_nothing_raw(data: object) -> None:
    shown = dumps(data, indent=2)
    assert json.loads(shown) == data and not RAW.search(shown)


@given(st.text())
def test_visible_text_holds_no_raw_control_and_is_stable(text: str) -> None:
    shown = visible(text)
    assert not RAW.search(shown) and "\n" not in shown and visible(shown) == shown
    assert not RAW.search(visible(text, lines=True).replace("\t", ""))
    assert not RAW.search(one_line(text)) and "\n" not in one_line(text)
