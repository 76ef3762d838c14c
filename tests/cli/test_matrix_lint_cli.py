"""`escalate matrix lint`, `matrix validate` on several files, and `escalate oncall`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, Cli

# Neither command reads the store: the JSON one is enough.
pytestmark = pytest.mark.json_store

SUPPORT = str(ROOT / "matrices" / "support.yaml")

FLAWED = """\
version: 1
timezone: UTC
contacts:
  - id: ann
    email: ann@example.com
    hours: "Mon-Fri 09:00-17:00"
  - id: bob
levels:
  - id: L1
    contacts: [ann]
  - id: L2
    contacts: [bob]
"""


def flawed(tmp_path: Path, text: str = FLAWED) -> str:
    path = tmp_path / "escalation.yaml"
    path.write_text(text)
    return str(path)


def test_findings_one_per_line_on_stderr_sorted_by_line(cli: Cli, tmp_path: Path) -> None:
    path = flawed(tmp_path)
    result = cli("matrix", "lint", path)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:7: L103 contact bob has no email, phone, chat or webhook or command channel:"
        " nobody can reach them",
        f"{path}:10: L101 level L1 has nobody available Mon-Thu 17:00-09:00,"
        " Fri 17:00-Mon 09:00 (UTC)",
        f"{path}:11: L111 path default tops out at L2 with no external contacts and no repeat:"
        " a case nobody acknowledges there is told once, then waits",
        f"{path}: 3 findings",
    ]


def test_strict_exits_4_on_any_finding_and_0_when_clean(cli: Cli, tmp_path: Path) -> None:
    path = flawed(tmp_path)
    assert "3 findings" in cli("matrix", "lint", path, "--strict", code=4).stderr
    cli("matrix", "lint", SUPPORT, "--strict")


def test_json_lists_every_finding_with_its_key_path(cli: Cli, tmp_path: Path) -> None:
    path = flawed(tmp_path)
    found = cli.json("matrix", "lint", path)
    assert [(f["code"], f["line"], f["key"], f["path"]) for f in found] == [
        ("L103", 7, "contacts[1]", "contacts[1]"),
        ("L101", 10, "levels[0].contacts", "levels[0].contacts"),
        ("L111", 11, "levels[1]", "levels[1]"),
    ]
    assert {f["file"] for f in found} == {path}
    assert all(set(f) == {"code", "file", "line", "key", "path", "message"} for f in found)
    assert cli.json("matrix", "lint", SUPPORT) == []


def test_an_invalid_matrix_is_exit_4_with_validate_messages(cli: Cli, tmp_path: Path) -> None:
    path = flawed(tmp_path, FLAWED.replace("contacts: [bob]", "contacts: [bobby]"))
    result = cli("matrix", "lint", path, code=4)
    assert result.stderr.splitlines() == [
        f'{path}:12: levels[1].contacts[0]: unknown contact "bobby" (known: ann, bob)',
        f"{path}: 1 problem (lint needs a valid matrix)",
    ]
    assert cli("matrix", "lint", path, "--json", code=4).stdout.strip() == "[]"
    assert "nope.yaml" in cli("matrix", "lint", str(tmp_path / "nope.yaml"), code=4).stderr


def test_several_files_as_pre_commit_passes_them(cli: Cli, tmp_path: Path) -> None:
    path = flawed(tmp_path)
    result = cli("matrix", "lint", SUPPORT, path)
    assert result.stderr.splitlines()[0] == (
        f"{SUPPORT}: no findings (7 silenced by noqa comments)"
    )
    assert result.stderr.splitlines()[-1] == f"{path}: 3 findings"
    assert len(cli.json("matrix", "lint", path, SUPPORT)) == 3


def test_from_and_weeks_choose_the_walk(cli: Cli, tmp_path: Path) -> None:
    path = flawed(
        tmp_path,
        FLAWED.replace(
            '    hours: "Mon-Fri 09:00-17:00"\n',
            "    away: [{from: 2026-12-24, until: 2026-12-26}]\n",
        ),
    )

    def codes(*args: str) -> list[str]:
        return [f["code"] for f in cli.json("matrix", "lint", path, *args)]

    # Leave ahead is walked from its own start, however far off; leave over before --from
    # (a date, or a time as people type it) is no one's concern.
    assert codes() == ["L104", "L103", "L111"]
    assert "L104" in codes("--from", "2026-12-21", "--weeks", "1")
    assert "L104" not in codes("--from", "2026-12-27")
    assert "L104" not in codes("--from", "+6w")
    cli("matrix", "lint", path, "--weeks", "0", code=2)
    for early_or_late in ("1969-12-31", "9999-12-31", "+400000w"):
        assert "--from" in cli("matrix", "lint", path, "--from", early_or_late, code=2).stderr
    assert "--from" in cli("matrix", "lint", path, "--from", "someday", code=2).stderr


def test_validate_takes_several_files(cli: Cli, tmp_path: Path) -> None:
    path = flawed(tmp_path, FLAWED.replace("contacts: [bob]", "contacts: [bobby]"))
    result = cli("matrix", "validate", SUPPORT, path, code=4)
    assert f"{SUPPORT}: valid (8 levels" in result.stdout
    assert f"{path}: 1 problem" in result.stderr
    cli("matrix", "validate", SUPPORT, str(ROOT / "matrices" / "project.yaml"))
    error = cli("matrix", "validate", SUPPORT, path, "--json", code=2).stderr
    assert "--json checks one matrix at a time" in error


def test_oncall_lists_every_level_bottom_to_top(cli: Cli) -> None:
    # Monday 10:00 UTC: sam is in hours, tia (Tokyo) is not, dana is away and eli stands in.
    blocks = cli.json("oncall")
    assert [b["level"] for b in blocks] == ["L1", "L2", "L3", "L4"]
    assert blocks[1]["name"] == "Support supervisor"
    assert blocks[1]["contacts"] == [
        {"id": "sam", "name": "Sam Okafor", "available": True, "via": None},
        {"id": "tia", "name": "Tia Novak", "available": False, "via": None},
    ]
    assert blocks[2]["contacts"] == [
        {"id": "ana", "name": "Ana", "available": True, "via": "rotation:sre-oncall"}
    ]
    assert blocks[3]["contacts"] == [
        {
            "id": "eli",
            "name": "Eli Brandt",
            "available": True,
            "via": "delegate for dana",
            "stands_in_for": "dana",
        }
    ]
    assert all(b["next_available_at"] is None for b in blocks)


def test_oncall_at_another_moment_and_one_level(cli: Cli) -> None:
    # Saturday: sam is off until Monday 08:00 London, tia until Monday 09:00 Tokyo (00:00 UTC).
    (block,) = cli.json("oncall", "--at", "2026-11-28T12:00Z", "--level", "L2")
    assert [c["available"] for c in block["contacts"]] == [False, False]
    assert block["next_available_at"] == "2026-11-30T00:00:00Z"
    # A week on, ben holds the rotation.
    (block,) = cli.json("oncall", "--at", "+1w", "--level", "L3")
    assert block["contacts"][0]["id"] == "ben"


def test_oncall_for_people(cli: Cli) -> None:
    out = cli("oncall", "--at", "2026-11-28T12:00Z").stdout
    assert out.splitlines()[0] == "On call at 2026-11-28 12:00 UTC"
    assert "L2: Support supervisor" in out
    assert "  nobody available until 2026-11-30 00:00 UTC" in out
    assert "dana     Dana Ruiz  yes" in out  # back from leave on Saturday
    out = cli("oncall").stdout
    assert "eli      Eli Brandt  yes        delegate for dana" in out
    assert "nobody available" not in out


def test_oncall_refuses_an_unknown_level_and_a_bad_time(cli: Cli) -> None:
    assert 'unknown level "L9"' in cli("oncall", "--level", "L9", code=3).stderr
    assert "--at" in cli("oncall", "--at", "whenever", code=2).stderr


def test_without_a_path_lint_reads_the_matrix_the_lookup_order_finds(cli: Cli) -> None:
    lines = cli("matrix", "lint").stderr.splitlines()
    assert lines[-1] == f"{ROOT / 'tests' / 'data' / 'basic.yaml'}: 13 findings"
    assert any(": L101 level L2 has nobody available Mon-Thu 18:00-24:00," in x for x in lines)


def test_the_pre_commit_hooks_run_validate_and_lint_on_every_matching_file(
    cli: Cli, tmp_path: Path
) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["escalate-matrix-validate", "escalate-matrix-lint"]
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is True
        wanted = re.compile(hook["files"])
        assert wanted.search("escalation.yaml") and wanted.search("ops/escalation-eu.yml")
        assert not wanted.search("matrices/support.yaml")
        program, *args = shlex.split(hook["entry"])
        assert program == "escalate"
        # pre-commit appends the staged files that match.
        cli(*args, SUPPORT, str(ROOT / "matrices" / "incident.yaml"))
    program, *lint = shlex.split(hooks[1]["entry"])
    cli(*lint, SUPPORT, flawed(tmp_path), code=4)
