"""Shared CLI plumbing: the global options, loading the matrix, the store and the clock, and the
options and printing every command module shares (command modules never import each other)."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.core.values import Record

if TYPE_CHECKING:
    from datetime import date

    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.cases.planning import NextView
    from escalate_cli.core.matrix.model import Matrix
    from escalate_cli.core.session import Changed, Session
    from escalate_cli.core.store.store_base import Store

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


@dataclass(eq=False, repr=False)  # never compared; repr: Record's
class Settings(Record):
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
            from escalate_cli.core.errors import UsageError
            from escalate_cli.core.time import timing

            try:
                self._now = timing.resolve_now(self.now_flag, os.environ)
            except ValueError as error:
                raise UsageError(str(error)) from None  # it names --now or ESCALATE_NOW
            if self.now_flag is not None:
                read_as("--now", self.now_flag, self._now)
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
    from escalate_cli.core.text.visible import one_line

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


def past_time_option(
    state: Settings, text: str | None, flag: str, *, by_now: bool = False
) -> datetime | None:
    """A `--since`/`--until` of `list`, `search` and `metrics`: a time, or a duration back
    from now; with `by_now`, a time after now is exit 2 (before it is echoed: an error is one
    line)."""
    if text is None:
        return None
    from escalate_cli.core.cases.listing import past_time
    from escalate_cli.core.errors import UsageError

    try:
        at = past_time(text, state.now)
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from None
    if by_now and at > state.now:
        raise UsageError(f"{flag}: {text} is after now")
    read_as(flag, text, at)
    return at


def read_as(flag: str, text: str, at: datetime) -> None:
    """A time typed as people say it (`2d`, `mon 9:00`, `tomorrow 9:00`) is echoed on stderr
    as the absolute time it was read as, so that a misreading shows at once; an ISO-8601 time
    is not repeated (scripts give those)."""
    from escalate_cli.core.time import timing

    try:
        timing.parse_instant(text)
        return
    except ValueError:
        pass
    from escalate_cli import output

    output.err(f"{flag} {text.strip()!r} read as {output.local_time(at)}")


# --- what the command modules share (they never import each other) ---------------------

CaseArgument = Annotated[
    str,
    typer.Argument(
        metavar="CASE", help="Case id, e.g. ESC-7 (or just 7).", autocompletion=complete_case_id
    ),
]


By = Annotated[
    str | None,
    typer.Option(
        "--by",
        envvar="ESCALATE_USER",
        callback=user_default,
        help="Contact doing this (a contact id; default: the config's user).",
    ),
]


WHEN_FORMS = "WHEN: 2d, +2h, tomorrow 9:00, mon 14:00, eod, or ISO-8601, in your zone."


CASE_STATUSES = ("active", "open", "acknowledged", "on_hold", "resolved", "closed", "all")


def complete_from(values: tuple[str, ...]) -> Any:
    """Shell completion for an option that takes one of a few fixed words."""

    def complete(incomplete: str) -> list[str]:
        return [value for value in values if value.startswith(incomplete)]

    return complete


def complete_from_core(module: str, name: str) -> Any:
    """complete_from the words core's `module` keeps as `name`, imported on a Tab press only:
    the command itself need not import that module to build its options."""

    def complete(incomplete: str) -> list[str]:
        completed: list[str] = complete_from(getattr(importlib.import_module(module), name))(
            incomplete
        )
        return completed

    return complete


def checked_status(status: str) -> str:
    """A case `--status` of `list` or `search`, or exit 2 naming the ones there are."""
    if status not in CASE_STATUSES:
        from escalate_cli.core.errors import UsageError

        raise UsageError(f'--status "{status}": use one of {", ".join(CASE_STATUSES)}')
    return status


def when_option(help_text: str) -> Any:
    """An option taking WHEN, which timing.parse_when reads; its help says the forms."""
    return typer.Option(metavar="WHEN", help=f"{help_text} {WHEN_FORMS}")


def parse_when_option(text: str | None, state: Settings, flag: str) -> Any:
    from escalate_cli.core.errors import UsageError
    from escalate_cli.core.time import timing

    if text is None:
        return None
    try:
        return timing.parse_when(text, state.now)
    except ValueError as error:
        raise UsageError(f"{flag}: {error}") from None


def print_next(matrix: Matrix, view: NextView, case: Case, now: datetime) -> None:
    """The closing lines of every step: who to escalate to next, when, and why."""
    from escalate_cli import output
    from escalate_cli.core.engine.timers import is_on_hold

    esc = output.esc
    upcoming = view.data["next"]
    if upcoming is None:
        output.text(f"Next: nobody ({esc(view.note or 'nothing due')})")
        for deadline in view.data["deadlines"]:  # at the top: a breach is all that is left
            output.text(f"  {deadline['sla']} SLA due {due_text(deadline['due_at'], now)}")
        _print_triggers(view, now)
        return
    if upcoming["external"]:
        where = "external contacts"
    else:
        level = matrix.levels_by_id[upcoming["level"]]
        where = f"{level.id} ({level.label})"
    held = is_on_hold(case, now)
    until = case["holds"][-1].get("until") if held else None
    if upcoming["due_at"]:
        when = f"at {due_text(upcoming['due_at'], now)}"
    elif held and not until:
        when = "when the hold ends"
    else:
        when = "when you decide"
    output.text(
        f"[bold]Next:[/bold] {esc(where)} {esc(when)}: {esc(upcoming['reason'], at_end=True)}"
    )
    for contact in upcoming["contacts"]:
        state = "available" if contact["available"] else "not available"
        via = f", {contact['via']}" if contact.get("via") else ""
        output.text(f"  {esc(contact['name'])} ({esc(contact['id'])}{esc(via)}): {state}")
    if not upcoming["available"] and upcoming.get("available_at"):
        output.text(f"  someone is next available {output.when(upcoming['available_at'])}")
    if upcoming["skipped"]:
        output.text(f"  skipping {esc(', '.join(upcoming['skipped']))}: nobody available")
    if view.data["notify"]:
        output.text(f"  also notify: {esc(', '.join(view.data['notify']))}")
    if until:
        output.text(f"  on hold until {output.when(until)}: timers count again from then")
    _print_triggers(view, now)


def due_text(due_at: str, now: datetime) -> str:
    """A due time for people, saying how long ago it passed."""
    from datetime import timedelta

    from escalate_cli.core.time import timing
    from escalate_cli.output import when

    late = now - timing.from_iso(due_at)
    if late < timedelta(0):
        return when(due_at)
    if late < timedelta(minutes=1):
        return f"{when(due_at)} (due now)"
    minutes = timedelta(minutes=int(late.total_seconds() // 60))
    return f"{when(due_at)} (overdue by {timing.format_duration(minutes)})"


def _print_triggers(view: NextView, now: datetime) -> None:
    """The notify-only and reminder triggers still to fire, and the next repeat at the top of
    the path: they tell people without moving the case."""
    from escalate_cli import output

    for notice in view.data["triggers"]:
        told = output.esc(", ".join(notice["contacts"]))
        at = due_text(notice["due_at"], now)
        verb = "reminds" if notice["trigger"] in view.reminding else "notifies"
        output.text(f"  trigger {output.esc(notice['trigger'])} at {at}: {verb} {told}")
    repeat = view.data["repeat"]
    if repeat is not None:
        told = output.esc(", ".join(repeat["contacts"]))
        at = due_text(repeat["due_at"], now)
        count = f"{repeat['number']} of {repeat['times']}"
        output.text(f"  unacknowledged: repeat {count} at {at}: notifies {told}")


def after_change(state: Settings, done: Changed, said: str) -> None:
    """Every command that changes a case prints it (JSON), or what happened and who is next."""
    from escalate_cli import output
    from escalate_cli.core.cases.planning import next_view

    case = done.case
    if state.json:
        output.emit_json(case)
        return
    from escalate_cli.core.time.timing import stamps_in_zone

    output.text(f"[bold]{case['id']}[/bold] {output.esc(stamps_in_zone(said, None))}")
    print_next(done.matrix, next_view(done.matrix, case, done.now), case, done.now)


def first_day(text: str | None, state: Settings, weeks: int) -> date | datetime:
    """A plain date stays a day; anything else is an instant, whose day each matrix's zone says.
    The whole walk must lie in the times escalate accepts (with a day's slack for the zone)."""
    from datetime import date, datetime, timedelta

    from escalate_cli.core.errors import UsageError

    first: date | datetime = state.now
    if text is not None:
        try:
            first = date.fromisoformat(text.strip())
        except ValueError:
            first = parse_when_option(text, state, "--from")
    day = first.date() if isinstance(first, datetime) else first
    last = date(9998, 12, 30) - timedelta(weeks=weeks)
    if not date(1970, 1, 2) <= day <= last:
        span = f"from 1970-01-02 to {last} with --weeks {weeks}"
        raise UsageError(f"--from: {day} is out of range ({span})")
    return first


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
        if param.param_type_name == "argument":
            _plainly_required(param)
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


_SWAPPED: dict[tuple[type, str], type] = {}


def _swap(instance: Any, name: str, method: Any) -> None:
    """Swap the instance's class for a subclass (one per class and method) whose `name` is
    `method`; an instance swapped already stays as it is."""
    base = type(instance)
    if base in _SWAPPED.values():
        return
    if (base, name) not in _SWAPPED:
        _SWAPPED[base, name] = type(base.__name__, (base,), {name: method})
    instance.__class__ = _SWAPPED[base, name]


def _plainly_required(argument: Any) -> None:
    """Typer 0.28 shows a required argument as `{CASE}` in a usage line, which reads as a set
    of choices; the convention, and the manual, say `CASE` (and `[CASE]` when optional)."""
    _swap(argument, "make_metavar", _usage_metavar)


def _usage_metavar(self: Any, ctx: Any, *args: Any, **kwargs: Any) -> str:
    shown: str = super(type(self), self).make_metavar(ctx, *args, **kwargs)
    braced = shown.startswith("{") and shown.endswith("}") and "|" not in shown
    return shown[1:-1] if braced else shown


def _with_global_options(command: Any) -> None:
    """The command's help ends with the global options."""
    _swap(command, "format_options", _format_options)


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
