"""Shared CLI plumbing: the global options, and loading the matrix, the store and the clock."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from escalate_cli.core.model import Matrix
    from escalate_cli.core.session import Session
    from escalate_cli.core.store_base import Store

# Options that may stand before or after the subcommand; the value says whether they take one.
GLOBAL_OPTIONS = {
    "--json": False,
    "--now": True,
    "--store": True,
    "--matrix": True,
    "--no-notify": False,
}


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options to the front, so `escalate next ESC-3 --json` parses like
    `escalate --json next ESC-3`. Nothing after `--` moves."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            front.append(arg)
            if GLOBAL_OPTIONS[name] and "=" not in arg:
                if index + 1 >= len(args) or args[index + 1].startswith("--"):
                    from escalate_cli.core.errors import UsageError

                    raise UsageError(f"{name} needs a value")
                front.append(args[index + 1])
                index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


@dataclass
class Settings:
    """The global options of one invocation, and the Session they lead to, made on demand."""

    json: bool = False
    now_flag: str | None = None
    store_flag: str | None = None
    matrix_flag: str | None = None
    no_notify: bool = False
    user_from_config: str | None = None  # what `--by` fell back to (see `user_default`)
    _now: datetime | None = None
    _session: Session | None = None

    def session(self, by: str | None = None) -> Session:
        """The unit of work of this invocation, acting as `by` when given. Its delivery waits
        until the command has printed (see `deliver`)."""
        if self._session is None:
            from escalate_cli.core.session import Session

            self._session = Session(
                self.store_flag,
                self.matrix_flag,
                now=self._clock,
                notify=not self.no_notify,
                environ=os.environ,
                defer_delivery=True,
            )
        if by is not None:
            self._session.user = by
            self._session.user_label = self._user_label(by)
        return self._session

    def _user_label(self, by: str) -> str:
        """Where `--by` came from, for the message when it is no contact."""
        if by == self.user_from_config:
            return "config user"
        if os.environ.get("ESCALATE_USER") == by:
            return "ESCALATE_USER"
        return "--by"

    @property
    def store(self) -> Store:
        return self.session().store

    def close(self) -> None:
        """Once the command is done: let go of the store (a database connection)."""
        if self._session is not None:
            self._session.close_store()

    def _clock(self) -> datetime:
        return self.now

    @property
    def now(self) -> datetime:
        if self._now is None:
            from escalate_cli.core import timing
            from escalate_cli.core.errors import UsageError

            try:
                self._now = timing.resolve_now(self.now_flag, os.environ)
            except ValueError as error:
                raise UsageError(str(error)) from None  # it names --now or ESCALATE_NOW
        return self._now

    def matrix_path(self) -> Path | None:
        return self.session().matrix_path()

    def matrix(self) -> Matrix:
        return self.session().matrix()

    def team(self) -> str:
        """The name of this invocation's matrix: what its cases record as `matrix`."""
        return self.session().team()

    def deliver(self) -> None:
        """Once the command is done: send what its writes claimed and run their hooks. Nothing
        here changes the exit code: each problem is one line on stderr."""
        if self._session is None:
            return
        lines = self._session.deliver()
        if not lines:
            return
        from escalate_cli.output import err

        for line in lines:
            err(f"warning: {line}")


def settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


def chosen_matrix(ctx: typer.Context, path: str | None, usage: str) -> Path:
    """The matrix file a `matrix` command works on: PATH, else the one the settings find;
    neither is exit 2 showing `usage`."""
    if path:
        return Path(path)
    found = settings(ctx).matrix_path()
    if found is None:
        from escalate_cli.core.errors import UsageError

        raise UsageError(f"which matrix? {usage}")
    return found


def complete_case_id(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion for CASE arguments: ids of the cases in the store, with their titles."""
    try:
        params: dict[str, Any] = ctx.find_root().params
        found = Settings(store_flag=params.get("store")).store.cases()
    except Exception:
        # Completion runs on every Tab press: a broken store must not spew a traceback.
        return []
    from escalate_cli.core.visible import one_line

    wanted = incomplete.lower()
    # The shell prints the titles beside the ids: they must not drive the terminal either.
    found = [case for case in found if case["id"].lower().startswith(wanted)]
    return [(case["id"], one_line(case["title"])) for case in found]


def user_default(ctx: typer.Context, value: str | None) -> str | None:
    """The `--by` options' callback: `--by`, then `$ESCALATE_USER` (Typer's envvar), then the
    config's `user`, remembered so an unknown id is blamed on the config."""
    if value is not None:
        return value
    from escalate_cli.core.config import configured

    found = configured("user", os.environ)
    settings(ctx).user_from_config = found
    return found


