"""`board.board`, the rows of `escalate watch`: one per active case, overdue first, then the
soonest due, then what has nothing due; due times and `overdue` are routing's one answer.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml: L1 ack
10m, after 1h | L2 after 2h | L3 ack 5m | L4 top | sev1 ack 15m, resolve 4h, start L2 | sev3 ack
1d, resolve 1w | sev4 no SLA | legal: [L3, L4], external regulator.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.board import BoardRow, board, countdown, span
from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.cases.escalation import sweep_case
from escalate_cli.core.cases.planning import next_view
from escalate_cli.core.engine import routing
from tests.core.routing_helpers import T0, mins, routing_matrix

ROW_KEYS = [
    "case",
    "title",
    "severity",
    "level",
    "owner",
    "status",
    "next_level",
    "due_at",
    "overdue",
    "breached",
]


def opened(number: int, title: str, at: datetime = T0, **request: Any) -> dict[str, Any]:
    return new_case(routing_matrix(), number, OpenRequest(title, **request), at)


def ids(rows: list[BoardRow]) -> list[str]:
    return [row.case for row in rows]


def test_overdue_first_longest_overdue_on_top_then_soonest_then_nothing_due() -> None:
    matrix = routing_matrix()
    late = opened(1, "L1 ack due at 10")  # sev3 at L1: ack 10m
    later = opened(2, "sev1 at L2, ack SLA due at 15", severity="sev1")
    soon = opened(3, "opened at 30, ack due at 40", at=mins(30))
    calm = opened(4, "opened at 25, ack due at 35", at=mins(25))
    idle = opened(5, "at the top, no SLA", severity="sev4")
    idle["level"] = "L4"
    rows = board(matrix, [idle, soon, calm, later, late], mins(32))
    assert ids(rows) == ["ESC-1", "ESC-2", "ESC-4", "ESC-3", "ESC-5"]
    assert [row.overdue for row in rows] == [True, True, False, False, False]
    assert [row.due_at for row in rows] == [mins(10), mins(15), mins(35), mins(40), None]
    assert [countdown(row, mins(32)) for row in rows] == [
        "overdue 22m",
        "overdue 17m",
        "in 3m",
        "in 8m",
        "-",
    ]


def test_due_at_and_overdue_are_routing_next_due_and_the_level_is_the_one_next_names() -> None:
    matrix = routing_matrix()
    cases = [
        opened(1, "plain"),
        opened(2, "critical", severity="sev1"),
        opened(3, "our lawyer calls"),  # legal-threat: moves to the legal path
        opened(4, "gold, silent", tier="gold"),
    ]
    for now in (T0, mins(9), mins(10), mins(16), mins(200)):
        rows = sorted(board(matrix, cases, now), key=lambda r: r.number)
        for row, case in zip(rows, cases, strict=True):
            found = routing.next_due(matrix, case, now)
            assert row.due_at == (found.at if found else None), (row.case, now)
            assert row.overdue == routing.is_overdue(matrix, case, now), (row.case, now)
            shown = next_view(matrix, case, now).data["next"]
            assert row.next_level == (shown["level"] if shown else None), (row.case, now)


def test_each_row_holds_the_case_fields_and_its_json_has_the_spec_keys_in_order() -> None:
    matrix = routing_matrix()
    case = opened(1, "critical", severity="sev1", customer="Initech")
    sweep_case(matrix, case, mins(20))  # ack SLA breached at 15
    (row,) = board(matrix, [case], mins(20))
    assert (row.case, row.title, row.severity, row.level, row.owner, row.status) == (
        "ESC-1",
        "critical",
        "sev1",
        case["level"],
        case["owner"],
        "open",
    )
    assert row.breached == ["ack"]
    data = row.to_json()
    assert list(data) == ROW_KEYS
    assert data["breached"] == ["ack"] and isinstance(data["overdue"], bool)
    assert data["due_at"] is None or data["due_at"].endswith("Z")


def test_only_active_cases_are_on_the_board() -> None:
    matrix = routing_matrix()
    done = opened(1, "done")
    lifecycle.resolve(matrix, done, mins(5), "fixed", None)
    closed = opened(2, "gone")
    closed["status"] = "closed"
    acked = opened(3, "seen")
    lifecycle.acknowledge(matrix, acked, mins(1), None, None)
    held = opened(4, "waiting")
    lifecycle.hold(matrix, held, mins(1), None, "customer away", None)
    rows = board(matrix, [done, closed, acked, held, opened(5, "new")], mins(6))
    assert sorted(row.case for row in rows) == ["ESC-3", "ESC-4", "ESC-5"]
    waiting = next(row for row in rows if row.case == "ESC-4")
    # On hold with no end: nothing is due; `next` still names where `up` would go.
    assert (waiting.due_at, waiting.overdue, waiting.next_level) == (None, False, "L2")
    assert ids(rows)[-1] == "ESC-4"


def test_a_hold_past_its_until_is_over_on_the_board() -> None:
    matrix = routing_matrix()
    case = opened(1, "waiting")
    lifecycle.hold(matrix, case, mins(1), mins(30), "customer away", None)
    (row,) = board(matrix, [case], mins(31))
    assert row.status == "open"
    (before,) = board(matrix, [case], mins(20))
    assert before.status == "on_hold" and not before.overdue
    assert before.due_at == mins(39)  # the 9 minutes of ack left, from the end of the hold


def test_the_external_contacts_are_the_next_move_at_the_top_of_a_path_that_has_them() -> None:
    matrix = routing_matrix()
    case = opened(1, "regulator matter", type="legal", severity="sev4")
    case["level"] = "L4"
    (row,) = board(matrix, [case], T0)
    assert row.external and row.next_level is None
    assert row.to_json()["next_level"] is None
    case["escalations"].append({"external": True})
    (told,) = board(matrix, [case], T0)
    assert not told.external and told.next_level is None


def test_a_case_routing_cannot_run_on_is_shown_with_nothing_due_and_its_problem() -> None:
    matrix = routing_matrix()
    gone = opened(1, "level removed")
    gone["level"] = "L9"
    rows = board(matrix, [gone, opened(2, "fine")], T0)
    assert ids(rows) == ["ESC-2", "ESC-1"]
    assert rows[1].problem == 'level "L9" is no longer in the matrix'
    assert (rows[1].due_at, rows[1].overdue, rows[1].next_level) == (None, False, None)


def test_ties_go_by_case_number() -> None:
    matrix = routing_matrix()
    rows = board(matrix, [opened(3, "c"), opened(1, "a"), opened(2, "b")], mins(12))
    assert ids(rows) == ["ESC-1", "ESC-2", "ESC-3"]


def test_countdowns_read_in_two_units_at_most() -> None:
    assert [span(s) for s in (0, 45, 60, 719, 3600, 3900, 86399, 86400, 93600)] == [
        "0s",
        "45s",
        "1m",
        "11m",
        "1h00m",
        "1h05m",
        "23h59m",
        "1d00h",
        "1d02h",
    ]
    row = board(routing_matrix(), [opened(1, "a")], T0)[0]  # ack due at 10
    assert countdown(row, mins(9.5)) == "in 30s"
    due = replace(row, overdue=True)
    assert countdown(due, mins(10)) == "overdue 0s"
    assert countdown(due, mins(13.99)) == "overdue 3m"


def test_a_team_sees_its_own_cases_and_those_from_before_cases_recorded_their_matrix() -> None:
    matrix = routing_matrix()
    ours, theirs, older = opened(1, "ours"), opened(2, "theirs"), opened(3, "older")
    ours["matrix"], theirs["matrix"] = "Routing timing tests", "Billing"
    older.pop("matrix", None)
    assert ids(board(matrix, [ours, theirs, older], T0, "Routing timing tests")) == [
        "ESC-1",
        "ESC-3",
    ]
    assert len(board(matrix, [ours, theirs, older], T0)) == 3  # no team: every case
