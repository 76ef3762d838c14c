"""Both stores keep each case's wake beside it (core/engine/wake.py), and `list` and a sweep trust
it: a case nothing acts on before its wake is listed from its summary, due at its wake, and left
unread by a sweep. Whatever they keep, the answers must be those worked out from the whole
case: after any history, after a matrix edit, after the file was edited by hand.

Times are minutes after T0 (Monday 2026-11-23 10:00 UTC).
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from escalate_cli import Session
from escalate_cli.core.cases import listing
from escalate_cli.core.engine import routing
from escalate_cli.core.engine.wake import matrix_key, wake
from escalate_cli.core.matrix.loader import load_matrix
from escalate_cli.core.matrix.model import Matrix
from escalate_cli.core.store.json_store import CaseStore
from escalate_cli.core.store.store_base import Store, open_store
from escalate_cli.core.store.store_file import ROW_FIELDS
from tests.core.routing_helpers import mins as at
from tests.core.test_routing_agreement import histories, play
from tests.core.test_wake import probes


@pytest.fixture(params=["json", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "store" / "cases.json")


def listed_due(store: Store, matrix: Matrix, now: datetime) -> dict[int, tuple[datetime, bool]]:
    """`list`'s due times, as Session.cases works them out from what the store keeps."""
    read = store.listing(history=False, due=(matrix_key(matrix), now))
    found = listing.next_due(lambda: matrix, read.cases, matrix.name, lambda: now, read.wakes)
    return {number: (due.at, due.acts) for number, due in found.items()}


def whole_due(
    matrix: Matrix, case: dict[str, Any], now: datetime
) -> dict[int, tuple[datetime, bool]]:
    found = routing.next_due(matrix, case, now)
    return {} if found is None else {case["number"]: (found.at, found.acts)}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories())
def test_listed_due_times_are_those_of_the_whole_case_after_any_history(
    location: str, history: dict[str, Any]
) -> None:
    store = open_store(location)

    def check(matrix: Matrix, case: dict[str, Any], now: datetime) -> datetime | None:
        kept = wake(matrix, case)
        with store.transaction() as tx:
            tx.put(case, kept)  # as every command that writes a case does
        holds = kept.holds_until if kept.holds_until != routing.END else None
        for moment in probes(now, routing.next_event_at(matrix, case, now), holds):
            assert listed_due(store, matrix, moment) == whole_due(matrix, case, moment), moment
        return routing.next_event_at(matrix, case, now)

    try:
        play(history, check, follow=4)
    finally:
        store.close()


def opened(location: str, matrix: Path, minutes: float, title: str) -> int:
    with Session(location, matrix, now=at(minutes), user="frontline") as work:
        return int(work.open(title, severity="sev3").case["number"])


def read_by_sweep(location: str, matrix: Path, minutes: float) -> tuple[int, list[int]]:
    store = open_store(location)
    try:
        found = store.sweep_cases(at(minutes), matrix_key(load_matrix(matrix)), "Test support")
    finally:
        store.close()
    return found.checked, [case["number"] for case in found.cases]


def test_a_sweep_reads_only_the_cases_due_by_its_now(location: str, matrix_file: Path) -> None:
    early = [opened(location, matrix_file, 0, f"early {n}") for n in range(3)]
    for n in range(4):
        opened(location, matrix_file, 60, f"late {n}")
    assert read_by_sweep(location, matrix_file, 20) == (7, early)
    with Session(location, matrix_file, now=at(20), user="frontline") as work:
        report = work.sweep().json()
    assert sorted(move["case"] for move in report["escalated"]) == [f"ESC-{n}" for n in early]
    assert read_by_sweep(location, matrix_file, 20) == (7, [])  # moved, with their next wake


def test_a_changed_matrix_is_read_again_until_a_sweep_keeps_the_new_wakes(
    location: str, matrix_file: Path
) -> None:
    first = opened(location, matrix_file, 0, "printer on fire")
    second = opened(location, matrix_file, 3, "printer smoking")
    matrix_file.write_text(matrix_file.read_text().replace("ack: 15m", "ack: 5m", 1))
    matrix = load_matrix(matrix_file)
    store = open_store(location)
    try:
        # Under the old matrix neither was due before 10:15; under the new one the first is.
        assert listed_due(store, matrix, at(7)) == {first: (at(5), True), second: (at(8), False)}
    finally:
        store.close()
    assert read_by_sweep(location, matrix_file, 7) == (2, [first, second])
    with Session(location, matrix_file, now=at(7), user="frontline") as work:
        report = work.sweep().json()
    assert [move["case"] for move in report["escalated"]] == [f"ESC-{first}"]
    assert read_by_sweep(location, matrix_file, 7) == (2, [])
    assert read_by_sweep(location, matrix_file, 8) == (2, [second])


