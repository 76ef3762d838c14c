"""`escalate import`: many cases at once, from CSV or JSON lines."""

from pathlib import Path
from typing import Annotated

import typer

from escalate_cli.cli._app import By, settings


def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE", help="CSV, or JSON lines.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and save nothing.")
    ] = False,
    by: By = None,
) -> None:
    """Open a case for each row of a CSV or JSON-lines file (title, severity, type, customer,
    tier, description, external_id, customer_contact); a row whose external_id was opened
    before opens nothing. Exit 2 when any row is refused (the others are opened), or the
    whole file: an unknown column, or CSV quotes that do not pair up (nothing is opened).

    Example: escalate import tickets.csv --dry-run
    """
    from escalate_cli import output
    from escalate_cli.core.errors import ExitCode
    from escalate_cli.core.io.intake import read_rows
    from escalate_cli.core.text.words import plural

    state = settings(ctx)
    report = state.session(by).import_cases(read_rows(path), dry_run=dry_run)
    for line in report.warnings:
        output.err(f"warning: {line}")
    if state.json:
        output.emit_json(report.json())
    else:
        for refused in report.refused:
            output.err(f"row {refused['row']}: {refused['error']}")
        opened = [entry["case"] for entry in report.opened]
        span = f" ({opened[0]} to {opened[-1]})" if len(opened) > 1 else ""
        span = f" ({opened[0]})" if len(opened) == 1 else span
        verb = "would open" if dry_run else "opened"
        output.text(
            f"{verb} {plural(len(opened), 'case')}{span}; {len(report.existing)} already there"
            f" (same external id); {len(report.refused)} refused"
            + ("; dry run: nothing was saved" if dry_run else "")
        )
    if report.refused:
        raise typer.Exit(int(ExitCode.USAGE))


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
