"""The root `escalate` app: global options, the command groups, and the single error handler."""

import errno
import gc
import importlib
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from escalate_cli import __version__
from escalate_cli.cli import _app

# The module whose register() adds each command, in the order `escalate --help` lists them.
COMMAND_MODULES = {
    "setup": ("init",),
    "cases": ("open", "list"),
    "case_views": ("show", "who"),
    "search": ("search",),
    "routing": ("next", "up", "sweep", "simulate", "hold", "resume"),
    "lifecycle": (
        "acknowledge",
        "update",
        "resolve",
        "close",
        "reopen",
        "subscribe",
        "unsubscribe",
    ),
    "corrections": ("edit", "route", "down", "assign", "take", "note"),
    "intake": ("import",),
    "metrics": ("metrics",),
    "steps": ("gather", "assess", "convene", "brainstorm", "implement", "learn"),
    "documents": ("brief", "report"),
    "agenda": ("agenda",),
    "oncall": ("oncall",),
    "watch": ("watch",),
    "demo": ("demo",),
    "matrix": ("matrix",),
    "outbox": ("outbox",),
    "identity": ("whoami", "config"),
    "store": ("store",),
}


def load_commands(module_name: str, only: str | None = None) -> dict[str, Any]:
    """The Click commands one CLI module registers, by name; with `only`, that command and the
    module's groups alone (converting the four case commands took ~2 ms of every `show`, one of
    them ~0.2 ms)."""
    module = importlib.import_module(f"{__name__}.{module_name}")
    holder = typer.Typer(rich_markup_mode=None, add_completion=False)  # plain help, as the root's
    module.register(holder)
    if only is not None:  # groups (`matrix`, `config`) are converted all the same
        commands = holder.registered_commands
        holder.registered_commands = [info for info in commands if _command_name(info) == only]
    command = typer.main.get_command(holder)
    found = (
        dict(command.commands) if isinstance(command, TyperGroup) else {str(command.name): command}
    )
    for each in found.values():
        _app.polish(each)
    return found


def _command_name(info: Any) -> str | None:
    """The name Typer gives a registered command: its own, else its function's."""
    name: str | None = info.name
    if name or info.callback is None:
        return name
    return typer.main.get_command_name(info.callback.__name__)


class LazyCommands(MutableMapping[str, Any]):
    """The root's subcommands by name. A module is imported and its commands converted to Click on
    first use: converting all ~30 cost every command about a fifth of its start-up time."""

    def __init__(self, registered: Mapping[str, Any]) -> None:
        # A module name stands in for a command until that module is loaded.
        self._entries: dict[str, Any] = {
            name: module for module, names in COMMAND_MODULES.items() for name in names
        }
        self._entries.update(registered)

    def __getitem__(self, name: str) -> Any:
        entry = self._entries[name]
        if isinstance(entry, str):
            self._entries.update(load_commands(entry, only=name))
        return self._entries[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._entries[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


class EscalateGroup(TyperGroup):
    """The root command: accepts global options anywhere and turns every failure into one line."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # caught here: Typer would make it exit 1, a bug's exit code
            return _reader_gone()

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        from escalate_cli.cli.help import format_commands

        format_commands(self, ctx, formatter)

    # ctx is Any: its type is Click's Context, for which Typer exports no name.
    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # names alone: completing `escalate sw` loads one module

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _app.hoist_global_options(args))

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        extra["windows_expand_args"] = windows_expand_args
        code = _run(self, super().main, args, prog_name, complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code


def _run(root: Any, main: Any, args: Any, prog_name: Any, complete_var: Any, extra: Any) -> int:
    from escalate_cli.core.errors import EscalateError, ExitCode
    from escalate_cli.output import err, local_time

    try:
        result = main(
            args=args,
            prog_name=prog_name or "escalate",
            complete_var=complete_var,
            standalone_mode=False,
            **extra,
        )
    except EscalateError as error:
        err(f"error: {error.render(local_time)}")  # instants in the reader's zone
        return int(error.exit_code)
    except typer.TyperException as error:
        where = _command_path(error, root, sys.argv[1:] if args is None else args)
        err(f"error: {error.format_message()} (see {where} --help)")
        return int(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err("aborted")
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except Exception as error:
        if os.environ.get("ESCALATE_DEBUG") == "1":
            raise
        if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
            # A path from the command line (`gather --attach`) with a name the system refuses.
            name = os.fsdecode(error.filename or "")
            shown = name if len(name) <= 60 else name[:57] + "..."
            err(f"error: file name too long: {shown!r} (at most 255 bytes for each name in a path)")
            return int(ExitCode.USAGE)
        err(f"unexpected failure: {type(error).__name__}: {error} (ESCALATE_DEBUG=1 shows details)")
        return int(ExitCode.BUG)
    return result if isinstance(result, int) else 0


def _reader_gone() -> int:
    """`escalate list | head` closed the pipe early: not a failure (a `set -o pipefail` script
    would stop on one), and nothing more is written there."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return 0


def _command_path(error: Any, root: Any, args: Sequence[str]) -> str:
    """The command whose usage was wrong (`escalate show`), so its own help is the one to see."""
    ctx = getattr(error, "ctx", None)  # most usage errors carry the context they came from
    if ctx is not None:
        return str(ctx.command_path)
    # "Option '--summary' requires an argument" comes without one: follow the command names.
    path, command, words = ["escalate"], root, iter(args)
    for word in words:
        if word == "--":
            break
        if word.startswith("-"):
            if _app.GLOBAL_OPTIONS.get(word):
                next(words, None)  # its value
            continue
        commands = getattr(command, "commands", None)
        if commands is None or word not in commands:
            break
        path.append(word)
        command = commands[word]
    return " ".join(path)


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
            "--now",
            metavar="WHEN",
            help="Act as if it were this time: ISO-8601, tomorrow 9:00, +2h [env ESCALATE_NOW].",
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Case store: a file, or a postgresql:// URL [env ESCALATE_STORE].",
            metavar="PATH-or-URL",
        ),
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
    ctx.call_on_close(ctx.obj.close)  # last: callbacks run in reverse order
    ctx.call_on_close(ctx.obj.deliver)  # after the command has printed its result
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def main() -> None:
    """Console-script entry point."""
    # One command is a short burst of acyclic data (parsed cases, rows, lines): the cyclic
    # collector cost a 10,000-case list or a long `show` 11-15 ms, and at exit found at most a
    # few hundred objects it could have freed (measured). Reference counting frees the rest;
    # the live board, which runs for hours, turns the collector back on.
    gc.disable()
    try:
        app()
    except SystemExit as done:
        if not isinstance(done.code, int):
            raise
        _leave(done.code)


def _leave(code: int) -> NoReturn:
    """End the process without tearing the interpreter down: freeing every object one by one
    cost a `show` of 5,000 events ~10 ms (measured), and the system frees the memory at once.
    Nothing of escalate's needs the teardown: it starts no threads, registers nothing to run
    at exit (a test checks), and closes each file it writes; what stdout and stderr hold is
    flushed here."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass  # the reader left (`escalate list | head`): not a failure, see _reader_gone
    except OSError:
        sys.exit(code)  # the interpreter's own exit says what could not be written
    os._exit(code)
