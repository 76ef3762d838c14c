"""What a notification says: a subject line, and the situation report or a short status line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalate_cli.core.cases.audiences import WHAT
from escalate_cli.core.cases.document import Case
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.text import visible

SUBJECT_LIMIT = 160


def one_line(text: object, limit: int = SUBJECT_LIMIT) -> str:
    """Case text made safe for a header or a title: one line, bounded; line breaks fold into a
    space and any other control or bidi character shows as an escape (`\\x1b`, `\\u202e`)."""
    flat = visible.one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def slack_escape(text: str) -> str:
    """Slack's mrkdwn reads `<...>` as links and mentions: escape the three characters it asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Message:
    """One notification's words; `cause` is `opened`, `escalated` or `notified`."""

    cause: str
    summary: str
    subject: str
    text: str


# The timeline event each `about` of a `notified` event tells of (docs/notifications.md).
ABOUT_KIND = {
    "update": "update",
    "resolve": "resolved",
    "reopen": "reopened",
    "close": "closed",
    "owner_changed": "owner_changed",
    "convene": "step",
    "severity_changed": "severity_changed",
    # A sweep's notifications (docs/notifications.md) follow no event of their own kind to quote.
    "repeat": "repeat",
    "breach": "breached",
    "warning": "warned",
    "reminder": "triggered",
    "action": "action",
    "prevent": "prevent",
    "follow_up": "follow_up",
}


def cause_of(case: Case, index: int) -> tuple[str, dict[str, Any] | None]:
    """What a `notified` event at `index` follows: the event it says it is `about`, else the
    event that opened, moved or triggered."""
    about = case["timeline"][index]["data"].get("about")
    if about in ABOUT_KIND:
        kind = ABOUT_KIND[about]
        before = (e for e in reversed(case["timeline"][:index]) if e["kind"] == kind)
        return about, next(before, None)
    for earlier in reversed(case["timeline"][:index]):
        if earlier["kind"] in ("opened", "escalated"):
            return earlier["kind"], earlier
        if earlier["kind"] in ("triggered", "notified"):
            break
    return "notified", None


def _headline(matrix: Matrix, case: Case, cause: str, before: dict[str, Any] | None) -> str:
    """What happened, without the case id: `escalated L1 -> L2 (sev1): title — reason`."""
    title = one_line(case["title"], 80)
    severity = case.get("severity") or "no severity"
    if cause in ABOUT_KIND:
        return f"{WHAT[cause]} ({severity}, {case['status']} at {case['level']}): {title}"
    if cause == "opened":
        level = matrix.levels_by_id.get(case["level"])
        where = f"{level.id} ({level.name})" if level and level.name else case["level"]
        return f"opened at {where}, {severity}: {title}"
    if cause == "escalated" and before is not None:
        data = before["data"]
        to = "external contacts" if data.get("external") else data.get("to")
        reason = one_line(data.get("reason"), 80)
        return f"escalated {data.get('from')} -> {to} ({severity}): {title} — {reason}"
    return f"({severity}, {case['status']} at {case['level']}): {title}"


def status_line(case: Case, reason: str) -> str:
    """The short message for a notification that is not an escalation."""
    owner = case.get("owner") or "nobody"
    return (
        f"{case['id']} is {case['status']} at {case['level']}, owned by {owner}."
        f" You are told because: {one_line(reason, 200)}."
        f" Details: escalate show {case['id']}\n"
    )


def situation_report(matrix: Matrix, case: Case, now: datetime) -> str | None:
    """The brief from `core.documents`; None when it cannot be made (the message falls back to
    the status line: a report that fails to render must never lose the case change)."""
    try:
        from escalate_cli.core.documents import brief as documents

        data = documents.brief(matrix, case, now)
        return documents.brief_text(matrix, data, now, zone=matrix.timezone)
    except Exception:
        return None


# What a customer is told of each event: never the case's title, facts or anything internal.
_TO_CUSTOMER = {
    "resolve": "Your case {id} has been resolved.",
    "reopen": "Your case {id} has been reopened; we are working on it again.",
    "close": "Your case {id} is closed.",
    "owner_changed": "Your case {id} has a new owner, who is working on it now.",
    "convene": "More people are now working on your case {id}.",
    "severity_changed": "The priority of your case {id} has changed.",
}


def _what_happened(cause: str, before: dict[str, Any] | None) -> str:
    """The lines that say what the event was, for the team: who did it and what they wrote."""
    if before is None:
        return ""
    who = f" by {before['by']}" if before.get("by") else ""
    text = before["text"].removeprefix("convene: ")  # a step event names its step
    return f"{WHAT[cause].capitalize()}{who}: {text}\n\n"


def customer_message(case: Case, cause: str, before: dict[str, Any] | None) -> Message:
    """The plain message for a customer: the case id and, for an update, its text; nothing
    internal (no title, no facts, no owner, no level)."""
    ident = case["id"]
    if cause == "update" and before is not None:
        subject, body = f"[{ident}] Update on your case", before["text"].strip()
    else:
        said = _TO_CUSTOMER.get(cause, "There is news on your case {id}.").format(id=ident)
        subject, body = f"[{ident}] {said}", said
    text = f"{body}\n\nPlease quote {ident} in any reply.\n"
    subject = one_line(subject)
    return Message(cause, subject, subject, visible.visible(text, lines=True))


def render(matrix: Matrix, case: Case, index: int, now: datetime) -> dict[str, Message]:
    """The message for each contact of the `notified` event at `index`, by contact id."""
    notified = case["timeline"][index]
    cause, before = cause_of(case, index)
    if notified["data"].get("audience") == "customer":
        plain = customer_message(case, cause, before)
        return {contact: plain for contact in notified["data"]["contacts"]}
    headline = _headline(matrix, case, cause, before)
    briefed = cause in ("opened", "escalated", "convene")
    report = situation_report(matrix, case, now) if briefed else None
    told = _what_happened(cause, before) if cause in ABOUT_KIND else ""
    reasons: dict[str, list[str]] = notified["data"].get("reasons") or {}
    messages = {}
    for contact in notified["data"]["contacts"]:
        why = "; ".join(reasons.get(contact) or [notified["data"].get("reason") or ""])
        if report is None:
            text = told + status_line(case, why)
        else:
            text = f"You are told because: {one_line(why, 200)}.\n\n{told}{report}"
        text = visible.visible(text, lines=True)  # a body may be read in a terminal's mail client
        subject = one_line(f"[{case['id']}] {headline}")
        messages[contact] = Message(cause, one_line(f"{case['id']} {headline}", 300), subject, text)
    return messages
