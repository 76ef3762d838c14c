"""Cross-reference and semantic checks on a matrix's raw YAML data, beyond what the schema sees."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from escalate_cli.core.matrix.model import DEFAULT_PATH, OWNER, ROTATION_PREFIX

KeyPath = tuple[str | int, ...]
Issue = tuple[KeyPath, str]

# Ids are typed at the shell and joined with "rotation:", so no spaces and no colons.
_ID = re.compile(r"\w[\w.-]*")
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_LIST_KNOWN_UP_TO = 10
READS_VERSION = "this escalate reads version 1"
_SHORT_KEYWORD = 4  # letters; shorter keywords are valid but earn a warning


def format_key(path: KeyPath) -> str:
    """Render ("levels", 2, "after") as `levels[2].after`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def unknown(kind: str, name: str, known: list[str]) -> str:
    """`unknown contact "sma" (known: dana, sam, tia)`, or a did-you-mean when the list is long."""
    head = f'unknown {kind} "{name}"'
    if not known:
        return f"{head} (none defined)"
    if len(known) <= _LIST_KNOWN_UP_TO:
        return f"{head} (known: {', '.join(known)})"
    close = difflib.get_close_matches(name, known, n=1)
    return f'{head} (did you mean "{close[0]}"?)' if close else head


@dataclass
class _Known:
    """The ids a matrix defines, in the order it defines them."""

    contacts: list[str] = field(default_factory=list)
    rotations: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)
    calendars: list[str] = field(default_factory=list)


