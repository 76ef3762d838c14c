"""`escalate import FILE`: many cases from CSV or JSON lines, in one process.

Columns (a CSV header, or each JSON object's keys; case and surrounding spaces do not count):
`title` (required), `severity`, `type`, `customer`, `tier`, `description`, `external_id`,
`customer_contact` (addresses separated by spaces or semicolons). A name that is no column
or is given twice, or CSV quotes that do not pair up, refuse the whole file; a row that cannot
be opened is refused with the reason and the rest go on; a row whose `external_id` this team
has opened before opens nothing (run it twice, get the cases once). docs/working-cases.md
says why the line between the two falls where it does.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from escalate_cli.core.cases.customers import check_address
from escalate_cli.core.cases.document import OpenRequest, check_external_id
from escalate_cli.core.errors import UsageError

COLUMNS = (
    "title",
    "severity",
    "type",
    "customer",
    "tier",
    "description",
    "external_id",
    "customer_contact",
)
BATCH = 200  # rows per transaction: a crash loses at most a batch, a racing command waits less


@dataclass(frozen=True)
class Row:
    """One row of the file: its line number, its fields, and why it is refused when the file
    alone shows it cannot be opened (None leaves the judging to the matrix)."""

    number: int
    fields: dict[str, str]
    error: str | None = None


@dataclass(eq=False)
class Imported:
    """What an import did (or, in a dry run, would do)."""

    opened: list[dict[str, Any]] = field(default_factory=list)
    existing: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)  # what went wrong delivering

    def json(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "existing": self.existing,
            "refused": self.refused,
            "dry_run": self.dry_run,
        }


def read_rows(path: Path) -> list[Row]:
    """The rows of a CSV or JSON-lines file (told apart by the first character that is not
    whitespace: `{` is JSON lines). A file that cannot be read at all is exit 2."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise UsageError(f"{path}: cannot read it ({reason})") from None
    if not text.strip():
        raise UsageError(f"{path}: no rows to import (the file is empty)")
    rows = _json_lines(path, text) if text.lstrip().startswith("{") else _csv(path, text)
    if not rows:
        raise UsageError(f"{path}: no rows to import")
    return rows


def _columns(path: Path, where: str, names: list[str]) -> list[str]:
    """The columns the names in the file mean: case and surrounding spaces do not count, as
    spreadsheet exports vary in both. A name that is no column, or one given twice, refuses
    the whole file, whatever its format: it is the export's mapping that is wrong, not a row,
    and opening the rows that happen not to carry it would leave a half-import to untangle."""
    columns = [name.strip().casefold() for name in names]
    for index, column in enumerate(columns):
        if not column:
            raise UsageError(f"{path}: {where}: column {index + 1} has no name")
        if column not in COLUMNS:
            known = ", ".join(COLUMNS)
            unknown = names[index].strip()
            raise UsageError(f"{path}: {where}: unknown column {unknown!r} (known: {known})")
        if column in columns[:index]:
            raise UsageError(f"{path}: {where}: column {column!r} is named twice")
    return columns


def _csv(path: Path, text: str) -> list[Row]:
    records = [(number, values) for number, values in _csv_records(path, text) if values]
    names = records[0][1] if records else []
    if "title" not in (name.strip().casefold() for name in names):
        raise UsageError(f"{path}: the first line names the columns and needs `title`")
    header = _columns(path, f"row {records[0][0]}", names)
    rows = []
    for number, values in records[1:]:
        # A short row leaves its last columns blank: spreadsheets drop trailing empty cells.
        fields = {name: value.strip() for name, value in zip(header, values, strict=False)}
        if len(values) > len(header):
            error = f"{len(values)} values for {len(header)} columns (quote a value with a comma)"
            rows.append(Row(number, fields, error))
        elif any(fields.values()):
            rows.append(Row(number, fields, _spanning_lines(fields)))
    return rows


def _csv_records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """Each record with the line it starts on. Quotes that do not pair up refuse the whole
    file: past them nobody can say where a row ends, and an unclosed quote swallows every
    line after it into one value."""
    reader = csv.reader(io.StringIO(text), strict=True)
    records = []
    start = 1
    try:
        for values in reader:
            records.append((start, values))
            start = reader.line_num + 1
    except csv.Error as error:
        reason = _CSV_ERRORS.get(str(error), f"not valid CSV ({error})")
        raise UsageError(f"{path}: row {start}: {reason}; nothing was imported") from None
    return records


_CSV_ERRORS = {
    "unexpected end of data": "a quote opened in this row is never closed (it runs to the end)",
    "',' expected after '\"'": (
        'a quoted value goes on after its closing quote (write a quote inside one as "")'
    ),
}
# A value that should hold one line but spans several is most likely a quote closed far too
# late, with the rows in between swallowed into it: strict parsing cannot see that one.
_ONE_LINE = ("title", "severity", "type", "customer", "tier", "external_id")


def _spanning_lines(fields: dict[str, str]) -> str | None:
    for name in _ONE_LINE:
        if "\n" in fields.get(name, ""):
            return f"{name} spans lines (is a quote closed too late, swallowing rows?)"
    return None


class _Object(list[tuple[str, Any]]):
    """A JSON object as its pairs, in order, so that a key given twice is seen."""


def _json_lines(path: Path, text: str) -> list[Row]:
    rows = []
    # JSON lines end at "\n" alone; splitlines() would also cut at U+2028 and the like, which
    # JSON writers may leave raw inside a string.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, object_pairs_hook=_Object)
        except json.JSONDecodeError as error:
            rows.append(Row(number, {}, f"not valid JSON ({error.msg}, column {error.colno})"))
            continue
        except (ValueError, RecursionError) as error:  # a huge number, or nesting too deep
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            rows.append(Row(number, {}, f"not valid JSON ({reason})"))
            continue
        if not isinstance(record, _Object):
            rows.append(Row(number, {}, "not a JSON object"))
            continue
        names = _columns(path, f"row {number}", [key for key, _ in record])
        pairs = [(name, value) for name, (_, value) in zip(names, record, strict=True)]
        wrong = [f"{name} must be a string, not {_kind(v)}" for name, v in pairs if not _text(v)]
        values = {name: value.strip() for name, value in pairs if isinstance(value, str)}
        rows.append(Row(number, values, wrong[0] if wrong else None))
    return rows


def _text(value: Any) -> bool:
    """Whether a JSON value can be a column's value: null stands for a value not given."""
    return value is None or isinstance(value, str)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "an object" if isinstance(value, _Object) else "a list"


def open_request(row: Row, by: str | None, team: str) -> OpenRequest:
    """What `open` the row asks for, made by `by` for `team`; a value no case could hold is a
    usage error naming its column (`open` would name its option)."""
    external = _given(row, "external_id")
    contacts = re.split(r"[;\s]+", row.fields.get("customer_contact", ""))
    return OpenRequest(
        _given(row, "title") or "",
        _given(row, "severity"),
        _given(row, "type"),
        _given(row, "customer"),
        _given(row, "tier"),
        _given(row, "description"),
        None,
        by,
        team,
        customer_contacts=tuple(
            check_address(part, "customer_contact") for part in contacts if part
        ),
        external_id=check_external_id(external, "external_id") if external else None,
    )


def _given(row: Row, name: str) -> str | None:
    value = row.fields.get(name, "").strip()
    return value or None
