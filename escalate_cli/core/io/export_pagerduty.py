"""A matrix as PagerDuty REST API v2 objects: users by email, a schedule per rotation, an
escalation policy per path; and the lines saying what PagerDuty cannot hold."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import Any

from escalate_cli.core.engine.levels import path_levels
from escalate_cli.core.errors import NotFoundError
from escalate_cli.core.io.export_losses import losses
from escalate_cli.core.matrix.model import ROTATION_PREFIX, Level, Matrix, Path
from escalate_cli.core.time.timing import format_duration

# A level with no timer still needs a delay in PagerDuty; 30 minutes is its own default.
PAGERDUTY_DEFAULT_DELAY = 30


@dataclass
class Exported:
    """A document for the target service, and one line per thing it could not carry."""

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    severity: str | None = None
    text: str = ""  # what is written out: the document as JSON, or HCL

    def __post_init__(self) -> None:
        if not self.text and self.document:
            self.text = json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class RuleTiming:
    """How long a case waits at a level before it moves on, and which timer says so."""

    minutes: int
    timer: str  # "ack", "after", "sla" (a severity's deadline comes first), or "none"
    rounded: bool = False  # the timer was not whole minutes: PagerDuty counts in minutes


def export_severity(matrix: Matrix, severity_id: str | None) -> str | None:
    """The severity whose timers and start level the export uses: the one asked, else the
    matrix's default (a PagerDuty policy has one set of delays, whatever the incident)."""
    if severity_id is None:
        return matrix.default_severity_id
    if severity_id not in matrix.severities_by_id:
        known = ", ".join(s.id for s in matrix.severities) or "none"
        raise NotFoundError(f'unknown severity "{severity_id}" (known: {known})')
    return severity_id


def rule_timing(level: Level, severity_id: str | None) -> RuleTiming | None:
    """The delay of a level's rule: the earlier of its `ack` and `after` timers for the severity.

    PagerDuty's delay counts until someone acknowledges, as escalate's `ack` does, so `ack` is
    the natural match; with nobody acting, though, whichever timer runs out first moves the case,
    so the earlier of the two keeps the timeline. None: no timer runs at this level.
    """
    timers = [
        (duration, name)
        for name, duration in (
            ("ack", level.ack_for(severity_id)),
            ("after", level.after_for(severity_id)),
        )
        if duration is not None
    ]
    if not timers:
        return None
    duration, name = min(timers, key=lambda pair: pair[0])
    minutes = _minutes(duration)
    return RuleTiming(minutes, name, rounded=duration != timedelta(minutes=minutes))


def path_timings(
    matrix: Matrix, name: str, severity_id: str | None, warnings: list[str]
) -> list[tuple[str, RuleTiming | None]]:
    """Each level of the path with its rule's timing, as the case would move if nobody acted.

    A severity's SLA breach escalates once (timing rule 1): where a deadline falls before a
    level's own timer runs out, the level's delay is shortened to it, so that the policy moves
    when escalate would (PagerDuty has no SLAs; the warning says which deadline did it)."""
    severity = matrix.severities_by_id.get(severity_id or "")
    slas = (("ack", severity.ack), ("resolve", severity.resolve)) if severity is not None else ()
    deadlines = sorted(
        (_minutes(duration), f"{severity_id}'s {sla} SLA")
        for sla, duration in slas
        if duration is not None
    )
    elapsed = 0
    found: list[tuple[str, RuleTiming | None]] = []
    levels = path_levels(matrix, name, severity_id)
    for level_id in levels:
        timing = rule_timing(matrix.levels_by_id[level_id], severity_id)
        if level_id != levels[-1] and deadlines:
            deadline, which = deadlines[0]
            own = timing.minutes if timing is not None else None
            if own is None or deadline - elapsed < own:
                timing = RuleTiming(max(deadline - elapsed, 1), "sla")
                warnings.append(
                    f"path {name}: level {level_id}'s delay is {timing.minutes}m, when {which}"
                    " runs out and escalates (PagerDuty has no SLAs)"
                )
        if timing is not None:
            elapsed += timing.minutes
            deadlines = [pair for pair in deadlines if pair[0] > elapsed]
        found.append((level_id, timing))
    return found


def _minutes(duration: timedelta) -> int:
    return max(1, math.ceil(duration.total_seconds() / 60))


def to_pagerduty(matrix: Matrix, severity_id: str | None = None) -> Exported:
    """The matrix as PagerDuty objects. Ids are escalate's ids standing in for PagerDuty's own,
    which it assigns on creation; users are matched by email, as PagerDuty identifies them."""
    severity = export_severity(matrix, severity_id)
    warnings: list[str] = []
    users = _users(matrix, warnings)
    schedules = [_schedule(matrix, rotation.id) for rotation in matrix.rotations]
    policies = [
        _policy(matrix, name, path, severity, warnings) for name, path in matrix.all_paths.items()
    ]
    document = {
        "users": list(users.values()),
        "schedules": schedules,
        "escalation_policies": policies,
    }
    return Exported(document, [*warnings, *losses(matrix, severity)], severity)


