"""Identity and settings: `escalate config get|set|unset|list` and `escalate whoami`."""

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from escalate_cli.cli._app import Settings, settings

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
    if key == "user":
        _warn_if_unknown(settings(ctx), value, "config user")


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


def whoami(ctx: typer.Context) -> None:
    """Who you are to escalate: your user id and its contact, your store and your matrix.

    Example: escalate whoami --json
    """
    from escalate_cli import output
    from escalate_cli.core.config import configured, without_password
    from escalate_cli.core.locations import store_path

    state = settings(ctx)
    user, source = os.environ.get("ESCALATE_USER") or None, "ESCALATE_USER"
    if user is None:
        user, source = configured("user", os.environ), "config user"
    store = without_password(str(store_path(state.store_flag, os.environ)))
    matrix_file, matrix_name = _matrix_of(state)
    contact = _contact_name(state, user, source) if user and matrix_name else None
    if user is None:
        output.err("no user: escalate config set user ID (or set ESCALATE_USER) signs your events")
    found = {"user": user, "contact": contact, "store": store, "matrix": matrix_file}
    if state.json:
        output.emit_json(found)
        return
    rows: list[tuple[str, Any]] = [
        ("user", f"{user} (from {source})" if user else "-"),
        ("contact", contact or "-"),
        ("store", store),
        ("matrix", f"{matrix_file} ({matrix_name})" if matrix_name else matrix_file or "-"),
    ]
    output.table(["", ""], rows, show_header=False)


def _matrix_of(state: Settings) -> tuple[str | None, str | None]:
    """The matrix file and its team's name; whoami says what is wrong rather than fail."""
    from escalate_cli import output
    from escalate_cli.core.errors import EscalateError

    try:
        path = state.matrix_path()
    except EscalateError as error:  # the store that records the matrix is unusable
        output.err(f"warning: {error}")
        return None, None
    if path is None:
        output.err("warning: no matrix found (escalate config set matrix PATH)")
        return None, None
    try:
        return str(path.absolute()), state.team()
    except EscalateError as error:
        output.err(f"warning: {error}")
        return str(path.absolute()), None


def _contact_name(state: Settings, user: str, source: str) -> str | None:
    """The user's contact in the matrix (its name), or None with a warning when unknown."""
    contact = state.matrix().contacts_by_id.get(user)
    if contact is None:
        _warn_if_unknown(state, user, source)
        return None
    return contact.label


def _warn_if_unknown(state: Settings, user: str, source: str) -> None:
    """A note, not an error: the id may belong to another team's matrix."""
    from escalate_cli import output
    from escalate_cli.core.cases.document import require_contact
    from escalate_cli.core.errors import EscalateError, NotFoundError

    try:
        matrix = state.matrix()
    except EscalateError:
        return  # no usable matrix to check against: whoami and the commands will say
    try:
        require_contact(matrix, user)
    except NotFoundError as error:
        output.err(f"warning: {source}: {error}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app)
    app.command()(whoami)
