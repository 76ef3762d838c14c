"""The case document: opening a case, finding cases, and the events on its timeline."""

# Annotations here are evaluated as the module is imported (no `from __future__ import
# annotations`): a TypedDict compiles each of its fields given as a string into a ForwardRef,
# which cost every command that reads a case ~0.5 ms.
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, NotRequired, TypedDict

from escalate_cli.core.errors import NotFoundError, RefusedError, UsageError
from escalate_cli.core.text.words import plural
from escalate_cli.core.time import timing

if TYPE_CHECKING:  # `show` reads a case without the matrix model (~10 ms of imports)
    from escalate_cli.core.matrix.model import Matrix


class Event(TypedDict):
    """One entry of a case's timeline (docs/case.md, "Timeline event kinds")."""

    at: str
    kind: str
    by: str | None
    text: str
    data: dict[str, Any]


class Participant(TypedDict):
    contact: str
    role: str
    since: str


class Customer(TypedDict):
    name: str | None
    tier: str | None
    contacts: NotRequired[list[str]]  # absent in cases written before it existed


# "from" is a keyword, so the class syntax cannot name it.
Escalation = TypedDict(
    "Escalation",
    {
        "at": str,
        "from": str,
        "to": str,
        "reason": str,
        "trigger": str | None,
        "by": str | None,
        "path": str,
        "from_path": NotRequired[str],
        "external": NotRequired[list[str]],
        "agreed_by": NotRequired[str],
        "forced": NotRequired[bool],
    },
)


class Hold(TypedDict):
    since: str
    until: str | None
    ended_at: str | None
    reason: str
    by: str | None
    status_before: str


class Period(TypedDict):
    since: str
    until: str


class Case(TypedDict):
    """The case document as the store keeps it and `show --json` prints it (docs/case.md).
    NotRequired keys are absent in cases written before they existed."""

    id: str
    number: int
    title: str
    description: str
    type: str
    matrix: NotRequired[str | None]
    severity: str | None
    customer: Customer
    subscribers: NotRequired[list[str]]
    tags: NotRequired[list[str]]
    external_id: NotRequired[str]
    status: str
    level: str
    owner: str
    participants: list[Participant]
    created_at: str
    acknowledged_at: str | None
    resolved_at: str | None
    closed_at: str | None
    level_entered_at: str
    level_acknowledged_at: str | None
    reopened: int
    reopened_at: str | None
    last_update_at: str | None
    resolution: str | None
    escalations: list[Escalation]
    breached: list[str]
    warned: NotRequired[list[str]]
    fired_triggers: list[str]
    holds: list[Hold]
    resolved_periods: NotRequired[list[Period]]
    steps: dict[str, Any]
    timeline: list[Event]


STATUSES = ("open", "acknowledged", "on_hold", "resolved", "closed")
STEPS = ("acknowledge", "gather", "assess", "convene", "brainstorm", "implement", "learn")

_CASE_REF = re.compile(r"^(?:(?P<prefix>[A-Za-z][A-Za-z0-9]*)-)?(?P<number>[0-9]+)$")
_MAX_DIGITS = 18  # case numbers stay well inside a 64-bit integer, and int() never sees 4,300


def parse_case_ref(ref: str) -> tuple[str | None, int]:
    """Read `ESC-7`, `esc-7` or a bare `7` as (prefix or None, 7)."""
    match = _CASE_REF.match(ref.strip())
    if not match or not match["number"].strip("0"):
        shown = timing.show_value(ref)
        raise UsageError(f"{shown} is not a case id (expected a case id like ESC-7, or 7)")
    if len(match["number"].lstrip("0")) > _MAX_DIGITS:  # no store ever numbers a case so high
        shown = ref.strip() if len(ref.strip()) <= 40 else ref.strip()[:37] + "..."
        raise NotFoundError(f"{shown} not found (escalate list shows open cases)")
    return match["prefix"], int(match["number"])


def matches_ref(case: Case | None, ref: str) -> Case:
    """The case a reference named, or NotFoundError when there is none with that id."""
    prefix, _ = parse_case_ref(ref)
    stored_prefix = case["id"].rsplit("-", 1)[0] if case else None
    if case is None or (prefix and stored_prefix and prefix.upper() != stored_prefix.upper()):
        raise NotFoundError(f"{ref} not found (escalate list shows open cases)")
    return case


def case_id(number: int, prefix: str) -> str:
    return f"{prefix}-{number}"


def event(at: datetime, kind: str, by: str | None, text: str, **data: Any) -> Event:
    """One timeline entry, to be placed with `add_event`."""
    return {"at": timing.to_iso(at), "kind": kind, "by": by, "text": text, "data": data}


