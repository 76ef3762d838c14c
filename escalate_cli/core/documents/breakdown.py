"""`metrics --by` and `metrics --period`: the metrics of each group of cases (a severity, an
owner, a customer, a path, a level) or each week or month, and `--csv` of them. Apart from the
metrics themselves (metrics.py), which it sums per group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from escalate_cli.core.documents.metrics import (
    Late,
    Metrics,
    add_breach,
    breach_rates,
    canonical,
    compute,
    from_sums,
    late_in,
    natural_key,
    rounded,
    with_late,
)
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.matrix.model import Level, Matrix, Severity

BY = ("severity", "owner", "customer", "path", "level")
PERIODS = ("week", "month")
NONE_LABEL = "(none)"


@dataclass(frozen=True)
class Breakdown:
    """Metrics per group (`--by`) or per period (`--period`), in order; a period's label is the
    local date it starts on."""

    kind: str  # one of BY or PERIODS
    rows: list[tuple[str, Metrics]]
    window_start: datetime | None = None
    window_end: datetime | None = None


def _group_key(case: Mapping[str, Any], by: str) -> str:
    if by == "customer":
        value = (case.get("customer") or {}).get("name")
    else:
        value = case.get({"path": "type"}.get(by, by))
    return value if isinstance(value, str) and value else NONE_LABEL


def _period_start(created: datetime, period: str) -> datetime:
    """The local midnight that starts the week (Monday) or month the instant falls in."""
    day = created.astimezone().date()
    day = day - timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)
    return datetime(day.year, day.month, day.day).astimezone()


def _next_period(start: datetime, period: str) -> datetime:
    if period == "week":
        following = start.date() + timedelta(days=7)
    else:
        following = (start.date().replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(following.year, following.month, following.day).astimezone()


def _ordered(
    rows: list[tuple[str, Metrics]], kind: str, matrix: Matrix | None
) -> list[tuple[str, Metrics]]:
    """Severities and levels in the matrix's order, as a lead reads them (most severe first;
    the bottom level first, as every path runs), then any the matrix does not name (`(none)`,
    a removed id) by name; without a matrix, all by name. Owners, customers and paths have no
    order of their own: busiest first, then by name. By name is natural: L2 before L10."""
    if kind in ("severity", "level"):
        named: Iterable[Level | Severity] = ()
        if matrix is not None:
            named = matrix.severities if kind == "severity" else matrix.levels
        rank = {item.id: index for index, item in enumerate(named)}
        return sorted(rows, key=lambda row: (rank.get(row[0], len(rank)), natural_key(row[0])))
    return sorted(rows, key=lambda row: (-row[1].cases, natural_key(row[0])))


def breakdown(
    cases: Iterable[Mapping[str, Any]],
    now: datetime,
    since: timedelta | None,
    kind: str,
    matrix: Matrix | None = None,
) -> Breakdown:
    """The cases in the window (as `compute` takes them) by `kind`: a group of BY, each with its
    metrics, in `_ordered`'s order; or a period of PERIODS, oldest first: a series from the
    period the window starts in (without one, the first case's) to the one holding `now`,
    none left out (a quiet week is a zero, not a gap)."""
    start, end = (now - since, now) if since is not None else (None, None)
    low = timing.to_iso(start) if start is not None else None
    high = timing.to_iso(end) if end is not None else None
    groups: dict[Any, list[Mapping[str, Any]]] = {}
    for case in cases:
        created = canonical(case.get("created_at"))
        if created is None:
            raise ValueError(f"{case.get('id', '?')}: bad created_at {case.get('created_at')!r}")
        if low is not None and high is not None and not low <= created <= high:
            continue
        key = (
            _group_key(case, kind) if kind in BY else _period_start(timing.from_iso(created), kind)
        )
        groups.setdefault(key, []).append(case)
    if kind in BY:
        rows = _ordered(
            [(key, compute(members, now)) for key, members in groups.items()], kind, matrix
        )
    else:
        rows = []
        bounds = [*groups, *([_period_start(start, kind)] if start is not None else [])]
        if bounds:
            # A case dated after `now` (a clock put back) still gets its period.
            period, last = min(bounds), max([*bounds, _period_start(now, kind)])
            while period <= last:
                label = period.date().isoformat()
                rows.append((label, compute(groups.get(period, []), now)))
                period = _next_period(period, kind)
    return Breakdown(kind, rows, start, end)


def breakdown_for_store(
    store: Any,
    now: datetime,
    since: timedelta | None,
    team: str | None,
    kind: str,
    matrix: Matrix | None = None,
    late: Late | None = None,
) -> Breakdown:
    """`breakdown` over a store's cases (open and archived) of `team`, in the order of
    `matrix` (see `_ordered`), the `late` ones as breached: summed in SQL by a store that can
    (PostgreSQL, for groups that are case columns), else read from the case summaries. Both
    give the same rows (tests/core/test_store_pg_metrics.py)."""
    from escalate_cli.core.cases.teams import belongs

    late = late or {}
    column = {"path": "type"}.get(kind, kind)
    grouping = getattr(store, "metrics_groups", None)
    if grouping is not None and kind in ("severity", "owner", "path", "level"):
        window = (timing.to_iso(now - since), timing.to_iso(now)) if since is not None else None
        groups = grouping(window, team, column)
        if groups is not None:
            start, end = (now - since, now) if since is not None else (None, None)
            for case, sla in late_in(late, window):
                group = groups.get(_group_key(case, kind))
                if group is not None:  # else a sweep moved the case and recorded it since
                    add_breach(group, sla)
            rows = [(key, from_sums(sums, start, end)) for key, sums in groups.items()]
            return Breakdown(kind, _ordered(rows, kind, matrix), start, end)
    cases = store.cases(archived=True, history=False)
    mine = with_late((case for case in cases if belongs(case, team)), late)
    return breakdown(mine, now, since, kind, matrix)


CSV_COLUMNS = (
    "cases",
    "open",
    "mtta_s",
    "mttr_s",
    "ack_breaches",
    "resolve_breaches",
    "ack_breach_pct",
    "resolve_breach_pct",
    "escalations",
    "reopen_pct",
)


def csv_table(key: str, rows: Iterable[tuple[str, Metrics]]) -> list[list[Any]]:
    """`metrics --csv`: a header (`key`, then CSV_COLUMNS), then one line per row. A row's
    name is case text (a customer, an owner): made visible and kept from reading as a formula
    (text.visible.spreadsheet_text); the numbers stay numbers."""
    from escalate_cli.core.text.visible import spreadsheet_text

    return [
        [key, *CSV_COLUMNS],
        *([spreadsheet_text(name), *csv_row(result)] for name, result in rows),
    ]


def csv_row(result: Metrics) -> list[Any]:
    """The CSV_COLUMNS of one result; an unknown mean or rate is an empty cell. Rates are in
    percent (`14.29`), as a spreadsheet's reader reads them; `--json` keeps them from 0 to 1."""
    rates = breach_rates(result)

    def cell(value: float | None, digits: int) -> Any:
        return "" if value is None else rounded(value, digits)

    def pct(rate: float | None) -> Any:
        return cell(None if rate is None else rate * 100, 2)

    return [
        result.cases,
        result.open,
        cell(result.mtta_s, 3),
        cell(result.mttr_s, 3),
        result.breaches.get("ack", 0),
        result.breaches.get("resolve", 0),
        pct(rates.get("ack")),
        pct(rates.get("resolve")),
        result.escalations,
        pct(result.reopen_rate),
    ]
