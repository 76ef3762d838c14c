"""Outbox commands: list the notifications waiting, failed or sent; retry or drop them."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import Settings, settings

if TYPE_CHECKING:
    from escalate_cli.core.outbox import Delivered

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
Ids = Annotated[
    list[str] | None, typer.Argument(metavar="ID", help="Outbox entry ids (default: all due).")
]


@app.callback(invoke_without_command=True)
def show_outbox(
    ctx: typer.Context,
    status: Annotated[
        str,
        typer.Option(help="unsent (pending, failed, no_channel), one status, or all."),
    ] = "unsent",
) -> None:
    """List the outbox: notifications to send, failed ones with their error, sent ones.

    Example: escalate outbox --status failed
    """
    if ctx.invoked_subcommand is not None:
        return
    from escalate_cli import output
    from escalate_cli.core.errors import UsageError
    from escalate_cli.core.outbox import select

    if status not in STATUS_CHOICES:
        raise UsageError(f'--status "{status}": use one of {", ".join(STATUS_CHOICES)}')
    state = settings(ctx)
    found = select(state.store.outbox(), status)
    if state.json:
        output.emit_json(found)
        return
    if not found:
        output.err(f"no {_described(status)} in the outbox" + _no_channels_note(state))
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


def _no_channels_note(state: Settings) -> str:
    """An empty outbox under a matrix with no channels is by design: say so."""
    try:
        if not state.matrix().channels:
            return " (the matrix has no channels: notifications are on the case timelines only)"
    except Exception:
        pass  # listing the outbox needs no matrix
    return ""


@app.command()
def retry(ctx: typer.Context, ids: Ids = None) -> None:
    """Send again now what is pending or failed (or only the entries named).

    Example: escalate outbox retry ESC-7:12:sam:email-main
    """
    state = settings(ctx)
    wanted = _existing(state, ids, refuse=("sent", "suppressed", "no_channel"))
    done, lines = state.session().retry(wanted)
    _print_delivered(state, done, lines)


def _existing(state: Settings, ids: list[str] | None, refuse: tuple[str, ...]) -> set[str] | None:
    from escalate_cli.core.errors import NotFoundError, RefusedError

    if not ids:
        return None
    entries = {entry["id"]: entry for entry in state.store.outbox()}
    for ident in ids:
        if ident not in entries:
            raise NotFoundError(f"{ident} is not in the outbox (escalate outbox --status all)")
        if entries[ident]["status"] in refuse:
            raise RefusedError(f"{ident} is {entries[ident]['status']}: nothing to do")
    return set(ids)


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
        from escalate_cli.core.words import plural

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
    _existing(state, ids, refuse=())  # one being sent now: its sender finds it gone
    with state.store.transaction() as tx:
        tx.drop_outbox(ids)
    if state.json:
        output.emit_json({"dropped": ids})
    else:
        from escalate_cli.core.words import plural

        output.err(f"dropped {plural(len(ids), 'outbox entry', 'outbox entries')}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="outbox")
