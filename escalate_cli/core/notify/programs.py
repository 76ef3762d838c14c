"""Running a local program for a hook or a command channel: an argument list, never a shell,
with escalate's secrets out of its environment, and only from a matrix nobody else can change."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

DEFAULT_TIMEOUT_S = 30.0
# Secrets escalate itself reads, named in the README's examples and by section 8 (libpq).
KNOWN_SECRETS = frozenset(
    {
        "ESCALATE_SMTP_USER",
        "ESCALATE_SMTP_PASSWORD",
        "ESCALATE_CHAT_URL",
        "ESCALATE_CHAT_SECRET",
        "PGPASSWORD",
    }
)
_LAST_WORDS = 4096  # how much of a failing program's stderr is read for its last line


class ProgramFailed(Exception):
    """The program could not run, timed out or exited non-zero; the message is one line."""


def resolve(argv: Sequence[str], base: Path | None) -> list[str]:
    """`./hooks/post.py` is found beside the matrix that names it; `notify-send` on PATH."""
    program = argv[0]
    if base is not None and "/" in program and not os.path.isabs(program):
        program = str(base / program)
    return [program, *argv[1:]]


def clean_env(
    env: Mapping[str, str], secrets: Iterable[str], extra: Mapping[str, str]
) -> dict[str, str]:
    """The environment a program gets: `env` without `secrets` (and KNOWN_SECRETS), plus `extra`.
    PATH, HOME, LANG, TZ and the user's own variables stay."""
    hidden = KNOWN_SECRETS | set(secrets)
    return {**{k: v for k, v in env.items() if k not in hidden}, **extra}


def untrusted(
    path: Path, found: os.stat_result | None = None, *, uid: int | None = None
) -> str | None:
    """Why programs named in the matrix at `path` must not run, or None when they may: the file
    must belong to the user (`uid`, default: this process's) or root, and be writable by nobody
    else. `found` is its stat, for tests; by default the file's own (links followed)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # no owners and modes to trust (Windows): nothing to check
        return None
    uid = getuid() if uid is None else uid
    why = "so its hooks and command channels do not run"
    try:
        found = os.stat(path) if found is None else found
    except OSError as error:
        return f"cannot check who may change {path} ({error.strerror or error}), {why}"
    if found.st_uid not in (uid, 0):
        return (
            f"{path} is owned by uid {found.st_uid}, not by you (uid {uid}) or root,"
            f" {why} (chown {uid} {path})"
        )
    writers = [
        who
        for who, bit in (("its group", stat.S_IWGRP), ("others", stat.S_IWOTH))
        if found.st_mode & bit
    ]
    if writers:
        mode = stat.S_IMODE(found.st_mode)
        return (
            f"{path} is writable by {' and '.join(writers)} (mode {mode:04o}),"
            f" {why} (chmod go-w {path})"
        )
    return None


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
    Its stdin and stderr are unlinked temporary files, not pipes: the program is done when it
    exits, even when something it left running in the background still holds them.
    """
    args = resolve(argv, base)
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as said:
        given.write(stdin)
        given.seek(0)
        try:
            process = subprocess.Popen(
                args,
                stdin=given,
                stdout=subprocess.DEVNULL,
                stderr=said,
                env=dict(env),
                start_new_session=True,
            )
        except FileNotFoundError:
            raise ProgramFailed(f"{args[0]}: program not found") from None
        except OSError as error:
            raise ProgramFailed(f"{args[0]}: cannot run it ({error.strerror or error})") from None
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise ProgramFailed(f"{args[0]}: timed out after {timeout:g} s (stopped)") from None
        if code != 0:
            raise ProgramFailed(f"{args[0]}: exit {code}{_last_words(said)}")


def _last_words(said: IO[bytes]) -> str:
    """`: ` and the last line the program wrote to stderr, or nothing."""
    size = said.seek(0, os.SEEK_END)
    said.seek(max(0, size - _LAST_WORDS))
    last = said.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
    return f": {' '.join(last[0].split())[:200]}" if last[0] else ""


def _kill(process: subprocess.Popen[bytes]) -> None:
    killpg = getattr(os, "killpg", None)  # POSIX; elsewhere only the program itself stops
    try:
        if killpg is None:
            raise OSError
        killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    process.wait()
