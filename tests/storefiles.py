"""What the store tests read from disk, whatever the layout: the live file, the archive
folder beside it (``<name>.archive``: segments and their indexes), a migration's
``.bak`` and temp files.

``both_layouts`` (import it into a test module) runs each of its tests twice: with
the built-in sizes, where a small test database stays in the live file, and with
tiny ones (``SCREENER_LIVE_LIMIT=2``, ``SCREENER_SEGMENT_ATTEMPTS=3``), where
almost every write moves documents into archive segments and most reads go
through them. In-process and subprocess CLI runs see the same environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

LIVE_ENV = "SCREENER_LIVE_LIMIT"
SEGMENT_ENV = "SCREENER_SEGMENT_ATTEMPTS"


def live_file(test: Any) -> Any:
    """A test about the live file itself (it damages or inspects its documents): run it
    with the built-in sizes only. The archive's own tests are in test_store_archive.py."""
    test.live_file_only = True
    return test


@pytest.fixture(autouse=True, params=["live", "archive"])
def both_layouts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "archive" and getattr(request.function, "live_file_only", False):
        pytest.skip("about the live file's own documents")
    if request.param == "archive":
        monkeypatch.setenv(LIVE_ENV, "2")
        monkeypatch.setenv(SEGMENT_ENV, "3")
    else:
        monkeypatch.delenv(LIVE_ENV, raising=False)
        monkeypatch.delenv(SEGMENT_ENV, raising=False)
    yield request.param


def archive_of(db: Path) -> Path:
    return db.with_name(db.name + ".archive")


def db_files(db: Path) -> list[Path]:
    """Every file of the database: live file, archive files, .bak, temp files."""
    found = [p for p in (db, db.with_name(db.name + ".bak")) if p.is_file()]
    found += sorted(db.parent.glob(f".{db.name}.*.tmp"))
    folder = archive_of(db)
    if folder.is_dir():
        found += sorted(p for p in folder.iterdir() if p.is_file())
    return found


def snapshot(db: Path) -> dict[str, bytes]:
    """The database's files and their bytes (to show that nothing changed)."""
    return {str(p.relative_to(db.parent)): p.read_bytes() for p in db_files(db)}


def every_byte(db: Path) -> bytes:
    """All the database's bytes in one (to show something is nowhere in it)."""
    return b"\n".join(p.read_bytes() for p in db_files(db))


def temp_files(db: Path) -> list[Path]:
    """Temp files of the live file's folder and of the archive folder."""
    found = sorted(db.parent.glob(".*.tmp"))
    folder = archive_of(db)
    if folder.is_dir():
        found += sorted(folder.glob(".*.tmp"))
    return found


def segment_files(db: Path) -> list[Path]:
    folder = archive_of(db)
    return sorted(folder.glob("seg-*.json")) if folder.is_dir() else []


def stored(db: Path) -> dict[str, list[dict[str, Any]]]:
    """Every document of each table as stored, segments (in commit order) then the live
    file; a candidate copied into several segments appears once."""
    live = orjson.loads(db.read_bytes())
    head = live.get("meta", {}).get("1", {})
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in head.get("archive", {}).get("segments", []):
        data = orjson.loads((archive_of(db) / f"seg-{entry['n']:08d}.json").read_bytes())
        for table in ("candidates", "attempts", "audit"):
            out.setdefault(table, []).extend(data[table].values())
    for table, docs in live.items():
        out.setdefault(table, []).extend(docs.values())
    seen: set[str] = set()
    people = []
    for doc in out.get("candidates", []):
        if doc["id"] not in seen:
            seen.add(doc["id"])
            people.append(doc)
    out["candidates"] = people
    return out
