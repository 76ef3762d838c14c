"""A throw-away PostgreSQL cluster for the tests: initdb and pg_ctl, a unix socket, trust auth.

One cluster per test session, in a temporary folder; each test gets its own schema in one
database (the store's URL sets `search_path` to it), which is far cheaper than a database each.
Run as root, the cluster runs as the `postgres` user, who owns the folder.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

DATABASE = "escalate_test"
PASSWORD_ROLE, PASSWORD = "escalate_pw", "s3cret-pw"


def binaries() -> Path | None:
    """The folder of pg_ctl and initdb: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    folders = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name or 0)
    )
    for folder in reversed(folders):
        if (Path(folder) / "pg_ctl").exists() and (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def _run(command: list[str], as_postgres: bool) -> None:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@dataclass
class Cluster:
    """A running cluster and the admin connection that makes a schema for each test."""

    folder: Path
    socket: Path
    bin: Path
    as_postgres: bool
    admin: Any = None
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, schema: str | None = None, database: str = DATABASE) -> str:
        url = f"postgresql:///{database}?host={quote(str(self.socket))}&user=postgres"
        return url + (f"&options=-csearch_path%3D{schema}" if schema else "")

    def new_schema(self) -> str:
        name = f"t{next(self._numbers)}"
        with self.admin.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {name}")
        return name

    def password_url(self) -> str:
        """A URL for the role that must give a password, in a schema of its own (no password in
        the URL: libpq finds it)."""
        name = f"p{next(self._numbers)}"
        with self.admin.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {name} AUTHORIZATION {PASSWORD_ROLE}")
        url = self.url(name).replace("user=postgres", f"user={PASSWORD_ROLE}")
        return url

    def drop_schema(self, name: str) -> None:
        with self.admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")

    def stop(self) -> None:
        if self.admin is not None:
            self.admin.close()
        pg_ctl = [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate"]
        subprocess.run(
            (["runuser", "-u", "postgres", "--"] if self.as_postgres else []) + [*pg_ctl, "stop"],
            capture_output=True,
            timeout=60,
        )


def start(folder: Path) -> Cluster:
    """initdb and start a cluster under folder; raise RuntimeError when it cannot."""
    import psycopg2

    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL's initdb and pg_ctl were not found (apt-get install postgresql)"
        )
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(folder, "postgres")
        os.chmod(folder, 0o700)
    data, log = folder / "data", folder / "log"
    _run(
        [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-N"],
        as_postgres,
    )
    # One role that must give a password (scram), to test libpq's PGPASSWORD and ~/.pgpass.
    hba = data / "pg_hba.conf"
    hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\n" + hba.read_text())
    options = (
        f"-k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB"
    )
    _run(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
        as_postgres,
    )
    cluster = Cluster(folder, folder, bin_dir, as_postgres)
    admin = psycopg2.connect(cluster.url(database="postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()
    cluster.admin = psycopg2.connect(cluster.url())
    cluster.admin.autocommit = True
    with cluster.admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
    return cluster
