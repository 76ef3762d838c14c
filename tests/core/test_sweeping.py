"""Sweeping one case and a whole store, and simulating a new case, through the core API.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml unless a test
builds its own matrix.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.cases import lifecycle, planning
from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.cases.escalation import sweep_case
from escalate_cli.core.engine import routing
from escalate_cli.core.matrix.model import Action, Contact, Level, Matrix, Severity
from escalate_cli.core.matrix.model import Path as MatrixPath
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.sweeping import sweep_store
from tests.core.routing_helpers import T0, mins, minutes, open_at, routing_matrix, trigger

M = routing_matrix()


# sweep_case -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("level", "L9", 'level "L9" is no longer in the matrix'),
        ("type", "gone", 'path "gone" is no longer in the matrix'),
    ],
)
def test_sweeping_a_case_the_matrix_lost_track_of_reports_it_and_changes_nothing(
    field: str, value: str, problem: str
) -> None:
    case = open_at(title="a lawyer phoned", severity="sev1")
    case[field] = value
    before = copy.deepcopy(case)
    result = sweep_case(M, case, mins(600))
    assert (result.problem, result.changed, result.escalated) == (problem, False, None)
    assert case == before
    assert planning.next_view(M, case, mins(600)).problem


def test_a_resolved_case_the_matrix_lost_track_of_is_no_problem() -> None:
    case = open_at()
    lifecycle.resolve(M, case, mins(1), "fixed", None)
    case["level"] = "L9"
    assert sweep_case(M, case, mins(600)).problem is None


def test_a_sweep_after_a_long_gap_makes_one_move_and_records_every_breach() -> None:
    case = open_at(severity="sev2")
    result = sweep_case(M, case, mins(10_000))
    assert result.escalated is not None
    assert (result.escalated["from"], result.escalated["to"]) == ("L1", "L2")
    assert result.escalated["at"] == "2026-11-30T08:40:00Z"  # the sweep's time, not the due one
    assert sorted((b["sla"], b["at"]) for b in result.breaches) == [
        ("ack", "2026-11-23T10:30:00Z"),  # each dated at its deadline
        ("resolve", "2026-11-23T18:00:00Z"),
    ]
    assert len(case["escalations"]) == 1


# next_view on held cases ------------------------------------------------------------------------


def next_of(case: dict[str, Any], minute: float) -> dict[str, Any]:
    view = planning.next_view(M, case, mins(minute))
    assert view.data["next"] is not None
    return view.data["next"]


def test_next_on_an_open_hold_offers_a_manual_escalation_with_no_due_time() -> None:
    case = open_at(title="a lawyer phoned", severity="sev4")  # legal-threat would act at once
    lifecycle.hold(M, case, mins(5), None, "waiting", None)
    shown = next_of(case, 30)
    assert (shown["level"], shown["due_at"], shown["trigger"]) == ("L2", None, None)
    assert shown["reason"] == "on hold, timers paused until resumed"


def test_next_on_a_planned_hold_gives_a_move_overdue_before_it_for_when_it_ends() -> None:
    case = open_at(severity="sev4")  # L1's ack due at 10:10, then held 10:20-11:00
    lifecycle.hold(M, case, mins(20), mins(60), "customer in a meeting", None)
    shown = next_of(case, 30)
    assert (shown["level"], shown["due_at"]) == ("L2", "2026-11-23T11:00:00Z")


def test_next_reads_a_hold_past_its_until_as_over_without_writing_the_case() -> None:
    case = open_at(severity="sev4")
    lifecycle.hold(M, case, mins(5), mins(20), "waiting", None)
    before = copy.deepcopy(case)
    assert next_of(case, 30)["due_at"] == "2026-11-23T10:25:00Z"  # 15 minutes on hold
    assert case == before


# simulate ---------------------------------------------------------------------------------------


def ladder(*, top_external: bool = False, **top: Any) -> Matrix:
    """Two levels with `after` timers; the top's own timers are given."""
    path = MatrixPath(("A", "B"), external=("outside",) if top_external else ())
    return Matrix(
        levels=(Level("A", ("a",), after=timedelta(hours=1)), Level("B", ("b",), **top)),
        contacts=(Contact("a"), Contact("b"), Contact("outside", external=True)),
        paths={"default": path},
        severities=(Severity("s", ack=timedelta(minutes=5), resolve=timedelta(hours=2)),),
    )


def simulated(matrix: Matrix) -> list[tuple[str, str, str]]:
    timeline = planning.simulate(matrix, OpenRequest("What if"), T0)
    return [
        (e["at"][11:16], e["level"], ",".join(c["id"] for c in e["contacts"])) for e in timeline
    ]


