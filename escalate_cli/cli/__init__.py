"""The root `escalate` app: global options, the command groups, and the single error handler."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from escalate_cli import __version__
from escalate_cli.cli import (
    _app,
    cases,
    demo,
    documents,
    lifecycle,
    matrix,
    metrics,
    outbox,
    routing,
    setup,
    steps,
)


class EscalateGroup(TyperGroup):
    """The root command: accepts global options anywhere and turns every failure into one line."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _app.hoist_global_options(args))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = _run(super().main, args, prog_name, complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code


def _run(main: Any, args: Any, prog_name: Any, complete_var: Any, extra: Any) -> int:
    from escalate_cli.core.errors import EscalateError, ExitCode
    from escalate_cli.output import err

    try:
        result = main(
            args=args,
            prog_name=prog_name or "escalate",
            complete_var=complete_var,
            standalone_mode=False,
            **extra,
        )
    except EscalateError as error:
        err(f"error: {error}")
        return int(error.exit_code)
    except typer.TyperException as error:
        err(f"error: {error.format_message()} (see escalate --help)")
        return int(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err("aborted")
        return 130
    except BrokenPipeError:
        # `escalate list | head` closes the pipe early; that is not a failure.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except Exception as error:
        if os.environ.get("ESCALATE_DEBUG") == "1":
            raise
        err(f"unexpected failure: {type(error).__name__}: {error} (ESCALATE_DEBUG=1 shows details)")
        return int(ExitCode.BUG)
    return result if isinstance(result, int) else 0


app = typer.Typer(
    cls=EscalateGroup,
    name="escalate",
    help="Run customer escalations: who owns a case, who is next, when, and why.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"escalate {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout (for scripts).")
    ] = False,
    now: Annotated[
        str | None,
        typer.Option(
            "--now", metavar="TIME", help="Act as if it were this ISO-8601 time [env ESCALATE_NOW]."
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Case store file [env ESCALATE_STORE].", metavar="PATH"),
    ] = None,
    matrix_path: Annotated[
        str | None,
        typer.Option(
            "--matrix", help="Escalation matrix YAML [env ESCALATE_MATRIX].", metavar="PATH"
        ),
    ] = None,
    no_notify: Annotated[
        bool,
        typer.Option(
            "--no-notify",
            help="Record notifications on the case but send nothing and run no hook.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Run customer escalations: who owns a case, who is next, when, and why.

    Global options may come before or after the command: escalate next ESC-3 --json
    """
    ctx.obj = _app.Settings(json, now, store, matrix_path, no_notify)
    ctx.call_on_close(ctx.obj.deliver)  # after the command has printed its result
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


setup.register(app)
cases.register(app)
routing.register(app)
lifecycle.register(app)
metrics.register(app)
steps.register(app)
documents.register(app)
demo.register(app)
app.add_typer(matrix.app, name="matrix")
app.add_typer(outbox.app, name="outbox")


def main() -> None:
    """Console-script entry point."""
    app()
