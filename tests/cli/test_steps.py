"""The seven steps through the CLI: what each records, its timeline event, its refusals."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from tests import stores
from tests.conftest import Cli


def opened(cli: Cli, *args: str) -> str:
    return cli("open", "Checkout fails for EU customers", "-q", *args).stdout.strip()


def steps(case: dict) -> list[str]:
    return [e["data"]["step"] for e in case["timeline"] if e["kind"] == "step"]


def test_acknowledge_records_who_and_when(cli: Cli) -> None:
    case_id = opened(cli)
    case = cli.json("acknowledge", case_id, "--by", "frontline", "--note", "on it")
    assert case["status"] == "acknowledged"
    assert case["steps"]["acknowledge"] == {
        "by": "frontline",
        "at": "2026-11-23T10:00:00Z",
        "note": "on it",
    }
    assert case["timeline"][-1]["kind"] == "acknowledged"


def test_gather_appends_facts_whys_and_attachments(cli: Cli, tmp_path: Path) -> None:
    case_id = opened(cli)
    log = tmp_path / "trace.log"
    log.write_text("504 Gateway Timeout\n")
    cli("gather", case_id, "--fact", "HTTP 504 from /pay", "--fact", "Since 08:40", "--by", "sam")
    case = cli.json("gather", case_id, "--why", "The gateway times out", "--attach", str(log))
    gathered = case["steps"]["gather"]
    assert [f["text"] for f in gathered["facts"]] == ["HTTP 504 from /pay", "Since 08:40"]
    assert gathered["facts"][0]["by"] == "sam"
    assert [w["text"] for w in gathered["whys"]] == ["The gateway times out"]
    attachment = gathered["attachments"][0]
    assert attachment["name"] == "trace.log" and attachment["size"] == 20
    assert attachment["sha256"] == hashlib.sha256(b"504 Gateway Timeout\n").hexdigest()
    assert attachment["path"] == str(log.resolve())
    assert steps(case) == ["gather", "gather"]


def test_show_notices_a_changed_or_missing_attachment(cli: Cli, tmp_path: Path) -> None:
    case_id = opened(cli)
    edited, removed = tmp_path / "a.log", tmp_path / "b.log"
    edited.write_text("one")
    removed.write_text("two")
    cli("gather", case_id, "--attach", str(edited), "--attach", str(removed))

    def state_of(name: str) -> str:
        out = cli("show", case_id).stdout
        row = next(line for line in out.splitlines() if line.split()[:1] == [name])
        return row.split()[2]

    assert (state_of("a.log"), state_of("b.log")) == ("ok", "ok")
    edited.write_text("one, edited")
    removed.unlink()
    assert (state_of("a.log"), state_of("b.log")) == ("changed", "missing")


def hashing_spy(monkeypatch: pytest.MonkeyPatch, lock: Path) -> list[bool]:
    """Spy on attachment hashing: one entry per file hashed, True when the store was free at
    that moment: its lock file (flock is per open file, so this process's own lock competes
    too), or on PostgreSQL no transaction open in the database."""
    from escalate_cli.core.cases import attachments

    free: list[bool] = []
    real = attachments.sha256_of

    def spy(*args: Any) -> str:
        if stores.on_postgres():
            free.append(stores.open_transactions() == 0)
            return real(*args)
        lock.parent.mkdir(exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            free.append(True)
        except BlockingIOError:
            free.append(False)
        finally:
            os.close(fd)
        return real(*args)

    monkeypatch.setattr(attachments, "sha256_of", spy)
    return free


def test_gather_hashes_attachments_before_taking_the_store_lock(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large file took seconds to hash and held the lock all that time (report B10)."""
    case_id = opened(cli)
    log = tmp_path / "trace.log"
    log.write_text("504 Gateway Timeout\n")
    free = hashing_spy(monkeypatch, tmp_path / "store" / "cases.json.lock")
    case = cli.json("gather", case_id, "--attach", str(log), "--attach", str(log))
    assert free == [True, True]
    assert [a["sha256"] for a in case["steps"]["gather"]["attachments"]] == [
        hashlib.sha256(b"504 Gateway Timeout\n").hexdigest()
    ] * 2


