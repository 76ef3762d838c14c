"""Who is next, when and why: the one engine behind `next`, `up`, `sweep` and `simulate`.

Everything here is a pure function of a matrix, a case and an instant, so the commands cannot
disagree: `next` reports the move that `sweep` will make when its time comes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from escalate_cli.core import availability, timers, timing
from escalate_cli.core.model import Action, Matrix, Path

Case = dict[str, Any]
Source = Literal["timer", "trigger", "manual"]


@dataclass(frozen=True, eq=False)  # never compared: __eq__ and __hash__ cost import time
class Move:
    """A change of level, path or severity (or a notification) that is due or asked for."""

    source: Source
    to_level: str
    reason: str
    due_at: datetime | None
    trigger: str | None = None
    action: Action | None = None
    timers: tuple[timers.Timer, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    external: bool = False
    new_path: str | None = None
    new_severity: str | None = None
    notify: tuple[str, ...] = ()

    @property
    def is_notify_only(self) -> bool:
        return self.action is not None and self.action.kind == "notify"


class RoutingProblem(Exception):
    """The case refers to a level or path the matrix no longer has (timing rule 12)."""


def case_path(matrix: Matrix, case: Case) -> Path:
    path = matrix.all_paths.get(case["type"])
    if path is None:
        raise RoutingProblem(f'path "{case["type"]}" is no longer in the matrix')
    if case["level"] not in matrix.levels_by_id:
        raise RoutingProblem(f'level "{case["level"]}" is no longer in the matrix')
    return path


def problem(matrix: Matrix, case: Case) -> str | None:
    """Why routing cannot run on this case, or None when it can."""
    try:
        case_path(matrix, case)
    except RoutingProblem as error:
        return str(error)
    return None


def _rank(matrix: Matrix, level_id: str) -> int:
    return matrix.level_rank[level_id]


def onto_path(matrix: Matrix, path: Path, rank: int) -> str:
    """The path's lowest level at or above `rank`, else its top (timing rule 9)."""
    for level_id in path.levels:
        if _rank(matrix, level_id) >= rank:
            return level_id
    return path.levels[-1]


def levels_above(matrix: Matrix, case: Case) -> list[str]:
    path = case_path(matrix, case)
    current = _rank(matrix, case["level"])
    return [level_id for level_id in path.levels if _rank(matrix, level_id) > current]


def has_available(matrix: Matrix, level_id: str, at: datetime) -> bool:
    return any(c.available for c in availability.level_contacts(matrix, level_id, at))


def step_up(matrix: Matrix, case: Case, at: datetime) -> tuple[str, tuple[tuple[str, str], ...]]:
    """One level up the path; with `skip_unavailable`, past levels nobody can answer.

    Never past the top: when every level above is unreachable, the top it is. Raises
    LookupError at the top.
    """
    above = levels_above(matrix, case)
    if not above:
        raise LookupError("at the top of its path")
    return first_reachable(matrix, above, at)


