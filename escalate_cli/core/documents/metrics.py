"""Escalation metrics over many cases: MTTA, MTTR, SLA breaches, escalations, reopen rate."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from escalate_cli.core.engine import ACTIVE  # still being worked: `open` in the metrics
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.matrix.model import Matrix

SLAS = ("ack", "resolve")


@dataclass(frozen=True)
class Metrics:
    """What `escalate metrics` reports about the cases opened within a window.

    `mtta_s` and `mttr_s` are means in seconds, None when no case qualifies; `acknowledged`
    and `resolved` say how many cases each mean is over. `window_start` is None for all time.
    """

    cases: int = 0
    open: int = 0
    mtta_s: float | None = None
    mttr_s: float | None = None
    acknowledged: int = 0
    resolved: int = 0
    breaches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SLAS, 0))
    by_level: dict[str, int] = field(default_factory=dict)
    by_path: dict[str, int] = field(default_factory=dict)
    reopened: int = 0
    window_start: datetime | None = None
    window_end: datetime | None = None

    @property
    def escalations(self) -> int:
        return sum(self.by_level.values())

    @property
    def reopen_rate(self) -> float | None:
        """Reopened cases over cases; None with no cases, as a rate of nothing is unknown."""
        return self.reopened / self.cases if self.cases else None

    def to_json(self) -> dict[str, Any]:
        """The `metrics --json` document (docs/scripting.md)."""
        return {
            "cases": self.cases,
            "open": self.open,
            "mtta_s": rounded(self.mtta_s, 3),
            "mttr_s": rounded(self.mttr_s, 3),
            "breaches": dict(self.breaches),
            "escalations": {"by_level": dict(self.by_level), "by_path": dict(self.by_path)},
            "reopen_rate": rounded(self.reopen_rate, 4),
        }


def rounded(value: float | None, digits: int) -> float | int | None:
    """A mean for JSON: whole numbers as integers, the rest rounded off float noise."""
    if value is None:
        return None
    rounded = round(value, digits)
    return int(rounded) if rounded.is_integer() else rounded


@dataclass
class _Tally:
    """Running sums for one pass over the cases."""

    cases: int = 0
    open: int = 0
    ack_sum: float = 0.0
    ack_count: int = 0
    resolve_sum: float = 0.0
    resolve_count: int = 0
    reopened: int = 0
    breaches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SLAS, 0))
    by_level: dict[str, int] = field(default_factory=dict)
    by_path: dict[str, int] = field(default_factory=dict)

    def add(self, case: Mapping[str, Any]) -> None:
        self.cases += 1
        if case.get("status") in ACTIVE:
            self.open += 1
        if case.get("reopened"):
            self.reopened += 1
        for sla in case.get("breached") or ():
            if sla in self.breaches:
                self.breaches[sla] += 1
        self._add_times(case)
        self._add_escalations(case)

    def _add_times(self, case: Mapping[str, Any]) -> None:
        acknowledged, resolved = case.get("acknowledged_at"), case.get("resolved_at")
        if not (acknowledged or resolved):
            return  # most open cases: no timestamp parsed at all
        created = _instant(case, "created_at")
        if acknowledged:
            self.ack_sum += (_instant(case, "acknowledged_at") - created).total_seconds()
            self.ack_count += 1
        if resolved:
            # `reopen` clears resolved_at, so this is the latest resolution (or none yet).
            self.resolve_sum += (_instant(case, "resolved_at") - created).total_seconds()
            self.resolve_count += 1

    def _add_escalations(self, case: Mapping[str, Any]) -> None:
        entries = case.get("escalations") or ()
        if not entries:
            return
        # Entries do not record the path yet; the case's type is its path after its last path
        # switch, so it is exact for every case that never switched. Prefer `path` if recorded.
        case_type = case.get("type") or "default"
        by_level, by_path = self.by_level, self.by_path
        for entry in entries:
            level = entry.get("to")
            path = entry.get("path") or case_type
            by_level[level] = by_level.get(level, 0) + 1
            by_path[path] = by_path.get(path, 0) + 1

    def result(self, start: datetime | None, end: datetime | None) -> Metrics:
        return Metrics(
            cases=self.cases,
            open=self.open,
            mtta_s=self.ack_sum / self.ack_count if self.ack_count else None,
            mttr_s=self.resolve_sum / self.resolve_count if self.resolve_count else None,
            acknowledged=self.ack_count,
            resolved=self.resolve_count,
            breaches=dict(self.breaches),
            by_level=_sorted_counts(self.by_level),
            by_path=_sorted_counts(self.by_path),
            reopened=self.reopened,
            window_start=start,
            window_end=end,
        )


def _sorted_counts(counts: dict[str, int]) -> dict[str, int]:
    """Keys in natural order (L2 before L10), so the JSON and the chart are stable."""
    return dict(sorted(counts.items(), key=lambda item: natural_key(str(item[0]))))


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    parts = re.split(r"(\d+)", name)
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts if part)


def _instant(case: Mapping[str, Any], key: str) -> datetime:
    """A stored timestamp as an aware instant; naive values are UTC, as everywhere in the store."""
    value = case.get(key)
    try:
        # fromisoformat is C code and reads the stored `...Z` form directly (Python 3.11+).
        parsed = datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{case.get('id', '?')}: bad {key} {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def canonical(value: Any) -> str | None:
    """The stored form `YYYY-MM-DDTHH:MM:SSZ`, which orders correctly as a string."""
    if isinstance(value, str) and len(value) == 20 and value[10] == "T" and value[19] == "Z":
        return value
    try:
        return timing.to_iso(timing.from_iso(value))
    except ValueError:
        return None


def compute(
    cases: Iterable[Mapping[str, Any]], now: datetime, since: timedelta | None = None
) -> Metrics:
    """Metrics over `cases` (open and archived alike), in one pass.

    With `since`, only cases created in `[now - since, now]` count: both ends inclusive, so a
    case opened exactly `since` ago is in. Without it, every case counts, whenever it opened.
    The window is compared on the stored ISO strings, which sort like the instants they name.
    """
    tally = _Tally()
    if since is None:
        for case in cases:
            tally.add(case)
        return tally.result(None, None)
    start, end = now - since, now
    low, high = timing.to_iso(start), timing.to_iso(end)
    for case in cases:
        created = canonical(case.get("created_at"))
        if created is None:
            raise ValueError(f"{case.get('id', '?')}: bad created_at {case.get('created_at')!r}")
        if low <= created <= high:
            tally.add(case)
    return tally.result(start, end)


# --- stores that sum the figures themselves (PostgreSQL) ----------------------------------------


@dataclass(frozen=True)
class Figures:
    """What one case adds to the metrics, worked out once as the case is written, so that a
    store can sum many cases without reading them (see `for_store`).

    `breached`, `levels` and `paths` hold one item per count (a level reached twice is there
    twice); `created` is the canonical created_at the window compares, None when unusable."""

    created: str | None
    active: bool
    reopened: bool
    ack_s: float | None
    resolve_s: float | None
    breached: tuple[str, ...]
    levels: tuple[str, ...]
    paths: tuple[str, ...]


def figures(case: Mapping[str, Any]) -> Figures | None:
    """The case's figures, exactly as `compute` would add them; None when the case holds
    something only `compute` can report (a bad timestamp, a level that is not text)."""
    tally = _Tally()
    try:
        tally.add(case)
        created = canonical(case.get("created_at"))
    except Exception:  # compute reads the case again and says what is wrong with it
        return None
    keys = [*tally.by_level, *tally.by_path]
    if not all(isinstance(key, str) for key in keys):
        return None

    def spread(counts: dict[str, int]) -> tuple[str, ...]:
        return tuple(key for key, count in counts.items() for _ in range(count))

    return Figures(
        created=created,
        active=tally.open == 1,
        reopened=tally.reopened == 1,
        ack_s=tally.ack_sum if tally.ack_count else None,
        resolve_s=tally.resolve_sum if tally.resolve_count else None,
        breached=spread(tally.breaches),
        levels=spread(tally.by_level),
        paths=spread(tally.by_path),
    )


class Summing(Protocol):
    def metrics_sums(
        self, window: tuple[str, str] | None, team: str | None
    ) -> dict[str, Any] | None:
        """The sums of the `Figures` of the cases in scope: `cases`, `open`, `reopened`,
        `ack_sum`, `ack_count`, `resolve_sum`, `resolve_count`, and `breaches`, `by_level`,
        `by_path` as counts (keys first seen first, by case number). `window` is (low, high),
        canonical instants, both ends in; `team` as in teams.belongs. None when some case in
        scope has no exact figures: then the caller reads the cases."""
        ...


# Case number -> (the case, its SLAs past their deadline that it does not record yet): see
# `late_breaches`.
Late = Mapping[int, tuple[Mapping[str, Any], tuple[str, ...]]]


def late_breaches(store: Any, matrix: Matrix, team: str, now: datetime) -> Late:
    """The active cases of `team` (the matrix's) with an SLA past its deadline at `now` that
    they do not record yet, each with those SLAs. A breach is a fact about times, not about
    sweeps (timing rule 5): metrics count these as breached, as the next sweep will record
    them (engine.routing.breaches_due, business-hours calendars and holds included). Only
    this matrix can judge its cases, so other teams' cases count what they record. Read as a
    sweep reads: on PostgreSQL only the cases that may be due."""
    from escalate_cli.core.cases.teams import belongs
    from escalate_cli.core.engine.routing import breaches_due, problem
    from escalate_cli.core.engine.wake import matrix_key

    found = {}
    for case in store.sweep_cases(now, matrix_key(matrix), team).cases:
        # A case the engine cannot work out (a time edited by hand) counts what it records,
        # as a sweep skips it: metrics of the rest must not fail for it.
        if case.get("status") in ACTIVE and belongs(case, team) and not problem(matrix, case):
            slas = breaches_due(matrix, case, now)
            if slas:
                found[case["number"]] = (case, tuple(slas))
    return found


def with_late(cases: Iterable[Mapping[str, Any]], late: Late) -> Iterator[Mapping[str, Any]]:
    """The cases, those in `late` as if their breaches were recorded (once: a sweep may have
    recorded one between the two reads)."""
    for case in cases:
        found = late.get(case.get("number", 0))
        if found is None:
            yield case
        else:
            recorded = list(case.get("breached") or ())
            yield {**case, "breached": recorded + [s for s in found[1] if s not in recorded]}


def late_in(late: Late, window: tuple[str, str] | None) -> Iterator[tuple[Mapping[str, Any], str]]:
    """Each late case created in the window (both ends in, as `compute` counts), with each
    SLA it breached."""
    for case, slas in late.values():
        created = canonical(case.get("created_at"))
        if window is None or (created is not None and window[0] <= created <= window[1]):
            yield from ((case, sla) for sla in slas)


def add_breach(sums: dict[str, Any], sla: str) -> None:
    sums["breaches"][sla] = sums["breaches"].get(sla, 0) + 1


def for_store(
    store: Any,
    now: datetime,
    since: timedelta | None = None,
    team: str | None = None,
    late: Late | None = None,
) -> Metrics:
    """`compute` over a store's cases (open and archived) of `team` (None: every team's), the
    `late` ones as breached: summed by the store itself when it can (PostgreSQL, in SQL),
    else read and summed here. Both give the same numbers (tests/core/test_store_pg_metrics.py)."""
    from escalate_cli.core.cases.teams import belongs

    late = late or {}
    start, end = (now - since, now) if since is not None else (None, None)
    summing = getattr(store, "metrics_sums", None)
    if summing is not None:
        window = (timing.to_iso(now - since), timing.to_iso(now)) if since is not None else None
        sums = summing(window, team)
        if sums is not None:
            for _, sla in late_in(late, window):
                add_breach(sums, sla)
            return from_sums(sums, start, end)
    cases = store.cases(archived=True, history=False)
    return compute(with_late((case for case in cases if belongs(case, team)), late), now, since)


def breach_rates(result: Metrics) -> dict[str, float | None]:
    """Each SLA's breaches over the cases; None with no cases."""
    return {
        sla: count / result.cases if result.cases else None
        for sla, count in result.breaches.items()
    }


def from_sums(sums: dict[str, Any], start: datetime | None, end: datetime | None) -> Metrics:
    """The Metrics of a store's sums (see Summing)."""
    tally = _Tally(**sums)
    tally.breaches = dict.fromkeys(SLAS, 0) | {
        sla: count for sla, count in sums["breaches"].items() if sla in SLAS
    }
    return tally.result(start, end)
