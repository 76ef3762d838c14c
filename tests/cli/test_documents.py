"""brief and report through the CLI: exit codes, JSON, and golden files for a worked case.

The golden files in tests/golden/ are the exact output for one case worked through every step.
After a deliberate change to the documents, regenerate them and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/cli/test_documents.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cli, on_a_terminal

GOLDEN = ROOT / "tests" / "golden"
BRIEF_KEYS = {
    "case",
    "title",
    "status",
    "what",
    "impact",
    "tried",
    "ask",
    "owner",
    "working",
    "deadline",
    "details",
}

# A sev2 checkout failure raised to sev1, worked through all seven steps on Monday morning.
WORKED_CASE: list[tuple[str, list[str]]] = [
    (
        "09:00",
        [
            "open",
            "Checkout fails for EU customers",
            "--severity",
            "sev2",
            "--customer",
            "Initech",
            "--tier",
            "vip",
            "--description",
            "Payments time out at the last step since the 08:40 deploy.",
        ],
    ),
    ("09:05", ["acknowledge", "1", "--by", "frontline", "--note", "Looking at the payment logs"]),
    (
        "09:15",
        [
            "gather",
            "1",
            "--fact",
            "HTTP 504 from /pay, EU cards only",
            "--fact",
            "Started right after the 08:40 deploy",
            "--why",
            "The EU payment gateway times out",
            "--why",
            "Its TLS certificate expired at 08:30",
            "--attach",
            "trace.har",
            "--by",
            "frontline",
        ],
    ),
    (
        "09:25",
        [
            "assess",
            "1",
            "--impact",
            "Every EU checkout fails | about 40 orders an hour lost",
            "--root-cause",
            "Expired TLS certificate on the EU payment gateway",
            "--severity",
            "sev1",
            "--by",
            "frontline",
        ],
    ),
    (
        "09:35",
        ["convene", "1", "--owner", "sam", "--add", "dana:decision-maker", "--add", "ana:expert"],
    ),
    (
        "09:45",
        [
            "brainstorm",
            "1",
            "--option",
            "Roll back the 08:40 deploy",
            "--option",
            "Route EU payments through the US gateway",
            "--option",
            "Renew the certificate",
            "--choose",
            "2",
            "--by",
            "sam",
        ],
    ),
    (
        "09:50",
        [
            "implement",
            "1",
            "--action",
            "Route EU payments through the US gateway",
            "--kind",
            "workaround",
            "--assignee",
            "ana",
            "--due",
            "1h",
            "--by",
            "sam",
        ],
    ),
    (
        "09:55",
        [
            "implement",
            "1",
            "--action",
            "Renew the certificate\nand alert before the next expiry",
            "--assignee",
            "sam",
            "--due",
            "2026-11-23T12:00:00Z",
            "--by",
            "sam",
        ],
    ),
    (
        "10:00",
        [
            "update",
            "1",
            "Workaround going in: EU payments move to the US gateway",
            "--audience",
            "customer",
            "--by",
            "sam",
        ],
    ),
    ("10:10", ["up", "1", "--reason", "Certificate renewal needs the on-call engineer"]),
    ("10:12", ["acknowledge", "1", "--by", "ana"]),
    ("10:20", ["implement", "1", "--done", "1", "--by", "ana"]),
]
BRIEF_AT = "10:30"
AFTER_BRIEF: list[tuple[str, list[str]]] = [
    ("11:40", ["implement", "1", "--done", "2", "--by", "sam"]),
    (
        "11:45",
        ["resolve", "1", "--summary", "Certificate renewed; EU payments back on the EU gateway"],
    ),
    (
        "12:30",
        [
            "learn",
            "1",
            "--lesson",
            "Nobody watched certificate expiry",
            "--lesson",
            "The US gateway fallback worked within minutes",
            "--prevent",
            "Alert 30 days before any certificate expires",
            "--follow-up",
            "2026-11-30T10:00:00Z",
            "--with",
            "dana",
            "--by",
            "sam",
        ],
    ),
]
REPORT_AT = "13:00"


def at(clock: str) -> str:
    return f"2026-11-23T{clock}:00Z"


def run_all(cli: Cli, steps: list[tuple[str, list[str]]]) -> None:
    for clock, args in steps:
        cli(*args, "--now", at(clock))


def portable(text: str, tmp_path: Path) -> str:
    """The attachment's absolute path differs per run and machine: golden files say $TMP."""
    for root in {str(tmp_path.resolve()), str(tmp_path)}:
        text = text.replace(root, "$TMP")
    return text


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual)
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(), f"{name} differs: UPDATE_GOLDEN=1 regenerates it"


@pytest.fixture
def worked(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "trace.har").write_text('{"log": {"entries": []}}\n')
    run_all(cli, WORKED_CASE)
    return cli


def test_brief_of_the_worked_case_matches_the_golden_file(worked: Cli, tmp_path: Path) -> None:
    out = worked("brief", "ESC-1", "--ask", "decision", "--now", at(BRIEF_AT)).stdout
    check_golden("brief-ESC-1.txt", portable(out, tmp_path))
    lines = out.splitlines()
    assert 10 <= len(lines) <= 22, "a brief is short enough to paste into a chat"
    # Piped, it is not folded: a chat folds the lines itself, and a folded line pastes as two.
    assert not any(line.startswith("    ") for line in lines) and max(map(len, lines)) > 100


