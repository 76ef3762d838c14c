"""escalate metrics through the CLI, on cases built with real commands at fixed times."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalate_cli.cli.metrics import bar_lines, human_duration, percent
from tests.conftest import Cli
from tests.stores import edit_case

# What the history below gives at the tests' fixed clock (Monday 2026-11-23 10:00 UTC).
ALL_TIME = {
    "cases": 4,
    "open": 1,
    "mtta_s": 2100,  # ESC-2 after 10m, ESC-3 after 1h
    "mttr_s": 62400,  # ESC-1 1h, ESC-2 3h, ESC-3 2d (its second resolution)
    "breaches": {"ack": 1, "resolve": 0},
    "escalations": {
        "by_level": {"L2": 1, "L3": 1, "L4": 1},
        "by_path": {"default": 1, "legal": 2},
    },
    "reopen_rate": 0.25,
}


def run(cli: Cli, when: str, *args: str) -> None:
    cli("--now", f"2026-11-{when}:00Z", *args)


@pytest.fixture
def history(cli: Cli) -> Cli:
    """Four cases over two weeks, each command at its own --now (day and HH:MM below)."""
    run(cli, "10T09:00", "open", "Old invoice question")  # ESC-1, sev3 at L1
    run(cli, "10T10:00", "resolve", "1", "--summary", "answered")
    run(cli, "10T10:30", "close", "1")
    run(cli, "20T09:00", "open", "Checkout down", "--severity", "sev1")  # ESC-2 at L2
    run(cli, "20T09:00", "open", "Search is slow")  # ESC-3, sev3 at L1
    run(cli, "20T09:10", "acknowledge", "2")
    run(cli, "20T09:20", "sweep")  # ESC-3: L1's 15m ack timer -> L2
    run(cli, "20T10:00", "acknowledge", "3")
    run(cli, "20T11:00", "resolve", "3", "--summary", "index rebuilt")
    run(cli, "20T12:00", "resolve", "2", "--summary", "rolled back")
    run(cli, "20T12:30", "close", "2")
    run(cli, "21T09:00", "reopen", "3", "--reason", "slow again")
    run(cli, "22T09:00", "resolve", "3", "--summary", "cache warmed")
    run(cli, "22T09:00", "open", "Customer's lawyer wrote")  # ESC-4
    run(cli, "22T09:00", "sweep")  # legal-threat trigger: path legal, L1 -> L3
    run(cli, "22T13:00", "sweep")  # ack SLA (4h) breached; L3's 5m ack timer -> L4
    return cli


def test_metrics_json_over_every_case_open_and_archived(history: Cli) -> None:
    assert history.json("metrics") == ALL_TIME
    # Two of the four are closed and live in the archive: metrics read it too.
    assert len(history.json("list", "--status", "all")) == 4
    assert len(history.json("list")) == 1


def test_the_history_is_what_the_expectations_assume(history: Cli) -> None:
    reopened = history.json("show", "3")
    assert (reopened["status"], reopened["reopened"]) == ("resolved", 1)
    assert reopened["resolved_at"] == "2026-11-22T09:00:00Z"
    lawyer = history.json("show", "4")
    assert [(e["from"], e["to"]) for e in lawyer["escalations"]] == [("L1", "L3"), ("L3", "L4")]
    assert (lawyer["type"], lawyer["breached"]) == ("legal", ["ack"])


def test_since_keeps_cases_opened_within_the_window(history: Cli) -> None:
    week = history.json("metrics", "--since", "7d")
    assert week == {
        **ALL_TIME,
        "cases": 3,
        "mttr_s": 91800,  # ESC-1 (opened 13 days ago) is out
        "reopen_rate": 0.3333,
    }
    # 25h before now is exactly when ESC-4 opened: the window includes its start.
    assert history.json("metrics", "--since", "25h") == {
        "cases": 1,
        "open": 1,
        "mtta_s": None,
        "mttr_s": None,
        "breaches": {"ack": 1, "resolve": 0},
        "escalations": {"by_level": {"L3": 1, "L4": 1}, "by_path": {"legal": 2}},
        "reopen_rate": 0,
    }
    one_second_later = history.json("metrics", "--since", "25h", "--now", "2026-11-23T10:00:01Z")
    assert one_second_later["cases"] == 0


def test_since_takes_a_moment_as_people_type_it(history: Cli) -> None:
    by_duration = history.json("metrics", "--since", "25h")
    assert history.json("metrics", "--since", "2026-11-22T09:00:00Z") == by_duration
    assert history.json("metrics", "--since", "yesterday 9:00") == by_duration  # TZ=UTC
    later = history("metrics", "--since", "tomorrow", code=2)
    assert later.stderr == "error: --since: tomorrow is after now\n"


def test_since_counts_back_from_the_now_flag(history: Cli) -> None:
    # On 2026-11-11, a week back reaches only ESC-1; later cases are not "within" that week.
    early = history.json("--now", "2026-11-11T00:00:00Z", "metrics", "--since", "1w")
    assert (early["cases"], early["mttr_s"], early["reopen_rate"]) == (1, 3600, 0)


def test_people_get_a_summary_and_charts_within_80_columns(history: Cli) -> None:
    result = history("metrics")
    lines = result.stdout.splitlines()
    assert result.stderr == ""
    assert lines[:6] == [
        "All cases (open and archived)",
        "  cases         4 (1 open)",
        "  MTTA          35m (mean of 2 acknowledged)",
        "  MTTR          17h20m (mean of 3 resolved)",
        "  SLA breaches  ack 1 (25%), resolve 0 (0%)",
        "  reopen rate   25% (1 of 4)",
    ]
    assert "Escalations per level (3)" in lines
    assert "Escalations per path (3)" in lines
    bars = {line.split()[0]: line for line in lines if "█" in line}
    assert set(bars) == {"L2", "L3", "L4", "default", "legal"}
    # legal has twice default's escalations, so twice the bar.
    assert bars["legal"].count("█") == 2 * bars["default"].count("█")
    assert bars["legal"].rstrip().endswith(" 2")
    assert all(len(line) <= 80 for line in lines)


def test_people_output_names_the_window(history: Cli) -> None:
    lines = history("metrics", "--since", "7d").stdout.splitlines()
    assert lines[0] == (
        "Cases opened in the last 7d (2026-11-16 10:00 UTC to 2026-11-23 10:00 UTC)"
    )
    assert lines[1] == "  cases         3 (1 open)"
    assert lines[3] == "  MTTR          1d2h (mean of 2 resolved)"  # 25.5h


def test_an_empty_store_gives_zeros_and_nulls(cli: Cli) -> None:
    assert cli.json("metrics") == {
        "cases": 0,
        "open": 0,
        "mtta_s": None,
        "mttr_s": None,
        "breaches": {"ack": 0, "resolve": 0},
        "escalations": {"by_level": {}, "by_path": {}},
        "reopen_rate": None,
    }
    text = cli("metrics").stdout
    assert "  MTTA          -\n" in text
    assert "  reopen rate   -\n" in text
    assert text.count("  none\n") == 2
    assert "  SLA breaches  ack 0, resolve 0\n" in text  # no share of no cases


def test_metrics_need_no_matrix(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli("open", "Printer on fire")
    monkeypatch.delenv("ESCALATE_MATRIX")
    assert cli.json("metrics")["cases"] == 1


@pytest.mark.parametrize("since", ["2x", "0s", "", "7", "-1d", "11000d"])
def test_a_bad_since_is_a_usage_error(cli: Cli, since: str) -> None:
    result = cli("metrics", "--since", since, code=2)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: --since")


def test_a_bad_now_is_a_usage_error(cli: Cli) -> None:
    result = cli("metrics", "--now", "someday", code=2)
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_case_with_a_broken_timestamp_is_a_store_problem(cli: Cli) -> None:
    cli("open", "Printer on fire")
    edit_case(1, lambda case: case.update(acknowledged_at="tea time"))
    result = cli("metrics", code=6)
    assert result.stdout == ""
    assert "ESC-1: bad acknowledged_at 'tea time'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_has_a_summary_and_an_example(cli: Cli) -> None:
    assert "Example: escalate metrics --since 30d" in cli("metrics", "--help").stdout


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (44.6, "45s"),
        (59.4, "59s"),
        (59.6, "1m"),
        (720, "12m"),
        (3600, "1h"),
        (12000, "3h20m"),
        (86399, "1d"),
        (90000, "1d1h"),
        (14 * 86400, "14d"),
        (-600, "-10m"),
    ],
)
def test_human_durations(seconds: float, shown: str) -> None:
    assert human_duration(seconds) == shown


@pytest.mark.parametrize(
    ("rate", "shown"), [(0, "0%"), (0.25, "25%"), (1 / 12, "8.3%"), (1, "100%")]
)
def test_percent(rate: float, shown: str) -> None:
    assert percent(rate) == shown


def test_bars_scale_to_the_largest_and_never_hide_a_small_count() -> None:
    lines = bar_lines({"L1": 1000, "L2": 1, "a-very-long-level-name-indeed": 500})
    blocks = [line.count("█") for line in lines]
    assert blocks == [40, 1, 20]
    assert "a-very-long-level-n…" in lines[2]
    assert all(len(line.replace("[cyan]", "").replace("[/cyan]", "")) <= 80 for line in lines)
    assert bar_lines({"L1": 3}, encoding="ascii") == ["  L1  [cyan]" + "#" * 40 + "[/cyan]  3"]
    assert bar_lines({}) == []


def test_by_severity_gives_each_group_its_metrics_and_breach_rates(history: Cli) -> None:
    found = history.json("metrics", "--by", "severity")
    assert found["by"] == "severity"
    rows = {row["key"]: row for row in found["rows"]}
    assert [row["key"] for row in found["rows"]] == ["sev1", "sev3"]  # the matrix's order
    assert (rows["sev3"]["cases"], rows["sev1"]["cases"]) == (3, 1)
    assert rows["sev3"]["breaches"] == {"ack": 1, "resolve": 0}
    assert rows["sev3"]["breach_rates"] == {"ack": 1 / 3, "resolve": 0}
    assert rows["sev1"]["mttr_s"] == 3 * 3600  # opened 09:00, resolved 12:00


def test_severities_and_levels_come_in_the_matrix_order_whatever_their_names(
    cli: Cli, matrix_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Renamed so that neither the busiest first nor the names' order is the matrix's order.
    text = matrix_file.read_text().replace("sev1", "urgent").replace("sev3", "low")
    matrix_file.write_text(text.replace("L3", "ZZ"))
    monkeypatch.setenv("ESCALATE_MATRIX", str(matrix_file))
    severities = ["low", "low", "low", "urgent", "sev2", "low", "urgent"]
    levels = ["L4", "L4", "L4", "ZZ", "L1", "ZZ", "L2"]
    for number, (severity, level) in enumerate(zip(severities, levels, strict=True), 1):
        cli("open", f"Case {number}", "--severity", severity)
        edit_case(number, lambda case, at=level: case.update(level=at))
    edit_case(7, lambda case: case.update(severity="retired"))  # gone from the matrix: last
    rows = cli.json("metrics", "--by", "severity")["rows"]
    assert [(row["key"], row["cases"]) for row in rows] == [
        ("urgent", 1),
        ("sev2", 1),
        ("low", 4),
        ("retired", 1),
    ]
    rows = cli.json("metrics", "--by", "level")["rows"]
    assert [row["key"] for row in rows] == ["L1", "L2", "ZZ", "L4"]
    shown = cli("metrics", "--by", "level").stdout.splitlines()
    assert [line.split()[0] for line in shown if "█" in line] == ["L1", "L2", "ZZ", "L4"]


def test_by_path_and_owner_group_what_the_case_holds(history: Cli) -> None:
    paths = {row["key"]: row["cases"] for row in history.json("metrics", "--by", "path")["rows"]}
    assert paths == {"default": 3, "legal": 1}
    customers = history.json("metrics", "--by", "customer")["rows"]
    assert [(row["key"], row["cases"]) for row in customers] == [("(none)", 4)]


def test_period_week_is_a_series_with_the_quiet_weeks_in_it(history: Cli) -> None:
    found = history.json("metrics", "--period", "week")
    assert found["period"] == "week"
    # Cases opened on the 10th (week of Monday the 9th) and the 20th and 22nd (week of the 16th);
    # the series runs on to the week holding now (Monday the 23rd), quiet as it is so far.
    assert [(row["key"], row["cases"]) for row in found["rows"]] == [
        ("2026-11-09", 1),
        ("2026-11-16", 3),
        ("2026-11-23", 0),
    ]
    shown = history("metrics", "--period", "week", "--since", "14d").stdout
    assert shown.startswith("Per week (opened in the last 14d)\n")
    assert "2026-11-16" in shown and "Cases" in shown


def test_a_series_runs_from_the_window_start_to_now_with_every_quiet_period(history: Cli) -> None:
    def series(*args: str) -> list[tuple[str, int]]:
        rows = history.json("metrics", "--period", *args)["rows"]
        return [(row["key"], row["cases"]) for row in rows]

    # Two weeks on, nothing new: the weeks since the last case are zeros, not left out.
    later = ("--now", "2026-12-08T10:00:00Z")
    assert series("week", *later) == [
        ("2026-11-09", 1),
        ("2026-11-16", 3),
        ("2026-11-23", 0),
        ("2026-11-30", 0),
        ("2026-12-07", 0),
    ]
    assert series("month", *later) == [("2026-11-01", 4), ("2026-12-01", 0)]
    # --since starts the series in the week the window starts in, before the first case.
    assert series("week", "--since", "4w") == [
        ("2026-10-26", 0),
        ("2026-11-02", 0),
        ("2026-11-09", 1),
        ("2026-11-16", 3),
        ("2026-11-23", 0),
    ]


def test_an_empty_store_has_a_series_only_over_a_window(cli: Cli) -> None:
    assert cli.json("metrics", "--period", "week")["rows"] == []
    # 8 days back from Monday the 23rd is Sunday the 15th, in the week of the 9th.
    rows = cli.json("metrics", "--period", "week", "--since", "8d")["rows"]
    keys = [row["key"] for row in rows]
    assert keys == ["2026-11-09", "2026-11-16", "2026-11-23"]
    assert all(row["cases"] == 0 for row in rows)


def test_csv_is_one_row_per_group_for_a_spreadsheet(history: Cli) -> None:
    lines = history("metrics", "--by", "severity", "--csv").stdout.splitlines()
    assert lines[0] == (
        "severity,cases,open,mtta_s,mttr_s,ack_breaches,resolve_breaches,ack_breach_pct,"
        "resolve_breach_pct,escalations,reopen_pct"
    )
    # Rates in percent: sev3 has 1 ack breach and 1 reopened case of 3.
    assert lines[1] == "sev1,1,0,600,10800,0,0,0,0,0,0"
    assert lines[2] == "sev3,3,1,3600,88200,1,0,33.33,0,3,33.33"
    plain = history("metrics", "--csv").stdout.splitlines()
    assert plain[1] == "all,4,1,2100,62400,1,0,25,0,3,25"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "colour"], '--by "colour": use one of severity, owner, customer, path, level\n'),
        (["--by", "week"], '--by "week": use one of severity, owner, customer, path, level\n'),
        (["--period", "year"], '--period "year": use one of week, month\n'),
        (["--period", "owner"], '--period "owner": use one of week, month\n'),
        (["--by", "owner", "--period", "week"], "--by and --period go one at a time\n"),
        (["--csv", "--json"], "--csv and --json go one at a time\n"),
    ],
)
def test_a_bad_breakdown_is_a_usage_error(cli: Cli, args: list[str], message: str) -> None:
    failed = cli("metrics", *args, code=2)
    assert failed.stderr.endswith(message) and failed.stdout == ""
    assert len(failed.stderr.splitlines()) == 1


def test_csv_text_cells_never_drive_a_terminal_nor_run_as_formulas(cli: Cli) -> None:
    import csv
    import io

    customers = ["Cust\x1b]0;title\x07", '=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]
    customers += ["\tTab", "\rCR", "Plain"]
    for number, customer in enumerate(customers, 1):
        cli("open", f"Case {number}")
        # `edit` trims the name: a store written another way may still start with a tab.
        edit_case(number, lambda case, name=customer: case.update(customer={"name": name}))
    found = cli("metrics", "--by", "customer", "--csv").stdout
    assert "\x1b" not in found and "\x07" not in found
    rows = list(csv.reader(io.StringIO(found)))
    assert sorted(row[0] for row in rows[1:]) == sorted(
        [
            "Cust\\x1b]0;title\\x07",
            '\'=HYPERLINK("http://x")',
            "'+1",
            "'-2",
            "'@SUM(A1)",
            "'\\tTab",
            "'\\rCR",
            "Plain",
        ]
    )
    # Numbers are left as they are: no quote before a count.
    assert all(row[1] == "1" for row in rows[1:])


def test_csv_of_a_customer_typed_at_the_prompt(cli: Cli) -> None:
    cli("open", "Case")
    cli("edit", "1", "--customer", "Cust\x1b]0;title\x07")
    found = cli("metrics", "--by", "customer", "--csv").stdout
    assert found.splitlines()[1].startswith("Cust\\x1b]0;title\\x07,1,")


# A breach is a fact about times (timing rule 5): metrics count an SLA past its deadline at now
# as breached, recorded by a sweep or not.


def breaches(cli: Cli, *args: str) -> dict[str, int]:
    return dict(cli.json("metrics", *args)["breaches"])


def test_an_sla_past_its_deadline_counts_before_any_sweep_records_it(cli: Cli) -> None:
    cli("open", "Checkout down", "--severity", "sev1", "--now", "2026-11-23T05:00:00Z")  # 15m, 4h
    cli("open", "Search slow", "--now", "2026-11-23T09:00:00Z")  # sev3: ack 4h, resolve 3d
    assert breaches(cli) == {"ack": 1, "resolve": 1}
    assert cli.json("show", "1")["breached"] == []  # counted, not written
    assert breaches(cli, "--now", "2026-11-23T05:14:59Z") == {"ack": 0, "resolve": 0}
    assert breaches(cli, "--now", "2026-11-23T05:15:00Z") == {"ack": 1, "resolve": 0}  # due: >=
    lines = cli("metrics").stdout.splitlines()
    assert "  SLA breaches  ack 1 (50%), resolve 1 (50%)" in lines
    rows = cli.json("metrics", "--by", "severity")["rows"]
    assert [(row["key"], row["breaches"]) for row in rows] == [
        ("sev1", {"ack": 1, "resolve": 1}),
        ("sev3", {"ack": 0, "resolve": 0}),
    ]
    weeks = cli.json("metrics", "--period", "week")["rows"]
    assert [row["breaches"] for row in weeks] == [{"ack": 1, "resolve": 1}]
    csv_lines = cli("metrics", "--by", "owner", "--csv").stdout.splitlines()
    assert csv_lines[1:] == ["frontline,1,1,,,0,0,0,0,0,0", "tia,1,1,,,1,1,100,100,0,0"]
    # A sweep records them: counted once, the same as before it.
    cli("sweep")
    assert cli.json("show", "1")["breached"] == ["ack", "resolve"]
    assert breaches(cli) == {"ack": 1, "resolve": 1}
    assert cli.json("metrics", "--by", "severity")["rows"][0]["breaches"] == breaches(cli)


def test_only_a_running_sla_can_breach(cli: Cli) -> None:
    cli("open", "Acknowledged in time", "--severity", "sev1", "--now", "2026-11-23T05:00:00Z")
    cli("acknowledge", "1", "--now", "2026-11-23T05:10:00Z")
    cli("open", "Held before its deadline", "--severity", "sev1", "--now", "2026-11-23T09:30:00Z")
    cli("hold", "2", "--reason", "waiting on the customer", "--now", "2026-11-23T09:40:00Z")
    cli("open", "Resolved", "--severity", "sev1", "--now", "2026-11-23T05:00:00Z")
    cli("resolve", "3", "--summary", "fixed", "--now", "2026-11-23T05:05:00Z")
    # ESC-1's resolve SLA (09:00) is past; its ack was in time. ESC-2's clocks stopped at 09:40.
    assert breaches(cli) == {"ack": 0, "resolve": 1}
    cli("resume", "2", "--now", "2026-11-23T10:00:00Z")
    # Resumed at 10:00 after 20 minutes on hold: its ack is due at 10:05, not 09:45.
    assert breaches(cli, "--now", "2026-11-23T10:04:59Z") == {"ack": 0, "resolve": 1}
    assert breaches(cli, "--now", "2026-11-23T10:05:00Z") == {"ack": 1, "resolve": 1}


def test_a_business_hours_sla_breaches_by_its_calendar(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.cli.test_business_hours import MATRIX
    from tests.cli.test_notify import write_matrix

    write_matrix(tmp_path, monkeypatch, MATRIX)
    cli("open", "Weekend outage", "--now", "2026-11-28T10:00:00Z")  # Saturday; sev2, office
    # A day of wall-clock time, none of it office hours: its 1h ack runs from Monday 09:00.
    assert breaches(cli, "--now", "2026-11-29T10:00:00Z") == {"ack": 0, "resolve": 0}
    assert breaches(cli, "--now", "2026-11-30T09:59:59Z") == {"ack": 0, "resolve": 0}
    assert breaches(cli, "--now", "2026-11-30T10:00:00Z") == {"ack": 1, "resolve": 0}


def test_late_cases_count_only_in_their_window(cli: Cli) -> None:
    cli("open", "Old and late", "--severity", "sev1", "--now", "2026-11-20T09:00:00Z")
    cli("open", "New and late", "--severity", "sev1", "--now", "2026-11-23T09:00:00Z")
    assert breaches(cli) == {"ack": 2, "resolve": 1}
    assert breaches(cli, "--since", "1d") == {"ack": 1, "resolve": 0}
    week = cli.json("metrics", "--by", "level", "--since", "1d")["rows"]
    assert [(row["key"], row["breaches"]) for row in week] == [("L2", {"ack": 1, "resolve": 0})]


def test_without_a_matrix_metrics_count_the_recorded_breaches(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("open", "Checkout down", "--severity", "sev1", "--now", "2026-11-23T05:00:00Z")
    monkeypatch.delenv("ESCALATE_MATRIX")
    assert breaches(cli) == {"ack": 0, "resolve": 0}  # no SLAs to judge it by


def test_a_case_the_engine_cannot_work_out_does_not_stop_metrics(cli: Cli) -> None:
    # As a sweep skips it (docs/reliability.md): a time edited by hand into one case.
    cli("open", "Checkout down", "--severity", "sev1", "--now", "2026-11-23T05:00:00Z")
    cli("open", "Search slow", "--severity", "sev1", "--now", "2026-11-23T05:00:00Z")
    edit_case(1, lambda case: case.update(level_entered_at="junk"))
    assert breaches(cli) == {"ack": 1, "resolve": 1}  # the other case's, counted late
    assert cli("metrics", "--by", "level").stdout


def test_a_late_breach_a_sweep_recorded_meanwhile_counts_once() -> None:
    from escalate_cli.core.documents.metrics import with_late

    recorded = {"number": 1, "breached": ["ack"]}
    (merged,) = with_late([recorded], {1: (recorded, ("ack", "resolve"))})
    assert merged["breached"] == ["ack", "resolve"]
