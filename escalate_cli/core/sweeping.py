"""`escalate sweep`: every open case checked against its timers and triggers, at most one move
each. Cases are checked without the lock; only those with something due are locked and moved.
On PostgreSQL the store hands over only the cases that may be due (see core/engine/wake.py)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from escalate_cli.core.cases import reminders, teams
from escalate_cli.core.cases.document import Case, new_events, timeline_mark
from escalate_cli.core.cases.escalation import SweepResult, sweep_case
from escalate_cli.core.engine import routing, timers
from escalate_cli.core.engine.wake import matrix_key, wake
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.notify import outbox
from escalate_cli.core.store.store_base import Store


def needs_sweep(matrix: Matrix, case: Case, now: datetime) -> bool:
    """Whether a sweep at `now` would change this case (cheap; changes nothing). For a case
    routing can run on: `sweep_store` sets aside the ones it cannot, and reports them."""
    if case["status"] not in timers.ACTIVE:
        return False
    if case["status"] == "on_hold" and not timers.is_on_hold(case, now):
        return True  # the hold ended at its --until: the sweep records that it resumed
    return routing.is_overdue(matrix, case, now)


def _report(report: dict[str, Any], result: SweepResult) -> None:
    if result.escalated:
        report["escalated"].append(result.escalated)
    report["notified"].extend(result.notified)
    report["breached"].extend(result.breaches)
    report["changed"].extend(result.changes)
    report["reminded"].extend(result.reminded)


SHAPE = {  # docs/scripting.md; the report holds a little more for people (`external`, ...)
    "escalated": ("case", "from", "to", "trigger", "at", "contacts"),
    "notified": ("case", "contacts", "trigger"),
    "breached": ("case", "sla", "at"),
    "changed": ("case", "field", "from", "to", "trigger"),
    "reminded": ("case", "contacts", "what"),
}


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """`sweep --json`: exactly the shape docs/scripting.md gives (problems go to stderr)."""
    shaped: dict[str, Any] = {"checked": report["checked"]}
    for name, keys in SHAPE.items():
        shaped[name] = [{key: entry[key] for key in keys} for entry in report[name]]
    return shaped


def sweep_store(
    store: Store,
    matrix: Matrix,
    now: datetime,
    *,
    dry_run: bool,
    dispatch: outbox.Dispatch | None = None,
    team: str | None = None,
) -> dict[str, Any]:
    """Sweep every active case; with `dry_run`, report exactly the same and write nothing.
    The notifications of the moves go to the outbox in the same write (see `outbox.record`).
    With a `team`, only that matrix's cases (and those from before cases recorded one, which
    a move makes the team's); the others are not even counted."""
    report: dict[str, Any] = {
        "checked": 0,
        "escalated": [],
        "notified": [],
        "breached": [],
        "changed": [],
        "reminded": [],  # section 9's notifications: repeats, reminders, a severity raised
        "problems": [],
    }
    key = matrix_key(matrix)
    found = store.sweep_cases(now, key, team)
    report["checked"] = found.checked
    due: list[Case] = []
    troubled: set[int] = set()
    for case in found.cases:
        if case["status"] not in timers.ACTIVE or not teams.belongs(case, team):
            continue
        problem = routing.problem(matrix, case)
        if problem is not None:
            report["problems"].append({"case": case["id"], "problem": problem})
            troubled.add(case["number"])
        elif needs_sweep(matrix, case, now):
            due.append(case)
    # Dated items due (core/cases/reminders.py), of cases in any state: closed ones included.
    reminding = [n for n, at in store.tracked().items() if at is not None and at <= now]
    if dry_run:
        for case in due:
            _report(report, sweep_case(matrix, copy.deepcopy(case), now))
        for number in reminding:
            held = store.get(number)  # a fresh copy: changing it writes nothing
            if held is not None and teams.belongs(held, team):
                report["reminded"].extend(reminders.send(held, now))
        return report
    moving = {case["number"] for case in due}
    # Cases read only because their wake was worked out under another matrix (or never): kept
    # now, so that the next sweep reads them only when they fall due. A case routing cannot
    # run on is read by every sweep anyway, and a damaged one is best left as it lies. A case
    # that records no matrix is every team's: each team's sweep would keep its own wake, and
    # rewrite the store every time, so it keeps none (a move makes the case the team's).
    woken = {
        case["number"]: (found.stale[case["number"]], wake(matrix, case, key))
        for case in found.cases
        if case["number"] in found.stale
        and case["number"] not in moving | troubled
        and (team is None or case.get("matrix") == team)
    }
    if due or woken or reminding:
        fork = dispatch.fork() if dispatch is not None and (due or reminding) else None
        with store.transaction() as tx:
            changed: list[tuple[Case, list[int]]] = []
            for number in sorted(moving | set(reminding)):
                # Re-read under the lock: another process may have moved it since. A case
                # another sweep holds right now is its to move (SKIP LOCKED on PostgreSQL).
                stored = tx.claim(number)
                if stored is None or not teams.belongs(stored, team):
                    continue
                mark = timeline_mark(stored)
                wrote = False
                if number in moving:
                    result = sweep_case(matrix, stored, now)
                    wrote = result.changed
                    _report(report, result)
                if number in reminding:
                    sent = reminders.send(stored, now)
                    report["reminded"].extend(sent)
                    wrote = wrote or bool(sent)
                    reminders.keep(tx, stored)
                if wrote:
                    if team is not None:
                        teams.adopt(stored, team)
                    tx.put(stored, wake(matrix, stored, key))
                    changed.append((stored, new_events(stored, mark)))
            tx.keep_wakes(woken)
            if due or reminding:
                outbox.record(tx, matrix, changed, now, fork)
        if dispatch is not None and fork is not None:
            dispatch.absorb(fork)
    return report
