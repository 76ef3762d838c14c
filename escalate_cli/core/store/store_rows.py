"""The rows file beside a JSON store's hot file (`cases.json.rows`): what `list` and a sweep
need of every case, without reading the cases.

The hot file keeps each case's row and wake in its `wakes` table (see store_file), but finding
them there means reading, splitting and checksumming every line: on 10,000 open cases, 47 MB
and about 140 ms before anything is listed. So each write, once it has replaced the hot file,
also writes this file: where each case's line lies in the hot file, and its wake entry when the
entry's checksum holds for the case, under the identity of the hot file just written (device,
inode, size, modification and change times). A reader believes it only while the hot file it
has open has that identity: any later write, a restore from a backup or an edit by hand gives
the hot file another (nobody can set a change time back), and the reader then reads the hot
file whole, as it did before this file existed. It is a cache: deleting it loses nothing.

Layout: a header line, `{"rows": 1, "file": [identity], "crc": crc32 of the rest}`, then one
JSON array of `[number, offset, length, entry or null]`, by case number.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple

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

VERSION = 1


def rows_path(hot: Path) -> Path:
    return hot.with_name(f"{hot.name}.rows")


class Rows(NamedTuple):
    text: bytes  # the JSON array
    without: list[int]  # the cases written there with no wake entry


def rows(hot: StoreFile, places: Mapping[int, tuple[int, int]]) -> Rows:
    """The rows of the hot file as `StoreFile.dump` wrote it with these `places`."""
    items, without = [], []
    for number, (offset, length) in sorted(places.items()):
        entry = hot.trusted_entry(number)
        if entry is None:
            without.append(number)
        items.append(b"[%d,%d,%d,%s]" % (number, offset, length, entry or b"null"))
    return Rows(b"[" + b",".join(items) + b"]", without)


def vouch(hot: StoreFile, seen: tuple[int, ...]) -> None:
    """Tell the hot file, just read with identity `seen` for a write, which of its wake entries
    its rows file found sound: their checksums need no checking again for the next rows."""
    try:
        with open_regular(rows_path(hot.path)) as handle:
            header = loads(handle.readline())
    except (OSError, ValueError):
        return
    if (
        isinstance(header, dict)
        and header.get("rows") == VERSION
        and header.get("file") == list(seen)
    ):
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
        crc = zlib.crc32(rows.text)
        header = {"rows": VERSION, "file": identity(hot), "crc": crc, "without": rows.without}
        write_atomic(target, b"%s\n%s" % (dumps(header), rows.text), durable=False)
    except OSError:
        with suppress(OSError):
            os.unlink(target)


class Unusable(Exception):
    """The rows file does not describe the hot file as it is: read the hot file whole."""


def survey(hot: Path, key: str, now: str) -> Survey | None:
    """StoreFile.survey of the hot file at `hot` without its history, from the rows file and
    the lines of the cases that must be read whole; None when the rows file cannot be used
    (missing, damaged, or written for another version of the hot file)."""
    try:
        with open_regular(hot) as handle:
            listed = listed_rows(hot, identity(handle.fileno()))
            places = {number: (offset, length) for number, offset, length, _ in listed}
            entries = [(number, usable_entry(number, entry)) for number, _, _, entry in listed]

            def text(number: int) -> bytes:
                offset, length = places[number]
                handle.seek(offset)
                raw: bytes = handle.read(length)
                if len(raw) != length:
                    raise Unusable
                return raw

            return surveyed(hot, entries, text, key, now, history=False)
    except (OSError, ValueError, TypeError, Unusable):
        return None


def listed_rows(hot: Path, seen: tuple[int, ...]) -> list[tuple[int, int, int, Any]]:
    """The rows of the hot file with identity `seen`, as written; Unusable if there are none."""
    with open_regular(rows_path(hot)) as handle:
        raw = handle.read()
    end = raw.find(b"\n")
    header = loads(raw[:end]) if end > 0 else None
    if not (
        isinstance(header, dict)
        and header.get("rows") == VERSION
        and header.get("file") == list(seen)
        and header.get("crc") == zlib.crc32(memoryview(raw)[end + 1 :])
    ):
        raise Unusable
    listed: list[tuple[int, int, int, Any]] = loads(memoryview(raw)[end + 1 :])
    if not all(type(number) is int for number, _, _, _ in listed):
        raise Unusable  # the numbers would be taken for the hot file's, and found wrong there
    return listed
