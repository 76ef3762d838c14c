"""Tests for core.metrics on hand-built case dicts: means, nulls, breaches, escalations, windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core.documents.breakdown import breakdown
from escalate_cli.core.documents.metrics import compute
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.time.timing import to_iso

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SUPPORT = Path(__file__).resolve().parents[2] / "matrices" / "support.yaml"


def at(minutes: float) -> str:
    """A stored timestamp `minutes` after NOW (negative: before)."""
    return to_iso(NOW + timedelta(minutes=minutes))


def case(number: int = 1, created: float = -600, **fields: Any) -> dict[str, Any]:
    """A case as the store keeps it, with only what metrics reads filled in."""
    doc: dict[str, Any] = {
        "id": f"ESC-{number}",
        "type": "default",
        "status": "open",
        "created_at": at(created),
        "acknowledged_at": None,
        "resolved_at": None,
        "closed_at": None,
        "reopened": 0,
        "breached": [],
        "escalations": [],
    }
    doc.update(fields)
    return doc


def escalation(to: str, from_: str = "L1") -> dict[str, Any]:
    return {"at": at(0), "from": from_, "to": to, "reason": "r", "trigger": None, "by": None}


def test_no_cases_gives_zero_counts_and_nulls() -> None:
    result = compute([], NOW)
    assert result.to_json() == {
        "cases": 0,
        "open": 0,
        "mtta_s": None,
        "mttr_s": None,
        "breaches": {"ack": 0, "resolve": 0},
        "escalations": {"by_level": {}, "by_path": {}},
        "reopen_rate": None,
    }
    assert result.reopen_rate is None


def test_mtta_is_the_mean_over_acknowledged_cases_only() -> None:
    cases = [
        case(1, created=-100, acknowledged_at=at(-90)),  # 10 minutes
        case(2, created=-100, acknowledged_at=at(-80)),  # 20 minutes
        case(3, created=-100),  # never acknowledged: not in the mean
    ]
    result = compute(cases, NOW)
    assert result.mtta_s == 900
    assert result.acknowledged == 2
    assert result.mttr_s is None
    assert result.to_json()["mtta_s"] == 900


def test_mttr_counts_resolved_and_closed_cases_with_their_latest_resolution() -> None:
    cases = [
        case(1, created=-300, status="resolved", resolved_at=at(-240)),  # 1 hour
        # Resolved, then closed: still a resolution.
        case(2, created=-300, status="closed", resolved_at=at(-120), closed_at=at(-60)),  # 3h
        # Reopened and resolved again: the store keeps only the latest resolved_at.
        case(3, created=-300, status="resolved", resolved_at=at(0), reopened=1),  # 5 hours
        # Reopened and not yet resolved again: `reopen` cleared resolved_at, so it is left out.
        case(4, created=-300, status="open", reopened=2),
        # Closed without ever being resolved: no time to resolve.
        case(5, created=-300, status="closed", closed_at=at(-10)),
    ]
    result = compute(cases, NOW)
    assert result.mttr_s == (1 + 3 + 5) * 3600 / 3
    assert result.resolved == 3
    assert result.to_json()["mttr_s"] == 10800


def test_means_are_rounded_for_json_but_not_in_the_result() -> None:
    cases = [
        case(1, created=-10, acknowledged_at=to_iso(NOW - timedelta(minutes=10, seconds=-1))),
        case(2, created=-10, acknowledged_at=to_iso(NOW - timedelta(minutes=10, seconds=-1))),
        case(3, created=-10, acknowledged_at=to_iso(NOW - timedelta(minutes=10, seconds=-2))),
    ]
    result = compute(cases, NOW)
    assert result.mtta_s == pytest.approx(4 / 3)
    assert result.to_json()["mtta_s"] == 1.333


def test_open_counts_every_active_status() -> None:
    statuses = ["open", "acknowledged", "on_hold", "resolved", "closed"]
    result = compute([case(n, status=s) for n, s in enumerate(statuses, 1)], NOW)
    assert (result.cases, result.open) == (5, 3)


def test_breaches_are_counted_per_sla_over_the_cases() -> None:
    cases = [
        case(1, breached=["ack"]),
        case(2, breached=["ack", "resolve"]),
        case(3, breached=["resolve"], status="closed"),
        case(4),
    ]
    assert compute(cases, NOW).breaches == {"ack": 2, "resolve": 2}


def test_escalations_count_by_level_reached_and_by_path() -> None:
    cases = [
        case(1, escalations=[escalation("L2"), escalation("L3", "L2")]),
        case(2, type="security", escalations=[escalation("L4", "L2")]),
        # An external escalation stays at the top level it went out from: counted there.
        case(3, type="legal", escalations=[{**escalation("L4", "L4"), "external": ["reg"]}]),
        case(4, escalations=[escalation("L10", "L3")]),
    ]
    result = compute(cases, NOW)
    # Natural order: L10 after L4, not between L1 and L2.
    assert list(result.by_level.items()) == [("L2", 1), ("L3", 1), ("L4", 2), ("L10", 1)]
    assert result.by_path == {"default": 3, "legal": 1, "security": 1}
    assert result.escalations == 5


def test_an_escalation_that_records_its_path_is_counted_on_that_path() -> None:
    # A case that moved from default to legal: entries that carry `path` are exact.
    entries = [{**escalation("L2"), "path": "default"}, {**escalation("L3"), "path": "legal"}]
    result = compute([case(1, type="legal", escalations=entries)], NOW)
    assert result.by_path == {"default": 1, "legal": 1}


def test_reopen_rate_counts_each_reopened_case_once() -> None:
    cases = [case(1, reopened=3), case(2, reopened=1), case(3), case(4), case(5)]
    result = compute(cases, NOW)
    assert result.reopened == 2
    assert result.reopen_rate == 0.4
    assert result.to_json()["reopen_rate"] == 0.4
    assert compute([case(1), case(2), case(3)], NOW).to_json()["reopen_rate"] == 0


def test_since_window_is_inclusive_at_both_ends() -> None:
    week = timedelta(days=7)
    cases = [
        case(1, created=-7 * 24 * 60),  # exactly 7 days ago: in
        case(2, created=-7 * 24 * 60 - 1 / 60),  # one second earlier: out
        case(3, created=0),  # exactly now: in
        case(4, created=1 / 60),  # one second after now (a back-filled --now): out
        case(5, created=-60),
    ]
    result = compute(cases, NOW, week)
    assert result.cases == 3
    assert (result.window_start, result.window_end) == (NOW - week, NOW)
    # Without --since every case counts, even one stamped after now.
    assert compute(cases, NOW).cases == 5


def test_window_reads_timestamps_not_in_the_stored_form() -> None:
    cases = [
        case(1, created_at="2026-11-23T10:30:00+01:00"),  # 09:30Z: in
        case(2, created_at="2026-11-23T08:59:59.900000+00:00"),  # before 09:00Z: out
        case(3, created_at="2026-11-23T09:00:00"),  # naive, so UTC: in (boundary)
    ]
    assert compute(cases, NOW, timedelta(hours=1)).cases == 2


@pytest.mark.parametrize("bad", [None, "", "yesterday", 42])
def test_a_bad_created_at_names_the_case(bad: object) -> None:
    with pytest.raises(ValueError, match=r"ESC-7: bad created_at"):
        compute([case(7, created_at=bad)], NOW, timedelta(days=1))


def test_a_bad_acknowledged_at_names_the_case_and_the_field() -> None:
    with pytest.raises(ValueError, match=r"ESC-3: bad acknowledged_at 'soon'"):
        compute([case(3, acknowledged_at="soon")], NOW)


def test_cases_can_be_any_iterable_read_once() -> None:
    result = compute(iter([case(1, acknowledged_at=at(-590)), case(2)]), NOW, timedelta(days=1))
    assert (result.cases, result.mtta_s) == (2, 600)


# Properties ------------------------------------------------------------------------------------

SLA_SETS = st.lists(st.sampled_from(["ack", "resolve"]), unique=True)
OFFSETS = st.integers(min_value=-30 * 24 * 3600, max_value=0)
LATER = st.none() | st.integers(min_value=-3600, max_value=10 * 24 * 3600)


@st.composite
def generated_case(draw: st.DrawFn) -> dict[str, Any]:
    created = NOW + timedelta(seconds=draw(OFFSETS))
    ack, resolved = draw(LATER), draw(LATER)
    levels = draw(st.lists(st.sampled_from(["L1", "L2", "L3", "L10"]), max_size=4))
    return case(
        draw(st.integers(1, 10**6)),
        created_at=to_iso(created),
        status=draw(st.sampled_from(["open", "acknowledged", "on_hold", "resolved", "closed"])),
        type=draw(st.sampled_from(["default", "legal", "security"])),
        acknowledged_at=None if ack is None else to_iso(created + timedelta(seconds=ack)),
        resolved_at=None if resolved is None else to_iso(created + timedelta(seconds=resolved)),
        reopened=draw(st.integers(0, 3)),
        breached=draw(SLA_SETS),
        escalations=[escalation(level) for level in levels],
    )


def _spans(cases: list[dict[str, Any]], key: str) -> list[float]:
    """The samples a mean is over, worked out independently of core.metrics."""
    return [_instant(c, key).timestamp() - _instant(c).timestamp() for c in cases if c[key]]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(generated_case(), max_size=30),
    st.none() | st.integers(min_value=1, max_value=40 * 24 * 3600),
)
def test_any_cases_give_sane_counts_and_means_within_the_samples(
    cases: list[dict[str, Any]], since_s: int | None
) -> None:
    since = None if since_s is None else timedelta(seconds=since_s)
    result = compute(cases, NOW, since)
    kept = [c for c in cases if since is None or NOW - since <= _instant(c) <= NOW]
    assert result.cases == len(kept)
    assert 0 <= result.open <= result.cases
    assert 0 <= result.reopened <= result.cases
    assert all(0 <= count <= result.cases for count in result.breaches.values())
    assert all(count > 0 for count in [*result.by_level.values(), *result.by_path.values()])
    assert sum(result.by_level.values()) == sum(result.by_path.values())
    assert sum(result.by_level.values()) == sum(len(c["escalations"]) for c in kept)
    for mean, key in ((result.mtta_s, "acknowledged_at"), (result.mttr_s, "resolved_at")):
        samples = _spans(kept, key)
        if samples:
            assert mean is not None and min(samples) <= mean <= max(samples)
        else:
            assert mean is None
    rate = result.reopen_rate
    assert rate is None if not kept else rate is not None and 0 <= rate <= 1


def _instant(doc: dict[str, Any], key: str = "created_at") -> datetime:
    return datetime.fromisoformat(doc[key])


def test_severities_and_levels_break_down_in_the_matrix_order_the_rest_busiest_first() -> None:
    # support.yaml: sev1..sev4; levels L1, L2, L3, FIN, SEC, L4, ... (not in the names' order)
    matrix = load_matrix(SUPPORT)
    cases = [
        case(1, severity="sev4", level="L4", owner="tia"),
        case(2, severity="sev4", level="FIN", owner="sam"),
        case(3, severity="sev2", level="L3", owner="sam"),
        case(4, severity="gone", level="L1", owner="sam"),
        case(5, level="FIN", owner="ana"),
    ]

    def keys(kind: str, with_matrix: bool = True) -> list[str]:
        found = breakdown(cases, NOW, None, kind, matrix if with_matrix else None)
        return [key for key, _ in found.rows]

    assert keys("severity") == ["sev2", "sev4", "(none)", "gone"]
    assert keys("level") == ["L1", "L3", "FIN", "L4"]
    assert keys("owner") == ["sam", "ana", "tia"]  # busiest first, then by name
    assert keys("level", with_matrix=False) == ["FIN", "L1", "L3", "L4"]  # by name