@pytest.mark.parametrize(
    "top", [{"after": timedelta(minutes=30)}, {"ack": timedelta(minutes=1)}, {}]
)
def test_simulate_stops_at_the_top_when_its_timers_have_nowhere_to_go(top: Any) -> None:
    # What is left at the top is the resolve SLA's breach, which tells the top
    # (docs/notifications.md).
    expected = [("10:00", "A", "a"), ("10:05", "B", "b"), ("12:00", "B", "b")]
    assert simulated(ladder(**top)) == expected


def test_simulate_calls_the_externals_once_beyond_the_top() -> None:
    assert simulated(ladder(top_external=True, after=timedelta(minutes=30))) == [
        ("10:00", "A", "a"),
        ("10:05", "B", "b"),
        ("10:35", "B", "outside"),
        ("12:00", "B", "b"),  # the resolve SLA's breach at the top tells the top
    ]


def test_simulate_fires_each_trigger_once_even_with_no_conditions() -> None:
    base = ladder(after=timedelta(minutes=30))
    matrix = Matrix(
        levels=base.levels,
        contacts=base.contacts,
        paths=base.paths,
        triggers=(
            trigger("shout", Action("notify", contacts=("outside",))),
            trigger("again", Action("notify", contacts=("b",)), silent_for=minutes(10)),
        ),
    )
    assert simulated(matrix) == [
        ("10:00", "A", "a"),
        ("10:00", "A", "outside"),
        ("10:10", "A", "b"),
        ("11:00", "B", "b"),
    ]


# sweep_store ------------------------------------------------------------------------------------


def fill(store: CaseStore) -> None:
    """Cases in many states: due to move, held, resolved, lost, quiet, at the top."""
    requests = [
        OpenRequest("Printer on fire", severity="sev2"),
        OpenRequest("A lawyer wrote", severity="sev1"),
        OpenRequest("Total outage", tier="gold"),
        OpenRequest("Waiting on parts", severity="sev2"),
        OpenRequest("Done already"),
        OpenRequest("Lost level"),
        OpenRequest("Quiet", severity="sev4"),
        OpenRequest("At the top", severity="sev1", type="legal"),
    ]
    with store.transaction() as tx:
        for request in requests:
            number = tx.next_number()
            case = new_case(M, number, request, T0)
            if request.title == "Waiting on parts":
                lifecycle.hold(M, case, mins(5), mins(20), "parts", None)
            if request.title == "Done already":
                lifecycle.resolve(M, case, mins(1), "fixed", None)
            if request.title == "Quiet":
                lifecycle.acknowledge(M, case, mins(1), "desk", None)
            if request.title == "Lost level":
                case["level"] = "L9"
            if request.title == "At the top":
                case["level"] = "L4"
            tx.put(case)


def store_bytes(store: CaseStore) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(store.path.parent.glob("cases*.json"))}


@pytest.mark.parametrize("minute", [5, 30, 65, 600])
def test_sweep_dry_run_reports_exactly_what_the_real_sweep_does_and_writes_nothing(
    tmp_path: Path, minute: int
) -> None:
    store = CaseStore(tmp_path / "cases.json", lock_timeout=5)
    fill(store)
    before = store_bytes(store)
    dry = sweep_store(store, M, mins(minute), dry_run=True)
    assert store_bytes(store) == before
    real = sweep_store(store, M, mins(minute), dry_run=False)
    assert real == dry
    assert dry["problems"] == [
        {"case": "ESC-6", "problem": 'level "L9" is no longer in the matrix'}
    ]
    assert dry["checked"] == 7  # the resolved case is not checked


def test_a_real_sweep_writes_the_moves_and_a_second_sweep_at_once_finds_nothing_new(
    tmp_path: Path,
) -> None:
    store = CaseStore(tmp_path / "cases.json", lock_timeout=5)
    fill(store)
    report = sweep_store(store, M, mins(30), dry_run=False)
    moved = {(e["case"], e["from"], e["to"], e["trigger"]) for e in report["escalated"]}
    assert moved == {
        ("ESC-1", "L1", "L2", None),
        ("ESC-2", "L2", "L3", "legal-threat"),
        ("ESC-3", "L1", "L2", "gold-unacked"),  # ties outage-raise, listed first
        ("ESC-4", "L1", "L2", None),  # L1's ack, 15 minutes late after the hold
        ("ESC-8", "L4", "L4", None),  # beyond the top of legal: the regulator
    }
    assert {"case": "ESC-8", "sla": "ack", "at": "2026-11-23T10:15:00Z"} in report["breached"]
    stored = {case["id"]: case for case in store.cases(archived=True)}
    assert stored["ESC-1"]["level"] == "L2"
    assert stored["ESC-4"]["status"] == "open"  # its hold ended at 10:20, by itself
    assert routing.due_now(M, stored["ESC-1"], mins(30)).move is None
