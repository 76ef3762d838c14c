"""`escalate store copy`: move a store between a JSON file and PostgreSQL, either way."""

from typing import Annotated

import typer

from escalate_cli.cli._app import settings

app = typer.Typer(help="The case store itself: copy it to another store.", rich_markup_mode=None)


@app.command("copy")
def copy(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SRC", help="A store file or URL to read.")],
    target: Annotated[
        str, typer.Argument(metavar="DST", help="An empty store file or URL to fill.")
    ],
) -> None:
    """Copy every case, the archive and the outbox from SRC to DST, and check the counts.

    DST's schema is created or migrated; a DST that holds cases is refused (exit 5).

    Example: escalate store copy ~/.local/share/escalate/cases.json postgresql://db/escalate
    """
    from escalate_cli import output
    from escalate_cli.core.store.store_copy import copy_between, summary_line

    state = settings(ctx)
    copied = copy_between(source, target)
    if state.json:
        output.emit_json(copied.as_json())
        return
    output.err(summary_line(f"copied from {copied.source}", copied.counts[0]))
    output.err(summary_line(f"checked in {copied.target}", copied.counts[1]))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="store")
