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
