"""`escalate watch` in a real terminal: tmux runs it at 80x24 in a detached session, another
process opens a case, and `q` (or Ctrl-C) hands the terminal back to the shell.

tmux must be installed (`.ci/run` installs it when missing; locally `apt-get install -y tmux`):
this test installs nothing and never skips.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BASIC_MATRIX

ESCALATE = [sys.executable, "-m", "escalate_cli"]


class Tmux:
    """One tmux server of our own (its own socket, no config), one 80x24 session in it."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.base = ["tmux", "-L", socket, "-f", os.devnull]
        self.env = env

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*self.base, *args], env=self.env, capture_output=True, text=True, timeout=10
        )
        assert done.returncode == 0, f"tmux {args[0]}: {done.stderr}"
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "board")

    def wait_for(self, wanted: Callable[[str], bool], what: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if wanted(shown):
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not on the screen after {timeout:g} s:\n{shown}")
            time.sleep(0.05)

    def command(self) -> str:
        """The program in the foreground of the pane."""
        return self.run("display-message", "-p", "-t", "board", "#{pane_current_command}").strip()


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    assert shutil.which("tmux"), "tmux is needed: apt-get install -y tmux (.ci/run installs it)"
    env = {
        **os.environ,
        "ESCALATE_STORE": str(tmp_path / "store" / "cases.json"),
        "ESCALATE_MATRIX": str(BASIC_MATRIX),
        "ESCALATE_NOW": "2026-11-23T10:00:00Z",
        "TZ": "UTC",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm-256color",
    }
    env.pop("NO_COLOR", None)  # colour on, as a team lead sees it (capture-pane drops it)
    env.pop("COLUMNS", None)  # the terminal's width decides
    env.pop("LINES", None)
    server = Tmux(f"escalate-watch-{os.getpid()}-{time.monotonic_ns()}", env)
    shell = "env PS1='$ ' " + ("bash --norc --noprofile" if shutil.which("bash") else "sh")
    server.run("new-session", "-d", "-s", "board", "-x", "80", "-y", "24", shell)
    socket = Path(server.run("display-message", "-p", "#{socket_path}").strip())
    try:
        yield server
    finally:
        subprocess.run([*server.base, "kill-server"], env=env, capture_output=True, timeout=10)
        socket.unlink(missing_ok=True)  # the server leaves it behind


def escalate(tmux: Tmux, *args: str) -> str:
    done = subprocess.run(
        [*ESCALATE, *args], env=tmux.env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_watch(tmux: Tmux) -> str:
    """Type `escalate watch` at the shell's prompt; the first frame once it is up."""
    tmux.wait_for(lambda shown: "$" in shown, "the shell's prompt")
    line = f"{shlex.join([*ESCALATE, 'watch'])}; echo exited=$?"
    tmux.run("send-keys", "-t", "board", line, "Enter")
    return tmux.wait_for(lambda shown: "(q quits)" in shown, "the board", timeout=15)


def test_the_board_shows_a_case_opened_elsewhere_within_two_seconds_and_q_leaves(
    tmux: Tmux,
) -> None:
    title = "Checkout fails for all EU customers since the nine o'clock deploy"
    escalate(tmux, "open", title, "--severity", "sev1")
    shown = start_watch(tmux)
    lines = shown.splitlines()
    assert lines[0].startswith("1 active case  2026-11-23 10:00:")
    assert lines[1].split() == ["case", "sev", "level", "next", "due", "owner", "status", "title"]
    assert lines[2].split()[:7] == ["ESC-1", "sev1", "L2", "L3", "in", "14m", "sam"]
    assert all(len(line) <= 80 for line in lines)
    assert title not in shown  # cut short to fit 80 columns

    escalate(tmux, "open", "Printer on fire", "-q")  # another process, as a colleague would
    opened = time.monotonic()
    shown = tmux.wait_for(lambda shown: "ESC-2" in shown, "the case opened elsewhere", 5.0)
    assert time.monotonic() - opened < 2.0, "the board took more than 2 s to show the change"
    assert shown.splitlines()[0].startswith("2 active cases")

    escalate(tmux, "acknowledge", "2", "--now", "2026-11-23T10:00:30Z")
    tmux.wait_for(lambda shown: "acknowledged" in shown, "the acknowledgement", 2.0)

    tmux.run("send-keys", "-t", "board", "q")
    # The shell prints its prompt a moment after the exit status: waited for, not raced.
    shown = tmux.wait_for(
        lambda shown: "exited=0" in shown and shown.rstrip().splitlines()[-1].strip() == "$",
        "the shell's prompt after q",
    )
    assert "active case" not in shown  # the board's screen is gone, the shell's is back
    assert tmux.command() in ("bash", "sh")


def stop_with_sigterm(tmux: Tmux) -> None:
    """SIGTERM to the board: the one process the pane's shell is running."""
    shell = int(tmux.run("display-message", "-p", "-t", "board", "#{pane_pid}"))
    found = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(shell)], capture_output=True, text=True, timeout=10
    )
    (pid,) = found.stdout.split()
    os.kill(int(pid), signal.SIGTERM)


@pytest.mark.parametrize("way", ["C-c", "SIGTERM"])
def test_ctrl_c_and_sigterm_leave_the_board_cleanly_with_exit_0(tmux: Tmux, way: str) -> None:
    start_watch(tmux)
    if way == "SIGTERM":
        stop_with_sigterm(tmux)
    else:
        tmux.run("send-keys", "-t", "board", way)
    shown = tmux.wait_for(lambda shown: "exited=0" in shown, f"the shell after {way}")
    assert "aborted" not in shown and "Traceback" not in shown
    assert "active case" not in shown
    tmux.run("send-keys", "-t", "board", "stty -a | grep -o -- '-\\?icanon' | head -1", "Enter")
    tmux.wait_for(lambda shown: "\nicanon" in shown, "the terminal back in canonical mode")


def test_list_fits_an_80_column_terminal_one_line_per_case(tmux: Tmux) -> None:
    long = "Checkout fails for all EU customers since the nine o'clock deploy went out to prod"
    escalate(tmux, "open", long, "--severity", "sev1")
    escalate(tmux, "open", "Printer on fire")
    tmux.wait_for(lambda shown: "$" in shown, "the shell's prompt")
    tmux.run("send-keys", "-t", "board", f"{shlex.join([*ESCALATE, 'list'])}; echo done", "Enter")
    shown = tmux.wait_for(lambda screen: "\ndone" in screen, "the list")
    rows = [line for line in shown.splitlines() if line.startswith(("id ", "ESC-"))]
    assert len(rows) == 3 and all(len(row) <= 80 for row in rows)
    assert rows[1].startswith("ESC-1") and rows[1].endswith("…")  # the title cut last
    assert rows[2].endswith("Printer on fire")
