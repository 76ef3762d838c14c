"""A case's states: acknowledge, hold and resume, update, resolve, close and reopen."""

from __future__ import annotations

import copy
from datetime import datetime

from escalate_cli.core.cases import audiences
from escalate_cli.core.cases.document import Case, add_event, event
from escalate_cli.core.engine import timers
from escalate_cli.core.errors import RefusedError, UsageError
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing


def settle(matrix: Matrix, case: Case, now: datetime) -> bool:
    """Bring a case up to `now` before writing it: a hold whose `--until` has passed ends,
    dated at its `--until` (timing rule 6). Returns whether anything changed."""
    return _end_elapsed_hold(case, now)


def as_of(case: Case, now: datetime) -> Case:
    """The case as read-only commands show it at `now`: a hold past its `--until` is over
    (timing rule 6), as the next write will record. The case given is never changed."""
    if case["status"] != "on_hold" or timers.is_on_hold(case, now):
        return case
    settled = copy.deepcopy(case)
    _end_elapsed_hold(settled, now)
    return settled


def _end_elapsed_hold(case: Case, now: datetime) -> bool:
    if case["status"] != "on_hold" or timers.is_on_hold(case, now):
        return False
    hold = case["holds"][-1]
    hold["ended_at"] = hold["until"]
    case["status"] = hold["status_before"]
    assert hold["until"] is not None  # a hold without an end never elapses
    ended = timing.from_iso(hold["until"])
    add_event(case, event(ended, "resumed", None, "hold ended at its --until"))
    return True


def ensure_active(case: Case, now: datetime, doing: str) -> None:
    """Refuse to move a case that is resolved, closed or on hold (exit 5)."""
    if case["status"] in ("resolved", "closed"):
        raise RefusedError(f"cannot {doing} {case['id']}: it is {case['status']} (reopen it first)")
    if timers.is_on_hold(case, now):
        refused = f"cannot {doing} {case['id']}: it is on hold"
        until = case["holds"][-1].get("until")
        if until:  # the CLI shows {until} in the reader's zone
            raise RefusedError(
                f"{refused} until {{until}} (resume it first)", until=timing.from_iso(until)
            )
        raise RefusedError(f"{refused} (resume it first)")


def record_breach(case: Case, sla: str, deadline: datetime) -> bool:
    """Record an SLA breach once, dated at its deadline. Returns whether it was new."""
    if sla in case["breached"]:
        return False
    case["breached"].append(sla)
    add_event(
        case,
        event(
            deadline,
            "breached",
            None,
            f"{sla} SLA breached",
            sla=sla,
            due_at=timing.to_iso(deadline),
        ),
    )
    return True


def _record_late(matrix: Matrix, case: Case, slas: tuple[str, ...], now: datetime) -> None:
    """A breach is a fact about times: stopping a late SLA records it without any sweep."""
    for sla in slas:
        deadline = timers.sla_deadline(matrix, case, sla)
        if deadline is not None and now >= deadline:
            record_breach(case, sla, deadline)


def acknowledge(
    matrix: Matrix, case: Case, now: datetime, by: str | None, note: str | None
) -> None:
    """Say the case is seen and owned at its level; stops the level's `ack` timer and the ack
    SLA. A second acknowledgement is recorded, not refused."""
    settle(matrix, case, now)
    if case["status"] in ("resolved", "closed"):
        raise RefusedError(f"cannot acknowledge {case['id']}: it is {case['status']}")
    stamp = timing.to_iso(now)
    if not case["acknowledged_at"]:
        _record_late(matrix, case, ("ack",), now)
        case["acknowledged_at"] = stamp
        case["steps"]["acknowledge"] = {"by": by, "at": stamp, "note": note}
    if not case["level_acknowledged_at"]:
        case["level_acknowledged_at"] = stamp
    if case["status"] == "open":
        case["status"] = "acknowledged"
    elif case["status"] == "on_hold":
        case["holds"][-1]["status_before"] = "acknowledged"
    text = f"acknowledged at {case['level']}" + (f": {note}" if note else "")
    add_event(case, event(now, "acknowledged", by, text, level=case["level"], note=note))


def hold(
    matrix: Matrix, case: Case, now: datetime, until: datetime | None, reason: str, by: str | None
) -> None:
    """Pause every timer; with `until`, the hold ends by itself then."""
    settle(matrix, case, now)
    ensure_active(case, now, "hold")
    if until is not None and until <= now:
        raise UsageError("--until {until} is not in the future (it is {now})", until=until, now=now)
    if not reason.strip():
        raise UsageError("--reason must say why the case waits")
    case["holds"].append(
        {
            "since": timing.to_iso(now),
            "until": timing.to_iso(until) if until else None,
            "ended_at": None,
            "reason": reason,
            "by": by,
            "status_before": case["status"],
        }
    )
    case["status"] = "on_hold"
    note = f" until {timing.to_iso(until)}" if until else ""
    add_event(
        case,
        event(
            now,
            "held",
            by,
            f"on hold{note}: {reason}",
            until=timing.to_iso(until) if until else None,
        ),
    )


