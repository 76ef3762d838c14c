"""`wake.wake_at`, kept beside each case on PostgreSQL so that a sweep reads only the cases due:
it must never be later than the first moment a sweep would act on the case, and (so that the
sweep reads no more than it needs) it is that moment whenever routing can run on the case.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC) on tests/data/routing.yaml.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings

from escalate_cli.core.engine import routing
from escalate_cli.core.engine.wake import ALWAYS, matrix_key, wake_at
from escalate_cli.core.matrix import matrix_cache
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.sweeping import needs_sweep
from tests.core.routing_helpers import SECOND, minutes, open_at, routing_matrix
from tests.core.test_routing_agreement import histories, play

BASIC = Path(__file__).resolve().parents[1] / "data" / "basic.yaml"


def probes(now: datetime, *due: datetime | None) -> list[datetime]:
    """Moments worth asking about: soon, much later, and either side of each due time."""
    moments = [now, now + minutes(1), now + minutes(45), now + timedelta(days=3)]
    for at in filter(None, due):
        moments += [at - SECOND, at, at + SECOND]
    return [moment for moment in moments if moment >= now]


def assert_never_late(matrix: Matrix, case: dict[str, Any], now: datetime) -> datetime | None:
    woken = wake_at(matrix, case)
    soonest = routing.next_due(matrix, case, now)
    for at in probes(now, woken, soonest.at if soonest else None):
        if needs_sweep(matrix, case, at):
            assert woken is not None and woken <= at, (woken, at)
    if woken is None:
        return None
    if routing.problem(matrix, case) is None:
        # Not earlier than it must be: a sweep acts at the wake, not a second before.
        assert needs_sweep(matrix, case, max(woken, now))
        if woken > now:
            assert not needs_sweep(matrix, case, woken - SECOND)
    return max(woken, now)


@settings(max_examples=150, deadline=None)
@given(histories())
def test_a_sweep_never_acts_on_a_case_before_its_wake(history: dict[str, Any]) -> None:
    play(history, assert_never_late, follow=8)


def test_a_hold_with_an_end_wakes_at_its_end_and_one_without_never() -> None:
    from escalate_cli.core.cases import lifecycle

    matrix = routing_matrix()
    case = open_at(matrix, severity="sev4")
    start = datetime.fromisoformat(case["created_at"])
    until = start + minutes(90)
    lifecycle.hold(matrix, case, start + minutes(1), until, "waiting on the customer", None)
    assert wake_at(matrix, case) == until
    lifecycle.resume(matrix, case, start + minutes(2), None)
    lifecycle.hold(matrix, case, start + minutes(3), None, "waiting on the vendor", None)
    assert wake_at(matrix, case) is None


def test_a_case_routing_cannot_run_on_is_read_by_every_sweep() -> None:
    matrix = routing_matrix()
    case = open_at(matrix, severity="sev4")
    case["type"] = "a-path-since-removed"
    assert routing.problem(matrix, case) is not None
    assert wake_at(matrix, case) == ALWAYS


def test_resolved_and_closed_cases_never_wake() -> None:
    matrix = routing_matrix()
    for status in ("resolved", "closed"):
        case = open_at(matrix, severity="sev1")
        case["status"] = status
        assert wake_at(matrix, case) is None


def test_the_matrix_key_is_the_same_in_every_process_and_changes_with_the_matrix(
    tmp_path: Path,
) -> None:
    fresh = matrix_key(load_matrix(BASIC))
    assert matrix_key(matrix_cache.load(BASIC, {"XDG_CACHE_HOME": str(tmp_path)})) == fresh
    code = (
        "from escalate_cli.core.matrix.loader import load_matrix;"
        " from escalate_cli.core.engine.wake import"
        f" matrix_key; print(matrix_key(load_matrix({str(BASIC)!r})))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == fresh  # hash randomization and object addresses stay out of it
    changed = tmp_path / "changed.yaml"
    changed.write_text(BASIC.read_text().replace("ack: 15m", "ack: 10m", 1))
    assert matrix_key(load_matrix(changed)) != fresh
