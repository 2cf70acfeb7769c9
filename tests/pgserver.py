"""A throw-away PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` in a temp folder.

One cluster per pytest session (``tests/conftest.py``'s ``pg_server`` fixture):
listening on 127.0.0.1 on a free port, its socket in the temp folder, run as an
unprivileged user when the tests run as root (CI). Local connections are
trusted; one role, ``PASSWORD_ROLE``, must give a password (scram-sha-256), for
the tests of a failed authentication. Each test gets a fresh database copied
from a migrated template (``new_database``), so nothing leaks between tests.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "screener"
PASSWORD_ROLE = "pw_user"
PASSWORD = "right-password"
TEMPLATE = "screener_template"
EMPTY_TEMPLATE = "template0"
#: The tests' server settings: nothing they write needs to survive a crash of the machine.
TEST_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=60",
    "shared_buffers=32MB",
)


def server_bin() -> Path | None:
    """The newest installed server's bin folder (``/usr/lib/postgresql/N/bin``), if any."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        match = re.search(r"/postgresql/(\d+)(?:\.(\d+))?/", initdb)
        if match and os.access(initdb, os.X_OK):
            found.append(((int(match[1]), int(match[2] or 0)), Path(initdb).parent))
    if not found:
        on_path = shutil.which("initdb")
        return Path(on_path).parent if on_path else None
    return max(found)[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgServer:
    """A running cluster; ``url(dbname)`` connects to one of its databases."""

    bin: Path
    root: Path
    port: int
    run_as: list[str] = field(default_factory=list)
    settings: tuple[str, ...] = TEST_SETTINGS  # ``-c`` settings of the server
    _numbers: itertools.count[int] = field(default_factory=itertools.count)
    _watchdog: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, dbname: str, user: str = SUPERUSER, host: str = "127.0.0.1") -> str:
        return f"postgresql://{user}@{host}:{self.port}/{dbname}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self.run_as, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}"
            )

    def start(self) -> None:
        self.socket_dir.mkdir(mode=0o700)
        owner = self.root.stat()  # the folder belongs to the user the server runs as
        os.chown(self.socket_dir, owner.st_uid, owner.st_gid)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        with open(self.data / "pg_hba.conf", "w") as hba:
            hba.write(
                "local all all trust\n"
                f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
                "host all all 127.0.0.1/32 trust\n"
            )
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.socket_dir}",
                "-c listen_addresses=127.0.0.1",
                *(f"-c {setting}" for setting in self.settings),
            ]
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "start",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
        )

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate")

    def watch(self) -> None:
        """Stop the cluster and remove its folder should this process die without doing
        it (a killed pytest): a child waits for the end of a pipe only we hold."""
        stop = [
            *self.run_as,
            str(self.bin / "pg_ctl"),
            "stop",
            "-D",
            str(self.data),
            "-m",
            "immediate",
        ]
        code = (
            "import shutil, subprocess, sys; sys.stdin.buffer.read(); "
            f"subprocess.run({stop!r}, capture_output=True); "
            f"shutil.rmtree({str(self.root)!r}, ignore_errors=True)"
        )
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, start_new_session=True
        )

    def unwatch(self) -> None:
        if self._watchdog is not None and self._watchdog.stdin is not None:
            self._watchdog.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(30)

    def admin(self, sql: str, dbname: str = "postgres") -> None:
        """Run ``sql`` as the superuser (autocommit: CREATE DATABASE needs it)."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def query(self, sql: str, dbname: str, *params: object) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            cur = conn.execute(sql, params or None)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description is not None else []

    def prepare(self) -> None:
        """The password role, and the migrated template every test database copies."""
        self.admin(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        from screener.store.postgres import migrate_database

        migrate_database(self.url(TEMPLATE))

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh database's URL: migrated and empty, or without any schema yet."""
        name = f"t{os.getpid()}_{next(self._numbers)}"
        template = TEMPLATE if migrated else EMPTY_TEMPLATE
        self.admin(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def start_server(
    bin_dir: Path, settings: tuple[str, ...] = TEST_SETTINGS, prefix: str = "screener-pg-"
) -> PgServer:
    """Start a cluster in a new temp folder (owned by the user it runs as); watched, so
    it is stopped and removed even if this process is killed (``remove_server``)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = _unprivileged_user()
        owner = pwd.getpwnam(user)
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = (
            ["runuser", "-u", user, "--"]
            if shutil.which("runuser")
            else [
                "setpriv",
                f"--reuid={owner.pw_uid}",
                f"--regid={owner.pw_gid}",
                "--clear-groups",
            ]
        )
    server = PgServer(bin_dir, root, _free_port(), run_as, settings)
    for attempt in range(3):  # the free port may be taken in between: try another
        try:
            if attempt:
                shutil.rmtree(server.data, ignore_errors=True)
                shutil.rmtree(server.socket_dir, ignore_errors=True)
                server.port = _free_port()
            server.start()
            server.watch()
            break
        except RuntimeError:
            if attempt == 2:
                log = root / "server.log"
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                shutil.rmtree(root, ignore_errors=True)
                raise RuntimeError(f"could not start PostgreSQL: {detail}") from None
            time.sleep(0.2)
    return server


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a postgres nor a nobody user exists")


def remove_server(server: PgServer) -> None:
    server.stop()
    server.unwatch()
    shutil.rmtree(server.root, ignore_errors=True)
