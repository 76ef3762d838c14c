"""A matrix as Opsgenie API objects: users by username (their email), a schedule per rotation,
an escalation per path."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from escalate_cli.core.engine.levels import path_levels
from escalate_cli.core.io.export_losses import losses
from escalate_cli.core.io.export_pagerduty import (
    PAGERDUTY_DEFAULT_DELAY,
    Exported,
    RuleTiming,
    export_severity,
    path_description,
    path_timings,
)
from escalate_cli.core.matrix.model import ROTATION_PREFIX, Matrix

# Opsgenie's rotation types, largest first: a shift becomes the largest that divides it.
_ROTATION_TYPES = (
    ("weekly", timedelta(weeks=1)),
    ("daily", timedelta(days=1)),
    ("hourly", timedelta(hours=1)),
)


def to_opsgenie(matrix: Matrix, severity_id: str | None = None) -> Exported:
    """Opsgenie's escalation and schedule API bodies. Its rule delays count from the alert's
    creation, not from the previous rule as PagerDuty's do, so each level's delay is the sum of
    the timers below it on the path."""
    severity = export_severity(matrix, severity_id)
    warnings: list[str] = []
    users = {c.id: c.email for c in matrix.contacts if c.email}
    for contact in matrix.contacts:
        if not contact.email:
            warnings.append(
                f"contact {contact.id}: no email, which is an Opsgenie username: left out"
            )
    document = {
        "users": [
            {
                "username": contact.email,
                "fullName": contact.label,
                "role": {"name": "User"},
                "timeZone": str(contact.timezone or matrix.timezone),
            }
            for contact in matrix.contacts
            if contact.email
        ],
        "schedules": [_schedule(matrix, r.id, users, warnings) for r in matrix.rotations],
        "escalations": [
            _escalation(matrix, name, severity, users, warnings) for name in matrix.all_paths
        ],
    }
    return Exported(document, [*warnings, *losses(matrix, severity)], severity)


def _schedule(
    matrix: Matrix, rotation_id: str, users: dict[str, str], warnings: list[str]
) -> dict[str, Any]:
    rotation = matrix.rotations_by_id[rotation_id]
    zone = rotation.timezone or matrix.timezone
    kind, length = next(
        (
            (name, rotation.shift // size)
            for name, size in _ROTATION_TYPES
            if not rotation.shift % size
        ),
        ("hourly", max(1, round(rotation.shift / timedelta(hours=1)))),
    )
    if rotation.shift % timedelta(hours=1):
        warnings.append(f"rotation {rotation.id}: shift is not whole hours: rounded to {length}h")
    start = rotation.start.replace(tzinfo=zone).astimezone(UTC)
    return {
        "name": rotation.id,
        "description": rotation.name or rotation.id,
        "timezone": str(zone),
        "enabled": True,
        "rotations": [
            {
                "name": rotation.name or rotation.id,
                "startDate": start.isoformat().replace("+00:00", "Z"),
                "type": kind,
                "length": length,
                "participants": [
                    {"type": "user", "username": users[m]} for m in rotation.members if m in users
                ],
            }
        ],
    }


def _recipient(matrix: Matrix, ref: str, users: dict[str, str]) -> dict[str, Any] | None:
    rotation = ref.removeprefix(ROTATION_PREFIX)
    if ref.startswith(ROTATION_PREFIX) or (
        ref not in matrix.contacts_by_id and rotation in matrix.rotations_by_id
    ):
        return {"type": "schedule", "name": rotation}
    return {"type": "user", "username": users[ref]} if ref in users else None


def _escalation(
    matrix: Matrix, name: str, severity: str | None, users: dict[str, str], warnings: list[str]
) -> dict[str, Any]:
    rules = []
    elapsed = 0
    condition = "if-not-acked"  # the first level is told at once
    for level_id, timing in path_timings(matrix, name, severity, warnings):
        level = matrix.levels_by_id[level_id]
        for ref in level.contacts:
            recipient = _recipient(matrix, ref, users)
            if recipient is None:
                continue  # its warning says it has no email
            rules.append(
                {
                    "condition": condition,
                    "notifyType": "default",
                    "delay": {"timeAmount": elapsed, "timeUnit": "minutes"},
                    "recipient": recipient,
                }
            )
        if timing is None:
            if level_id != path_levels(matrix, name, severity)[-1]:
                warnings.append(
                    f"path {name}: level {level_id} has no timer (manual escalation only), and"
                    f" an Opsgenie rule always fires: the next one {PAGERDUTY_DEFAULT_DELAY}m later"
                )
            timing = RuleTiming(PAGERDUTY_DEFAULT_DELAY, "none")
        elapsed += timing.minutes
        condition = "if-not-closed" if timing.timer == "after" else "if-not-acked"
    escalation: dict[str, Any] = {
        "name": name,
        "description": path_description(matrix, name),
        "rules": rules,
    }
    levels = path_levels(matrix, name, severity)
    repeat = matrix.all_paths[name].repeat or matrix.levels_by_id[levels[-1]].repeat
    if repeat is not None and len(levels) == 1:
        escalation["repeat"] = {
            "waitInterval": int(repeat.every.total_seconds() // 60),
            "count": repeat.times,
            "resetRecipientStates": False,
            "closeAlertAfterAll": False,
        }
    elif repeat is not None:
        warnings.append(
            f"path {name}: repeat at the top has no equivalent (Opsgenie's repeat restarts the"
            " whole escalation): left out"
        )
    return escalation
