"""`escalate search`: the words of a query, the words of a case, and how well they match.

Both stores answer through `ranked`: a store only narrows the cases down (the JSON store by a
byte screen, PostgreSQL by full-text search), and the words are confirmed and scored here, so
the two stores find and order the same cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from escalate_cli.core.engine.timers import fold
from escalate_cli.core.errors import UsageError

_WORD = re.compile(r"\w+")
_TERM = re.compile(r"(\w+)(\*?)")
MAX_TERMS = 32  # a query is typed by a person; this keeps the SQL and the work per case small
TITLE_WEIGHT = 3  # a word in the title says more about a case than one in its history

# Timeline events whose text a machine wrote, or that repeat what another field holds already
# (a step's data, the resolution): their words would match every case, or count twice.
_ECHOES = frozenset(
    ("opened", "notified", "skipped", "breached", "triggered", "step", "resolved", "closed")
)

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
_EVENT_FIELDS = {"update": "updates", "note": "notes"}


@dataclass(frozen=True, eq=False)
class Term:
    """One word of a query, folded; `prefix`: typed with a trailing `*`, it matches any word
    it begins."""

    text: str
    prefix: bool

    def found_in(self, word: str) -> bool:
        return word.startswith(self.text) if self.prefix else word == self.text


@dataclass(frozen=True, eq=False)
class Query:
    """What `escalate search TEXT` looks for: every term, in any field."""

    terms: tuple[Term, ...]

    def screen(self, raw: bytes | memoryview) -> bool:
        """Whether a case's stored JSON text may hold every term: never False for a case that
        does. Every word of a case stands in its JSON as it is (JSON escapes only quotes,
        backslashes and control characters, none of them word characters), so a term absent
        from the folded text is absent from the case. Most cases are ASCII, where lowering
        the bytes is folding them; text with `\\u` escapes is left to the full check."""
        data = bytes(raw)
        if data.isascii():
            if b"\\u" in data:
                return True
            lowered = data.lower()
            return all(term.text.isascii() and term.text.encode() in lowered for term in self.terms)
        folded = fold(data.decode("utf-8", "replace"))
        return all(term.text in folded for term in self.terms)


def parse_query(text: str) -> Query:
    """The words of TEXT, folded as keywords are (`timers.fold`); `word*` is a prefix. No word
    at all, or more than MAX_TERMS, is a usage error."""
    terms: dict[tuple[str, bool], Term] = {}
    for match in _TERM.finditer(fold(text)):
        word, star = match[1], bool(match[2])
        terms.setdefault((word, star), Term(word, star))
    if not terms:
        raise UsageError("search needs at least one word to look for, e.g. escalate search timeout")
    if len(terms) > MAX_TERMS:
        raise UsageError(f"search takes at most {MAX_TERMS} words; leave out the common ones")
    return Query(tuple(terms.values()))


def _texts(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else []


def _mapping(value: Any) -> dict[str, Any]:
    """A part of a case that should be an object; {} for anything else (a hand edit)."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _items(steps: dict[str, Any], step: str, key: str) -> list[str]:
    """The texts of a step's list of items (facts, whys, lessons, ...), whatever is stored."""
    items = _list(_mapping(steps.get(step)).get(key))
    return [text for item in items for text in _texts(_mapping(item).get("text"))]


def case_fields(case: Case) -> list[tuple[str, str]]:
    """Every text a case holds, each with the field it is in, as `matched` names it."""
    steps = _mapping(case.get("steps"))
    customer, assess = _mapping(case.get("customer")), _mapping(steps.get("assess"))
    tags = case.get("tags")
    fields: list[tuple[str, str]] = [("title", text) for text in _texts(case.get("title"))]
    fields += [("description", text) for text in _texts(case.get("description"))]
    fields += [("customer", text) for key in ("name", "tier") for text in _texts(customer.get(key))]
    fields += [("tags", text) for tag in _list(tags) for text in _texts(tag)]
    fields += [("facts", text) for text in _items(steps, "gather", "facts")]
    fields += [("whys", text) for text in _items(steps, "gather", "whys")]
    fields += [("impact", text) for text in _texts(assess.get("impact"))]
    fields += [("root_cause", text) for text in _texts(assess.get("root_cause"))]
    fields += [("options", text) for text in _items(steps, "brainstorm", "options")]
    fields += [("actions", text) for text in _items(steps, "implement", "actions")]
    fields += [("resolution", text) for text in _texts(case.get("resolution"))]
    fields += [("lessons", text) for text in _items(steps, "learn", "lessons")]
    fields += [("prevention", text) for text in _items(steps, "learn", "prevent")]
    for entry in _list(case.get("timeline")):
        kind = _mapping(entry).get("kind")
        if kind not in _ECHOES:
            name = _EVENT_FIELDS.get(kind, "timeline") if isinstance(kind, str) else "timeline"
            fields += [(name, text) for text in _texts(_mapping(entry).get("text"))]
    return fields


def words(text: str) -> list[str]:
    """The words of a text as a query's terms compare with them."""
    return _WORD.findall(fold(text))


def case_words(case: Case) -> str:
    """Each distinct word of a case once, space-separated: what the PostgreSQL store indexes
    (see store_pg_schema, migration 4)."""
    found: dict[str, None] = {}
    for _, text in case_fields(case):
        found.update(dict.fromkeys(words(text)))
    return " ".join(found)


@dataclass(frozen=True, eq=False)
class Hit:
    """A case that holds every word: its score (each of its words that a term matches counts
    1, or TITLE_WEIGHT in the title), the fields those words are in, and when it last
    changed."""

    case: Case
    score: int
    matched: list[str]
    updated: str

    def json(self) -> dict[str, Any]:
        case = self.case
        return {
            "case": case.get("id"),
            "title": case.get("title"),
            "status": case.get("status"),
            "severity": case.get("severity"),
            "customer": _mapping(case.get("customer")).get("name"),
            "created_at": case.get("created_at"),
            "updated_at": self.updated,
            "score": self.score,
            "matched": self.matched,
        }


def updated_at(case: Case) -> str:
    """When the case last changed: its latest timeline event, else when it was opened. Stored
    times are UTC ISO-8601 to the second, so they compare as text."""
    stamps = [
        at for e in _list(case.get("timeline")) if isinstance(at := _mapping(e).get("at"), str)
    ]
    opened = case.get("created_at")
    return max(stamps, default=opened if isinstance(opened, str) else "")


def hit(query: Query, case: Case) -> Hit | None:
    """The case scored against the query, or None when some term is in none of its fields."""
    found: set[int] = set()
    score = 0
    matched: dict[str, None] = {}
    for field, text in case_fields(case):
        for word in words(text):
            hits = [n for n, term in enumerate(query.terms) if term.found_in(word)]
            if hits:
                found.update(hits)
                score += TITLE_WEIGHT if field == "title" else 1
                matched[field] = None
    if len(found) < len(query.terms):
        return None
    return Hit(case, score, list(matched), updated_at(case))


def ranked(query: Query, cases: Iterable[Case]) -> list[Hit]:
    """The cases that hold every term, best first: the highest score, then the latest change,
    then the newest case."""
    hits = [found for case in cases if (found := hit(query, case)) is not None]
    hits.sort(key=lambda h: (h.score, h.updated, h.case.get("number", 0)), reverse=True)
    return hits


@dataclass(eq=False)
class Searched:
    """What `escalate search` found, best first; `skipped`: each stored case left out with the
    unusable time in it; `team`: the matrix the cases were picked for (None: every team's)."""

    hits: list[Hit]
    skipped: list[tuple[Case, str]]
    team: str | None