def entries(data: dict[str, Any], section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mapping items of a list section; anything else is the schema's to report."""
    items = data.get(section)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _ids(data: dict[str, Any], section: str) -> list[str]:
    # A number id is the schema's to report; counting it here spares a cascade of "unknown".
    found = [
        str(item["id"])
        for _, item in entries(data, section)
        if isinstance(item.get("id"), str | int | float) and not isinstance(item["id"], bool)
    ]
    return list(dict.fromkeys(found))


def names(value: Any, path: KeyPath, single: bool = True) -> Iterator[tuple[KeyPath, str]]:
    """Each name in a `[name, ...]` value (or a bare `name` when `single`), with its key path."""
    if single and isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield (*path, index), item


def _known(data: dict[str, Any]) -> _Known:
    paths = data.get("paths")
    declared = [name for name in paths if isinstance(name, str)] if isinstance(paths, dict) else []
    return _Known(
        contacts=_ids(data, "contacts"),
        rotations=_ids(data, "rotations"),
        levels=_ids(data, "levels"),
        paths=list(dict.fromkeys([*declared, DEFAULT_PATH])),
        severities=_ids(data, "severities"),
        tiers=[tier for _, tier in names(data.get("tiers"), ("tiers",), single=False)],
        calendars=[name for name in calendars if isinstance(name, str)]
        if isinstance(calendars := data.get("calendars"), dict)
        else [],
    )


def check_references(data: dict[str, Any]) -> list[Issue]:
    """Every semantic problem in `data` (paths already normalised to mappings)."""
    known = _known(data)
    issues = _check_ids(data)
    issues += _check_header(data, known)
    issues += _check_tiers(data)
    issues += _check_contacts(data, known)
    issues += _check_rotations(data, known)
    issues += _check_levels(data, known)
    issues += _check_paths(data, known)
    issues += _check_severities(data, known)
    issues += _check_triggers(data, known)
    issues += _check_notify_on(data.get("notify_on"))
    return issues


def _check_notify_on(notify_on: Any) -> list[Issue]:
    """Audiences that would tell the wrong people: the schema knows the names, not their sense."""
    if not isinstance(notify_on, dict):
        return []
    issues: list[Issue] = []
    for event, audiences in notify_on.items():
        seen: set[str] = set()
        for where, audience in names(audiences, ("notify_on", event), single=False):
            if audience in seen:
                issues.append((where, f'audience "{audience}" is listed twice'))
            elif audience == "customer" and event == "update":
                said = "internal updates never reach customers: use update --audience customer"
                issues.append((where, said))
            elif audience == "added" and event != "convene":
                issues.append((where, '"added" is for convene only (the people it adds)'))
            seen.add(audience)
    return issues


def _check_ids(data: dict[str, Any]) -> list[Issue]:
    # Contacts and rotations share one namespace: a level's bare id may name either.
    groups = [("levels",), ("severities",), ("triggers",), ("contacts", "rotations")]
    issues: list[Issue] = []
    for sections in groups:
        first: dict[str, KeyPath] = {}
        for section in sections:
            for index, item in entries(data, section):
                ident = item.get("id")
                if not isinstance(ident, str):
                    continue
                path: KeyPath = (section, index, "id")
                if not _ID.fullmatch(ident):
                    issues.append((path, _bad_id(ident)))
                if ident in first:
                    also = format_key(first[ident][:-1])
                    issues.append((path, f'duplicate id "{ident}" (already used by {also})'))
                else:
                    first[ident] = path
    paths = data.get("paths")
    if isinstance(paths, dict):
        issues += [
            (("paths", n), _bad_id(n)) for n in paths if isinstance(n, str) and not _ID.fullmatch(n)
        ]
    return issues


def _bad_id(ident: str) -> str:
    return f'bad id "{ident}" (use letters, digits, _ - and ., starting with a letter or digit)'


def _check_header(data: dict[str, Any], known: _Known) -> list[Issue]:
    issues: list[Issue] = []
    prefix = data.get("case_prefix")
    if isinstance(prefix, str) and not _PREFIX.fullmatch(prefix):
        issues.append(
            (
                ("case_prefix",),
                f'bad case prefix "{prefix}" (use letters and digits, starting with a letter: ESC)',
            )
        )
    if isinstance(data.get("version"), bool):  # the schema reads true as 1
        issues.append(
            (("version",), f"unsupported version {str(data['version']).lower()} ({READS_VERSION})")
        )
    default = data.get("default_severity")
    if isinstance(default, str) and default not in known.severities:
        issues.append((("default_severity",), unknown("severity", default, known.severities)))
    if data.get("levels") == []:
        issues.append((("levels",), "a matrix needs at least one level"))
    return issues


def _check_tiers(data: dict[str, Any]) -> list[Issue]:
    tiers = data.get("tiers")
    if tiers == []:
        return [(("tiers",), "list at least one tier, or leave tiers out")]
    issues: list[Issue] = []
    first: dict[str, str] = {}
    for where, tier in names(tiers, ("tiers",), single=False):
        if not _ID.fullmatch(tier):
            issues.append((where, _bad_id(tier)))
        elif tier.casefold() in first:
            also = first[tier.casefold()]
            issues.append((where, f'duplicate tier "{tier}" (already listed as "{also}")'))
        else:
            first[tier.casefold()] = tier
    return issues


def _contact_refs(
    value: Any, path: KeyPath, known: _Known, single: bool = False, owner: str | None = None
) -> Iterator[Issue]:
    for where, name in names(value, path, single):
        if name == owner:
            yield where, f'"{name}" cannot be their own delegate'
        elif name not in known.contacts:
            yield where, unknown("contact", name, known.contacts)


def _check_contacts(data: dict[str, Any], known: _Known) -> list[Issue]:
    issues: list[Issue] = []
    for index, contact in entries(data, "contacts"):
        away = contact.get("away")
        if not isinstance(away, list):
            continue
        owner = contact.get("id") if isinstance(contact.get("id"), str) else None
        for number, period in enumerate(away):
            if isinstance(period, dict) and "delegate" in period:
                path: KeyPath = ("contacts", index, "away", number, "delegate")
                issues += _contact_refs(period["delegate"], path, known, True, owner)
    return issues


def _check_rotations(data: dict[str, Any], known: _Known) -> list[Issue]:
    issues: list[Issue] = []
    for index, rotation in entries(data, "rotations"):
        members = rotation.get("members")
        if members == []:
            issues.append((("rotations", index, "members"), "a rotation needs at least one member"))
        elif isinstance(members, list):
            issues += _contact_refs(members, ("rotations", index, "members"), known)
    return issues


def _level_contact(name: str, known: _Known) -> str | None:
    """Why a level's contact entry does not resolve, or None when it does."""
    if name.startswith(ROTATION_PREFIX):
        rotation = name.removeprefix(ROTATION_PREFIX)
        if rotation in known.rotations:
            return None
        if rotation in known.contacts:
            return f'"{rotation}" is a contact, not a rotation (write it without "rotation:")'
        return unknown("rotation", rotation, known.rotations)
    if name in known.contacts or name in known.rotations:
        return None
    choices = known.contacts + [ROTATION_PREFIX + r for r in known.rotations]
    return unknown("contact", name, choices)


def _check_levels(data: dict[str, Any], known: _Known) -> list[Issue]:
    issues: list[Issue] = []
    for index, level in entries(data, "levels"):
        contacts = level.get("contacts")
        path: KeyPath = ("levels", index, "contacts")
        if contacts == []:
            issues.append((path, "a level needs at least one contact"))
        elif isinstance(contacts, list):
            for where, name in names(contacts, path):
                problem = _level_contact(name, known)
                if problem:
                    issues.append((where, problem))
        for timer in ("ack", "after"):
            issues += _by_severity(level.get(timer), ("levels", index, timer), known)
        issues += _check_repeat(level.get("repeat"), ("levels", index, "repeat"))
    return issues


MOST_REPEATS = 100  # beyond this a repeat is a pager storm, not a reminder


def _check_repeat(repeat: Any, path: KeyPath) -> list[Issue]:
    if not isinstance(repeat, dict) or "times" not in repeat:
        return []
    times = repeat["times"]
    count = _as_count(times)
    if isinstance(times, bool) or count is None or not 1 <= count <= MOST_REPEATS:
        return [((*path, "times"), f"expected a whole number of repeats from 1 to {MOST_REPEATS}")]
    return []


def _by_severity(value: Any, path: KeyPath, known: _Known) -> list[Issue]:
    """Unknown severity ids in a level timer written as `{sev1: 5m, default: 4h}`."""
    if not isinstance(value, dict):
        return []
    return [
        ((*path, name), unknown("severity", name, known.severities))
        for name in value
        if isinstance(name, str) and name != "default" and name not in known.severities
    ]


def _check_paths(data: dict[str, Any], known: _Known) -> list[Issue]:
    paths = data.get("paths")
    if not isinstance(paths, dict):
        return []
    issues: list[Issue] = []
    for name, path in paths.items():
        if not isinstance(path, dict):
            continue
        levels = path.get("levels")
        if levels == []:
            issues.append((("paths", name, "levels"), "empty path: list at least one level"))
        elif isinstance(levels, list):
            issues += _path_order(levels, ("paths", name, "levels"), known)
        for key in ("also_notify", "external"):
            issues += _contact_refs(path.get(key), ("paths", name, key), known)
        issues += _check_repeat(path.get("repeat"), ("paths", name, "repeat"))
    return issues


def _path_order(levels: list[Any], path: KeyPath, known: _Known) -> list[Issue]:
    issues: list[Issue] = []
    seen: set[str] = set()
    below: str | None = None
    for where, name in names(levels, path):
        if name not in known.levels:
            issues.append((where, unknown("level", name, known.levels)))
        elif name in seen:
            issues.append((where, f'level "{name}" is listed twice'))
        elif below is not None and known.levels.index(name) < known.levels.index(below):
            issues.append(
                (
                    where,
                    f'level "{name}" is below "{below}" '
                    "(list a path's levels bottom to top, in the order of levels)",
                )
            )
        else:
            below = name
        seen.add(name)
    return issues


def _check_severities(data: dict[str, Any], known: _Known) -> list[Issue]:
    issues: list[Issue] = []
    for index, severity in entries(data, "severities"):
        start = severity.get("start")
        if isinstance(start, str) and start not in known.levels:
            issues.append((("severities", index, "start"), unknown("level", start, known.levels)))
        issues += _contact_refs(severity.get("notify"), ("severities", index, "notify"), known)
        calendar = severity.get("calendar")
        if isinstance(calendar, str) and calendar not in known.calendars:
            where = ("severities", index, "calendar")
            issues.append((where, unknown("calendar", calendar, known.calendars)))
    return issues


# The conditions a repeating trigger counts again from its last firing.
REPEATS_ON = ("silent_for", "unacknowledged_for", "unresolved_for", "at_level_for")


def _check_triggers(data: dict[str, Any], known: _Known) -> list[Issue]:
    issues: list[Issue] = []
    for index, trigger in entries(data, "triggers"):
        when, then = trigger.get("when"), trigger.get("then")
        if isinstance(when, dict):
            issues += _check_when(when, ("triggers", index, "when"), known)
        if isinstance(then, dict) and len(then) == 1:
            issues += _check_then(then, ("triggers", index, "then"), known)
        if trigger.get("repeat") is True and not (
            isinstance(when, dict) and any(when.get(key) for key in REPEATS_ON)
        ):
            issues.append(
                (
                    ("triggers", index, "repeat"),
                    "a repeating trigger needs a duration to repeat on: " + ", ".join(REPEATS_ON),
                )
            )
    return issues


def _check_when(when: dict[str, Any], path: KeyPath, known: _Known) -> list[Issue]:
    targets = {"level": known.levels, "severity": known.severities, "type": known.paths}
    kinds = {"level": "level", "severity": "severity", "type": "path"}
    issues = [
        (where, unknown(kinds[key], name, targets[key]))
        for key in targets
        for where, name in names(when.get(key), (*path, key))
        if name not in targets[key]
    ]
    issues += [
        (where, "a keyword needs a letter or digit")
        for where, keyword in names(when.get("keywords"), (*path, "keywords"))
        if not any(char.isalnum() for char in keyword)
    ]
    if known.tiers:
        declared = {tier.casefold() for tier in known.tiers}
        issues += [
            (where, unknown("tier", name, known.tiers))
            for where, name in names(when.get("tier"), (*path, "tier"))
            if name.casefold() not in declared
        ]
    reopened = when.get("reopened")
    count = _as_count(reopened)
    if isinstance(reopened, bool) or (count is not None and count < 1):
        issues.append(((*path, "reopened"), "expected a positive whole number of reopens"))
    return issues


def _as_count(value: Any) -> int | None:
    """The whole number the schema would read from `value`, if any."""
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    return None


def _check_then(then: dict[str, Any], path: KeyPath, known: _Known) -> list[Issue]:
    ((kind, target),) = then.items()
    where: KeyPath = (*path, kind)
    if kind == "notify" or (kind == "remind" and target != OWNER):
        return list(_contact_refs(target, where, known, single=True))
    targets = {"jump": ("level", known.levels), "path": ("path", known.paths)}
    targets["severity"] = ("severity", known.severities)
    if kind in targets and isinstance(target, str):
        noun, names_known = targets[kind]
        if target not in names_known:
            return [(where, unknown(noun, target, names_known))]
    return []


def check_warnings(data: dict[str, Any]) -> list[Issue]:
    """What is valid but likely not what the author meant: keywords so short they match a lot."""
    warnings: list[Issue] = []
    for index, trigger in entries(data, "triggers"):
        when = trigger.get("when")
        if not isinstance(when, dict):
            continue
        of = f" of trigger {trigger['id']}" if isinstance(trigger.get("id"), str) else ""
        for where, keyword in names(when.get("keywords"), ("triggers", index, "when", "keywords")):
            letters = sum(char.isalnum() for char in keyword)
            if 0 < letters < _SHORT_KEYWORD:
                warnings.append(
                    (
                        where,
                        f'keyword "{keyword}"{of} is shorter than {_SHORT_KEYWORD} letters'
                        " and may match more than you mean",
                    )
                )
    return warnings + _customers_unreachable(data)


def _customers_unreachable(data: dict[str, Any]) -> list[Issue]:
    """`notify_on` names the customer, the matrix sends, but it has no email channel: customer
    addresses are reached by email only, so their notifications would wait as `no_channel`."""
    channels, notify_on = data.get("channels"), data.get("notify_on")
    if not isinstance(channels, dict) or not channels or not isinstance(notify_on, dict):
        return []
    kinds = [c.get("kind") for c in channels.values() if isinstance(c, dict)]
    if "email" in kinds:
        return []
    return [
        (where, "customer addresses are reached by email only, and no channel is an email one")
        for event, audiences in notify_on.items()
        for where, audience in names(audiences, ("notify_on", event), single=False)
        if audience == "customer"
    ]
