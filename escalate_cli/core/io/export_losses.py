"""What a paging service's escalation policies and schedules cannot hold, one line per thing:
an export lists these instead of dropping them silently."""

from __future__ import annotations

from collections.abc import Iterator

from escalate_cli.core.matrix.model import BySeverity, Matrix
from escalate_cli.core.time.timing import format_duration


def losses(matrix: Matrix, severity: str | None) -> list[str]:
    """Every part of the matrix with no equivalent, as `where: what (why)` lines."""
    return [
        *_contacts(matrix),
        *_levels(matrix, severity),
        *_paths(matrix),
        *_severities(matrix, severity),
        *(f"trigger {t.id}: triggers have no equivalent" for t in matrix.triggers),
        *(f"calendar {name}: business-hours SLAs have no equivalent" for name in matrix.calendars),
        *_matrix_wide(matrix),
    ]


def _contacts(matrix: Matrix) -> Iterator[str]:
    for contact in matrix.contacts:
        if contact.hours is not None:
            yield f"contact {contact.id}: hours have no equivalent (always reachable there)"
        for away in contact.away:
            delegate = f", delegate {away.delegate}" if away.delegate else ""
            yield f"contact {contact.id}: away period{delegate} has no equivalent (use overrides)"
        if contact.external:
            yield f"contact {contact.id}: external party exported as an ordinary user"


def _levels(matrix: Matrix, severity: str | None) -> Iterator[str]:
    for level in matrix.levels:
        for name, timer in (("ack", level.ack), ("after", level.after)):
            if isinstance(timer, BySeverity):
                each = ", ".join(f"{sev} {format_duration(d)}" for sev, d in timer.items())
                yield (
                    f"level {level.id}: {name} differs by severity ({each}): exported for"
                    f" {severity} (export each with --severity)"
                )
        if level.min_time is not None:
            yield f"level {level.id}: min_time {format_duration(level.min_time)} has no equivalent"
        if level.authority:
            yield f"level {level.id}: authority has no equivalent"


def _paths(matrix: Matrix) -> Iterator[str]:
    for name, path in matrix.all_paths.items():
        if path.also_notify:
            yield f"path {name}: also_notify {', '.join(path.also_notify)} has no equivalent"
        if path.agreement == "required":
            yield f"path {name}: agreement (two people to escalate) has no equivalent"
        if path.external:
            yield f"path {name}: external contacts {', '.join(path.external)} have no equivalent"


def _severities(matrix: Matrix, chosen: str | None) -> Iterator[str]:
    for severity in matrix.severities:
        slas = [
            f"{name} {format_duration(d)}"
            for name, d in (("ack", severity.ack), ("resolve", severity.resolve))
            if d is not None
        ]
        if slas:
            yield f"severity {severity.id}: SLAs ({', '.join(slas)}) have no equivalent"
        if severity.notify:
            yield f"severity {severity.id}: notify {', '.join(severity.notify)} has no equivalent"
        if severity.start and severity.id != chosen:
            yield (
                f"severity {severity.id}: start level {severity.start} not exported"
                f" (policies start where {chosen} cases do; export with --severity {severity.id})"
            )


def _matrix_wide(matrix: Matrix) -> Iterator[str]:
    if matrix.skip_unavailable:
        yield "skip_unavailable: no equivalent (a paging service escalates on delay alone)"
    if matrix.tiers:
        yield "tiers: no equivalent"
    if matrix.ownership == "follow":
        yield "ownership follow: no equivalent"
    if matrix.channels or matrix.notify_via:
        yield "channels: no equivalent (the service notifies through its own)"
    if matrix.hooks.configured:
        yield "hooks: no equivalent"
