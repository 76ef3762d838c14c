"""Case text that cannot drive a terminal: control and bidi characters written out as escapes.

Anyone who can open or update a case (an intake script fed by customer email) chooses its text,
so every text a case holds reaches people through `visible` (or `one_line`), and scripts through
`dumps`. The convention is Python's: `\\x1b`, `\\x9b`, `\\u202e`, `\\r`; a backslash typed in
the text itself is left as it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL, C1 controls, the bidi embeddings and overrides (U+202A-U+202E) and the bidi
# isolates (U+2066-U+2069): everything that can move the cursor, talk to the terminal (ESC, CSI,
# OSC, BEL) or reorder what is shown.
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _written(point: int) -> str:
    if point in _NAMED:
        return _NAMED[point]
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


_ONE_LINE = {point: _written(point) for point in _CONTROLS}
_LINES = {point: shown for point, shown in _ONE_LINE.items() if point not in (0x09, 0x0A)}
# Raw in JSON text only inside strings, where `\\u0085` means the same character. A pattern that
# `re` compiles (and keeps) on first use: compiling this class takes ~0.3 ms, which every `list`
# and `show` paid at import, and only `--json` needs.
_JSON_RAW = "[\x7f-\x9f\u202a-\u202e\u2066-\u2069]"


def visible(text: object, *, lines: bool = False) -> str:
    """`text` with every control and bidi character written out (`\\x1b`, `\\u202e`).

    With `lines`, newlines and tabs stay (a multi-line field) and a CRLF line end is a newline;
    without, they are written out too (`\\n`), so the text stays on one line."""
    shown = "" if text is None else str(text)
    if lines:
        return shown.replace("\r\n", "\n").translate(_LINES)
    return shown.translate(_ONE_LINE)


# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): `=`, `+`, `-`, `@`,
# and the tab and carriage return that some put before one.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: object) -> str:
    """Case text for a CSV cell: `visible` (one line), and a leading quote when the text starts
    the way a formula does (`=HYPERLINK(...)`, `+1`, `@SUM`), so that a spreadsheet shows it
    as text instead of running it. For text cells only: a number keeps its sign."""
    shown = "" if text is None else str(text)
    return ("'" if shown.startswith(_FORMULA_STARTS) else "") + visible(shown)


def one_line(text: object) -> str:
    """Case text where only one line fits (a heading, a subject): newlines (CRLF too), tabs and
    runs of spaces fold into one space; any other control or bidi character is written out, a
    lone carriage return as `\\r`."""
    return " ".join(visible(text, lines=True).split())


def dumps(data: Any, *, indent: int | None = None) -> str:
    """JSON with non-ASCII text readable (é, 日本) but DEL, C1 controls and bidi characters
    escaped (`\\u202e`), as json already escapes C0 controls (`\\u001b`): it parses back to the
    same text, and never drives the terminal it is printed on."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return re.sub(_JSON_RAW, lambda found: f"\\u{ord(found.group()):04x}", text)
