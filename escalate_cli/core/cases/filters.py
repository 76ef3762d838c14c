"""`escalate list`'s filters: which cases, whole or as their rows (store_file.row), a list
shows. Apart from the case document (document.py), which a list of rows does not need: its
import cost every list ~1 ms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from escalate_cli.core.engine import ACTIVE
from escalate_cli.core.time import timing
from escalate_cli.core.values import Frozen, frozen

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case
    from escalate_cli.core.matrix.model import Matrix


@frozen  # never compared
class CaseFilter(Frozen):
    """`escalate list` filters; None matches anything. Status "active" is open, ack'd or held."""

    status: str = "active"
    owner: str | None = None
    level: str | None = None
    type: str | None = None
    severity: str | None = None
    customer: str | None = None  # the customer's name, compared case-insensitively, as tier
    tier: str | None = None
    tags: tuple[str, ...] = ()  # every one of them, case-insensitively
    breached: bool = False  # only cases with a recorded SLA breach
    participant: str | None = None
    since: datetime | None = None  # opened at or after
    until: datetime | None = None  # opened at or before

    @property
    def needs_archive(self) -> bool:
        return self.status in ("closed", "all")

    def matches(self, case: Case) -> bool:
        if self.status == "active" and case["status"] not in ACTIVE:
            return False
        if self.status not in ("active", "all") and case["status"] != self.status:
            return False
        if self._by_status_only:
            return True
        wanted = {
            "owner": self.owner,
            "level": self.level,
            "type": self.type,
            "severity": self.severity,
        }
        if not all(value is None or case.get(key) == value for key, value in wanted.items()):
            return False
        return self._matches_more(case)

    @cached_property
    def _by_status_only(self) -> bool:
        """Nothing but the status asked for, as a plain `list` asks: the other checks cost a
        list of 10,000 cases ~20 ms and pass every case."""
        asked = (self.owner, self.level, self.type, self.severity, self.customer, self.tier,
                 self.participant, self.since, self.until)  # fmt: skip
        return not (self.tags or self.breached) and all(value is None for value in asked)

    def _matches_more(self, case: Case) -> bool:
        customer = case.get("customer")
        for wanted, key in ((self.customer, "name"), (self.tier, "tier")):
            held = customer.get(key) if isinstance(customer, dict) else None
            if wanted is not None and _folded(held) != _folded(wanted):
                return False
        tags = case.get("tags")  # cases from before `edit --tag` have none
        held_tags = {_folded(tag) for tag in tags} if isinstance(tags, list) else set()
        if not {_folded(tag) for tag in self.tags} <= held_tags:
            return False
        if self.breached and not case.get("breached"):
            return False
        if self.participant is not None and self.participant not in _contacts(case):
            return False
        # Stored times are UTC ISO-8601 to the second, so they compare as text.
        opened = case.get("created_at")
        if self.since is not None and not _at_or_after(opened, self.since):
            return False
        return self.until is None or not _at_or_after(opened, self.until, strictly=True)


def _contacts(case: Case) -> set[object]:
    kept = case.get("participant_ids")  # a case read as its row (store_file.row)
    if isinstance(kept, list):
        return set(kept)
    people = case.get("participants")
    return (
        {p.get("contact") for p in people if isinstance(p, dict)}
        if isinstance(people, list)
        else set()
    )


def _at_or_after(stamp: object, at: datetime, strictly: bool = False) -> bool:
    bound = timing.to_iso(at)
    return isinstance(stamp, str) and (stamp > bound if strictly else stamp >= bound)


def _folded(value: object) -> str | None:
    return value.strip().casefold() if isinstance(value, str) else None


def filter_cases(cases: Iterable[Case], case_filter: CaseFilter) -> list[Case]:
    return [case for case in cases if case_filter.matches(case)]


def unknown_names(matrix: Matrix, wanted: CaseFilter) -> list[str]:
    """The filters naming what the matrix has none of, a typo most likely: said beside "no
    cases match". Not refused, as a store keeps cases from before the matrix dropped a name."""
    named: list[tuple[str, str | None, str, Mapping[str, object]]] = [
        ("--owner", wanted.owner, "contact", matrix.contacts_by_id),
        ("--participant", wanted.participant, "contact", matrix.contacts_by_id),
        ("--level", wanted.level, "level", matrix.levels_by_id),
        ("--type", wanted.type, "path", matrix.all_paths),
        ("--severity", wanted.severity, "severity", matrix.severities_by_id),
    ]
    found = [
        f'{flag} "{value}" is no {kind} of this matrix'
        for flag, value, kind, known in named
        if value is not None and value not in known
    ]
    if wanted.tier is not None and matrix.tiers and matrix.tier_named(wanted.tier) is None:
        found.append(f'--tier "{wanted.tier}" is no tier of this matrix')
    return found
