"""`escalate oncall`: who is reachable at each level now, or at another moment."""

from typing import Annotated

import typer

from escalate_cli.cli._app import parse_when_option, settings, when_option


def oncall(
    ctx: typer.Context,
    at: Annotated[str | None, when_option("At that moment (default now).")] = None,
    level: Annotated[
        str | None, typer.Option("--level", metavar="L", help="Only this level.")
    ] = None,
) -> None:
    """Who is reachable at each level, now or --at another moment.

    No case needed: the rotation member on shift, delegates for people away, business hours.

    Example: escalate oncall --at "sat 03:00" --level L2
    """
    from escalate_cli import output
    from escalate_cli.core.time.timing import from_iso

    state = settings(ctx)
    found = state.session().oncall(at=parse_when_option(at, state, "--at"), level=level)
    moment, blocks = found.at, found.levels
    if state.json:
        output.emit_json(blocks)
        return
    output.text(f"[bold]On call at {output.local_time(moment)}[/bold]")
    for block in blocks:
        output.table(
            ["contact", "name", "available", "via"],
            [
                (c["id"], c["name"], "yes" if c["available"] else "no", c["via"] or "")
                for c in block["contacts"]
            ],
            title=f"{block['level']}: {block['name']}",
        )
        if not any(c["available"] for c in block["contacts"]):
            later = block["next_available_at"]
            until = f"until {output.local_time(from_iso(later))}" if later else "for 14 days"
            output.text(f"  nobody available {until}")


def register(app: typer.Typer) -> None:
    app.command()(oncall)