def test_a_dry_run_keeps_no_wake(location: str, matrix_file: Path) -> None:
    opened(location, matrix_file, 0, "printer on fire")
    matrix_file.write_text(matrix_file.read_text().replace("ack: 15m", "ack: 5m", 1))
    with Session(location, matrix_file, now=at(1), user="frontline") as work:
        work.sweep(dry_run=True)
    assert read_by_sweep(location, matrix_file, 1) == (1, [1])


def test_a_case_edited_by_hand_is_listed_and_swept_as_it_now_reads(
    tmp_path: Path, matrix_file: Path
) -> None:
    location = str(tmp_path / "cases.json")
    number = opened(location, matrix_file, 0, "printer on fire")
    path = Path(location)
    # An edit that keeps the file's layout: the case's line changes, its summary and wake not.
    text = path.read_bytes()
    edited = text.replace(b'"title":"printer on fire"', b'"title":"printer fixed"', 1)
    edited = edited.replace(b'"level_entered_at":"2026-11-23T10:00:00Z"',
                            b'"level_entered_at":"2026-11-23T09:00:00Z"', 1)  # fmt: skip
    assert edited.count(b"printer on fire") == 1  # the summary still has the old title
    path.write_bytes(edited)
    with Session(location, matrix_file, now=at(1), user="frontline") as work:
        listed = work.cases(history=False)
    assert [case["title"] for case in listed.cases] == ["printer fixed"]
    assert listed.due[number].acts  # due at 09:15 by the edited case, at 10:15 by its wake
    assert read_by_sweep(location, matrix_file, 1) == (1, [number])


def test_a_sweep_keeps_no_wake_for_a_case_written_since_it_read_it(
    tmp_path: Path, matrix_file: Path
) -> None:
    location = str(tmp_path / "cases.json")
    number = opened(location, matrix_file, 0, "printer on fire")
    store = CaseStore(location)
    found = store.sweep_cases(at(1), "another matrix", None)
    assert list(found.stale) == [number]
    with Session(location, matrix_file, now=at(2), user="frontline") as work:
        work.acknowledge(number)  # written after the sweep read it
    written = Path(location).read_bytes()
    with store.transaction() as tx:
        tx.keep_wakes({number: (found.stale[number], wake(load_matrix(matrix_file), {}))})
    assert Path(location).read_bytes() == written
    fresh = store.sweep_cases(at(3), "another matrix", None).stale[number]
    with store.transaction() as tx:
        tx.keep_wakes({number: (fresh, wake(load_matrix(matrix_file), {}, "another matrix"))})
    kept = _file_entry(Path(location), "wakes", number)
    assert kept == {"crc": ANY, "at": None, "key": "another matrix", "row": ANY}
    assert store.sweep_cases(at(3), "another matrix", None).cases == []


def _file_line(path: Path, table: str, number: int) -> bytes:
    """The JSON text filed under `number` in one table of a store file."""
    body = path.read_bytes().split(b'\n"%s": {\n' % table.encode(), 1)[1].split(b"\n}", 1)[0]
    for line in body.split(b"\n"):
        key, doc = line.strip().rstrip(b",").split(b": ", 1)
        if key == b'"%d"' % number:
            return doc
    raise AssertionError(f"no {table} entry for case {number}")


def _file_entry(path: Path, table: str, number: int) -> Any:
    return orjson.loads(_file_line(path, table, number))


