"""The full case document (`report`) as Markdown: usable as the post-incident review."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from escalate_cli.core.cases.audiences import customer_contacts
from escalate_cli.core.cases.document import Case, Event, guardrail_trace, step_checklist
from escalate_cli.core.documents.brief import contact_label, level_label, severity_name, span, when
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.text.visible import one_line, visible
from escalate_cli.core.text.words import plural
from escalate_cli.core.time import timing

STEP_TITLES = {
    "acknowledge": "1. Acknowledge",
    "gather": "2. Gather",
    "assess": "3. Assess",
    "convene": "4. Convene",
    "brainstorm": "5. Brainstorm",
    "implement": "6. Implement",
    "learn": "7. Learn",
}
# What to type to do a step that has not been done: the report doubles as a to-do list.
STEP_HINTS = {
    "acknowledge": "escalate acknowledge {id} --by CONTACT",
    "gather": "escalate gather {id} --fact TEXT --why TEXT",
    "assess": "escalate assess {id} --impact TEXT --root-cause TEXT",
    "convene": "escalate convene {id} --owner CONTACT --add CONTACT:ROLE",
    "brainstorm": "escalate brainstorm {id} --option TEXT --option TEXT --choose N",
    "implement": "escalate implement {id} --action TEXT --assignee CONTACT --due WHEN",
    "learn": "escalate learn {id} --lesson TEXT --prevent TEXT (after resolve)",
}


def cell(value: object) -> str:
    """Case text as one Markdown table cell: a `|` would end the cell, a newline the row."""
    if value is None or value == "":
        return "-"
    # Control characters show as escapes first (a lone \r as `\r`); splitlines, not
    # split("\n"), then also breaks at \u2028 and \u2029.
    lines = visible(value, lines=True).splitlines() or [""]
    return "<br>".join(line.strip() for line in lines).replace("|", "\\|")


def item(text: object, indent: str = "  ") -> str:
    """Case text inside a list item: continuation lines are indented so they stay in the item."""
    lines = [line.rstrip() for line in visible(text, lines=True).splitlines()]
    return f"\n{indent}".join(lines).rstrip()


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


class _Writer:
    """Collects the document's lines; every section is separated by one blank line."""

    def __init__(
        self, matrix: Matrix | None, case: Case, now: datetime, zone: tzinfo | None
    ) -> None:
        self.matrix, self.case, self.now, self.zone = matrix, case, now, zone
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def section(self, heading: str) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.lines += [heading, ""]

    def when(self, iso: str | None) -> str:
        return when(iso, self.zone)

    def who(self, contact_id: str | None) -> str:
        return contact_label(self.matrix, contact_id)

    def by(self, entry: dict[str, Any]) -> str:
        """` by Sam Okafor (sam)`, or nothing when nobody was named."""
        return f" by {self.who(entry['by'])}" if entry.get("by") else ""

    def stamp(self, entry: Mapping[str, Any]) -> str:
        """`(sam, 2026-11-23 09:20 UTC)`: who recorded an entry, and when."""
        by = f"{entry['by']}, " if entry.get("by") else ""
        return f"({by}{self.when(entry.get('at'))})"

    def entries(self, label: str, entries: list[dict[str, Any]], numbered: bool = False) -> None:
        if not entries:
            return
        self.add("", f"{label}:", "")
        for n, entry in enumerate(entries, 1):
            bullet = f"{n}." if numbered else "-"
            pad = " " * (len(bullet) + 1)
            self.add(f"{bullet} {item(entry['text'], pad)} {self.stamp(entry)}")


def _summary(w: _Writer) -> None:
    case, matrix = w.case, w.matrix
    customer = case["customer"]
    who_for = " / ".join(str(x) for x in (customer.get("name"), customer.get("tier")) if x)
    severity = case["severity"] or "-"
    if severity_name(matrix, case["severity"]):
        severity += f" ({severity_name(matrix, case['severity'])})"
    opened = case["created_at"]
    rows: list[tuple[str, object]] = [
        ("Status", case["status"]),
        ("Severity", severity),
        ("Type", case["type"]),
        ("Level", level_label(matrix, case["level"])),
        ("Owner", w.who(case["owner"])),
        ("Customer", who_for),
        ("Opened", w.when(opened)),
        ("Acknowledged", _after(w, opened, case["acknowledged_at"], "to acknowledge")),
        ("Resolved", _after(w, opened, case["resolved_at"], "to resolve")),
        ("Closed", _after(w, opened, case["closed_at"], "after opening")),
        ("Reopened", _reopened(w)),
        ("SLA breaches", ", ".join(case["breached"]) or "none"),
        ("Resolution", case["resolution"]),
    ]
    if case["status"] in ("open", "acknowledged", "on_hold"):
        rows.insert(7, ("Open for", span(opened, timing.to_iso(w.now))))
    hearing = customer_contacts(case)
    if hearing:
        rows.insert(6, ("Customer hears", ", ".join(hearing)))
    w.section("## Summary")
    w.add(*table(["Field", "Value"], rows))
    if case["description"]:
        w.add("", "Description:", "", item(case["description"], ""))


