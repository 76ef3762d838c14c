"""`escalate init`: create the store and remember which matrix it follows."""

import typer

from escalate_cli.cli._app import settings


def init(ctx: typer.Context) -> None:
    """Create the case store, remember the matrix, and validate it.

    Example: escalate init --matrix matrices/support.yaml
    """
    from escalate_cli import output
    from escalate_cli.core.matrix import load_matrix

    state = settings(ctx)
    path = state.matrix_path()
    if path is None:
        from escalate_cli.core.errors import UsageError

        raise UsageError("init needs a matrix: escalate init --matrix PATH")
    matrix = load_matrix(path)
    store = state.store
    store.prepare()  # the file, or the database schema (created or migrated)
    with store.transaction() as tx:
        tx.meta["matrix"] = str(path.resolve())
    if state.json:
        output.emit_json({"store": store.location, "matrix": str(path.resolve())})
        return
    name = matrix.name or path.name
    output.err(f"store {store.location} ready; following matrix {path.resolve()} ({name})")


def register(app: typer.Typer) -> None:
    app.command()(init)
