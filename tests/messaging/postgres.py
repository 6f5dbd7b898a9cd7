"""A PostgreSQL server of the test's own, to restart or stop under a running worker: never the
machine's shared cluster, which other test runs use.

    with private_postgres() as server:
        server.url                      # postgres://postgres@127.0.0.1:<port>/shop
        server.stop()                   # pg_ctl stop -m fast: every session is cut off
        server.start()

initdb and pg_ctl come from /usr/lib/postgresql/<version>/bin (Debian's layout) or PATH. As
root, the server runs as the `postgres` user (initdb refuses root).
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .smtp import unused_port


def _tool(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _user() -> str | None:
    """Who runs the server: this user, or `postgres` when this is root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return ""
    return "postgres"


def _missing() -> str:
    if not (_tool("initdb") and _tool("pg_ctl")):
        return "needs initdb and pg_ctl (the PostgreSQL server package)"
    if _user() == "":
        return "runs as root and there is no postgres user to run a server of its own"
    return ""


needs_private_postgres = pytest.mark.skipif(bool(_missing()), reason=_missing() or "-")


class PrivatePostgres:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="private-pg-"))
        self.data = self.folder / "data"
        self.port = unused_port()
        self.user = _user()
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/shop"

    def _run(self, *command: str, timeout: float = 60) -> None:
        if self.user:
            command = ("runuser", "-u", self.user, "--", *command)
        subprocess.run(  # noqa: S603 - the server's own tools, our arguments
            command, check=True, capture_output=True, timeout=timeout, cwd=self.folder
        )

    def init(self) -> None:
        self._run(
            _tool("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "--no-instructions", "-E", "UTF8", "--locale", "C.UTF-8",
        )  # fmt: skip
        self.start()
        self.sql("CREATE DATABASE shop", database="postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            _tool("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Shut the server down; `fast` ends every session at once (as a restart does)."""
        self._run(_tool("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def sql(self, statement: str, *, database: str = "shop"):
        """Run one statement; returns its rows (a list of tuples), or None."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        ) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else None

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text()[-3000:] if path.exists() else ""


@contextlib.contextmanager
def private_postgres():
    """A server on a free port with an empty database `shop`, gone afterwards."""
    server = PrivatePostgres()
    try:
        server.init()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            server.stop("immediate")
        shutil.rmtree(server.folder, ignore_errors=True)
