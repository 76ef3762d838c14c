"""`escalate matrix validate|lint|show`: check, lint and display an escalation matrix."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli import matrix_io
from escalate_cli.cli._app import chosen_matrix, first_day, settings

if TYPE_CHECKING:
    from escalate_cli.core.matrix.matrix_lint import LintResult
    from escalate_cli.core.matrix.model import Matrix

app = typer.Typer(
    help="Check, lint and display an escalation matrix.",
    rich_markup_mode=None,
    no_args_is_help=False,
    invoke_without_command=True,
)

PathArgument = Annotated[
    str | None,
    typer.Argument(help="Matrix file (default: --matrix, ESCALATE_MATRIX, ./escalation.yaml)."),
]
# Several files at once, as pre-commit passes them (.pre-commit-hooks.yaml).
PathsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="Matrix files (default: --matrix, ESCALATE_MATRIX, ./escalation.yaml).",
        metavar="PATH...",
        show_default=False,
    ),
]


@app.callback()
def group(ctx: typer.Context) -> None:
    """Check, lint and display an escalation matrix."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


@app.command()
def validate(ctx: typer.Context, paths: PathsArgument = None) -> None:
    """Check a matrix and report every problem, each with file, line and key.

    Example: escalate matrix validate matrices/support.yaml
    """
    from escalate_cli.core.errors import ExitCode, UsageError

    chosen = (
        [Path(path) for path in paths]
        if paths
        else [chosen_matrix(ctx, None, "escalate matrix validate PATH")]
    )
    if settings(ctx).json and len(chosen) > 1:
        raise UsageError("--json checks one matrix at a time (its answer is one object)")
    valid = [_validate_one(ctx, path) for path in chosen]
    if not all(valid):
        raise typer.Exit(int(ExitCode.INVALID_MATRIX))


def _validate_one(ctx: typer.Context, chosen: Path) -> bool:
    from escalate_cli import output
    from escalate_cli.core.matrix.loader import check_file, load_matrix
    from escalate_cli.core.text.words import plural

    problems, warnings = check_file(chosen)
    if settings(ctx).json:
        output.emit_json(
            {
                "file": str(chosen),
                "valid": not problems,
                "problems": [_problem_json(p) for p in problems],
                "warnings": [_problem_json(w) for w in warnings],
            }
        )
        return not problems
    for problem in [*problems, *warnings]:
        output.err(str(problem))
    if problems:
        output.err(f"{chosen}: {plural(len(problems), 'problem')}")
        return False
    output.text(f"{output.esc(chosen)}: valid ({_summary(load_matrix(chosen))})")
    return True


@app.command()
def lint(
    ctx: typer.Context,
    paths: PathsArgument = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 4 when there is any finding (for CI).")
    ] = False,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            help="First day of the availability walk: 2026-12-21, mon, ... (default: today).",
        ),
    ] = None,
    weeks: Annotated[
        int,
        typer.Option("--weeks", min=1, max=52, metavar="N", help="How many weeks to walk (1-52)."),
    ] = 2,
) -> None:
    """Find what a valid matrix gets wrong in practice (codes: docs/matrix-lint.md).

    Gaps in cover over the coming weeks, timers slower than their SLA, unreachable or unused
    contacts, triggers that never fire; each finding as file:line: CODE message.

    Example: escalate matrix lint matrices/support.yaml --from 2026-12-21 --strict
    """
    from escalate_cli import output
    from escalate_cli.core.errors import ExitCode
    from escalate_cli.core.matrix.matrix_lint import lint_file

    state = settings(ctx)
    chosen = (
        [Path(path) for path in paths]
        if paths
        else [chosen_matrix(ctx, None, "escalate matrix validate PATH")]
    )
    first = first_day(start, state, weeks)
    results = [(path, lint_file(path, first, weeks)) for path in chosen]
    findings = [finding for _, result in results for finding in result.findings]
    if state.json:
        output.emit_json([finding.to_json() for finding in findings])
    for path, result in results:
        _report_lint(path, result, printed=not state.json)
    if any(result.problems for _, result in results) or (strict and findings):
        raise typer.Exit(int(ExitCode.INVALID_MATRIX))


