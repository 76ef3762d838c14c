"""Teams in one store: each case belongs to the matrix it was opened under (docs/store.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate_cli.cli._app import Settings
from tests.conftest import BASIC_MATRIX, Cli

LATER = "2026-11-23T14:00:00Z"  # the basic matrix's L1 `after: 2h` and `ack: 15m` have passed


@pytest.fixture
def billing(tmp_path: Path) -> str:
    """The basic matrix again, under another team's name."""
    path = tmp_path / "billing.yaml"
    text = BASIC_MATRIX.read_text()
    assert "name: Test support\n" in text
    path.write_text(text.replace("name: Test support\n", "name: Billing team\n"))
    return str(path)


def forget_matrix(number: int) -> None:
    """Make case `number` look written before cases recorded their matrix."""
    with Settings().store.transaction() as tx:
        case = tx.get(number)
        assert case is not None
        del case["matrix"]
        tx.put(case)


def stored_matrix(number: int) -> object:
    case = Settings().store.get(number)
    assert case is not None
    return case.get("matrix", "(none)")


def test_a_case_records_the_name_of_its_matrix(cli: Cli, billing: str) -> None:
    assert cli.json("open", "Printer on fire")["matrix"] == "Test support"
    assert cli.json("--matrix", billing, "open", "Invoice wrong")["matrix"] == "Billing team"


def test_a_matrix_without_a_name_is_known_by_its_file_name(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "payments.yaml"
    path.write_text(BASIC_MATRIX.read_text().replace("name: Test support\n", ""))
    assert cli.json("--matrix", str(path), "open", "x")["matrix"] == "payments"


def test_list_shows_its_own_matrix_unless_all_matrices(cli: Cli, billing: str) -> None:
    cli("open", "Printer on fire")
    cli("--matrix", billing, "open", "Invoice wrong")
    assert [c["id"] for c in cli.json("list")] == ["ESC-1"]
    assert [c["id"] for c in cli.json("--matrix", billing, "list")] == ["ESC-2"]
    rows = cli.json("list", "--all-matrices")
    assert [(c["id"], c["matrix"]) for c in rows] == [
        ("ESC-1", "Test support"),
        ("ESC-2", "Billing team"),
    ]
    table = cli("list", "--all-matrices").stdout
    assert "matrix" in table.splitlines()[0] and "Billing team" in table
    assert "matrix" not in cli("list").stdout.splitlines()[0]


@pytest.mark.parametrize(
    "command",
    [
        ["show", "1"],
        ["who", "1"],
        ["next", "1"],
        ["brief", "1"],
        ["report", "1"],
        ["acknowledge", "1"],
        ["gather", "1", "--fact", "x"],
        ["update", "1", "note"],
        ["up", "1", "--reason", "x", "--force"],
        ["hold", "1", "--reason", "x"],
        ["resolve", "1", "--summary", "x"],
    ],
)
def test_a_case_of_another_matrix_is_refused_naming_it(
    cli: Cli, billing: str, command: list[str]
) -> None:
    cli("--matrix", billing, "open", "Invoice wrong")
    before = Settings().store.get(1)
    error = cli(*command, code=5).stderr
    assert 'ESC-1 belongs to matrix "Billing team"' in error and "--matrix" in error
    assert Settings().store.get(1) == before


def test_sweep_moves_and_counts_only_its_matrix(cli: Cli, billing: str) -> None:
    cli("open", "Printer on fire")
    cli("--matrix", billing, "open", "Invoice wrong")
    report = cli.json("--now", LATER, "sweep")
    assert report["checked"] == 1
    assert [moved["case"] for moved in report["escalated"]] == ["ESC-1"]
    assert cli.json("--matrix", billing, "show", "2")["level"] == "L1"
    report = cli.json("--now", LATER, "--matrix", billing, "sweep")
    assert report["checked"] == 1
    assert [moved["case"] for moved in report["escalated"]] == ["ESC-2"]


def test_a_case_from_before_teams_is_adopted_by_the_first_write(cli: Cli, billing: str) -> None:
    cli("open", "Printer on fire")
    forget_matrix(1)
    cli("show", "1")  # reads accept it, for every team, and record nothing
    cli("--matrix", billing, "who", "1")
    assert stored_matrix(1) == "(none)"
    assert [c["matrix"] for c in cli.json("list")] == [None]
    cli("--matrix", billing, "acknowledge", "1")
    assert stored_matrix(1) == "Billing team"
    assert 'belongs to matrix "Billing team"' in cli("acknowledge", "1", code=5).stderr


def test_a_sweep_that_moves_a_case_from_before_teams_adopts_it(cli: Cli, billing: str) -> None:
    cli("open", "Printer on fire")
    forget_matrix(1)
    assert cli.json("--now", LATER, "--matrix", billing, "sweep")["checked"] == 1
    assert stored_matrix(1) == "Billing team"
    assert cli.json("--now", LATER, "sweep")["checked"] == 0


def test_metrics_count_their_own_matrix_unless_all_matrices(cli: Cli, billing: str) -> None:
    cli("open", "Printer on fire")
    cli("--matrix", billing, "open", "Invoice wrong")
    cli("--matrix", billing, "open", "Invoice late")
    assert cli.json("metrics")["cases"] == 1
    assert cli.json("--matrix", billing, "metrics")["cases"] == 2
    assert cli.json("metrics", "--all-matrices")["cases"] == 3
