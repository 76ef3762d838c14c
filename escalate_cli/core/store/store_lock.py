"""The store's write lock: fair, blocking, and bounded by a timeout."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType


class _LockTimeout(TimeoutError):
    pass


@contextmanager
def exclusive(lock_path: Path, timeout: float) -> Iterator[None]:
    """Sleep in flock(LOCK_EX), which the kernel ends the moment the lock frees, and let SIGALRM
    end it on timeout: polling with 50 ms sleeps starved waiters for 20-66 s with 20 processes.
    Raises TimeoutError when the lock stays taken for `timeout` seconds."""
    if (  # SIGALRM needs the main thread, a timeout, and no timer of someone else's to clobber
        sys.platform == "win32"
        or timeout == 0
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] != 0
    ):
        from filelock import FileLock  # polls, but works in any thread and on Windows

        with FileLock(lock_path, timeout=timeout, mode=0o600):
            yield
        return
    import fcntl

    waiting = True

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if waiting:  # an alarm landing just after the flock returned is ignored
            raise _LockTimeout

    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            waiting = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
        yield
    finally:
        os.close(fd)  # releases the flock
