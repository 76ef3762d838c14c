"""The brief and the Markdown report as plain functions, on cases filled in by hand."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalate_cli.core.cases.document import Case, OpenRequest, new_case
from escalate_cli.core.documents import brief as documents
from escalate_cli.core.documents.case_report import cell, item, one_line, report_markdown
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.text.visible import visible
from escalate_cli.core.time import timing
from tests.conftest import BASIC_MATRIX, ROOT

OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MATRIX = load_matrix(BASIC_MATRIX)


def at(minutes: float) -> datetime:
    return OPENED + timedelta(minutes=minutes)


def stamp(minutes: float) -> str:
    return timing.to_iso(at(minutes))


def opened(title: str = "Checkout fails", **request: Any) -> Case:
    return new_case(MATRIX, 1, OpenRequest(title, **request), OPENED)


def entry(text: str, minutes: float = 10, by: str | None = "sam") -> dict[str, Any]:
    return {"text": text, "at": stamp(minutes), "by": by}


def action(n: int, text: str, done: bool = False, due: str | None = None) -> dict[str, Any]:
    return {
        "n": n,
        "text": text,
        "kind": "fix",
        "assignee": "ana",
        "due": due,
        "done": done,
        "done_at": stamp(30) if done else None,
        "at": stamp(20),
        "by": None,
    }


def worked() -> Case:
    """A case with every step filled in, in the shape docs/case.md gives."""
    case = opened("Checkout fails for EU customers", severity="sev2", customer="Initech")
    case["status"], case["acknowledged_at"] = "acknowledged", stamp(5)
    case["steps"] = {
        "acknowledge": {"by": "frontline", "at": stamp(5), "note": "on it"},
        "gather": {
            "facts": [entry("HTTP 504 from /pay")],
            "whys": [entry("gateway times out"), entry("certificate expired")],
            "attachments": [],
        },
        "assess": {"impact": "EU checkouts fail", "root_cause": "expired certificate"}
        | {"at": stamp(15), "by": "sam"},
        "convene": {"at": stamp(16), "by": "sam"},
        "brainstorm": {
            "options": [{"n": 1, **entry("Roll back")}, {"n": 2, **entry("Renew")}],
            "chosen": 2,
            "chosen_at": stamp(18),
        },
        "implement": {"actions": [action(1, "Route via US", done=True), action(2, "Renew")]},
        "learn": {"lessons": [], "prevent": [], "follow_ups": []},
    }
    return case


def test_when_span_and_relative() -> None:
    assert documents.when("2026-11-23T14:05:00Z", UTC) == "2026-11-23 14:05 UTC"
    assert documents.when(None) == "-"
    assert documents.span("2026-11-23T10:00:00Z", "2026-11-23T11:30:59Z") == "1h30m"
    assert documents.span(None, "2026-11-23T11:30:00Z") is None
    assert documents.relative(stamp(90), OPENED) == "in 1h30m"
    assert documents.relative(stamp(-5), OPENED) == "5m ago"
    assert documents.relative(stamp(0), OPENED) == "now"


def test_brief_of_a_new_case() -> None:
    data = documents.brief(MATRIX, opened(), at(5))
    assert data["ask"]["kind"] == "help"
    assert data["impact"] == {"text": None, "root_cause": None}
    assert data["tried"]["facts"] == [] and data["tried"]["acknowledged"] is None
    assert data["owner"] == {
        "id": "frontline",
        "name": "Frontline queue",
        "role": None,
        "email": "support@acme.example",
        "phone": None,
        "chat": None,
        "available": True,
    }
    # L1's 15-minute ack timer comes first; sev3's SLAs run from opening.
    assert data["deadline"]["next"]["level"] == "L2"
    assert data["deadline"]["next"]["due_at"] == stamp(15)
    assert data["deadline"]["sla"] == [
        {"sla": "ack", "due_at": stamp(240), "state": "running"},
        {"sla": "resolve", "due_at": "2026-11-26T10:00:00Z", "state": "running"},
    ]
    text = documents.brief_text(MATRIX, data, at(5), UTC)
    assert "Impact: not assessed yet\n" in text
    assert "Tried: nothing recorded yet.\n" in text
    assert "Next escalation: L2 (Support supervisor) at 2026-11-23 10:15 UTC (in 10m)" in text


def test_brief_of_a_worked_case_names_what_was_tried() -> None:
    text = documents.brief_text(MATRIX, documents.brief(MATRIX, worked(), at(40)), at(40), UTC)
    assert "Impact: EU checkouts fail\nRoot cause: expired certificate\n" in text
    assert "  Why?: gateway times out -> certificate expired\n" in text
    assert "  Options considered: 2; chosen 2: Renew\n" in text
    assert "  Action 1 (fix, ana, done): Route via US\n" in text
    assert "  Action 2 (fix, ana, open): Renew\n" in text
    assert text.endswith(
        "Details: escalate show ESC-1 (case and timeline), escalate report ESC-1 (full document)\n"
    )


def test_default_ask_follows_the_case() -> None:
    case = opened()
    assert documents.default_ask(case) == "help"
    case["steps"]["brainstorm"]["options"] = [{"n": 1, **entry("Roll back")}]
    assert documents.default_ask(case) == "decision"
    case["status"] = "resolved"
    assert documents.default_ask(case) == "awareness"


def test_ask_texts() -> None:
    case = worked()
    assert "approve option 2 (Renew)" in documents.ask_text(MATRIX, case, "decision")
    case["steps"]["brainstorm"]["chosen"] = None
    assert "choose one of the 2 options" in documents.ask_text(MATRIX, case, "decision")
    assert "how to proceed" in documents.ask_text(MATRIX, opened(), "decision")
    assert documents.ask_text(MATRIX, case, "awareness").startswith("For your awareness")
    assert documents.ask_text(MATRIX, case, "help").startswith("Please help")
    support = load_matrix(ROOT / "matrices" / "support.yaml")
    resources = documents.ask_text(support, {**case, "level": "L1"}, "resources")
    assert "beyond what L1 (Frontline support) can commit" in resources
    assert "refunds up to 50 GBP" in resources


def test_sla_states() -> None:
    case = opened(severity="sev1")  # ack 15m, resolve 4h
    assert [s["state"] for s in documents.sla_states(MATRIX, case, at(5))] == ["running"] * 2
    # Past its deadline with no sweep yet: a breach is a fact about times.
    assert documents.sla_states(MATRIX, case, at(20))[0]["state"] == "breached"
    case["acknowledged_at"] = stamp(10)
    assert documents.sla_states(MATRIX, case, at(20))[0]["state"] == "met"
    case["breached"] = ["resolve"]
    assert documents.sla_states(MATRIX, case, at(300))[1]["state"] == "breached"
    held = opened(severity="sev1")
    held["status"] = "on_hold"
    held["holds"] = [{"since": stamp(5), "until": None, "ended_at": None}]
    states = documents.sla_states(MATRIX, held, at(60))
    assert [(s["state"], s["due_at"]) for s in states] == [("paused", None)] * 2
    held["holds"][0]["until"] = stamp(65)  # an hour on hold pushes the ack SLA to 11:15
    data = documents.brief(MATRIX, held, at(60))
    text = documents.brief_text(MATRIX, data, at(60), UTC)
    assert "ack SLA paused while on hold, then due 2026-11-23 11:15 UTC;" in text


def test_brief_shows_a_few_items_and_points_to_the_report_for_the_rest() -> None:
    case = worked()
    case["steps"]["gather"]["facts"] = [entry(f"fact {n}") for n in range(1, 7)]
    case["steps"]["implement"]["actions"] = [action(n, f"step {n}") for n in range(1, 7)]
    text = documents.brief_text(MATRIX, documents.brief(MATRIX, case, at(40)), at(40), UTC)
    assert "Facts: fact 1; fact 2; fact 3; fact 4 (+2 more)\n" in text
    assert "(+2 more actions in the report)" in text
    assert "step 5" not in text


def test_brief_of_an_owner_the_matrix_no_longer_has() -> None:
    case = opened()
    case["owner"] = "ghost"
    data = documents.brief(MATRIX, case, at(5))
    assert data["owner"]["name"] == "ghost" and data["owner"]["available"] is None
    assert "Owner: ghost.\n" in documents.brief_text(MATRIX, data, at(5), UTC)


WORDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20
).filter(lambda word: word.strip() != "")
TEXTS = st.lists(WORDS, min_size=1, max_size=30).map(" ".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TEXTS, fact=TEXTS, impact=TEXTS)
def test_brief_lines_stay_short_and_keep_text_literal(title: str, fact: str, impact: str) -> None:
    case = opened(title)
    case["steps"]["gather"]["facts"] = [entry(fact)]
    case["steps"]["assess"]["impact"] = impact
    text = documents.brief_text(MATRIX, documents.brief(MATRIX, case, at(5)), at(5), UTC)
    # A word is never split, and a control character written out (`\\u202e`) makes it longer.
    assert all(len(line) <= documents.WIDTH or len(line.split()) == 1 for line in text.splitlines())
    # Only whitespace may change: the words are all there, as written (controls made visible).
    assert " ".join(visible(case["title"], lines=True).split()) in " ".join(text.split())
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


def test_cell_item_and_one_line() -> None:
    assert cell("a | b\nc\r\nd") == "a \\| b<br>c<br>d"
    assert cell(None) == "-" and cell("") == "-" and cell(3) == "3"
    assert item("first\nsecond", "   ") == "first\n   second"
    assert one_line("  two\nlines  ") == "two lines"


def pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def tables_are_whole(markdown: str) -> bool:
    """Every row of every table has as many cells as its header."""
    lines = markdown.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("|") and n + 1 < len(lines) and lines[n + 1].startswith("| ---"):
            width = pipes(line)
            rows = lines[n + 1 :]
            for row in rows[: next((i for i, r in enumerate(rows) if not r), len(rows))]:
                if pipes(row) != width:
                    return False
    return True


def test_report_of_a_worked_case() -> None:
    out = report_markdown(MATRIX, worked(), at(40), UTC)
    assert out.startswith("# ESC-1: Checkout fails for EU customers\n")
    for heading in ("## Summary", "## People", "## The seven steps", "## Escalations"):
        assert f"\n{heading}\n" in out
    assert "\n## Timeline\n" in out
    assert "| Acknowledged | 2026-11-23 10:05 UTC (5m to acknowledge) |" in out
    assert "| Open for | 40m |" in out
    assert "2. Renew **(chosen)** (sam, 2026-11-23 10:10 UTC)" in out
    # Implement counts as done only when every action is: one is still open.
    assert "- [ ] 2 actions, 1 done" in out
    assert "- [ ] Not done yet: `escalate learn ESC-1 --lesson TEXT" in out
    assert tables_are_whole(out)


def test_report_of_a_new_case_without_a_matrix_is_a_checklist() -> None:
    out = report_markdown(None, opened(), at(5), UTC)
    assert out.count("- [ ] Not done yet: `escalate ") == 7
    assert "| Owner | frontline |" in out and "| Level | L1 |" in out
    assert "None: the case stayed at the level it opened at." in out
    assert "None logged" in out


def test_report_of_a_case_whose_level_left_the_matrix() -> None:
    case = worked()
    case["level"], case["owner"] = "L9", "ghost"
    out = report_markdown(MATRIX, case, at(40), UTC)
    assert "| Level | L9 |" in out and "| Owner | ghost |" in out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=1, max_size=60).filter(lambda t: t.strip() != ""))
def test_report_tables_and_heading_survive_any_text(text: str) -> None:
    case = worked()
    case["title"] = case["description"] = case["resolution"] = text
    case["steps"]["assess"]["impact"] = text
    case["steps"]["implement"]["actions"][0]["text"] = text
    case["timeline"].append({"at": stamp(30), "kind": "update", "by": None, "text": text})
    case["timeline"][-1]["data"] = {"audience": "customer"}
    out = report_markdown(MATRIX, case, at(40), UTC)
    assert "\n" not in out.split("\n", 1)[0][2:] and out.startswith("# ESC-1: ")
    assert tables_are_whole(out)


@pytest.mark.parametrize("matrix", [MATRIX, None])
def test_report_ends_with_one_newline(matrix: Matrix | None) -> None:
    out = report_markdown(matrix, worked(), at(40), UTC)
    assert out.endswith("|\n") and not out.endswith("\n\n")


def test_report_escalations_show_path_switches_and_external_contacts() -> None:
    case = worked()
    base = {"reason": "legal threat", "trigger": "legal-threat", "by": None}
    case["escalations"] = [
        {"at": stamp(20), "from": "L3", "to": "L3", "path": "legal", **base},
        {"at": stamp(30), "from": "L4", "to": "L4", "path": "legal", "external": ["regulator"]}
        | {"reason": "beyond the top", "trigger": None, "by": "sam"},
    ]
    out = report_markdown(MATRIX, case, at(40), UTC)
    assert "| 2026-11-23 10:20 UTC | L3 | L3 | legal | legal threat | legal-threat | - |" in out
    assert "| L4 | external: regulator | legal | beyond the top | - | sam |" in out
    brief = documents.brief_text(MATRIX, documents.brief(MATRIX, case, at(40)), at(40), UTC)
    assert "escalated L3 -> L4 -> external contacts (regulator)." in brief
