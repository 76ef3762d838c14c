"""The checks behind `matrix lint`, each yielding (code, key path, message) on a valid matrix."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from escalate_cli.core.engine.availability import contact_zone
from escalate_cli.core.engine.levels import start_level
from escalate_cli.core.matrix import level_gaps
from escalate_cli.core.matrix.matrix_refs import KeyPath, entries, names
from escalate_cli.core.matrix.model import (
    DEFAULT_PATH,
    ROTATION_PREFIX,
    BySeverity,
    Level,
    Matrix,
    Severity,
)
from escalate_cli.core.time.timing import format_duration

Found = tuple[str, KeyPath, str]

# Words nearly every case holds: a trigger on one of them fires on most cases.
COMMON_WORDS = frozenset(
    {
        *("issue", "issues", "problem", "problems", "error", "errors", "help", "urgent"),
        *("asap", "please", "customer", "customers", "support", "case", "ticket", "broken"),
        *("down", "fail", "failed", "failure", "failing", "working", "question", "request"),
        *("account", "update", "thanks"),
    }
)


def model_findings(matrix: Matrix, data: dict[str, Any]) -> list[Found]:
    """Every finding that needs no walk through time."""
    return [
        *_slower_than_sla(matrix),
        *_unreachable(matrix),
        *_unused(matrix),
        *_never_fire(matrix),
        *_common_keywords(data),
        *_silent_tops(matrix),
    ]


def _slower_than_sla(matrix: Matrix) -> Iterator[Found]:
    """L102: at a level where cases of a severity open, its timer starts with the SLA's; a
    longer timer never fires first. A timer written for that severity by name counts anywhere."""
    opens_at: dict[str, set[str]] = {}
    for severity in matrix.severities:
        for path in matrix.all_paths:
            opens_at.setdefault(start_level(matrix, severity.id, path), set()).add(severity.id)
    for index, level in enumerate(matrix.levels):
        for timer, sla in (("ack", "ack"), ("after", "resolve")):
            late: list[str] = []
            for severity in matrix.severities:
                runs = (
                    level.ack_for(severity.id) if timer == "ack" else level.after_for(severity.id)
                )
                limit = severity.ack if sla == "ack" else severity.resolve
                if runs is None or limit is None or runs <= limit:
                    continue
                if severity.id in opens_at.get(level.id, ()) or _by_name(level, timer, severity):
                    late.append(
                        f"{severity.id} {format_duration(runs)} against {format_duration(limit)}"
                    )
            if late:
                yield (
                    "L102",
                    ("levels", index, timer),
                    f"level {level.id}'s {timer} is longer than the {sla} SLA it starts with"
                    f" ({_and(late)}): the SLA escalates first and this {timer} never does",
                )


def _by_name(level: Level, timer: str, severity: Severity) -> bool:
    """Whether the level's timer has an entry for the severity itself (not its `default`)."""
    written = level.ack if timer == "ack" else level.after
    return isinstance(written, BySeverity) and severity.id in dict(written.durations)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _unreachable(matrix: Matrix) -> Iterator[Found]:
    """L103: no address of their own and no channel that can do without one."""
    for index, contact in enumerate(matrix.contacts):
        if contact.email or contact.phone or contact.chat:
            continue
        channels = matrix.channels_of(contact.id)
        if any(
            matrix.channels[name].kind != "email" for name in channels if name in matrix.channels
        ):
            continue
        yield (
            "L103",
            ("contacts", index),
            f"contact {contact.id} has no email, phone, chat or webhook or command channel:"
            " nobody can reach them",
        )


def _named_contacts(matrix: Matrix) -> set[str]:
    named = {ref for level in matrix.levels for ref in level.contacts}
    named.update(member for rotation in matrix.rotations for member in rotation.members)
    named.update(a.delegate for c in matrix.contacts for a in c.away if a.delegate)
    for path in matrix.all_paths.values():
        named.update(path.also_notify + path.external)
    named.update(ref for severity in matrix.severities for ref in severity.notify)
    named.update(ref for trigger in matrix.triggers for ref in trigger.then.contacts)
    return named


def _rotation_of(matrix: Matrix, ref: str) -> str | None:
    if ref.startswith(ROTATION_PREFIX):
        return ref.removeprefix(ROTATION_PREFIX)
    return ref if ref in matrix.rotations_by_id and ref not in matrix.contacts_by_id else None


def _unused(matrix: Matrix) -> Iterator[Found]:
    """L105-L108: contacts, rotations, levels and paths nothing leads to."""
    named = _named_contacts(matrix)
    for index, contact in enumerate(matrix.contacts):
        if contact.id not in named:
            yield (
                "L105",
                ("contacts", index),
                f"contact {contact.id} is named nowhere: on no level, rotation, path, severity"
                " or trigger, and delegate for nobody",
            )
    on_levels = {_rotation_of(matrix, ref) for level in matrix.levels for ref in level.contacts}
    for index, rotation in enumerate(matrix.rotations):
        if rotation.id not in on_levels:
            yield ("L106", ("rotations", index), f"rotation {rotation.id} is on no level")
    on_paths = {level for path in matrix.all_paths.values() for level in path.levels}
    for index, level in enumerate(matrix.levels):
        if level.id not in on_paths:
            yield ("L107", ("levels", index), f"level {level.id} is on no path: no case reaches it")
    chosen = {t.then.target for t in matrix.triggers if t.then.kind == "path"}
    chosen.update(name for trigger in matrix.triggers for name in trigger.when.type)
    for name in matrix.paths:
        if name != DEFAULT_PATH and name not in chosen:
            yield (
                "L108",
                ("paths", name),
                f"path {name} is named by no trigger: only open --type {name} or route"
                f" --path {name} puts a case on it",
            )


