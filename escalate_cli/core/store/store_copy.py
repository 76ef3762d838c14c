"""`escalate store copy`: every case, the archive and the outbox from one store to another."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from escalate_cli.core.cases.reminders import keep as keep_tracked
from escalate_cli.core.errors import RefusedError, StoreError
from escalate_cli.core.store.store_base import Store


@dataclass(frozen=True)
class Counts:
    """What one store holds: cases not closed, closed (archived) cases, outbox entries."""

    open: int
    archived: int
    outbox: int
    last_number: int

    def as_json(self) -> dict[str, int]:
        return {
            "open": self.open,
            "archived": self.archived,
            "outbox": self.outbox,
            "last_number": self.last_number,
        }


def counts(store: Store) -> Counts:
    cases = store.cases(archived=True, history=False)
    closed = sum(1 for case in cases if case.get("status") == "closed")
    last = store.read_meta().get("last_number", 0)
    return Counts(
        len(cases) - closed,
        closed,
        len(store.outbox()),
        max([last if type(last) is int else 0, *(c["number"] for c in cases)]),
    )


def copy_store(source: Store, target: Store) -> tuple[Counts, Counts]:
    """Copy everything in one transaction on the target, then count both sides again.
    A target that holds cases is refused (exit 5); its schema is created or migrated first."""
    if not source.exists():
        raise StoreError(f"{source.location}: no store there to copy (escalate init creates one)")
    target.prepare()
    meta = source.read_meta()
    cases = source.cases(archived=True)
    entries = source.outbox()
    with target.transaction() as tx:
        held = tx.cases(archived=True)
        if held:
            raise RefusedError(
                f"{target.location} already holds {len(held)} case(s); copy only into an empty"
                " store (nothing was copied)"
            )
        for key, value in meta.items():
            if key != "schema_version":
                tx.meta[key] = value
        for case in cases:
            tx.put(case)
            keep_tracked(tx, case)  # each store tracks dated items its own way
        for entry in entries:
            tx.put_outbox(entry)
    before, after = counts(source), counts(target)
    if (before.open, before.archived, before.outbox) != (after.open, after.archived, after.outbox):
        raise StoreError(
            f"the copy does not match its source: {_said(before)} in {source.location},"
            f" {_said(after)} in {target.location}"
        )
    return before, after


def _said(counts: Counts) -> str:
    return f"{counts.open} open, {counts.archived} archived, {counts.outbox} in the outbox"


def summary_line(name: str, counts: Counts) -> str:
    return f"{name}: {_said(counts)}; last case number {counts.last_number}"


@dataclass(frozen=True)
class Copied:
    """What `escalate store copy` did: where from, where to, and what each store held after."""

    source: str
    target: str
    counts: tuple[Counts, Counts]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": {"store": self.source, **self.counts[0].as_json()},
            "target": {"store": self.target, **self.counts[1].as_json()},
        }


def copy_between(source: str, target: str) -> Copied:
    """`copy_store` between two stores named as `--store` names one (a path or a URL), each
    opened for the copy alone. A session works with one store, so this stands apart from it."""
    from escalate_cli.core.locations import store_path
    from escalate_cli.core.store.store_base import open_store

    src = open_store(store_path(source, {}))
    dst = open_store(store_path(target, {}))
    try:
        pair = copy_store(src, dst)
    finally:
        src.close()
        dst.close()
    return Copied(src.location, dst.location, pair)
