"""The EscalateError hierarchy: every failure a user can cause, each with its exit code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import IntEnum

from escalate_cli.core.values import Value, frozen


class ExitCode(IntEnum):
    """The process exit codes of docs/scripting.md; scripts depend on them staying stable."""

    OK = 0
    BUG = 1
    USAGE = 2
    NOT_FOUND = 3
    INVALID_MATRIX = 4
    REFUSED = 5
    STORE_UNUSABLE = 6
    PARTLY_DONE = 7  # `outbox retry`: some notifications could not be sent and stay in the outbox


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EscalateError(Exception):
    """A failure with a one-line message meant for the person at the terminal.

    Instants go in as keywords named by `{name}` in the message: str() shows them in UTC, and
    the CLI, which knows the reader's zone (core does not), shows them there through `render`.
    """

    exit_code: ExitCode = ExitCode.BUG

    def __init__(self, message: str = "", **instants: datetime) -> None:
        self.template, self.instants = message, instants
        super().__init__(self.render(_utc))

    def render(self, show: Callable[[datetime], str]) -> str:
        """The message with each instant written by `show`."""
        text = self.template
        for name, at in self.instants.items():
            text = text.replace("{" + name + "}", show(at))
        return text


class UsageError(EscalateError):
    """A bad flag or argument value."""

    exit_code = ExitCode.USAGE


class NotFoundError(EscalateError):
    """A case, level, contact, path, severity, rotation or action that does not exist."""

    exit_code = ExitCode.NOT_FOUND


class RefusedError(EscalateError):
    """Not allowed in the case's state, or stopped by a guardrail."""

    exit_code = ExitCode.REFUSED


class StoreError(EscalateError):
    """The case store is corrupt, locked too long or unreadable; it is left untouched."""

    exit_code = ExitCode.STORE_UNUSABLE


@frozen
class MatrixProblem(Value):
    """One thing wrong with a matrix file, located by line and key path."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [part for part in (where, self.key, self.message) if part]
        return ": ".join(parts)


class MatrixError(EscalateError):
    """The matrix is missing, unreadable, not YAML, or fails validation."""

    exit_code = ExitCode.INVALID_MATRIX

    def __init__(self, problems: list[MatrixProblem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid matrix"
        more = len(problems) - 1
        suffix = f" (and {more} more: run escalate matrix validate)" if more else ""
        super().__init__(first + suffix)
