"""Attachments: hashed once at gather, read again only when their size or mtime changed."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalate_cli.core.cases import attachments
from escalate_cli.core.errors import NotFoundError, UsageError

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The file descriptors hashed, in order."""
    calls: list[int] = []
    real = attachments.sha256_of

    def spy(fd: int) -> str:
        calls.append(fd)
        return real(fd)

    monkeypatch.setattr(attachments, "sha256_of", spy)
    return calls


def gathered(path: Path, text: str = "504 Gateway Timeout\n") -> dict[str, Any]:
    path.write_text(text)
    return attachments.attachment(str(path), NOW, "sam")


def shift_mtime(path: Path, seconds: int) -> None:
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + seconds * 10**9))


def test_the_record_has_size_and_mtime(tmp_path: Path) -> None:
    record = gathered(tmp_path / "a.log")
    status = (tmp_path / "a.log").stat()
    assert (record["size"], record["mtime_ns"]) == (status.st_size, status.st_mtime_ns)
    assert record["path"] == str((tmp_path / "a.log").resolve())
    assert (record["at"], record["by"]) == ("2026-11-23T10:00:00Z", "sam")


def test_an_unchanged_file_is_not_read(tmp_path: Path, hashed: list[int]) -> None:
    record = gathered(tmp_path / "a.log")
    hashed.clear()
    assert attachments.attachment_state(record) == "ok"
    assert hashed == []


def test_a_touched_file_is_hashed_and_still_ok(tmp_path: Path, hashed: list[int]) -> None:
    record = gathered(tmp_path / "a.log")
    shift_mtime(tmp_path / "a.log", 60)
    hashed.clear()
    assert attachments.attachment_state(record) == "ok"
    assert len(hashed) == 1


def test_new_bytes_of_the_same_size_are_a_change(tmp_path: Path, hashed: list[int]) -> None:
    record = gathered(tmp_path / "a.log", "one")
    (tmp_path / "a.log").write_text("two")
    shift_mtime(tmp_path / "a.log", 60)  # whatever the clock's granularity
    assert attachments.attachment_state(record) == "changed"


def test_another_size_is_a_change_without_reading(tmp_path: Path, hashed: list[int]) -> None:
    record = gathered(tmp_path / "a.log", "one")
    (tmp_path / "a.log").write_text("one, edited")
    hashed.clear()
    assert attachments.attachment_state(record) == "changed"
    assert hashed == []


def test_a_record_without_mtime_is_hashed(tmp_path: Path, hashed: list[int]) -> None:
    record = gathered(tmp_path / "a.log")
    del record["mtime_ns"]  # recorded before escalate kept it
    hashed.clear()
    assert attachments.attachment_state(record) == "ok"
    assert len(hashed) == 1


def test_gone_or_not_a_file_is_missing(tmp_path: Path, hashed: list[int]) -> None:
    record = gathered(tmp_path / "a.log")
    (tmp_path / "a.log").unlink()
    assert attachments.attachment_state(record) == "missing"
    (tmp_path / "a.log").mkdir()
    assert attachments.attachment_state(record) == "missing"
    (tmp_path / "a.log").rmdir()
    os.mkfifo(tmp_path / "a.log")
    assert attachments.attachment_state(record) == "missing"


def test_a_fifo_is_not_found_and_never_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    raised: list[BaseException] = []

    def attach() -> None:
        try:
            attachments.attachment(str(tmp_path / "pipe"), NOW, None)
        except BaseException as error:
            raised.append(error)

    worker = threading.Thread(target=attach, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "opening the FIFO blocked"
    assert len(raised) == 1 and isinstance(raised[0], NotFoundError)


def test_unreadable_paths_are_clean_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        attachments.attachment(str(tmp_path / "nope"), NOW, None)
    with pytest.raises(NotFoundError, match="not found"):
        attachments.attachment(str(tmp_path), NOW, None)  # a directory
    with pytest.raises(UsageError, match="File name too long"):
        attachments.attachment(str(tmp_path / ("x" * 300)), NOW, None)
