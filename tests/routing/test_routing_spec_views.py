"""Acceptance tests for `sweep --dry-run`, `list --overdue`, `simulate`, cases whose level or
path left the matrix (timing rule 12) and the routing commands' exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.routing.test_routing_spec import (
    at,
    matrix_variant,
    moves,
    open_case,
    show,
    sweep,
)
from tests.stores import snapshot


def overdue(cli: Cli, now: str) -> list[str]:
    return [c["id"] for c in cli.json("list", "--overdue", "--now", now)]


# sweep --dry-run


def test_sweep_dry_run_reports_exactly_what_the_real_sweep_does_and_changes_nothing(
    cli: Cli,
) -> None:
    plain = open_case(cli, "Printer on fire")  # L1 ack due 10:10 -> L2
    sev1 = open_case(cli, "Checkout down", "--severity", "sev1")  # ack SLA 10:15 -> L3, breach
    slow = open_case(cli, "Exports slow", "--severity", "sev2")  # notify vp at 10:20
    cli("acknowledge", slow, "--by", "desk", "--now", at("10:05"))
    us = open_case(cli, "Report export fails", "--type", "us")  # US skipped: L1 -> L3
    quiet = open_case(cli, "Login page typo", "--severity", "sev4")
    cli("acknowledge", quiet, "--by", "desk", "--now", at("10:05"))

    before = snapshot()
    cases_before = [show(cli, c) for c in (plain, sev1, slow, us, quiet)]
    dry = cli.json("sweep", "--dry-run", "--now", at("10:20"))
    assert snapshot() == before
    assert [show(cli, c) for c in (plain, sev1, slow, us, quiet)] == cases_before

    real = sweep(cli, at("10:20"))
    assert real == dry
    assert real["checked"] == 5
    assert sorted(moves(real)) == [
        (plain, "L1", "L2", None),
        (sev1, "L2", "L3", None),
        (us, "L1", "L3", None),
    ]
    assert [(n["case"], n["contacts"], n["trigger"]) for n in real["notified"]] == [
        (slow, ["vp"], "sev2-slow")
    ]
    assert show(cli, sev1)["breached"] != []
    # Everything due was done: a dry run at the same moment has nothing left.
    assert cli.json("sweep", "--dry-run", "--now", at("10:20")) == {
        "checked": 5,
        **{key: [] for key in ("escalated", "notified", "breached", "changed", "reminded")},
    }


# list --overdue


def test_list_overdue_is_inclusive_and_skips_held_and_resolved_cases(cli: Cli) -> None:
    first = open_case(cli, "Printer on fire")  # L1 ack due 10:10
    second = open_case(cli, "Scanner smokes", now=at("10:05"))  # due 10:15
    assert overdue(cli, at("10:09:59")) == []
    assert overdue(cli, at("10:10")) == [first]
    assert overdue(cli, at("10:15")) == [first, second]
    cli("hold", first, "--reason", "waiting for parts", "--now", at("10:16"))
    cli("resolve", second, "--summary", "fan replaced", "--now", at("10:16"))
    assert overdue(cli, at("10:17")) == []


def test_list_overdue_counts_sla_timers(cli: Cli) -> None:
    # sev1 at L2: L2's after runs to 12:00, but the ack SLA (15m) is due at 10:15.
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    assert overdue(cli, at("10:14:59")) == []
    assert overdue(cli, at("10:15")) == [case]


# simulate


def levels_and_times(timeline: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["at"], e["level"]) for e in timeline]


def test_simulate_default_timeline_starts_at_now(cli: Cli) -> None:
    day = "2026-11-24"  # Tuesday: ben holds the on-call shift from 09:00
    timeline = cli.json("simulate", "--now", at("10:00", day))["timeline"]
    # L1 at 10:00; L1 ack 10m -> L2 at 10:10; L2 after 2h -> L3 at 12:10; L3 ack 5m -> L4 12:15.
    assert levels_and_times(timeline[:4]) == [
        (at("10:00", day), "L1"),
        (at("10:10", day), "L2"),
        (at("12:10", day), "L3"),
        (at("12:15", day), "L4"),
    ]
    assert all(e["level"] == "L4" for e in timeline[4:])
    reached = [[c["id"] for c in e["contacts"] if c["available"]] for e in timeline[:4]]
    assert reached == [["desk"], ["sam"], ["ben"], ["eli"]]
    for entry in timeline:
        assert {"at", "level", "contacts", "reason"} <= set(entry)
        assert all({"id", "name", "available"} <= set(c) for c in entry["contacts"])


def test_simulate_follows_severity_slas(cli: Cli) -> None:
    # sev1 starts at L2; its ack SLA (15m) moves it to L3 at 10:15; L3 ack 5m -> L4 at 10:20.
    timeline = cli.json("simulate", "--severity", "sev1")["timeline"]
    assert levels_and_times(timeline[:3]) == [
        (at("10:00"), "L2"),
        (at("10:15"), "L3"),
        (at("10:20"), "L4"),
    ]


def test_simulate_applies_skip_unavailable(cli: Cli) -> None:
    # Saturday: L2 (sam, kim) and US (cal) are off; L1 -> L4 at 10:10.
    day = "2026-11-28"
    timeline = cli.json("simulate", "--type", "weekday", "--now", at("10:00", day))["timeline"]
    assert levels_and_times(timeline[:2]) == [(at("10:00", day), "L1"), (at("10:10", day), "L4")]


# Rule 12: the matrix changed under an open case


def drop_level_l2(data: dict[str, Any]) -> None:
    data["levels"] = [level for level in data["levels"] if level["id"] != "L2"]
    for path in data["paths"].values():
        levels = path["levels"] if isinstance(path, dict) else path
        levels[:] = [level for level in levels if level != "L2"]
    for severity in data["severities"]:
        if severity.get("start") == "L2":
            severity["start"] = "L3"


def drop_vendor_path(data: dict[str, Any]) -> None:
    del data["paths"]["vendor"]
    data["triggers"] = [t for t in data["triggers"] if t["id"] != "vendor-issue"]


def test_rule12_case_at_a_removed_level_still_shows_and_next_sweep_say_so(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranded = open_case(cli, "Checkout down", "--severity", "sev1")  # at L2
    other = open_case(cli, "Printer on fire")  # at L1, ack due 10:10
    matrix_variant(tmp_path, monkeypatch, drop_level_l2)
    assert show(cli, stranded)["level"] == "L2"
    assert cli.json("next", stranded, "--now", at("10:05"))["level"] == "L2"
    said = cli("next", stranded, "--now", at("10:05"))
    text = said.stdout + said.stderr
    assert "L2" in text
    assert re.search(r"removed|no longer|not in|missing|unknown", text), text
    # The sweep still works for everything else (default is now [L1, L3, L4]) and names the
    # stranded case instead of failing.
    result = cli("sweep", "--json", "--now", at("10:10"))
    assert stranded in result.stderr + result.stdout
    assert moves(json.loads(result.stdout)) == [(other, "L1", "L3", None)]
    assert show(cli, stranded)["level"] == "L2"


def test_rule12_case_on_a_removed_path_still_shows_and_next_sweep_say_so(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = open_case(cli, "Laptop broken", "--type", "vendor")
    matrix_variant(tmp_path, monkeypatch, drop_vendor_path)
    assert show(cli, case)["type"] == "vendor"
    said = cli("next", case, "--now", at("10:05"))
    assert "vendor" in said.stdout + said.stderr
    result = cli("sweep", "--now", at("10:10"))
    assert case in result.stdout + result.stderr
    assert show(cli, case)["level"] == "L1"


# Exit codes


def test_routing_commands_exit_codes(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    assert "ESC-9" in cli("next", "ESC-9", code=3).stderr
    cli("up", "ESC-9", "--reason", "x", code=3)
    cli("hold", "ESC-9", "--reason", "x", code=3)
    cli("sweep", "--now", "next tuesday-ish", code=2)
    cli("up", case, code=2)  # --reason is required
    cli("hold", case, "--until", "whenever", "--reason", "x", code=2)
    cli("simulate", "--severity", "sev9", code=3)
    cli("simulate", "--type", "nope", code=3)
    assert show(cli, case)["status"] == "open"


def test_next_and_sweep_for_people_name_the_level_and_the_time(cli: Cli) -> None:
    case = open_case(cli, "Printer on fire")
    out = cli("next", case).stdout
    assert "L2" in out and "10:10" in out
    out = cli("sweep", "--now", at("10:10")).stdout
    assert case in out and "L1" in out and "L2" in out
