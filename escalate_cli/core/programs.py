"""Running a local program for a hook or a command channel: an argument list, never a shell."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

DEFAULT_TIMEOUT_S = 30.0


class ProgramFailed(Exception):
    """The program could not run, timed out or exited non-zero; the message is one line."""


def resolve(argv: Sequence[str], base: Path | None) -> list[str]:
    """`./hooks/post.py` is found beside the matrix that names it; `notify-send` on PATH."""
    program = argv[0]
    if base is not None and "/" in program and not os.path.isabs(program):
        program = str(base / program)
    return [program, *argv[1:]]


def run(
    argv: Sequence[str],
    stdin: bytes,
    *,
    timeout: float,
    env: Mapping[str, str],
    base: Path | None = None,
) -> None:
    """Run `argv` with `stdin`; ProgramFailed unless it exits 0 within `timeout` seconds.

    The program gets its own process group, so a timeout ends whatever it started too, and
    case data only ever reaches it on stdin: never in its arguments, never through a shell.
    """
    args = resolve(argv, base)
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=True,
        )
    except FileNotFoundError:
        raise ProgramFailed(f"{args[0]}: program not found") from None
    except OSError as error:
        raise ProgramFailed(f"{args[0]}: cannot run it ({error.strerror or error})") from None
    try:
        _, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise ProgramFailed(f"{args[0]}: timed out after {timeout:g} s (stopped)") from None
    if process.returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
        said = f": {' '.join(last[0].split())[:200]}" if last[0] else ""
        raise ProgramFailed(f"{args[0]}: exit {process.returncode}{said}")


def _kill(process: subprocess.Popen[bytes]) -> None:
    killpg = getattr(os, "killpg", None)  # POSIX; elsewhere only the program itself stops
    try:
        if killpg is None:
            raise OSError
        killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    process.communicate()
