"""Build realistic case stores for the benchmarks: cases of ~1.5 KB with ~10 timeline events."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from escalate_cli.core.cases import lifecycle
from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.engine.wake import matrix_key, wake
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.time import timing

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "matrices" / "support.yaml"
NOW = timing.parse_instant("2026-11-23T12:00:00Z")


def _case(
    matrix: Matrix, number: int, opened: datetime, rng: random.Random, severities: list[str]
) -> dict[str, Any]:
    request = OpenRequest(
        f"Customer {number}: checkout fails after step {rng.randint(1, 9)}",
        severity=rng.choice(severities),
        customer=f"Customer {number}",
        tier=rng.choice(["standard", "gold", "vip"]),
        description="Payments time out at the last step; the customer retried twice.",
    )
    case = new_case(matrix, number, request, opened)
    for minute in range(1, 6):
        at = opened + timedelta(minutes=minute)
        lifecycle.update(
            matrix, case, at, f"still investigating, attempt {minute}", "internal", None
        )
    return case


class _Templates:
    """A few real cases, cloned with new numbers: building 100,000 cases one by one through
    the engine would take minutes and measure nothing the benchmark is about."""

    def __init__(self, matrix: Matrix, opened: datetime, kind: str, rng: random.Random) -> None:
        self.texts = []
        # support.yaml gives sev4 no level ack at L1, so only sev3 cases are due 3 hours in.
        severities = ["sev3"] if kind == "open" else ["sev3", "sev4"]
        for sample in range(8):
            case = _case(matrix, 900_000 + sample, opened, rng, severities)
            if kind in ("acknowledged", "closed"):
                lifecycle.acknowledge(matrix, case, opened + timedelta(minutes=6), "sam", None)
            if kind == "closed":
                lifecycle.resolve(matrix, case, opened + timedelta(minutes=30), "fixed", "sam")
                lifecycle.close(matrix, case, opened + timedelta(minutes=31), "sam")
            self.texts.append(json.dumps(case))

    def make(self, number: int, prefix: str) -> dict[str, Any]:
        case: dict[str, Any] = json.loads(self.texts[number % len(self.texts)])
        case["number"], case["id"] = number, f"{prefix}-{number}"
        case["title"] = f"Customer {number}: checkout fails"
        return case


def build(path: Path, *, open_cases: int, due: int = 0, archived: int = 0, seed: int = 7) -> Path:
    """A store at `path`: `open_cases` active cases, of which `due` have a timer due at NOW
    and the rest are acknowledged and quiet, plus `archived` closed cases in the archive."""
    matrix = load_matrix(MATRIX)
    rng = random.Random(seed)
    kinds = {
        "due": _Templates(matrix, NOW - timedelta(hours=3), "open", rng),
        "quiet": _Templates(matrix, NOW - timedelta(minutes=10), "acknowledged", rng),
        "closed": _Templates(matrix, NOW - timedelta(days=20), "closed", rng),
    }
    store = CaseStore(path)
    key = matrix_key(matrix)
    with store.transaction() as tx:
        for index in range(archived + open_cases):
            number = tx.next_number()
            position = index - archived  # negative while filling the archive
            kind = "closed" if position < 0 else "due" if position < due else "quiet"
            case = kinds[kind].make(number, matrix.case_prefix)
            tx.put(case, wake(matrix, case, key))  # as every command that writes a case does
    return path