@pytest.mark.parametrize("columns", [80, 60])
def test_brief_on_a_terminal_fits_its_width(worked: Cli, columns: int) -> None:
    # Folded at 100 whatever the terminal, lines ran past an 80-column one, and the terminal
    # broke them mid-word. Only a word longer than the width (an id, a path) may pass it.
    shown = on_a_terminal("brief", "ESC-1", "--now", at(BRIEF_AT), columns=columns)
    lines = shown.splitlines()
    assert len(lines) > 10 and any(line.startswith("    ") for line in lines)
    assert all(len(line) <= columns or " " not in line.strip() for line in lines), shown
    for widest in (200, 0):  # 0: a terminal that says no width
        shown = on_a_terminal("brief", "ESC-1", "--now", at(BRIEF_AT), columns=widest)
        assert max(map(len, shown.splitlines())) <= 100, "at 100 at most: a brief reads best so"


def test_report_of_the_worked_case_matches_the_golden_file(worked: Cli, tmp_path: Path) -> None:
    run_all(worked, AFTER_BRIEF)
    out = worked("report", "ESC-1", "--format", "md", "--now", at(REPORT_AT)).stdout
    assert str(tmp_path) in out, "the attachment is documented by its path"
    check_golden("report-ESC-1.md", portable(out, tmp_path))
    assert out.startswith("# ESC-1: Checkout fails for EU customers\n")
    assert "- [ ]" not in out, "every step was done"
    # The pipe in the impact is escaped; the newline in an action stays inside its table cell.
    assert "Every EU checkout fails \\| about 40 orders" in out
    assert "Renew the certificate<br>and alert before the next expiry" in out


def test_golden_files_hold_no_machine_paths() -> None:
    for path in GOLDEN.iterdir():
        text = path.read_text()
        assert "/tmp/" not in text and str(Path.home()) not in text, path.name


def test_brief_json_has_the_documented_shape(worked: Cli) -> None:
    data = worked.json("brief", "1", "--now", at(BRIEF_AT))
    assert set(data) == BRIEF_KEYS and data["case"] == "ESC-1"
    assert data["ask"]["kind"] == "help"
    assert data["owner"]["id"] == "sam" and data["owner"]["name"] == "Sam Okafor"
    assert data["impact"]["root_cause"] == "Expired TLS certificate on the EU payment gateway"
    assert [o["chosen"] for o in data["tried"]["options"]] == [False, True, False]
    assert [a["done"] for a in data["tried"]["actions"]] == [True, False]
    assert [e["to"] for e in data["tried"]["escalations"]] == ["L2", "L3"]
    deadline = data["deadline"]
    assert deadline["next"]["level"] == "L4"
    assert deadline["next"]["due_at"] == "2026-11-23T13:00:00Z"
    assert deadline["sla"] == [
        {"sla": "ack", "due_at": "2026-11-23T09:15:00Z", "state": "met"},
        {"sla": "resolve", "due_at": "2026-11-23T13:00:00Z", "state": "running"},
    ]
    assert data["details"] == {"show": "escalate show ESC-1", "report": "escalate report ESC-1"}


def test_brief_asks_awareness_once_resolved_and_help_by_default(cli: Cli) -> None:
    cli("open", "Printer on fire", "-q")
    assert cli.json("brief", "1")["ask"]["kind"] == "help"
    cli("resolve", "1", "--summary", "Extinguished")
    resolved = cli.json("brief", "1")
    assert resolved["ask"]["kind"] == "awareness"
    assert resolved["deadline"]["next"] is None
    assert cli.json("brief", "1", "--ask", "resources")["ask"]["kind"] == "resources"


def test_brief_prints_case_text_literally(cli: Cli) -> None:
    cli("open", "[bold red]Not markup[/] \\[x]", "--description", "line one\nline two", "-q")
    out = cli("brief", "ESC-1").stdout
    assert out.startswith("ESC-1: [bold red]Not markup[/] \\[x]\n")
    assert "  line one line two\n" in out
    assert "Ask: Please help" in out


def test_report_json_is_the_case_object(worked: Cli) -> None:
    shown = worked.json("show", "ESC-1")
    assert json.loads(worked("report", "ESC-1", "--format", "json").stdout) == shown
    assert worked.json("report", "ESC-1") == shown
    assert worked.json("report", "ESC-1", "--format", "json") == shown


def test_report_without_a_usable_matrix_still_renders(worked: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("levels: [\n")
    result = worked("report", "ESC-1", "--matrix", str(broken))
    assert result.stdout.startswith("# ESC-1: ")
    assert "| Owner | sam |" in result.stdout
    assert "note: contacts and levels shown by id" in result.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["brief", "ESC-9"], 3),
        (["report", "ESC-9"], 3),
        (["report", "9", "--format", "json"], 3),
        (["brief", "ESC-1", "--ask", "everything"], 2),
        (["report", "ESC-1", "--format", "pdf"], 2),
        (["report", "ESC-1", "--format", "md", "--json"], 2),
        (["brief", "not-a-case"], 2),
        (["brief"], 2),
    ],
)
def test_exit_codes(cli: Cli, args: list[str], code: int) -> None:
    cli("open", "Printer on fire", "-q")
    result = cli(*args, code=code)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_has_a_summary_and_an_example(cli: Cli) -> None:
    assert "Example: escalate brief ESC-7 --ask decision" in cli("brief", "--help").stdout
    assert "Example: escalate report ESC-7" in cli("report", "--help").stdout


def test_the_manual_shows_the_golden_brief() -> None:
    golden = (GOLDEN / "brief-ESC-1.txt").read_text()
    steps = (ROOT / "docs" / "steps.md").read_text()
    assert f"$ escalate brief ESC-1 --ask decision\n{golden}```" in steps, (
        "docs/steps.md's brief example is out of date: paste tests/golden/brief-ESC-1.txt into it"
    )
