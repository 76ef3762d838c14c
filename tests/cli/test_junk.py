"""Junk on the command line never gets a traceback or a bug's exit code."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from escalate_cli.cli import app
from escalate_cli.core.cases.document import parse_case_ref
from escalate_cli.core.errors import EscalateError

COMMANDS = ["open", "list", "show", "who", "next", "up", "sweep", "simulate", "hold", "resume"]
COMMANDS += ["acknowledge", "update", "resolve", "close", "reopen", "init", "matrix", "validate"]
COMMANDS += ["gather", "assess", "convene", "brainstorm", "implement", "learn", "brief", "report"]
COMMANDS += ["metrics", "show", "--ask", "--format", "--since", "--option", "--choose", "--done"]
WORDS = st.one_of(
    st.sampled_from(COMMANDS),
    st.sampled_from(["--json", "--now", "--store", "--matrix", "--to", "--until", "--severity"]),
    st.sampled_from(["ESC-1", "1", "0", "-1", "ESC-", "L9", "sev1", "2h", "--", "-q", "x=y"]),
    st.text(max_size=12),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(WORDS, max_size=6))
def test_junk_arguments_exit_with_a_documented_code(args: list[str]) -> None:
    runner = CliRunner()
    runner.invoke(app, ["open", "seed", "-q"])
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 2, 3, 4, 5), (args, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code:
        assert len(result.stderr.strip().splitlines()) <= 1, (args, result.stderr)


@given(st.text(max_size=30))
def test_case_refs_parse_or_fail_cleanly(ref: str) -> None:
    try:
        prefix, number = parse_case_ref(ref)
    except EscalateError:
        return
    assert number >= 1
    assert ref.strip().endswith(str(number))
    assert prefix is None or ref.strip().startswith(prefix)
