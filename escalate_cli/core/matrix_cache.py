"""The validated matrix cached by the bytes of its file, so most commands never start pydantic.

Validation costs ~150 ms of imports (pydantic, yaml) on every command; a pickled copy of the
frozen dataclasses loads in a millisecond. The key is a hash of the file's bytes and of the
code that defines the model, so an edited matrix or an upgraded escalate is never served stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Mapping
from pathlib import Path

from escalate_cli.core import hours, model, timing
from escalate_cli.core.model import Matrix

CACHE_ENV = "ESCALATE_CACHE_DIR"
KEEP = 16  # cached matrices kept; older ones are removed when a new one is written


def cache_dir(environ: Mapping[str, str]) -> Path:
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("escalate", appauthor=False))


def _code_fingerprint() -> bytes:
    digest = hashlib.sha256()
    for module in (model, timing, hours):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.digest()


def load(path: str | os.PathLike[str], environ: Mapping[str, str] = os.environ) -> Matrix:
    """The matrix at `path`, validated once per version of the file."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return _validated(path)  # says what is wrong with the file, with its name
    key = hashlib.sha256(_code_fingerprint() + raw).hexdigest()[:40]
    folder = cache_dir(environ)
    cached = folder / f"matrix-{key}.pickle"
    with contextlib.suppress(Exception):
        # Anything wrong with a cache file (truncated, foreign, unreadable) means: rebuild it.
        found = pickle.loads(cached.read_bytes())
        if isinstance(found, Matrix):
            return found
    matrix = _validated(path)
    with contextlib.suppress(OSError):
        _store(folder, cached, matrix)
    return matrix


def _validated(path: str | os.PathLike[str]) -> Matrix:
    from escalate_cli.core.matrix import load_matrix

    return load_matrix(path)


def _store(folder: Path, target: Path, matrix: Matrix) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".matrix-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump(matrix, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    older = sorted(folder.glob("matrix-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in older[KEEP:]:
        with contextlib.suppress(OSError):
            stale.unlink()
