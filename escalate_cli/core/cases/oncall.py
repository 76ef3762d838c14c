"""`escalate oncall`: who is reachable at each level at an instant, without a case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from escalate_cli.core.cases.document import require_level
from escalate_cli.core.engine import availability
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.time import timing


def oncall(matrix: Matrix, at: datetime, level_id: str | None = None) -> list[dict[str, Any]]:
    """Each level (or the one named), bottom to top, with its contacts as reached at `at`:
    the rotation member on shift, a delegate for someone away, availability by hours.

    A level with nobody available says when someone next is (within 14 days, else null)."""
    wanted = [require_level(matrix, level_id)] if level_id else list(matrix.levels_by_id)
    blocks: list[dict[str, Any]] = []
    for ident in wanted:
        level = matrix.levels_by_id[ident]
        reached = availability.level_contacts(matrix, ident, at)
        # `via` always present, so a script tells a direct contact (null) from a stand-in.
        contacts = [{**person.to_json(), "via": person.via} for person in reached]
        later = None
        if not any(person.available for person in reached):
            later = availability.level_next_available_at(matrix, ident, at)
        blocks.append(
            {
                "level": ident,
                "name": level.label,
                "contacts": contacts,
                "next_available_at": timing.to_iso(later) if later else None,
            }
        )
    return blocks
