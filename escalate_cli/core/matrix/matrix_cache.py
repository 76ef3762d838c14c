"""The validated matrix cached beside the bytes it came from, so most commands never start pydantic.

Validation costs ~150 ms of imports (pydantic, yaml) on every command; a pickled copy of the
frozen dataclasses loads in a millisecond. Each entry holds the file's bytes and the code that
defines and validates the model, and is served only when both are unchanged, so an edited matrix
or an upgraded escalate is never served stale. Entries are named by a CRC of those bytes rather
than a SHA-256: hashlib would start OpenSSL (~5 ms) on every command, and two files sharing a CRC
only share an entry, which the comparison rejects and rebuilds.

Unpickling runs code, so an entry is read only from a folder and a file that no other user could
have written (docs/reliability.md): a real directory and a regular file, neither a symlink, both
owned by this user and writable by nobody else. Anything else is ignored: the matrix is validated
from its YAML and nothing is written into a folder that is not safe.
"""

from __future__ import annotations

import contextlib
import os
import stat
import zlib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import orjson

from escalate_cli.core.matrix.matrix_file import read_matrix_bytes

if TYPE_CHECKING:  # imported by `load` alone: `cached_head` serves `show` without the model
    from escalate_cli.core.matrix.model import Matrix

CACHE_ENV = "ESCALATE_CACHE_DIR"
KEEP = 16  # cached matrices kept; older ones are removed when a new one is written
# The modules a validated matrix depends on: the model, its parsers, and the checks that decide
# whether a file is valid at all (read by path, so a cache hit imports none of the validators).
MODEL_CODE = (
    "matrix/model.py",
    "values.py",
    "time/timing.py",
    "time/hours.py",
    "time/business.py",
    "matrix/loader.py",
    "matrix/matrix_file.py",
    "matrix/matrix_refs.py",
    "matrix/matrix_channels.py",
)


def cache_dir(environ: Mapping[str, str]) -> Path:
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV]).expanduser()
    from escalate_cli.core.locations import user_dir

    return user_dir("cache")


def code_files() -> list[Path]:
    """The files of MODEL_CODE, under core/."""
    core = Path(__file__).parent.parent
    return [core / name for name in MODEL_CODE]


def _sources(raw: bytes) -> tuple[bytes, ...]:
    """What a validated matrix depends on: the code that defines and checks the model, and the
    file."""
    return (*(path.read_bytes() for path in code_files()), raw)


def load(path: str | os.PathLike[str], environ: Mapping[str, str] = os.environ) -> Matrix:
    """The matrix at `path`, validated once per version of the file."""
    # The C unpickler itself: `pickle` would also build the pure-Python one (~1.1 ms).
    from _pickle import loads

    from escalate_cli.core.matrix.model import Matrix

    filename = os.fspath(path)
    raw = read_matrix_bytes(filename)  # MatrixError names the file when it cannot be a matrix
    sources = _sources(raw)
    folder = cache_dir(environ)
    safe = _safe_folder(folder)
    entry = _entry(safe, sources)
    if entry is not None and _head(entry, sources) is not None:  # else rebuilt: see cached_head
        with contextlib.suppress(Exception):
            # Anything wrong with a cache file (truncated, foreign) means: rebuild it.
            _, _, pickled = entry.partition(b"\n")
            built_from, found = loads(pickled)
            if built_from == sources and isinstance(found, Matrix):
                return found
    matrix = _validated(raw, filename)
    if safe is not None or not _exists(folder):
        with contextlib.suppress(OSError):
            _store(folder, folder / _entry_name(sources), sources, matrix)
    return matrix


class Head(NamedTuple):
    """What the first line of a cache entry tells of its matrix."""

    name: str  # its `name:` ("" when it has none): whose a case is
    digest: str  # Matrix.digest: under which rules a wake was worked out


def cached_head(
    path: str | os.PathLike[str], environ: Mapping[str, str] = os.environ
) -> Head | None:
    """The name and digest of the matrix at `path` from the first line of its cache entry,
    read without unpickling the matrix or importing its model, zoneinfo or pickle (~4 ms of
    imports): enough for `show` to tell whose a case is, and for `list` to read the wakes of
    cases nothing needs working out for. None when no usable entry was built from the file as
    it is now."""
    sources = _sources(read_matrix_bytes(os.fspath(path)))
    entry = _entry(_safe_folder(cache_dir(environ)), sources)
    return None if entry is None else _head(entry, sources)


