"""`core.matrix_diff` and `Session.matrix_diff`: changes by id, the open cases whose `next`
answer moves, and matrices read from git revisions."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate_cli import Session
from escalate_cli.core.errors import MatrixError, UsageError
from escalate_cli.core.matrix.loader import load_matrix, load_matrix_text
from escalate_cli.core.matrix.matrix_diff import Change, changes
from escalate_cli.core.matrix.model import Matrix

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "matrices" / "support.yaml"
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

BASE = textwrap.dedent(
    """\
    version: 1
    name: Diff team
    timezone: UTC
    contacts:
      - id: ann
        email: ann@example.com
        hours: "Mon-Fri 09:00-17:00"
      - id: bob
        email: bob@example.com
    levels:
      - id: L1
        contacts: [ann]
        ack: 1h
      - id: L2
        contacts: [bob]
    paths:
      default: [L1, L2]
    severities:
      - {id: sev1, ack: 15m, resolve: 4h}
      - {id: sev2, ack: 1h, resolve: 1d}
    default_severity: sev2
    triggers:
      - id: legal
        when: {keywords: [lawsuit]}
        then: escalate
    """
)


def parsed(text: str) -> Matrix:
    return load_matrix_text(text, "test.yaml")


def diff(new_text: str) -> list[Change]:
    return changes(parsed(BASE), parsed(new_text))


def test_the_same_matrix_has_no_changes() -> None:
    assert diff(BASE) == []
    assert changes(load_matrix(SUPPORT), load_matrix(SUPPORT)) == []


def test_a_contact_field_and_its_hours_are_told_apart() -> None:
    new = BASE.replace("ann@example.com", "ann@new.example").replace("09:00-17:00", "08:00-17:00")
    assert [change.to_json() for change in diff(new)] == [
        {
            "kind": "contact",
            "id": "ann",
            "what": "changed; email: ann@example.com -> ann@new.example",
            "change": "changed",
            "fields": {"email": ["ann@example.com", "ann@new.example"]},
        },
        {
            "kind": "hours",
            "id": "ann",
            "what": "changed; hours: Mon-Fri 09:00-17:00 -> Mon-Fri 08:00-17:00",
            "change": "changed",
            "fields": {"hours": ["Mon-Fri 09:00-17:00", "Mon-Fri 08:00-17:00"]},
        },
    ]


def test_leave_is_an_hours_change() -> None:
    new = BASE.replace(
        "    email: bob@example.com\n",
        "    email: bob@example.com\n    away: [{from: 2026-12-24, until: 2026-12-26}]\n",
    )
    (change,) = diff(new)
    assert (change.kind, change.id, change.change) == ("hours", "bob", "changed")
    assert change.fields == {
        "away": ([], [{"from": "2026-12-24", "until": "2026-12-26", "delegate": None}])
    }


def test_added_and_removed_items_by_id() -> None:
    new = (
        BASE.replace("  - id: L2\n    contacts: [bob]\n", "  - id: L3\n    contacts: [bob]\n")
        .replace("[L1, L2]", "[L1, L3]")
        .replace("  - {id: sev2, ack: 1h, resolve: 1d}\n", "")
        .replace("default_severity: sev2", "default_severity: sev1")
    )
    found = {(change.kind, change.id, change.change) for change in diff(new)}
    assert found == {
        ("level", "L2", "removed"),
        ("level", "L3", "added"),
        ("severity", "sev2", "removed"),
        ("path", "default", "changed"),
        ("setting", "default_severity", "changed"),
    }


def test_nested_fields_are_named_by_their_key_path() -> None:
    new = BASE.replace("keywords: [lawsuit]", "keywords: [lawsuit, lawyer]").replace(
        "    ack: 1h\n", "    ack: {sev1: 5m, default: 1h}\n"
    )
    found = {change.id: change.fields for change in diff(new)}
    assert found == {
        "legal": {"when.keywords": (["lawsuit"], ["lawsuit", "lawyer"])},
        "L1": {"ack": ("1h", {"sev1": "5m", "default": "1h"})},
    }


def test_a_new_level_order_is_a_setting_change() -> None:
    swapped = BASE.replace(
        "  - {id: sev1, ack: 15m, resolve: 4h}\n  - {id: sev2, ack: 1h, resolve: 1d}\n",
        "  - {id: sev2, ack: 1h, resolve: 1d}\n  - {id: sev1, ack: 15m, resolve: 4h}\n",
    )
    (change,) = diff(swapped)
    assert change.to_json() == {
        "kind": "setting",
        "id": "severities",
        "what": "changed; order: sev1, sev2 -> sev2, sev1",
        "change": "changed",
        "fields": {"order": [["sev1", "sev2"], ["sev2", "sev1"]]},
    }


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_open_cases_whose_next_answer_changes(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", BASE)
    new = write(tmp_path, "new.yaml", BASE.replace("    ack: 1h\n", "    ack: 30m\n"))
    store = tmp_path / "cases.json"
    with Session(store, old, now=NOW) as session:
        moved = session.open("Printer on fire").case["id"]
        done = session.open("Password reset").case["id"]
        session.resolve(done, "reset")
    with Session(store, old, now=NOW) as session:
        found = session.matrix_diff(str(old), str(new))
    assert [change.kind for change in found.changes] == ["level"]
    assert [case.to_json() for case in found.cases] == [
        {
            "case": moved,
            "old": {
                "level": "L2",
                "contacts": ["bob"],
                "due_at": "2026-11-30T11:00:00Z",
                "reason": "not acknowledged at L1 within 1h (level ack)",
            },
            "new": {
                "level": "L2",
                "contacts": ["bob"],
                "due_at": "2026-11-30T10:30:00Z",
                "reason": "not acknowledged at L1 within 30m (level ack)",
            },
        }
    ]


def test_a_case_at_a_removed_level_says_why_instead_of_failing(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", BASE)
    new = write(
        tmp_path,
        "new.yaml",
        BASE.replace("  - id: L1\n    contacts: [ann]\n    ack: 1h\n", "").replace(
            "[L1, L2]", "[L2]"
        ),
    )
    store = tmp_path / "cases.json"
    with Session(store, old, now=NOW) as session:
        session.open("Printer on fire")
        (case,) = session.matrix_diff(str(old), str(new)).cases
    assert case.old["level"] == "L2"
    assert case.new["level"] is None
    assert "L1" in case.new["reason"]


def test_an_invalid_side_raises_every_problem(tmp_path: Path) -> None:
    old = write(tmp_path, "old.yaml", BASE)
    new = write(
        tmp_path, "new.yaml", BASE.replace("[ann]", "[anne]").replace("ack: 1h\n", "ack: 1x\n")
    )
    with (
        Session(tmp_path / "cases.json", old, now=NOW) as session,
        pytest.raises(MatrixError) as raised,
    ):
        session.matrix_diff(str(old), str(new))
    assert len(raised.value.problems) == 2


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    write(tmp_path, "escalation.yaml", BASE)
    git(tmp_path, "add", "escalation.yaml")
    git(tmp_path, "commit", "-qm", "first")
    write(tmp_path, "escalation.yaml", BASE.replace("bob@example.com", "bob@new.example"))
    with Session(tmp_path / "cases.json", "escalation.yaml", now=NOW) as session:
        bare = session.matrix_diff("HEAD", "escalation.yaml")
        named = session.matrix_diff("HEAD:escalation.yaml", "escalation.yaml")
        both = session.matrix_diff("HEAD", "HEAD")
        with pytest.raises(UsageError, match="does not exist in 'HEAD'"):
            session.matrix_diff("HEAD:nope.yaml", "escalation.yaml")
        with pytest.raises(MatrixError, match="nor a revision"):
            session.matrix_diff("HEAD~3", "escalation.yaml")
        with pytest.raises(UsageError, match="not an option"):
            session.matrix_diff("--output=x", "escalation.yaml")
    assert bare.old == "HEAD:./escalation.yaml"
    assert named.old == "HEAD:escalation.yaml"
    assert [(c.kind, c.id) for c in bare.changes] == [("contact", "bob")]
    assert named.changes == bare.changes
    assert both.changes == []


@pytest.mark.parametrize("path", sorted((ROOT / "matrices").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_bundled_matrix_differs_from_the_others_and_not_from_itself(path: Path) -> None:
    loaded = load_matrix(path)
    assert changes(loaded, loaded) == []
    others = [load_matrix(other) for other in (ROOT / "matrices").glob("*.yaml") if other != path]
    for other in others:
        found = changes(loaded, other)
        assert ("setting", "name") in [(change.kind, change.id) for change in found]
