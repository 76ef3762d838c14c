"""Shared by the routing-engine tests: the timing matrix, a fixed clock and small case builders.

The clock starts at Monday 2026-11-23 10:00 UTC, as in tests/data/routing.yaml's notes: L1 ack
10m, after 1h, min_time 30m | L2 after 2h | L3 ack 5m | L4 top | sev1 ack 15m, resolve 4h, start
L2 | sev2 ack 30m, resolve 8h | sev3 ack 1d, resolve 1w | sev4 no SLA.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.matrix.model import Action, Conditions, Matrix, Trigger
from tests.conftest import ROOT

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def mins(n: float) -> datetime:
    """The instant `n` minutes after T0."""
    return T0 + timedelta(minutes=n)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@cache
def routing_matrix() -> Matrix:
    return load_matrix(ROOT / "tests" / "data" / "routing.yaml")


def with_triggers(*triggers: Trigger, matrix: Matrix | None = None) -> Matrix:
    """The routing matrix (or `matrix`) with only these triggers."""
    return replace(matrix or routing_matrix(), triggers=triggers)


def trigger(trigger_id: str, then: Action | str = "escalate", **when: Any) -> Trigger:
    """`trigger("t", Action("jump", "L3"), at_level_for=minutes(20))`; lists become tuples."""
    action = Action("escalate") if then == "escalate" else then
    assert isinstance(action, Action)
    conditions = {k: tuple(v) if isinstance(v, list) else v for k, v in when.items()}
    return Trigger(trigger_id, Conditions(**conditions), action)


def open_at(
    matrix: Matrix | None = None, title: str = "Printer on fire", now: datetime = T0, **request: Any
) -> dict[str, Any]:
    """A new case opened at `now` (default sev3 on the default path)."""
    return new_case(matrix or routing_matrix(), 1, OpenRequest(title, **request), now)


def held(*spans: tuple[float, float | None], until: bool = False) -> dict[str, Any]:
    """A bare case with holds over the given minute spans; None ends an ongoing open hold.

    With `until`, an ended hold is written as a planned `--until` nobody settled yet (status
    on_hold), which must count exactly as if it had ended then.
    """
    holds = []
    for start, end in spans:
        stamp = mins(end).isoformat() if end is not None else None
        holds.append(
            {
                "since": mins(start).isoformat(),
                "until": stamp if until else None,
                "ended_at": None if until else stamp,
                "reason": "test",
                "by": None,
                "status_before": "open",
            }
        )
    ongoing = holds and (until or spans[-1][1] is None)
    return {"status": "on_hold" if ongoing else "open", "holds": holds}


def kinds(case: dict[str, Any]) -> list[str]:
    return [entry["kind"] for entry in case["timeline"]]


def events(case: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [entry for entry in case["timeline"] if entry["kind"] == kind]
