"""Settings: `escalate config get|set|unset|list`."""

import os
from typing import TYPE_CHECKING, Annotated

import typer

from escalate_cli.cli._app import settings

if TYPE_CHECKING:
    from pathlib import Path

KeyArgument = Annotated[str, typer.Argument(metavar="KEY", help="user, store or matrix.")]

config_app = typer.Typer(
    name="config",
    help="Your settings: user, store and matrix, in config.toml.",
    rich_markup_mode=None,
    invoke_without_command=True,
)


@config_app.callback()
def group(ctx: typer.Context) -> None:
    """Your settings: user, store and matrix, in config.toml (alone: escalate config list)."""
    if ctx.invoked_subcommand is None:
        list_(ctx)


def _file() -> "Path":
    from escalate_cli.core.config import config_path

    return config_path(os.environ)


def _shown(key: str, value: object) -> object:
    """A value fit to print: a store URL without its password."""
    from escalate_cli.core.config import without_password

    return without_password(value) if key == "store" and isinstance(value, str) else value


@config_app.command("get")
def get(ctx: typer.Context, key: KeyArgument) -> None:
    """Print one setting from the config file (a store URL without its password).

    Example: escalate config get user
    """
    from escalate_cli import output
    from escalate_cli.core.config import read_config, require_key
    from escalate_cli.core.errors import NotFoundError

    require_key(key)
    path = _file()
    value = read_config(path).get(key)
    if value is None:
        raise NotFoundError(f"{key} is not set in {path} (escalate config set {key} VALUE)")
    if settings(ctx).json:
        output.emit_json(_shown(key, value))
    else:
        typer.echo(output.esc(_shown(key, value)))


@config_app.command("set")
def set_(
    ctx: typer.Context,
    key: KeyArgument,
    value: Annotated[
        str, typer.Argument(metavar="VALUE", help="A contact id, a path, or a store URL.")
    ],
) -> None:
    """Set one setting in the config file (written atomically, readable by you alone).

    Example: escalate config set store postgresql://sam@db.example/escalate
    """
    from pathlib import Path

    from escalate_cli import output
    from escalate_cli.core.config import has_password, normalize, read_config, write_config
    from escalate_cli.core.errors import NotFoundError

    path = _file()
    value = normalize(key, value, Path.cwd())
    if key == "matrix" and not Path(value).is_file():
        raise NotFoundError(f"config matrix: no file {value}")
    values = read_config(path)  # a broken file is exit 2, and never overwritten
    values[key] = value
    write_config(path, values)
    output.err(f"{key} = {output.esc(_shown(key, value))} in {path}")
    if key == "store" and has_password(value):
        output.err(
            "warning: the URL holds a password, now in the config file; passwords belong in"
            " ~/.pgpass or PGPASSWORD (escalate never prints them)"
        )


@config_app.command("unset")
def unset(key: KeyArgument) -> None:
    """Remove one setting from the config file (nothing to do when it is not set).

    Example: escalate config unset matrix
    """
    from escalate_cli import output
    from escalate_cli.core.config import read_config, require_key, write_config

    require_key(key)
    path = _file()
    values = read_config(path)
    if values.pop(key, None) is None:
        output.err(f"{key} is not set in {path}")
        return
    write_config(path, values)
    output.err(f"{key} removed from {path}")


@config_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every setting in the config file, and where that file is.

    Example: escalate config list --json
    """
    from escalate_cli import output
    from escalate_cli.core.config import KEYS, read_config

    path = _file()
    values = read_config(path)
    found = {key: _shown(key, values.get(key)) for key in KEYS}
    if settings(ctx).json:
        output.emit_json(found)
        return
    output.err(f"config file {path}" + ("" if path.exists() else " (not written yet)"))
    output.table(["key", "value"], [(key, value or "-") for key, value in found.items()])


def register(app: typer.Typer) -> None:
    app.add_typer(config_app)
