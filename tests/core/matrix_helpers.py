"""Shared by the core.matrix tests: a small valid matrix and a way to list what is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from escalate_cli.core.errors import MatrixError
from escalate_cli.core.matrix.loader import load_matrix_text

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DURATION_HELP = "(use 90s, 15m, 4h, 2d, 1w, 1h30m)"

# Line numbers in the tests count from here: `contacts:` is line 2, L2's `after` line 11.
BASE = """\
version: 1
contacts:
  - id: dana
  - id: sam
  - id: tia
levels:
  - id: L1
    contacts: [dana]
  - id: L2
    contacts: [sam, tia]
    after: 4h
"""


def problems(text: str) -> list[str]:
    """The problems `load_matrix_text` reports for `text`, as the CLI prints them."""
    with pytest.raises(MatrixError) as caught:
        load_matrix_text(textwrap.dedent(text), "m.yaml")
    assert caught.value.problems, "a MatrixError always carries its problems"
    return [str(problem) for problem in caught.value.problems]


def with_base(extra: str) -> str:
    return BASE + textwrap.dedent(extra)
