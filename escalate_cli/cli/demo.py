"""`escalate demo`: the main job on the bundled support matrix, in a throw-away store."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

DEMO_START = "2026-11-23T09:00:00Z"

# Each scene: what a person would be thinking, then the command line they would type.
SCENES: list[tuple[str, list[str]]] = [
    ("Check the matrix the team keeps in version control.", ["matrix", "validate"]),
    (
        "09:00 - a VIP customer's checkout is failing: open a case.",
        [
            "open",
            "Checkout fails for EU customers",
            "--severity",
            "sev2",
            "--customer",
            "Initech",
            "--tier",
            "vip",
            "--description",
            "Payments time out at the last step since the 08:40 deploy.",
        ],
    ),
    ("Who owns it, and who can be reached at its level right now?", ["who", "ESC-1"]),
    ("The team lead's view: every active case.", ["list"]),
    ("Everything about the case, with its timeline.", ["show", "ESC-1"]),
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
    try:
        for note, args in SCENES:
            output.text(f"\n[dim]# {output.esc(note)}[/dim]")
            output.text(f"[bold]$ escalate {output.esc(_quoted(args))}[/bold]")
            code = command.main(
                args=[*args, *common, "--now", DEMO_START],
                prog_name="escalate",
                standalone_mode=False,
            )
            if code:
                raise typer.Exit(code)
    finally:
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
