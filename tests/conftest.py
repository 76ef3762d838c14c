"""Every test gets its own store, the basic matrix, a fixed clock, no colour and a fixed width."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from escalate_cli.cli import app

# Developers' runs explore new random inputs each time (and keep what fails in .hypothesis/);
# CI replays a fixed set, so a landing never depends on the luck of the draw.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
BASIC_MATRIX = ROOT / "tests" / "data" / "basic.yaml"
FIXED_NOW = "2026-11-23T10:00:00Z"


# The behaviour tests run on both stores: the JSON files and PostgreSQL (docs/store.md).
BOTH_STORES = ("tests/cli/", "tests/routing/")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "json_store: about the JSON store's files themselves; runs on that store only"
    )
    config.addinivalue_line(
        "markers", "slow: takes minutes; the full suite (.ci/run) runs it, -m 'not slow' does not"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_kind" not in metafunc.fixturenames:
        return
    where = metafunc.definition.path.relative_to(ROOT).as_posix()
    both = where.startswith(BOTH_STORES)
    if both and metafunc.definition.get_closest_marker("json_store") is None:
        metafunc.parametrize("store_kind", ["json", "postgres"], indirect=True)


@pytest.fixture
def store_kind(request: pytest.FixtureRequest) -> str:
    """`json` or `postgres`: the store this test's ESCALATE_STORE points at."""
    return str(getattr(request, "param", "json"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """One throw-away PostgreSQL cluster for the session (skips when none can start)."""
    from tests.pg_server import start

    folder = Path(tempfile.mkdtemp(prefix="escalate-pg-"))
    try:
        cluster = start(folder)
    except Exception as error:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("CI"):  # CI proves both stores: .ci/run installs the server
            raise
        pytest.skip(f"no PostgreSQL server for the tests: {error}")
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def matrix_file(tmp_path: Path) -> Path:
    """A copy of tests/data/basic.yaml that the test may edit (its L1 ack is 15m)."""
    path = tmp_path / "team" / "escalation.yaml"
    path.parent.mkdir()
    shutil.copy(BASIC_MATRIX, path)
    return path


@pytest.fixture
def pg_url(pg_cluster: Any) -> str:
    """The URL of an empty PostgreSQL store of this test's own (a schema of its own)."""
    return str(pg_cluster.url(pg_cluster.new_schema()))


@pytest.fixture(autouse=True)
def isolated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_kind: str, request: pytest.FixtureRequest
) -> Iterator[None]:
    if store_kind == "postgres":
        monkeypatch.setenv("ESCALATE_STORE", request.getfixturevalue("pg_url"))
    else:
        monkeypatch.setenv("ESCALATE_STORE", str(tmp_path / "store" / "cases.json"))
    monkeypatch.setenv("ESCALATE_MATRIX", str(BASIC_MATRIX))
    monkeypatch.setenv("ESCALATE_NOW", FIXED_NOW)
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ESCALATE_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("ESCALATE_DEBUG", raising=False)
    monkeypatch.delenv("ESCALATE_USER", raising=False)
    monkeypatch.chdir(tmp_path)
    time.tzset()
    yield


class Cli:
    """Runs `escalate` in-process and keeps stdout and stderr apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> Any:
        result = self.runner.invoke(app, list(args))
        assert result.exit_code == code, (
            f"exit {result.exit_code} != {code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code).stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on loopback, for the notification tests."""
    from tests.notify_servers import smtp_server

    yield from smtp_server()


@pytest.fixture
def web() -> Iterator[Any]:
    """A real HTTP server on loopback that records webhook requests."""
    from tests.notify_servers import web_server

    yield from web_server()


def on_a_terminal(*args: str, columns: int = 120) -> str:
    """What `escalate ARGS` prints to a real pseudo-terminal `columns` wide (Rich's path),
    colour off, in this test's environment."""
    leader, follower = pty.openpty()
    env = dict(os.environ, NO_COLOR="1", TERM="xterm", COLUMNS=str(columns))
    chunks = []
    try:
        running = subprocess.Popen(
            [sys.executable, "-m", "escalate_cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(follower)
        while True:  # read as it writes: a full terminal would block it
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal hung up: all of it was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert running.wait(timeout=60) == 0, args
    finally:
        os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a fresh interpreter in this test's environment, with `args` as its argv:
    for what only a new process shows (which modules a command imports, how it exits)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
