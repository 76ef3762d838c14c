"""Where the matrix and the store are, resolved at call time in the documented order, and
escalate's own folders for this user, as platformdirs names them: data (the default store),
config (`config.toml`) and cache (the matrix cache).

platformdirs is the authority on those folders. Importing it costs every command that needs one
~5 ms (`platformdirs.unix` imports tempfile and random), and every `list` and `show` needs the
cache's: about a fifth of what their budget of 1.5x `escalate --version` leaves them
(docs/performance.md). On Linux, in the usual case, its answer is one rule of the XDG Base
Directory spec: `$XDG_CACHE_HOME/escalate` when that variable holds an absolute path, else
`~/.cache/escalate`. That case (not Android, the variable absolute or unset or empty, `$HOME`
absolute) is worked out here; any other asks platformdirs, whose versions differ on relative
paths and on a home that must be looked up. tests/core/test_user_dirs.py holds the two to the
same answer over random environments, so a platformdirs that changes the rule fails a test
rather than moving anyone's files.
"""

from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

MATRIX_ENV = "ESCALATE_MATRIX"
STORE_ENV = "ESCALATE_STORE"
MATRIX_IN_CWD = "escalation.yaml"
APP = "escalate"
Kind = Literal["data", "config", "cache"]
_XDG: dict[Kind, tuple[str, str]] = {  # the variable, and the folder under ~ when it is unset
    "data": ("XDG_DATA_HOME", ".local/share"),
    "config": ("XDG_CONFIG_HOME", ".config"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


def _path_or_url(value: str) -> Path | str:
    # The store's own test: config.py's would cost a command given its store by $ESCALATE_STORE
    # ~0.9 ms of imports (and tempfile, when nothing else imports it).
    from escalate_cli.core.store.store_base import is_url

    return value if is_url(value) else Path(value).expanduser()


def store_path(flag: str | None, environ: Mapping[str, str]) -> Path | str:
    """`--store`, then `$ESCALATE_STORE`, then the config's `store`, then the platform's user
    data dir: a path, or a PostgreSQL URL (`postgresql://...`), kept as it was given."""
    if flag:
        return _path_or_url(flag)
    if environ.get(STORE_ENV):
        return _path_or_url(environ[STORE_ENV])
    from escalate_cli.core.config import configured

    in_config = configured("store", environ)
    if in_config:
        return _path_or_url(in_config)
    return user_dir("data") / "cases.json"


def matrix_path(
    flag: str | None,
    environ: Mapping[str, str],
    cwd: Path,
    recorded: Callable[[], str | None],
) -> Path | None:
    """`--matrix`, then `$ESCALATE_MATRIX`, then the config's `matrix`, then what `init`
    recorded, then `./escalation.yaml`.

    The team's recorded matrix comes before the working folder's, so a file that happens to
    sit in the current folder never silently replaces it."""
    if flag:
        return Path(flag).expanduser()
    if environ.get(MATRIX_ENV):
        return Path(environ[MATRIX_ENV]).expanduser()
    from escalate_cli.core.config import configured

    in_config = configured("matrix", environ)
    if in_config:
        return Path(in_config).expanduser()
    remembered = recorded()
    if remembered:
        return Path(remembered)
    in_cwd = cwd / MATRIX_IN_CWD
    return in_cwd if in_cwd.exists() else None


def user_dir(kind: Kind) -> Path:
    """platformdirs' `user_<kind>_dir` of escalate, created by nobody here."""
    usual = _usual_linux_dir(kind)
    if usual is not None:
        return Path(usual)
    from platformdirs import user_cache_dir, user_config_dir, user_data_dir

    ask = {"data": user_data_dir, "config": user_config_dir, "cache": user_cache_dir}[kind]
    return Path(ask(APP, appauthor=False))


def _usual_linux_dir(kind: Kind) -> str | None:
    """The folder by the XDG rule, or None when this is not the usual case on Linux."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel"):
        return None
    if "ANDROID_DATA" in os.environ:  # platformdirs may take this for an Android app
        return None
    variable, under_home = _XDG[kind]
    given = os.environ.get(variable, "")
    if posixpath.isabs(given):
        return posixpath.join(given, APP)
    if given.strip() or not posixpath.isabs(os.environ.get("HOME", "")):
        return None
    return posixpath.join(os.path.expanduser(f"~/{under_home}"), APP)