def _report_lint(path: Path, result: "LintResult", printed: bool) -> None:
    """On stderr, like validate: an invalid matrix's problems, else the findings unless
    --json printed them, then one summary line."""
    from escalate_cli import output
    from escalate_cli.core.text.words import plural

    if result.problems:
        for problem in result.problems:
            output.err(str(problem))
        output.err(f"{path}: {plural(len(result.problems), 'problem')} (lint needs a valid matrix)")
        return
    if printed:
        for finding in result.findings:
            output.err(str(finding))
    counted = plural(len(result.findings), "finding") if result.findings else "no findings"
    silenced = f" ({result.silenced} silenced by noqa comments)" if result.silenced else ""
    output.err(f"{path}: {counted}{silenced}")


def _problem_json(problem: Any) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "key": problem.key,
        "message": problem.message,
    }


def _summary(matrix: "Matrix") -> str:
    from escalate_cli.core.text.words import plural

    return ", ".join(
        [
            plural(len(matrix.levels), "level"),
            plural(len(matrix.contacts), "contact"),
            plural(len(matrix.rotations), "rotation"),
            plural(len(matrix.all_paths), "path"),
            plural(len(matrix.severities), "severity", "severities"),
            plural(len(matrix.triggers), "trigger"),
        ]
    )


@app.command()
def show(ctx: typer.Context, path: PathArgument = None) -> None:
    """Show a matrix's levels, contacts, rotations, paths, severities and triggers.

    Example: escalate matrix show matrices/support.yaml
    """
    from escalate_cli import output
    from escalate_cli.core.matrix.loader import load_matrix
    from escalate_cli.core.matrix.matrix_diff import plain

    matrix = load_matrix(chosen_matrix(ctx, path, "escalate matrix validate PATH"))
    if settings(ctx).json:
        output.emit_json(plain(matrix))  # as the YAML writes it, as `matrix diff --json` does
        return
    _print_matrix(matrix)


def _print_matrix(matrix: "Matrix") -> None:
    from escalate_cli import output
    from escalate_cli.core.time.timing import format_duration

    def duration(value: object) -> str:
        from datetime import timedelta

        from escalate_cli.core.matrix.model import BySeverity

        if isinstance(value, BySeverity):  # `sev1 5m, sev2 15m, default 4h`
            return ", ".join(f"{name} {format_duration(span)}" for name, span in value.items())
        return format_duration(value) if isinstance(value, timedelta) else "-"

    output.text(f"[bold]{output.esc(matrix.name or 'Escalation matrix')}[/bold]")
    output.table(
        ["level", "name", "contacts", "ack", "after", "min time", "authority"],
        [
            (
                lvl.id,
                lvl.name or "",
                ", ".join(lvl.contacts),
                duration(lvl.ack),
                duration(lvl.after),
                duration(lvl.min_time),
                lvl.authority or "",
            )
            for lvl in matrix.levels
        ],
        title="Levels (bottom to top)",
    )
    output.table(
        ["contact", "name", "role", "reach", "hours", "zone", "away"],
        [
            (
                c.id,
                c.name or "",
                "external" if c.external else c.role or "",
                " ".join(x for x in (c.email, c.phone, c.chat) if x),
                str(c.hours) if c.hours else "always",
                c.timezone.key if c.timezone else matrix.timezone.key,
                "; ".join(
                    f"{a.start}..{a.until}" + (f" -> {a.delegate}" if a.delegate else "")
                    for a in c.away
                ),
            )
            for c in matrix.contacts
        ],
        title="Contacts",
    )
    if matrix.rotations:
        output.table(
            ["rotation", "members", "shift", "start"],
            [
                (r.id, ", ".join(r.members), duration(r.shift), r.start.isoformat(" "))
                for r in matrix.rotations
            ],
            title="Rotations",
        )
    output.table(
        ["path", "levels", "also notify", "agreement", "external"],
        [
            (
                name,
                " > ".join(p.levels),
                ", ".join(p.also_notify),
                p.agreement,
                ", ".join(p.external),
            )
            for name, p in matrix.all_paths.items()
        ],
        title="Paths",
    )
    if matrix.severities:
        output.table(
            ["severity", "name", "ack", "resolve", "start", "notify"],
            [
                (
                    s.id + (" (default)" if s.id == matrix.default_severity_id else ""),
                    s.name or "",
                    duration(s.ack),
                    duration(s.resolve),
                    s.start or "",
                    ", ".join(s.notify),
                )
                for s in matrix.severities
            ],
            title="Severities (most severe first)",
        )
    if matrix.tiers:
        output.text(f"Tiers: {output.esc(', '.join(matrix.tiers))}")
    if matrix.triggers:
        output.table(
            ["trigger", "when", "then"],
            [(t.id, _conditions(t.when), _action(t)) for t in matrix.triggers],
            title="Triggers",
        )
    _print_delivery(matrix)