def _users(matrix: Matrix, warnings: list[str]) -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for contact in matrix.contacts:
        user: dict[str, Any] = {"id": contact.id, "type": "user", "name": contact.label}
        if contact.email:
            user["email"] = contact.email
        else:
            warnings.append(
                f"contact {contact.id}: no email, which PagerDuty needs to find or create the"
                " user: add one before applying"
            )
        user["time_zone"] = str(contact.timezone or matrix.timezone)
        if contact.role:
            user["job_title"] = contact.role
        users[contact.id] = user
    return users


def _schedule(matrix: Matrix, rotation_id: str) -> dict[str, Any]:
    rotation = matrix.rotations_by_id[rotation_id]
    zone = rotation.timezone or matrix.timezone
    start = rotation.start.replace(tzinfo=zone).astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": rotation.id,
        "type": "schedule",
        "name": rotation.name or rotation.id,
        "time_zone": str(zone),
        "schedule_layers": [
            {
                "name": rotation.name or rotation.id,
                "start": start,
                "rotation_virtual_start": start,
                "rotation_turn_length_seconds": int(rotation.shift.total_seconds()),
                "users": [{"user": {"id": m, "type": "user_reference"}} for m in rotation.members],
            }
        ],
    }


def target(matrix: Matrix, ref: str) -> dict[str, Any]:
    """A level's contact as a rule target: a rotation (`rotation:ID` or a bare rotation id) is
    a schedule, anyone else a user."""
    rotation = ref.removeprefix(ROTATION_PREFIX)
    if ref.startswith(ROTATION_PREFIX) or (
        ref not in matrix.contacts_by_id and rotation in matrix.rotations_by_id
    ):
        return {"id": rotation, "type": "schedule_reference"}
    return {"id": ref, "type": "user_reference"}


def _policy(
    matrix: Matrix,
    name: str,
    path: Path,
    severity: str | None,
    warnings: list[str],
) -> dict[str, Any]:
    levels = path_levels(matrix, name, severity)
    rules = []
    for position, (level_id, timing) in enumerate(path_timings(matrix, name, severity, warnings)):
        level = matrix.levels_by_id[level_id]
        top = position == len(levels) - 1
        if timing is None:
            if not top:
                warnings.append(
                    f"path {name}: level {level_id} has no timer (manual escalation only), and"
                    f" a PagerDuty rule always moves on: delay set to {PAGERDUTY_DEFAULT_DELAY}m"
                )
            timing = RuleTiming(PAGERDUTY_DEFAULT_DELAY, "none")
        elif timing.timer == "after" and not top:
            warnings.append(
                f"path {name}: level {level_id} moves on when unresolved (after), PagerDuty's"
                " delay only while unacknowledged: an acknowledged incident stays there"
            )
        if timing.rounded:
            warnings.append(
                f"path {name}: level {level_id}'s {timing.timer} timer rounded up to"
                f" {timing.minutes}m (PagerDuty counts whole minutes)"
            )
        targets = [target(matrix, ref) for ref in level.contacts]
        rules.append(
            {"id": level_id, "escalation_delay_in_minutes": timing.minutes, "targets": targets}
        )
    return {
        "id": name,
        "type": "escalation_policy",
        "name": f"{matrix.name}: {name}" if matrix.name else name,
        "description": path_description(matrix, name),
        "num_loops": _num_loops(matrix, name, path, levels, rules, warnings),
        "escalation_rules": rules,
    }


def path_description(matrix: Matrix, name: str) -> str:
    return f"escalate path {name}" + (f" of {matrix.name}" if matrix.name else "")


def _num_loops(
    matrix: Matrix,
    name: str,
    path: Path,
    levels: tuple[str, ...],
    rules: list[dict[str, Any]],
    warnings: list[str],
) -> int:
    """`repeat` re-notifies the top level; PagerDuty's loops restart the whole policy. The two
    agree only on a one-level policy whose delay is the repeat's interval."""
    repeat = path.repeat or matrix.levels_by_id[levels[-1]].repeat
    if repeat is None:
        return 0
    delay = timedelta(minutes=rules[-1]["escalation_delay_in_minutes"])
    if len(levels) == 1 and repeat.every == delay:
        return repeat.times
    warnings.append(
        f"path {name}: repeat every {format_duration(repeat.every)} x{repeat.times} at the top has"
        " no equivalent (PagerDuty's num_loops restarts the whole policy): num_loops 0"
    )
    return 0
