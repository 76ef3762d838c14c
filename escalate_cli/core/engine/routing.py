"""Who is next, when and why: the one engine behind `next`, `up`, `sweep` and `simulate`.

Everything here is a pure function of a matrix, a case and an instant, so the commands cannot
disagree: `next` reports the move that `sweep` will make when its time comes.
Which level a step up reaches, and where a case opens, core/engine/levels.py decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from escalate_cli.core.engine import NextDue, repeats, timers
from escalate_cli.core.engine.levels import (
    RoutingProblem,
    case_path,
    levels_above,
    onto_path,
    step_up,
)
from escalate_cli.core.matrix.model import OWNER, Action, Matrix, Trigger
from escalate_cli.core.time import timing
from escalate_cli.core.values import Frozen, Record, frozen

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case

Source = Literal["timer", "trigger", "manual"]


class Move(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
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
        return self.action is not None and self.action.only_tells


def problem(matrix: Matrix, case: Case) -> str | None:
    """Why routing cannot run on this case, or None when it can."""
    bad_time = timing.stored_time_problem(case, history=False)
    if bad_time is not None:
        return f"skipped: {bad_time}"
    try:
        case_path(matrix, case)
    except RoutingProblem as error:
        return str(error)
    return None


def _rank(matrix: Matrix, level_id: str) -> int:
    return matrix.level_rank[level_id]


def escalated_to_external(case: Case) -> bool:
    return any(entry.get("external") for entry in case.get("escalations", []))


def external_move(matrix: Matrix, case: Case, base: Move) -> Move | None:
    """At the top: the path's external contacts, once; otherwise nothing (timing rule 8)."""
    path = case_path(matrix, case)
    if not path.external or escalated_to_external(case):
        return None
    return base._replace(to_level=case["level"], external=True, notify=path.external)


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
    return base._replace(to_level=level_id, skipped=skipped)


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
        return base._replace(to_level=level_id, skipped=skipped)
    if action.kind == "jump" and action.target:
        target = onto_path(matrix, path, _rank(matrix, action.target))
        return base._replace(to_level=target) if _rank(matrix, target) > current else base
    if action.kind == "path" and action.target:
        new_path = matrix.all_paths[action.target]
        return base._replace(to_level=onto_path(matrix, new_path, current), new_path=action.target)
    if action.kind == "severity" and action.target:
        return severity_move(matrix, case, base, action.target)
    if action.kind == "remind":
        told = reminded(matrix, case, action)
        return base._replace(reason=f"reminder: {trigger.id}", notify=told)
    return base._replace(notify=action.contacts)


def reminded(matrix: Matrix, case: Case, action: Action) -> tuple[str, ...]:
    """Who a `remind` action tells: its contacts, or the owner (the level's contacts when the
    case has no owner, so that somebody hears)."""
    if action.target != OWNER:
        return action.contacts
    owner = case.get("owner")
    if isinstance(owner, str) and owner:
        return (owner,)
    return tuple(matrix.levels_by_id[case["level"]].contacts)


def severity_move(matrix: Matrix, case: Case, base: Move, severity_id: str) -> Move:
    """Raising a severity moves up to its start level if higher; lowering never moves down."""
    severity = matrix.severities_by_id[severity_id]
    move = base._replace(new_severity=severity_id)
    if not severity.start:
        return move
    path = case_path(matrix, case)
    target = onto_path(matrix, path, _rank(matrix, severity.start))
    current = _rank(matrix, case["level"])
    return move._replace(to_level=target) if _rank(matrix, target) > current else move


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


@dataclass(repr=False)  # repr: Record's
class Due(Record):
    """Everything due on a case at an instant: the winning move, notifications, breaches."""

    move: Move | None = None
    notify: list[Move] = field(default_factory=list)
    breaches: list[timers.Timer] = field(default_factory=list)
    repeat: repeats.NextRepeat | None = None  # the top of the path is told again
    warnings: list[tuple[str, datetime, datetime]] = field(default_factory=list)  # due now


