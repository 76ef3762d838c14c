"""The case store through the CLI: a store file restored from a backup, a symlinked store."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import Cli

pytestmark = pytest.mark.json_store  # the JSON store's files: restored backups, symlinks


def titles(cli: Cli) -> list[tuple[str, str]]:
    return [(c["id"], c["title"]) for c in cli.json("list", "--status", "all")]


def test_a_restored_hot_file_reuses_no_number_and_loses_no_archived_case(
    cli: Cli, tmp_path: Path
) -> None:
    """The reproduction of B1 in the reliability report of 2026-11-29."""
    store = tmp_path / "store" / "cases.json"
    cli("open", "first", "-q")
    shutil.copy(store, tmp_path / "backup.json")
    cli("open", "second", "-q")
    cli("resolve", "2", "--summary", "x")
    cli("close", "2")
    shutil.copy(tmp_path / "backup.json", store)  # the exit-6 message advises a restore
    assert cli("open", "third", "-q").stdout.strip() == "ESC-3"
    cli("resolve", "3", "--summary", "s")
    cli("close", "3")
    assert titles(cli) == [("ESC-1", "first"), ("ESC-2", "second"), ("ESC-3", "third")]


def test_closing_a_case_whose_number_the_archive_holds_for_another_stops_with_exit_6(
    cli: Cli, tmp_path: Path
) -> None:
    """A store left by an older escalate: the hot file and the archive each hold an ESC-2."""
    store = tmp_path / "store" / "cases.json"
    cli("open", "first", "-q")
    shutil.copy(store, tmp_path / "backup.json")
    cli("open", "second", "-q")
    cli("close", "2", "--summary", "x")
    third = {**cli.json("show", "1"), "id": "ESC-2", "number": 2, "title": "third"}
    data = json.loads((tmp_path / "backup.json").read_bytes())
    data["cases"]["2"] = third
    store.write_text(json.dumps(data))
    before = store.read_bytes(), store.with_name("cases.archive.json").read_bytes()
    error = cli("close", "2", "--summary", "y", code=6).stderr
    assert 'ESC-2 "third"' in error and 'ESC-2 "second"' in error, error
    assert (store.read_bytes(), store.with_name("cases.archive.json").read_bytes()) == before
    cli("close", "1", "--summary", "z")  # the archive is written; its ESC-2 stays
    assert cli.json("list", "--status", "closed")[-1]["title"] == "first"
    archive = json.loads(store.with_name("cases.archive.json").read_bytes())
    assert archive["cases"]["2"]["title"] == "second"


def test_a_symlinked_store_stays_a_symlink(cli: Cli, tmp_path: Path) -> None:
    """B7: the first write replaced the link with a regular file; the target kept old cases."""
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.mkdir()
    (link / "cases.json").symlink_to("../real/cases.json")
    (link / "cases.archive.json").symlink_to("../real/cases.archive.json")
    cli("--store", str(real / "cases.json"), "open", "one", "-q")
    cli("--store", str(link / "cases.json"), "open", "two", "-q")
    cli("--store", str(link / "cases.json"), "close", "1", "--summary", "done")
    for name in ("cases.json", "cases.archive.json"):
        assert os.path.islink(link / name), name
        assert not (real / name).is_symlink()
    assert [c["title"] for c in cli.json("--store", str(real / "cases.json"), "list")] == ["two"]
    closed = cli.json("--store", str(real / "cases.json"), "list", "--status", "closed")
    assert [c["title"] for c in closed] == ["one"]
    assert sorted(p.name for p in link.iterdir()) == ["cases.archive.json", "cases.json"]