def _head(entry: bytes, sources: tuple[bytes, ...]) -> Head | None:
    """The head of an entry built from `sources`; None if its first line is not one (an entry
    written before it held the digest, or damaged)."""
    with contextlib.suppress(Exception):
        fingerprint, told = entry.partition(b"\n")[0].split(b" ", 1)
        found = orjson.loads(told)
        if fingerprint == _fingerprint(sources) and isinstance(found, dict):
            name, digest = found.get("name"), found.get("digest")
            if isinstance(name, str) and isinstance(digest, str):
                return Head(name, digest)
    return None


def _entry(safe: Path | None, sources: tuple[bytes, ...]) -> bytes | None:
    """The bytes of the entry built from `sources`, when `safe` is a folder to read it from
    and it holds one that only this user could have written; None otherwise."""
    if safe is None:
        return None
    try:
        return _read_own_file(safe, _entry_name(sources))
    except OSError:
        return None


def _fingerprint(sources: tuple[bytes, ...]) -> bytes:
    """A second checksum and the size of what an entry was built from: with the CRC in its
    file name, a header that matches them is the entry's own (`load` compares every byte)."""
    joined = b"".join(sources)
    return b"%08x:%d" % (zlib.adler32(joined), len(joined))


def _entry_name(sources: tuple[bytes, ...]) -> str:
    return f"matrix-{zlib.crc32(b''.join(sources)):08x}.pickle"


def _validated(raw: bytes, filename: str) -> Matrix:
    from escalate_cli.core.matrix.loader import load_matrix_bytes

    return load_matrix_bytes(raw, filename)  # the very bytes the entry is keyed by


def _exists(folder: Path) -> bool:
    return os.path.lexists(folder)


def _own_and_private(info: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else: what no other user could have planted."""
    if not hasattr(os, "geteuid"):  # Windows: no owner or mode bits here; its ACLs decide
        return True
    return info.st_uid == os.geteuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _safe_folder(folder: Path) -> Path | None:
    """`folder` when only this user could have written into it: a real directory (not a
    symlink), owned by this user, not writable by group or others. None otherwise, or when it
    does not exist: then no entry is read from it."""
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or not _own_and_private(info):
        return None
    return folder


def _read_own_file(folder: Path, name: str) -> bytes:
    """The bytes of an entry, only if it is a regular file (not a symlink) owned by this user
    and writable by nobody else; OSError otherwise. The folder is opened without following a
    symlink and checked again through its descriptor, so nothing can be swapped in between."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    directory = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow)
    try:
        info = os.fstat(directory)
        if not stat.S_ISDIR(info.st_mode) or not _own_and_private(info):
            raise PermissionError(f"{folder} could be written by someone else")
        handle = os.open(name, os.O_RDONLY | nofollow | os.O_NONBLOCK, dir_fd=directory)
    finally:
        os.close(directory)
    with os.fdopen(handle, "rb") as entry:
        info = os.fstat(entry.fileno())
        if not stat.S_ISREG(info.st_mode) or not _own_and_private(info):
            raise PermissionError(f"{folder / name} could be written by someone else")
        return entry.read()


def _store(folder: Path, target: Path, sources: tuple[bytes, ...], matrix: Matrix) -> None:
    import pickle
    import tempfile  # only a cache miss writes

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if _safe_folder(folder) is None:
        return  # someone else's folder, or one others may write: leave it alone
    # Every look-up the matrix works out on first use is worked out now and pickled with it,
    # so that commands reading the entry skip them: the digest alone cost `list` ~0.5 ms.
    for name, member in vars(type(matrix)).items():
        if isinstance(member, cached_property):
            getattr(matrix, name)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".matrix-", suffix=".tmp")  # 0600
    try:
        with os.fdopen(handle, "wb") as out:
            # A first line with the matrix's name and digest for `cached_head`, then the pickle.
            head = {"name": matrix.name or "", "digest": matrix.digest}
            out.write(b"%s %s\n" % (_fingerprint(sources), orjson.dumps(head)))
            pickle.dump((sources, matrix), out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    older = sorted(folder.glob("matrix-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in older[KEEP:]:
        with contextlib.suppress(OSError):
            stale.unlink()
