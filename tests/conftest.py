"""Shared fixtures: every test gets its own database and no stray user content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point SCREENER_DB at a temp file and drop SCREENER_CONTENT for every test."""
    db = tmp_path / "db" / "screener.json"
    monkeypatch.setenv("SCREENER_DB", str(db))
    monkeypatch.delenv("SCREENER_CONTENT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    yield db


def pytest_configure(config: pytest.Config) -> None:
    """One content cache for the whole run, never the user's own cache dir.

    Shared across tests (and the processes they start, which inherit the
    environment) so the bundled content is checked once per run, not per test.
    """
    import os
    import tempfile

    folder = tempfile.mkdtemp(prefix="screener-test-cache-")
    os.environ["SCREENER_CACHE"] = folder
    os.environ["SCREENER_TEST_OWN_CACHE"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    import os
    import shutil

    folder = os.environ.pop("SCREENER_TEST_OWN_CACHE", None)
    if folder:
        os.environ.pop("SCREENER_CACHE", None)
        shutil.rmtree(folder, ignore_errors=True)


# -- PostgreSQL (issue 16): one throw-away cluster per session -------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A running PostgreSQL cluster (``tests/pgserver.py``), started once per session.

    Without the server binaries the PostgreSQL tests are skipped, except in CI
    (``$CI`` set), where that is a failure: they must never silently not run there.
    """
    import os

    from tests.pgserver import remove_server, server_bin, start_server

    bin_dir = server_bin()
    if bin_dir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) are not installed; `make postgres`"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: they must be in CI", pytrace=False)
        pytest.skip(reason)
    server = start_server(bin_dir)
    try:
        server.prepare()
        yield server
    finally:
        remove_server(server)


@pytest.fixture
def pg_url(pg_server: object) -> Iterator[str]:
    """A fresh, migrated and empty PostgreSQL database of its own for one test (dropped
    after it, with any connection the test left open)."""
    from tests.pgserver import PgServer

    assert isinstance(pg_server, PgServer)
    url = pg_server.new_database()
    yield url
    pg_server.drop_database(url)
