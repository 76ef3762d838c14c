"""The rows file beside a JSON store's hot file (`cases.json.rows`): what `list` and a sweep
need of every case, and where a command on one case finds it, without reading the others.

The hot file keeps each case's row and wake in its `wakes` table (see store_file), but finding
them there means reading, splitting and checksumming every line: on 10,000 open cases, 47 MB
and about 140 ms before anything is listed. So each write, once it has replaced the hot file,
also writes this file: where each case's line lies in the hot file, and its wake entry when the
entry's checksum holds for the case, under the identity of the hot file just written (device,
inode, size, modification and change times). A reader believes it only while the hot file it
has open has that identity: any later write, a restore from a backup or an edit by hand gives
the hot file another (nobody can set a change time back), and the reader then reads the hot
file whole, as it did before this file existed. It is a cache: deleting it loses nothing.

Layout, three lines: a header, `{"rows": 2, "schema": the store's schema version, "file":
[identity], "crc": [crc32 of each line after it], "without": [the cases with no entry]}`; the
places, a JSON array of `[number, offset, length]` by case number (all that a command on one
case reads); the entries, a JSON array of each case's wake entry or null, in the same order.
"""

from __future__ import annotations

import os
import zlib
from bisect import bisect_left
from collections.abc import Mapping
from contextlib import suppress
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from escalate_cli.core.store import store_file
from escalate_cli.core.store.store_file import (
    WAKES,
    StoreFile,
    Survey,
    dumps,
    identity,
    loads,
    open_regular,
    surveyed,
    usable_entry,
    write_atomic,
)

VERSION = 2


def rows_path(hot: Path) -> Path:
    return hot.with_name(f"{hot.name}.rows")


class Rows(NamedTuple):
    places: bytes  # JSON: [[number, offset, length], ...]
    entries: bytes  # JSON: [entry or null, ...]
    without: list[int]  # the cases written there with no wake entry


def rows(hot: StoreFile, places: Mapping[int, tuple[int, int]]) -> Rows:
    """The rows of the hot file as `StoreFile.dump` wrote it with these `places`."""
    where, entries, without = [], [], []
    for number, (offset, length) in sorted(places.items()):
        entry = hot.trusted_entry(number)
        if entry is None:
            without.append(number)
        where.append(b"[%d,%d,%d]" % (number, offset, length))
        entries.append(entry or b"null")
    return Rows(b"[%s]" % b",".join(where), b"[%s]" % b",".join(entries), without)


def vouch(hot: StoreFile, seen: tuple[int, ...]) -> None:
    """Tell the hot file, just read with identity `seen` for a write, which of its wake entries
    its rows file found sound: their checksums need no checking again for the next rows."""
    try:
        with open_regular(rows_path(hot.path)) as handle:
            header = loads(handle.readline())
    except (OSError, ValueError):
        return
    if _describes(header, seen):
        without = header.get("without")
        if isinstance(without, list) and all(type(number) is int for number in without):
            hot.vouched = hot.docs[WAKES].keys() - without


def write(hot: Path, rows: Rows) -> None:
    """Write the rows of the hot file at `hot`, which must not have changed since it was
    written (the caller holds the lock). No fsync: after a crash the header or its checksum
    no longer matches, and the hot file is read whole. If it cannot be written, an older rows
    file goes too, so that no reader can ever pair it with a hot file of the same identity."""
    target = rows_path(hot)
    try:
        crc = [zlib.crc32(rows.places), zlib.crc32(rows.entries)]
        header = {
            "rows": VERSION,
            "schema": store_file.SCHEMA_VERSION,
            "file": identity(hot),
            "crc": crc,
            "without": rows.without,
        }
        payload = b"%s\n%s\n%s" % (dumps(header), rows.places, rows.entries)
        write_atomic(target, payload, durable=False)
    except OSError:
        with suppress(OSError):
            os.unlink(target)


class Unusable(Exception):
    """The rows file does not describe the hot file as it is: read the hot file whole."""


def survey(hot: Path, key: str, now: str, overdue_rows: bool) -> Survey | None:
    """StoreFile.survey of the hot file at `hot` without its history, from the rows file and
    the lines of the cases that must be read whole; None when the rows file cannot be used
    (missing, damaged, or written for another version of the hot file)."""
    try:
        with open_regular(hot) as handle:
            listed = listed_rows(hot, identity(handle.fileno()))
            entries = ((number, usable_entry(number, entry)) for (number, _, _), entry in listed)
            places: dict[int, tuple[int, int]] = {}

            def text(number: int) -> bytes:
                # Looked up only for the cases read whole: most of a list's are not.
                if not places:
                    places.update((n, (at, size)) for (n, at, size), _ in listed)
                return _line_at(handle, *places[number])

            return surveyed(hot, entries, text, key, now, False, overdue_rows)
    except (OSError, ValueError, TypeError, Unusable):
        return None


def listed_rows(hot: Path, seen: tuple[int, ...]) -> list[tuple[list[int], Any]]:
    """The places and entries of the hot file with identity `seen`, as written; Unusable if
    there are none."""
    with open_regular(rows_path(hot)) as handle:
        lines = handle.read().split(b"\n")
    if len(lines) != 3:
        raise Unusable
    header = loads(lines[0])
    places = _places(header, seen, lines[1])
    if header["crc"][1] != zlib.crc32(lines[2]):
        raise Unusable
    return list(zip(places, loads(lines[2]), strict=True))


def case_line(hot: Path, number: int) -> bytes | None:
    """The JSON text of case `number` as the hot file holds it, read alone through the rows
    file; None when the hot file does not hold it; Unusable when the rows file does not
    describe the hot file (or there is none)."""
    try:
        with open_regular(hot) as handle:
            with open_regular(rows_path(hot)) as rows_file:
                header, places = rows_file.readline(), rows_file.readline().rstrip(b"\n")
            listed = _places(loads(header), identity(handle.fileno()), places)
            at = bisect_left(listed, number, key=itemgetter(0))
            if at == len(listed) or listed[at][0] != number:
                return None
            _, offset, length = listed[at]
            return _line_at(handle, offset, length)
    except (OSError, ValueError, TypeError) as error:
        raise Unusable from error


def _line_at(handle: BinaryIO, offset: int, length: int) -> bytes:
    """The `length` bytes at `offset` of the open hot file; Unusable if it ends before."""
    handle.seek(offset)
    raw = handle.read(length)
    if len(raw) != length:
        raise Unusable
    return raw


def _describes(header: Any, seen: tuple[int, ...]) -> bool:
    """Whether the header is of rows written for the hot file with identity `seen`, in the
    schema this escalate reads as it is (an older one is migrated case by case: read whole)."""
    return (
        isinstance(header, dict)
        and header.get("rows") == VERSION
        and header.get("schema") == store_file.SCHEMA_VERSION
        and header.get("file") == list(seen)
    )


def _places(header: Any, seen: tuple[int, ...], places: bytes) -> list[list[int]]:
    """The places line, checked against the header for the hot file with identity `seen`."""
    crc = header.get("crc") if _describes(header, seen) else None
    if not (isinstance(crc, list) and len(crc) == 2 and crc[0] == zlib.crc32(places)):
        raise Unusable
    listed: list[list[int]] = loads(places)
    if not all(type(n) is type(at) is type(size) is int for n, at, size in listed):
        raise Unusable  # the numbers would be taken for the hot file's, and found wrong there
    return listed
