"""escalate's own folders for this user, as platformdirs names them: data (the default store),
config (`config.toml`) and cache (the matrix cache).

platformdirs is the authority. Importing it costs every command that needs one of these folders
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
from pathlib import Path
from typing import Literal

APP = "escalate"
Kind = Literal["data", "config", "cache"]
_XDG: dict[Kind, tuple[str, str]] = {  # the variable, and the folder under ~ when it is unset
    "data": ("XDG_DATA_HOME", ".local/share"),
    "config": ("XDG_CONFIG_HOME", ".config"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


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
