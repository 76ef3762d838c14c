"""`escalate show` for people, on the worked case of the document tests, against a golden file."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_documents import AFTER_BRIEF, at, check_golden, portable, run_all, worked
from tests.conftest import Cli

__all__ = ["worked"]  # the fixture, shared with the brief and report golden tests


def test_show_of_the_worked_case_matches_the_golden_file(worked: Cli, tmp_path: Path) -> None:
    run_all(worked, AFTER_BRIEF)
    out = worked("show", "ESC-1", "--now", at("13:00")).stdout
    check_golden("show-ESC-1.txt", portable(out, tmp_path))
    assert out.startswith("ESC-1  Checkout fails for EU customers\n")
    for number, step in enumerate(
        ("acknowledge", "gather", "assess", "convene", "brainstorm", "implement", "learn"), 1
    ):
        assert f"[x]  {number} {step}" in out
