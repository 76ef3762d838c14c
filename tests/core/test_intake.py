"""Reading the rows of `escalate import` (escalate_cli.core.io.intake): what the file alone shows
about a row, before any matrix judges it."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate_cli.core.errors import UsageError
from escalate_cli.core.io.intake import Row, read_rows


def rows_of(tmp_path: Path, text: str, name: str = "rows.csv") -> list[Row]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_rows(path)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            'title,severity\n"bad,sev1\nok,sev2\n',
            "row 2: a quote opened in this row is never closed",
        ),
        ('title,severity\nok,sev1\n"unterminated,sev3', "row 3: a quote opened in this row"),
        ('title\nfine\n"quoted" then more\n', "row 3: a quoted value goes on after its closing"),
        ('title,severity\n"bad,sev1\nok,sev2\n"x",y\n', "row 2: a quoted value goes on after"),
    ],
)
def test_quotes_that_do_not_pair_up_refuse_the_file_naming_the_row_they_open_in(
    tmp_path: Path, text: str, said: str
) -> None:
    with pytest.raises(UsageError, match=said):
        rows_of(tmp_path, text)


def test_a_row_is_numbered_by_the_line_it_starts_on_and_multi_line_values_stay_whole(
    tmp_path: Path,
) -> None:
    rows = rows_of(tmp_path, 'title,description\n\n"a","two\nlines"\nb,c\n')
    assert [(row.number, row.fields, row.error) for row in rows] == [
        (3, {"title": "a", "description": "two\nlines"}, None),
        (5, {"title": "b", "description": "c"}, None),
    ]


def test_a_row_with_more_values_than_columns_or_a_swallowed_row_is_refused_alone(
    tmp_path: Path,
) -> None:
    rows = rows_of(
        tmp_path, 'title,severity\nPrinter, on fire,sev2\n"late,sev1\nlost,sev2\nx",sev3\n'
    )
    assert [(row.number, row.error) for row in rows] == [
        (2, "3 values for 2 columns (quote a value with a comma)"),
        (3, "title spans lines (is a quote closed too late, swallowing rows?)"),
    ]


def test_a_json_line_ends_at_a_newline_only(tmp_path: Path) -> None:
    text = '{"title": "Printer\u2028on fire", "description": "a\x85b"}\n{"title": "Next"}\n'
    rows = rows_of(tmp_path, text, "rows.jsonl")
    assert [(row.number, row.fields["title"], row.error) for row in rows] == [
        (1, "Printer\u2028on fire", None),
        (2, "Next", None),
    ]
