"""The PostgreSQL backend of the results store (issue 16): ``--db postgresql://...``.

Only this package imports psycopg, and only when a PostgreSQL database is written or
read by a command that is not a light reader (``show``, ``report``: ``libpq``): this
module itself imports nothing heavy, so ``screener.store.connect`` can ask
``is_postgres_url`` on every start-up for free.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from screener.store.postgres.backend import PostgresStore

#: The PostgreSQL schema (namespace) the store's tables live in.
SCHEMA = "screener"
SCHEMES = ("postgresql://", "postgres://")


def postgres_url(db: Path | str | None) -> str | None:
    """The URL ``db`` is when it names a PostgreSQL database, else None.

    A URL that went through ``pathlib.Path`` (a library caller's ``Path(url)``)
    lost one slash of its ``//``; it is put back. ``--db`` and ``$SCREENER_DB`` are
    read as typed, so ``postgresql:///dbname`` (no host: libpq's ``PGHOST`` or
    socket) works there.
    """
    if db is None:
        return None
    text = str(db)
    for scheme in SCHEMES:
        if text.startswith(scheme):
            return text
        collapsed = scheme[:-1]  # "postgresql:/"
        if text.startswith(collapsed):
            return scheme + text[len(collapsed) :]
        if text == scheme[:-2]:  # "postgresql://" alone, as a path: "postgresql:"
            return scheme
    return None


def is_postgres_url(db: Path | str | None) -> bool:
    return postgres_url(db) is not None


def open_postgres(url: str, *, light: bool = False) -> PostgresStore:
    """The store at ``url``; nothing is read until it is used. ``light``: its reads go
    through the bundled libpq without importing psycopg (``PostgresStore``)."""
    from screener.store.postgres.backend import PostgresStore

    return PostgresStore(url, light=light)


def migrate_database(url: str) -> tuple[int | None, int]:
    """Create or upgrade the store's tables at ``url``: ``(version before, version
    now)``, ``None`` before when there was no schema (``screener db migrate``).
    The same as ``screener.store.postgres.migrate.migrate``."""
    from screener.store.postgres.migrate import migrate

    return migrate(url)


__all__ = ["SCHEMA", "is_postgres_url", "migrate_database", "open_postgres", "postgres_url"]
