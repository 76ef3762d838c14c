"""The README and the manual in docs/: every command has help text and a place in the manual,
every example shown runs as shown, and every link leads somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from escalate_cli.cli import app
from tests.conftest import ROOT, Cli

README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
ESCALATE = str(Path(sys.executable).with_name("escalate"))


def page(name: str) -> str:
    return (DOCS / name).read_text()


def section(text: str, heading: str) -> str:
    """The text under a `## ` heading, up to the next one."""
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def blocks(text: str, *languages: str) -> list[str]:
    """The bodies of the fenced blocks of these languages (every block when none is named)."""
    found = []
    for block in text.split("```")[1::2]:
        language, _, body = block.partition("\n")
        if not languages or language.strip() in languages:
            found.append(body)
    return found


def command_paths(command: object, prefix: str = "escalate") -> Iterator[tuple[str, object]]:
    subcommands = getattr(command, "commands", {})
    for name, sub in subcommands.items():
        path = f"{prefix} {name}"
        yield path, sub
        yield from command_paths(sub, path)


def only_prints_its_help(path: str) -> bool:
    """A group that, run alone, does nothing but print its help (or refuses to run)."""
    words = path.split()[1:]
    alone, helped = CliRunner().invoke(app, words), CliRunner().invoke(app, [*words, "--help"])
    return alone.exit_code != 0 or alone.stdout == helped.stdout


def test_every_command_has_help_and_is_in_the_manual() -> None:
    # docs/commands.md is the commands' own --help, so a command is only documented when a page
    # people wrote names it
    written = "\n".join(p.read_text() for p in PAGES if p.name != "commands.md")
    found = dict(command_paths(typer.main.get_command(app)))
    assert "escalate open" in found and "escalate matrix validate" in found
    for path, command in found.items():
        assert (getattr(command, "help", None) or "").strip(), f"{path} has no help text"
        children = list(getattr(command, "commands", {}))
        if children and only_prints_its_help(path):
            continue  # nothing of its own to document: its subcommands are checked
        # the exact name, across line breaks: `escalate outbox retry` is not `escalate outbox`
        beyond = "".join(rf"(?!\s+{re.escape(child)}(?![\w-]))" for child in children)
        name = r"\s+".join(map(re.escape, path.split()))
        exact = rf"(?<![\w-]){name}(?![\w-]){beyond}"
        assert re.search(exact, written), f"{path} is in no page of the manual"


def test_readme_opens_with_the_two_commands() -> None:
    first, second = blocks(README)[:2]
    assert "escalate demo" in first
    assert "pytest" in second
    assert second.strip() in (ROOT / ".ci" / "run").read_text()


def test_command_help_opens_with_a_summary_and_an_example(cli: Cli) -> None:
    for path in ("open", "list", "show", "who", "init"):
        text = cli(path, "--help").stdout
        assert "Example: escalate" in text, path


def test_usage_lines_name_arguments_plainly(cli: Cli) -> None:
    # Typer 0.28 writes a required argument as `{CASE}`, which reads as a set of choices.
    assert cli("note", "--help").stdout.startswith("Usage: escalate note [OPTIONS] CASE TEXT\n")
    assert "[OPTIONS] KEY VALUE\n" in cli("config", "set", "--help").stdout
    assert "[OPTIONS] [PATH...]\n" in cli("matrix", "validate", "--help").stdout
    usage = [line for line in page("commands.md").splitlines() if line.startswith("Usage:")]
    assert len(usage) > 30 and not [line for line in usage if "{" in line]


def test_the_getting_started_walkthrough_is_the_demo_as_it_runs(cli: Cli) -> None:
    shown = page("getting-started.md").split("## A case from open to learn", 1)[1]
    shown = shown.split("```text\n", 1)[1].split("\n(... and the timeline", 1)[0]
    result = cli("demo")
    for note in result.stderr.splitlines():  # the page shows stderr where a terminal would
        shown = shown.replace(note + "\n", "", 1)
    out = result.stdout.replace(str(ROOT / "escalate_cli" / "matrices"), "matrices")
    ran = "\n".join(line.rstrip() for line in out.split("\nTimeline\n", 1)[0].splitlines()[1:])
    assert shown == ran, "docs/getting-started.md is stale: paste the output of `escalate demo`"


def shell_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's environment, with this venv's `escalate` first on PATH and temp files kept
    under tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("ESCALATE_STORE", "ESCALATE_MATRIX")}
    env.update(PATH=f"{Path(ESCALATE).parent}{os.pathsep}{env['PATH']}", TMPDIR=str(tmp_path))
    env.update(extra)
    return env


def run_shell(script: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{script}\nexit {done.returncode}\n{done.stdout}{done.stderr}"
    return done.stdout


def test_the_readme_tour_runs_and_shows_no_output_to_go_stale(tmp_path: Path) -> None:
    tour = section(README, "A short tour")
    assert "```text" not in tour and "```console" not in tour
    (script,) = blocks(tour, "sh")
    run_shell(script, shell_env(tmp_path), ROOT)
    assert list(tmp_path.glob("*/cases.json")), "the tour's store was not where it said"


def test_the_readme_five_steps_work_as_written(tmp_path: Path) -> None:
    steps = section(README, "Write your own matrix")
    home = tmp_path / "home"
    home.mkdir()
    venv = str(Path(ESCALATE).parent.parent)
    clone = "/home/sam/escalate"  # what the README's cron and systemd lines name
    env = shell_env(tmp_path, HOME=str(home))
    for name in ("ESCALATE_CONFIG", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env.pop(name, None)  # the README's steps rely on the platform's default places
    # the README assumes the clone in ~/escalate: this one is at ROOT, its venv maybe elsewhere
    shell = "\n".join(blocks(steps, "sh")).replace("~/escalate/", f"{ROOT}/")
    shell = shell.replace("cd ~/escalate", f"cd {ROOT}").replace(".venv/bin/escalate", ESCALATE)
    run_shell(shell, env, tmp_path)
    assert (home / ".local" / "share" / "escalate" / "cases.json").exists()
    (cron,) = blocks(steps, "cron")
    command = cron.strip().split(None, 5)[5].replace(f"{clone}/.venv", venv)
    run_shell(command.replace("/home/sam", str(home)), env, tmp_path)
    assert "checked" in (home / "escalate-sweep.log").read_text()
    service = next(b for b in blocks(steps, "ini") if "ExecStart=" in b)
    exec_start = service.split("ExecStart=", 1)[1].split("\n", 1)[0]
    assert exec_start.startswith(f"{clone}/.venv/bin/escalate ")
    run_shell(exec_start.replace(f"{clone}/.venv", venv), env, tmp_path)


def test_the_python_api_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from escalate_cli.cli.demo import bundled_matrix

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESCALATE_NOW")
    (tmp_path / "escalation.yaml").write_text(bundled_matrix().read_text())
    examples = blocks(page("python-api.md"), "python")
    assert examples
    for number, block in enumerate(examples, 1):
        exec(compile(block, f"example {number}", "exec"), {})
        assert f"ESC-{number}" in (tmp_path / "cases.json").read_text()
    assert "warning:" not in capsys.readouterr().out


def anchors(text: str) -> set[str]:
    """The anchors GitHub makes of a page's headings (fenced blocks hold no headings)."""
    found: set[str] = set()
    for chunk in text.split("```")[::2]:
        for heading in re.findall(r"^#{1,6} (.+)$", chunk, flags=re.MULTILINE):
            slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            number = 0
            while (unique := slug if number == 0 else f"{slug}-{number}") in found:
                number += 1
            found.add(unique)
    return found


def test_every_relative_link_leads_to_a_file_and_heading_that_exist() -> None:
    broken = []
    for source in PAGES:
        text = source.read_text()
        for chunk in text.split("```")[::2]:
            for target in re.findall(r"\]\(([^)\s]+)\)", chunk):
                if re.match(r"[a-z]+:", target):
                    continue  # http(s) and mailto are not the manual's to check
                name, _, anchor = target.partition("#")
                linked = (source.parent / name).resolve() if name else source
                if not linked.exists():
                    broken.append(f"{source.relative_to(ROOT)}: {target}: no such file")
                elif anchor and anchor not in anchors(linked.read_text()):
                    broken.append(f"{source.relative_to(ROOT)}: {target}: no such heading")
    assert not broken, "\n".join(broken)