def add_event(case: Case, entry: Event) -> None:
    """Place an event on the timeline by its time, after any event of the same time.

    Nothing is ever removed or rewritten; an event recorded late (a breach dated at its
    deadline, a hold that ended at its `--until`) takes its place among the earlier ones.
    Stored times are UTC ISO-8601 to the second, so they compare as text.
    """
    timeline = case["timeline"]
    index = len(timeline)
    while index and timeline[index - 1]["at"] > entry["at"]:
        index -= 1
    timeline.insert(index, entry)


def timeline_mark(case: Case) -> frozenset[int]:
    """What the timeline holds before a change, for `new_events` to tell the new events by."""
    return frozenset(id(entry) for entry in case["timeline"])


def new_events(case: Case, mark: frozenset[int]) -> list[int]:
    """The indices of the events added since `mark`, wherever their times placed them."""
    return [index for index, entry in enumerate(case["timeline"]) if id(entry) not in mark]


def _known(names: Iterable[str]) -> str:
    listed = sorted(names)
    if not listed:
        return "none defined"
    shown = ", ".join(listed[:12])
    return f"known: {shown}" + (", ..." if len(listed) > 12 else "")


def _did_you_mean(name: str, known: Iterable[str], fold: bool = False) -> str:
    """`did you mean "sam"? ` for the closest known name (compared case-folded with `fold`)."""
    import difflib  # only on the way to an error

    shown = {(key.casefold() if fold else key): key for key in known}
    close = difflib.get_close_matches(name.casefold() if fold else name, list(shown), n=1)
    return f'did you mean "{shown[close[0]]}"? ' if close else ""


def _require(kind: str, name: str, known: Mapping[str, object]) -> str:
    if name not in known:
        hint = _did_you_mean(name, known)
        raise NotFoundError(f'unknown {kind} "{name}" ({hint}{_known(known)})')
    return name


def require_contact(matrix: "Matrix", contact_id: str) -> str:
    return _require("contact", contact_id, matrix.contacts_by_id)


def require_owner(matrix: "Matrix", contact_id: str) -> str:
    """A contact that may own a case: not an external party (a regulator, a vendor), who is
    told at the top of a path and works no case (exit 5)."""
    require_contact(matrix, contact_id)
    if matrix.contacts_by_id[contact_id].external:
        raise RefusedError(
            f"{contact_id} is an external contact: told at the top of a path, never an owner"
        )
    return contact_id


def require_level(matrix: "Matrix", level_id: str) -> str:
    return _require("level", level_id, matrix.levels_by_id)


def require_path(matrix: "Matrix", name: str) -> str:
    return _require("escalation type", name, matrix.all_paths)


def require_severity(matrix: "Matrix", severity_id: str) -> str:
    return _require("severity", severity_id, matrix.severities_by_id)


def require_tier(matrix: "Matrix", name: str) -> str:
    """The tier as the matrix spells it; when the matrix declares no `tiers`, any tier goes."""
    if not matrix.tiers:
        return name
    found = matrix.tier_named(name)
    if found is not None:
        return found
    hint = _did_you_mean(name.strip(), matrix.tiers, fold=True)
    raise NotFoundError(f'unknown tier "{name}" ({hint}known: {", ".join(matrix.tiers)})')


def level_audience(matrix: "Matrix", level_id: str, at: datetime) -> list[str]:
    """Who hears when a case reaches a level: its available contacts, or all when none is."""
    from escalate_cli.core.engine import availability

    reached = availability.level_contacts(matrix, level_id, at)
    available = [contact.id for contact in reached if contact.available]
    return available or [contact.id for contact in reached]


