"""`escalate agenda`: follow-through for a person or the whole team."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import By, due_text, parse_when_option, settings, when_option

if TYPE_CHECKING:
    from escalate_cli.core.cases.agenda import Agenda


def agenda(
    ctx: typer.Context,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only what waits on you (--by, or your user).")
    ] = False,
    at: Annotated[str | None, when_option("As of then (default now).")] = None,
    by: By = None,
) -> None:
    """What waits on people: open actions (overdue first), follow-ups due, cases waiting for an
    acknowledgement, and status updates due by cadence.

    Example: escalate agenda --mine
    """
    from escalate_cli import output

    state = settings(ctx)
    found = state.session(by).agenda(mine=mine, at=parse_when_option(at, state, "--at"))
    if state.json:
        output.emit_json(found.json())
        return
    print_agenda(found)


def print_agenda(found: "Agenda") -> None:
    from escalate_cli import output
    from escalate_cli.core.time.timing import to_iso

    who = f" for {found.user}" if found.user else ""
    when = output.when(to_iso(found.at))
    if found.empty:
        output.err(f"nothing on the agenda{who} as of {when}")
        return
    output.text(f"[bold]Agenda{output.esc(who)}[/bold] as of {when}")
    sections: list[tuple[str, list[str]]] = [
        ("Actions", [_action(entry, found) for entry in found.actions]),
        ("Follow-ups due", [_follow_up(entry, found) for entry in found.follow_ups]),
        ("Waiting for an acknowledgement", [_waiting(entry) for entry in found.acknowledge]),
        ("Updates due by cadence", [_update(entry, found) for entry in found.updates]),
    ]
    for title, lines in sections:
        if lines:
            output.text(f"\n[bold]{title}[/bold]")
            for line in lines:
                output.text("  " + output.esc(line, at_end=True))


def _action(entry: dict[str, Any], found: "Agenda") -> str:
    noun = "action" if entry["what"] == "action" else "prevent"
    who = f" ({entry['assignee']})" if entry["assignee"] and not found.user else ""
    due = f", due {due_text(entry['due'], found.at)}" if entry["due"] else ""
    return f"{entry['case']} {noun} {entry['n']}: {entry['text']}{who}{due}"


def _follow_up(entry: dict[str, Any], found: "Agenda") -> str:
    return (
        f"{entry['case']} follow-up {entry['n']} with {entry['with']},"
        f" due {due_text(entry['due'], found.at)}: {entry['title']}"
    )


def _waiting(entry: dict[str, Any]) -> str:
    from escalate_cli import output

    return (
        f"{entry['case']} {entry['severity'] or ''} at {entry['level']}"
        f" since {output.when(entry['since'])}: {entry['title']}"
    )


def _update(entry: dict[str, Any], found: "Agenda") -> str:
    told = ", ".join(entry["contacts"])
    return (
        f"{entry['case']} update due {due_text(entry['due'], found.at)}"
        f" (trigger {entry['trigger']} reminds {told}): {entry['title']}"
    )


def register(app: typer.Typer) -> None:
    app.command()(agenda)
