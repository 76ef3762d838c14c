"""`escalate demo`: the main job runs end to end in a throw-away store."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import Cli


def test_demo_walks_a_case_through_all_seven_steps(cli: Cli, tmp_path: Path) -> None:
    result = cli("demo")
    out = result.stdout
    for command in ("open", "acknowledge", "gather", "assess", "convene", "brainstorm"):
        assert f"$ escalate {command} " in out
    for command in ("implement", "update", "sweep", "resolve", "learn", "show"):
        assert f"$ escalate {command}" in out
    assert "ESC-1 opened at L1 (Frontline support)" in out
    assert "escalated L1 -> L2: severity changed to sev1" in out
    assert out.count("Next:") >= 10
    assert "[x]  7 learn" in out
    # The demo never touches the user's store.
    assert not (tmp_path / "store").exists()


def test_demo_keep_leaves_the_store_for_a_look(cli: Cli) -> None:
    result = cli("demo", "--keep")
    kept = Path(result.stderr.strip().rsplit(" ", 1)[-1])
    assert kept.name == "cases.json" and kept.exists()
    shutil.rmtree(kept.parent)
