"""A store file that is a symlink stays one: the lock and the atomic replace act on its target
(issue 11, item 7; report B7)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from escalate_cli.core.errors import StoreError
from escalate_cli.core.store.json_store import CaseStore
from tests.core.test_store import numbers_in, open_cases, set_status


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """link/cases.json and link/cases.archive.json point into real/, which holds the files."""
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.mkdir()
    for name in ("cases.json", "cases.archive.json"):
        (link / name).symlink_to(Path("..", "real", name))
    return real, link


def test_writes_go_to_the_target_and_the_links_stay(linked: tuple[Path, Path]) -> None:
    real, link = linked
    open_cases(CaseStore(real / "cases.json"), 1)
    store = CaseStore(link / "cases.json", lock_timeout=5)
    assert open_cases(store, 1) == [2]
    set_status(store, 1, "closed")
    for name in ("cases.json", "cases.archive.json"):
        assert os.path.islink(link / name), name
        assert (real / name).is_file() and not (real / name).is_symlink(), name
    assert numbers_in(real / "cases.json") == [2]
    assert numbers_in(real / "cases.archive.json") == [1]
    assert sorted(p.name for p in link.iterdir()) == ["cases.archive.json", "cases.json"]
    assert ".cases.json.tmp-" not in " ".join(os.listdir(real))


def test_the_link_and_the_target_share_one_lock(linked: tuple[Path, Path]) -> None:
    real, link = linked
    by_link = CaseStore(link / "cases.json", lock_timeout=0)
    by_target = CaseStore(real / "cases.json", lock_timeout=0)
    assert by_link.lock_path == by_target.lock_path == real / "cases.json.lock"
    with by_target.transaction():
        fd = os.open(by_link.lock_path, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)


def test_an_archive_of_its_own_elsewhere_stays_a_link(tmp_path: Path) -> None:
    """Only the archive is a link (to a bigger disk, say): it is written through."""
    (tmp_path / "big").mkdir()
    (tmp_path / "cases.archive.json").symlink_to(tmp_path / "big" / "closed.json")
    store = CaseStore(tmp_path / "cases.json", lock_timeout=5)
    open_cases(store, 2)
    set_status(store, 1, "closed")
    assert os.path.islink(tmp_path / "cases.archive.json")
    assert numbers_in(tmp_path / "big" / "closed.json") == [1]
    assert [c["number"] for c in store.cases(archived=True)] == [1, 2]


def test_a_symlink_loop_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "cases.json").symlink_to(tmp_path / "cases.json")
    store = CaseStore(tmp_path / "cases.json", lock_timeout=5)
    with pytest.raises(StoreError, match=r"cases\.json.*symbolic links"):
        store.cases()
    with pytest.raises(StoreError, match=r"cases\.json.*symbolic links"):
        open_cases(store, 1)
