"""The metrics command: time to acknowledge and resolve, breaches, escalations, reopen rate."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import Settings, complete_from_core, past_time_option, settings

if TYPE_CHECKING:
    from datetime import timedelta

    from escalate_cli.core.documents.breakdown import Breakdown
    from escalate_cli.core.documents.metrics import Metrics

BREAKDOWN = "escalate_cli.core.documents.breakdown"
# The chart stays readable at 80 columns whatever the terminal's width.
CHART_WIDTH = 80
MAX_BAR = 40
MAX_LABEL = 20


def metrics(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN",
            help="Only cases opened since then: 7d, 12h, mon 9:00 or an ISO time (default: all).",
        ),
    ] = None,
    all_matrices: Annotated[
        bool, typer.Option("--all-matrices", help="Count the cases of every team in the store.")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            metavar="FIELD",
            help="One row per severity, owner, customer, path or level.",
            autocompletion=complete_from_core(BREAKDOWN, "BY"),
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            metavar="PERIOD",
            help="One row per week or month opened in.",
            autocompletion=complete_from_core(BREAKDOWN, "PERIODS"),
        ),
    ] = None,
    csv: Annotated[bool, typer.Option("--csv", help="CSV for a spreadsheet.")] = False,
) -> None:
    """Time to acknowledge and resolve, SLA breaches, escalations per level and path, reopens.

    Example: escalate metrics --since 30d --by severity
    """
    from escalate_cli import output
    from escalate_cli.core.documents.breakdown import BY, PERIODS
    from escalate_cli.core.errors import UsageError

    state = settings(ctx)
    if by is not None and period is not None:
        raise UsageError("--by and --period go one at a time")
    for flag, value, choices in (("--by", by, BY), ("--period", period, PERIODS)):
        if value is not None and value not in choices:
            raise UsageError(f'{flag} "{value}": use one of {", ".join(choices)}')
    if csv and state.json:
        raise UsageError("--csv and --json go one at a time")
    window = since_window(state, since)
    kind = by or period
    if kind is None:
        result = state.session().metrics(window, all_matrices=all_matrices)
        if csv:
            print_csv([("all", result)], "cases")
        elif state.json:
            output.emit_json(result.to_json())
        else:
            print_metrics(result, since)
        return
    table = state.session().breakdown(kind, window, all_matrices=all_matrices)
    if csv:
        print_csv(table.rows, table.kind)
    elif state.json:
        output.emit_json(breakdown_json(table))
    else:
        print_breakdown(table, since)


def breakdown_json(table: "Breakdown") -> dict[str, Any]:
    """`metrics --by/--period --json`: each row's `metrics --json` with its key and breach
    rates."""
    from escalate_cli.core.documents.metrics import breach_rates

    return {
        "by" if table.kind not in ("week", "month") else "period": table.kind,
        "rows": [
            {"key": key, **result.to_json(), "breach_rates": breach_rates(result)}
            for key, result in table.rows
        ],
    }


def print_csv(rows: "list[tuple[str, Metrics]]", key: str) -> None:
    import csv as csv_module
    import sys

    from escalate_cli.core.documents.breakdown import csv_table

    csv_module.writer(sys.stdout, lineterminator="\n").writerows(csv_table(key, rows))


def print_breakdown(table: "Breakdown", since: str | None) -> None:
    """A table, one row per group or period, then cases per row as bars."""
    from escalate_cli import output
    from escalate_cli.core.documents.metrics import breach_rates

    scope = f"opened in the last {since}" if since else "all cases"
    output.text(f"[bold]Per {table.kind}[/bold] ({output.esc(scope)})")
    if not table.rows:
        output.text("  none")
        return
    rows = []
    for key, result in table.rows:
        rates = breach_rates(result)

        def mean(value: float | None) -> str:
            return "-" if value is None else human_duration(value)

        def rate(value: float | None) -> str:
            return "-" if value is None else percent(value)

        rows.append(
            (
                key,
                str(result.cases),
                mean(result.mtta_s),
                mean(result.mttr_s),
                rate(rates.get("ack")),
                rate(rates.get("resolve")),
                rate(result.reopen_rate),
            )
        )
    header = [table.kind, "cases", "MTTA", "MTTR", "ack breach", "resolve breach", "reopened"]
    output.table(header, rows)
    output.text("")
    output.text("[bold]Cases[/bold]")
    for line in bar_lines(
        {key: result.cases for key, result in table.rows}, output.console().encoding
    ):
        output.text(line)


def since_window(state: "Settings", since: str | None) -> "timedelta | None":
    """`--since`: a duration back from now (`30d`), or a moment (`mon 9:00`, an ISO time),
    read and echoed as list's is, and not after now; None without one."""
    from datetime import timedelta

    start = past_time_option(state, since, "--since", by_now=True)
    return None if start is None else max(state.now - start, timedelta(seconds=1))


