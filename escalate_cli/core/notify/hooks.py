"""Hooks in Taskwarrior's manner: the matrix's commands for a case event, the case JSON on stdin."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from escalate_cli.core.cases.document import Case
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.text.visible import dumps

# The timeline event kinds that start a hook; `on_change` runs for every write of a case.
HOOK_OF_KIND = {
    "opened": "on_open",
    "escalated": "on_escalate",
    "acknowledged": "on_acknowledge",
    "update": "on_update",
    "held": "on_hold",
    "resumed": "on_resume",
    "resolved": "on_resolve",
    "closed": "on_close",
    "reopened": "on_reopen",
    "breached": "on_breach",
    "step": "on_step",
}


@dataclass(frozen=True)
class HookJob:
    """One hook to run for one case once the change is saved; `stdin` is the case as saved."""

    hook: str
    case: str
    commands: tuple[tuple[str, ...], ...]
    stdin: bytes


def jobs(matrix: Matrix, case: Case, added: Sequence[int]) -> list[HookJob]:
    """The hooks the timeline events at the indices `added` call for, each once, in order."""
    kinds = [case["timeline"][index]["kind"] for index in added]
    if not kinds:
        return []
    names = [*dict.fromkeys(HOOK_OF_KIND[kind] for kind in kinds if kind in HOOK_OF_KIND)]
    wanted = [(name, getattr(matrix.hooks, name)) for name in (*names, "on_change")]
    if not any(commands for _, commands in wanted):
        return []
    stdin = (dumps(case) + "\n").encode()  # JSON escapes for controls and bidi
    return [HookJob(name, case["id"], commands, stdin) for name, commands in wanted if commands]


def secret_names(matrix: Matrix) -> set[str]:
    """The environment variables the matrix's channels read secrets from (user names and URLs
    too: a Slack URL is a secret itself). No hook or command channel sees them."""
    return {
        name
        for channel in matrix.channels.values()
        for name in (
            channel.username_env,
            channel.password_env,
            channel.url_env,
            channel.secret_env,
        )
        if name
    }


def run(
    matrix: Matrix, found: list[HookJob], env: Mapping[str, str], base: Path | None
) -> list[str]:
    """Run every hook; return one line per hook that failed (a failure is never fatal)."""
    from escalate_cli.core.notify import programs

    timeout = (
        matrix.hooks.timeout.total_seconds() if matrix.hooks.timeout else programs.DEFAULT_TIMEOUT_S
    )
    failures = []
    secrets = secret_names(matrix)
    for job in found:
        extra = {"ESCALATE_HOOK": job.hook, "ESCALATE_CASE": job.case}
        clean = programs.clean_env(env, secrets, extra)
        for argv in job.commands:
            try:
                programs.run(argv, job.stdin, timeout=timeout, env=clean, base=base)
            except programs.ProgramFailed as error:
                failures.append(f"hook {job.hook} for {job.case} failed: {error}")
    return failures
