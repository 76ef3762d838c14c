"""Fuzzing what users feed escalate: matrices, option values and store files (issue 11, item 9).

Every property runs in-process through CliRunner with a modest number of examples, so the
whole file stays within seconds on CI. What each one promises:

- a mutated bundled matrix (a key deleted, a value replaced by junk of another type, an entry
  duplicated, a YAML tag added) is exit 0 or 4, with one stderr line per problem, never a
  traceback;
- junk in any option that parses a time, duration, case id or path is exit 0, 2, 3, 4, 5 or 6,
  one stderr line, and on failure the store's bytes are unchanged;
- a damaged store file (truncated anywhere, junk lines inserted) is exit 6 naming the file and
  left byte for byte, or exit 0 when what is left still reads.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from escalate_cli.cli import app
from tests import stores
from tests.conftest import ROOT

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
runner = CliRunner()


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "unexpected failure" not in stderr, stderr


# Matrices: tree mutations of the bundled files --------------------------------------------

BUNDLED = {
    path.name: yaml.safe_load(path.read_text("utf-8")) for path in ROOT.glob("matrices/*.yaml")
}
TAGS = ["!!timestamp", "!!bool", "!!int", "!!float", "!!str", "!!binary", "!!null", "!!set"]
TAGS += ["!!omap", "!!map", "!!seq", "!!python/object:os.system", "!!python/name:os.system"]
TAGS += ["!custom", "!!merge", "!!value"]
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(0, 3), max_size=2),
    st.sampled_from(["2026-01-05", "9999-12-31", "0s", "99999w", "Mon-Fri 09:00-17:00", "UTC"]),
)


def key_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += key_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += key_paths(item, (*prefix, index))
    return found


def mutate_tree(data: Any, path: tuple[Any, ...], how: str, junk: Any) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = junk
    elif isinstance(parent, list):  # duplicate an entry of a list: ids clash, or not
        parent.insert(last, copy.deepcopy(parent[last]))
    return data


def mutate_text(text: str, line_no: int, how: str, tag: str) -> str:
    """Text-level mutations: a YAML tag before a value, or a mapping key written twice."""
    lines = text.splitlines()
    line = lines[line_no % len(lines)]
    key, colon, value = line.partition(": ")
    if colon and value:
        if how == "tag":
            line = f"{key}: {tag} {value}"
        else:
            lines.insert(line_no % len(lines), line)
    elif how == "tag" and line.lstrip().startswith("- "):
        line = line.replace("- ", f"- {tag} ", 1)
    lines[line_no % len(lines)] = line
    return "\n".join(lines) + "\n"


@st.composite
def mutated_matrices(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(BUNDLED)))
    data = BUNDLED[name]
    for _ in range(draw(st.integers(0, 2))):
        paths = key_paths(data)
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["delete", "replace", "duplicate"]))
        data = mutate_tree(data, path, how, draw(JUNK))
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    for _ in range(draw(st.integers(0 if data is not BUNDLED[name] else 1, 2))):
        line_no = draw(st.integers(0, 10_000))
        text = mutate_text(
            text, line_no, draw(st.sampled_from(["tag", "twice"])), draw(st.sampled_from(TAGS))
        )
    return text


@FUZZ
@given(mutated_matrices())
def test_a_mutated_bundled_matrix_is_valid_or_exit_4_one_line_per_problem(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "mutant.yaml"
    path.write_text(text, encoding="utf-8")
    shown = runner.invoke(app, ["matrix", "validate", str(path)])
    event(f"exit {shown.exit_code}")
    assert shown.exit_code in (0, 4), shown.stderr
    no_traceback(shown.stderr)
    report = json.loads(runner.invoke(app, ["--json", "matrix", "validate", str(path)]).stdout)
    lines = shown.stderr.splitlines()
    assert all(line.startswith(str(path)) for line in lines), lines
    if shown.exit_code == 4:
        problems = len(report["problems"])
        assert problems >= 1 and not report["valid"]
        assert lines[-1] == f"{path}: {problems} problem" + ("s" if problems > 1 else "")
        assert len(lines) == problems + len(report["warnings"]) + 1
        loaded = runner.invoke(app, ["--matrix", str(path), "simulate"])
        assert loaded.exit_code == 4 and len(loaded.stderr.splitlines()) == 1, loaded.stderr
    else:
        assert report["valid"] and len(lines) == len(report["warnings"])
        loaded = runner.invoke(app, ["--matrix", str(path), "simulate", "--json"])
        assert loaded.exit_code == 0, loaded.stderr


# Option values: times, durations, case ids, paths ------------------------------------------

TIMES = st.one_of(
    st.builds(
        lambda at, zone: at.isoformat() + zone, st.datetimes(), st.sampled_from(["", "Z", "+05:00"])
    ),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z"]),
    st.sampled_from(["9998-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2026-02-30", "+25:00"]),
    st.sampled_from(["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "now", ""]),
)
DURATIONS = st.one_of(
    st.builds(
        lambda n, unit, sign: f"{sign}{n}{unit}",
        st.integers(0, 10**13),
        st.sampled_from(["s", "m", "h", "d", "w", "", "x"]),
        st.sampled_from(["", "+", "-"]),
    ),
    st.sampled_from(["1h30m", "0s", "99999w", "3660d", "3661d", "1e10", "-1h", "PT1H"]),
)
IDS = st.one_of(
    st.builds(
        lambda p, n: f"{p}{n}",
        st.sampled_from(["", "ESC-", "esc-", "X-", "-"]),
        st.integers(-5, 10**40),
    ),
    st.builds(lambda n: "9" * n, st.integers(1, 6000)),
    st.sampled_from(["ESC-0", "ESC--1", "0" * 5000, "ESC-1 ", "\u0661", "ESC-\u0661"]),
)
PATHS = st.one_of(
    st.builds(lambda n: "a" * n, st.integers(200, 5000)),
    st.sampled_from(
        ["/dev/zero", "/dev/null", "/", ".", "http://[::1", "postgresql://x", "~nobody/x"]
    ),
)
ANY_VALUE = st.one_of(TIMES, DURATIONS, IDS, PATHS, st.text(max_size=20))


@st.composite
def commands(draw: st.DrawFn) -> list[str]:
    """A command whose option values come from the strategies above (or from anywhere)."""
    value = draw(st.one_of(TIMES, DURATIONS, ANY_VALUE))
    case = draw(st.one_of(st.just("1"), IDS))
    return draw(
        st.sampled_from(
            [
                ["--now", value, "open", "fuzzed", "-q"],
                ["--now", value, "sweep"],
                ["--now", value, "list", "--overdue"],
                ["--now", value, "simulate"],
                ["hold", case, "--reason", "r", "--until", value],
                ["implement", case, "--action", "fix", "--due", value],
                ["learn", case, "--with", "dana", "--follow-up", value],
                ["metrics", "--since", value],
                ["show", case],
                ["acknowledge", case],
                ["next", case],
                ["gather", case, "--attach", value],
                ["--matrix", value, "next", case],
                ["--store", value, "list"],
            ]
        )
    )


STORE = Path("store") / "cases.json"  # under the working directory each test gets


@FUZZ
@given(commands())
def test_junk_option_values_are_a_clear_error_and_change_nothing(args: list[str]) -> None:
    if not stores.exists():
        runner.invoke(app, ["open", "seed", "-q"])
    before = stores.snapshot()
    result = runner.invoke(app, args)
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2, 3, 4, 5, 6), (args, result.stderr)
    no_traceback(result.stderr)
    if result.exit_code:
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        assert stores.snapshot() == before, args


# Store files: truncated, junk lines inserted ------------------------------------------------

READS = [["list", "--json"], ["show", "2"], ["sweep", "--dry-run"], ["metrics"], ["next", "1"]]
WRITES = [["acknowledge", "2"], ["open", "more", "-q"], ["update", "1", "status"]]
JUNK_LINES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(['"3": {', "}", "]", "\x00", '"cases": {}', "{", '"9": null,', "\ufeff"]),
)


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    if draw(st.booleans()):
        return original[: draw(st.integers(0, len(original) - 1))]
    lines = original.split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(JUNK_LINES).encode("utf-8", "surrogatepass"))
    return b"\n".join(lines)


def a_store_of_three() -> bytes:
    for title in ("one", "two", "three"):
        runner.invoke(app, ["open", title, "-q"])
    runner.invoke(app, ["acknowledge", "1"])
    return STORE.read_bytes()


@pytest.mark.json_store  # damaged bytes of the JSON file
@FUZZ
@given(st.data(), st.sampled_from(READS + WRITES))
def test_a_damaged_store_is_exit_6_and_left_untouched(data: st.DataObject, args: list[str]) -> None:
    good = Path("good.json")  # the undamaged store, made once for all examples of a run
    if not good.exists():
        good.write_bytes(a_store_of_three())
    original = good.read_bytes()
    broken = data.draw(damaged(original))
    STORE.write_bytes(broken)
    result = runner.invoke(app, args)
    event(f"exit {result.exit_code}")
    no_traceback(result.stderr)
    assert result.exit_code in (0, 6), (args, result.stderr)
    if result.exit_code == 6:
        assert str(STORE.resolve()) in result.stderr or str(STORE) in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert STORE.read_bytes() == broken
    elif args in READS:
        assert STORE.read_bytes() == broken
    STORE.write_bytes(original)
