"""Tests for the line-per-document store file: what is parsed, what is copied, what is refused."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import ANY

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinydb import TinyDB

from escalate_cli.core.errors import StoreError
from escalate_cli.core.store import store_file
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_file import SCHEMA_VERSION, StoreFile


def make_case(number: int, **extra: Any) -> dict[str, Any]:
    return {"number": number, "id": f"ESC-{number}", "status": "open", **extra}


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    store = CaseStore(tmp_path / "cases.json", lock_timeout=5)
    with store.transaction() as tx:
        for _ in range(30):
            tx.put(make_case(tx.next_number(), title="checkout fails"))
    return store


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every text the store parses, in order."""
    seen: list[bytes] = []
    real = store_file.orjson.loads

    def spy(raw: bytes) -> Any:
        seen.append(raw)
        return real(raw)

    monkeypatch.setattr(store_file, "orjson", SimpleNamespace(**{**vars(orjson), "loads": spy}))
    return seen


def case_numbers_in(texts: list[store_file.Text]) -> set[int]:
    found = set()
    for text in texts:
        value = json.loads(bytes(text))
        for doc in value if isinstance(value, list) else [value]:
            if "id" in doc and "number" in doc:
                found.add(doc["number"])
    return found


def test_a_transaction_parses_only_the_cases_it_touches(
    store: CaseStore, parsed: list[bytes]
) -> None:
    with store.transaction() as tx:
        case = tx.get(7)
        assert case is not None
        tx.put({**case, "status": "acknowledged"})
        tx.put(make_case(tx.next_number()))
    assert case_numbers_in(parsed) == {7}
    assert CaseStore(store.path).get(7) == make_case(
        7, title="checkout fails", status="acknowledged"
    )


def test_lock_free_get_parses_one_case(store: CaseStore, parsed: list[bytes]) -> None:
    assert CaseStore(store.path).get(12) == make_case(12, title="checkout fails")
    assert case_numbers_in(parsed) == {12}


def test_untouched_lines_are_written_back_byte_for_byte(store: CaseStore) -> None:
    before = store.path.read_bytes().split(b"\n")
    with store.transaction() as tx:
        tx.put(make_case(3, title="changed"))
    after = store.path.read_bytes().split(b"\n")
    changed = [new for old, new in zip(before, after, strict=True) if old != new]
    case = b'{"number":3,"id":"ESC-3","status":"open","title":"changed"}'
    # The case and its wake with its row (see StoreFile.index); every other line as it was.
    assert changed[0] == b'  "3": %s,' % case
    assert [orjson.loads(line.split(b": ", 1)[1].rstrip(b",")) for line in changed[1:]] == [
        {"crc": ANY, "at": None, "key": None, "row": orjson.loads(case)}
    ]


def test_a_store_written_by_tinydb_is_read_and_rewritten_in_lines(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    with TinyDB(path) as db:  # TinyDB writes the whole database on one line
        db.table("_meta").insert({"schema_version": 2, "last_number": 2})
        db.table("cases").insert(make_case(1))
        db.table("cases").insert(make_case(2))
    store = CaseStore(path)
    assert [c["number"] for c in store.cases()] == [1, 2]
    with store.transaction() as tx:
        tx.put(make_case(tx.next_number()))
    cases = path.read_bytes().split(b'"cases": {\n', 1)[1].split(b"\n}", 1)[0]
    assert cases.split(b"\n") == [
        b'  "%d": %s%s' % (n, json.dumps(make_case(n), separators=(",", ":")).encode(), comma)
        for n, comma in ((1, b","), (2, b","), (3, b""))
    ]


DAMAGED = b'{\n"_meta": {\n  "1": {"schema_version":2,"last_number":3}\n},\n"cases": {\n%s\n}\n}\n'


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b'  "2": {"number":2,"id":}', 'case "2" that is not valid JSON'),
        (b'  "2": {"number":5}', 'case "2" whose number is 5'),
        (b'  "2": {"id":"ESC-2"}', 'case "2" whose number is None'),
        (b'  "2": {"number":2},{"x":1}', 'case "2" that is not valid JSON'),
    ],
)
def test_a_damaged_case_line_is_refused_when_read_or_replaced(
    tmp_path: Path, line: bytes, fragment: str
) -> None:
    path = tmp_path / "cases.json"
    good = [b'  "%d": {"number":%d,"id":"ESC-%d"}' % (n, n, n) for n in (1, 3)]
    content = DAMAGED % b",\n".join([good[0], line, good[1]])
    path.write_bytes(content)
    store = CaseStore(path)
    assert store.get(3) == {"number": 3, "id": "ESC-3"}  # the other cases still serve
    for attempt in (lambda: store.get(2), store.cases):
        with pytest.raises(StoreError, match=fragment) as caught:
            attempt()
        assert str(path) in str(caught.value)
    with pytest.raises(StoreError, match=fragment), store.transaction() as tx:
        tx.put(make_case(2))
    assert path.read_bytes() == content
    with store.transaction() as tx:  # a command on another case keeps the damage as it was
        tx.put(make_case(3, title="fine"))
    assert line + b"," in path.read_bytes().split(b"\n")


