"""Shared CLI plumbing: the global options, and loading the matrix, the store and the clock."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

if TYPE_CHECKING:
    from escalate_cli.core.cases import Case
    from escalate_cli.core.model import Matrix
    from escalate_cli.core.outbox import Dispatch
    from escalate_cli.core.store_base import Store, StoreTransaction

T = TypeVar("T")

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
    """The global options of one invocation, and what they lead to, loaded on demand."""

    json: bool = False
    now_flag: str | None = None
    store_flag: str | None = None
    matrix_flag: str | None = None
    no_notify: bool = False
    user_from_config: str | None = None  # what `--by` fell back to (see `user_default`)
    _store: Store | None = None
    _now: datetime | None = None
    _matrix: Matrix | None = None
    _dispatch: Dispatch | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            from escalate_cli.core.locations import store_path
            from escalate_cli.core.store_base import open_store

            self._store = open_store(store_path(self.store_flag, os.environ))
        return self._store

    def close(self) -> None:
        """Once the command is done: let go of the store (a database connection)."""
        if self._store is not None:
            self._store.close()

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
        from escalate_cli.core.locations import matrix_path

        def recorded() -> str | None:
            return self.store.read_meta().get("matrix")

        return matrix_path(self.matrix_flag, os.environ, Path.cwd(), recorded)

    def matrix(self) -> Matrix:
        from escalate_cli.core import matrix_cache
        from escalate_cli.core.errors import MatrixError, MatrixProblem

        if self._matrix is not None:
            return self._matrix
        path = self.matrix_path()
        if path is None:
            hint = "pass --matrix PATH, set ESCALATE_MATRIX, or run escalate init --matrix PATH"
            raise MatrixError([MatrixProblem("", None, "", f"no matrix found: {hint}")])
        self._matrix = matrix_cache.load(path)
        return self._matrix

    def team(self) -> str:
        """The name of this invocation's matrix: what its cases record as `matrix`."""
        from escalate_cli.core.teams import team_name

        return team_name(self.matrix(), self.matrix_path())

    def team_if_any(self) -> str | None:
        """The team, or None when there is no usable matrix (then every case is shown)."""
        from escalate_cli.core.errors import MatrixError

        try:
            return self.team()
        except MatrixError:
            return None

    @property
    def dispatch(self) -> Dispatch:
        """What this invocation's writes leave to deliver once the store is unlocked."""
        if self._dispatch is None:
            from escalate_cli.core.outbox import Dispatch

            self._dispatch = Dispatch(send=not self.no_notify)
        return self._dispatch

    def record(
        self, tx: StoreTransaction, matrix: Matrix, case: Case, added: list[int]
    ) -> Dispatch | None:
        """Inside a write: the case's new notifications into the outbox, claimed for sending.
        Hand the result to `self.absorb` only once the transaction is saved."""
        if not matrix.channels and not matrix.hooks.configured:
            return None  # nothing is ever sent or run: spare every command the imports
        from escalate_cli.core.outbox import record

        fork = self.dispatch.fork()
        record(tx, matrix, [(case, added)], self.now, fork)
        return fork

    def absorb(self, written: Dispatch | None) -> None:
        if written is not None:
            self.dispatch.absorb(written)

    def deliver(self) -> None:
        """Once the command is done: send what its writes claimed and run their hooks. Nothing
        here changes the exit code: each problem is one line on stderr."""
        dispatch = self._dispatch
        if dispatch is None or not (dispatch.claimed or dispatch.unrouted or dispatch.hooks):
            return
        from escalate_cli.core.outbox import finish
        from escalate_cli.output import err

        try:
            path = self.matrix_path()
            source = path.absolute() if path else None
            _, lines = finish(self.store, self.matrix(), dispatch, self.now, os.environ, source)
        except Exception as error:  # the case change is saved: say what failed, never undo it
            lines = [f"delivery stopped: {type(error).__name__}: {error}"]
        self._dispatch = None
        for line in lines:
            err(f"warning: {line}")


def settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj


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


def require_user(matrix: Matrix, by: str | None, from_config: bool = False) -> None:
    """`--by` (or `$ESCALATE_USER`, or the config's `user`) must be a contact of the matrix
    (exit 3); the message names where the id came from."""
    from escalate_cli.core.cases import require_contact
    from escalate_cli.core.errors import NotFoundError

    if by is None:
        return
    try:
        require_contact(matrix, by)
    except NotFoundError as error:
        if from_config:
            raise NotFoundError(f"config user: {error}") from None
        if os.environ.get("ESCALATE_USER") == by:
            raise NotFoundError(f"ESCALATE_USER: {error}") from None
        raise NotFoundError(f"--by: {error}") from None


def refuse_unusable(state: Settings, case: Case) -> None:
    """Exit 6, naming the store and the field, when a stored time in the case is unusable
    (written by hand or by an older version): nothing is changed."""
    from escalate_cli.core.errors import StoreError
    from escalate_cli.core.timing import stored_time_problem

    problem = stored_time_problem(case)
    if problem is not None:
        raise StoreError(f"{case['id']} in {state.store.location}: {problem}; fix or remove it")


def claim_for_team(case: Case, team: str) -> None:
    """A case of another matrix is exit 5; one written before cases recorded their matrix
    becomes this matrix's."""
    from escalate_cli.core.teams import adopt, require_team

    require_team(case, team)
    adopt(case, team)


def change_case(
    state: Settings,
    ref: str,
    change: Callable[[Matrix, dict[str, Any], datetime], T],
    by: str | None = None,
) -> tuple[Matrix, dict[str, Any], T]:
    """Load the matrix and clock outside the lock, then read, change and write one case."""
    from escalate_cli.core.cases import matches_ref, new_events, parse_case_ref, timeline_mark

    matrix = state.matrix()
    now = state.now
    require_user(matrix, by, by is not None and by == state.user_from_config)
    _, number = parse_case_ref(ref)
    with state.store.transaction() as tx:
        case = matches_ref(tx.get(number), ref)
        refuse_unusable(state, case)
        claim_for_team(case, state.team())
        mark = timeline_mark(case)
        result = change(matrix, case, now)
        tx.put(case)
        written = state.record(tx, matrix, case, new_events(case, mark))
    state.absorb(written)
    return matrix, case, result
