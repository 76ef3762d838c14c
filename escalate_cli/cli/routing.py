"""Routing commands: next, up, sweep, simulate, hold, resume."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import (
    By,
    CaseArgument,
    after_change,
    parse_when_option,
    print_next,
    settings,
    when_option,
)

if TYPE_CHECKING:
    from escalate_cli.core.matrix.model import Matrix


def next_(ctx: typer.Context, case_ref: CaseArgument) -> None:
    """Who to escalate to next, when, and why (which timer or trigger).

    Example: escalate next ESC-7 --json
    """
    from escalate_cli import output

    state = settings(ctx)
    found = state.session().next(case_ref)
    view = found.view
    if state.json:
        if view.problem:
            output.err(f"{view.data['case']}: {view.note}")
        output.emit_json(view.data)
        return
    output.text(f"[bold]{view.data['case']}[/bold] is at {output.esc(view.data['level'])}")
    print_next(found.matrix, view, found.case, found.now)


def up(
    ctx: typer.Context,
    case_ref: CaseArgument,
    reason: Annotated[str, typer.Option(help="Why escalate now.")],
    to: Annotated[str | None, typer.Option(help="Escalate straight to this level.")] = None,
    agreed_by: Annotated[
        str | None, typer.Option(help="The second person who agrees (paths that take two).")
    ] = None,
    transfer: Annotated[
        bool, typer.Option(help="Make the new level's primary contact the owner.")
    ] = False,
    force: Annotated[bool, typer.Option(help="Escalate before the level's min_time.")] = False,
    by: By = None,
) -> None:
    """Escalate a case now: one level up its path, or --to a higher level.

    Example: escalate up ESC-7 --reason "refund above my authority"
    """
    from escalate_cli.core.cases.document import escalation_text

    state = settings(ctx)
    done = state.session(by).up(
        case_ref, reason, to=to, agreed_by=agreed_by, transfer=transfer, force=force
    )
    after_change(state, done, escalation_text(done.case["escalations"][-1]))


def sweep(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what a sweep would do; change nothing.")
    ] = False,
) -> None:
    """Check every open case against its timers and triggers; escalate what is due.

    Example: escalate sweep --json   (from cron, every minute)
    """
    from escalate_cli import output
    from escalate_cli.core.text.words import plural

    state = settings(ctx)
    swept = state.session().sweep(dry_run=dry_run)  # and claims what is due for a retry
    report = swept.report
    for problem in report["problems"]:
        output.err(f"{problem['case']}: {problem['problem']}")
    if state.json:
        output.emit_json(swept.json())
        return
    lines = sweep_lines(swept.matrix, report)
    for line in lines:
        output.text(output.esc(line, at_end=True))
    checked = f"({plural(report['checked'], 'case')} checked)"
    if not lines:
        output.err(f"nothing due {checked}")
        return
    counts = ", ".join(f"{len(report[key])} {key}" for key in SWEEP_KINDS)
    reminders = _reminders(report)
    if reminders:
        counts += f", {len(reminders)} reminded"
    if dry_run:
        output.text(f"dry run, nothing changed: would be {counts} {checked}")
    else:
        output.text(f"{counts} {checked}")


SWEEP_KINDS = ("escalated", "notified", "breached", "changed")


def sweep_lines(matrix: "Matrix", report: dict[str, Any]) -> list[str]:
    """One line per thing a sweep did, case by case: the move, the fields a trigger changed,
    notify-only triggers, breaches. A path switch at the same level says so, not "L1 -> L1"."""
    from escalate_cli import output
    from escalate_cli.core.time.timing import stamps_in_zone

    lines: dict[str, list[str]] = {}

    def add(case_id: str, text: str) -> None:
        lines.setdefault(case_id, []).append(f"{case_id}: {text}")

    def told(contacts: list[str]) -> str:
        return "; notified " + (", ".join(contacts) or "nobody")

    in_place = {}  # path switches that kept the level: the `changed` line tells them
    for moved in report["escalated"]:
        why = f" (trigger {moved['trigger']})" if moved["trigger"] else ""
        if moved["external"]:
            where = f"external contacts ({', '.join(moved['external'])})"
        elif moved["from"] != moved["to"]:
            where = moved["to"]
        else:
            in_place[moved["case"]] = moved
            continue
        add(moved["case"], f"{moved['from']} -> {where}{why}{told(moved['contacts'])}")
    for change in report["changed"]:
        name = "path" if change["field"] == "type" else change["field"]
        text = f"{name} {change['from']} -> {change['to']} (trigger {change['trigger']})"
        if name == "path" and change["case"] in in_place:
            text += told(in_place[change["case"]]["contacts"])
        elif change.get("contacts"):
            text += told(change["contacts"])  # a severity raised in place tells its `notify`
        add(change["case"], text)
    for notice in report["notified"]:
        who = ", ".join(notice["contacts"]) or "nobody"
        add(notice["case"], f"trigger {notice['trigger']} notified {who}")
    breach_told = {
        (r["case"], r["text"]): r["contacts"] for r in report["reminded"] if r["what"] == "breach"
    }
    for reminder in _reminders(report):
        if reminder["what"] == "breach":
            continue  # on the breach's own line below
        if reminder.get("trigger"):
            who = ", ".join(reminder["contacts"]) or "nobody"
            add(reminder["case"], f"trigger {reminder['trigger']} reminded {who}")
        else:
            why = stamps_in_zone(reminder.get("text") or reminder["what"], None)
            add(reminder["case"], why + told(reminder["contacts"]))
    for breach in report["breached"]:
        text = f"{breach['sla']} SLA breached"
        told_of = breach_told.get((breach["case"], text))
        said = told(told_of) if told_of is not None else ""
        add(breach["case"], f"{text} at {output.when(breach['at'])}{said}")
    return [line for case_id in sorted(lines, key=_by_number) for line in lines[case_id]]


def _reminders(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The sweep's reminders but those a `changed` line already names (a severity raised in
    place tells its `notify`)."""
    said = {(change["case"], f"{change['field']}_changed") for change in report["changed"]}
    return [r for r in report["reminded"] if (r["case"], r["what"]) not in said]


