"""Teams in one store: each case belongs to the matrix it was opened under, by its name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate_cli.core.errors import RefusedError

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.matrix.model import Matrix


def team_name(matrix: Matrix, path: Path | None) -> str:
    """The name a case records: the matrix's `name:`, else its file name without the extension
    (`support.yaml` -> `support`), which stays the same wherever the file is checked out."""
    return named_team(matrix.name, path)


def named_team(name: str | None, path: Path | None) -> str:
    """`team_name` of a matrix named `name` at `path`."""
    if name and name.strip():
        return name.strip()
    return path.stem if path is not None else "escalation"


def belongs(case: Mapping[str, Any], team: str | None) -> bool:
    """Whether `team` may see and work the case: its own cases, and those written before cases
    recorded their matrix. A `team` of None (no matrix known) sees every case."""
    recorded = case.get("matrix")
    return team is None or recorded is None or recorded == team


def require_team(case: Mapping[str, Any], team: str | None) -> None:
    """Exit 5 when the case belongs to another matrix: its answers would use the wrong rules."""
    if belongs(case, team):
        return
    raise RefusedError(
        f'{case.get("id", "?")} belongs to matrix "{case.get("matrix")}", not "{team}";'
        " use --matrix with that team's matrix for it"
    )


def adopt(case: Case, team: str) -> None:
    """Claim a case written before cases recorded their matrix: the first write decides."""
    if case.get("matrix") is None:
        case["matrix"] = team
