"""Export a matrix for a paging service: one entry point over the three formats."""

from __future__ import annotations

from collections.abc import Callable

from escalate_cli.core.io.export_opsgenie import to_opsgenie
from escalate_cli.core.io.export_pagerduty import Exported, to_pagerduty
from escalate_cli.core.io.export_terraform import to_terraform
from escalate_cli.core.matrix.model import Matrix

EXPORTERS: dict[str, Callable[[Matrix, str | None], Exported]] = {
    "pagerduty": to_pagerduty,
    "opsgenie": to_opsgenie,
    "terraform-pagerduty": to_terraform,
}


def export_matrix(matrix: Matrix, to: str, severity_id: str | None = None) -> Exported:
    """The matrix in the format `to` names, for the severity's timers (default: the matrix's
    default severity), and what that format cannot hold."""
    return EXPORTERS[to](matrix, severity_id)
