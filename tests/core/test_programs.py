"""Tests for core.programs: hooks and command channels as real child processes, what they see,
and which matrix files may start them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalate_cli.core.cases.document import OpenRequest, new_case
from escalate_cli.core.matrix.loader import load_matrix_text
from escalate_cli.core.notify import delivery, hooks, outbox, programs
from tests.notify_servers import matrix_yaml

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SECRETS = {
    "ESCALATE_SMTP_PASSWORD": "smtp-pw",
    "SMTP_USER": "robot",
    "SMTP_PASSWORD": "s3cret",
    "CHAT_URL": "https://hooks.example/T0K3N",
    "CHAT_SECRET": "k3y",
}
KEPT = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/root", "LANG": "C.UTF-8"}
CHANNELS = """\
    channels:
      mail:
        kind: email
        host: 127.0.0.1
        from: escalations@acme.example
        username_env: SMTP_USER
        password_env: SMTP_PASSWORD
      chat: {kind: webhook, url_env: CHAT_URL, secret_env: CHAT_SECRET}
      pager: {kind: command, command: %s}
    """


@pytest.fixture
def groups() -> Iterator[list[int]]:
    """Process groups a test started and leaves behind: killed when it ends."""
    started: list[int] = []
    yield started
    for group in started:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)


def lingering(out: Path) -> list[str]:
    """A program that reads its stdin, says it was run, leaves `sleep 30` behind and exits 0."""
    script = 'cat >/dev/null; echo $$ >> "$0"; sleep 30 & exit 0'
    return ["/bin/sh", "-c", script, str(out)]


def test_a_program_that_leaves_a_background_child_is_done_when_it_exits(
    tmp_path: Path, groups: list[int]
) -> None:
    out = tmp_path / "ran"
    started = time.monotonic()
    programs.run(lingering(out), b"{}" * 100_000, timeout=10.0, env=KEPT)
    took = time.monotonic() - started
    groups.extend(int(line) for line in out.read_text().split())
    assert took < 5, f"waited {took:.1f} s for a program that had exited"


def test_a_hook_and_a_command_channel_that_leave_a_child_behind_are_done(
    tmp_path: Path, groups: list[int]
) -> None:
    out = tmp_path / "ran"
    argv = json.dumps(lingering(out))
    hook = f"hooks:\n  timeout: 10s\n  on_open: {argv}\n"
    pager = f"notify_via: [pager]\nchannels:\n  pager: {{kind: command, command: {argv}}}\n"
    matrix = load_matrix_text(matrix_yaml(pager, hooks=hook), "m.yaml")
    case = new_case(matrix, 1, OpenRequest("Lingering"), NOW)
    started = time.monotonic()
    assert hooks.run(matrix, hooks.jobs(matrix, case, [0]), KEPT, None) == []
    entry = outbox.entries_for(matrix, case, range(len(case["timeline"])), NOW)[0]
    delivery.send(matrix, entry, NOW, KEPT)
    took = time.monotonic() - started
    groups.extend(int(line) for line in out.read_text().split())
    assert len(groups) == 2 and took < 8, f"{took:.1f} s for two programs that had exited"


def environment_dump(out: Path) -> list[str]:
    code = (
        "import json, os, sys; sys.stdin.read()\n"
        "with open(sys.argv[1], 'a') as out: out.write(json.dumps(dict(os.environ)) + '\\n')"
    )
    return [sys.executable, "-c", code, str(out)]


def test_hooks_and_command_channels_never_see_the_channels_secrets(tmp_path: Path) -> None:
    out = tmp_path / "env.jsonl"
    argv = json.dumps(environment_dump(out))
    text = matrix_yaml(
        CHANNELS % argv,
        hooks=f"hooks:\n  on_open: {argv}\n",
        via={"frontline": "[pager]"},
    )
    matrix = load_matrix_text(text, "m.yaml")
    case = new_case(matrix, 1, OpenRequest("Secrets"), NOW)
    env = {**KEPT, "TZ": "Europe/London", "MY_TOOL_TOKEN": "mine", **SECRETS}
    assert hooks.run(matrix, hooks.jobs(matrix, case, [0]), env, None) == []
    (entry,) = outbox.entries_for(matrix, case, range(len(case["timeline"])), NOW)
    delivery.send(matrix, entry, NOW, env)
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(seen) == 2
    for environment in seen:
        assert not set(SECRETS) & set(environment), sorted(environment)
        for value in SECRETS.values():
            assert value not in json.dumps(environment)
        for name in (*KEPT, "TZ", "MY_TOOL_TOKEN", "ESCALATE_CASE"):
            assert environment[name] == {**env, "ESCALATE_CASE": "ESC-1"}[name]
    assert seen[0]["ESCALATE_HOOK"] == "on_open" and seen[1]["ESCALATE_EVENT_ID"] == entry["id"]


def fake_stat(mode: int, uid: int) -> os.stat_result:
    return os.stat_result((stat.S_IFREG | mode, 1, 1, 1, uid, 0, 10, 0, 0, 0))


@pytest.mark.parametrize(
    ("mode", "owner", "why"),
    [
        (0o644, 1000, None),
        (0o600, 1000, None),
        (0o755, 0, None),  # root's matrix may run programs for anyone
        (0o664, 1000, "is writable by its group (mode 0664)"),
        (0o646, 1000, "is writable by others (mode 0646)"),
        (0o666, 0, "is writable by its group and others (mode 0666)"),
        (0o644, 1001, "is owned by uid 1001, not by you (uid 1000) or root"),
    ],
)
def test_only_a_matrix_its_user_or_root_owns_and_nobody_else_can_write_may_run_programs(
    mode: int, owner: int, why: str | None
) -> None:
    path = Path("/srv/team/escalation.yaml")
    said = programs.untrusted(path, fake_stat(mode, owner), uid=1000)
    if why is None:
        assert said is None
        return
    fix = "chmod go-w" if "writable" in why else "chown 1000"
    assert said == f"{path} {why}, so its hooks and command channels do not run ({fix} {path})"


def test_the_real_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "escalation.yaml"
    path.write_text("version: 1\n")
    path.chmod(0o644)
    assert programs.untrusted(path) is None
    path.chmod(0o664)
    assert programs.untrusted(path) == (
        f"{path} is writable by its group (mode 0664), so its hooks and command channels"
        f" do not run (chmod go-w {path})"
    )
    assert "cannot check" in (programs.untrusted(tmp_path / "gone.yaml") or "")