def human_duration(seconds: float) -> str:
    """A mean duration for people, to two units at most: `45s`, `12m`, `3h20m`, `2d4h`."""
    if seconds < 0:
        return "-" + human_duration(-seconds)
    if round(seconds) < 60:
        return f"{round(seconds)}s"
    minutes = round(seconds / 60)
    if minutes < 24 * 60:
        big, small = divmod(minutes, 60)
        units = "hm"
    else:
        big, small = divmod(round(seconds / 3600), 24)
        units = "dh"
    parts = [f"{n}{unit}" for n, unit in zip((big, small), units, strict=True) if n]
    return "".join(parts)


def percent(rate: float) -> str:
    """`25%`, `8.3%`: one decimal only where it says something."""
    return f"{rate * 100:.1f}".removesuffix(".0") + "%"


def print_metrics(result: "Metrics", since: str | None) -> None:
    """The summary lines, then the escalation charts."""
    from escalate_cli import output

    if result.window_start is not None and result.window_end is not None:
        span = f"{output.local_time(result.window_start)} to {output.local_time(result.window_end)}"
        output.text(f"[bold]Cases opened in the last {output.esc(since)}[/bold] ({span})")
    else:
        output.text("[bold]All cases[/bold] (open and archived)")
    for label, value in summary_rows(result):
        output.text(f"  {label:<14}{output.esc(value)}")
    output.text("")
    for title, counts in (("per level", result.by_level), ("per path", result.by_path)):
        total = sum(counts.values())
        output.text(f"[bold]Escalations {title}[/bold] ({total})")
        if not counts:
            output.text("  none")
        for line in bar_lines(counts, output.console().encoding):
            output.text(line)


def summary_rows(result: "Metrics") -> list[tuple[str, str]]:
    """The summary's lines; rates in percent, a breach count with its share of the cases."""
    from escalate_cli.core.documents.metrics import breach_rates

    def mean(value: float | None, count: int, what: str) -> str:
        return "-" if value is None else f"{human_duration(value)} (mean of {count} {what})"

    rate = result.reopen_rate
    rates = breach_rates(result)

    def breached(sla: str, count: int) -> str:
        share = rates.get(sla)
        return f"{sla} {count}" if share is None else f"{sla} {count} ({percent(share)})"

    breaches = ", ".join(breached(sla, count) for sla, count in result.breaches.items())
    return [
        ("cases", f"{result.cases} ({result.open} open)"),
        ("MTTA", mean(result.mtta_s, result.acknowledged, "acknowledged")),
        ("MTTR", mean(result.mttr_s, result.resolved, "resolved")),
        ("SLA breaches", breaches),
        (
            "reopen rate",
            "-" if rate is None else f"{percent(rate)} ({result.reopened} of {result.cases})",
        ),
    ]


def bar_lines(counts: dict[str, int], encoding: str = "utf-8") -> list[str]:
    """Horizontal bars scaled to the largest count, in Rich markup (plain when piped)."""
    from escalate_cli import output

    if not counts:
        return []
    block = "█" if "utf" in encoding.lower() else "#"
    labels = {key: _clip(str(key)) for key in counts}
    label_width = max(len(label) for label in labels.values())
    count_width = max(len(str(count)) for count in counts.values())
    room = min(MAX_BAR, CHART_WIDTH - 2 - label_width - 2 - 2 - count_width)
    top = max(counts.values())
    lines = []
    for key, count in counts.items():
        # Any escalation at all shows as at least one block, so a rare level is not invisible.
        length = max(1, round(count / top * room)) if count else 0
        bar = (block * length).ljust(room)
        lines.append(
            f"  {output.esc(labels[key].ljust(label_width))}  [cyan]{bar}[/cyan]"
            f"  {count:>{count_width}}"
        )
    return lines


def _clip(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def register(app: typer.Typer) -> None:
    app.command()(metrics)
