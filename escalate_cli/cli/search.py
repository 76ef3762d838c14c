"""Finding cases again: search."""

from typing import Annotated

import typer

from escalate_cli.cli._app import (
    CASE_STATUSES,
    Since,
    checked_status,
    complete_from,
    past_time_option,
    settings,
)


def search(
    ctx: typer.Context,
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT",
            help="Words the case must hold, in any order; end one with * for a prefix.",
        ),
    ],
    since: Since = None,
    status: Annotated[
        str,
        typer.Option(
            metavar="STATUS",
            help="all (the default), active (open, acknowledged, on_hold), or a status.",
            autocompletion=complete_from(CASE_STATUSES),
        ),
    ] = "all",
) -> None:
    """Find cases, open and closed, that hold every word of TEXT, best match first.

    Example: escalate search "payment timeout" --since 30d
    """
    from escalate_cli import output

    status = checked_status(status)
    state = settings(ctx)
    since_at = past_time_option(state, since, "--since")
    found = state.session().search(text, status=status, since=since_at)
    for case, problem in found.skipped:
        output.err(f"{case.get('id', '?')}: skipped: {problem}")
    if state.json:
        output.emit_json([hit.json() for hit in found.hits])
        return
    if not found.hits:
        output.err("no case matches")
        return
    output.table(
        ["id", "status", "sev", "score", "matched", "updated", "title"],
        [
            (
                hit.case.get("id"),
                output.status(str(hit.case.get("status"))),
                hit.case.get("severity") or "-",
                hit.score,
                ", ".join(hit.matched),
                output.when(hit.updated),
                hit.case.get("title"),
            )
            for hit in found.hits
        ],
    )


def register(app: typer.Typer) -> None:
    app.command()(search)
