"""Correcting a case as it is worked (docs/working-cases.md): `edit`, `route`, `down`, `assign`,
`take` and `note`. Each change is a timeline event with its author; none rewrites history:
an edit records the old value beside the new one, a move down keeps every breach on record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from escalate_cli.core.cases import audiences
from escalate_cli.core.cases.document import (
    Case,
    add_event,
    add_participants,
    build_notice,
    event,
    level_audience,
    notified_event,
    require_level,
    require_owner,
    require_path,
    require_tier,
)
from escalate_cli.core.cases.escalation import apply_move, change_owner
from escalate_cli.core.cases.lifecycle import ensure_active, settle
from escalate_cli.core.engine import levels, routing
from escalate_cli.core.errors import RefusedError, UsageError
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing


@dataclass(frozen=True)
class Edit:
    """What `escalate edit` changes; None (or empty) leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    customer: str | None = None
    tier: str | None = None
    tag: list[str] = field(default_factory=list)
    untag: list[str] = field(default_factory=list)


def _not_closed(case: Case, doing: str) -> None:
    if case["status"] == "closed":
        raise RefusedError(f"cannot {doing} {case['id']}: it is closed (reopen it first)")


def _text(value: str, flag: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise UsageError(f"{flag} needs some text")
    return cleaned


def _tag(value: str, flag: str) -> str:
    """A tag as kept: one word, folded to lower case (a space would split it for the shell's
    completion and for `list --tag`)."""
    tag = _text(value, flag).casefold()
    if not tag.isprintable() or any(character.isspace() for character in tag):
        raise UsageError(f"{flag} {tag!r}: a tag is one word, such as billing or eu-west")
    return tag


def edit(matrix: Matrix, case: Case, now: datetime, change: Edit, by: str | None) -> list[str]:
    """Correct the case's description fields; the `edited` event keeps each old value. An
    empty `--description`, `--customer` or `--tier` clears it; a case keeps a title."""
    if all(value is None or value == [] for value in vars(change).values()):
        raise UsageError("edit needs --title, --description, --customer, --tier, --tag or --untag")
    added = [_tag(t, "--tag") for t in change.tag]
    untag = {_text(t, "--untag").casefold() for t in change.untag}
    both = sorted(untag.intersection(added))
    if both:
        raise UsageError(f"--tag and --untag both name {', '.join(both)}: say which you mean")
    _not_closed(case, "edit")
    fields: dict[str, Any] = {}
    if change.title is not None:
        fields["title"] = _text(change.title, "--title")
    if change.description is not None:
        fields["description"] = change.description.strip()
    customer = dict(case.get("customer") or {})
    if change.customer is not None:
        customer["name"] = change.customer.strip() or None
    if change.tier is not None:
        customer["tier"] = require_tier(matrix, change.tier) if change.tier.strip() else None
    if customer != (case.get("customer") or {}):
        fields["customer"] = customer
    tags = list(case.get("tags") or [])
    for tag in added:
        if tag not in tags:
            tags.append(tag)
    tags = [tag for tag in tags if tag not in untag]
    if tags != list(case.get("tags") or []):
        fields["tags"] = tags
    changed = {name: value for name, value in fields.items() if case.get(name) != value}
    said = [_said(name, case.get(name), value) for name, value in changed.items()]
    if not said:
        return []
    before = {name: case.get(name) for name in changed}
    cast("dict[str, Any]", case).update(changed)  # the fields edit may change, by name
    add_event(case, event(now, "edited", by, "; ".join(said), old=before, new=dict(changed)))
    return said


def _said(name: str, old: Any, new: Any) -> str:
    if name == "tags":
        gone = [f"-{t}" for t in old or [] if t not in new]
        return "tags " + " ".join([f"+{t}" for t in new if t not in (old or [])] + gone)
    if name == "customer":
        old = old or {}
        parts = [
            f"{key} {old.get(key) or '-'} -> {new.get(key) or '-'}"
            for key in ("name", "tier")
            if old.get(key) != new.get(key)
        ]
        return "customer " + ", ".join(parts)
    if name == "description":
        return "description changed"
    return f'{name} "{old}" -> "{new}"'


def route(
    matrix: Matrix, case: Case, now: datetime, path: str, reason: str, by: str | None
) -> dict[str, Any]:
    """Move the case to another path by hand (timing rule 9): its lowest level at or above the
    case's, recorded as an escalation."""
    require_path(matrix, path)
    reason = _text(reason, "--reason")
    settle(matrix, case, now)
    ensure_active(case, now, "route")
    if path == case["type"]:
        raise RefusedError(f"{case['id']} is on path {path} already")
    rank = matrix.level_rank[case["level"]]
    level = levels.onto_path(matrix, matrix.all_paths[path], rank)
    move = routing.Move("manual", level, reason, now, new_path=path)
    done = apply_move(matrix, case, move, now, by)
    return dict(done["escalation"] or {})


def down(
    matrix: Matrix, case: Case, now: datetime, to: str | None, reason: str, by: str | None
) -> str:
    """Hand the case down its path: one level, or `to` a lower level on it. Its timers start
    afresh there, the level is asked to acknowledge, and every breach stays on record."""
    reason = _text(reason, "--reason")
    settle(matrix, case, now)
    ensure_active(case, now, "move down")
    path = matrix.all_paths[case["type"]]
    current = case["level"]
    below = [
        level for level in path.levels if matrix.level_rank[level] < matrix.level_rank[current]
    ]
    if to is not None:
        require_level(matrix, to)
        if to not in below:
            why = f"below {current} on" if to in path.levels else "on"
            raise RefusedError(
                f"{case['id']}: --to {to} is not {why} path {case['type']}"
                f" (levels below {current} there: {', '.join(below) or 'none'})"
            )
    elif not below:
        raise RefusedError(f"{case['id']} is at the bottom of path {case['type']}: nowhere lower")
    target = to or below[-1]
    case["level"] = target
    case["level_entered_at"] = timing.to_iso(now)
    case["level_acknowledged_at"] = None
    if case["status"] == "acknowledged":
        case["status"] = "open"
    text = f"moved down {current} -> {target}: {reason}"
    add_event(
        case, event(now, "de_escalated", by, text, **{"from": current, "to": target}, reason=reason)
    )
    notice = build_notice([(f"moved down to {target}", level_audience(matrix, target, now))], by)
    if notice.contacts:
        add_event(case, notified_event(now, by, notice))
        add_participants(case, notice.contacts, now)
    return target


def assign(
    matrix: Matrix, case: Case, now: datetime, contact: str, by: str | None
) -> list[str] | None:
    """Make `contact` the owner, and tell `notify_on`'s `owner_changed` audiences (the new
    owner among them, unless they took it themselves). Returns who was told; None when the
    contact owns the case already: nothing changes, so a script may run it twice."""
    require_owner(matrix, contact)
    _not_closed(case, "assign")
    if case.get("owner") == contact:
        return None
    change_owner(case, contact, now, by)
    return audiences.tell(matrix, case, ["owner_changed"], now, by)


def note(case: Case, now: datetime, text: str, by: str | None) -> None:
    """An internal annotation: resets no timer (not even `silent_for`) and tells nobody."""
    add_event(case, event(now, "note", by, _text(text, "note")))
