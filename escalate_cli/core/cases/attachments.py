"""Files gathered on a case (step 2): the record of one, kept by path and sha256, and whether
each is still as it was gathered.

Apart from the steps: `show` tells each attachment's state, and needs none of the steps' other
work (~1.5 ms of imports).
"""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escalate_cli.core.errors import NotFoundError, UsageError
from escalate_cli.core.time import timing

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case


def sha256_of(fd: int) -> str:
    """The SHA-256 of an open file, read from its start in blocks of 1 MiB."""
    import hashlib  # loading OpenSSL takes ~2.5 ms, which `show` spares unless a file changed

    digest = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    for block in iter(lambda: os.read(fd, 1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


# Non-blocking, so a FIFO opens at once (to be refused); binary, so Windows reads bytes as they are.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _hashed(path: Path) -> tuple[str, os.stat_result] | None:
    """The file's SHA-256 and its status as it was before reading, or None when the path is not
    a regular file (a FIFO or a device is never opened for reading: it could block or never
    end). Raises OSError."""
    fd = os.open(path, _READ_FLAGS)
    try:
        status = os.fstat(fd)
        return (sha256_of(fd), status) if stat.S_ISREG(status.st_mode) else None
    finally:
        os.close(fd)


def attachment(path_text: str, now: datetime, by: str | None) -> dict[str, Any]:
    """The record of one file for `gather --attach`: its path, sha256, size and modification
    time. Call it before the store's lock is taken: hashing a large file takes seconds."""
    path = Path(path_text).expanduser()
    try:
        hashed = _hashed(path)
    except (FileNotFoundError, NotADirectoryError):
        hashed = None
    except OSError as error:
        shown = timing.show_value(path_text)
        raise UsageError(f"cannot read attachment {shown}: {error.strerror}") from None
    if hashed is None:
        shown = timing.show_value(path_text)
        raise NotFoundError(f"attachment {shown} not found (give the path of a file)")
    digest, status = hashed
    return {
        "path": str(path.resolve()),
        "name": path.name,
        "sha256": digest,
        "size": status.st_size,
        "mtime_ns": status.st_mtime_ns,
        "at": timing.to_iso(now),
        "by": by,
    }


def attachment_state(record: dict[str, Any]) -> str:
    """`ok`, `changed` or `missing`: nobody works from a file that moved or changed since it was
    gathered. A file with the recorded size and modification time is not read again (as make
    and rsync judge); another size is a change; otherwise its sha256 decides."""
    try:
        status = os.stat(record["path"])
        if not stat.S_ISREG(status.st_mode):
            return "missing"
        if status.st_size != record["size"]:
            return "changed"
        if status.st_mtime_ns == record.get("mtime_ns"):  # older records have none: hash
            return "ok"
        hashed = _hashed(Path(record["path"]))
    except OSError:
        return "missing"
    return "ok" if hashed is not None and hashed[0] == record["sha256"] else "changed"


def attachment_states(case: Case) -> list[tuple[dict[str, Any], str]]:
    """Each attachment with its state (attachment_state)."""
    return [(record, attachment_state(record)) for record in case["steps"]["gather"]["attachments"]]
