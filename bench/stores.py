"""Build realistic case stores for the benchmarks: cases with ~10 timeline events each."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from escalate_cli.core import lifecycle, timing
from escalate_cli.core.cases import OpenRequest, new_case
from escalate_cli.core.matrix import load_matrix
from escalate_cli.core.store import CaseStore

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "matrices" / "support.yaml"
NOW = timing.parse_instant("2026-11-23T12:00:00Z")
SEVERITIES = ["sev1", "sev2", "sev3", "sev4"]


def _case(matrix, number: int, opened: datetime, rng: random.Random) -> dict:
    request = OpenRequest(
        f"Customer {number}: checkout fails after step {rng.randint(1, 9)}",
        severity=rng.choice(SEVERITIES[2:]),
        customer=f"Customer {number}",
        tier=rng.choice(["standard", "gold", "vip"]),
        description="Payments time out at the last step; the customer retried twice. " * 3,
    )
    case = new_case(matrix, number, request, opened)
    for minute in range(1, 8):
        at = opened + timedelta(minutes=minute)
        lifecycle.update(
            matrix, case, at, f"still investigating, attempt {minute}", "internal", None
        )
    return case


def build(path: Path, *, open_cases: int, due: int = 0, archived: int = 0, seed: int = 7) -> Path:
    """A store at `path`: `open_cases` active cases of which `due` have a timer due at NOW,
    plus `archived` closed cases in the archive."""
    matrix = load_matrix(MATRIX)
    rng = random.Random(seed)
    store = CaseStore(path)
    with store.transaction() as tx:
        for index in range(open_cases + archived):
            number = tx.next_number()
            if index < due:
                opened = NOW - timedelta(hours=3)  # past L1's ack and after timers
                case = _case(matrix, number, opened, rng)
            else:
                opened = NOW - timedelta(minutes=rng.randint(8, 10))
                case = _case(matrix, number, opened, rng)
                lifecycle.acknowledge(matrix, case, opened + timedelta(minutes=8), None, None)
            if index >= open_cases:
                lifecycle.resolve(matrix, case, opened + timedelta(minutes=9), "fixed", None)
                lifecycle.close(matrix, case, opened + timedelta(minutes=9), None)
            tx.put(case)
    return path
