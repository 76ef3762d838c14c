"""Outbox commands: list the notifications waiting, failed or sent; retry or drop them."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import Settings, complete_from, settings

if TYPE_CHECKING:
    from escalate_cli.core.notify.outbox import Delivered

app = typer.Typer(
    help="Notifications waiting to be sent, failed or sent.",
    rich_markup_mode=None,
    invoke_without_command=True,
)

STATUS_CHOICES = (
    "unsent",
    "pending",
    "failed",
    "sent",
    "suppressed",
    "no_channel",
    "all",
)
# An empty outbox under a matrix with no channels is by design: say so.
NO_CHANNELS = " (the matrix has no channels: notifications are on the case timelines only)"
Ids = Annotated[
    list[str] | None, typer.Argument(metavar="ID", help="Outbox entry ids (default: all due).")
]


@app.callback(invoke_without_command=True)
def show_outbox(
    ctx: typer.Context,
    status: Annotated[
        str,
        typer.Option(
            help="unsent (pending, failed, no_channel), one status, or all.",
            autocompletion=complete_from(STATUS_CHOICES),
        ),
    ] = "unsent",
) -> None:
    """List the outbox: notifications to send, failed ones with their error, sent ones.

    Example: escalate outbox --status failed
    """
    if ctx.invoked_subcommand is not None:
        return
    from escalate_cli import output
    from escalate_cli.core.errors import UsageError

    if status not in STATUS_CHOICES:
        raise UsageError(f'--status "{status}": use one of {", ".join(STATUS_CHOICES)}')
    state = settings(ctx)
    listed = state.session().outbox(status)
    found = listed.entries
    if state.json:
        output.emit_json(found)
        return
    if not found:
        note = NO_CHANNELS if listed.no_channels else ""
        output.err(f"no {_described(status)} in the outbox{note}")
        return
    output.table(
        ["id", "status", "tries", "at", "why / error"],
        [
            (
                e["id"],
                e["status"].replace("no_channel", "no channel"),
                e["attempts"],
                output.when(e["at"]),
                e["error"] or e["reason"],
            )
            for e in found
        ],
    )


def _described(status: str) -> str:
    if status == "all":
        return "notifications"
    if status == "no_channel":
        return "notifications without a channel"
    return f"{status} notifications"


@app.command()
def retry(ctx: typer.Context, ids: Ids = None) -> None:
    """Send again now what is pending or failed (or only the entries named).

    Example: escalate outbox retry ESC-7:12:sam:email-main
    """
    state = settings(ctx)
    done, lines = state.session().retry(ids or None)
    _print_delivered(state, done, lines)


def _print_delivered(state: Settings, done: "Delivered", lines: list[str]) -> None:
    from escalate_cli import output

    results: list[dict[str, Any]] = [
        {"id": o.entry["id"], "sent": o.error is None, "error": o.error} for o in done.outcomes
    ]
    for line in lines:
        output.err(f"warning: {line}")
    if state.json:
        output.emit_json(results)
    else:
        for result in results:
            if result["sent"]:
                output.text(f"sent {output.esc(result['id'])}")
        if not results:
            output.err("nothing to retry")
    failed = sum(1 for result in results if not result["sent"])
    if failed:
        from escalate_cli.core.errors import ExitCode
        from escalate_cli.core.text.words import plural

        it = "it stays" if failed == 1 else "they stay"
        output.err(
            f"{plural(failed, 'notification')} could not be sent: {it} in the outbox"
            " (escalate outbox)"
        )
        raise typer.Exit(int(ExitCode.PARTLY_DONE))


@app.command()
def drop(ctx: typer.Context, ids: Annotated[list[str], typer.Argument(metavar="ID")]) -> None:
    """Give up on outbox entries: they are removed and never sent.

    Example: escalate outbox drop ESC-7:12:sam:email-main
    """
    from escalate_cli import output

    state = settings(ctx)
    dropped = state.session().drop_outbox(ids)
    if state.json:
        output.emit_json({"dropped": dropped})
    else:
        from escalate_cli.core.text.words import plural

        output.err(f"dropped {plural(len(dropped), 'outbox entry', 'outbox entries')}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="outbox")
