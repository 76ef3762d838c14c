"""`escalate matrix diff`: changes by id, the open cases of the team whose next escalation
moves (read from the store, so on both stores), git revisions, and its exit codes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli

SUPPORT = str(ROOT / "matrices" / "support.yaml")

OLD = """\
version: 1
name: Diff team
timezone: UTC
contacts:
  - id: ann
    email: ann@example.com
  - id: bob
    email: bob@example.com
    hours: "Mon-Fri 09:00-17:00"
levels:
  - id: L1
    contacts: [ann]
    ack: 1h
  - id: L2
    contacts: [bob]
paths:
  default: [L1, L2]
"""
NEW = OLD.replace("    ack: 1h\n", "    ack: 30m\n").replace("09:00-17:00", "08:00-17:00")


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def sides(tmp_path: Path) -> tuple[str, str]:
    return write(tmp_path, "old.yaml", OLD), write(tmp_path, "new.yaml", NEW)


def test_changes_then_the_cases_side_by_side(cli: Cli, sides: tuple[str, str]) -> None:
    old, new = sides
    cli("--matrix", old, "open", "Printer on fire")
    cli("--matrix", old, "open", "Password reset")
    cli("--matrix", old, "resolve", "2", "--summary", "reset")
    cli("open", "Not this team")  # the basic matrix's case: another team
    result = cli("--matrix", old, "matrix", "diff", old, new)
    assert result.stdout.splitlines() == [
        f"--- {old}",
        f"+++ {new}",
        "hours bob: changed",
        "  hours: Mon-Fri 09:00-17:00 -> Mon-Fri 08:00-17:00",
        "level L1: changed",
        "  ack: 1h -> 30m",
        "",
        "Open cases whose next escalation changes (1)",
        "case             old                                           new",
        "ESC-1  level     L2                                            L2",
        "       contacts  bob                                           bob",
        "       due_at    2026-11-23 11:00 UTC                          2026-11-23 10:30 UTC",
        "       reason    not acknowledged at L1 within 1h (level ack)  not acknowledged at L1"
        " within 30m (level ack)",
    ]
    assert result.stderr == "2 changes; 1 open case answers next differently\n"


def test_json(cli: Cli, sides: tuple[str, str]) -> None:
    old, new = sides
    cli("--matrix", old, "open", "Printer on fire")
    found = cli.json("--matrix", old, "matrix", "diff", old, new)
    assert found["changes"] == [
        {
            "kind": "hours",
            "id": "bob",
            "what": "changed; hours: Mon-Fri 09:00-17:00 -> Mon-Fri 08:00-17:00",
            "change": "changed",
            "fields": {"hours": ["Mon-Fri 09:00-17:00", "Mon-Fri 08:00-17:00"]},
        },
        {
            "kind": "level",
            "id": "L1",
            "what": "changed; ack: 1h -> 30m",
            "change": "changed",
            "fields": {"ack": ["1h", "30m"]},
        },
    ]
    (case,) = found["cases"]
    assert case["case"] == "ESC-1"
    assert case["old"]["due_at"] == "2026-11-23T11:00:00Z"
    assert case["new"] == {
        "level": "L2",
        "contacts": ["bob"],
        "due_at": "2026-11-23T10:30:00Z",
        "reason": "not acknowledged at L1 within 30m (level ack)",
    }


def test_no_difference_is_exit_0_and_says_so(cli: Cli) -> None:
    result = cli("matrix", "diff", SUPPORT, SUPPORT)
    assert result.stdout.splitlines()[2:] == ["no changes"]
    assert result.stderr == "0 changes; no open case answers next differently\n"
    assert cli.json("matrix", "diff", SUPPORT, SUPPORT) == {"changes": [], "cases": []}


def test_an_invalid_side_is_exit_4_with_every_problem(cli: Cli, tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", OLD)
    bad = write(tmp_path, "bad.yaml", OLD.replace("[bob]", "[bobby]").replace("1h", "1x"))
    lines = cli("matrix", "diff", old, bad, code=4).stderr.splitlines()
    assert lines == [
        f'{bad}:13: levels[0].ack: bad duration "1x" (use 90s, 15m, 4h, 2d, 1w, 1h30m)',
        f'{bad}:15: levels[1].contacts[0]: unknown contact "bobby" (known: ann, bob)',
    ]
    assert "file not found" in cli("matrix", "diff", "gone.yaml", old, code=4).stderr


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_revisions_and_git_errors(cli: Cli, tmp_path: Path) -> None:
    # The autouse fixture runs each test in tmp_path: a fresh work tree.
    git(tmp_path, "init", "-q")
    write(tmp_path, "escalation.yaml", OLD)
    git(tmp_path, "add", "escalation.yaml")
    git(tmp_path, "commit", "-qm", "first")
    write(tmp_path, "escalation.yaml", NEW)
    cli("--matrix", "escalation.yaml", "open", "Printer on fire")
    found = cli.json("--matrix", "escalation.yaml", "matrix", "diff", "HEAD", "escalation.yaml")
    assert [(c["kind"], c["id"]) for c in found["changes"]] == [("hours", "bob"), ("level", "L1")]
    assert [case["case"] for case in found["cases"]] == ["ESC-1"]
    shown = cli("matrix", "diff", "HEAD:escalation.yaml", "escalation.yaml").stdout
    assert shown.splitlines()[:2] == ["--- HEAD:escalation.yaml", "+++ escalation.yaml"]
    error = cli("matrix", "diff", "HEAD:nope.yaml", "escalation.yaml", code=2).stderr
    assert error.count("\n") == 1
    assert "git show HEAD:nope.yaml" in error
    assert "nope.yaml' does not exist in 'HEAD'" in error
    error = cli("matrix", "diff", "HEAD~4", "escalation.yaml", code=4).stderr
    assert error == "HEAD~4: file not found, nor a revision of this git work tree\n"
