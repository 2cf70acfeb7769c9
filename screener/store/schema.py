"""Schema versions of the database file and the migrations between them.

The version lives in the ``meta`` table (``{"schema_version": N, "secret": hex}``).
A file from an older screener is migrated in memory when opened and written
back by the next write; a file from a newer screener is refused untouched,
because this version cannot know what it would throw away.

To change the layout: bump ``SCHEMA_VERSION``, add ``MIGRATIONS[old]`` that turns
an ``old`` file into ``old + 1`` in place, and add a test that opens an ``old`` file.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from screener.errors import StoreError
from screener.store.records import utc_stamp

SCHEMA_VERSION = 1
META = "meta"
META_ID = "1"

#: The tables screener writes, and the fields every document in each must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "candidates": ("id", "name", "created"),
    "layouts": (
        "assessment",
        "version",
        "form",
        "items",
        "item_competency",
        "competencies",
        "cuts",
    ),
    "attempts": ("id", "cand", "layout", "status", "answers"),
    "progress": ("cand", "module", "started"),
    "audit": ("event", "at"),
}

Tables = dict[str, dict[str, Any]]


def new_meta() -> dict[str, Any]:
    """Meta of a new database: a random per-database secret for anonymised exports."""
    return {
        "schema_version": SCHEMA_VERSION,
        "secret": secrets.token_hex(32),
        "created": utc_stamp(),
    }


def _not_tinydb(path: Path, name: str) -> StoreError:
    return StoreError(
        f"{path} is not a screener database (its {name!r} is not a table of documents); "
        "left untouched"
    )


def version_of(data: Tables, path: Path) -> int:
    """The schema version of a parsed file, refusing anything that is not a TinyDB file."""
    for name, table in data.items():
        if not isinstance(table, dict):
            raise _not_tinydb(path, name)
    meta = data.get(META)
    if not meta:
        # No meta: before adopting it as a v0 file make sure every table really
        # is TinyDB's ``{"<id>": {document}}``, so no other JSON file is taken over.
        for name, table in data.items():
            if not all(isinstance(doc, dict) and key.isdigit() for key, doc in table.items()):
                raise _not_tinydb(path, name)
        return 0
    head = meta.get(META_ID)
    version = head.get("schema_version") if isinstance(head, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(f"{path} has an unreadable schema version ({version!r}); left untouched")
    return version


def _v0_to_v1(data: Tables, path: Path) -> None:
    """v0 is a plain TinyDB file without ``meta``: check screener's tables, add ``meta``.

    Tables screener does not know are kept as they are.
    """
    for name, fields in REQUIRED.items():
        for doc_id, doc in data.get(name, {}).items():
            missing = [f for f in fields if f not in doc]
            if missing:
                raise StoreError(
                    f"{path}: cannot migrate: {name} document {doc_id} lacks "
                    f"{', '.join(missing)}; left untouched"
                )
        data.setdefault(name, {})
    data[META] = {META_ID: new_meta()}


MIGRATIONS: dict[int, Callable[[Tables, Path], None]] = {0: _v0_to_v1}


def upgrade(data: Tables, path: Path) -> int:
    """Bring ``data`` to ``SCHEMA_VERSION`` in place; returns the version it was.

    A newer version raises ``StoreError`` before anything is changed.
    """
    found = version_of(data, path)
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer screener (schema {found}); upgrade screener"
        )
    version = found
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](data, path)
        version += 1
        data[META][META_ID]["schema_version"] = version
    check_documents(data, path)
    return found


def check_documents(data: Tables, path: Path) -> None:
    """Refuse a file whose documents lack the fields every reader relies on.

    A hand-edited or foreign file would otherwise fail deep inside a command
    with a KeyError; this is one C-speed subset test per document (~20 ms per
    100k attempts).
    """
    for name, fields in REQUIRED.items():
        wanted = frozenset(fields)
        for doc_id, doc in data.get(name, {}).items():
            if type(doc) is not dict or not doc.keys() >= wanted:
                have = doc.keys() if isinstance(doc, dict) else ()
                missing = ", ".join(f for f in fields if f not in have) or "a mapping"
                raise StoreError(
                    f"{path} is not a screener database ({name} document {doc_id} lacks "
                    f"{missing}); left untouched"
                )