def _after(w: _Writer, start: str, end: str | None, what: str) -> str:
    return f"{w.when(end)} ({span(start, end)} {what})" if end else "-"


def _reopened(w: _Writer) -> str:
    count = w.case["reopened"]
    if not count:
        return "never"
    return f"{plural(count, 'time')}, last {w.when(w.case['reopened_at'])}"


def _people(w: _Writer) -> None:
    w.section("## People")
    rows = []
    for person in w.case["participants"]:
        contact = w.matrix.contacts_by_id.get(person["contact"]) if w.matrix else None
        reach = [getattr(contact, key, None) for key in ("email", "phone", "chat")]
        rows.append(
            (
                w.who(person["contact"]),
                person["role"],
                getattr(contact, "role", None),
                ", ".join(x for x in reach if x),
                w.when(person.get("since")),
            )
        )
    w.add(*table(["Contact", "Role in case", "Job", "Reach", "Since"], rows))


def _todo(w: _Writer, step: str, lead: str = "Not done yet") -> None:
    w.add(f"- [ ] {lead}: `{STEP_HINTS[step].format(id=w.case['id'])}`")


def _events(w: _Writer, kind: str) -> list[Event]:
    return [entry for entry in w.case["timeline"] if entry["kind"] == kind]


def _acknowledge(w: _Writer, data: dict[str, Any], mark: str) -> None:
    w.add(f"- [{mark}] Acknowledged{w.by(data)} on {w.when(data['at'])}")
    if data["note"]:
        w.add(f"- Note: {item(data['note'])}")


def _gather(w: _Writer, data: dict[str, Any], mark: str) -> None:
    counts = (len(data["facts"]), len(data["whys"]), len(data["attachments"]))
    w.add(
        f"- [{mark}] {plural(counts[0], 'fact')}, {plural(counts[1], 'answer')} to"
        f' "why?", {plural(counts[2], "attachment")}'
    )
    w.entries("Facts", data["facts"])
    w.entries('The "why?" chain', data["whys"], numbered=True)
    if data["attachments"]:
        w.add("", "Attachments:", "")
    for found in data["attachments"]:
        w.add(
            f"- {item(found['name'])}: {found['size']} bytes, sha256 {found['sha256']},"
            f" at {item(found['path'])} {w.stamp(found)}"
        )


def _assess(w: _Writer, data: dict[str, Any], mark: str) -> None:
    w.add(f"- [{mark}] Assessed{w.by(data)} on {w.when(data['at'])}")
    w.add(f"- Impact: {item(data['impact'] or '-')}")
    w.add(f"- Root cause: {item(data['root_cause'] or '-')}")
    for change in _events(w, "severity_changed"):
        old, new = change["data"].get("old"), change["data"].get("new")
        w.add(f"- Severity {old} -> {new} {w.stamp(change)}")


def _convene(w: _Writer, data: dict[str, Any], mark: str) -> None:
    w.add(f"- [{mark}] Convened{w.by(data)} on {w.when(data['at'])}")
    w.add(f"- Owner: {w.who(w.case['owner'])}")
    for change in _events(w, "owner_changed"):
        old, new = change["data"].get("old"), change["data"].get("new")
        w.add(f"- Ownership moved {old} -> {new} {w.stamp(change)}")
    table_ = [p for p in w.case["participants"] if p["role"] not in ("owner", "notified")]
    if table_:
        people = ", ".join(f"{w.who(p['contact'])} as {p['role']}" for p in table_)
        w.add(f"- At the table: {item(people)}")


def _brainstorm(w: _Writer, data: dict[str, Any], mark: str) -> None:
    chosen = data["chosen"]
    considered = plural(len(data["options"]), "option")
    if chosen is None:
        _todo(w, "brainstorm", f"{considered}, none chosen yet")
    else:
        w.add(f"- [{mark}] {considered}; option {chosen} chosen on {w.when(data['chosen_at'])}")
    w.add("")
    for option in data["options"]:
        mark = " **(chosen)**" if option["n"] == chosen else ""
        w.add(f"{option['n']}. {item(option['text'], '   ')}{mark} {w.stamp(option)}")