def _by_number(case_id: str) -> tuple[str, int]:
    """ESC-2 before ESC-10, as the sweep went through them."""
    prefix, _, number = case_id.rpartition("-")
    return (prefix, int(number) if number.isdigit() else 0)


def simulate(
    ctx: typer.Context,
    severity: Annotated[str | None, typer.Option(help="Severity of the imagined case.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Its escalation type.")] = None,
    tier: Annotated[str | None, typer.Option(help="Its customer tier.")] = None,
) -> None:
    """The timeline a new case would follow if nobody acted: who is notified, when.

    Example: escalate simulate --severity sev1 --type security
    """
    from escalate_cli import output

    state = settings(ctx)
    timeline = state.session().simulate(severity=severity, type=type_, tier=tier)
    if state.json:
        output.emit_json({"timeline": timeline})
        return
    output.table(
        ["at", "level", "notified", "why"],
        [
            (
                output.when(entry["at"]),
                entry["level"],
                ", ".join(c["id"] for c in entry["contacts"]),
                entry["reason"],
            )
            for entry in timeline
        ],
        title="If nobody acts",
    )


def hold(
    ctx: typer.Context,
    case_ref: CaseArgument,
    reason: Annotated[str, typer.Option(help="What the case waits for.")],
    until: Annotated[
        str | None,
        when_option("End the hold by itself then."),
    ] = None,
    by: By = None,
) -> None:
    """Put a case on hold: no timer runs and no trigger fires until it resumes.

    Example: escalate hold ESC-7 --until 2d --reason "waiting for the customer's logs"
    """
    from escalate_cli.core.time.timing import to_iso

    state = settings(ctx)
    ends = parse_when_option(until, state, "--until")
    said = "on hold" if ends is None else f"on hold until {to_iso(ends)}"  # as understood
    after_change(state, state.session(by).hold(case_ref, reason, until=ends), said)


def resume(ctx: typer.Context, case_ref: CaseArgument, by: By = None) -> None:
    """Resume a case on hold: its timers continue where they stopped.

    Example: escalate resume ESC-7
    """
    state = settings(ctx)
    after_change(state, state.session(by).resume(case_ref), "resumed")


def register(app: typer.Typer) -> None:
    app.command("next")(next_)
    app.command()(up)
    app.command()(sweep)
    app.command()(simulate)
    app.command()(hold)
    app.command()(resume)
