"""The validated matrix cached beside the bytes it came from, so most commands never start pydantic.

Validation costs ~150 ms of imports (pydantic, yaml) on every command; a pickled copy of the
frozen dataclasses loads in a millisecond. Each entry holds the file's bytes and the code that
defines and validates the model, and is served only when both are unchanged, so an edited matrix
or an upgraded escalate is never served stale. Entries are named by a CRC of those bytes rather
than a SHA-256: hashlib would start OpenSSL (~5 ms) on every command, and two files sharing a CRC
only share an entry, which the comparison rejects and rebuilds.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import zlib
from collections.abc import Mapping
from pathlib import Path

from escalate_cli.core import model
from escalate_cli.core.matrix_file import read_matrix_bytes
from escalate_cli.core.model import Matrix

CACHE_ENV = "ESCALATE_CACHE_DIR"
KEEP = 16  # cached matrices kept; older ones are removed when a new one is written
# The modules a validated matrix depends on: the model, its parsers, and the checks that decide
# whether a file is valid at all (read by path, so a cache hit imports none of the validators).
MODEL_CODE = (
    "model.py",
    "timing.py",
    "hours.py",
    "matrix.py",
    "matrix_file.py",
    "matrix_refs.py",
    "matrix_channels.py",
)


def cache_dir(environ: Mapping[str, str]) -> Path:
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("escalate", appauthor=False))


def code_files() -> list[Path]:
    """The files of MODEL_CODE, beside core/model.py."""
    here = Path(str(model.__file__)).parent
    return [here / name for name in MODEL_CODE]


def _sources(raw: bytes) -> tuple[bytes, ...]:
    """What a validated matrix depends on: the code that defines and checks the model, and the
    file."""
    return (*(path.read_bytes() for path in code_files()), raw)


def load(path: str | os.PathLike[str], environ: Mapping[str, str] = os.environ) -> Matrix:
    """The matrix at `path`, validated once per version of the file."""
    filename = os.fspath(path)
    raw = read_matrix_bytes(filename)  # MatrixError names the file when it cannot be a matrix
    sources = _sources(raw)
    folder = cache_dir(environ)
    cached = folder / f"matrix-{zlib.crc32(b''.join(sources)):08x}.pickle"
    with contextlib.suppress(Exception):
        # Anything wrong with a cache file (truncated, foreign, unreadable) means: rebuild it.
        built_from, found = pickle.loads(cached.read_bytes())
        if built_from == sources and isinstance(found, Matrix):
            return found
    matrix = _validated(raw, filename)
    with contextlib.suppress(OSError):
        _store(folder, cached, (sources, matrix))
    return matrix


def _validated(raw: bytes, filename: str) -> Matrix:
    from escalate_cli.core.matrix import load_matrix_bytes

    return load_matrix_bytes(raw, filename)  # the very bytes the entry is keyed by


def _store(folder: Path, target: Path, entry: tuple[tuple[bytes, ...], Matrix]) -> None:
    import tempfile  # only a cache miss writes

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".matrix-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(entry, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    older = sorted(folder.glob("matrix-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in older[KEEP:]:
        with contextlib.suppress(OSError):
            stale.unlink()