def _never_fire(matrix: Matrix) -> Iterator[Found]:
    """L109: a `level` condition no case of the trigger's types can meet. (A tier the matrix
    does not list is already an error of validate's.)"""
    for index, trigger in enumerate(matrix.triggers):
        types = trigger.when.type or tuple(matrix.all_paths)
        reachable = {level for name in types for level in matrix.all_paths[name].levels}
        for number, level_id in enumerate(trigger.when.level):
            if level_id not in reachable:
                where: KeyPath = ("triggers", index, "when", "level")
                on = f" of type {_and(list(types))}" if trigger.when.type else ""
                yield (
                    "L109",
                    (*where, number) if len(trigger.when.level) > 1 else where,
                    f"trigger {trigger.id} can never fire: level {level_id} is on no path{on}",
                )


def _common_keywords(data: dict[str, Any]) -> Iterator[Found]:
    """L110 for everyday words (none shorter than the short keywords check_warnings reports,
    also under L110, so no keyword is reported twice)."""
    for index, trigger in entries(data, "triggers"):
        when = trigger.get("when")
        if not isinstance(when, dict):
            continue
        for where, keyword in names(when.get("keywords"), ("triggers", index, "when", "keywords")):
            if " ".join(keyword.casefold().split()) in COMMON_WORDS:
                yield (
                    "L110",
                    where,
                    f'keyword "{keyword}" of trigger {trigger.get("id")} is a word most cases'
                    " use, so it matches far more than you mean",
                )


def _silent_tops(matrix: Matrix) -> Iterator[Found]:
    """L111: at the top of a path, nothing more happens to an unacknowledged case."""
    for name, path in matrix.all_paths.items():
        top = matrix.levels_by_id[path.levels[-1]]
        if path.external or path.repeat or top.repeat:
            continue
        where: KeyPath = (
            ("paths", name) if name in matrix.paths else ("levels", matrix.level_rank[top.id])
        )
        yield (
            "L111",
            where,
            f"path {name} tops out at {top.id} with no external contacts and no repeat:"
            f" a case nobody acknowledges there is told once, then waits",
        )


def coverage_findings(matrix: Matrix, first_day: date, weeks: int) -> list[Found]:
    """L101 and L104: walk each level's availability through the weeks from `first_day`.

    Leave without a delegate is taken out for L101 and is L104's, so an empty hour is
    reported under the reason for it.
    """
    zone = matrix.timezone
    start, end = level_gaps.window(first_day, weeks, zone)
    covered = _without_bare_leave(matrix)
    found: list[Found] = []
    for index, level in enumerate(matrix.levels):
        gaps = level_gaps.level_gaps(covered, level.id, start, end)
        if gaps:
            hours = level_gaps.describe_weekly(gaps, first_day, weeks, zone)
            found.append(
                (
                    "L101",
                    ("levels", index, "contacts"),
                    f"level {level.id} has nobody available {hours} ({zone.key})",
                )
            )
    found += _bare_leave(matrix, start, timedelta(weeks=weeks))
    return found


def _without_bare_leave(matrix: Matrix) -> Matrix:
    contacts = tuple(
        dataclasses.replace(c, away=tuple(a for a in c.away if a.delegate)) for c in matrix.contacts
    )
    return dataclasses.replace(matrix, contacts=contacts)


def _bare_leave(matrix: Matrix, start: datetime, span: timedelta) -> Iterator[Found]:
    """L104: each leave with no delegate, walked from its start (or the window's) for `span`:
    the hours a level is empty with it and would not be without it. Two people away at once
    leave a level empty together, so each of them is told."""
    for index, contact in enumerate(matrix.contacts):
        zone = contact_zone(matrix, contact)
        for number, away in enumerate(contact.away):
            if away.delegate or away.ends_at(zone) <= start:
                continue
            low = max(away.starts_at(zone), start)
            high = min(away.ends_at(zone), low + span)
            kept = _without_leave(matrix, contact.id, number)
            for level in matrix.levels:
                extra = level_gaps.subtract(
                    level_gaps.level_gaps(matrix, level.id, low, high),
                    level_gaps.level_gaps(kept, level.id, low, high),
                )
                if extra:
                    when = level_gaps.describe_dated(extra, matrix.timezone)
                    yield (
                        "L104",
                        ("contacts", index, "away", number),
                        f"leave of {contact.id} from {away.start} until {away.until} has no"
                        f" delegate and leaves level {level.id} with nobody available {when}",
                    )


def _without_leave(matrix: Matrix, contact_id: str, number: int) -> Matrix:
    contacts = tuple(
        dataclasses.replace(c, away=c.away[:number] + c.away[number + 1 :])
        if c.id == contact_id
        else c
        for c in matrix.contacts
    )
    return dataclasses.replace(matrix, contacts=contacts)
