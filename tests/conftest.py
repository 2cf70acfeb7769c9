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
