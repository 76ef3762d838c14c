"""The user's settings file: `user`, `store` and `matrix` in TOML, read at call time."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from escalate_cli.core.errors import UsageError

CONFIG_ENV = "ESCALATE_CONFIG"
KEYS = ("user", "store", "matrix")
URL_SCHEMES = ("postgresql://", "postgres://")
MAX_BYTES = 64 * 1024  # three short strings; anything bigger is not ours
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def config_path(environ: Mapping[str, str]) -> Path:
    """`$ESCALATE_CONFIG`, else `config.toml` in the platform's user config dir."""
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    from escalate_cli.core.locations import user_dir

    return user_dir("config") / "config.toml"


def read_config(path: Path) -> dict[str, object]:
    """Everything the file holds ({} when there is none). A file that cannot be read or is not
    TOML, or a known key that is not a string, is exit 2 naming the file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise UsageError(f"{path}: cannot read the config file: {error.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"{path}: the config file is not a regular file")
        raw = os.read(fd, MAX_BYTES + 1)
    except OSError as error:
        raise UsageError(f"{path}: cannot read the config file: {error.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{path}: the config file is over {MAX_BYTES // 1024} KiB")
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"{path}: not a valid TOML file ({error}); fix or delete it") from None
    for key in KEYS:
        if key in data and not (isinstance(data[key], str) and data[key]):
            raise UsageError(f'{path}: {key} must be a non-empty string, like {key} = "..."')
    return data


def configured(key: str, environ: Mapping[str, str]) -> str | None:
    """The config file's value for one of KEYS, or None."""
    found = read_config(config_path(environ)).get(key)
    return found if isinstance(found, str) else None


def require_key(key: str) -> str:
    if key in KEYS:
        return key
    import difflib  # only on the way to an error

    close = difflib.get_close_matches(key.strip().lower(), KEYS, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    raise UsageError(f'unknown config key "{key}" ({hint}keys: {", ".join(KEYS)})')


def is_url(location: str) -> bool:
    return location.lower().startswith(URL_SCHEMES)


def normalize(key: str, value: str, cwd: Path) -> str:
    """A value as the file keeps it: paths made absolute, so the file means the same from any
    folder; a store is a path or a PostgreSQL URL. Exit 2 for what no lookup could use."""
    require_key(key)
    if not value.strip():
        raise UsageError(f"config {key}: give a value (escalate config unset {key} removes it)")
    if any(not char.isprintable() for char in value):
        raise UsageError(f"config {key}: the value must be one line of printable characters")
    if key == "user":
        return value.strip()
    if key == "store" and "://" in value:
        if not is_url(value):
            raise UsageError("config store: a path, or a postgresql:// or postgres:// URL")
        return value
    return os.path.normpath(cwd / Path(value).expanduser())


def has_password(location: str) -> bool:
    return is_url(location) and without_password(location) != location


def without_password(location: str) -> str:
    """A store location fit to print: a URL's password (in the user part or as a `password`
    parameter) is left out; a path is shown as it is."""
    if not is_url(location):
        return location
    from escalate_cli.core.store.store_base import redact  # one rule for every place that prints it

    return redact(location)


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def render(values: Mapping[str, object], path: Path) -> str:
    """The file's text. Only top-level strings are written back: a file holding anything else
    (a table, a number) was written by hand, and is not rewritten."""
    lines = ["# escalate's settings: escalate config set KEY VALUE (see escalate config --help)"]
    for key, value in values.items():
        if not isinstance(value, str):
            raise UsageError(
                f"{path}: {key} is not a string, so escalate will not rewrite the file; edit it"
            )
        shown = key if _BARE_KEY.fullmatch(key) else toml_string(key)
        lines.append(f"{shown} = {toml_string(value)}")
    return "\n".join(lines) + "\n"


def write_config(path: Path, values: Mapping[str, object]) -> None:
    """Replace the file atomically, readable by its owner only (0600): a temporary file in the
    same folder, flushed to disk, renamed over it. A symlinked file is written where it points."""
    import tempfile  # here: every command reads the config, few write it (~1.5 ms of imports)

    text = render(values, path)
    target = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".config.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(text.encode("utf-8"))
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise UsageError(f"{path}: cannot write the config file: {error.strerror}") from None
