"""The config file's small TOML writer and the store URL shown without its password."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalate_cli.core.config import read_config, render, without_password, write_config
from escalate_cli.core.errors import UsageError


@given(st.dictionaries(st.text(min_size=1), st.text(), max_size=4))
def test_what_is_written_reads_back_the_same(values: dict[str, str]) -> None:
    try:
        text = render(values, Path("config.toml"))
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates: `config set` refuses them before writing
    assert tomllib.loads(text) == values


def test_the_file_is_replaced_whole_and_readable_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "config.toml"
    write_config(path, {"user": 'sam "the" \\ man', "store": "/x"})
    assert read_config(path) == {"user": 'sam "the" \\ man', "store": "/x"}
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temporary left


def test_a_file_written_by_hand_with_more_than_strings_is_not_rewritten(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="will not rewrite"):
        render({"user": "sam", "extra": {"table": 1}}, tmp_path / "config.toml")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://sam:pw@db/esc", "postgresql://sam@db/esc"),
        (
            "postgres://sam@db:5432/esc?password=pw&sslmode=require",
            "postgres://sam@db:5432/esc?sslmode=require",
        ),
        ("postgresql://sam:p%40w@h1,h2/esc", "postgresql://sam@h1,h2/esc"),
        ("/home/sam/cases.json", "/home/sam/cases.json"),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert without_password(url) == shown