@frozen  # never compared
class Schedule(Frozen):
    """When each thing that can act on a case falls due; these depend on the case alone.

    `start` is the first moment anything may act: `now`, or the end of a hold with `--until`.
    """

    start: datetime
    timers: list[timers.Timer]  # running, each with a due time
    triggers: list[tuple[Trigger, datetime]]  # not fired, able to hold, with their due time
    repeat: repeats.NextRepeat | None = None  # the next time the top of the path is told again
    warnings: list[tuple[str, datetime, datetime]] = field(default_factory=list)  # sla, at, due


def _start(case: Case, now: datetime) -> datetime | None:
    """Nothing acts before now, nor while the case is on hold (timing rule 6); None when
    nothing can act: resolved, closed, or on hold with no end."""
    if case["status"] not in timers.ACTIVE:
        return None
    if not timers.is_on_hold(case, now):
        return now
    until = case["holds"][-1].get("until")
    return timing.from_iso(until) if until else None


def schedule(matrix: Matrix, case: Case, now: datetime) -> Schedule | None:
    """The case's timers and triggers with their due times, worked out once per case."""
    start = _start(case, now)
    if start is None:
        return None
    running = [t for t in timers.running_timers(matrix, case) if t.due_at is not None]
    # The case text is searched only by `keywords`: built once, and only when a trigger asks.
    text = timers.case_text(case) if any(t.when.keywords for t in matrix.triggers) else ""
    found = []
    for trigger in matrix.triggers:
        due_at = timers.trigger_due_at(matrix, case, trigger, text=text)
        if due_at is not None:
            found.append((trigger, due_at))
    path = matrix.all_paths.get(case["type"])
    repeat = repeats.next_repeat(matrix, case, path) if path is not None else None
    return Schedule(start, running, found, repeat, timers.sla_warnings(matrix, case, running))


def due_now(matrix: Matrix, case: Case, now: datetime) -> Due:
    """What a sweep at `now` does to the case: at most one move (timing rule 4)."""
    due = Due()
    plan = schedule(matrix, case, now)
    if plan is None or plan.start > now:
        return due
    expired = [t for t in plan.timers if t.due_at is not None and now >= t.due_at]
    due.breaches = [t for t in expired if t.is_sla]
    candidates: list[Move] = []
    timed = timed_move(matrix, case, expired, now)
    if timed is not None and moves_case(matrix, case, timed):
        candidates.append(timed)
    for trigger, at in plan.triggers:
        if now < at:
            continue
        move = trigger_move(matrix, case, trigger.id, now)
        if move.is_notify_only:
            due.notify.append(move)
        elif moves_case(matrix, case, move):
            candidates.append(move)
    due.move = choose(matrix, candidates)
    if plan.repeat is not None and now >= plan.repeat.due_at:
        due.repeat = plan.repeat
    # Only while the deadline is ahead: a sweep that comes after it records the breach, and a
    # "due soon" warning then would tell of it as still to come.
    due.warnings = [(sla, at, by) for sla, at, by in plan.warnings if at <= now < by]
    return due


def breaches_due(matrix: Matrix, case: Case, now: datetime) -> list[str]:
    """The SLAs (`ack`, `resolve`) past their deadline at `now` that the case does not record
    yet: the breaches a sweep at `now` records (`due_now`), for readers that count breaches
    without waiting for a sweep, as a breach is a fact about times (timing rule 5). None while
    on hold: a sweep records nothing then, and records it once the case resumes."""
    start = _start(case, now)
    if start is None or start > now:
        return []
    running = timers.running_timers(matrix, case)
    return [
        t.kind.removeprefix("sla_") for t in running if t.is_sla and t.due_at and now >= t.due_at
    ]


