"""`escalate demo`: the main job on the bundled support matrix, in a throw-away store."""

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

DEMO_DAY = "2026-11-23"
CASE = "ESC-1"

# Each scene: the time on the demo's clock, what a person would be thinking, the command line.
SCENES: list[tuple[str, str, list[str]]] = [
    ("09:00", "The team keeps its matrix in version control; check it.", ["matrix", "validate"]),
    (
        "09:00",
        "A VIP customer's checkout is failing: open a case.",
        [
            "open",
            "Checkout fails for EU customers",
            "--severity",
            "sev2",
            "--customer",
            "Initech",
            "--tier",
            "vip",
            "--customer-contact",
            "it-lead@initech.example",
            "--description",
            "Payments time out at the last step since the 08:40 deploy.",
        ],
    ),
    ("09:05", "Who is next if nobody acts?", ["next", CASE]),
    (
        "09:10",
        "Step 1, acknowledge: say out loud that it is seen and owned.",
        ["acknowledge", CASE, "--by", "frontline", "--note", "Reproduced; collecting logs"],
    ),
    (
        "09:20",
        'Step 2, gather: facts, and "why?" until the cause shows.',
        [
            "gather",
            CASE,
            "--fact",
            "HTTP 504 from /pay for every EU card payment",
            "--fact",
            "Started 08:41, one minute after deploy 2026.11.23-1",
            "--why",
            "The payment gateway call times out after 5 s",
            "--why",
            "The deploy lowered the gateway timeout from 30 s to 5 s",
        ],
    ),
    (
        "09:25",
        "Step 3, assess: every EU customer is hit, so this is critical.",
        [
            "assess",
            CASE,
            "--impact",
            "All EU customers cannot pay; about 40 orders a minute lost",
            "--root-cause",
            "Gateway timeout misconfigured in the 08:40 deploy",
            "--severity",
            "sev1",
            "--by",
            "frontline",
        ],
    ),
    ("09:26", "Who owns it now, and who is reachable at its level?", ["who", CASE]),
    (
        "09:27",
        "The supervisor takes it: a new level acknowledges afresh.",
        ["acknowledge", CASE, "--by", "sam", "--note", "Taking this; paging engineering"],
    ),
    (
        "09:30",
        "Step 4, convene: one clear owner and the right people at the table.",
        ["convene", CASE, "--owner", "sam", "--add", "ana:expert", "--add", "dana:decision-maker"],
    ),
    (
        "09:35",
        "Step 5, brainstorm: more than one option before choosing.",
        [
            "brainstorm",
            CASE,
            "--option",
            "Roll back deploy 2026.11.23-1",
            "--option",
            "Hotfix the timeout back to 30 s",
            "--choose",
            "1",
            "--by",
            "dana",
        ],
    ),
    (
        "09:36",
        "Brief the decision-maker: one paste into chat or email, no story retold.",
        ["brief", CASE, "--ask", "decision"],
    ),
    (
        "09:40",
        "Step 6, implement: a workaround now, the lasting fix with an owner and a date.",
        [
            "implement",
            CASE,
            "--action",
            "Roll back deploy 2026.11.23-1",
            "--kind",
            "workaround",
            "--assignee",
            "ana",
            "--due",
            "30m",
        ],
    ),
    (
        "09:41",
        "Tell the customer before they ask.",
        [
            "update",
            CASE,
            "Rollback under way; payments expected back by 10:15",
            "--audience",
            "customer",
            "--by",
            "sam",
        ],
    ),
    (
        "10:06",
        "The lasting fix gets an owner and a date too.",
        [
            "implement",
            CASE,
            "--action",
            "Add the gateway timeout to the deploy checklist",
            "--assignee",
            "ana",
            "--due",
            "2d",
        ],
    ),
    (
        "10:10",
        "Cron sweeps every minute: the rollback was due now and is not marked done.",
        ["sweep"],
    ),
    ("10:12", "The rollback is done.", ["implement", CASE, "--done", "1", "--by", "ana"]),
    (
        "10:20",
        "Payments flow again.",
        [
            "resolve",
            CASE,
            "--summary",
            "Rolled back; EU payments recovered at 10:12",
            "--by",
            "sam",
        ],
    ),
    (
        "16:00",
        "Step 7, learn: what changes, and a check-in with the customer.",
        [
            "learn",
            CASE,
            "--lesson",
            "Config changes in deploys skipped the payment smoke test",
            "--prevent",
            "Run the EU payment smoke test before every deploy completes",
            "--follow-up",
            "1w",
            "--with",
            "dana",
        ],
    ),
    ("16:05", "How the team is doing: time to acknowledge and resolve, breaches.", ["metrics"]),
    ("16:06", "The whole case, as the next person will read it.", ["show", CASE]),
]


def bundled_matrix() -> Path:
    from importlib.resources import files

    return Path(str(files("escalate_cli") / "matrices" / "support.yaml"))


def demo(
    keep: Annotated[
        bool, typer.Option(help="Keep the throw-away store and print where it is.")
    ] = False,
) -> None:
    """Walk a case through escalate on the bundled support matrix, in a throw-away store.

    Example: escalate demo
    """
    from escalate_cli import output
    from escalate_cli.cli import app

    workdir = Path(tempfile.mkdtemp(prefix="escalate-demo-"))
    common = ["--store", str(workdir / "cases.json"), "--matrix", str(bundled_matrix())]
    command = typer.main.get_command(app)
    # The demo's people are the bundled matrix's: the user's own identity is no contact there,
    # whether it comes from ESCALATE_USER or the config file (the demo's own, never written).
    user = os.environ.pop("ESCALATE_USER", None)
    config = os.environ.get("ESCALATE_CONFIG")
    os.environ["ESCALATE_CONFIG"] = str(workdir / "config.toml")
    try:
        for clock, note, args in SCENES:
            output.text(f"\n[dim]# {clock}  {output.esc(note)}[/dim]")
            output.text(f"[bold]$ escalate {output.esc(_quoted(args))}[/bold]")
            code = command.main(
                args=[*args, *common, "--now", f"{DEMO_DAY}T{clock}:00Z"],
                prog_name="escalate",
                standalone_mode=False,
            )
            if code:
                raise typer.Exit(code)
    finally:
        if user is not None:
            os.environ["ESCALATE_USER"] = user
        if config is None:
            del os.environ["ESCALATE_CONFIG"]
        else:
            os.environ["ESCALATE_CONFIG"] = config
        if keep:
            output.err(f"demo store kept at {workdir / 'cases.json'}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)


def _quoted(args: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(arg) for arg in args)


def register(app: typer.Typer) -> None:
    app.command()(demo)
