"""Case commands: open and list (`show` and `who` are in case_views.py)."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import (
    CASE_STATUSES,
    Since,
    checked_status,
    complete_from,
    complete_from_core,
    past_time_option,
    settings,
    user_default,
)

if TYPE_CHECKING:
    from datetime import datetime

    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.engine import NextDue
    from escalate_cli.core.matrix.model import Matrix


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
    existing = opened.result == "existing"
    if existing:
        said = (
            f"{case['id']} has external id {case['external_id']} already (opened"
            f" {output.when(case['created_at'])}): nothing new was opened"
        )
        # The id is the answer, on stdout, where a person or a script looks for it.
        (output.err if quiet or state.json else typer.echo)(said)
    else:
        _warn_if_unreachable(matrix, case, opened.now)
    if quiet:
        typer.echo(case["id"])
    elif state.json:
        output.emit_json(case)
    elif not existing:
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


def list_cases(
    ctx: typer.Context,
    status: Annotated[
        str,
        typer.Option(
            help="active (open, acknowledged, on_hold), a single status, or all.",
            autocompletion=complete_from(CASE_STATUSES),
        ),
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
            autocompletion=complete_from_core("escalate_cli.core.cases.listing", "SORTS"),
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

    status = checked_status(status)
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
        output.err("; ".join(["no cases match", *listed.unknown]))
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


def register(app: typer.Typer) -> None:
    app.command("open")(open_case)
    app.command("list")(list_cases)