def _upcoming(matrix: Matrix, case: Case, plan: Schedule, now: datetime) -> Move | None:
    start = plan.start
    pending: list[Move] = []
    if plan.timers:
        soonest = min(t.due_at for t in plan.timers if t.due_at is not None)
        at = max(soonest, start)
        together = [t for t in plan.timers if t.due_at is not None and t.due_at <= at]
        timed = timed_move(matrix, case, together, at)
        if timed is not None and moves_case(matrix, case, timed):
            pending.append(timed)
    for trigger, due_at in plan.triggers:
        if trigger.then.only_tells:
            continue
        move = trigger_move(matrix, case, trigger.id, max(due_at, start))
        if moves_case(matrix, case, move):
            pending.append(move._replace(due_at=due_at))
    if not pending:
        return None
    # Whatever is overdue is due together now, and a sweep weighs it all (timing rule 4).
    soonest_at = max(min(move.due_at or start for move in pending), start)
    chosen = choose(matrix, [move for move in pending if (move.due_at or start) <= soonest_at])
    if chosen is not None and start > now and (chosen.due_at or start) < start:
        chosen = chosen._replace(due_at=start)  # overdue on hold: due when the hold ends
    return chosen


def upcoming(matrix: Matrix, case: Case, now: datetime) -> Move | None:
    """The next move the timers and triggers will make, already due or not."""
    plan = schedule(matrix, case, now)
    return None if plan is None else _upcoming(matrix, case, plan, now)


def _climbs(matrix: Matrix, case: Case) -> bool:
    """Whether one step up moves the case: a level above, or external contacts not yet told."""
    if levels_above(matrix, case):
        return True
    return bool(case_path(matrix, case).external) and not escalated_to_external(case)


def _move_times(matrix: Matrix, case: Case, plan: Schedule) -> list[datetime]:
    """When each move that would change the case falls due, without asking who is available
    (that decides where a step up lands, never whether it moves the case)."""
    times = []
    climbs = _climbs(matrix, case)
    if plan.timers and climbs:
        times.append(min(t.due_at for t in plan.timers if t.due_at is not None))
    for trigger, due_at in plan.triggers:
        kind = trigger.then.kind
        if trigger.then.only_tells:
            continue
        if kind == "escalate":
            moves = climbs
        else:
            moves = moves_case(matrix, case, trigger_move(matrix, case, trigger.id, due_at))
        if moves:
            times.append(due_at)
    return times


