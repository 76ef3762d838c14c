"""locations.user_dir: platformdirs' folders, worked out by hand only in the usual Linux case."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import get_args
from unittest import mock

import platformdirs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalate_cli.core import locations
from escalate_cli.core.locations import Kind, user_dir

ASKED = {
    "data": platformdirs.user_data_dir,
    "config": platformdirs.user_config_dir,
    "cache": platformdirs.user_cache_dir,
}
# What people and their systems put in these variables, odd values included: a trailing slash,
# a relative path, a `~` the shell did not expand, blanks, a lone root.
VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "/", "//", "/home/dana", "/home/dana/", "/tmp/x y", "~", "~/c"]),
    st.sampled_from(["relative", "./here", "/home/dana/.cache\n"]),
    st.text(alphabet="/.~ab -", max_size=12),
)
VARIABLES = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "ANDROID_DATA")


def outcome(ask: Callable[[], object]) -> object:
    """What `ask` gives, or the kind of error it raises: the two must fail alike too."""
    try:
        return Path(str(ask()))
    except Exception as error:
        return type(error)


@settings(max_examples=300, deadline=None)
@given(environment=st.fixed_dictionaries({name: VALUES for name in VARIABLES}))
def test_every_folder_is_platformdirs_own(environment: dict[str, str | None]) -> None:
    patched = {name: value for name, value in environment.items() if value is not None}
    with mock.patch.dict(os.environ, patched):
        for name in VARIABLES:
            if environment[name] is None:
                os.environ.pop(name, None)
        for kind in get_args(Kind):
            expected = outcome(lambda kind=kind: ASKED[kind]("escalate", appauthor=False))
            assert outcome(lambda kind=kind: user_dir(kind)) == expected, kind


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rule is worked out on Linux alone")
def test_the_usual_case_does_not_import_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/dana")
    monkeypatch.setenv("XDG_CACHE_HOME", "/var/tmp/dana-cache")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("ANDROID_DATA", raising=False)
    monkeypatch.delitem(sys.modules, "platformdirs")
    assert user_dir("cache") == Path("/var/tmp/dana-cache/escalate")
    assert user_dir("data") == Path("/home/dana/.local/share/escalate")
    assert "platformdirs" not in sys.modules


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rule is worked out on Linux alone")
def test_an_unusual_home_is_left_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "relative/home")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert locations._usual_linux_dir("config") is None
    assert outcome(lambda: user_dir("config")) == outcome(
        lambda: platformdirs.user_config_dir("escalate", appauthor=False)
    )