class Notice(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """Who a change notifies, each once, with the reasons that named them."""

    reasons: dict[str, list[str]]

    @property
    def contacts(self) -> list[str]:
        return list(self.reasons)

    @property
    def reason(self) -> str:
        distinct = dict.fromkeys(reason for reasons in self.reasons.values() for reason in reasons)
        return "; ".join(distinct)


def build_notice(named: Iterable[tuple[str, Iterable[str]]], caused_by: str | None) -> Notice:
    """Merge (reason, contacts) pairs; the person who caused the change is not told of it."""
    reasons: dict[str, list[str]] = {}
    for reason, contacts in named:
        for contact in contacts:
            if contact != caused_by:
                reasons.setdefault(contact, []).append(reason)
    return Notice(reasons)


def escalation_text(entry: Mapping[str, Any]) -> str:
    """An escalation record as people read it everywhere: `escalated L1 -> L2`,
    `escalated L4 -> external contacts (regulator)`, `path default -> billing`; with its
    guardrail trace: `(agreed by tia)`, `(forced before min_time)`."""
    if entry.get("external"):
        text = f"escalated {entry['from']} -> external contacts ({', '.join(entry['external'])})"
    elif entry["from"] == entry["to"] and entry.get("from_path"):
        text = f"path {entry['from_path']} -> {entry['path']}"
    else:
        text = f"escalated {entry['from']} -> {entry['to']}"
        if entry.get("from_path"):
            text += f", path {entry['from_path']} -> {entry['path']}"
    trace = guardrail_trace(entry)
    return text + (f" ({trace})" if trace else "")


def guardrail_trace(entry: Mapping[str, Any]) -> str:
    """What an escalation's guardrails say: `agreed by tia; forced before min_time`, or ""."""
    trace = [f"agreed by {entry['agreed_by']}"] if entry.get("agreed_by") else []
    trace += ["forced before min_time"] if entry.get("forced") else []
    return "; ".join(trace)


def add_participants(case: Case, contacts: list[str], at: datetime) -> None:
    """Whoever is told of a case takes part in it from then on."""
    present = {p["contact"] for p in case["participants"]}
    for contact in contacts:
        if contact not in present:
            case["participants"].append(
                {"contact": contact, "role": "notified", "since": timing.to_iso(at)}
            )


def notified_event(at: datetime, by: str | None, notice: Notice, **about: str) -> Event:
    """`about` names the event told of (`about="update"`; see docs/notifications.md), and
    `audience` is `customer` when the plain message goes out: the message says what the event
    was."""
    names = ", ".join(notice.contacts)
    return event(
        at,
        "notified",
        by,
        f"notified {names}",
        contacts=notice.contacts,
        reason=notice.reason,
        reasons=notice.reasons,
        **about,
    )


class OpenRequest(NamedTuple):  # immutable, and made at import for a fifth of a dataclass
    """What `escalate open` was asked for; None means "use the matrix's default"."""

    title: str
    severity: str | None = None
    type: str | None = None
    customer: str | None = None
    tier: str | None = None
    description: str | None = None
    owner: str | None = None
    by: str | None = None
    matrix: str | None = None  # the team's name (see teams.team_name); default: the matrix's
    customer_contacts: tuple[str, ...] = ()  # email addresses, told by `update --audience customer`
    external_id: str | None = None  # the case's id in the system it came from (deduplication)


def check_external_id(value: str, source: str = "--external-id") -> str:
    """An external id as given, trimmed; one line of printable text (exit 2 otherwise, naming
    the `source` it came from)."""
    cleaned = value.strip()
    if not cleaned or len(cleaned) > 200 or not cleaned.isprintable():
        raise UsageError(f"{source} {cleaned[:40]!r}: expected up to 200 printable characters")
    return cleaned


def _empty_steps() -> dict[str, Any]:
    """The seven steps before any has run (docs/case.md)."""
    return {
        "acknowledge": {"by": None, "at": None, "note": None},
        "gather": {"facts": [], "whys": [], "attachments": []},
        "assess": {"impact": None, "root_cause": None, "at": None, "by": None},
        "convene": {"at": None, "by": None},
        "brainstorm": {"options": [], "chosen": None, "chosen_at": None},
        "implement": {"actions": []},
        "learn": {"lessons": [], "prevent": [], "follow_ups": []},
    }


def new_case(matrix: "Matrix", number: int, request: OpenRequest, now: datetime) -> Case:
    """A case opened at its start level, with who was notified on its timeline."""
    from escalate_cli.core.engine import availability
    from escalate_cli.core.matrix.model import DEFAULT_PATH

    title = request.title.strip()
    if not title:
        raise UsageError("a case needs a title")
    path_name = require_path(matrix, request.type or DEFAULT_PATH)
    severity_id = request.severity or matrix.default_severity_id
    if severity_id is not None:
        require_severity(matrix, severity_id)
    for contact in (request.owner, request.by):
        if contact is not None:
            require_contact(matrix, contact)
    if request.owner is not None:
        require_owner(matrix, request.owner)
    tier = require_tier(matrix, request.tier) if request.tier is not None else None
    from escalate_cli.core.cases.customers import check_address

    addresses = [check_address(a, "--customer-contact") for a in request.customer_contacts]
    from escalate_cli.core.engine.levels import opening_level

    level_id, skipped = opening_level(matrix, severity_id, path_name, now)
    owner = request.owner or availability.primary_contact(matrix, level_id, now)
    identifier = case_id(number, matrix.case_prefix)
    stamp = timing.to_iso(now)
    case: Case = {
        "id": identifier,
        "number": number,
        "title": title,
        "description": request.description or "",
        "type": path_name,
        "matrix": request.matrix if request.matrix is not None else matrix.name,
        "severity": severity_id,
        "customer": {
            "name": request.customer,
            "tier": tier,
            "contacts": list(dict.fromkeys(addresses)),
        },
        "subscribers": [],
        "status": "open",
        "level": level_id,
        "owner": owner,
        "participants": [{"contact": owner, "role": "owner", "since": stamp}],
        "created_at": stamp,
        "acknowledged_at": None,
        "resolved_at": None,
        "closed_at": None,
        "level_entered_at": stamp,
        "level_acknowledged_at": None,
        "reopened": 0,
        "reopened_at": None,
        "last_update_at": None,
        "resolution": None,
        "escalations": [],
        "breached": [],
        "fired_triggers": [],
        "holds": [],
        "resolved_periods": [],
        "steps": _empty_steps(),
        "timeline": [],
    }
    if request.external_id is not None:
        case["external_id"] = request.external_id
    level = matrix.levels_by_id[level_id]
    add_event(
        case,
        event(now, "opened", request.by, f"opened at {level.label}", level=level_id, owner=owner),
    )
    for skipped_id, why in skipped:
        add_event(
            case,
            event(now, "skipped", request.by, f"skipped {skipped_id}: {why}", level=skipped_id),
        )
    severity = matrix.severities_by_id.get(severity_id) if severity_id else None
    notice = build_notice(
        [
            (f"opened at {level_id}", level_audience(matrix, level_id, now)),
            (f"also_notify of path {path_name}", matrix.all_paths[path_name].also_notify),
            (f"severity {severity_id} opened", severity.notify if severity else ()),
        ],
        caused_by=request.by,
    )
    if notice.contacts:
        add_event(case, notified_event(now, request.by, notice))
    return case


def who(matrix: "Matrix", case: Case, now: datetime) -> dict[str, Any]:
    """Who owns a case, the level it is at, that level's contacts as reached now, and who else
    is at the table. A level the matrix no longer has still shows, with no contacts."""
    from escalate_cli.core.engine import availability

    contacts = []
    if case["level"] in matrix.levels_by_id:
        contacts = [
            contact.to_json() for contact in availability.level_contacts(matrix, case["level"], now)
        ]
    return {
        "case": case["id"],
        "owner": case["owner"],
        "level": case["level"],
        "level_known": case["level"] in matrix.levels_by_id,
        "contacts": contacts,
        "participants": case["participants"],
    }


def open_actions(case: Case) -> list[dict[str, Any]]:
    return [a for a in case["steps"]["implement"]["actions"] if not a["done"]]


def step_checklist(
    case: Case, when: Callable[[str], str] = str
) -> list[tuple[str, bool, list[str]]]:
    """The seven steps in order: (name, done, the lines of what it recorded); `when` writes a
    stored instant for the reader (the CLI's is in their zone)."""
    steps = case["steps"]
    ack, gather, assess = steps["acknowledge"], steps["gather"], steps["assess"]
    brainstorm, learn = steps["brainstorm"], steps["learn"]
    actions = steps["implement"]["actions"]
    chosen = brainstorm["chosen"]
    rows: list[tuple[str, bool, list[str]]] = [
        (
            "acknowledge",
            bool(ack["at"]),
            [f"by {ack['by'] or 'someone'}" + (f": {ack['note']}" if ack["note"] else "")]
            if ack["at"]
            else [],
        ),
        (
            "gather",
            bool(gather["facts"] or gather["whys"] or gather["attachments"]),
            [f"fact: {f['text']}" for f in gather["facts"]]
            + [f"why {n}: {w['text']}" for n, w in enumerate(gather["whys"], 1)]
            + ([plural(len(gather["attachments"]), "attachment")] if gather["attachments"] else []),
        ),
        (
            "assess",
            bool(assess["at"]),
            [
                f"{label}: {assess[key]}"
                for key, label in (("impact", "impact"), ("root_cause", "root cause"))
                if assess[key]
            ],
        ),
        (
            "convene",
            bool(steps["convene"]["at"]),
            [f"{p['contact']} ({p['role']})" for p in case["participants"]]
            if steps["convene"]["at"]
            else [],
        ),
        (
            "brainstorm",
            chosen is not None,
            [
                ("chosen " if o["n"] == chosen else "") + f"option {o['n']}: {o['text']}"
                for o in brainstorm["options"]
            ],
        ),
        (
            "implement",
            bool(actions) and all(a["done"] for a in actions),
            [
                f"{'done' if a['done'] else 'open'} {a['n']} ({a['kind']}): {a['text']}"
                for a in actions
            ],
        ),
        (
            "learn",
            bool(learn["lessons"] or learn["prevent"] or learn["follow_ups"]),
            [f"lesson: {x['text']}" for x in learn["lessons"]]
            + [f"prevent: {x['text']}" for x in learn["prevent"]]
            + [f"follow up with {x['with']} at {when(x['at'])}" for x in learn["follow_ups"]],
        ),
    ]
    return rows