def test_show_hashes_an_attachment_again_only_when_it_changed(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every show hashed every attachment again: 6.5 s for a 4 GB file (report B10)."""
    case_id = opened(cli)
    log = tmp_path / "trace.log"
    log.write_text("504 Gateway Timeout\n")
    cli("gather", case_id, "--attach", str(log))
    hashed = hashing_spy(monkeypatch, tmp_path / "store" / "cases.json.lock")
    assert "ok" in cli("show", case_id).stdout
    assert hashed == []  # same size, same modification time: not read
    stat = log.stat()
    os.utime(log, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # touched, not changed
    assert " ok " in cli("show", case_id).stdout
    assert len(hashed) == 1
    log.write_text("504 Gateway Timeouts")  # same size, new bytes
    assert " changed " in cli("show", case_id).stdout
    assert len(hashed) == 2


def test_gather_refusals(cli: Cli, tmp_path: Path) -> None:
    case_id = opened(cli)
    assert "--fact" in cli("gather", case_id, code=2).stderr
    assert "not found" in cli("gather", case_id, "--attach", str(tmp_path / "nope"), code=3).stderr
    assert "text" in cli("gather", case_id, "--fact", "  ", code=2).stderr
    assert steps(cli.json("show", case_id)) == []


def test_assess_records_impact_and_raising_severity_moves_up(cli: Cli) -> None:
    case_id = opened(cli)
    case = cli.json(
        "assess",
        case_id,
        "--impact",
        "All EU checkouts",
        "--root-cause",
        "Gateway timeout",
        "--severity",
        "sev1",
        "--by",
        "frontline",
    )
    assert case["steps"]["assess"]["impact"] == "All EU checkouts"
    assert case["steps"]["assess"]["root_cause"] == "Gateway timeout"
    assert case["severity"] == "sev1"
    # sev1 starts at L2: the raise moves the case up, recorded as an escalation.
    assert case["level"] == "L2"
    assert case["escalations"][-1]["from"] == "L1" and case["escalations"][-1]["to"] == "L2"
    lowered = cli.json("assess", case_id, "--severity", "sev3")
    assert (lowered["severity"], lowered["level"]) == ("sev3", "L2")
    assert cli("assess", case_id, "--severity", "sev9", code=3).stderr


def test_convene_sets_owner_and_roles(cli: Cli) -> None:
    case_id = opened(cli)
    case = cli.json(
        "convene",
        case_id,
        "--owner",
        "sam",
        "--add",
        "dana:decision-maker",
        "--add",
        "ana",
        "--by",
        "frontline",
    )
    assert case["owner"] == "sam"
    roles = {p["contact"]: p["role"] for p in case["participants"]}
    assert roles == {
        "frontline": "former owner",
        "sam": "owner",
        "dana": "decision-maker",
        "ana": "expert",
    }
    change = next(e for e in case["timeline"] if e["kind"] == "owner_changed")
    assert (change["data"], change["by"]) == ({"old": "frontline", "new": "sam"}, "frontline")
    assert cli("convene", case_id, "--add", "ghost:expert", code=3).stderr
    assert cli("convene", case_id, code=2).stderr


def test_brainstorm_counts_options_from_one(cli: Cli) -> None:
    case_id = opened(cli)
    cli("brainstorm", case_id, "--option", "Roll back")
    case = cli.json("brainstorm", case_id, "--option", "Hotfix the timeout", "--choose", "2")
    options = case["steps"]["brainstorm"]["options"]
    assert [(o["n"], o["text"]) for o in options] == [(1, "Roll back"), (2, "Hotfix the timeout")]
    assert case["steps"]["brainstorm"]["chosen"] == 2
    assert "no option 3" in cli("brainstorm", case_id, "--choose", "3", code=3).stderr


def test_brainstorm_with_a_single_option_says_so(cli: Cli) -> None:
    case_id = opened(cli)
    result = cli("brainstorm", case_id, "--option", "Roll back", "--choose", "1")
    assert "only one option" in result.stderr


def test_implement_numbers_actions_and_marks_them_done(cli: Cli) -> None:
    case_id = opened(cli)
    first = cli.json(
        "implement",
        case_id,
        "--action",
        "Raise the timeout",
        "--kind",
        "workaround",
        "--assignee",
        "ana",
        "--due",
        "4h",
    )
    action = first["steps"]["implement"]["actions"][0]
    assert (action["n"], action["kind"], action["assignee"]) == (1, "workaround", "ana")
    assert action["due"] == "2026-11-23T14:00:00Z" and action["done"] is False
    cli("implement", case_id, "--action", "Fix the retry loop", "--due", "2026-11-30T09:00:00Z")
    done = cli.json("implement", case_id, "--done", "1", "--now", "2026-11-23T11:00:00Z")
    actions = done["steps"]["implement"]["actions"]
    assert [(a["n"], a["kind"], a["done"]) for a in actions] == [
        (1, "workaround", True),
        (2, "fix", False),
    ]
    assert actions[0]["done_at"] == "2026-11-23T11:00:00Z"
    assert "no action 7" in cli("implement", case_id, "--done", "7", code=3).stderr
    assert cli("implement", case_id, "--action", "x", "--kind", "prayer", code=2).stderr
    assert cli("implement", case_id, "--action", "x", "--due", "whenever", code=2).stderr
    assert cli("implement", case_id, code=2).stderr


def test_learn_only_after_resolve(cli: Cli) -> None:
    case_id = opened(cli)
    assert "resolve it first" in cli("learn", case_id, "--lesson", "x", code=5).stderr
    cli("resolve", case_id, "--summary", "Rolled back")
    case = cli.json(
        "learn",
        case_id,
        "--lesson",
        "Deploys skipped the smoke test",
        "--prevent",
        "Gate deploys on the payment smoke test",
        "--follow-up",
        "1w",
        "--with",
        "dana",
    )
    learned = case["steps"]["learn"]
    assert [x["text"] for x in learned["lessons"]] == ["Deploys skipped the smoke test"]
    assert [x["text"] for x in learned["prevent"]] == ["Gate deploys on the payment smoke test"]
    assert learned["follow_ups"][0]["at"] == "2026-11-30T10:00:00Z"
    assert learned["follow_ups"][0]["with"] == "dana"
    assert cli("learn", case_id, "--follow-up", "1w", code=2).stderr
    cli("close", case_id)
    assert cli.json("learn", case_id, "--lesson", "after close too")["status"] == "closed"


def test_every_step_prints_who_is_next(cli: Cli) -> None:
    case_id = opened(cli)
    for args in (
        ["acknowledge", case_id],
        ["gather", case_id, "--fact", "x"],
        ["assess", case_id, "--impact", "y"],
        ["convene", case_id, "--add", "sam"],
        ["brainstorm", case_id, "--option", "a", "--option", "b"],
        ["implement", case_id, "--action", "do it"],
    ):
        assert "Next: L2 (Support supervisor)" in cli(*args).stdout, args


def test_closed_cases_refuse_steps_until_reopened(cli: Cli) -> None:
    case_id = opened(cli)
    cli("close", case_id, "--force")
    assert "reopen" in cli("gather", case_id, "--fact", "x", code=5).stderr
    cli("reopen", case_id, "--reason", "back again")
    assert cli.json("gather", case_id, "--fact", "x")["status"] == "open"


def test_an_external_contact_is_never_convened_as_owner(cli: Cli) -> None:
    case_id = opened(cli)
    refused = cli("convene", case_id, "--owner", "regulator", "--by", "sam", code=5).stderr
    assert "regulator is an external contact" in refused
    assert cli.json("show", case_id)["owner"] != "regulator"
