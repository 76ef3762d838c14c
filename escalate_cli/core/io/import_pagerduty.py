"""PagerDuty escalation policies, schedules and users back into a matrix YAML that validates:
a path per policy, a level per rule, a rotation per schedule, a contact per user."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from escalate_cli.core.errors import UsageError
from escalate_cli.core.time.timing import format_duration, parse_zone


@dataclass
class Imported:
    """The matrix as YAML text, and one line per thing of PagerDuty's it could not carry."""

    yaml_text: str
    warnings: list[str] = field(default_factory=list)


def read_pagerduty(text: str, filename: str) -> dict[str, list[dict[str, Any]]]:
    """The users, schedules and policies of an export, or of an API response (`{"schedule":
    {...}}`, `{"escalation_policies": [...]}`), whichever the file holds."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{filename}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{filename}: expected a JSON object with escalation_policies")
    found: dict[str, list[dict[str, Any]]] = {}
    for plural, single in (
        ("users", "user"),
        ("schedules", "schedule"),
        ("escalation_policies", "escalation_policy"),
    ):
        items = data.get(plural, [data[single]] if single in data else [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise UsageError(f"{filename}: {plural}: expected a list of objects")
        found[plural] = items
    if not found["escalation_policies"]:
        raise UsageError(
            f"{filename}: no escalation policy (escalation_policies or escalation_policy)"
        )
    return found


def from_pagerduty(text: str, filename: str) -> Imported:
    """A matrix YAML from a PagerDuty export; checked by escalate's own validation, its
    problems named after the YAML it would have written."""
    data = read_pagerduty(text, filename)
    warnings: list[str] = []
    try:
        matrix = _matrix(data, filename, warnings)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise UsageError(f"{filename}: not a PagerDuty export this can read ({what})") from exc
    header = "".join(f"# warning: {line}\n" for line in warnings)
    body = yaml.dump(matrix, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    yaml_text = f"# Imported from PagerDuty ({filename}) by escalate matrix import.\n{header}{body}"
    from escalate_cli.core.matrix.loader import load_matrix_text

    load_matrix_text(yaml_text, f"{filename} as a matrix")
    return Imported(yaml_text, warnings)


def _matrix(
    data: dict[str, list[dict[str, Any]]], filename: str, warnings: list[str]
) -> dict[str, Any]:
    contacts = _contacts(data["users"])
    rotations = [_rotation(s, warnings) for s in data["schedules"]]
    for rotation in rotations:
        for member in rotation["members"]:
            if member not in contacts:
                warnings.append(
                    f"schedule {rotation['id']}: user {member} is not in the file:"
                    " contact without email"
                )
                contacts[member] = {"id": member}
    known_schedules = {r["id"] for r in rotations}
    levels, paths, triggers = _levels_and_paths(
        data["escalation_policies"], known_schedules, contacts, warnings
    )
    zone = rotations[0]["timezone"] if rotations else "UTC"
    for contact in contacts.values():
        if contact.get("timezone") == zone:
            del contact["timezone"]  # the matrix's zone already says it
    matrix: dict[str, Any] = {
        "version": 1,
        "name": f"Imported from {filename}",
        "timezone": zone,
        "contacts": list(contacts.values()),
        "rotations": rotations,
        "levels": levels,
        "paths": paths,
    }
    if triggers:
        matrix["triggers"] = triggers
    if not rotations:
        del matrix["rotations"]
    return matrix


class _Dumper(yaml.SafeDumper):
    """Lists of ids on one line (`contacts: [sam, tia]`), as people write matrices."""


def _flow_ids(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


_Dumper.add_representer(list, _flow_ids)


def _contacts(users: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    contacts: dict[str, dict[str, Any]] = {}
    for user in users:
        contact: dict[str, Any] = {"id": str(user["id"])}
        for ours, theirs in (("name", "name"), ("role", "job_title"), ("email", "email")):
            if user.get(theirs):
                contact[ours] = str(user[theirs])
        if user.get("time_zone"):
            contact["timezone"] = str(user["time_zone"])
        contacts[contact["id"]] = contact
    return contacts


def _rotation(schedule: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    name = str(schedule["id"])
    layers = schedule.get("schedule_layers") or []
    if not layers:
        raise UsageError(f"schedule {name}: no schedule_layers")
    if len(layers) > 1:
        warnings.append(
            f"schedule {name}: {len(layers)} layers, only the first becomes the rotation"
        )
    layer = layers[0]
    if layer.get("restrictions"):
        warnings.append(f"schedule {name}: restrictions have no equivalent (on call at all hours)")
    if layer.get("end"):
        warnings.append(f"schedule {name}: layer end {layer['end']} has no equivalent")
    zone_name = str(schedule.get("time_zone") or "UTC")
    zone = parse_zone(zone_name)
    start = datetime.fromisoformat(str(layer.get("rotation_virtual_start") or layer["start"]))
    wall = start.astimezone(zone).replace(tzinfo=None) if start.tzinfo else start
    rotation: dict[str, Any] = {
        "id": name,
        "members": [str(entry["user"]["id"]) for entry in layer.get("users", [])],
        "shift": format_duration(timedelta(seconds=int(layer["rotation_turn_length_seconds"]))),
        "start": wall.isoformat(timespec="minutes"),
        "timezone": zone_name,
    }
    if schedule.get("name") and schedule["name"] != name:
        rotation["name"] = str(schedule["name"])
    return rotation


def _levels_and_paths(
    policies: list[dict[str, Any]],
    schedules: set[str],
    contacts: dict[str, dict[str, Any]],
    warnings: list[str],
) -> tuple[list[dict[str, Any]], dict[str, list[str]], list[dict[str, Any]]]:
    """A level per rule id, shared by the policies that repeat it, in an order every policy's
    rules keep (escalate's paths climb one ladder); a path per policy."""
    levels: dict[str, dict[str, Any]] = {}
    paths: dict[str, list[str]] = {}
    delays: dict[str, dict[str, int]] = {}  # level -> policy -> its rule's delay in minutes
    for policy in policies:
        path = str(policy["id"])
        rules = policy.get("escalation_rules") or []
        paths[path] = [_level(rule, levels, schedules, contacts, warnings, path) for rule in rules]
        for rule, level_id in zip(rules, paths[path], strict=True):
            delays.setdefault(level_id, {})[path] = int(rule["escalation_delay_in_minutes"])
        if int(policy.get("num_loops") or 0):
            warnings.append(_loops(policy, paths[path]))
    order = _ladder(paths)
    return [levels[level_id] for level_id in order], paths, _per_path(levels, delays, paths)


def _per_path(
    levels: dict[str, dict[str, Any]],
    delays: dict[str, dict[str, int]],
    paths: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """A rule shared by policies with different delays: escalate keeps one set of timers per
    level, so the level takes the longest delay, and a trigger per shorter one escalates on
    that path when the level has not acknowledged by then (`unacknowledged_for`)."""
    triggers = []
    for level_id, by_path in delays.items():
        longest = max(by_path.values())
        levels[level_id]["ack"] = format_duration(timedelta(minutes=longest))
        for path, minutes in by_path.items():
            if minutes < longest and level_id != paths[path][-1]:
                triggers.append(
                    {
                        "id": f"{path}-{level_id}-delay",
                        "when": {
                            "type": [path],
                            "level": [level_id],
                            "unacknowledged_for": format_duration(timedelta(minutes=minutes)),
                        },
                        "then": "escalate",
                    }
                )
    return triggers


def _level(
    rule: dict[str, Any],
    levels: dict[str, dict[str, Any]],
    schedules: set[str],
    contacts: dict[str, dict[str, Any]],
    warnings: list[str],
    path: str,
) -> str:
    level_id = str(rule["id"])
    ack = format_duration(timedelta(minutes=int(rule["escalation_delay_in_minutes"])))
    refs = []
    for goal in rule.get("targets") or []:
        ref = _target(goal, schedules, contacts, warnings, path)
        if ref is not None:
            refs.append(ref)
    level = levels.setdefault(level_id, {"id": level_id, "contacts": refs, "ack": ack})
    if level["contacts"] != refs:  # a different delay is kept per path (see _per_path)
        warnings.append(
            f"policy {path}: rule {level_id}'s targets differ from its first use: kept the first"
        )
    return level_id


def _target(
    goal: dict[str, Any],
    schedules: set[str],
    contacts: dict[str, dict[str, Any]],
    warnings: list[str],
    path: str,
) -> str | None:
    ident, kind = str(goal["id"]), str(goal.get("type", ""))
    if kind.startswith("schedule"):
        if ident in schedules:
            return f"rotation:{ident}"
        warnings.append(f"policy {path}: schedule {ident} is not in the file: target left out")
        return None
    if ident not in contacts:
        warnings.append(f"policy {path}: user {ident} is not in the file: contact without email")
        contacts[ident] = {"id": ident}
    return ident


def _loops(policy: dict[str, Any], levels: list[str]) -> str:
    return (
        f"policy {policy['id']}: num_loops {policy['num_loops']} restarts the policy; escalate"
        f" stays at the top ({levels[-1] if levels else 'none'}): not carried"
    )


def _ladder(paths: dict[str, list[str]]) -> list[str]:
    """A bottom-to-top order of every level that keeps each path's order (a topological sort,
    first-seen order on ties); policies that contradict each other are refused."""
    before: dict[str, set[str]] = {}
    for levels in paths.values():
        for position, level_id in enumerate(levels):
            before.setdefault(level_id, set()).update(levels[:position])
    order: list[str] = []
    pending = list(before)
    while pending:
        ready = next((lv for lv in pending if before[lv] <= set(order)), None)
        if ready is None:
            raise UsageError(
                f"the policies order rules {', '.join(pending)} in contradicting ways"
                " (escalate's paths climb one ladder)"
            )
        order.append(ready)
        pending.remove(ready)
    return order
