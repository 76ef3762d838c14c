"""Which level is next: where a case opens, a path's levels from there up, and one step up the
path (past levels nobody can answer). Every command that moves a case up asks this module."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from escalate_cli.core.engine import availability
from escalate_cli.core.matrix.model import Matrix, Path

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case


class RoutingProblem(Exception):
    """The case refers to a level or path the matrix no longer has (timing rule 12)."""


def case_path(matrix: Matrix, case: Case) -> Path:
    path = matrix.all_paths.get(case["type"])
    if path is None:
        raise RoutingProblem(f'path "{case["type"]}" is no longer in the matrix')
    if case["level"] not in matrix.levels_by_id:
        raise RoutingProblem(f'level "{case["level"]}" is no longer in the matrix')
    return path


def onto_path(matrix: Matrix, path: Path, rank: int) -> str:
    """The path's lowest level at or above `rank`, else its top (timing rule 9)."""
    for level_id in path.levels:
        if matrix.level_rank[level_id] >= rank:
            return level_id
    return path.levels[-1]


def start_level(matrix: Matrix, severity_id: str | None, path_name: str) -> str:
    """The severity's `start`, else the path's first level, moved onto the path if needed.

    A start level that is not on the path becomes the path's lowest level at or above it; when
    the path has nothing that high, its top level.
    """
    path = matrix.all_paths[path_name]
    severity = matrix.severities_by_id.get(severity_id) if severity_id else None
    wanted = severity.start if severity and severity.start else path.levels[0]
    if wanted in path.levels:
        return wanted
    return onto_path(matrix, path, matrix.level_rank[wanted])


def path_levels(matrix: Matrix, path_name: str, severity_id: str | None) -> tuple[str, ...]:
    """The path's levels from where a case of the severity opens (its `start`), upward."""
    path = matrix.all_paths[path_name]
    first = start_level(matrix, severity_id, path_name)
    return path.levels[path.levels.index(first) :]


def levels_above(matrix: Matrix, case: Case) -> list[str]:
    path = case_path(matrix, case)
    current = matrix.level_rank[case["level"]]
    return [level_id for level_id in path.levels if matrix.level_rank[level_id] > current]


def step_up(matrix: Matrix, case: Case, at: datetime) -> tuple[str, tuple[tuple[str, str], ...]]:
    """One level up the path; with `skip_unavailable`, past levels nobody can answer.

    Never past the top: when every level above is unreachable, the top it is. Raises
    LookupError at the top.
    """
    above = levels_above(matrix, case)
    if not above:
        raise LookupError("at the top of its path")
    return first_reachable(matrix, above, at)


def first_reachable(
    matrix: Matrix, candidates: list[str], at: datetime
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The first of `candidates` (levels, bottom to top) to go to, and those skipped on the way:
    with `skip_unavailable`, the first where someone is available, else the last; without it,
    the first."""
    if not matrix.skip_unavailable:
        return candidates[0], ()
    skipped: list[tuple[str, str]] = []
    for level_id in candidates[:-1]:
        if availability.has_available(matrix, level_id, at):
            return level_id, tuple(skipped)
        skipped.append((level_id, f"nobody at {level_id} is available"))
    return candidates[-1], tuple(skipped)


def opening_level(
    matrix: Matrix, severity_id: str | None, path_name: str, at: datetime
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The level a new case opens at, and those skipped on the way up to it."""
    return first_reachable(matrix, list(path_levels(matrix, path_name, severity_id)), at)
