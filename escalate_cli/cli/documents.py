"""Case documents: the situation report (brief) and the full case document (report)."""

from typing import TYPE_CHECKING, Annotated

import typer

from escalate_cli.cli._app import Settings, settings
from escalate_cli.cli.cases import CaseArgument, load_case

if TYPE_CHECKING:
    from escalate_cli.core.model import Matrix

FORMATS = ("md", "json")


def brief(
    ctx: typer.Context,
    case_ref: CaseArgument,
    ask: Annotated[
        str | None,
        typer.Option(
            help="What you ask of the reader: awareness, help, decision or resources"
            " (default: awareness once resolved, decision while options wait, else help).",
            metavar="ASK",
        ),
    ] = None,
) -> None:
    """The situation report for whoever the case goes to: short enough to paste into a chat.

    Example: escalate brief ESC-7 --ask decision
    """
    from escalate_cli import output
    from escalate_cli.core import documents
    from escalate_cli.core.errors import UsageError

    if ask is not None and ask not in documents.ASKS:
        raise UsageError(f'--ask "{ask}": use one of {", ".join(documents.ASKS)}')
    state = settings(ctx)
    case = load_case(state, case_ref)
    matrix, now = state.matrix(), state.now
    data = documents.brief(matrix, case, now, ask)
    if state.json:
        output.emit_json(data)
        return
    # Plain text, never Rich: case text is shown exactly as written, brackets and all.
    # Folded for a terminal; piped (into a chat, a file, xclip) one line per item.
    folded = output.console().is_terminal
    typer.echo(documents.brief_text(matrix, data, now, wrap=folded), nl=False)


def report(
    ctx: typer.Context,
    case_ref: CaseArgument,
    format_: Annotated[
        str | None,
        typer.Option(
            "--format", help="md (Markdown, the default) or json (the case object).", metavar="FMT"
        ),
    ] = None,
) -> None:
    """The full case document: Markdown for the post-incident review, or the case as JSON.

    Example: escalate report ESC-7 --format md > ESC-7.md
    """
    from escalate_cli import output
    from escalate_cli.core.case_report import report_markdown
    from escalate_cli.core.errors import UsageError

    if format_ is not None and format_ not in FORMATS:
        raise UsageError(f'--format "{format_}": use md or json')
    state = settings(ctx)
    if state.json and format_ == "md":
        raise UsageError("--json and --format md disagree: give one of them")
    case = load_case(state, case_ref)
    if state.json or format_ == "json":
        output.emit_json(case)
        return
    typer.echo(report_markdown(_matrix_if_any(state), case, state.now), nl=False)


def _matrix_if_any(state: Settings) -> "Matrix | None":
    """A report documents what the case recorded, so it still renders when the matrix has
    changed or broken since; names then show as bare ids."""
    from escalate_cli import output
    from escalate_cli.core.errors import MatrixError

    try:
        return state.matrix()
    except MatrixError as error:
        output.err(f"note: contacts and levels shown by id: {error}")
        return None


def register(app: typer.Typer) -> None:
    app.command()(brief)
    app.command()(report)
