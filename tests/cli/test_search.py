"""Finding cases: `search` and `list`'s filters, sorts and limit, through the CLI on both stores."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from escalate_cli.cli import app
from tests import stores
from tests.conftest import Cli

LATER = "2026-11-25T10:00:00Z"


def history(cli: Cli) -> None:
    """Five cases: three active, one resolved, one closed; two opened two days after the rest."""
    cli("open", "Checkout fails for EU customers", "--customer", "Initech", "--severity", "sev1")
    cli("open", "Printer on fire", "--description", "the checkout printer", "--tier", "vip")
    cli("gather", "ESC-2", "--fact", "Payment timeout after 30s")
    cli("resolve", "ESC-2", "--summary", "replaced the printer")
    cli("close", "ESC-2")
    cli("open", "Login slow", "--customer", "initech", "--severity", "sev2", "--owner", "dana")
    cli("resolve", "ESC-3", "--summary", "cache flushed")
    cli("--now", LATER, "open", "Payment page blank", "--description", "checkout shows nothing")
    cli("--now", LATER, "open", "Refund stuck", "--severity", "sev2")
    cli("--now", LATER, "update", "ESC-4", "Checkout team is on it")


def ids(rows: list[dict]) -> list[str]:
    return [row.get("case") or row["id"] for row in rows]


# --- search ------------------------------------------------------------------------------------


def test_search_finds_open_and_closed_cases_best_first(cli: Cli) -> None:
    history(cli)
    found = cli.json("--now", LATER, "search", "checkout")
    assert ids(found) == ["ESC-1", "ESC-4", "ESC-2"]
    assert found[0] == {
        "case": "ESC-1",
        "title": "Checkout fails for EU customers",
        "status": "open",
        "severity": "sev1",
        "customer": "Initech",
        "created_at": "2026-11-23T10:00:00Z",
        "updated_at": "2026-11-23T10:00:00Z",
        "score": 3,
        "matched": ["title"],
    }
    assert (found[1]["score"], found[1]["matched"]) == (2, ["description", "updates"])
    assert (found[2]["status"], found[2]["matched"]) == ("closed", ["description"])
    table = cli("--now", LATER, "search", "CHECKOUT").stdout
    assert table.index("ESC-1") < table.index("ESC-4") < table.index("ESC-2")
    assert "Printer on fire" in table and "description" in table


def test_search_needs_every_word_in_any_field_and_star_for_a_prefix(cli: Cli) -> None:
    history(cli)
    assert ids(cli.json("search", "printer timeout")) == ["ESC-2"]  # title and a fact
    assert ids(cli.json("search", "printer refund")) == []
    assert ids(cli.json("search", "pay")) == []  # whole words only
    assert ids(cli.json("search", "pay*")) == ["ESC-4", "ESC-2"]
    # the customer; a tie goes to the newer case
    assert ids(cli.json("search", "initech")) == ["ESC-3", "ESC-1"]


def test_search_status_and_since(cli: Cli) -> None:
    history(cli)
    assert ids(cli.json("--now", LATER, "search", "checkout", "--status", "active")) == [
        "ESC-1",
        "ESC-4",
    ]
    assert ids(cli.json("search", "checkout", "--status", "closed")) == ["ESC-2"]
    assert ids(cli.json("search", "cache", "--status", "resolved")) == ["ESC-3"]
    assert ids(cli.json("--now", LATER, "search", "checkout", "--since", "1d")) == ["ESC-4"]
    since = ["--since", "2026-11-24T00:00:00Z"]
    assert ids(cli.json("--now", LATER, "search", "checkout", *since)) == ["ESC-4"]


def test_nothing_found_is_exit_0_with_an_empty_list_or_a_line_on_stderr(cli: Cli) -> None:
    history(cli)
    assert cli.json("search", "zebra") == []
    result = cli("search", "zebra")
    assert (result.stdout, result.stderr) == ("", "no case matches\n")
    empty = cli("search", "checkout", "--status", "on_hold")
    assert empty.stderr == "no case matches\n"


def test_bad_search_input_is_a_usage_error_and_saves_nothing(cli: Cli) -> None:
    history(cli)
    before = stores.snapshot()
    for args, said in (
        (["search", "!!!"], "at least one word"),
        (["search", ""], "at least one word"),
        (["search", "x", "--status", "gone"], "--status"),
        (["search", "x", "--since", "yesterday-ish"], "--since"),
        (["search", "x", "--since", "1969-01-01T00:00:00Z"], "--since"),
    ):
        result = cli(*args, code=2)
        assert result.stdout == "" and said in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert stores.snapshot() == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(max_size=40),
    st.sampled_from([[], ["--status", "closed"], ["--since", "2d"], ["--since"], ["--json"]]),
    st.lists(st.text(max_size=8), max_size=2),
)
def test_junk_searches_never_get_a_traceback(text: str, flags: list[str], more: list[str]) -> None:
    runner = CliRunner()
    runner.invoke(app, ["open", "Checkout fails", "-q"])
    result = runner.invoke(app, ["search", text, *flags, *more])
    assert result.exit_code in (0, 2), (text, flags, more, result.stderr, result.exception)
    assert "Traceback" not in result.stderr


# --- list --------------------------------------------------------------------------------------


def test_list_filters_by_customer_tier_participant_and_when_opened(cli: Cli) -> None:
    history(cli)
    everything = ["--now", LATER, "list", "--status", "all"]
    assert ids(cli.json(*everything, "--customer", "INITECH")) == ["ESC-1", "ESC-3"]
    assert ids(cli.json(*everything, "--tier", "VIP")) == ["ESC-2"]
    assert ids(cli.json(*everything, "--participant", "dana")) == ["ESC-3"]
    assert ids(cli.json(*everything, "--participant", "nobody")) == []
    assert ids(cli.json(*everything, "--since", "1d")) == ["ESC-4", "ESC-5"]
    assert ids(cli.json(*everything, "--until", "1d")) == ["ESC-1", "ESC-2", "ESC-3"]
    window = ["--since", "2026-11-23T10:00:00Z", "--until", "2026-11-23T10:00:00Z"]
    assert ids(cli.json(*everything, *window)) == ["ESC-1", "ESC-2", "ESC-3"]
    assert ids(cli.json("--now", LATER, "list", "--customer", "initech")) == ["ESC-1"]


def test_list_tags_count_missing_tags_as_none_and_need_every_tag(cli: Cli) -> None:
    history(cli)
    assert cli.json("list", "--tag", "vip") == []
    stores.edit_case(1, lambda case: case.update(tags=["EU", "payments"]))
    stores.edit_case(4, lambda case: case.update(tags=["payments"]))
    assert ids(cli.json("list", "--tag", "payments")) == ["ESC-1", "ESC-4"]
    assert ids(cli.json("list", "--tag", "payments", "--tag", "eu")) == ["ESC-1"]


def test_list_breached_keeps_cases_with_a_recorded_breach(cli: Cli) -> None:
    history(cli)
    assert cli.json("list", "--breached") == []
    cli("--now", "2026-11-23T10:30:00Z", "sweep")  # ESC-1's sev1 ack SLA of 15m has passed
    breached = cli.json("--now", "2026-11-23T10:30:00Z", "list", "--breached")
    assert ids(breached) == ["ESC-1"] and breached[0]["breached"] == ["ack"]


def test_list_sorts_and_limits(cli: Cli) -> None:
    history(cli)
    listing = ["--now", LATER, "list", "--status", "all"]
    assert ids(cli.json(*listing, "--sort", "created")) == [
        "ESC-5",
        "ESC-4",
        "ESC-3",
        "ESC-2",
        "ESC-1",
    ]
    assert ids(cli.json(*listing, "--sort", "severity")) == [
        "ESC-1",
        "ESC-3",
        "ESC-5",
        "ESC-2",
        "ESC-4",
    ]
    cli("--now", "2026-11-25T11:00:00Z", "update", "ESC-1", "still down")
    updated = ["--now", "2026-11-25T11:00:00Z", "list", "--status", "all", "--sort", "updated"]
    assert ids(cli.json(*updated)) == ["ESC-1", "ESC-5", "ESC-4", "ESC-3", "ESC-2"]
    due = cli.json(*listing, "--sort", "due")
    times = [row["next_due"] for row in due]
    known = [t for t in times if t is not None]
    assert known == sorted(known) and times[: len(known)] == known  # nothing due comes last
    assert {row["id"] for row in due if row["next_due"] is None} >= {"ESC-2", "ESC-3"}
    assert ids(cli.json(*listing, "--sort", "created", "--limit", "2")) == ["ESC-5", "ESC-4"]
    table = cli(*listing, "--sort", "severity", "--limit", "1").stdout
    assert "ESC-1" in table and "ESC-3" not in table


def test_list_json_gives_each_cases_next_due_and_keeps_its_shape(cli: Cli) -> None:
    opened = cli.json("open", "Checkout fails", "--severity", "sev1")
    cli("open", "Printer", "-q")
    cli("resolve", "ESC-2", "--summary", "done")
    rows = cli.json("list", "--status", "all")
    assert rows[0]["next_due"] == cli.json("next", "ESC-1")["next"]["due_at"]
    assert rows[0]["next_due"].endswith("Z")
    assert rows[1]["next_due"] is None  # resolved: nothing runs
    expected = {k for k in opened if k != "timeline"} | {"next_due"}
    assert set(rows[0]) == expected


def test_bad_list_options_are_usage_errors(cli: Cli) -> None:
    for args, said in (
        (["--sort", "priority"], "--sort"),
        (["--limit", "0"], "--limit"),
        (["--limit", "many"], "--limit"),
        (["--since", "soon"], "--since"),
        (["--until", "0d"], "--until"),
    ):
        result = cli("list", *args, code=2)
        assert said in result.stderr and result.stdout == "", (args, result.stderr)


def test_words_longer_than_full_text_search_takes_are_still_found(cli: Cli) -> None:
    long_word = "x" * 3000  # PostgreSQL indexes words of up to 2,047 bytes
    cli("open", f"Dump {long_word}", "-q")
    cli("open", "Other", "-q")
    assert ids(cli.json("search", long_word)) == ["ESC-1"]
    assert ids(cli.json("search", f"{long_word[:2500]}*")) == ["ESC-1"]
    assert ids(cli.json("search", f"dump {long_word}y")) == []


def test_a_case_with_an_unusable_time_is_named_and_the_search_goes_on(cli: Cli) -> None:
    history(cli)
    stores.edit_case(1, lambda case: case.update(created_at="last tuesday"))
    result = cli("--now", LATER, "search", "checkout", "--json")
    assert [row["case"] for row in json.loads(result.stdout)] == ["ESC-4", "ESC-2"]
    assert result.stderr.startswith("ESC-1: skipped: ") and len(result.stderr.splitlines()) == 1
