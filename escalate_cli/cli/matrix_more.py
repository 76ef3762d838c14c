"""`escalate matrix coverage|diff`: who is reachable hour by hour, and what a change of the
matrix changes. Kept apart from matrix.py so that each file stays a screenful of commands."""

from typing import TYPE_CHECKING, Annotated

import typer

from escalate_cli.cli._app import first_day, settings

if TYPE_CHECKING:
    from rich.text import Text

    from escalate_cli.core.matrix.matrix_coverage import CoverageDay, CoverageWeek
    from escalate_cli.core.matrix.matrix_diff import CaseChange, MatrixDiff

STYLES = {0: "bold white on red", 1: "black on yellow", 2: "black on green"}
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEGEND = (
    "legend: . nobody, 1-9 available (+ ten or more), - an hour the clock skips;\n"
    "each hour shows the fewest available at any moment of it"
)


def coverage(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(help="Matrix file (default: --matrix, ESCALATE_MATRIX, ./escalation.yaml)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            help="A day of the first week: 2026-12-21, mon, ... (default: today); grids start"
            " on its Monday.",
        ),
    ] = None,
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, max=52, metavar="N", help="How many weeks (1-52).")
    ] = 1,
    level: Annotated[
        str | None, typer.Option("--level", metavar="L", help="Only this level.")
    ] = None,
    svg: Annotated[
        str | None,
        typer.Option("--svg", metavar="FILE", help="Also write the grids as an SVG picture."),
    ] = None,
) -> None:
    """Show how many people each level has available, hour by hour, week by week.

    Hours, leave and delegates, rotation shifts and daylight saving, in the matrix's zone;
    `.` marks an hour with nobody.

    Example: escalate matrix coverage matrices/support.yaml --from 2026-12-21 --svg cover.svg
    """
    from escalate_cli import output

    state = settings(ctx)
    first = first_day(start, state, weeks) if start is not None else None
    grids = state.session().coverage(first, weeks=weeks, level=level, matrix_file=path)
    if svg is not None:
        _write_svg(svg, grids)
    if state.json:
        output.emit_json([grid.to_json() for grid in grids])
        return
    for grid in grids:
        _print_grid(grid)
    output.text(LEGEND)


def _write_svg(target: str, grids: "list[CoverageWeek]") -> None:
    from pathlib import Path

    from escalate_cli import output
    from escalate_cli.core.errors import UsageError
    from escalate_cli.core.matrix.coverage_svg import render

    try:
        Path(target).write_text(render(grids), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--svg {target}: {error.strerror or error}") from None
    output.err(f"wrote {target}")


def _print_grid(grid: "CoverageWeek") -> None:
    from rich.text import Text

    from escalate_cli import output
    from escalate_cli.core.text.words import plural

    empty = f"nobody for {plural(grid.empty_hours, 'hour')}" if grid.empty_hours else "no gaps"
    output.text(
        f"[bold]{output.esc(grid.level)} {output.esc(grid.name)}[/bold]: week of"
        f" {grid.week.isoformat()} ({grid.zone}), {empty}"
    )
    header = Text("       ")
    header.append(" ".join(f"{hour:02d}" for hour in range(24)))
    output.out(Text("\n").join([header, *(_day_row(day) for day in grid.days)]))


def _day_row(day: "CoverageDay") -> "Text":
    from rich.text import Text

    from escalate_cli.core.matrix.matrix_coverage import mark

    row = Text(f"{DAY_NAMES[day.day.weekday()]} {day.day.day:02d} ")
    for hour, count in enumerate(day.hours):
        if hour:
            row.append(" ")
        style = "dim" if count is None else STYLES[min(count, 2)]
        row.append(f"{mark(count):>2}", style=style)
    return row


def diff(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="The matrix before: a file, or a git revision.")],
    new: Annotated[str, typer.Argument(help="The matrix after: a file, or a git revision.")],
) -> None:
    """Show what changed between two matrices, and which open cases it moves.

    Contacts, hours, rotations, levels, paths, severities, triggers by id; then each open case
    whose next escalation (level, contacts, due time, reason) differs. OLD or NEW may be a git
    revision: HEAD~1 (the other side's file there) or REV:PATH. Exit 0 with or without
    differences.

    Example: escalate matrix diff HEAD~1 escalation.yaml
    """
    from escalate_cli import output
    from escalate_cli.core.errors import ExitCode, MatrixError

    state = settings(ctx)
    try:
        found = state.session().matrix_diff(old, new)
    except MatrixError as error:  # every problem, as validate prints them, not just the first
        for problem in error.problems:
            output.err(str(problem))
        raise typer.Exit(int(ExitCode.INVALID_MATRIX)) from None
    if state.json:
        output.emit_json(found.to_json())
        return
    _print_diff(found)


def _print_diff(found: "MatrixDiff") -> None:
    from escalate_cli import output
    from escalate_cli.core.text.words import plural

    output.text(f"--- {output.esc(found.old)}")
    output.text(f"+++ {output.esc(found.new)}")
    if not found.changes:
        output.text("no changes")
    for change in found.changes:
        output.text(f"{change.kind} {output.esc(change.id)}: {change.change}")
        for line in change.lines:
            output.text(f"  {output.esc(line)}")
    if found.cases:
        output.text("")
        output.table(
            ["case", "", "old", "new"],
            [row for case in found.cases for row in _case_rows(case)],
            title=f"Open cases whose next escalation changes ({len(found.cases)})",
        )
    moved = plural(len(found.cases), "open case") if found.cases else "no open case"
    output.err(f"{plural(len(found.changes), 'change')}; {moved} answers next differently")


def _case_rows(case: "CaseChange") -> list[tuple[str, str, str, str]]:
    from escalate_cli import output
    from escalate_cli.core.matrix.matrix_diff import shown

    rows = []
    for key in ("level", "contacts", "due_at", "reason"):
        before, after = case.old[key], case.new[key]
        if key == "due_at":
            before, after = output.when(before), output.when(after)
        rows.append((case.case if key == "level" else "", key, shown(before), shown(after)))
    return rows


def register(app: typer.Typer) -> None:
    app.command()(coverage)
    app.command()(diff)