def test_the_kept_row_holds_what_list_shows_and_filters_on(
    tmp_path: Path, matrix_file: Path
) -> None:
    location = str(tmp_path / "cases.json")
    with Session(location, matrix_file, now=at(0), user="frontline") as work:
        opened = work.open(
            "printer on fire",
            severity="sev3",
            customer="Initech",
            tier="vip",
            customer_contacts=["a@b.c"],
        ).case
        work.edit(opened["number"], tag=["printers"])
    case = CaseStore(location).get(opened["number"])
    assert case is not None
    entry = _file_entry(Path(location), "wakes", case["number"])
    assert entry["row"] == {
        **{key: case[key] for key in ROW_FIELDS},
        "customer": {"name": "Initech", "tier": "vip"},  # no contact addresses
        "participant_ids": [p["contact"] for p in case["participants"]],  # no roles, no times
    }
    # The checksum covers the case's line, then the rest of the entry: an edit to either shows.
    written = _file_line(Path(location), "wakes", case["number"])
    rest = written.split(b",", 1)[1]
    case_line = _file_line(Path(location), "cases", case["number"])
    assert entry["crc"] == zlib.crc32(rest, zlib.crc32(case_line))


@pytest.mark.parametrize(
    "flags",
    [
        [],
        ["--status", "all"],
        ["--customer", "initech"],
        ["--tier", "VIP"],
        ["--tag", "printers"],
        ["--breached"],
        ["--participant", "sam"],
        ["--since", "2026-11-23T10:10:00Z"],
        ["--until", "2026-11-23T10:10:00Z"],
        ["--sort", "severity"],
        ["--sort", "created"],
        ["--sort", "due"],
        ["--overdue"],
        ["--wide"],
        ["--owner", "frontline", "--level", "L1", "--type", "default", "--severity", "sev3"],
    ],
)
def test_list_from_rows_equals_list_from_whole_cases(
    tmp_path: Path, matrix_file: Path, flags: list[str]
) -> None:
    """Every filter and column, read from the kept rows, as from the whole cases: the rows are
    dropped (as an older escalate left the file) and the same list asked again."""
    from typer.testing import CliRunner

    from escalate_cli.cli import app

    location = tmp_path / "cases.json"
    with Session(location, matrix_file, now=at(0), user="frontline") as work:
        for minute, (title, customer, tier) in enumerate(
            [("printer on fire", "Initech", "vip"), ("fax jammed", "Acme", None)] * 3
        ):
            number = int(
                work.open(title, severity="sev3", customer=customer, tier=tier).case["number"]
            )
            if minute % 2:
                work.edit(number, tag=["printers"])
            if minute == 3:
                work.assign(number, "sam")
    with Session(location, matrix_file, now=at(40), user="frontline") as work:
        work.sweep()  # some escalate and breach; their wakes move on
    env = {"ESCALATE_STORE": str(location), "ESCALATE_MATRIX": str(matrix_file),
           "ESCALATE_NOW": "2026-11-23T10:45:00Z", "COLUMNS": "200"}  # fmt: skip
    runner = CliRunner()
    from_rows = runner.invoke(app, ["list", *flags], env=env)
    assert from_rows.exit_code == 0, from_rows.output
    text = location.read_bytes()
    assert b'"row":' in text
    location.write_bytes(text.split(b',\n"wakes": {', 1)[0] + b"\n}\n")
    from_cases = runner.invoke(app, ["list", *flags], env=env)
    assert (from_rows.stdout, from_rows.stderr) == (from_cases.stdout, from_cases.stderr)


def cli_env(tmp_path: Path, matrix_file: Path) -> dict[str, str]:
    return {
        "ESCALATE_STORE": str(tmp_path / "cases.json"),
        "ESCALATE_MATRIX": str(matrix_file),
        "ESCALATE_USER": "frontline",
        "COLUMNS": "200",
    }


def run(env: dict[str, str], now: str, *args: str) -> Any:
    from typer.testing import CliRunner

    from escalate_cli.cli import app

    return CliRunner().invoke(app, ["--now", now, *args], env=env)


def two_cases(env: dict[str, str]) -> Path:
    for minute, title in (("00", "printer on fire"), ("01", "fax jammed")):
        assert (
            run(env, f"2026-11-23T10:{minute}Z", "open", title, "--severity", "sev3").exit_code == 0
        )
    return Path(env["ESCALATE_STORE"])


