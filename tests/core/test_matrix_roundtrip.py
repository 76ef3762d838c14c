"""Round trip: each bundled matrix exported to PagerDuty JSON, imported back, simulated again.

A policy carries one set of delays and one start level, so each severity is exported on its own
(`--severity`) and the import simulated with no severity. Every timeline must be equal: a delay
is shortened where an SLA deadline comes first, and a level on two paths with different delays
comes back with a trigger for the shorter one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate_cli.core.cases.document import OpenRequest
from escalate_cli.core.cases.planning import simulate
from escalate_cli.core.io.export_pagerduty import to_pagerduty
from escalate_cli.core.io.import_pagerduty import from_pagerduty
from escalate_cli.core.matrix.loader import load_matrix, load_matrix_text
from escalate_cli.core.matrix.model import Matrix

BUNDLED = Path(__file__).resolve().parents[2] / "escalate_cli" / "matrices"
# A Monday morning in every matrix's zone: everyone inside their hours. Hours and
# skip_unavailable do not carry over (see test_hours_do_not_carry_over for the night).
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


Moves = list[tuple[str, str, str]]


def moves(matrix: Matrix, severity: str | None, path: str, now: datetime = MONDAY) -> Moves:
    """Each change of level: when, where to, and why (notices at the same level are left out)."""
    found: Moves = []
    for entry in simulate(matrix, OpenRequest("t", severity=severity, type=path), now):
        if not found or found[-1][1] != entry["level"]:
            found.append((entry["at"], entry["level"], entry["reason"]))
    return found


def round_trip(matrix: Matrix, severity: str | None) -> Matrix:
    exported = to_pagerduty(matrix, severity)
    imported = from_pagerduty(json.dumps(exported.document), "export.json")
    return load_matrix_text(imported.yaml_text, "imported.yaml")


def cases() -> list[tuple[str, str, str]]:
    found = []
    for file in sorted(BUNDLED.glob("*.yaml")):
        matrix = load_matrix(file)
        for severity in matrix.severities:
            found += [(file.stem, severity.id, path) for path in matrix.all_paths]
    return found


@pytest.mark.parametrize(("name", "severity", "path"), cases())
def test_the_round_trip_keeps_each_timeline(name: str, severity: str, path: str) -> None:
    original = load_matrix(BUNDLED / f"{name}.yaml")
    before = moves(original, severity, path)
    after = [(at, level) for at, level, _ in moves(round_trip(original, severity), None, path)]
    assert after == [(at, level) for at, level, _ in before]


def test_every_bundled_matrix_and_severity_is_covered() -> None:
    covered = {(name, severity) for name, severity, _ in cases()}
    assert {name for name, _ in covered} == {"support", "incident", "project"}
    assert len(covered) == 4 + 4 + 3


def test_hours_do_not_carry_over() -> None:
    """Sunday night in London: sam and tia are out of hours, so the original skips L2
    (skip_unavailable); the import, with no hours, stays at L2. The export says so."""
    original = load_matrix(BUNDLED / "support.yaml")
    sunday_night = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    before = moves(original, "sev3", "default", sunday_night)
    after = moves(round_trip(original, "sev3"), None, "default", sunday_night)
    assert [level for _, level, _ in before][:2] == ["L1", "L3"]
    assert [level for _, level, _ in after][:2] == ["L1", "L2"]
    warnings = to_pagerduty(original, "sev3").warnings
    assert "contact sam: hours have no equivalent (always reachable there)" in warnings
    assert any(line.startswith("skip_unavailable:") for line in warnings)
