"""Case commands: open, list, show, who."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import (
    CaseArgument,
    Settings,
    Since,
    past_time_option,
    settings,
    user_default,
)

if TYPE_CHECKING:
    from datetime import datetime

    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.engine.routing import NextDue
    from escalate_cli.core.matrix.model import Matrix


def load_case(state: Settings, ref: str) -> "Case":
    """The case a CASE argument names, as it stands now (see `Session.case`): the hot file
    first, the archive only if needed."""
    return state.session().case(ref)


def open_case(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What is wrong, in one line.")],
    severity: Annotated[
        str | None, typer.Option(help="Severity id (default: the matrix's).")
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="Escalation type: a path name (default: default).")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="Customer name.")] = None,
    tier: Annotated[str | None, typer.Option(help="Customer tier, e.g. vip.")] = None,
    description: Annotated[str | None, typer.Option(help="The longer story.")] = None,
    owner: Annotated[
        str | None, typer.Option(help="Owner contact (default: start level's).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            envvar="ESCALATE_USER",
            callback=user_default,
            help="Contact opening the case (a contact id; default: the config's user).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the new id alone.")] = False,
    customer_contact: Annotated[
        list[str] | None,
        typer.Option(
            metavar="EMAIL",
            help="A customer's email address, told of customer updates (repeatable).",
        ),
    ] = None,
    external_id: Annotated[
        str | None,
        typer.Option(
            metavar="ID",
            help="Its id elsewhere: opening the same id again gives the case already open.",
        ),
    ] = None,
) -> None:
    """Open a case at its start level and notify that level.

    Example: escalate open "Checkout fails for all EU customers" --severity sev1 --customer Initech
    """
    from escalate_cli import output

    state = settings(ctx)
    opened = state.session(by).open(
        title,
        severity=severity,
        type=type_,
        customer=customer,
        tier=tier,
        description=description,
        owner=owner,
        customer_contacts=customer_contact or (),
        external_id=external_id,
    )
    matrix, case = opened.matrix, opened.case
    if opened.result == "existing":
        output.err(
            f"{case['id']} has external id {case['external_id']} already (opened"
            f" {output.when(case['created_at'])}): nothing new was opened"
        )
    else:
        _warn_if_unreachable(matrix, case, opened.now)
    if quiet:
        typer.echo(case["id"])
    elif state.json:
        output.emit_json(case)
    elif opened.result != "existing":
        _print_opened(matrix, case)


def _warn_if_unreachable(matrix: "Matrix", case: "Case", now: "datetime") -> None:
    """Nobody at the level a case opened at can answer now: say so, and when someone can."""
    from escalate_cli import output
    from escalate_cli.core.engine.availability import has_available, level_next_available_at

    if has_available(matrix, case["level"], now):
        return
    until = level_next_available_at(matrix, case["level"], now)
    when = (
        f"someone is from {output.local_time(until)}" if until else "nobody is in the next 14 days"
    )
    output.err(f"warning: nobody at {case['level']} is available now; {when}")


def _print_opened(matrix: "Matrix", case: "Case") -> None:
    from escalate_cli import output

    level = matrix.levels_by_id[case["level"]]
    output.text(
        f"[bold]{case['id']}[/bold] opened at {output.esc(level.id)} ({output.esc(level.label)}),"
        f" severity {output.esc(case['severity'] or '-')}, owner {output.esc(case['owner'])}"
    )
    for entry in case["timeline"]:
        if entry["kind"] == "notified":
            names = ", ".join(_contact_label(matrix, c) for c in entry["data"]["contacts"])
            output.text(f"notified: {output.esc(names)}")


def _contact_label(matrix: "Matrix", contact_id: str) -> str:
    contact = matrix.contacts_by_id.get(contact_id)
    return f"{contact.label} ({contact_id})" if contact and contact.name else contact_id


STATUS_CHOICES = ("active", "open", "acknowledged", "on_hold", "resolved", "closed", "all")


def list_cases(
    ctx: typer.Context,
    status: Annotated[
        str,
        typer.Option(help="active (open, acknowledged, on_hold), a single status, or all."),
    ] = "active",
    owner: Annotated[str | None, typer.Option(help="Only cases this contact owns.")] = None,
    level: Annotated[str | None, typer.Option(help="Only cases at this level.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only cases of this type.")] = None,
    severity: Annotated[str | None, typer.Option(help="Only cases of this severity.")] = None,
    overdue: Annotated[
        bool,
        typer.Option("--overdue", help="Only cases a sweep would act on now (timers, triggers)."),
    ] = False,
    all_matrices: Annotated[
        bool,
        typer.Option("--all-matrices", help="Cases of every team in the store, with their matrix."),
    ] = False,
    customer: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Only this customer's cases (any case of letters)."),
    ] = None,
    tier: Annotated[
        str | None, typer.Option(metavar="TIER", help="Only cases of this customer tier.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option(metavar="TAG", help="Only cases with this tag; repeatable.")
    ] = None,
    breached: Annotated[
        bool, typer.Option("--breached", help="Only cases with a recorded SLA breach.")
    ] = False,
    participant: Annotated[
        str | None,
        typer.Option(metavar="CONTACT", help="Only cases this contact takes part in."),
    ] = None,
    since: Since = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="Only cases opened until: a duration back or a time."),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            metavar="ORDER",
            help="due (soonest first), created or updated (newest first), severity (worst first).",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(metavar="N", min=1, help="Show the first N cases only.")
    ] = None,
    wide: Annotated[
        bool,
        typer.Option("--wide", help="Every column, absolute times, titles never cut."),
    ] = False,
) -> None:
    """List cases as a table (active ones unless --status says otherwise).

    Example: escalate list --owner dana --status acknowledged
    """
    from escalate_cli import output
    from escalate_cli.core.errors import UsageError

    if status not in STATUS_CHOICES:
        raise UsageError(f'--status "{status}": use one of {", ".join(STATUS_CHOICES)}')
    state = settings(ctx)
    listed = state.session().cases(
        status=status,
        owner=owner,
        level=level,
        type=type_,
        severity=severity,
        overdue=overdue,
        all_matrices=all_matrices,
        customer=customer,
        tier=tier,
        tags=tag or (),
        breached=breached,
        participant=participant,
        since=past_time_option(state, since, "--since"),
        until=past_time_option(state, until, "--until"),
        sort=sort,
        limit=limit,
        history=state.json,  # `list --json` gives each case's steps; the table needs none
    )
    for case, problem in listed.skipped:
        output.err(f"{case.get('id', '?')}: skipped: {problem}")
    found, due = listed.cases, listed.due
    if state.json:
        output.emit_json([_list_row(c, due.get(c["number"])) for c in found])
        return
    if not found:
        output.err("no cases match")
        return
    from escalate_cli.cli import list_view

    list_view.show(found, due, state.now, wide=wide, teams=listed.team is None)


def _list_row(case: "Case", due: "NextDue | None") -> dict[str, Any]:
    """A case in `list --json`: without its timeline; `matrix` null for one from before teams;
    `next_due` when it is next due (null: nothing is, or no usable matrix)."""
    from escalate_cli.core.time.timing import to_iso

    row = {k: v for k, v in case.items() if k != "timeline"}
    row.setdefault("matrix", None)
    row["next_due"] = to_iso(due.at) if due is not None else None
    return row


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
    output.text(f"[bold]{case['id']}[/bold]  {esc(case['title'])}")
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
                output.Lines(stamps_in_zone(e["text"], None)),
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
    app.command("open")(open_case)
    app.command("list")(list_cases)
    app.command()(show)
    app.command()(who)
