"""Exit codes and the one-line error contract of docs/scripting.md."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from escalate_cli import __version__
from tests.conftest import Cli


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version").stdout.strip() == f"escalate {__version__}"
    help_text = cli("--help").stdout
    for command in ("init", "open", "list", "show", "who", "matrix"):
        assert command in help_text
    assert "--json" in help_text
    assert "Usage" in cli().stdout


def test_usage_errors_are_one_line_exit_2(cli: Cli) -> None:
    assert "No such command" in one_line(cli("frobnicate", code=2).stderr)
    assert "--bogus" in one_line(cli("list", "--bogus", code=2).stderr)
    assert "CASE" in one_line(cli("show", code=2).stderr)
    assert "--now" in one_line(cli("list", "--now", code=2).stderr)


def test_invalid_matrix_exit_4_names_file_and_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nlevels:\n  - id: L1\n    contacts: [ghost]\n    after: 2x\n")
    line = one_line(cli("open", "x", "--matrix", str(bad), code=4).stderr)
    assert str(bad) in line
    assert ":4:" in line or ":5:" in line
    assert "escalate matrix validate" in line


def test_missing_matrix_file_exit_4(cli: Cli, tmp_path: Path) -> None:
    line = one_line(cli("open", "x", "--matrix", str(tmp_path / "nope.yaml"), code=4).stderr)
    assert "nope.yaml" in line


@pytest.mark.json_store  # the file's bytes
def test_corrupt_store_exit_6_and_left_untouched(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "store" / "cases.json"
    cli("open", "x", "-q")
    store.write_text('{"cases": {"1": ')
    before = store.read_bytes()
    for args in (("open", "y"), ("show", "1"), ("list",)):
        line = one_line(cli(*args, code=6).stderr)
        assert str(store) in line
    assert store.read_bytes() == before


@pytest.mark.json_store  # the file's mode
def test_store_is_private_to_its_owner(cli: Cli, tmp_path: Path) -> None:
    cli("open", "x", "-q")
    store = tmp_path / "store" / "cases.json"
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600


def test_unexpected_failure_is_exit_1_without_traceback(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate_cli.core.cases import document as cases

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cases, "new_case", broken)
    line = one_line(cli("open", "x", code=1).stderr)
    assert "boom" in line and "ESCALATE_DEBUG" in line
    assert cli.json("list") == []
