"""Case documents: the situation report (brief) and the full case document (report)."""

from typing import TYPE_CHECKING, Annotated

import typer

from escalate_cli.cli._app import CaseArgument, settings

if TYPE_CHECKING:
    pass

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

    state = settings(ctx)
    briefed = state.session().brief(case_ref, ask=ask)
    if state.json:
        output.emit_json(briefed.data)
        return
    # Plain text, never Rich: case text is shown exactly as written, brackets and all.
    # Folded to the terminal's width; piped (into a chat, a file, xclip) one line per item.
    width = output.console().width if output.on_terminal() else None
    typer.echo(briefed.text(width=width), nl=False)


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
    from escalate_cli.core.errors import UsageError

    if format_ is not None and format_ not in FORMATS:
        raise UsageError(f'--format "{format_}": use md or json')
    state = settings(ctx)
    if state.json and format_ == "md":
        raise UsageError("--json and --format md disagree: give one of them")
    if state.json or format_ == "json":
        output.emit_json(state.session().case(case_ref))
        return
    reported = state.session().report(case_ref)
    if reported.problem is not None:
        output.err(f"note: contacts and levels shown by id: {reported.problem}")
    typer.echo(reported.markdown(), nl=False)


def register(app: typer.Typer) -> None:
    app.command()(brief)
    app.command()(report)
