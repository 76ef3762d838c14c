"""Lifecycle commands: acknowledge, update, resolve, close, reopen, subscribe, unsubscribe."""

from typing import Annotated

import typer

from escalate_cli.cli._app import By, CaseArgument, after_change, settings

AUDIENCES = ("internal", "customer")


def acknowledge(
    ctx: typer.Context,
    case_ref: CaseArgument,
    by: By = None,
    note: Annotated[str | None, typer.Option(help="What you are doing about it.")] = None,
) -> None:
    """Step 1: say the problem is seen and owned; stops the level's ack timer.

    Example: escalate acknowledge ESC-7 --by sam --note "looking at the payment logs"
    """
    state = settings(ctx)
    done = state.session(by).acknowledge(case_ref, note=note)
    after_change(state, done, f"acknowledged at {done.case['level']}")


def update(
    ctx: typer.Context,
    case_ref: CaseArgument,
    text: Annotated[str, typer.Argument(help="The status update.")],
    audience: Annotated[str, typer.Option(help="customer or internal.")] = "internal",
    by: By = None,
) -> None:
    """Log a status update (communicate proactively); resets silent_for.

    Example: escalate update ESC-7 "Fix deployed to staging, verifying" --audience customer
    """
    from escalate_cli.core.errors import UsageError

    if audience not in AUDIENCES:
        raise UsageError(f'--audience "{audience}": use customer or internal')
    state = settings(ctx)
    done = state.session(by).update(case_ref, text, audience=audience)
    told = f"; told {', '.join(done.result)}" if done.result else ""
    after_change(state, done, f"update logged ({audience}){told}")
    if audience == "customer" and not done.result:
        from escalate_cli import output

        case = done.case["id"]
        output.err(
            f"warning: no customer was told: {case} has no customer contact or subscriber"
            f" besides you (add one: escalate subscribe {case} EMAIL)"
        )


def resolve(
    ctx: typer.Context,
    case_ref: CaseArgument,
    summary: Annotated[str, typer.Option(help="How it was resolved.")],
    by: By = None,
) -> None:
    """Resolve a case: every timer stops.

    Example: escalate resolve ESC-7 --summary "Rolled back the 08:40 deploy"
    """
    state = settings(ctx)
    after_change(state, state.session(by).resolve(case_ref, summary), "resolved")


def close(
    ctx: typer.Context,
    case_ref: CaseArgument,
    summary: Annotated[
        str | None,
        typer.Option(help="For a case never resolved: how it ended (recorded as resolve does)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Close a case never resolved, with no resolution.")
    ] = False,
    by: By = None,
) -> None:
    """Close a resolved case; it moves to the archive (one never resolved needs --summary or
    --force).

    Example: escalate close ESC-7
    """
    state = settings(ctx)
    done = state.session(by).close(case_ref, summary=summary, force=force)
    after_change(state, done, "closed")


def reopen(
    ctx: typer.Context,
    case_ref: CaseArgument,
    reason: Annotated[str, typer.Option(help="Why the case is back.")],
    by: By = None,
) -> None:
    """Reopen a resolved or closed case at its level, with fresh level timers.

    Example: escalate reopen ESC-7 --reason "Customer reports the error again"
    """
    from escalate_cli.core.text.words import plural

    state = settings(ctx)
    done = state.session(by).reopen(case_ref, reason)
    after_change(state, done, f"reopened ({plural(done.case['reopened'], 'time')})")


Contact = Annotated[
    str, typer.Argument(metavar="CONTACT-or-EMAIL", help="A contact id or an email address.")
]


def subscribe(ctx: typer.Context, case_ref: CaseArgument, contact: Contact, by: By = None) -> None:
    """Tell a contact or an email address what the customer is told of a case.

    Example: escalate subscribe ESC-7 it-lead@initech.example
    """
    state = settings(ctx)
    done = state.session(by).subscribe(case_ref, contact)
    said = "subscribed" if done.result else "already hears of it:"
    after_change(state, done, f"{said} {contact.strip()}")


def unsubscribe(
    ctx: typer.Context, case_ref: CaseArgument, contact: Contact, by: By = None
) -> None:
    """Stop telling a subscriber or customer contact about a case.

    Example: escalate unsubscribe ESC-7 it-lead@initech.example
    """
    state = settings(ctx)
    done = state.session(by).unsubscribe(case_ref, contact)
    after_change(state, done, f"unsubscribed {contact.strip()}")


def register(app: typer.Typer) -> None:
    app.command()(acknowledge)
    app.command()(update)
    app.command()(resolve)
    app.command()(close)
    app.command()(reopen)
    app.command()(subscribe)
    app.command()(unsubscribe)