def test_an_older_schema_in_lines_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_bytes(
        DAMAGED.replace(b'schema_version":2', b'schema_version":1')
        % (b'  "1": {"number":1,"id":"ESC-1"}')
    )
    store = CaseStore(path)
    assert store.get(1) == {"number": 1, "id": "ESC-1"}
    with store.transaction() as tx:
        tx.meta["touched"] = True
    assert json.loads(path.read_bytes())["_meta"]["1"]["schema_version"] == SCHEMA_VERSION


def _dumped(cases: list[int], outbox: int) -> bytes:
    file = StoreFile(Path("cases.json"), None)
    file.set_meta(
        {"schema_version": store_file.SCHEMA_VERSION, "last_number": max(cases, default=0)}
    )
    file.replace([], {n: store_file.dumps(make_case(n, text="a,b}\n{")) for n in cases})
    file.set_outbox({"id": f"m{n}"} for n in range(outbox))
    return file.dump()


EDITS = st.lists(
    st.tuples(
        st.floats(0, 1, exclude_max=True),
        st.integers(0, 3),
        st.sampled_from([b"", b",", b"}", b"{", b"\n", b" ", b'"', b"1", b"]", b"x"]),
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(1, 40), unique=True, max_size=4), st.integers(0, 2), EDITS)
def test_the_line_index_accepts_only_valid_json(
    cases: list[int], outbox: int, edits: list[tuple[float, int, bytes]]
) -> None:
    """Whatever a damaged file looks like, the index either declines it (and the whole-file
    parser judges it) or its documents, each valid, make up exactly the JSON of the file."""
    raw = _dumped(sorted(cases), outbox)
    for where, cut, insert in edits:
        at = int(where * len(raw))
        raw = raw[:at] + insert + raw[at + cut :]
    docs = store_file._index(raw)
    if docs is None:
        return
    try:
        tables = {
            name: {str(n): json.loads(bytes(text)) for n, text in table.items()}
            for name, table in docs.items()
        }
    except ValueError:
        return  # a damaged document, reported when it is read
    assert json.loads(raw) == tables


def close(store: CaseStore, number: int) -> None:
    with store.transaction() as tx:
        case = tx.get(number)
        assert case is not None
        tx.put({**case, "status": "closed"})


def summaries_in(store: CaseStore) -> dict[str, Any]:
    table: dict[str, Any] = json.loads(store.archive_path.read_bytes()).get("summaries", {})
    return table


def test_the_archive_keeps_a_summary_of_each_case_without_its_history(tmp_path: Path) -> None:
    store = CaseStore(tmp_path / "cases.json")
    history = {"timeline": [{"kind": "opened"}] * 3, "steps": {"gather": {"facts": ["x"]}}}
    with store.transaction() as tx:
        for _ in range(3):
            tx.put(make_case(tx.next_number(), title="t", **history))
    close(store, 2)
    close(store, 3)
    assert summaries_in(store) == {
        "2": make_case(2, status="closed", title="t"),
        "3": make_case(3, status="closed", title="t"),
    }
    with store.transaction() as tx:  # reopened, the case leaves the archive and its summary
        tx.put(make_case(3, title="t", note="back"))
    assert summaries_in(store) == {"2": make_case(2, status="closed", title="t")}
    briefs = CaseStore(store.path).cases(archived=True, history=False)
    assert briefs == [
        make_case(1, title="t"),
        make_case(2, status="closed", title="t"),
        make_case(3, title="t", note="back"),
    ]


def test_reading_without_history_parses_no_archived_case(
    tmp_path: Path, parsed: list[store_file.Text]
) -> None:
    store = CaseStore(tmp_path / "cases.json")
    with store.transaction() as tx:
        for _ in range(5):
            tx.put(make_case(tx.next_number(), status="closed", timeline=[{"kind": "closed"}]))
    parsed.clear()
    assert len(CaseStore(store.path).cases(archived=True, history=False)) == 5
    assert parsed and not any(b"timeline" in bytes(text) for text in parsed)


def test_an_archive_without_summaries_is_read_and_gains_them_on_its_next_write(
    tmp_path: Path,
) -> None:
    store = CaseStore(tmp_path / "cases.json")
    with store.transaction() as tx:
        for _ in range(3):
            tx.put(make_case(tx.next_number(), status="closed", timeline=[]))
    data = json.loads(store.archive_path.read_bytes())
    del data["summaries"]  # as escalate wrote archives before it kept summaries
    store.archive_path.write_text(json.dumps(data))
    expected = [make_case(n, status="closed") for n in (1, 2, 3)]
    assert CaseStore(store.path).cases(archived=True, history=False) == expected
    with store.transaction() as tx:
        tx.put(make_case(tx.next_number(), status="closed"))
    assert sorted(summaries_in(store)) == ["1", "2", "3", "4"]
