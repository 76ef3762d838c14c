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
    from escalate_cli.core.model import Matrix
    from escalate_cli.core.store import CaseStore

T = TypeVar("T")

# Options that may stand before or after the subcommand; the value says whether they take one.
GLOBAL_OPTIONS = {"--json": False, "--now": True, "--store": True, "--matrix": True}


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
    _store: CaseStore | None = None
    _now: datetime | None = None

    @property
    def store(self) -> CaseStore:
        if self._store is None:
            from escalate_cli.core.locations import store_path
            from escalate_cli.core.store import CaseStore

            self._store = CaseStore(store_path(self.store_flag, os.environ))
        return self._store

    @property
    def now(self) -> datetime:
        if self._now is None:
            from escalate_cli.core import timing
            from escalate_cli.core.errors import UsageError

            try:
                self._now = timing.resolve_now(self.now_flag, os.environ)
            except ValueError as error:
                raise UsageError(f"--now / ESCALATE_NOW: {error}") from None
        return self._now

    def matrix_path(self) -> Path | None:
        from escalate_cli.core.locations import matrix_path

        def recorded() -> str | None:
            return self.store.read_meta().get("matrix")

        return matrix_path(self.matrix_flag, os.environ, Path.cwd(), recorded)

    def matrix(self) -> Matrix:
        from escalate_cli.core.errors import MatrixError, MatrixProblem
        from escalate_cli.core.matrix import load_matrix

        path = self.matrix_path()
        if path is None:
            hint = "pass --matrix PATH, set ESCALATE_MATRIX, or run escalate init --matrix PATH"
            raise MatrixError([MatrixProblem("", None, "", f"no matrix found: {hint}")])
        return load_matrix(path)


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
    wanted = incomplete.lower()
    return [(case["id"], case["title"]) for case in found if case["id"].lower().startswith(wanted)]


def change_case(
    state: Settings,
    ref: str,
    change: Callable[[Matrix, dict[str, Any], datetime], T],
    by: str | None = None,
) -> tuple[Matrix, dict[str, Any], T]:
    """Load the matrix and clock outside the lock, then read, change and write one case."""
    from escalate_cli.core.cases import matches_ref, parse_case_ref, require_contact

    matrix = state.matrix()
    now = state.now
    if by is not None:
        require_contact(matrix, by)
    _, number = parse_case_ref(ref)
    with state.store.transaction() as tx:
        case = matches_ref(tx.get(number), ref)
        result = change(matrix, case, now)
        tx.put(case)
    return matrix, case, result
