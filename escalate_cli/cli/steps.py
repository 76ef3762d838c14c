"""Steps 2 to 7: gather, assess, convene, brainstorm, implement, learn (step 1, acknowledge,
lives with the lifecycle commands)."""

from typing import Annotated

import typer

from escalate_cli.cli._app import change_case, settings
from escalate_cli.cli.cases import CaseArgument
from escalate_cli.cli.routing import By, after_change, when_option

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
    from escalate_cli.core.steps import Gathered, attachment
    from escalate_cli.core.steps import gather as record

    state = settings(ctx)
    files = [attachment(path, state.now, by) for path in attach or []]  # hashed before the lock
    found = Gathered(fact or [], why or [], files)
    matrix, case, _ = change_case(
        state, case_ref, lambda m, c, now: record(m, c, now, found, by), by
    )
    after_change(state, matrix, case, case["timeline"][-1]["text"])


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
    from escalate_cli.core.steps import Assessment
    from escalate_cli.core.steps import assess as record

    found = Assessment(severity, impact, root_cause)
    state = settings(ctx)
    matrix, case, _ = change_case(
        state, case_ref, lambda m, c, now: record(m, c, now, found, by), by
    )
    after_change(state, matrix, case, _last_step(case))


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
    from escalate_cli.core.steps import convene as record

    state = settings(ctx)
    matrix, case, _ = change_case(
        state, case_ref, lambda m, c, now: record(m, c, now, owner, add or [], by), by
    )
    after_change(state, matrix, case, _last_step(case))


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
    from escalate_cli.core.steps import brainstorm as record

    state = settings(ctx)
    matrix, case, advice = change_case(
        state, case_ref, lambda m, c, now: record(m, c, now, option or [], choose, by), by
    )
    for line in advice:
        output.err(f"note: {line}")
    after_change(state, matrix, case, _last_step(case))


def implement(
    ctx: typer.Context,
    case_ref: CaseArgument,
    action: Annotated[str | None, typer.Option(help="A corrective action.")] = None,
    kind: Annotated[str, typer.Option(help="workaround (stop the pain now) or fix.")] = "fix",
    assignee: Annotated[str | None, typer.Option(help="Contact who does it.")] = None,
    due: Annotated[
        str | None, when_option("When it is due (ISO time or a duration such as 2d).")
    ] = None,
    done: Annotated[int | None, typer.Option(help="Mark action N done.")] = None,
    by: By = None,
) -> None:
    """Step 6: corrective actions, numbered 1, 2, ... per case; --done N marks one done.

    Example: escalate implement ESC-7 --action "Raise timeout" --kind workaround --due 4h
    """
    from escalate_cli.cli.routing import parse_when_option
    from escalate_cli.core.steps import ActionRequest
    from escalate_cli.core.steps import implement as record

    state = settings(ctx)
    request = ActionRequest(action, kind, assignee, parse_when_option(due, state, "--due"), done)
    matrix, case, _ = change_case(
        state, case_ref, lambda m, c, now: record(m, c, now, request, by), by
    )
    after_change(state, matrix, case, _last_step(case))


def learn(
    ctx: typer.Context,
    case_ref: CaseArgument,
    lesson: Annotated[Texts, typer.Option(help="What went wrong, or what worked.")] = None,
    prevent: Annotated[
        Texts, typer.Option(help="What changes so it does not happen again.")
    ] = None,
    follow_up: Annotated[
        str | None, when_option("Check back then (ISO time or a duration such as 1w).")
    ] = None,
    with_: Annotated[str | None, typer.Option("--with", help="Contact to check back with.")] = None,
    by: By = None,
) -> None:
    """Step 7, after resolve: lessons, prevention, and a follow-up check-in.

    Example: escalate learn ESC-7 --lesson "Deploy skipped smoke test" --follow-up 1w --with dana
    """
    from escalate_cli.cli.routing import parse_when_option
    from escalate_cli.core.steps import Learning
    from escalate_cli.core.steps import learn as record

    state = settings(ctx)
    found = Learning(
        lesson or [], prevent or [], parse_when_option(follow_up, state, "--follow-up"), with_
    )
    matrix, case, _ = change_case(
        state, case_ref, lambda m, c, now: record(m, c, now, found, by), by
    )
    after_change(state, matrix, case, _last_step(case))


def _last_step(case: dict[str, object]) -> str:
    timeline = case["timeline"]
    assert isinstance(timeline, list)
    return str(timeline[-1]["text"])


def register(app: typer.Typer) -> None:
    for command in (gather, assess, convene, brainstorm, implement, learn):
        app.command()(command)
