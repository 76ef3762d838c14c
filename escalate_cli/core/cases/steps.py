"""Steps 2 to 7 of working an escalation: gather, assess, convene, brainstorm, implement, learn.

Each records its data on the case (docs/case.md) and a `step` event on the timeline.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from escalate_cli.core.cases.document import (
    Case,
    add_event,
    event,
    require_contact,
    require_owner,
    require_severity,
)
from escalate_cli.core.cases.lifecycle import settle
from escalate_cli.core.errors import NotFoundError, RefusedError, UsageError
from escalate_cli.core.text.words import plural
from escalate_cli.core.time import timing
from escalate_cli.core.values import Frozen, frozen

if TYPE_CHECKING:
    from escalate_cli.core.matrix.model import Matrix

ACTION_KINDS = ("workaround", "fix")
ROLES = ("decision-maker", "expert", "affected")


def _entry(text: str, now: datetime, by: str | None) -> dict[str, Any]:
    return {"text": text, "at": timing.to_iso(now), "by": by}


def _texts(values: list[str], what: str) -> list[str]:
    cleaned = [value.strip() for value in values]
    if any(not value for value in cleaned):
        raise UsageError(f"{what} needs some text")
    return cleaned


def _begin(matrix: Matrix, case: Case, now: datetime, step: str) -> None:
    settle(matrix, case, now)
    if case["status"] == "closed":
        raise RefusedError(f"cannot {step} {case['id']}: it is closed (reopen it first)")


def _step_event(case: Case, now: datetime, by: str | None, step: str, text: str) -> None:
    add_event(case, event(now, "step", by, f"{step}: {text}", step=step))


@frozen  # never compared
class Gathered(Frozen):
    facts: list[str] = field(default_factory=list)
    whys: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)  # made by attachment()


def gather(matrix: Matrix, case: Case, now: datetime, found: Gathered, by: str | None) -> None:
    """Step 2: facts, the chain of "why?" answers, and attachments by path and sha256."""
    if not (found.facts or found.whys or found.attachments):
        raise UsageError("gather needs --fact, --why or --attach")
    _begin(matrix, case, now, "gather")
    facts = _texts(found.facts, "--fact")
    whys = _texts(found.whys, "--why")
    attachments = [dict(record) for record in found.attachments]
    data = case["steps"]["gather"]
    data["facts"].extend(_entry(text, now, by) for text in facts)
    data["whys"].extend(_entry(text, now, by) for text in whys)
    data["attachments"].extend(attachments)
    counts = [(len(facts), "fact"), (len(whys), "why"), (len(attachments), "attachment")]
    said = ", ".join(plural(n, noun) for n, noun in counts if n)
    _step_event(case, now, by, "gather", said)


@frozen  # never compared
class Assessment(Frozen):
    severity: str | None = None
    impact: str | None = None
    root_cause: str | None = None


def assess(
    matrix: Matrix, case: Case, now: datetime, found: Assessment, by: str | None
) -> dict[str, Any] | None:
    """Step 3: impact and root cause; a new severity re-routes the case (a raise moves it up to
    the severity's start level when that is higher; a lowering never moves it down).
    Returns the escalation a raise made, if any."""
    if found.severity is None and found.impact is None and found.root_cause is None:
        raise UsageError("assess needs --severity, --impact or --root-cause")
    if found.severity is not None:
        require_severity(matrix, found.severity)
    _begin(matrix, case, now, "assess")
    data = case["steps"]["assess"]
    said = []
    for key, value in (("impact", found.impact), ("root_cause", found.root_cause)):
        if value is not None:
            data[key] = _texts([value], f"--{key.replace('_', '-')}")[0]
            said.append(f"{key.replace('_', ' ')}: {data[key]}")
    data["at"], data["by"] = timing.to_iso(now), by
    escalation = None
    if found.severity is not None and found.severity != case["severity"]:
        escalation = _reroute(matrix, case, now, found.severity, by)
        said.append(f"severity {found.severity}")
    _step_event(case, now, by, "assess", "; ".join(said) or "reassessed")
    return escalation


def _reroute(
    matrix: Matrix, case: Case, now: datetime, severity: str, by: str | None
) -> dict[str, Any] | None:
    from escalate_cli.core.cases.escalation import apply_move
    from escalate_cli.core.engine import routing

    base = routing.Move("manual", case["level"], f"severity changed to {severity}", now)
    if routing.problem(matrix, case) is not None:
        move = routing.Move("manual", case["level"], base.reason, now, new_severity=severity)
    else:
        move = routing.severity_move(matrix, case, base, severity)
    escalation: dict[str, Any] | None = apply_move(matrix, case, move, now, by=by)["escalation"]
    return escalation


def parse_member(text: str) -> tuple[str, str]:
    """`dana:decision-maker` -> ("dana", "decision-maker"); a bare `dana` is an expert."""
    contact, _, role = text.partition(":")
    return contact.strip(), (role.strip() or "expert")


def convene(
    matrix: Matrix,
    case: Case,
    now: datetime,
    owner: str | None,
    members: list[str],
    by: str | None,
) -> list[str]:
    """Step 4: one clear owner, and the right people at the table with their roles. Returns
    who is told (`notify_on`'s `owner_changed` and `convene`)."""
    from escalate_cli.core.cases.audiences import tell
    from escalate_cli.core.cases.escalation import change_owner

    if owner is None and not members:
        raise UsageError("convene needs --owner or --add CONTACT[:ROLE]")
    wanted = [parse_member(text) for text in members]
    for contact in [owner, *(contact for contact, _ in wanted)]:
        if contact is not None:
            require_contact(matrix, contact)
    if owner is not None:
        require_owner(matrix, owner)
    _begin(matrix, case, now, "convene")
    said = []
    events = []
    if owner is not None and change_owner(case, owner, now, by):
        said.append(f"owner {owner}")
        events.append("owner_changed")
    stamp = timing.to_iso(now)
    added = []
    for contact, role in wanted:
        present = next((p for p in case["participants"] if p["contact"] == contact), None)
        if present is None:
            case["participants"].append({"contact": contact, "role": role, "since": stamp})
            added.append(contact)
        elif present["role"] != "owner":
            present["role"] = role
        said.append(f"{contact} ({role})")
    case["steps"]["convene"] = {"at": stamp, "by": by}
    _step_event(case, now, by, "convene", ", ".join(said) or "convened")
    return tell(matrix, case, [*events, "convene"], now, by, added=added)


def brainstorm(
    matrix: Matrix,
    case: Case,
    now: datetime,
    options: list[str],
    choose: int | None,
    by: str | None,
) -> list[str]:
    """Step 5: the options considered and the one chosen (counting from 1).
    Returns advice for the person, e.g. when only one option was considered."""
    if not options and choose is None:
        raise UsageError("brainstorm needs --option or --choose N")
    texts = _texts(options, "--option")
    _begin(matrix, case, now, "brainstorm")
    data = case["steps"]["brainstorm"]
    for text in texts:
        data["options"].append({"n": len(data["options"]) + 1, **_entry(text, now, by)})
    said = (
        [f"option {o['n']}: {o['text']}" for o in data["options"][-len(texts) :]] if texts else []
    )
    advice = []
    if choose is not None:
        count = len(data["options"])
        if not count:
            raise NotFoundError(f"no options yet on {case['id']}: add one with --option TEXT")
        if not 1 <= choose <= count:
            known = "the only option is 1" if count == 1 else f"options are 1 to {count}"
            raise NotFoundError(f"no option {choose} on {case['id']} ({known})")
        data["chosen"], data["chosen_at"] = choose, timing.to_iso(now)
        said.append(f"chose {choose}: {data['options'][choose - 1]['text']}")
        if len(data["options"]) < 2:
            advice.append("only one option was considered: more than one makes a better choice")
    _step_event(case, now, by, "brainstorm", "; ".join(said))
    return advice


@frozen  # never compared
class ActionRequest(Frozen):
    text: str | None = None
    kind: str = "fix"
    assignee: str | None = None
    due: datetime | None = None
    done: int | None = None


def implement(
    matrix: Matrix, case: Case, now: datetime, request: ActionRequest, by: str | None
) -> None:
    """Step 6: corrective actions (a workaround now, the lasting fix), numbered per case."""
    if request.text is None and request.done is None:
        raise UsageError("implement needs --action TEXT or --done N")
    if request.kind not in ACTION_KINDS:
        raise UsageError(f'--kind "{request.kind}": use workaround or fix')
    if request.assignee is not None:
        require_contact(matrix, request.assignee)
    _begin(matrix, case, now, "implement")
    actions = case["steps"]["implement"]["actions"]
    said = []
    if request.text is not None:
        text = _texts([request.text], "--action")[0]
        action = {
            "n": len(actions) + 1,
            "text": text,
            "kind": request.kind,
            "assignee": request.assignee,
            "due": timing.to_iso(request.due) if request.due else None,
            "done": False,
            "done_at": None,
            **{key: value for key, value in _entry(text, now, by).items() if key != "text"},
        }
        actions.append(action)
        due = f", due {action['due']}" if action["due"] else ""  # what `--due fri 5pm` meant
        said.append(f"action {action['n']} ({request.kind}): {text}{due}")
    if request.done is not None:
        found = next((a for a in actions if a["n"] == request.done), None)
        if found is None:
            raise NotFoundError(f"no action {request.done} on {case['id']}")
        if not found["done"]:
            found["done"], found["done_at"] = True, timing.to_iso(now)
        said.append(f"action {request.done} done")
    _step_event(case, now, by, "implement", "; ".join(said))


@frozen  # never compared
class Learning(Frozen):
    lessons: list[str] = field(default_factory=list)
    prevent: list[str] = field(default_factory=list)
    follow_up: datetime | None = None
    follow_up_with: str | None = None
    assignee: str | None = None  # of the prevention items given with it
    due: datetime | None = None  # of the prevention items given with it
    follow_up_done: int | None = None
    prevent_done: int | None = None


def learn(matrix: Matrix, case: Case, now: datetime, found: Learning, by: str | None) -> None:
    """Step 7, after resolve: lessons, prevention, and a check-in with whoever raised it; or
    a follow-up or prevention item marked done."""
    if (found.follow_up is None) != (found.follow_up_with is None):
        raise UsageError("--follow-up WHEN and --with CONTACT go together")
    done = found.follow_up_done is not None or found.prevent_done is not None
    if not (found.lessons or found.prevent or found.follow_up or done):
        raise UsageError(
            "learn needs --lesson, --prevent, --follow-up WHEN --with CONTACT,"
            " --follow-up-done N or --prevent-done N"
        )
    if (found.assignee is not None or found.due is not None) and not found.prevent:
        raise UsageError("--assignee and --due go with --prevent TEXT")
    for contact in (found.follow_up_with, found.assignee):
        if contact is not None:
            require_contact(matrix, contact)
    settle(matrix, case, now)
    if case["status"] not in ("resolved", "closed"):
        raise RefusedError(
            f"cannot learn from {case['id']} yet: it is {case['status']} (resolve it first)"
        )
    lessons = _texts(found.lessons, "--lesson")
    prevent = _texts(found.prevent, "--prevent")
    data = case["steps"]["learn"]
    data["lessons"].extend(_entry(text, now, by) for text in lessons)
    dated = {"assignee": found.assignee, "due": _iso_or_none(found.due), "done": False}
    data["prevent"].extend(_entry(text, now, by) | dated for text in prevent)
    due = f", due {dated['due']}" if dated["due"] else ""
    said = [f"lesson: {t}" for t in lessons] + [f"prevent: {t}{due}" for t in prevent]
    if found.follow_up is not None:
        data["follow_ups"].append(
            {
                "n": len(data["follow_ups"]) + 1,
                "at": timing.to_iso(found.follow_up),
                "with": found.follow_up_with,
                "recorded_at": timing.to_iso(now),
                "by": by,
                "done": False,
            }
        )
        said.append(f"follow up with {found.follow_up_with} {timing.to_iso(found.follow_up)}")
    for items, number, noun in (
        (data["follow_ups"], found.follow_up_done, "follow-up"),
        (data["prevent"], found.prevent_done, "prevention item"),
    ):
        if number is not None:
            _mark_done(case, items, number, noun, now)
            said.append(f"{noun} {number} done")
    _step_event(case, now, by, "learn", "; ".join(said))


def _iso_or_none(at: datetime | None) -> str | None:
    return timing.to_iso(at) if at is not None else None


def _mark_done(
    case: Case, items: list[dict[str, Any]], number: int, noun: str, now: datetime
) -> None:
    """Item `number` (counting from 1) done; exit 3 when there is none."""
    if not 1 <= number <= len(items):
        raise NotFoundError(f"no {noun} {number} on {case['id']}")
    item = items[number - 1]
    if not item.get("done"):
        item["done"], item["done_at"] = True, timing.to_iso(now)
