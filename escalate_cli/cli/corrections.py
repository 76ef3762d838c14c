"""Correcting a case: edit, route, down, assign, take, note."""

from typing import TYPE_CHECKING, Annotated

import typer

from escalate_cli.cli._app import By, CaseArgument, after_change, settings

if TYPE_CHECKING:
    from escalate_cli.core.session import Changed

Reason = Annotated[str, typer.Option(metavar="TEXT", help="Why (on the timeline).")]
Tags = Annotated[list[str] | None, typer.Option(metavar="TAG", help="Repeatable.")]


def edit(
    ctx: typer.Context,
    case_ref: CaseArgument,
    title: Annotated[str | None, typer.Option(metavar="TEXT", help="A new title.")] = None,
    description: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A new description.")
    ] = None,
    customer: Annotated[str | None, typer.Option(metavar="NAME", help="The customer.")] = None,
    tier: Annotated[str | None, typer.Option(metavar="TIER", help="The customer tier.")] = None,
    tag: Tags = None,
    untag: Tags = None,
    by: By = None,
) -> None:
    """Correct a case's title, description, customer, tier or tags; the timeline keeps the old
    values.

    Example: escalate edit ESC-7 --tier vip --tag payments
    """
    state = settings(ctx)
    done = state.session(by).edit(
        case_ref,
        title=title,
        description=description,
        customer=customer,
        tier=tier,
        tag=tag or [],
        untag=untag or [],
    )
    said = "edited: " + "; ".join(done.result) if done.result else "unchanged: nothing differed"
    after_change(state, done, said)


def route(
    ctx: typer.Context,
    case_ref: CaseArgument,
    path: Annotated[str, typer.Option(metavar="NAME", help="The path to move it to.")],
    reason: Reason,
    by: By = None,
) -> None:
    """Move a case to another path by hand: its lowest level at or above the case's.

    Example: escalate route ESC-7 --path security --reason "It is a breach, not a bug"
    """
    from escalate_cli.core.cases.document import escalation_text

    state = settings(ctx)
    done = state.session(by).route(case_ref, path, reason)
    after_change(state, done, escalation_text(done.result))


def down(
    ctx: typer.Context,
    case_ref: CaseArgument,
    reason: Reason,
    to: Annotated[
        str | None, typer.Option(metavar="LEVEL", help="A lower level on the case's path.")
    ] = None,
    by: By = None,
) -> None:
    """Hand a case down its path (one level, or --to a lower one); timers start afresh there
    and breaches stay on record.

    Example: escalate down ESC-7 --reason "Workaround holds; frontline can close it"
    """
    state = settings(ctx)
    done = state.session(by).down(case_ref, reason, to=to)
    after_change(state, done, f"moved down to {done.result}")


def assign(
    ctx: typer.Context,
    case_ref: CaseArgument,
    contact: Annotated[str, typer.Argument(metavar="CONTACT", help="The new owner.")],
    by: By = None,
) -> None:
    """Make a contact the owner of a case.

    Example: escalate assign ESC-7 sam
    """
    state = settings(ctx)
    done = state.session(by).assign(case_ref, contact)
    after_change(state, done, _owner_said(done))


def take(ctx: typer.Context, case_ref: CaseArgument, by: By = None) -> None:
    """Take a case: you (--by, or your user) become its owner.

    Example: escalate take ESC-7
    """
    state = settings(ctx)
    done = state.session(by).take(case_ref)
    after_change(state, done, _owner_said(done))


def _owner_said(done: "Changed") -> str:
    owner = done.case["owner"]
    return f"owner {owner}" if done.result is not None else f"unchanged: owned by {owner} already"


def note(
    ctx: typer.Context,
    case_ref: CaseArgument,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note.")],
    by: By = None,
) -> None:
    """An internal note on the timeline: resets no timer and tells nobody.

    Example: escalate note ESC-7 "Customer prefers email after 18:00"
    """
    state = settings(ctx)
    after_change(state, state.session(by).note(case_ref, text), "noted")


def register(app: typer.Typer) -> None:
    for command in (edit, route, down, assign, take, note):
        app.command()(command)
