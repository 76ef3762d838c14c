"""A matrix named by a path or by a git revision (`HEAD~1`, `main:escalation.yaml`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from escalate_cli.core.errors import MatrixError, MatrixProblem, UsageError
from escalate_cli.core.matrix.loader import load_matrix, load_matrix_bytes
from escalate_cli.core.matrix.matrix_file import MAX_BYTES
from escalate_cli.core.matrix.model import Matrix

GIT_TIMEOUT = 30  # seconds; a revision lookup is local and quick


def load_side(spec: str, file_at_revision: Path | None) -> tuple[str, Matrix]:
    """The matrix `spec` names and what messages call it.

    An existing file is read as such. Inside a git work tree, `REV:PATH` is that file at that
    revision and a bare revision is `file_at_revision` there. Anything else is a file, so a
    missing one is an invalid matrix (exit 4), as everywhere else. Paths are read from the
    working directory, as git reads `./PATH`."""
    cwd = Path.cwd()
    if spec.startswith("-"):
        raise UsageError(f'"{spec}": a matrix file or a git revision, not an option')
    if Path(spec).exists() or not _in_work_tree(cwd):
        return spec, load_matrix(spec)
    revision, colon, path = spec.partition(":")
    if not colon:
        if not _is_revision(spec, cwd):
            reason = "file not found, nor a revision of this git work tree"
            raise MatrixError([MatrixProblem(spec, None, "", reason)])
        if file_at_revision is None:
            raise UsageError(f"{spec}: which file at that revision? write {spec}:PATH")
        path = _relative(file_at_revision, cwd)
    label = f"{revision}:{path}"
    data = _git(["show", label], cwd)
    if len(data) > MAX_BYTES:
        reason = f"larger than {MAX_BYTES // 1024} KiB: not a matrix"
        raise MatrixError([MatrixProblem(label, None, "", reason)])
    return label, load_matrix_bytes(data, label)


def _relative(path: Path, cwd: Path) -> str:
    """`path` as git reads it relative to `cwd` in `REV:PATH` (`./x`, `../x`)."""
    shown = os.path.relpath(path.resolve(), cwd.resolve())
    return shown if shown.startswith("..") else f"./{shown}"


def _in_work_tree(cwd: Path) -> bool:
    try:
        found = _run(["rev-parse", "--is-inside-work-tree"], cwd)
    except FileNotFoundError:
        return False  # no git: every spec is a file
    return found.returncode == 0 and found.stdout.strip() == b"true"


def _is_revision(spec: str, cwd: Path) -> bool:
    return _run(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], cwd).returncode == 0


def _git(args: list[str], cwd: Path) -> bytes:
    """What git prints; its own complaint, one line, as a usage error (exit 2)."""
    found = _run(args, cwd)
    if found.returncode != 0:
        said = found.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args)}: {said[-1] if said else 'failed'}")
    return found.stdout


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=False, timeout=GIT_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"git {' '.join(args)}: no answer in {GIT_TIMEOUT}s") from None
