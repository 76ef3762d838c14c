"""Steps 2 to 7: gather, assess, convene, brainstorm, implement, learn (step 1, acknowledge,
lives with the lifecycle commands)."""

from typing import TYPE_CHECKING, Annotated

import typer

from escalate_cli.cli._app import (
    By,
    CaseArgument,
    after_change,
    parse_when_option,
    settings,
    when_option,
)

if TYPE_CHECKING:
    from escalate_cli.core.cases.document import Case

Texts = list[str] | None


def gather(
    ctx: typer.Context,
    case_ref: CaseArgument,
    fact: Annotated[
        Texts, typer.Option(help="A fact: error message, version, what happened.")
    ] = None,
    why: Annotated[
        Texts, typer.Option(help='The next answer to "why?" on the way to the cause.')
    ] = None,
    attach: Annotated[
        Texts, typer.Option(help="A file (logs, screenshot); kept by path and sha256.")
    ] = None,
    by: By = None,
) -> None:
    """Step 2: gather facts, the chain of "why?" answers, and attachments.

    Example: escalate gather ESC-7 --fact "HTTP 504 from /pay" --why "gateway times out"
    """
    state = settings(ctx)
    done = state.session(by).gather(case_ref, facts=fact or [], whys=why or [], attach=attach or [])
    after_change(state, done, done.case["timeline"][-1]["text"])


def assess(
    ctx: typer.Context,
    case_ref: CaseArgument,
    severity: Annotated[str | None, typer.Option(help="New severity; re-routes the case.")] = None,
    impact: Annotated[str | None, typer.Option(help="Who is hurt, and how badly.")] = None,
    root_cause: Annotated[str | None, typer.Option(help="The cause, not the symptom.")] = None,
    by: By = None,
) -> None:
    """Step 3: assess impact, root cause and severity (a raise moves the case up).

    Example: escalate assess ESC-7 --impact "All EU checkouts fail" --severity sev1
    """
    state = settings(ctx)
    done = state.session(by).assess(
        case_ref, severity=severity, impact=impact, root_cause=root_cause
    )
    after_change(state, done, _last_step(done.case))


def convene(
    ctx: typer.Context,
    case_ref: CaseArgument,
    owner: Annotated[str | None, typer.Option(help="The one clear owner.")] = None,
    add: Annotated[
        Texts,
        typer.Option(help="CONTACT[:ROLE]; roles: decision-maker, expert (default), affected."),
    ] = None,
    by: By = None,
) -> None:
    """Step 4: the right people at the table, and one clear owner.

    Example: escalate convene ESC-7 --owner sam --add dana:decision-maker --add ana:expert
    """
    state = settings(ctx)
    done = state.session(by).convene(case_ref, owner=owner, add=add or [])
    after_change(state, done, _last_step(done.case))


def brainstorm(
    ctx: typer.Context,
    case_ref: CaseArgument,
    option: Annotated[Texts, typer.Option(help="An option worth considering.")] = None,
    choose: Annotated[int | None, typer.Option(help="The option chosen, counting from 1.")] = None,
    by: By = None,
) -> None:
    """Step 5: more than one option, then a choice.

    Example: escalate brainstorm ESC-7 --option "Roll back" --option "Hotfix the timeout" --choose 1
    """
    from escalate_cli import output

    state = settings(ctx)
    done = state.session(by).brainstorm(case_ref, options=option or [], choose=choose)
    for line in done.result:
        output.err(f"note: {line}")
    after_change(state, done, _last_step(done.case))


def implement(
    ctx: typer.Context,
    case_ref: CaseArgument,
    action: Annotated[str | None, typer.Option(help="A corrective action.")] = None,
    kind: Annotated[str, typer.Option(help="workaround (stop the pain now) or fix.")] = "fix",
    assignee: Annotated[str | None, typer.Option(help="Contact who does it.")] = None,
    due: Annotated[str | None, when_option("When it is due.")] = None,
    done: Annotated[int | None, typer.Option(help="Mark action N done.")] = None,
    by: By = None,
) -> None:
    """Step 6: corrective actions, numbered 1, 2, ... per case; --done N marks one done.

    Example: escalate implement ESC-7 --action "Raise timeout" --kind workaround --due 4h
    """

    state = settings(ctx)
    changed = state.session(by).implement(
        case_ref,
        action=action,
        kind=kind,
        assignee=assignee,
        due=parse_when_option(due, state, "--due"),
        done=done,
    )
    after_change(state, changed, _last_step(changed.case))


def learn(
    ctx: typer.Context,
    case_ref: CaseArgument,
    lesson: Annotated[Texts, typer.Option(help="What went wrong, or what worked.")] = None,
    prevent: Annotated[
        Texts, typer.Option(help="What changes so it does not happen again.")
    ] = None,
    follow_up: Annotated[str | None, when_option("Check back then.")] = None,
    with_: Annotated[str | None, typer.Option("--with", help="Contact to check back with.")] = None,
    assignee: Annotated[
        str | None, typer.Option(help="Contact who does the --prevent items given with it.")
    ] = None,
    due: Annotated[
        str | None, when_option("When those --prevent items are due (reminded then).")
    ] = None,
    follow_up_done: Annotated[
        int | None, typer.Option(help="Mark follow-up N done.", metavar="N")
    ] = None,
    prevent_done: Annotated[
        int | None, typer.Option(help="Mark prevention item N done.", metavar="N")
    ] = None,
    by: By = None,
) -> None:
    """Step 7, after resolve: lessons, prevention, and a follow-up check-in.

    Example: escalate learn ESC-7 --lesson "Deploy skipped smoke test" --follow-up 1w --with dana
    """

    state = settings(ctx)
    done = state.session(by).learn(
        case_ref,
        lessons=lesson or [],
        prevent=prevent or [],
        follow_up=parse_when_option(follow_up, state, "--follow-up"),
        follow_up_with=with_,
        assignee=assignee,
        due=parse_when_option(due, state, "--due"),
        follow_up_done=follow_up_done,
        prevent_done=prevent_done,
    )
    after_change(state, done, _last_step(done.case))


def _last_step(case: "Case") -> str:
    # Who the step told comes after it (convene's `notified`): the step says what was done.
    return str(next(e for e in reversed(case["timeline"]) if e["kind"] == "step")["text"])


def register(app: typer.Typer) -> None:
    for command in (gather, assess, convene, brainstorm, implement, learn):
        app.command()(command)
