"""One store file: TinyDB's JSON layout with one document per line, each parsed only when read.

A command that touches one case should not pay for the other ten thousand: reading splits the
file into lines and keeps every document as its JSON text; a document is parsed when asked for,
and writing puts the untouched lines back as they were. A file in any other layout (written by
TinyDB itself, edited by hand, or from an older schema) is parsed whole and checked instead.
"""

from __future__ import annotations

import errno
import gc
import json
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import orjson

from escalate_cli.core.errors import StoreError
from escalate_cli.core.values import Record, record


def _add_outbox(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps the notifications waiting to be sent in an `outbox` table."""
    data.setdefault(OUTBOX, {})
    return data


def _add_wakes(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 may keep a `wakes` table: nothing to convert, but an older escalate must say
    it is too old rather than call the new table damage."""
    data.setdefault(WAKES, {})
    return data


SCHEMA_VERSION = 3
# MIGRATIONS[i] turns the raw data of a version i+1 file into version i+2.
MIGRATIONS: list[Callable[[dict[str, Any]], dict[str, Any]]] = [_add_outbox, _add_wakes]

META, CASES, OUTBOX, SUMMARIES, WAKES, META_ID = (
    "_meta", "cases", "outbox", "summaries", "wakes", 1
)  # fmt: skip
TABLES = (META, CASES, OUTBOX, SUMMARIES, WAKES)
OPTIONAL = (OUTBOX, SUMMARIES, WAKES)  # written only when they hold entries
# Most of a case's size, and needed by neither metrics nor a listing of closed cases.
HISTORY = ("timeline", "steps")
_ADVICE = "it was left untouched — restore it from a backup or point --store elsewhere"
_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
Text = bytes | memoryview  # a document's JSON; a view into the file's bytes, until replaced
_CRC_HEAD = b'{"crc":'  # how a wakes entry begins: its checksum, then what the checksum covers
_HEADER = re.compile(rb'"(_meta|cases|outbox|summaries|wakes)": \{(\},?)?')


def summary(case: Mapping[str, Any]) -> dict[str, Any]:
    """The case without its history."""
    return {key: value for key, value in case.items() if key not in HISTORY}


# What `list` shows and filters on, and a sweep counts by (cases.CaseFilter, cli/list_view.py):
# kept with each case's wake in the hot file, a fifth of the case's size or less.
ROW_FIELDS = (
    "id", "number", "title", "type", "matrix", "severity", "status", "level", "owner",
    "created_at", "breached", "tags",
)  # fmt: skip


def row(case: Mapping[str, Any]) -> dict[str, Any]:
    """The case as `list` reads it when nothing is due on it: ROW_FIELDS, the customer's name
    and tier, and the participants' contact ids as `participant_ids` (`--participant` asks
    nothing more; their roles and times were a third of what `list` parsed)."""
    found = {key: case[key] for key in ROW_FIELDS if key in case}
    customer = case.get("customer")
    if isinstance(customer, dict):
        found["customer"] = {key: customer.get(key) for key in ("name", "tier")}
    people = case.get("participants")
    if isinstance(people, list):
        found["participant_ids"] = [p.get("contact") for p in people if isinstance(p, dict)]
    return found


def corrupt(path: Path, what: str) -> StoreError:
    return StoreError(f"{path} {what}; {_ADVICE}")


def _kind(value: Any) -> str:
    return "null" if value is None else _KINDS.get(type(value), "a number")


@contextmanager
def _collector_paused(size: int) -> Iterator[None]:
    """Parse with the collector paused: a store is a million objects, none of them cyclic."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if size > 1 << 20:
            # Re-enabled, the collector would walk all these objects again, a few times per
            # command (measured: +100 to +400 ms on 10,000 cases). Frozen objects are still
            # freed by reference counting, and parsed JSON has no cycles to collect.
            gc.freeze()
        if enabled:
            gc.enable()


def _parse(raw: Text) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        # json reads what orjson refuses (lone surrogates) and words its errors with lines
        return json.loads(bytes(raw))


def loads(raw: Text) -> Any:
    with _collector_paused(len(raw)):
        return _parse(raw)


def dumps(value: Any) -> bytes:
    with suppress(TypeError):
        return bytes(orjson.dumps(value))
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate from an undecodable argument: escape it
        return json.dumps(value, allow_nan=False, separators=(",", ":")).encode()


def clone(value: Any) -> Any:
    """A deep copy of JSON data: a round trip through the C codec beats copy.deepcopy."""
    return loads(dumps(value))


def identity(path: Path | int) -> tuple[int, ...]:
    # Every write replaces the file, so a changed inode, size or mtime means new content; the
    # change time is there because nobody can set it back, as `touch` can the modification time.
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def open_regular(path: Path) -> Any:
    """Open a store file for reading; a FIFO or a device (`/dev/zero`) is refused before any
    byte is read: it would block, or never end."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_file(path: Path) -> tuple[bytes, tuple[int, ...]] | None:
    """The bytes of one store file and their identity; None when it does not exist."""
    try:
        with open_regular(path) as handle:
            return handle.read(), identity(handle.fileno())
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise corrupt(path, "is a directory, not a store file") from None
    except OSError as error:
        raise corrupt(path, f"cannot be read ({error.strerror or error})") from None


_MARK_HEAD = b'{\n"_meta": {\n  "1": '  # how a file in the layout of StoreFile.dump begins


def head_meta(path: Path) -> dict[str, Any] | None:
    """The file's metadata, read from its first lines alone; None when they cannot tell
    (another layout, or a schema to migrate): then load the whole file. FileNotFoundError when
    there is no file."""
    try:
        with open_regular(path) as handle:
            head = handle.readline() + handle.readline() + handle.readline()
    except FileNotFoundError:
        raise
    except OSError:
        return None  # loading it says what is wrong
    if not (head.startswith(_MARK_HEAD) and head.endswith(b"\n")):
        return None
    try:
        meta = orjson.loads(head[len(_MARK_HEAD) : -1])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(meta, dict) or not _readable_as_is(meta.get("schema_version")):
        return None
    return meta


def read_mark(path: Path) -> int | None:
    """The file's `last_number` (every number it has ever held is at most this), read from its
    first lines alone; 0 when there is no file, None when it cannot tell (another layout, or a
    file written before the mark was kept in both files): then load the whole file."""
    try:
        meta = head_meta(path)
    except FileNotFoundError:
        return 0
    last = meta.get("last_number") if meta is not None else None
    return last if type(last) is int and last >= 0 else None


Docs = dict[int, Text]  # document number -> its JSON text


def _index(raw: bytes) -> dict[str, Docs] | None:
    """The documents of a file in exactly the layout StoreFile.dump writes, unparsed; None for
    any other layout. Commas and brackets are checked here, so the file is valid JSON as long
    as each document is, and each document is checked when it is parsed. Lines are found by
    offset and documents kept as views into raw: copying a large archive line by line would
    cost as much as the rest of reading it."""
    if not (raw.startswith(b"{\n") and raw.endswith(b"\n}\n")):
        return None
    view, tables = memoryview(raw), dict[str, Docs]()
    table: Docs | None = None  # the table whose documents are being read
    comma = True  # the item before ended with a comma, so another item may follow
    start, stop = 2, len(raw) - 3  # the lines between the first "{" and the last "}"
    while start <= stop:
        end = raw.find(b"\n", start, stop)
        end = stop if end < 0 else end
        if end - start > 3 and raw[start] == 0x20:  # a document: `  "N": {...}` and a comma?
            split = raw.find(b'": {', start + 3, end)
            key = raw[start + 3 : split]
            if not (table is not None and comma and split > 0 and key.isdigit()):
                return None
            comma = raw[end - 1] == 0x2C
            close = end - 1 if comma else end
            number = int(key)
            if raw[start : start + 3] != b'  "' or raw[close - 1] != 0x7D or number in table:
                return None
            if key != b"%d" % number:
                return None
            table[number] = view[split + 3 : close]
        elif table is None:
            header = _HEADER.fullmatch(raw, start, end)
            name = header[1].decode() if header else ""
            if header is None or not comma or name in tables:
                return None
            table = tables[name] = {}
            if header[2]:  # an empty table, `"name": {}`, opens and closes on one line
                table, comma = None, header[2] == b"},"
        elif raw[start:end] in (b"}", b"},") and table and not comma:
            table, comma = None, end - start == 2
        else:
            return None
        start = end + 1
    return tables if table is None and not comma else None


class StoreFile:
    """One store file in memory: every document kept as its JSON text under its number."""

    def __init__(self, path: Path, docs: dict[str, Docs] | None) -> None:
        self.path, self.existed = path, docs is not None
        self.docs: dict[str, Docs] = {name: {} for name in TABLES}
        self.docs.update(docs or {})
        self.highest: int = max([self.meta().get("last_number", 0), *self.docs[CASES]])
        # Cases whose `wakes` entry is known to be escalate's for the case as it reads: written
        # here, or vouched for by the rows file of this very file (see store_rows.vouch).
        self.vouched: set[int] = set()

    @classmethod
    def load(cls, path: Path) -> tuple[StoreFile, tuple[int, ...] | None]:
        """The file and its identity; an empty one, and None, when it does not exist yet."""
        read = read_file(path)
        if read is None:
            return cls(path, None), None
        raw, seen = read
        if not raw:
            raise corrupt(path, "is empty (0 bytes), not a case store")
        docs = _index(raw)
        if docs is None or not _current(docs):
            docs = _parse_whole(path, raw)
        return cls(path, docs), seen

    def meta(self) -> dict[str, Any]:
        raw = self.docs[META].get(META_ID)
        return dict(loads(raw)) if raw is not None else {}

    def set_meta(self, meta: dict[str, Any]) -> None:
        self.docs[META] = {META_ID: dumps(meta)}

    def has(self, number: int) -> bool:
        return number in self.docs[CASES]

    def numbers(self) -> list[int]:
        return list(self.docs[CASES])

    def case(self, number: int) -> dict[str, Any] | None:
        """The case filed under number, freshly parsed (the caller owns it), or None."""
        raw = self.docs[CASES].get(number)
        return self._checked(number, raw) if raw is not None else None

    def cases(self) -> dict[int, dict[str, Any]]:
        """Every case by number, each parsed and checked."""
        cases = self.docs[CASES]
        with _collector_paused(sum(map(len, cases.values()))):
            return {n: self._checked(n, cases[n]) for n in sorted(cases)}

    def _checked(self, number: int, raw: Text) -> dict[str, Any]:
        return checked_case(self.path, number, raw)

    def screened(self, keep: Callable[[Text], bool], skip: Container[int]) -> list[dict[str, Any]]:
        """The cases not numbered in skip whose JSON text keep accepts, parsed: a search parses
        only the few cases its words may be in."""
        cases = self.docs[CASES]
        kept = [n for n in sorted(cases) if n not in skip and keep(cases[n])]
        with _collector_paused(sum(len(cases[n]) for n in kept)):
            return [self._checked(n, cases[n]) for n in kept]

    def briefs(self) -> dict[int, dict[str, Any]]:
        """Every case by number without its history, from its summary where it has one."""
        cases, summaries = self.docs[CASES], self.docs[SUMMARIES]
        with _collector_paused(sum(len(summaries.get(n, raw)) for n, raw in cases.items())):
            return {
                n: self._checked(n, summaries[n])
                if n in summaries
                else summary(self._checked(n, cases[n]))
                for n in sorted(cases)
            }

    def trusted_entry(self, number: int) -> Text | None:
        """The case's entry in `wakes` as written; None when it has none, or one escalate did
        not write for the case as it reads now. The entry's checksum covers the case's line and
        the rest of the entry, so an edit by hand to either makes the case be read whole."""
        text, raw = self.docs[WAKES].get(number), self.docs[CASES].get(number)
        if text is None or raw is None:
            return None
        if number in self.vouched:
            return text
        written = bytes(text)
        comma = written.find(b",", len(_CRC_HEAD))
        if not written.startswith(_CRC_HEAD) or comma < 0:
            return None
        stated = written[len(_CRC_HEAD) : comma]
        if not stated.isdigit() or int(stated) != zlib.crc32(written[comma + 1 :], zlib.crc32(raw)):
            return None
        return text

    def _wake_entry(self, number: int) -> dict[str, Any] | None:
        text = self.trusted_entry(number)
        if text is None:
            return None
        try:
            return usable_entry(number, _parse(text))
        except (ValueError, RecursionError):
            return None

    def survey(self, key: str, now: str, history: bool, overdue_rows: bool) -> Survey:
        """Every case, as a `list` or a sweep at `now` (stored UTC text) needs it under the
        matrix that `key` names (see `surveyed`)."""
        cases = self.docs[CASES]
        with _collector_paused(sum(map(len, cases.values()))):
            entries = ((n, self._wake_entry(n)) for n in sorted(cases))
            text = cases.__getitem__
            return surveyed(self.path, entries, text, key, now, history, overdue_rows)

    def replace(self, drop: Iterable[int], add: Mapping[int, Text]) -> None:
        """Remove the cases numbered in drop, then file each case text in add by its number."""
        cases, summaries, wakes = self.docs[CASES], self.docs[SUMMARIES], self.docs[WAKES]
        for number in [*drop, *add]:
            cases.pop(number, None)
            summaries.pop(number, None)
            wakes.pop(number, None)
            self.vouched.discard(number)
        cases.update(add)

    def index(
        self,
        number: int,
        row: Text,
        wake_at: str | None,
        key: str | None,
        holds_until: str | None = None,
    ) -> None:
        """Keep beside a case filed here its row (see `row`) and the wake it was written with
        (`key` None: none was worked out; `holds_until`, see Wake), bound to the case's text
        and to themselves by a checksum: `list` and a sweep read the row, not the case, of each
        case not yet due, and `list` that of each case overdue since its wake until then."""
        wake: dict[str, str | None] = {"at": wake_at, "key": key}
        if holds_until is not None:
            wake["until"] = holds_until
        rest = b'%s,"row":%s}' % (dumps(wake)[1:-1], row)
        crc = zlib.crc32(rest, zlib.crc32(self.docs[CASES][number]))
        self.docs[WAKES][number] = b"%s%d,%s" % (_CRC_HEAD, crc, rest)
        self.vouched.add(number)

    def checksum(self, number: int) -> int | None:
        raw = self.docs[CASES].get(number)
        return None if raw is None else zlib.crc32(raw)

    def summarize(self) -> None:
        """Give each case a summary (the archive keeps them so that metrics over years of closed
        cases need not parse their history) and drop the summaries of cases gone."""
        cases, summaries = self.docs[CASES], self.docs[SUMMARIES]
        for number in summaries.keys() - cases.keys():
            del summaries[number]
        for number in cases.keys() - summaries.keys():
            summaries[number] = dumps(summary(self._checked(number, cases[number])))

    def outbox(self) -> list[dict[str, Any]]:
        docs = self.docs[OUTBOX]
        return [loads(docs[n]) for n in sorted(docs)]

    def set_outbox(self, entries: Iterable[dict[str, Any]]) -> None:
        self.docs[OUTBOX] = {n: dumps(entry) for n, entry in enumerate(entries, 1)}

    def dump(self, places: dict[int, tuple[int, int]] | None = None) -> bytes:
        """One line per document in number order: readable, and a change diffs as one line.
        Joined once from the documents' own texts: building per-table strings first copied a
        10,000-case file three more times. `places`, if given, gains where each case's text
        lies in the result (offset, length)."""
        pieces: list[Text] = [b"{"]
        for name in TABLES:
            docs = self.docs[name]
            if name in OPTIONAL and not docs:
                continue
            pieces.append(b'%s\n"%s": {' % (b"," if len(pieces) > 1 else b"", name.encode()))
            first, numbers, separator = len(pieces), sorted(docs), b"\n  "
            for number in numbers:
                pieces += (b'%s"%d": ' % (separator, number), docs[number])
                separator = b",\n  "
            if places is not None and name == CASES:
                offset = sum(map(len, pieces[:first]))
                keys, texts = pieces[first::2], pieces[first + 1 :: 2]
                for number, key, doc in zip(numbers, keys, texts, strict=True):
                    offset += len(key)
                    places[number] = (offset, len(doc))
                    offset += len(doc)
            pieces.append(b"\n}" if docs else b"}")
        pieces.append(b"\n}\n")
        return b"".join(pieces)


def checked_case(path: Path, number: int, raw: Text) -> dict[str, Any]:
    """The case filed under number in the store file at path, parsed; StoreError if it is no
    case, or another number's."""
    try:
        doc = _parse(raw)
    except (ValueError, RecursionError):
        raise corrupt(path, f'has case "{number}" that is not valid JSON') from None
    if not isinstance(doc, dict):
        raise corrupt(path, f'has "{CASES}" entry "{number}" that is {_kind(doc)}')
    if type(doc.get("number")) is not int or doc["number"] != number or number < 1:
        raise corrupt(path, f'has case "{number}" whose number is {doc.get("number")!r}')
    return doc


def usable_entry(number: int, entry: Any) -> dict[str, Any] | None:
    """A parsed wake entry, if it has the shape escalate writes for the case numbered so."""
    row = entry.get("row") if isinstance(entry, dict) else None
    return entry if isinstance(row, dict) and row.get("number") == number else None


def surveyed(
    path: Path,
    entries: Iterable[tuple[int, dict[str, Any] | None]],
    text: Callable[[int], Text],
    key: str,
    now: str,
    history: bool,
    overdue_rows: bool,
) -> Survey:
    """The cases of the store file at path, as a `list` or a sweep at `now` (stored UTC text,
    which compares as time) needs them under the matrix that `key` names, from each case's
    number and trusted wake entry (None: it has none); `text` gives a case's JSON. A case not
    on hold whose wake says nothing acts on it before a later time is *settled*: it comes as
    its row (see `row`; whole, with `history`), with that wake. With `overdue_rows` (`list`),
    so is one whose wake has passed and holds as its due time until a later time (see Wake);
    a sweep, which acts on it, reads it whole. Every other case comes whole, for its due time
    to be worked out; those with no wake under `key` are `stale`, with their checksum."""
    found: dict[int, dict[str, Any]] = {}
    settled: dict[int, str | None] = {}
    stale: dict[int, int] = {}
    for number, entry in entries:
        if entry is None or entry.get("key") != key:
            raw = text(number)
            stale[number] = zlib.crc32(raw)
            found[number] = checked_case(path, number, raw)
        elif entry["row"].get("status") != "on_hold" and (
            _settled(entry.get("at"), now) or (overdue_rows and _holds(entry, now))
        ):
            found[number] = checked_case(path, number, text(number)) if history else entry["row"]
            settled[number] = entry["at"]
        else:
            found[number] = checked_case(path, number, text(number))
    return Survey(found, settled, stale)


def _readable_as_is(version: Any) -> bool:
    """The current version, or version 2 while all it lacks is the optional wakes table: its
    lines are read as they are (no whole parse of a large store after an upgrade), and the
    next write stamps the file with the current version."""
    return version == SCHEMA_VERSION or (version == 2 and MIGRATIONS[1:] == [_add_wakes])


def _holds(entry: dict[str, Any], now: str) -> bool:
    """Whether a kept wake that has passed (a time, not None) is still the case's due time at
    `now`: before its `until`."""
    until = entry.get("until")
    return isinstance(entry.get("at"), str) and isinstance(until, str) and _settled(until, now)


def _settled(at: Any, now: str) -> bool:
    """Whether a kept wake is after `now`, or never comes; anything else kept there (an entry
    edited by hand) counts as due, which costs a check and never a missed move."""
    if at is None:
        return True
    return isinstance(at, str) and len(at) == len(now) and at.endswith("Z") and at > now


@record
class Survey(Record):
    """What StoreFile.survey found: cases by number, the settled ones' wakes (stored text;
    None: only a write makes the case due) and the stale ones' checksums."""

    cases: dict[int, dict[str, Any]]
    settled: dict[int, str | None]
    stale: dict[int, int]


def _current(docs: dict[str, Docs]) -> bool:
    """Whether an indexed file can be used as it is: current schema, sound meta and outbox.
    Anything else is parsed whole, which migrates it or says exactly what is wrong."""
    meta = docs.get(META, {})
    if set(meta) != {META_ID}:
        return False
    try:
        doc = loads(meta[META_ID])
        entries = [loads(raw) for raw in docs.get(OUTBOX, {}).values()]
    except (ValueError, RecursionError):
        return False
    last = doc.get("last_number", 0) if isinstance(doc, dict) else None
    return (
        isinstance(doc, dict)
        and _readable_as_is(doc.get("schema_version"))
        and type(last) is int
        and last >= 0
        and all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries)
    )