def resume(matrix: Matrix, case: Case, now: datetime, by: str | None) -> None:
    """End a hold now: the timers continue where they stopped."""
    settle(matrix, case, now)
    if case["status"] != "on_hold":
        raise RefusedError(f"{case['id']} is not on hold (it is {case['status']})")
    hold_entry = case["holds"][-1]
    hold_entry["ended_at"] = timing.to_iso(now)
    case["status"] = hold_entry["status_before"]
    add_event(case, event(now, "resumed", by, "resumed"))


def update(
    matrix: Matrix, case: Case, now: datetime, text: str, audience: str, by: str | None
) -> list[str]:
    """Log a status update; it resets `silent_for`. A customer update goes to the customer
    audience alone, an internal one to `notify_on.update`'s. Returns who is told."""
    settle(matrix, case, now)
    if not text.strip():
        raise UsageError("an update needs some text")
    if case["status"] == "closed":
        raise RefusedError(f"cannot update {case['id']}: it is closed (reopen it first)")
    case["last_update_at"] = timing.to_iso(now)
    add_event(case, event(now, "update", by, text, audience=audience))
    to = ("customer",) if audience == "customer" else None
    return audiences.tell(matrix, case, ["update"], now, by, audiences=to)


def resolve(matrix: Matrix, case: Case, now: datetime, summary: str, by: str | None) -> list[str]:
    """Resolve the case: every timer stops; late SLAs are recorded as breached. Returns who
    is told."""
    settle(matrix, case, now)
    if case["status"] in ("resolved", "closed"):
        raise RefusedError(f"{case['id']} is already {case['status']}")
    if not summary.strip():
        raise UsageError("--summary must say how it was resolved")
    _stop_clocks(matrix, case, now)
    case["status"] = "resolved"
    case["resolved_at"] = timing.to_iso(now)
    case["resolution"] = summary
    add_event(case, event(now, "resolved", by, summary))
    return audiences.tell(matrix, case, ["resolve"], now, by)


def _stop_clocks(matrix: Matrix, case: Case, now: datetime) -> None:
    """The case stops being worked: SLAs it missed are recorded as breached, a hold ends."""
    late = ("resolve",) if case["acknowledged_at"] else ("ack", "resolve")
    _record_late(matrix, case, late, now)
    if case["status"] == "on_hold":
        case["holds"][-1]["ended_at"] = timing.to_iso(now)


def close(
    matrix: Matrix,
    case: Case,
    now: datetime,
    by: str | None,
    *,
    summary: str | None = None,
    force: bool = False,
) -> list[str]:
    """Close the case; it moves to the archive. A case never resolved closes only with a
    `summary` (recorded as its resolution, as `resolve` does) or by `force`. Returns who is
    told (of the resolve too)."""
    settle(matrix, case, now)
    if case["status"] == "closed":
        raise RefusedError(f"{case['id']} is already closed")
    told: list[str] = []
    if summary is not None:
        if case["status"] == "resolved":
            raise RefusedError(
                f"{case['id']} is already resolved: close it without --summary"
                " (its resolution stays)"
            )
        told = resolve(matrix, case, now, summary, by)
    elif case["status"] != "resolved" and not force:
        raise RefusedError(f"{case['id']} was never resolved: add --summary TEXT or --force")
    if case["status"] != "resolved":  # else they stopped when it was resolved
        _stop_clocks(matrix, case, now)
    case["status"] = "closed"
    case["closed_at"] = timing.to_iso(now)
    add_event(case, event(now, "closed", by, "closed"))
    return [*told, *audiences.tell(matrix, case, ["close"], now, by)]


def reopen(matrix: Matrix, case: Case, now: datetime, reason: str, by: str | None) -> list[str]:
    """Reopen at the same level with fresh level timers. The SLAs count from creation, less
    the time the case spent resolved, so a case resolved in time is not in breach."""
    if case["status"] not in ("resolved", "closed"):
        raise RefusedError(
            f"{case['id']} is {case['status']}: only resolved or closed cases reopen"
        )
    if not reason.strip():
        raise UsageError("--reason must say why the case is back")
    stamp = timing.to_iso(now)
    ended = case["resolved_at"] or case["closed_at"]
    if ended and ended < stamp:
        case.setdefault("resolved_periods", []).append({"since": ended, "until": stamp})
    case["reopened"] += 1
    case["reopened_at"] = stamp
    case["status"] = "open"
    case["resolved_at"] = None
    case["closed_at"] = None
    case["level_entered_at"] = stamp
    case["level_acknowledged_at"] = None
    add_event(case, event(now, "reopened", by, reason, count=case["reopened"]))
    return audiences.tell(matrix, case, ["reopen"], now, by)