def _print_delivery(matrix: "Matrix") -> None:
    """The channels, who hears through each, and the hooks, when the matrix has them."""
    from dataclasses import fields

    from escalate_cli import output
    from escalate_cli.core.matrix.model import Hooks

    if matrix.channels:
        output.table(
            ["channel", "kind", "to", "contacts"],
            [
                (
                    name,
                    channel.kind,
                    _channel_target(channel),
                    ", ".join(c.id for c in matrix.contacts if name in matrix.channels_of(c.id)),
                )
                for name, channel in matrix.channels.items()
            ],
            title="Channels",
        )
    hooks = [
        (item.name, "; ".join(" ".join(argv) for argv in getattr(matrix.hooks, item.name)))
        for item in fields(Hooks)
        if item.name.startswith("on_") and getattr(matrix.hooks, item.name)
    ]
    if hooks:
        output.table(["hook", "runs"], hooks, title="Hooks")
    _print_audiences(matrix)


def _print_audiences(matrix: "Matrix") -> None:
    """Who hears of each event of `notify_on`, defaults included, and who owns a moved case."""
    from escalate_cli import output
    from escalate_cli.core.matrix.model import DEFAULT_AUDIENCES

    rows = []
    for event in DEFAULT_AUDIENCES:
        told: list[str] = list(matrix.notify_on.audiences(event))
        if event == "severity_changed":  # timing rule 11, whatever notify_on says
            told.insert(0, "the severity's notify (when raised)")
        default = "" if getattr(matrix.notify_on, event) is not None else "(default)"
        rows.append((event, ", ".join(told) or "nobody", default))
    title = f"Who is told of what (ownership: {matrix.ownership})"
    output.table(["event", "told", ""], rows, title=title)


def _channel_target(channel: Any) -> str:
    from urllib.parse import urlsplit

    if channel.kind == "email":
        port = f":{channel.port}" if channel.port else ""
        return f"{channel.host}{port} ({channel.security}) from {channel.from_}"
    if channel.kind == "webhook":
        if channel.url_env:
            return f"${channel.url_env}"
        parts = urlsplit(channel.url or "")
        return f"{parts.scheme}://{parts.netloc}/..."  # the path may hold a token
    return " ".join(channel.command)


def _conditions(when: object) -> str:
    from escalate_cli.core.matrix.matrix_diff import plain

    shown = {key: value for key, value in plain(when).items() if value not in ((), [], None)}
    return ", ".join(
        f"{key}: {'/'.join(value) if isinstance(value, list) else value}"
        for key, value in shown.items()
    )


def _action(trigger: object) -> str:
    from escalate_cli.core.cases.escalation import describe
    from escalate_cli.core.matrix.model import Trigger

    assert isinstance(trigger, Trigger)
    return describe(trigger.then) + (", again each time" if trigger.repeat else "")


def register(root: typer.Typer) -> None:
    from escalate_cli.cli import matrix_more

    # export/import, coverage and diff: modules of their own, so matrix.py stays readable
    matrix_io.register(app)
    matrix_more.register(app)
    root.add_typer(app, name="matrix")
