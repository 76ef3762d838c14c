"""Every command has help text and a place in the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from escalate_cli.cli import app
from tests.conftest import ROOT, Cli

README = (ROOT / "README.md").read_text()


def command_paths(command: object, prefix: str = "escalate") -> Iterator[tuple[str, object]]:
    subcommands = getattr(command, "commands", {})
    for name, sub in subcommands.items():
        path = f"{prefix} {name}"
        yield path, sub
        yield from command_paths(sub, path)


def test_every_command_has_help_and_is_in_the_readme() -> None:
    found = dict(command_paths(typer.main.get_command(app)))
    assert "escalate open" in found and "escalate matrix validate" in found
    for path, command in found.items():
        assert (getattr(command, "help", None) or "").strip(), f"{path} has no help text"
        assert f"`{path}" in README, f"{path} is missing from the README"


def test_readme_opens_with_the_two_commands() -> None:
    blocks = README.split("```")
    first, second = blocks[1], blocks[3]
    assert "escalate demo" in first
    assert "pytest" in second
    assert second.strip().split("\n", 1)[1] in (ROOT / ".ci" / "run").read_text()


def test_command_help_opens_with_a_summary_and_an_example(cli: Cli) -> None:
    for path in ("open", "list", "show", "who", "init"):
        text = cli(path, "--help").stdout
        assert "Example: escalate" in text, path


def test_the_readme_walkthrough_is_the_demo_as_it_runs(cli: Cli) -> None:
    shown = README.split("## A case from open to learn", 1)[1].split("```text\n", 1)[1]
    shown = shown.split("\n(... and the timeline", 1)[0]
    result = cli("demo")
    for note in result.stderr.splitlines():  # the README shows stderr where a terminal would
        shown = shown.replace(note + "\n", "", 1)
    out = result.stdout.replace(str(ROOT / "escalate_cli" / "matrices"), "matrices")
    ran = "\n".join(line.rstrip() for line in out.split("\nTimeline\n", 1)[0].splitlines()[1:])
    assert shown == ran, "README walkthrough is stale: paste the output of `escalate demo`"


def python_blocks(text: str) -> list[str]:
    return [
        block.split("\n", 1)[1] for block in text.split("```")[1::2] if block.startswith("python")
    ]


def test_the_python_api_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from escalate_cli.cli.demo import bundled_matrix

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCALATE_NOW")
    (tmp_path / "escalation.yaml").write_text(bundled_matrix().read_text())
    api = (ROOT / "docs" / "python-api.md").read_text()
    readme = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    for number, block in enumerate([*python_blocks(api), *python_blocks(readme)], 1):
        exec(compile(block, f"example {number}", "exec"), {})
        assert f"ESC-{number}" in (tmp_path / "cases.json").read_text()
    assert "warning:" not in capsys.readouterr().out