def edit_wake_line(path: Path, number: int, edit: Any) -> None:
    """Change one line of the wakes table by hand, keeping the file's layout."""
    lines = path.read_text().split("\n")
    start = lines.index('"wakes": {')
    at = next(i for i in range(start, len(lines)) if lines[i].startswith(f'  "{number}": '))
    lines[at] = edit(lines[at])
    path.write_text("\n".join(lines))


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        (lambda line: line.replace("2026-11-23T10:15:00Z", "2026-11-24T10:15:00Z"), "a later wake"),
        (lambda line: re.sub(r'"status":"[a-z_]+"', '"status":"resolved"', line), "a row"),
        (lambda line: re.sub(r'"row":\{.*\}\}', '"row":{"number":1}}', line), "a bare row"),
    ],
)
def test_a_wake_edited_by_hand_is_not_believed(
    tmp_path: Path, matrix_file: Path, edit: Any, what: str
) -> None:
    """ESC-1 is due at 10:15; its wake entry edited by hand must change nothing, before the
    wake (when `list` would read the row) or after it (when a sweep must read the case)."""
    env = cli_env(tmp_path, matrix_file)
    path = two_cases(env)
    edit_wake_line(path, 1, edit)
    before = run(env, "2026-11-23T10:10Z", "--json", "list")
    assert before.exit_code == 0, (what, before.output)
    listed = {c["id"]: (c["status"], c["next_due"]) for c in orjson.loads(before.stdout)}
    assert listed == {
        "ESC-1": ("open", "2026-11-23T10:15:00Z"),
        "ESC-2": ("open", "2026-11-23T10:16:00Z"),
    }, what
    shown = run(env, "2026-11-23T10:10Z", "list")
    assert shown.exit_code == 0 and shown.stdout.count("ESC-1 ") == 1, what
    swept = run(env, "2026-11-23T10:20Z", "--json", "sweep", "--dry-run")
    assert [e["case"] for e in orjson.loads(swept.stdout)["escalated"]] == ["ESC-1", "ESC-2"], what
    overdue = run(env, "2026-11-23T10:20Z", "--json", "list", "--overdue")
    assert [c["id"] for c in orjson.loads(overdue.stdout)] == ["ESC-1", "ESC-2"], what


@pytest.mark.parametrize(
    "edit",
    [lambda line: '  "2": null', lambda line: line.replace('  "2": ', '  "x2": ', 1)],
)
def test_a_damaged_wake_entry_is_dropped_not_a_reason_to_refuse_the_store(
    tmp_path: Path, matrix_file: Path, edit: Any
) -> None:
    """The wakes are worked out from the cases: one that cannot be read is dropped (the case is
    read whole), where a damaged case line is refused with exit 6."""
    env = cli_env(tmp_path, matrix_file)
    path = two_cases(env)
    edit_wake_line(path, 2, edit)
    listed = run(env, "2026-11-23T10:05Z", "--json", "list")
    assert listed.exit_code == 0, listed.output
    assert [c["id"] for c in orjson.loads(listed.stdout)] == ["ESC-1", "ESC-2"]
    assert run(env, "2026-11-23T10:06Z", "note", "2", "still jammed").exit_code == 0
    assert b'"x2"' not in path.read_bytes() and b'"2": null' not in path.read_bytes()


def test_sweeps_of_two_teams_do_not_rewrite_the_store_each_time(
    tmp_path: Path, matrix_file: Path
) -> None:
    """A case that records no matrix is every team's: if each team's sweep kept its own wake
    for it, every sweep would rewrite the store."""
    env = cli_env(tmp_path, matrix_file)
    other = tmp_path / "b.yaml"
    other.write_text(matrix_file.read_text().replace("name: Test support", "name: Team B"))
    path = two_cases(env)
    path.write_text(path.read_text().replace('"matrix":"Test support",', ""))  # before teams
    env_b = {**env, "ESCALATE_MATRIX": str(other)}
    run(env, "2026-11-23T10:02Z", "sweep")
    run(env_b, "2026-11-23T10:02Z", "sweep")
    before = path.read_bytes()
    for team in (env, env_b):
        assert run(team, "2026-11-23T10:03Z", "sweep").exit_code == 0
        assert path.read_bytes() == before  # nothing due, nothing learnt: nothing written


def test_the_key_changes_with_the_code_that_works_out_due_times(
    tmp_path: Path, matrix_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between releases the version number stays the same while the engine changes: the key
    holds a checksum of the engine's code, so wakes kept by the old code go stale."""
    from escalate_cli.core.engine import wake as wake_module

    matrix = load_matrix(matrix_file)
    before = matrix_key(matrix)
    wake_module._engine_code.cache_clear()
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: real(self) + b"# changed")
    try:
        assert matrix_key(matrix) != before
    finally:
        monkeypatch.undo()
        wake_module._engine_code.cache_clear()
    assert matrix_key(matrix) == before
