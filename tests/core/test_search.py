"""`escalate search` through the Python API: the query's words, the case's fields, the score,
the JSON store's byte screen, and the same answers from both stores."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate_cli import Session
from escalate_cli.core.cases import search
from escalate_cli.core.errors import UsageError
from escalate_cli.core.store.store_pg import PgStore
from tests.conftest import BASIC_MATRIX

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def terms(text: str) -> list[tuple[str, bool]]:
    return [(term.text, term.prefix) for term in search.parse_query(text).terms]


def test_a_query_is_its_folded_words_and_a_star_makes_a_prefix() -> None:
    assert terms("Payment  TIMEOUT") == [("payment", False), ("timeout", False)]
    assert terms("pay* time-out") == [("pay", True), ("time", False), ("out", False)]
    assert terms("STRASSE") == terms("Straße") == [("strasse", False)]
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "Checkout")  # as NFKC reads it
    assert terms(fullwidth) == [("checkout", False)]
    assert terms("the THE the") == [("the", False)]


@pytest.mark.parametrize("text", ["", "   ", "!!! ... ---", "*", "**"])
def test_a_query_without_a_word_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="at least one word"):
        search.parse_query(text)


def test_a_query_of_too_many_words_is_a_usage_error() -> None:
    search.parse_query(" ".join(f"w{n}" for n in range(search.MAX_TERMS)))
    with pytest.raises(UsageError, match="at most"):
        search.parse_query(" ".join(f"w{n}" for n in range(search.MAX_TERMS + 1)))


@given(st.text())
def test_junk_queries_parse_or_are_a_usage_error(text: str) -> None:
    try:
        query = search.parse_query(text)
    except UsageError as error:
        assert "\n" not in str(error)
    else:
        assert 1 <= len(query.terms) <= search.MAX_TERMS
        assert all(re.fullmatch(r"\w+", term.text) for term in query.terms)


def a_case(**extra: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "number": 1,
        "id": "ESC-1",
        "title": "Checkout fails",
        "description": "",
        "customer": {"name": None, "tier": None},
        "created_at": "2026-11-23T10:00:00Z",
        "steps": {},
        "timeline": [],
    }
    case.update(extra)
    return case


def test_whole_words_match_and_a_prefix_needs_its_star() -> None:
    case = a_case(description="payments time out at checkout")
    for wanted in ("checkout", "CHECKOUT fails", "payments", "pay*", "time out", "check*"):
        assert search.hit(search.parse_query(wanted), case) is not None, wanted
    for unwanted in ("pay", "check", "checkouts", "payments refund", "out*x"):
        assert search.hit(search.parse_query(unwanted), case) is None, unwanted


def test_every_text_of_a_case_is_searched_and_named_in_matched() -> None:
    case = a_case(
        title="zz1",
        description="zz2",
        customer={"name": "zz3", "tier": "vip"},
        tags=["zz4"],
        resolution="zz5",
        steps={
            "gather": {"facts": [{"text": "zz6"}], "whys": [{"text": "zz7"}]},
            "assess": {"impact": "zz8", "root_cause": "zz9"},
            "brainstorm": {"options": [{"n": 1, "text": "zz10"}]},
            "implement": {"actions": [{"n": 1, "text": "zz11"}]},
            "learn": {"lessons": [{"text": "zz12"}], "prevent": [{"text": "zz13"}]},
        },
        timeline=[
            {"at": "2026-11-23T10:05:00Z", "kind": "update", "text": "zz14"},
            {"at": "2026-11-23T10:06:00Z", "kind": "note", "text": "zz15"},
            {"at": "2026-11-23T10:07:00Z", "kind": "held", "text": "zz16"},
        ],
    )
    found = search.hit(search.parse_query("zz*"), case)
    assert found is not None
    assert found.matched == [
        "title",
        "description",
        "customer",
        "tags",
        "facts",
        "whys",
        "impact",
        "root_cause",
        "options",
        "actions",
        "resolution",
        "lessons",
        "prevention",
        "updates",
        "notes",
        "timeline",
    ]
    assert found.score == search.TITLE_WEIGHT + 15
    assert found.updated == "2026-11-23T10:07:00Z"


def test_machine_written_and_repeated_event_texts_are_not_searched() -> None:
    case = a_case(
        timeline=[
            {"at": "2026-11-23T10:00:00Z", "kind": "opened", "text": "opened at Frontline"},
            {"at": "2026-11-23T10:00:00Z", "kind": "notified", "text": "notified frontline"},
            {"at": "2026-11-23T10:01:00Z", "kind": "step", "text": "gather: disk full"},
        ]
    )
    for word in ("opened", "frontline", "disk"):
        assert search.hit(search.parse_query(word), case) is None, word


def test_hand_edited_cases_of_any_shape_are_searched_without_failing() -> None:
    odd = a_case(
        title=7,
        customer="Initech",
        tags="vip",
        steps={"gather": {"facts": ["loose", {"text": None}]}, "assess": []},
        timeline=[None, {"kind": 3, "text": "checkout"}, {"text": ["x"]}],
    )
    found = search.hit(search.parse_query("checkout"), odd)
    assert found is not None and found.matched == ["timeline"]


def test_title_matches_rank_first_then_more_matches_then_the_latest_change() -> None:
    in_title = a_case(number=1, title="Disk full")
    twice = a_case(number=2, title="x", description="disk disk")
    once_later = a_case(number=3, title="x", description="disk", timeline=[
        {"at": "2026-11-24T10:00:00Z", "kind": "update", "text": "still"}
    ])  # fmt: skip
    once = a_case(number=4, title="x", description="disk")
    ranked = search.ranked(search.parse_query("disk"), [once, once_later, twice, in_title])
    assert [h.case["number"] for h in ranked] == [1, 2, 3, 4]
    assert [h.score for h in ranked] == [3, 2, 1, 1]


@given(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.booleans(),
)
def test_the_byte_screen_never_turns_away_a_case_that_matches(
    title: str, word: str, prefix: bool
) -> None:
    try:
        query = search.parse_query(word + ("*" if prefix else ""))
    except UsageError:
        return
    case = a_case(title=title, description=f'{title}\n\x1b"{word}\\')
    for raw in (json.dumps(case).encode(), json.dumps(case, ensure_ascii=False).encode()):
        if search.hit(query, case) is not None:
            assert query.screen(raw), (raw, query)


def test_the_byte_screen_turns_away_cases_without_the_words() -> None:
    query = search.parse_query("checkout café")
    assert not query.screen(json.dumps(a_case(title="Checkout fails")).encode())
    assert query.screen(json.dumps(a_case(title="CAFÉ checkout"), ensure_ascii=False).encode())


# --- both stores ------------------------------------------------------------------------------


def build(location: str) -> None:
    """The same history in either store: open cases, a resolved one, closed ones."""
    with Session(location, BASIC_MATRIX, now=T0, user="sam") as session:
        session.open("Checkout fails for EU customers", customer="Initech", severity="sev1")
        session.open("Printer on fire", description="the checkout printer in Straße 5")
        session.gather("ESC-2", facts=["Payment timeout after 30s"], whys=["gateway slow"])
        session.update("ESC-1", "Payments time out at the gateway")
        session.open("Login page slow", customer="Globex", tier="vip")
        session.resolve("ESC-3", "CDN cache flushed; login fast again")
        session.open("Refund stuck", description="payment refund never arrives")
        session.resolve("ESC-4", "payment provider fixed the refund queue")
        session.close("ESC-4")
        session.resolve("ESC-2", "printer replaced")
        session.close("ESC-2")
    later = T0 + timedelta(days=3)
    with Session(location, BASIC_MATRIX, now=later, user="sam") as session:
        session.open("Payment page blank", description="checkout shows nothing")


QUERIES = [
    ("checkout", {}),
    ("payment", {}),
    ("pay*", {}),
    ("PAYMENT gateway", {}),
    ("strasse", {}),
    ("time*", {"status": "closed"}),
    ("checkout", {"status": "active"}),
    ("payment", {"since": T0 + timedelta(days=1)}),
    ("login", {"status": "resolved"}),
    ("nothing-at-all", {}),
    ("zebra", {}),
]


def answers(location: str) -> list[list[dict[str, Any]]]:
    with Session(location, BASIC_MATRIX, now=T0 + timedelta(days=4)) as session:
        return [[h.json() for h in session.search(q, **kw).hits] for q, kw in QUERIES]


def test_both_stores_find_and_rank_the_same_cases(tmp_path: Path, pg_url: str) -> None:
    on_json = str(tmp_path / "cases.json")
    build(on_json)
    build(pg_url)
    found = answers(on_json)
    assert found == answers(pg_url)
    ids = [[row["case"] for row in rows] for rows in found]
    assert ids[0] == ["ESC-1", "ESC-5", "ESC-2"]  # the title first, then the latest change
    assert ids[1] == ["ESC-5", "ESC-4", "ESC-2"]  # whole words: ESC-1 says "Payments"
    assert ids[2] == ["ESC-5", "ESC-4", "ESC-2", "ESC-1"]
    assert [row["matched"] for row in found[2]][1:] == [
        ["description", "resolution"],
        ["facts"],
        ["updates"],
    ]
    assert ids[3] == ["ESC-2"]  # every word, in any fields
    assert ids[4] == ["ESC-2"]
    assert ids[5] == ["ESC-2"]
    assert ids[6] == ["ESC-1", "ESC-5"]
    assert ids[7] == ["ESC-5"]
    assert ids[8] == ["ESC-3"]
    assert ids[9] == ids[10] == []


def test_postgres_reads_only_the_cases_its_index_finds(pg_url: str) -> None:
    build(pg_url)
    store = PgStore(pg_url)
    try:
        numbers = [c["number"] for c in store.search(search.parse_query("gateway"), archived=True)]
        assert numbers == [1, 2]
        assert store.search(search.parse_query("zebra"), archived=True) == []
        assert [c["number"] for c in store.search(search.parse_query("print*"))] == []
        with store._cursor() as cur:
            cur.execute("SELECT count(*) FROM cases WHERE search_words IS NULL")
            assert cur.fetchone() == (0,)
    finally:
        store.close()


def test_the_migration_indexes_cases_written_before_it(tmp_path: Path, pg_url: str) -> None:
    build(pg_url)
    store = PgStore(pg_url)
    try:
        with store._cursor() as cur:  # as migration 3 left it
            cur.execute("ALTER TABLE cases DROP COLUMN search, DROP COLUMN search_words")
            cur.execute("DELETE FROM schema_version WHERE version = 4")
        migrated = PgStore(pg_url)
        migrated.prepare()
        with migrated._cursor() as cur:
            cur.execute("SELECT count(*) FROM cases WHERE search_words IS NULL")
            assert cur.fetchone() == (0,)
        migrated.close()
        on_json = str(tmp_path / "cases.json")
        build(on_json)
        assert answers(pg_url) == answers(on_json)
    finally:
        store.close()


def test_a_case_too_large_to_index_is_still_found(pg_url: str) -> None:
    with Session(pg_url, BASIC_MATRIX, now=T0, user="sam") as session:
        huge = " ".join(f"w{n}" for n in range(60_000))
        session.open("Big dump", description=huge + " needle")
        session.open("Small one")
        store = PgStore(pg_url)
        try:
            with store._cursor() as cur:
                cur.execute("SELECT number FROM cases WHERE search_words IS NULL")
                assert cur.fetchall() == [(1,)]
        finally:
            store.close()
        assert [h.case["id"] for h in session.search("needle").hits] == ["ESC-1"]
        assert session.search("small").hits[0].case["id"] == "ESC-2"