def _parse_whole(path: Path, raw: bytes) -> dict[str, Docs]:
    try:
        data = loads(raw)
    except UnicodeDecodeError:
        raise corrupt(path, "is not valid JSON (it is not UTF-8 text)") from None
    except json.JSONDecodeError as error:
        raise corrupt(path, f"is not valid JSON (line {error.lineno})") from None
    except RecursionError:
        raise corrupt(path, "is not a case store (it is nested too deeply)") from None
    data = _migrate(path, data)
    _drop_bad_wakes(data)
    _check(path, data)
    return {name: {int(k): dumps(doc) for k, doc in data[name].items()} for name in TABLES}


def _drop_bad_wakes(data: dict[str, Any]) -> None:
    """The wakes are worked out from the cases: an entry that is not an object under a case
    number (edited by hand) is dropped, not a reason to refuse the store; the case is read
    whole until its next write or sweep keeps a wake again."""
    wakes = data.get(WAKES)
    if isinstance(wakes, dict):
        data[WAKES] = {k: v for k, v in wakes.items() if is_number(k) and isinstance(v, dict)}
    elif wakes is not None:
        data[WAKES] = {}


def is_number(key: str) -> bool:
    """A key that names a number as the store writes it (`²` is a digit, but no number)."""
    return key.isascii() and key.isdigit()


