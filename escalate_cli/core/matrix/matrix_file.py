"""Reading a matrix file safely: a regular file of at most 1 MiB, UTF-8, never a device or FIFO.

Kept apart from core/matrix/loader.py so that the cache (which must read the bytes to find its
entry) imports neither yaml nor pydantic.
"""

from __future__ import annotations

import os
import stat

from escalate_cli.core.errors import MatrixError, MatrixProblem

MAX_BYTES = 1 << 20  # 1 MiB: the largest bundled matrix is a few KiB
_TOO_BIG = "larger than 1 MiB ({size} bytes): a matrix is a small YAML file"


def read_matrix_bytes(filename: str) -> bytes:
    """The bytes of the matrix file `filename`; MatrixError (exit 4) with the file named when it
    is missing, unreadable, not a regular file (`/dev/zero`, a FIFO: never read, never waited
    on) or larger than MAX_BYTES (checked before reading it all)."""
    try:
        reason = _refusal(os.stat(filename))  # a device or FIFO is refused before it is opened
        if reason is None:
            return _read_open(filename)
    except FileNotFoundError:
        reason = "file not found"
    except PermissionError:
        reason = "cannot read the file: permission denied"
    except OSError as exc:
        reason = f"cannot read the file: {exc.strerror or exc}"
    except ValueError:  # a NUL byte in the name
        reason = "cannot read the file: the name holds a NUL byte"
    raise MatrixError([MatrixProblem(filename, None, "", reason)])


def _read_open(filename: str) -> bytes:
    # O_NONBLOCK: a FIFO swapped in after the stat above opens at once instead of waiting.
    fd = os.open(filename, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        reason = _refusal(os.fstat(fd))  # the file actually opened
        if reason is None:
            data = _read_at_most(fd, MAX_BYTES + 1)
            if len(data) <= MAX_BYTES:
                return data
            reason = _TOO_BIG.format(size=f"over {MAX_BYTES}")
    finally:
        os.close(fd)
    raise MatrixError([MatrixProblem(filename, None, "", reason)])


def _refusal(info: os.stat_result) -> str | None:
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a matrix file"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a device, FIFO or socket): give the path of a YAML file"
    if info.st_size > MAX_BYTES:
        return _TOO_BIG.format(size=info.st_size)
    return None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def decode_matrix(data: bytes, filename: str) -> str:
    """The text of a matrix file, as `open(..., encoding="utf-8-sig")` would read it: a BOM
    dropped and every line break a newline."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text (byte {exc.start})"
        raise MatrixError([MatrixProblem(filename, None, "", reason)]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