# `--since` of `list` and `search`: the cases opened since then.
Since = Annotated[
    str | None,
    typer.Option(
        metavar="WHEN",
        help="Only cases opened since: a duration back (30d), a time, or mon 9:00.",
    ),
]


def past_time_option(state: Settings, text: str | None, flag: str) -> datetime | None:
    """A `--since`/`--until` of `list` and `search`: a time, or a duration back from now."""
    if text is None:
        return None
    from escalate_cli.core.errors import UsageError
    from escalate_cli.core.listing import past_time

    try:
        return past_time(text, state.now)
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from None


# --- how each command's --help reads ---------------------------------------------------------

# Option names and the metavar their help shows (Typer would print `<str>`).
METAVARS = {
    "--by": "CONTACT",
    "--owner": "CONTACT",
    "--assignee": "CONTACT",
    "--with": "CONTACT",
    "--agreed-by": "CONTACT",
    "--participant": "CONTACT",
    "--add": "CONTACT[:ROLE]",
    "--severity": "SEVERITY",
    "--type": "PATH",
    "--path": "PATH",
    "--level": "LEVEL",
    "--to": "LEVEL",
    "--tier": "TIER",
    "--customer": "NAME",
    "--status": "STATUS",
    "--audience": "AUDIENCE",
    "--kind": "KIND",
    "--ask": "ASK",
    "--attach": "FILE",
    "--output": "FILE",
    "--choose": "N",
    "--done": "N",
    "--limit": "N",
    "--sort": "FIELD",
}


# What the shell completes for each option (or argument) name: ids from the matrix, tags from
# the store.
COMPLETES = {
    "--by": "contact",
    "--owner": "contact",
    "--assignee": "contact",
    "--with": "contact",
    "--agreed-by": "contact",
    "--participant": "contact",
    "--add": "contact",
    "contact": "contact",
    "--to": "level",
    "--level": "level",
    "--path": "path",
    "--type": "path",
    "--severity": "severity",
    "--tier": "tier",
    "--tag": "tag",
    "--untag": "tag",
}


def _completions(ctx: Any, kind: str) -> list[str]:
    """The ids a shell may offer; nothing when the matrix or the store cannot be read (a Tab
    press must never print a traceback)."""
    try:
        params = ctx.find_root().params
        found = Settings(store_flag=params.get("store"), matrix_flag=params.get("matrix"))
        if kind == "tag":
            cases = found.session().store.cases()
            return sorted({tag for case in cases for tag in case.get("tags") or []})
        matrix = found.session().matrix()
    except Exception:
        return []
    if kind == "contact":
        return [contact.id for contact in matrix.contacts]
    if kind == "level":
        return [level.id for level in matrix.levels]
    if kind == "path":
        return list(matrix.all_paths)
    if kind == "severity":
        return [severity.id for severity in matrix.severities]
    return list(matrix.tiers)


def _completer(kind: str) -> Any:
    def complete(ctx: Any, param: Any, incomplete: str) -> list[str]:
        return [value for value in _completions(ctx, kind) if value.startswith(incomplete)]

    return complete


def polish(command: Any) -> None:
    """Give a command (and a group's commands) real metavars, completion of the matrix's ids,
    and the global options section."""
    for param in command.params:
        kind = COMPLETES.get(max(param.opts, key=len) if param.opts else param.name or "")
        if kind is not None and getattr(param, "_custom_shell_complete", None) is None:
            param._custom_shell_complete = _completer(kind)
        if param.metavar is not None or getattr(param, "is_flag", False):
            continue
        if param.param_type_name == "argument":
            param.metavar = (param.name or "").upper()
            continue
        name = max(param.opts, key=len)
        kind = getattr(param.type, "name", "")
        param.metavar = METAVARS.get(name) or {"integer": "N", "float": "NUMBER"}.get(kind, "TEXT")
    _with_global_options(command)
    for sub in getattr(command, "commands", {}).values():
        polish(sub)


_SWAPPED: dict[type, type] = {}


def _with_global_options(command: Any) -> None:
    """Swap the command's class for a subclass whose help ends with the global options."""
    base = type(command)
    if base in _SWAPPED.values():
        return
    if base not in _SWAPPED:
        _SWAPPED[base] = type(base.__name__, (base,), {"format_options": _format_options})
    command.__class__ = _SWAPPED[base]


def _format_options(self: Any, ctx: Any, formatter: Any) -> None:
    super(type(self), self).format_options(ctx, formatter)
    root = ctx.find_root()
    if root is ctx:
        return
    rows = [
        record
        for param in root.command.params
        if set(getattr(param, "opts", ())) & set(GLOBAL_OPTIONS)
        if (record := param.get_help_record(root)) is not None
    ]
    with formatter.section("Global options (before or after the command)"):
        formatter.write_dl(rows)
