"""One engine everywhere (timing rule 2): `list`'s next due time, `list --overdue`, `next` and
`sweep --dry-run` give the same answer, triggers included. A case is overdue exactly when a
sweep at that moment would act on it; at the top of its path with nothing left to do it is not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.routing.test_routing_spec import at, matrix_variant, open_case, show, sweep

ACTS = ("escalated", "notified", "breached", "changed")


def overdue(cli: Cli, now: str) -> list[str]:
    return [c["id"] for c in cli.json("list", "--overdue", "--now", now)]


def due_column(cli: Cli, now: str) -> dict[str, str]:
    """`list --wide`'s "due" cell of each case (an absolute time), by id."""
    lines = cli("list", "--wide", "--now", now).stdout.splitlines()
    header, rows = lines[0], lines[1:]
    start, end = header.index("due"), header.index("opened")
    return {row.split()[0]: row[start:end].strip() for row in rows}


def acted_on(report: dict[str, Any]) -> set[str]:
    return {entry["case"] for key in ACTS for entry in report.get(key, [])}


def test_a_keyword_trigger_due_at_open_shows_in_list_and_overdue(cli: Cli) -> None:
    # legal-threat has no duration: due the moment the case opens, 10:00 (L1's ack is 10:10).
    case = open_case(cli, "Customer threatens lawsuit over refund")
    nxt = cli.json("next", case, "--now", at("10:05"))["next"]
    assert (nxt["due_at"], nxt["trigger"]) == (at("10:00"), "legal-threat")
    assert due_column(cli, at("10:05")) == {case: "2026-11-23 10:00 UTC"}
    assert overdue(cli, at("10:05")) == [case]
    assert acted_on(cli.json("sweep", "--dry-run", "--now", at("10:05"))) == {case}


def test_a_notify_only_trigger_makes_a_case_overdue_and_shows_in_next(cli: Cli) -> None:
    # sev2, acknowledged at 10:05: L1's after is due 11:00, but sev2-slow (unresolved 20m)
    # tells vp at 10:20 without moving the case.
    case = open_case(cli, "Exports slow", "--severity", "sev2")
    cli("acknowledge", case, "--by", "desk", "--now", at("10:05"))
    nxt = cli.json("next", case, "--now", at("10:10"))
    assert nxt["next"]["due_at"] == at("11:00")
    assert nxt["notify"] == []  # the path's also_notify, as before
    assert nxt["triggers"] == [{"trigger": "sev2-slow", "contacts": ["vp"], "due_at": at("10:20")}]
    assert "trigger sev2-slow" in cli("next", case, "--now", at("10:10")).stdout
    assert due_column(cli, at("10:10")) == {case: "2026-11-23 10:20 UTC"}
    assert overdue(cli, at("10:19:59")) == []
    assert overdue(cli, at("10:20")) == [case]
    sweep(cli, at("10:20"))
    assert overdue(cli, at("10:20")) == []
    assert cli.json("next", case, "--now", at("10:20"))["triggers"] == []
    assert due_column(cli, at("10:20")) == {case: "2026-11-23 11:00 UTC"}


def top_level_after(data: dict[str, Any]) -> None:
    for level in data["levels"]:
        if level["id"] == "L4":
            level["after"] = "30m"


def test_at_the_top_with_nothing_left_to_do_a_case_is_not_overdue_and_shows_no_due_time(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix_variant(tmp_path, monkeypatch, top_level_after)
    # sev4 has no SLA; at L4, the top of the default path (no externals), L4's after (30m)
    # runs out at 10:31 and a sweep can do nothing about it.
    case = open_case(cli, "Login page typo", "--severity", "sev4")
    cli("up", case, "--to", "L4", "--force", "--reason", "VIP", "--now", at("10:01"))
    assert cli.json("next", case, "--now", at("11:00"))["next"] is None
    assert acted_on(cli.json("sweep", "--dry-run", "--now", at("11:00"))) == set()
    assert overdue(cli, at("11:00")) == []
    assert due_column(cli, at("11:00")) == {case: "-"}


def test_at_the_top_an_sla_deadline_is_due_until_the_sweep_records_it(cli: Cli) -> None:
    # sev1 at L4 (no timers): only the ack SLA (10:15) and the resolve SLA (14:00) are left.
    case = open_case(cli, "Checkout down", "--severity", "sev1")
    cli("up", case, "--to", "L4", "--reason", "VIP", "--now", at("10:01"))
    nxt = cli.json("next", case, "--now", at("10:10"))
    assert nxt["next"] is None
    assert nxt["deadlines"] == [
        {"sla": "ack", "due_at": at("10:15")},
        {"sla": "resolve", "due_at": at("14:00")},
    ]
    assert "ack SLA due 2026-11-23 10:15 UTC" in cli("next", case, "--now", at("10:10")).stdout
    assert due_column(cli, at("10:10")) == {case: "2026-11-23 10:15 UTC"}
    assert overdue(cli, at("10:15")) == [case]
    sweep(cli, at("10:20"))
    assert show(cli, case)["breached"] == ["ack"]
    assert overdue(cli, at("10:20")) == []
    assert due_column(cli, at("10:20")) == {case: "2026-11-23 14:00 UTC"}


def test_overdue_is_exactly_what_a_dry_run_would_act_on_at_every_minute(cli: Cli) -> None:
    cases = [
        open_case(cli, "Printer on fire"),  # L1 ack 10:10
        open_case(cli, "Our vendor is late", "--severity", "sev4"),  # path switch at once
        open_case(cli, "Exports slow", "--severity", "sev2"),  # notify vp at 10:20
        open_case(cli, "Checkout down", "--severity", "sev1"),  # ack SLA 10:15
        open_case(cli, "Typo", "--severity", "sev4"),
    ]
    cli("acknowledge", cases[2], "--by", "desk", "--now", at("10:01"))
    cli("acknowledge", cases[4], "--by", "desk", "--now", at("10:01"))
    cli("up", cases[4], "--to", "L4", "--force", "--reason", "x", "--now", at("10:02"))
    for minute in range(2, 40, 3):
        now = at(f"10:{minute:02d}")
        due = due_column(cli, now)
        assert set(overdue(cli, now)) == acted_on(cli.json("sweep", "--dry-run", "--now", now))
        for case in cases:
            nxt = cli.json("next", case, "--now", now)
            moments = [
                *([nxt["next"]["due_at"]] if nxt["next"] and nxt["next"]["due_at"] else []),
                *(t["due_at"] for t in nxt["triggers"]),
                *(d["due_at"] for d in nxt["deadlines"]),
            ]
            soonest = min(moments) if moments else None
            shown = soonest.replace("T", " ").replace(":00Z", " UTC") if soonest else "-"
            assert due[case] == shown, (case, now)
        sweep(cli, now)


def test_simulate_lists_notify_only_triggers(cli: Cli) -> None:
    timeline = cli.json("simulate", "--severity", "sev2")["timeline"]
    assert any(e["reason"] == "trigger sev2-slow" for e in timeline)