def _migrate(path: Path, data: Any) -> dict[str, Any]:
    """Bring data up to SCHEMA_VERSION in memory; the next write of the file persists it."""
    if not isinstance(data, dict):
        raise corrupt(path, f"is not a case store (the top level is {_kind(data)}, not an object)")
    meta = data.get(META)
    doc = meta.get(str(META_ID)) if isinstance(meta, dict) else None
    version = doc.get("schema_version", 1) if isinstance(doc, dict) else 1
    if type(version) is not int or version < 1:
        raise corrupt(path, f"has schema_version {version!r}; expected a whole number >= 1")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer escalate (schema version {version}; this one reads up"
            f" to {SCHEMA_VERSION}); upgrade escalate — the store was left untouched"
        )
    migrated: dict[str, Any] = data
    for migration in MIGRATIONS[version - 1 : SCHEMA_VERSION - 1]:
        migrated = migration(migrated)
    meta = migrated.setdefault(META, {})
    if version != SCHEMA_VERSION and isinstance(meta, dict):  # else _check says what is wrong
        doc = meta.setdefault(str(META_ID), {})
        if isinstance(doc, dict):
            doc["schema_version"] = SCHEMA_VERSION
    return migrated


def _check(path: Path, data: dict[str, Any]) -> None:
    """Check the layout of current-version data, parsed whole."""
    for unexpected in sorted(set(data) - set(TABLES))[:1]:
        raise corrupt(path, f'is not a case store (unexpected "{unexpected}" at the top)')
    for name in TABLES:
        table = data.setdefault(name, {})
        if not isinstance(table, dict):
            raise corrupt(path, f'has a "{name}" that is {_kind(table)}, not an object')
        for key, doc in table.items():
            if not isinstance(doc, dict):
                raise corrupt(path, f'has "{name}" entry "{key}" that is {_kind(doc)}')
    if set(data[META]) - {str(META_ID)}:
        raise corrupt(path, f'has a "{META}" table with entries other than "{META_ID}"')
    for key, entry in data[OUTBOX].items():
        if not is_number(key) or not isinstance(entry.get("id"), str):
            raise corrupt(path, f'has outbox entry "{key}" without a number key and a string id')
    last = data[META].get(str(META_ID), {}).get("last_number", 0)
    if type(last) is not int or last < 0:
        raise corrupt(path, f"has last_number {last!r}; expected a whole number >= 0")
    for key, case in [*data[CASES].items(), *data[SUMMARIES].items()]:
        number = case.get("number")
        if type(number) is not int or number < 1 or str(number) != key:
            raise corrupt(path, f'has case "{key}" whose number is {number!r}')


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def write_atomic(path: Path, payload: bytes, *, durable: bool = True) -> None:
    """Replace path with payload so a reader, or a crash, sees the old file or the new one;
    one that is not `durable` (a cache, which its readers check) may be lost in a crash."""
    import tempfile  # only commands that write need it (it imports random and shutil)

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)  # mode 0600
    try:
        try:
            _write_all(fd, payload)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    if durable and sys.platform != "win32":  # the rename is durable only once its directory is
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_stale_temps(path: Path) -> None:
    """Delete temp files of writers killed mid-write (they hold customer data); needs the lock."""
    pattern = re.compile(re.escape(f".{path.name}.tmp-") + r"[a-z0-9_]{8}")
    with suppress(OSError):
        for name in os.listdir(path.parent):
            if pattern.fullmatch(name):
                os.unlink(path.parent / name)
