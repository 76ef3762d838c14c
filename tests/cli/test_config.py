"""`escalate config` and `whoami`, and the config file's place in every lookup (docs/store.md)."""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import BASIC_MATRIX, Cli

URL = "postgresql://sam:s3cret@db.example:5432/escalate?sslmode=require&password=s3cret"


@pytest.fixture
def config() -> Path:
    return Path(os.environ["ESCALATE_CONFIG"])


def test_set_get_list_and_unset(cli: Cli, config: Path) -> None:
    assert cli.json("config", "list") == {"user": None, "store": None, "matrix": None}
    cli("config", "set", "user", "sam")
    assert cli("config", "get", "user").stdout == "sam\n"
    assert cli.json("config", "get", "user") == "sam"
    assert tomllib.loads(config.read_text()) == {"user": "sam"}
    if sys.platform != "win32":
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "sam" in cli("config", "list").stdout
    cli("config", "unset", "user")
    assert "user is not set" in cli("config", "get", "user", code=3).stderr
    assert cli.json("config", "list")["user"] is None


def test_paths_are_kept_absolute(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(BASIC_MATRIX.read_text())
    cli("config", "set", "matrix", "team.yaml")
    cli("config", "set", "store", "shared/cases.json")
    assert cli.json("config", "list") == {
        "user": None,
        "store": str(tmp_path / "shared" / "cases.json"),
        "matrix": str(tmp_path / "team.yaml"),
    }
    assert "no file" in cli("config", "set", "matrix", "missing.yaml", code=3).stderr


@pytest.mark.parametrize(
    "command", [["get", "usr"], ["set", "usr", "sam"], ["unset", "usr"], ["set", "owner", "x"]]
)
def test_an_unknown_key_is_a_usage_error(cli: Cli, config: Path, command: list[str]) -> None:
    error = cli("config", *command, code=2).stderr
    assert "unknown config key" in error and "user, store, matrix" in error
    assert not config.exists()


def test_a_store_url_password_is_never_printed(cli: Cli, config: Path) -> None:
    result = cli("config", "set", "store", URL)
    assert "s3cret" not in result.stdout + result.stderr
    assert "~/.pgpass or PGPASSWORD" in result.stderr
    assert tomllib.loads(config.read_text())["store"] == URL  # kept as given
    shown = "postgresql://sam@db.example:5432/escalate?sslmode=require"
    assert cli.json("config", "get", "store") == shown
    assert cli("config", "get", "store").stdout == shown + "\n"
    assert cli.json("config", "list")["store"] == shown
    assert "s3cret" not in cli("config", "list").stdout
    assert "a path, or a postgresql://" in cli("config", "set", "store", "mysql://x", code=2).stderr


def test_a_broken_config_file_is_exit_2_naming_it_and_never_overwritten(
    cli: Cli, config: Path
) -> None:
    config.parent.mkdir()
    config.write_text('user = "sam\n')
    for command in (["config", "list"], ["config", "set", "user", "ana"], ["open", "x"]):
        error = cli(*command, code=2).stderr
        assert str(config) in error and "not a valid TOML file" in error
        assert len(error.strip().splitlines()) == 1
    assert config.read_text() == 'user = "sam\n'
    config.write_text("user = 3\n")
    assert "user must be a non-empty string" in cli("whoami", code=2).stderr


def test_config_store_and_matrix_come_after_flag_and_environment(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = tmp_path / "billing.yaml"
    billing.write_text(BASIC_MATRIX.read_text().replace("Test support", "Billing team"))
    cli("config", "set", "store", str(tmp_path / "configured.json"))
    cli("config", "set", "matrix", str(billing))
    monkeypatch.delenv("ESCALATE_STORE")
    monkeypatch.delenv("ESCALATE_MATRIX")
    opened = cli.json("open", "x")
    assert opened["matrix"] == "Billing team"
    assert (tmp_path / "configured.json").exists()
    monkeypatch.setenv("ESCALATE_MATRIX", str(BASIC_MATRIX))
    monkeypatch.setenv("ESCALATE_STORE", str(tmp_path / "env.json"))
    assert cli.json("open", "y")["matrix"] == "Test support"
    assert (tmp_path / "env.json").exists()
    flagged = cli.json(
        "--store", str(tmp_path / "flag.json"), "--matrix", str(billing), "open", "z"
    )
    assert (flagged["id"], flagged["matrix"]) == ("ESC-1", "Billing team")


def test_the_config_matrix_comes_before_the_one_init_recorded(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing = tmp_path / "billing.yaml"
    billing.write_text(BASIC_MATRIX.read_text().replace("Test support", "Billing team"))
    cli("init", "--matrix", str(BASIC_MATRIX))
    monkeypatch.delenv("ESCALATE_MATRIX")
    assert cli.json("open", "x")["matrix"] == "Test support"
    cli("config", "set", "matrix", str(billing))
    assert cli.json("open", "y")["matrix"] == "Billing team"


def test_by_defaults_to_the_config_user_after_escalate_user(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("config", "set", "user", "sam")
    assert cli.json("open", "x")["timeline"][0]["by"] == "sam"
    assert cli.json("acknowledge", "1")["timeline"][-1]["by"] == "sam"
    monkeypatch.setenv("ESCALATE_USER", "ana")
    assert cli.json("update", "1", "note")["timeline"][-1]["by"] == "ana"
    assert cli.json("update", "1", "note", "--by", "eli")["timeline"][-1]["by"] == "eli"


def test_an_unknown_user_is_exit_3_naming_where_it_came_from(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("open", "x")
    cli("config", "set", "user", "sma")
    error = cli("acknowledge", "1", code=3).stderr
    assert error.startswith('error: config user: unknown contact "sma" (did you mean "sam"?')
    assert cli("open", "y", code=3).stderr.startswith("error: config user: unknown contact")
    assert "--by: unknown contact" in cli("acknowledge", "1", "--by", "sma", code=3).stderr
    monkeypatch.setenv("ESCALATE_USER", "tai")
    assert "ESCALATE_USER: unknown contact" in cli("acknowledge", "1", code=3).stderr
    cli("acknowledge", "1", "--by", "sam")


def test_whoami(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = os.environ["ESCALATE_STORE"]
    nobody = cli("whoami", "--json")
    assert json.loads(nobody.stdout) == {
        "user": None,
        "contact": None,
        "store": store,
        "matrix": str(BASIC_MATRIX),
    }
    assert "no user" in nobody.stderr
    cli("config", "set", "user", "sam")
    assert cli.json("whoami")["contact"] == "Sam Okafor"
    assert "sam (from config user)" in cli("whoami").stdout
    monkeypatch.setenv("ESCALATE_USER", "sma")
    unknown = cli("whoami", "--json")  # never fails on an unknown user, but says so
    assert json.loads(unknown.stdout)["contact"] is None
    assert 'ESCALATE_USER: unknown contact "sma"' in unknown.stderr
    monkeypatch.setenv("ESCALATE_STORE", URL)
    shown = cli("whoami", "--json")
    assert "s3cret" not in shown.stdout + shown.stderr
    assert json.loads(shown.stdout)["store"].startswith("postgresql://sam@db.example")


def test_the_demo_ignores_the_users_own_identity(cli: Cli) -> None:
    cli("config", "set", "user", "nobody-in-the-bundled-matrix")
    cli("demo")


def test_a_config_file_that_cannot_be_written_is_one_clear_line(
    cli: Cli, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    error = cli("config", "set", "user", "sam", code=2).stderr
    assert error == f"error: {config}: cannot write the config file: Permission denied\n"


def test_a_config_path_that_is_a_folder_is_one_clear_line(cli: Cli, config: Path) -> None:
    config.mkdir(parents=True)
    assert "not a regular file" in cli("config", "list", code=2).stderr
    assert "not a regular file" in cli("config", "set", "user", "sam", code=2).stderr
