"""Bad input of any kind is a clear error with its exit code, never exit 1, and nothing is saved
(docs/reliability.md; issue 11, item 6)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from escalate_cli.cli import app
from tests.cli.test_bad_times import one_line, seeded
from tests.conftest import BASIC_MATRIX, Cli
from tests.stores import exists, snapshot


def _limited() -> None:
    # A matrix read until memory runs out must fail this test, not the machine.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """A real process with a memory cap: an unbounded or blocking read fails, never hangs."""
    return subprocess.run(
        [sys.executable, "-m", "escalate_cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=_limited,
    )


# Matrices: YAML tags, files that are not regular, files that are too big -----------------------


@pytest.mark.parametrize(
    "tagged",
    ["!!timestamp x", "!!bool x", "!!int x", "!!float 1.2.3", "!!python/object/apply:os.system"],
)
def test_a_yaml_tag_on_junk_is_exit_4_with_file_and_line(
    cli: Cli, tmp_path: Path, tagged: str
) -> None:
    matrix = tmp_path / "tagged.yaml"
    matrix.write_text(BASIC_MATRIX.read_text().replace("name: Test support", f"name: {tagged}"))
    line = BASIC_MATRIX.read_text().splitlines().index("name: Test support") + 1
    for args in (["--matrix", str(matrix), "open", "x"], ["matrix", "validate", str(matrix)]):
        result = cli(*args, code=4)
        assert f"{matrix}:{line}:" in result.stderr
        assert "Traceback" not in result.stderr
    assert not exists()


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo"])
def test_a_matrix_that_is_not_a_regular_file_is_exit_4_at_once(tmp_path: Path, kind: str) -> None:
    path = kind
    if kind == "fifo":
        path = str(tmp_path / "matrix.fifo")
        os.mkfifo(path)
    for args in (["--matrix", path, "next", "1"], ["matrix", "validate", path]):
        done = run(*args)
        assert done.returncode == 4, done.stderr
        assert f"{path}: not a regular file" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_matrix_over_1_mib_is_exit_4_before_it_is_read(cli: Cli, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(BASIC_MATRIX.read_text() + "#" * (1 << 20))
    line = one_line(cli("--matrix", str(big), "open", "x", code=4).stderr)
    assert f"{big}: larger than 1 MiB" in line
    assert not exists()
    # A file of exactly 1 MiB is read (and here valid).
    text = BASIC_MATRIX.read_text()
    big.write_text(text + "#" * ((1 << 20) - len(text.encode()) - 1) + "\n")
    assert big.stat().st_size == 1 << 20
    cli("--matrix", str(big), "open", "x", "-q")


# Case ids of any length ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref", ["ESC-99999999999999999999999", "9" * 30, "9" * 5000, "ESC-" + "9" * 5000, "0" * 5000]
)
def test_case_ids_of_any_length_are_a_clear_error(cli: Cli, ref: str) -> None:
    before = seeded(cli)
    for command in (["show", ref], ["acknowledge", ref], ["next", ref]):
        result = cli.runner.invoke(app, command)
        assert result.exit_code in (2, 3), result.stderr
        line = one_line(result.stderr)
        assert len(line) < 200
    assert snapshot() == before


# Attachments whose name is too long ---------------------------------------------------------


@pytest.mark.parametrize("name", ["a" * 300, "b" * 256 + "/file.log", "/tmp/" + "c" * 4096])
def test_an_attachment_name_too_long_is_exit_2_and_saves_nothing(cli: Cli, name: str) -> None:
    before = seeded(cli)
    line = one_line(cli("gather", "1", "--attach", name, code=2).stderr)
    assert "name too long" in line.lower()
    assert len(line) < 120  # the path is shortened, not printed whole
    assert snapshot() == before


def test_a_store_path_with_no_file_name_is_exit_6(cli: Cli) -> None:
    assert "not a store file" in cli("--store", "/", "list", code=6).stderr


@pytest.mark.json_store
@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "folder"])
def test_a_store_that_is_not_a_regular_file_is_exit_6_at_once(tmp_path: Path, kind: str) -> None:
    path = {"/dev/zero": "/dev/zero", "fifo": str(tmp_path / "cases.fifo"), "folder": "/tmp"}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    for args in (["list"], ["open", "x"], ["show", "1"]):
        done = run("--store", path, "--matrix", str(BASIC_MATRIX), *args)
        assert done.returncode == 6, done.stderr
        said = "is a directory" if kind == "folder" else "cannot be read (not a regular file)"
        assert f"{path} {said}" in done.stderr
