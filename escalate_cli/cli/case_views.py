"""Views of one case: show and who.

Apart from open and list, whose options cost every `show` ~0.5 ms of building at import.
"""

from typing import TYPE_CHECKING, Any

import typer

from escalate_cli.cli._app import CaseArgument, Settings, settings

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case


def load_case(state: Settings, ref: str) -> "Case":
    """The case a CASE argument names, as it stands now (see `Session.case`): the hot file
    first, the archive only if needed."""
    return state.session().case(ref)


def show(ctx: typer.Context, case_ref: CaseArgument) -> None:
    """Everything about a case: people, the seven steps as a checklist, and its timeline.

    Example: escalate show ESC-7
    """
    from escalate_cli import output

    state = settings(ctx)
    case = load_case(state, case_ref)
    if state.json:
        output.emit_json(case)
        return
    _print_case(case)


def _print_case(case: "Case") -> None:
    from escalate_cli import output
    from escalate_cli.core.cases.attachments import attachment_states
    from escalate_cli.core.cases.document import open_actions, step_checklist
    from escalate_cli.core.text.words import plural
    from escalate_cli.core.time.timing import stamps_in_zone

    esc = output.esc
    customer = case["customer"]
    who_for = " / ".join(x for x in (customer.get("name"), customer.get("tier")) if x) or "-"
    output.text(f"[bold]{case['id']}[/bold]  {esc(case['title'], at_end=True)}")
    facts: list[tuple[str, Any]] = [
        ("status", output.status(case["status"])),
        ("severity", case["severity"] or "-"),
        ("type", case["type"]),
        ("level", case["level"]),
        ("owner", case["owner"]),
        ("customer", who_for),
        ("opened", output.when(case["created_at"])),
    ]
    if case.get("tags"):
        facts.append(("tags", ", ".join(case["tags"])))
    for label, at in (
        ("acknowledged", case["acknowledged_at"]),
        ("resolved", case["resolved_at"]),
        ("closed", case["closed_at"]),
    ):
        if at:
            facts.append((label, output.when(at)))
    if case["reopened"]:
        facts.append(("reopened", plural(case["reopened"], "time")))
    hearing = customer.get("contacts") or []  # older cases have neither list
    if hearing or case.get("subscribers"):
        listed = [*hearing, *(case.get("subscribers") or [])]
        facts.append(("customer hears", ", ".join(listed)))
    if case["breached"]:
        facts.append(("breached", ", ".join(f"{sla} SLA" for sla in case["breached"])))
    if case["description"]:
        facts.append(("description", output.Lines(case["description"])))
    if case.get("resolution"):
        facts.append(("resolution", output.Lines(case["resolution"])))
    output.table(["", ""], facts, show_header=False)
    rows = []
    for number, (name, done, lines) in enumerate(step_checklist(case, output.when), 1):
        mark = "[x]" if done else "[ ]"
        rows.append((mark, f"{number} {name}", output.Lines(lines[0] if lines else "")))
        rows.extend(("", "", output.Lines(line)) for line in lines[1:])
    output.table(["", "step", "recorded"], rows, title="Seven steps")
    pending = open_actions(case)
    if pending:
        output.table(
            ["#", "kind", "action", "assignee", "due"],
            [
                (a["n"], a["kind"], a["text"], a["assignee"] or "-", output.when(a["due"]))
                for a in pending
            ],
            title="Open actions",
        )
    attachments = attachment_states(case)
    if attachments:
        output.table(
            ["file", "sha256", "state", "path"],
            [(a["name"], a["sha256"][:12], state, a["path"]) for a, state in attachments],
            title="Attachments",
        )
    timeline = case["timeline"]
    # The events one command records share its stamp: each stamp is shown once (~1.5 ms of a
    # timeline of 5,000 events).
    shown = {at: output.when(at) for at in {e["at"] for e in timeline}}
    output.table(
        ["at", "event", "by", "what"],
        [
            (
                shown[e["at"]],
                e["kind"],
                e["by"] or "",
                output.lines(stamps_in_zone(e["text"], None)),
            )
            for e in timeline
        ],
        title="Timeline",
    )


def who(ctx: typer.Context, case_ref: CaseArgument) -> None:
    """Who owns a case, its level and that level's contacts now, and who else is involved.

    Example: escalate who ESC-7
    """
    from escalate_cli import output

    state = settings(ctx)
    view = state.session().who(case_ref)
    if state.json:
        output.emit_json({k: v for k, v in view.items() if k != "level_known"})
        return
    output.text(f"[bold]{view['case']}[/bold] owned by {output.esc(view['owner'])}")
    if not view["level_known"]:
        output.text(f"level {output.esc(view['level'])} is no longer in the matrix")
    else:
        output.table(
            ["contact", "name", "available", "via"],
            [
                (c["id"], c["name"], "yes" if c["available"] else "no", c.get("via") or "")
                for c in view["contacts"]
            ],
            title=f"Level {view['level']}",
        )
    output.table(
        ["participant", "role", "since"],
        [(p["contact"], p["role"], output.when(p.get("since"))) for p in view["participants"]],
        title="Participants",
    )


def register(app: typer.Typer) -> None:
    app.command()(show)
    app.command()(who)