def _implement(w: _Writer, data: dict[str, Any], mark: str) -> None:
    actions = data["actions"]
    done = sum(1 for action in actions if action["done"])
    w.add(f"- [{mark}] {plural(len(actions), 'action')}, {done} done", "")
    rows = []
    for action in actions:
        if action["done"]:
            state = f"done {w.when(action['done_at'])}"
        elif action["due"] and timing.from_iso(action["due"]) <= w.now:
            state = "overdue"
        else:
            state = "open"
        due = w.when(action["due"]) if action["due"] else "-"
        rows.append((action["n"], action["kind"], action["text"], action["assignee"], due, state))
    w.add(*table(["#", "Kind", "Action", "Assignee", "Due", "State"], rows))


def _learn(w: _Writer, data: dict[str, Any], mark: str) -> None:
    counts = (len(data["lessons"]), len(data["prevent"]), len(data["follow_ups"]))
    w.add(
        f"- [{mark}] {plural(counts[0], 'lesson')}, {plural(counts[1], 'prevention action')},"
        f" {plural(counts[2], 'follow-up')}"
    )
    w.entries("Lessons", data["lessons"])
    w.entries("Prevention", data["prevent"])
    if data["follow_ups"]:
        w.add("", "Follow-ups:", "")
    for follow in data["follow_ups"]:
        by = f"{follow['by']}, " if follow.get("by") else ""
        recorded = f"(recorded {by}{w.when(follow['recorded_at'])})"
        w.add(f"- {w.when(follow['at'])} with {w.who(follow['with'])} {recorded}")


STEP_RENDERERS = {
    "acknowledge": _acknowledge,
    "gather": _gather,
    "assess": _assess,
    "convene": _convene,
    "brainstorm": _brainstorm,
    "implement": _implement,
    "learn": _learn,
}


def _steps(w: _Writer) -> None:
    w.section("## The seven steps")
    for name, done, _ in step_checklist(w.case):
        w.section(f"### {STEP_TITLES[name]}")
        data = w.case["steps"][name]
        # The box follows `show`'s checklist; what a step recorded shows even before it counts
        # as done (open actions, options not yet chosen).
        if any(value not in (None, "", []) for value in data.values()):
            STEP_RENDERERS[name](w, data, "x" if done else " ")
        else:
            _todo(w, name)


def _escalations(w: _Writer) -> None:
    w.section("## Escalations")
    rows = []
    for entry in w.case["escalations"]:
        to = entry["to"]
        if entry.get("external"):
            to = f"external: {', '.join(entry['external'])}"
        # `path` tells a path switch (which may keep the level) from a plain step up.
        path = entry.get("path")
        when_ = w.when(entry["at"])
        trace = guardrail_trace(entry)
        reason = f"{entry['reason']} ({trace})" if trace else entry["reason"]
        rows.append((when_, entry["from"], to, path, reason, entry["trigger"], entry["by"]))
    if rows:
        w.add(*table(["At", "From", "To", "Path", "Reason", "Trigger", "By"], rows))
    else:
        w.add("None: the case stayed at the level it opened at.")


def _updates(w: _Writer) -> None:
    w.section("## Status updates")
    updates = _events(w, "update")
    for update in updates:
        audience = update["data"].get("audience") or "internal"
        who = update["by"] or "-"
        w.add(f"- {w.when(update['at'])} to {audience} ({who}): {item(update['text'])}")
    if not updates:
        w.add("None logged (`escalate update` records one).")


def _timeline(w: _Writer) -> None:
    w.section("## Timeline")
    rows = [
        (w.when(e["at"]), e["kind"], e["by"], timing.stamps_in_zone(e["text"], w.zone))
        for e in w.case["timeline"]
    ]
    w.add(*table(["At", "Event", "By", "What"], rows))


def report_markdown(
    matrix: Matrix | None, case: Case, now: datetime, zone: tzinfo | None = None
) -> str:
    """The whole case as Markdown. Without a matrix, contacts and levels show as bare ids.
    Control and bidi characters, from the case or the matrix, show as escapes (`\\x1b`)."""
    w = _Writer(matrix, case, now, zone)
    w.add(f"# {case['id']}: {one_line(case['title'])}", "")
    w.add(
        f"Case document generated {w.when(timing.to_iso(now))} by `escalate report {case['id']}`."
    )
    _summary(w)
    _people(w)
    _steps(w)
    _escalations(w)
    _updates(w)
    _timeline(w)
    return visible("\n".join(w.lines).rstrip() + "\n", lines=True)