class Outlook(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """Everything still to happen to a case by itself, as `next` shows it."""

    move: Move | None  # the next move; None when no move is timed
    notices: list[Move]  # notify-only triggers still to fire, each with its due time
    deadlines: list[timers.Timer]  # SLA deadlines whose breach is still to be recorded
    repeat: repeats.NextRepeat | None = None  # the top of the path told again, if it will be


def _held_back(plan: Schedule, now: datetime, at: datetime) -> datetime:
    """A due time as shown: on hold, nothing is due before the hold ends."""
    return max(at, plan.start) if plan.start > now else at


def outlook(matrix: Matrix, case: Case, now: datetime) -> Outlook:
    """The next move, the notify-only triggers and the SLA deadlines still ahead of the case."""
    plan = schedule(matrix, case, now)
    if plan is None:
        return Outlook(None, [], [])
    notices = [
        trigger_move(matrix, case, rule.id, due_at)._replace(due_at=_held_back(plan, now, due_at))
        for rule, due_at in plan.triggers
        if rule.then.only_tells
    ]
    deadlines = [
        t._replace(due_at=_held_back(plan, now, t.due_at))
        for t in plan.timers
        if t.is_sla and t.due_at is not None
    ]
    repeat = plan.repeat
    if repeat is not None:
        repeat = repeat._replace(due_at=_held_back(plan, now, repeat.due_at))
    return Outlook(_upcoming(matrix, case, plan, now), notices, deadlines, repeat)


def _notice_times(plan: Schedule) -> list[datetime]:
    """When each notify-only trigger fires, each SLA breach is due to be recorded, each SLA
    warning is due, and the top of the path is told again."""
    times = [due_at for trigger, due_at in plan.triggers if trigger.then.only_tells]
    times.extend(t.due_at for t in plan.timers if t.is_sla and t.due_at is not None)
    if plan.repeat is not None:
        times.append(plan.repeat.due_at)
    times.extend(at for _, at, _ in plan.warnings)
    return times


END = datetime.max.replace(tzinfo=UTC)  # after any time a case can hold


def due_span(matrix: Matrix, case: Case) -> tuple[datetime | None, datetime]:
    """The soonest due time among everything that will act on an active case by itself (a
    move, a notify-only trigger, an SLA breach), whatever the clock says: a sweep never acts
    on the case before it (None when nothing will). And until when that stays the case's due
    time once it has passed, as `next_due` works it out for a case not on hold: until a second
    move falls due, as from then which move wins decides (see `_overdue_move_at`); END when no
    second move will."""
    plan = schedule(matrix, case, datetime.min.replace(tzinfo=UTC))
    if plan is None:
        return None, END
    moves = sorted(set(_move_times(matrix, case, plan)))
    soonest = min(moves[:1] + _notice_times(plan), default=None)
    return soonest, moves[1] if len(moves) > 1 else END


def next_due(matrix: Matrix, case: Case, now: datetime) -> NextDue | None:
    """When the next thing is due: the soonest due time `next` shows (the move's, a
    notify-only trigger's or an SLA deadline's), or None when nothing will act by itself.
    `list` shows it; `list --overdue`, `sweep` and `simulate` go by it."""
    if case["status"] not in timers.ACTIVE or problem(matrix, case) is not None:
        return None  # a sweep leaves such a case alone (timing rule 12)
    plan = schedule(matrix, case, now)
    if plan is None:
        return None
    moves = _move_times(matrix, case, plan)
    others = _notice_times(plan)
    if not moves and not others:
        return None
    soonest = min(moves + others)
    if plan.start > now:
        return NextDue(max(soonest, plan.start), False)
    if soonest > now:
        return NextDue(soonest, False)
    # Overdue: `next` names the move a sweep would make now, due when that one fell due.
    shown = _overdue_move_at(matrix, case, plan, now, moves)
    return NextDue(min(shown + others, default=soonest), True)


def _overdue_move_at(
    matrix: Matrix, case: Case, plan: Schedule, now: datetime, moves: list[datetime]
) -> list[datetime]:
    """When the move a sweep would make now fell due (nothing when no move is due yet).

    The winner is worked out only when the due moves fell due at different times: when they
    fell due together, that time is the answer whichever one wins, and working out the winner
    (building each move, a step up asking who is available) was a third of what an overdue
    case cost `list`.
    """
    fallen = {at for at in moves if at <= now}
    if len(fallen) < 2:
        return list(fallen)
    move = _upcoming(matrix, case, plan, now)
    return [move.due_at] if move is not None and move.due_at is not None else []


def is_overdue(matrix: Matrix, case: Case, now: datetime) -> bool:
    """Timing rule 2: a sweep at `now` would act on the case (move it, fire a trigger,
    record a breach). Never on hold, never resolved, never at the top with nothing to do."""
    found = next_due(matrix, case, now)
    return found is not None and found.acts


def next_event_at(matrix: Matrix, case: Case, now: datetime) -> datetime | None:
    """When a sweep next acts on the case: now if it is overdue."""
    found = next_due(matrix, case, now)
    return None if found is None else max(found.at, now)


def manual_target(matrix: Matrix, case: Case, at: datetime) -> Move | None:
    """Where a manual escalation goes when no timer runs: one level up, else the externals."""
    base = Move("manual", case["level"], "manual escalation", None)
    try:
        level_id, skipped = step_up(matrix, case, at)
    except LookupError:
        return external_move(matrix, case, base)
    return base._replace(to_level=level_id, skipped=skipped)