def first_reachable(
    matrix: Matrix, candidates: list[str], at: datetime
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The first of `candidates` (levels, bottom to top) to go to, and those skipped on the way:
    with `skip_unavailable`, the first where someone is available, else the last; without it,
    the first."""
    if not matrix.skip_unavailable:
        return candidates[0], ()
    skipped: list[tuple[str, str]] = []
    for level_id in candidates[:-1]:
        if has_available(matrix, level_id, at):
            return level_id, tuple(skipped)
        skipped.append((level_id, f"nobody at {level_id} is available"))
    return candidates[-1], tuple(skipped)


def escalated_to_external(case: Case) -> bool:
    return any(entry.get("external") for entry in case.get("escalations", []))


def external_move(matrix: Matrix, case: Case, base: Move) -> Move | None:
    """At the top: the path's external contacts, once; otherwise nothing (timing rule 8)."""
    path = case_path(matrix, case)
    if not path.external or escalated_to_external(case):
        return None
    return replace(base, to_level=case["level"], external=True, notify=path.external)


def timed_move(matrix: Matrix, case: Case, due: list[timers.Timer], at: datetime) -> Move | None:
    """The single timed escalation that due timers ask for: one level up the path."""
    if not due:
        return None
    first = min(due, key=lambda t: (t.due_at or at, t.kind))
    base = Move("timer", case["level"], first.reason(), first.due_at, timers=tuple(due))
    try:
        level_id, skipped = step_up(matrix, case, at)
    except LookupError:
        return external_move(matrix, case, base)
    return replace(base, to_level=level_id, skipped=skipped)


def trigger_move(matrix: Matrix, case: Case, trigger_id: str, due_at: datetime) -> Move:
    """What a trigger's action does to this case."""
    trigger = next(t for t in matrix.triggers if t.id == trigger_id)
    action = trigger.then
    base = Move("trigger", case["level"], f"trigger {trigger.id}", due_at, trigger.id, action)
    current = _rank(matrix, case["level"])
    path = case_path(matrix, case)
    if action.kind == "escalate":
        try:
            level_id, skipped = step_up(matrix, case, due_at)
        except LookupError:
            return external_move(matrix, case, base) or base
        return replace(base, to_level=level_id, skipped=skipped)
    if action.kind == "jump" and action.target:
        target = onto_path(matrix, path, _rank(matrix, action.target))
        return replace(base, to_level=target) if _rank(matrix, target) > current else base
    if action.kind == "path" and action.target:
        new_path = matrix.all_paths[action.target]
        return replace(base, to_level=onto_path(matrix, new_path, current), new_path=action.target)
    if action.kind == "severity" and action.target:
        return severity_move(matrix, case, base, action.target)
    return replace(base, notify=action.contacts)


def severity_move(matrix: Matrix, case: Case, base: Move, severity_id: str) -> Move:
    """Raising a severity moves up to its start level if higher; lowering never moves down."""
    severity = matrix.severities_by_id[severity_id]
    move = replace(base, new_severity=severity_id)
    if not severity.start:
        return move
    path = case_path(matrix, case)
    target = onto_path(matrix, path, _rank(matrix, severity.start))
    current = _rank(matrix, case["level"])
    return replace(move, to_level=target) if _rank(matrix, target) > current else move


def move_height(matrix: Matrix, move: Move) -> float:
    """How high a move takes the case; beyond the top counts highest of all."""
    return len(matrix.levels) + 0.5 if move.external else float(_rank(matrix, move.to_level))


def moves_case(matrix: Matrix, case: Case, move: Move) -> bool:
    """Whether applying the move changes level, path, severity or calls the externals."""
    return (
        move.external
        or move.to_level != case["level"]
        or (move.new_path is not None and move.new_path != case["type"])
        or (move.new_severity is not None and move.new_severity != case.get("severity"))
    )


def choose(matrix: Matrix, candidates: list[Move]) -> Move | None:
    """The move that takes the case highest; on a tie a trigger beats a timer (timing rule 4)."""
    if not candidates:
        return None

    def key(indexed: tuple[int, Move]) -> tuple[float, int, int]:
        index, move = indexed
        return (move_height(matrix, move), move.source == "trigger", -index)

    return max(enumerate(candidates), key=key)[1]


@dataclass
class Due:
    """Everything due on a case at an instant: the winning move, notifications, breaches."""

    move: Move | None = None
    notify: list[Move] = field(default_factory=list)
    breaches: list[timers.Timer] = field(default_factory=list)


def due_now(matrix: Matrix, case: Case, now: datetime) -> Due:
    """What a sweep at `now` does to the case: at most one move (timing rule 4)."""
    due = Due()
    if case["status"] not in timers.ACTIVE or timers.is_on_hold(case, now):
        return due
    running = timers.running_timers(matrix, case)
    expired = [t for t in running if t.due_at is not None and now >= t.due_at]
    due.breaches = [t for t in expired if t.is_sla]
    candidates: list[Move] = []
    timed = timed_move(matrix, case, expired, now)
    if timed is not None and moves_case(matrix, case, timed):
        candidates.append(timed)
    text = timers.case_text(case)
    for trigger in matrix.triggers:
        at = timers.trigger_due_at(matrix, case, trigger, text=text)
        if at is None or now < at:
            continue
        move = trigger_move(matrix, case, trigger.id, now)
        if move.is_notify_only:
            due.notify.append(move)
        elif moves_case(matrix, case, move):
            candidates.append(move)
    due.move = choose(matrix, candidates)
    return due


def upcoming(matrix: Matrix, case: Case, now: datetime) -> Move | None:
    """The next move the timers and triggers will make, already due or not."""
    if case["status"] not in timers.ACTIVE:
        return None
    start = now  # nothing moves before now, nor while the case is on hold (timing rule 6)
    if timers.is_on_hold(case, now):
        until = case["holds"][-1].get("until")
        if until is None:
            return None
        start = timing.from_iso(until)
    pending: list[Move] = []
    running = [t for t in timers.running_timers(matrix, case) if t.due_at is not None]
    if running:
        soonest = min(t.due_at for t in running if t.due_at is not None)
        at = max(soonest, start)
        together = [t for t in running if t.due_at is not None and t.due_at <= at]
        timed = timed_move(matrix, case, together, at)
        if timed is not None and moves_case(matrix, case, timed):
            pending.append(timed)
    text = timers.case_text(case)
    for trigger in matrix.triggers:
        due_at = timers.trigger_due_at(matrix, case, trigger, text=text)
        if due_at is None:
            continue
        move = trigger_move(matrix, case, trigger.id, max(due_at, start))
        if not move.is_notify_only and moves_case(matrix, case, move):
            pending.append(replace(move, due_at=due_at))
    if not pending:
        return None
    # Whatever is overdue is due together now, and a sweep weighs it all (timing rule 4).
    soonest_at = max(min(move.due_at or start for move in pending), start)
    chosen = choose(matrix, [move for move in pending if (move.due_at or start) <= soonest_at])
    if chosen is not None and start > now and (chosen.due_at or start) < start:
        chosen = replace(chosen, due_at=start)  # overdue on hold: due when the hold ends
    return chosen


def next_event_at(matrix: Matrix, case: Case, now: datetime) -> datetime | None:
    """When the next timed thing happens to the case: a move, or a notify-only trigger."""
    moments = []
    move = upcoming(matrix, case, now)
    if move is not None and move.due_at is not None:
        moments.append(move.due_at)
    for trigger in matrix.triggers:
        if trigger.then.kind == "notify":
            due_at = timers.trigger_due_at(matrix, case, trigger)
            if due_at is not None:
                moments.append(due_at)
    return max(min(moments), now) if moments else None


def manual_target(matrix: Matrix, case: Case, at: datetime) -> Move | None:
    """Where a manual escalation goes when no timer runs: one level up, else the externals."""
    base = Move("manual", case["level"], "manual escalation", None)
    try:
        level_id, skipped = step_up(matrix, case, at)
    except LookupError:
        return external_move(matrix, case, base)
    return replace(base, to_level=level_id, skipped=skipped)
