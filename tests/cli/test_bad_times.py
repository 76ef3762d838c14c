"""Times outside 1970-01-01T00:00Z .. 9999-01-01T00:00Z are exit 2 and save nothing; a case
stored with one does not stop the commands that go through every case (docs/reliability.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BASIC_MATRIX, Cli
from tests.stores import edit_case, named_in_errors, snapshot

RANGE = "from 1970-01-01T00:00Z, before 9999-01-01T00:00Z"


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "unexpected failure" not in stderr
    return lines[0]


def seeded(cli: Cli) -> Any:
    cli("open", "seed", "-q")
    return snapshot()


OUT_OF_RANGE = ["1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-01-01T00:00:00Z"]
OUT_OF_RANGE += ["9999-12-31T23:59:59Z", "9999-12-31T23:00:00-05:00"]


@pytest.mark.parametrize("when", OUT_OF_RANGE)
@pytest.mark.parametrize(
    "command",
    [
        ["open", "x"],
        ["list"],
        ["sweep"],
        ["simulate"],
        ["next", "1"],
        ["metrics", "--since", "30d"],
        ["hold", "1", "--reason", "r", "--until", "1h30m"],
    ],
)
def test_now_out_of_range_is_exit_2_and_saves_nothing(
    cli: Cli, when: str, command: list[str]
) -> None:
    before = seeded(cli)
    line = one_line(cli("--now", when, *command, code=2).stderr)
    assert "--now" in line and RANGE in line
    assert snapshot() == before


def test_escalate_now_out_of_range_is_exit_2(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    before = seeded(cli)
    monkeypatch.setenv("ESCALATE_NOW", "9999-06-01T00:00:00Z")
    assert "ESCALATE_NOW" in one_line(cli("open", "x", code=2).stderr)
    assert snapshot() == before


@pytest.mark.parametrize(
    "command",
    [
        ["hold", "1", "--reason", "r", "--until"],
        ["implement", "1", "--action", "fix", "--due"],
        ["learn", "1", "--with", "dana", "--follow-up"],
    ],
)
@pytest.mark.parametrize("when", [*OUT_OF_RANGE[:4], "1970-01-01T00:30:00+01:00"])
def test_time_options_out_of_range_are_exit_2_and_save_nothing(
    cli: Cli, command: list[str], when: str
) -> None:
    before = seeded(cli)
    line = one_line(cli(*command, when, code=2).stderr)
    assert command[-1] in line and RANGE in line
    assert snapshot() == before


def test_a_duration_that_reaches_9999_is_exit_2(cli: Cli) -> None:
    before = seeded(cli)
    late = ["--now", "9998-12-31T00:00:00Z"]
    line = one_line(cli(*late, "hold", "1", "--reason", "r", "--until", "2d", code=2).stderr)
    assert "--until" in line and RANGE in line
    assert snapshot() == before
    cli(*late, "hold", "1", "--reason", "r", "--until", "12h")  # still inside the range


def test_the_edges_of_the_range_work(cli: Cli) -> None:
    cli("--now", "1970-01-01T00:00:00Z", "open", "first", "-q")
    cli("--now", "9998-12-31T23:59:59Z", "open", "last", "-q")
    for now in ("1970-01-01T00:00:00Z", "9998-12-31T23:59:59Z"):
        for command in (["list"], ["sweep"], ["simulate"], ["next", "1"], ["next", "2"]):
            cli("--now", now, *command)


def test_a_timer_that_would_end_after_9999_is_never_due(cli: Cli, tmp_path: Path) -> None:
    matrix = tmp_path / "long.yaml"
    matrix.write_text(re.sub(r"(after|ack): \w+", r"\1: 3600d", BASIC_MATRIX.read_text()))
    late = ["--matrix", str(matrix), "--now", "9998-12-31T00:00:00Z"]
    cli(*late, "open", "x", "-q")
    for command in (["list"], ["sweep"], ["simulate"], ["next", "1"], ["brief", "1"]):
        cli(*late, *command)


def plant_case_with_time(cli: Cli, number: int, field: str, value: str) -> Any:
    """Cases 1..3, then case `number` with a time no longer accepted, as an older version or a
    hand edit left it: what the store holds."""
    for title in ("one", "two", "three"):
        cli("open", title, "-q")
    edit_case(number, lambda case: case.update({field: value}))
    return snapshot()


@pytest.mark.parametrize("value", ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00Z", "junk", "7"])
def test_a_case_stored_with_a_bad_time_does_not_stop_list_or_sweep(cli: Cli, value: str) -> None:
    before = plant_case_with_time(cli, 2, "created_at", value)
    listed = cli("list", "--json")
    assert [case["id"] for case in json.loads(listed.stdout)] == ["ESC-1", "ESC-3"]
    assert "ESC-2: skipped" in one_line(listed.stderr)
    assert "ESC-2: skipped" in one_line(cli("list").stderr)
    assert snapshot() == before
    swept = cli("--now", "2026-11-30T10:00:00Z", "sweep", "--json")
    assert {e["case"] for e in json.loads(swept.stdout)["escalated"]} == {"ESC-1", "ESC-3"}
    assert "ESC-2: skipped" in swept.stderr and "created_at" in swept.stderr


def test_a_case_stored_with_a_bad_time_is_exit_6_on_its_own(cli: Cli) -> None:
    before = plant_case_with_time(cli, 2, "level_entered_at", "9999-12-31T23:00:00Z")
    for command in (
        ["show", "2"],
        ["next", "2"],
        ["who", "2"],
        ["acknowledge", "2"],
        ["brief", "2"],
    ):
        line = one_line(cli(*command, code=6).stderr)
        assert "ESC-2" in line and named_in_errors() in line and "level_entered_at" in line
    assert snapshot() == before
    cli("acknowledge", "1")  # the other cases carry on


def test_a_bad_time_deep_in_a_case_is_found_too(cli: Cli) -> None:
    for title in ("one", "two", "three"):
        cli("open", title, "-q")
    cli("implement", "2", "--action", "roll back", "--due", "1d")

    def plant(case: dict[str, Any]) -> None:
        case["steps"]["implement"]["actions"][0]["due"] = "0001-01-01T00:00:00Z"

    edit_case(2, plant)
    before = snapshot()
    for command in (["list"], ["sweep"], ["list", "--overdue"]):
        first = cli(*command).stderr.splitlines()[0]
        assert first.startswith("ESC-2: skipped: stored time steps.implement.actions[0].due")
    line = one_line(cli("show", "2", code=6).stderr)
    assert "steps.implement.actions[0].due" in line
    assert snapshot() == before
