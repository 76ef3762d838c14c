"""`escalate matrix export|import`: a matrix to and from PagerDuty, Opsgenie and Terraform."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from escalate_cli.cli._app import chosen_matrix, settings


class Target(StrEnum):
    pagerduty = "pagerduty"
    opsgenie = "opsgenie"
    terraform_pagerduty = "terraform-pagerduty"


class Source(StrEnum):
    pagerduty = "pagerduty"


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write here instead of stdout.", dir_okay=False
    ),
]


def export(
    ctx: typer.Context,
    path: Annotated[
        str | None,
        typer.Argument(help="Matrix file (default: --matrix, ESCALATE_MATRIX, ./escalation.yaml)."),
    ] = None,
    to: Annotated[Target, typer.Option("--to", help="The format to write.")] = Target.pagerduty,
    severity: Annotated[
        str | None,
        typer.Option(
            "--severity",
            metavar="S",
            help="Use this severity's level timers and start level (default: the matrix's).",
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """Write the matrix as PagerDuty or Opsgenie API JSON, or Terraform HCL for PagerDuty.

    An escalation policy per path, a schedule per rotation, users by email; what has no
    equivalent (SLAs, triggers, hours, ...) is listed on stderr, one line each.

    Example: escalate matrix export matrices/support.yaml --to pagerduty -o support.pd.json
    """
    from escalate_cli.core.io.matrix_export import export_matrix
    from escalate_cli.core.matrix.loader import load_matrix

    exported = export_matrix(
        load_matrix(chosen_matrix(ctx, path, "escalate matrix export PATH --to pagerduty")),
        to.value,
        severity,
    )
    done = f"exported for {to.value}"
    _deliver(ctx, exported.text, exported.warnings, output, done, "no equivalent there")


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="PagerDuty JSON: an export, or API responses.")],
    source: Annotated[Source, typer.Option("--from", help="The format of FILE.")],
    output: OutputOption = None,
) -> None:
    """Turn PagerDuty escalation policies, schedules and users into a matrix YAML.

    A path per policy, a level per rule, a rotation per schedule; what does not carry over is
    listed on stderr, one line each, and as comments at the top of the YAML.

    Example: escalate matrix import --from pagerduty support.pd.json -o escalation.yaml
    """
    from escalate_cli.core.errors import UsageError
    from escalate_cli.core.io.import_pagerduty import from_pagerduty

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{file}: cannot read ({exc.__class__.__name__})") from exc
    imported = from_pagerduty(text, str(file))
    done = f"imported from {source.value}"
    _deliver(ctx, imported.yaml_text, imported.warnings, output, done, "not carried over")


def _deliver(
    ctx: typer.Context,
    text: str,
    warnings: list[str],
    output: Path | None,
    done: str,
    lost: str,
) -> None:
    """The result on stdout, or in FILE; warnings on stderr. With --output and --json, stdout
    gets `{"file", "warnings"}`: without --output, stdout is the result itself."""
    import sys

    from escalate_cli import output as show
    from escalate_cli.core.errors import UsageError
    from escalate_cli.core.text.words import plural

    for line in warnings:
        show.err(f"warning: {line}")
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{output}: cannot write ({exc.strerror})") from exc
        if settings(ctx).json:
            show.emit_json({"file": str(output), "warnings": warnings})
    where = f" to {output}" if output else ""
    show.err(f"{done}{where}; {plural(len(warnings), 'warning')} ({lost})")


def register(group: typer.Typer) -> None:
    group.command("export")(export)
    group.command("import")(import_)
