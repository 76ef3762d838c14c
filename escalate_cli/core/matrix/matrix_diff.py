"""`matrix diff`: what changed between two matrices, by id, and which open cases it moves."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from escalate_cli.core.cases.document import Case
from escalate_cli.core.errors import EscalateError
from escalate_cli.core.matrix.model import BySeverity, Matrix
from escalate_cli.core.time.hours import Hours
from escalate_cli.core.time.timing import Away, format_duration

# A contact's reachability is what coverage and routing feel: it is reported as its own kind.
HOURS_FIELDS = ("hours", "away", "timezone")
# The matrix fields compared item by item (kind, how items are listed); the rest are settings.
COLLECTIONS = {
    "contacts": "contact",
    "rotations": "rotation",
    "levels": "level",
    "paths": "path",
    "severities": "severity",
    "triggers": "trigger",
    "calendars": "calendar",
    "channels": "channel",
}
ORDERED = ("levels", "severities")  # bottom to top, most to least severe: the order means something


@dataclass(frozen=True)
class Change:
    """One item added, removed or changed; `fields` holds each changed field's old and new."""

    kind: str
    id: str
    change: str
    fields: dict[str, tuple[Any, Any]]

    @property
    def lines(self) -> list[str]:
        """Each changed field on a line of its own: `ack.sev2: 15m -> 10m`."""
        return [f"{name}: {shown(old)} -> {shown(new)}" for name, (old, new) in self.fields.items()]

    @property
    def what(self) -> str:
        """What happened to it, in words (`what` in docs/matrix-as-code.md)."""
        return "; ".join([self.change, *self.lines]) if self.fields else self.change

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "what": self.what,
            "change": self.change,
            "fields": {name: list(pair) for name, pair in self.fields.items()},
        }


def shown(value: object) -> str:
    """A field's value on one line: text as it is, lists joined, the rest as JSON."""
    import json

    if value is None:
        return "-"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value) or "[]"
    if isinstance(value, str):
        return value
    return json.dumps(value)


@dataclass(frozen=True)
class CaseChange:
    """An open case whose `next` answer (who, when, why) differs under the new matrix."""

    case: str
    old: dict[str, Any]
    new: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"case": self.case, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class MatrixDiff:
    """`escalate matrix diff`: what the two sides are called, what changed, and for whom."""

    old: str
    new: str
    changes: list[Change]
    cases: list[CaseChange]

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [change.to_json() for change in self.changes],
            "cases": [case.to_json() for case in self.cases],
        }


def changes(old: Matrix, new: Matrix) -> list[Change]:
    """Every difference, in the order the matrix is written: settings, then each collection."""
    found = _settings(old, new)
    for name, kind in COLLECTIONS.items():
        before, after = _items(old, name), _items(new, name)
        for ident in [*before, *(key for key in after if key not in before)]:
            if ident not in after:
                found.append(Change(kind, ident, "removed", {}))
            elif ident not in before:
                found.append(Change(kind, ident, "added", {}))
            elif kind == "contact":
                found += _contact_changes(ident, before[ident], after[ident])
            else:
                fields = _fields(before[ident], after[ident])
                if fields:
                    found.append(Change(kind, ident, "changed", fields))
    return found


def _items(matrix: Matrix, name: str) -> dict[str, dict[str, Any]]:
    held = matrix.all_paths if name == "paths" else getattr(matrix, name)
    if isinstance(held, Mapping):
        return {key: plain(value) for key, value in held.items()}
    return {item.id: plain(item) for item in held}


def _contact_changes(ident: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    fields = _fields(before, after)
    who = {key: pair for key, pair in fields.items() if key.split(".")[0] not in HOURS_FIELDS}
    hours = {key: pair for key, pair in fields.items() if key not in who}
    return [
        Change(kind, ident, "changed", part)
        for kind, part in (("contact", who), ("hours", hours))
        if part
    ]


def _settings(old: Matrix, new: Matrix) -> list[Change]:
    found: list[Change] = []
    for field in dataclasses.fields(Matrix):
        name = field.name
        if name in ORDERED:
            before = [item.id for item in getattr(old, name)]
            after = [item.id for item in getattr(new, name)]
            kept = [ident for ident in before if ident in after]
            if kept != [ident for ident in after if ident in before]:
                found.append(Change("setting", name, "changed", {"order": (before, after)}))
        if name in COLLECTIONS:
            continue
        before, after = plain(getattr(old, name)), plain(getattr(new, name))
        fields = _fields({name: before}, {name: after})
        if fields:
            found.append(Change("setting", name, "changed", fields))
    return found


def _fields(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The keys whose values differ, as `name: (old, new)`; a mapping on both sides is
    compared key by key (`when.keywords`), so one changed condition is not a whole trigger."""
    found: dict[str, tuple[Any, Any]] = {}
    for key in [*before, *(key for key in after if key not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            found.update(_fields(old, new, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = (old, new)
    return found


def plain(value: Any) -> Any:
    """JSON values, written as in the YAML (durations `1h30m`, zones by name, hours as a spec)."""
    if isinstance(value, BySeverity):
        return {name: format_duration(span) for name, span in value.items()}
    if isinstance(value, Hours):  # its spec, not the minutes it is compiled to
        return str(value)
    if isinstance(value, Away):  # as the YAML spells it: `from`, not `start`
        return {"from": plain(value.start), "until": plain(value.until), "delegate": value.delegate}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name.rstrip("_"): plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, ZoneInfo):
        return value.key
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def next_answer(matrix: Matrix, case: Case, now: datetime) -> dict[str, Any]:
    """`next`'s who, when and why for a case: the next level and its contacts, due_at, reason."""
    from escalate_cli.core.cases.planning import next_view

    try:
        view = next_view(matrix, case, now)
    except EscalateError as error:  # one case the new rules cannot place must not stop the diff
        return {"level": None, "contacts": [], "due_at": None, "reason": str(error)}
    step = view.data["next"]
    if step is None:
        return {"level": None, "contacts": [], "due_at": None, "reason": view.note}
    return {
        "level": step["level"],
        "contacts": [contact["id"] for contact in step["contacts"]],
        "due_at": step["due_at"],
        "reason": step["reason"],
    }


def case_changes(
    old: Matrix, new: Matrix, cases: Iterable[Case], now: datetime
) -> list[CaseChange]:
    """The cases whose `next` answer differs between the two matrices, in case order."""
    moved: list[CaseChange] = []
    for case in sorted(cases, key=lambda case: case.get("number", 0)):
        before, after = next_answer(old, case, now), next_answer(new, case, now)
        if before != after:
            moved.append(CaseChange(str(case["id"]), before, after))
    return moved
