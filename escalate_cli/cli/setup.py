"""`escalate init`: create the store and remember which matrix it follows."""

import typer

from escalate_cli.cli._app import settings


def init(ctx: typer.Context) -> None:
    """Create the case store, remember the matrix, and validate it.

    Example: escalate init --matrix matrices/support.yaml
    """
    from escalate_cli import output

    state = settings(ctx)
    done = state.session().init()
    if state.json:
        output.emit_json({"store": done.store, "matrix": str(done.matrix_path)})
        return
    output.err(f"store {done.store} ready; following matrix {done.matrix_path} ({done.name})")


def register(app: typer.Typer) -> None:
    app.command()(init)
