"""The installed command in real processes: entry points, pipes, and many writers at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import BASIC_MATRIX, FIXED_NOW, run_python

ESCALATE = str(Path(sys.executable).with_name("escalate"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ESCALATE, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=60
    )


def test_console_script_and_module_agree() -> None:
    script = run("--version")
    module = subprocess.run(
        [sys.executable, "-m", "escalate_cli", "--version"], capture_output=True, text=True
    )
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout
    assert script.stdout.startswith("escalate ")


def test_quiet_id_in_a_shell_pipeline(tmp_path: Path) -> None:
    script = f'id=$("{ESCALATE}" open "Printer on fire" -q) && "{ESCALATE}" show "$id" --json'
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "ESC-1"


def test_errors_are_one_line_on_stderr_in_a_real_process() -> None:
    done = run("show", "ESC-404")
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_twenty_processes_opening_at_once_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path / "race" / "cases.json"
    env = dict(os.environ, ESCALATE_STORE=str(store), ESCALATE_MATRIX=str(BASIC_MATRIX))
    env["ESCALATE_NOW"] = FIXED_NOW

    def open_one(index: int) -> subprocess.CompletedProcess[str]:
        return run("open", f"case {index}", "-q", env=env)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(open_one, range(20)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    ids = sorted(r.stdout.strip() for r in results)
    assert ids == sorted(f"ESC-{n}" for n in range(1, 21))
    listed = json.loads(run("list", "--json", env=env).stdout)
    assert sorted(case["title"] for case in listed) == sorted(f"case {i}" for i in range(20))


def test_shell_completion_offers_case_ids_from_the_store() -> None:
    run("open", "Printer on fire", "-q")
    run("open", "Checkout down", "-q")
    env = dict(os.environ, _ESCALATE_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="escalate who E")
    done = run(env=env)
    assert done.returncode == 0
    assert '"ESC-1":"Printer on fire"' in done.stdout
    assert '"ESC-2":"Checkout down"' in done.stdout
    commands = dict(os.environ, _ESCALATE_COMPLETE="complete_bash")
    commands.update(COMP_WORDS="escalate sw", COMP_CWORD="1")
    assert run(env=commands).stdout.split() == ["sweep"]


def completed(words: str) -> str:
    env = dict(os.environ, _ESCALATE_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS=words)
    done = run(env=env)
    assert done.returncode == 0 and done.stderr == ""
    return done.stdout


def test_shell_completion_offers_the_matrix_ids_and_the_store_tags() -> None:
    run("open", "Printer on fire", "-q")
    run("edit", "ESC-1", "--tag", "hardware")
    assert '"L2"' in completed("escalate up ESC-1 --to L") and '"L4"' in completed(
        "escalate down ESC-1 --to L"
    )
    assert '"sev1"' in completed("escalate open x --severity s")
    assert '"dana"' in completed("escalate assign ESC-1 d") and '"sam"' not in completed(
        "escalate assign ESC-1 d"
    )
    assert '"security"' in completed("escalate route ESC-1 --path s")
    assert '"hardware"' in completed("escalate list --tag h")


def test_shell_completion_offers_the_words_an_option_takes() -> None:
    assert '"severity"' in completed("escalate list --sort s")
    assert '"acknowledged"' in completed("escalate list --status a")
    assert '"on_hold"' in completed("escalate search fire --status o")
    assert '"failed"' in completed("escalate outbox --status f")
    assert '"frontline"' not in completed("escalate list --sort ")
    assert '"severity"' in completed("escalate metrics --by s")
    assert '"frontline"' not in completed("escalate metrics --by ")  # not --by CONTACT here
    assert '"month"' in completed("escalate metrics --period m")


def test_completion_survives_a_corrupt_store(tmp_path: Path) -> None:
    store = tmp_path / "store" / "cases.json"
    store.parent.mkdir(parents=True)
    store.write_text("{not json")
    env = dict(os.environ, _ESCALATE_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="escalate who E")
    done = run(env=env)
    assert done.returncode == 0
    assert "Traceback" not in done.stderr


# Runs the app as the console script does, then reports what an exit that skips the
# interpreter's teardown (cli._leave) would skip: callbacks registered to run at exit, and
# threads still running.
AT_EXIT = """
import atexit, sys, threading
from escalate_cli.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write(f"{atexit._ncallbacks()} {threading.active_count()}\\n")
"""


def test_commands_leave_nothing_for_the_teardown_they_skip() -> None:
    opened = run("open", "Printer on fire", "-q").stdout.strip()
    commands = (["list"], ["show", opened], ["acknowledge", opened], ["sweep"], ["brief", opened])
    for command in commands:
        done = run_python(AT_EXIT, *command)
        assert done.stderr.splitlines()[-1] == "0 1", (command, done.stderr)


def test_output_is_whole_and_a_reader_gone_early_is_no_failure() -> None:
    for n in range(12):
        run("open", f"Printer {n} on fire", "-q")
    listed = run("list")
    assert listed.returncode == 0 and listed.stderr == ""
    assert len(listed.stdout.splitlines()) == 13 and listed.stdout.endswith("fire\n")
    # A reader that has gone before the output is written: the write fails with EPIPE, which
    # is no failure of escalate's (exit 1 would say it is a bug).
    gone = subprocess.Popen(
        [ESCALATE, "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert gone.stdout is not None and gone.stderr is not None
    gone.stdout.close()
    assert gone.stderr.read() == ""
    assert gone.wait(timeout=60) == 0
