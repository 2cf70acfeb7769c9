"""The results store: the only part of screener that imports tinydb.

``interface.ResultsStore`` names every operation the commands and the library
use, with the plain records it takes and returns; ``connect`` opens the
database a ``--db`` names. ``Store`` is the TinyDB backend (docs/store.md): a
small live file and an archive of segment files beside it.

Importing this package imports nothing else of the store: each name below is
imported from its module when first used (``connect`` imports the TinyDB
backend only for a file, ``store.postgres`` only for a URL), so a command pays
only for the parts it uses.
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screener.store.bulk import ScoredBatch
    from screener.store.core import PreparedAttempts, Store
    from screener.store.files import resolve_db_path
    from screener.store.interface import ResultsStore
    from screener.store.records import (
        AttemptRecord,
        AttemptStatus,
        AttemptStream,
        AuditEvent,
        Candidate,
        CompactResult,
        Erasure,
        Layout,
        NewAttempt,
        NewCandidate,
        Progress,
        SaveResult,
        StoreInfo,
    )
    from screener.store.schema import SCHEMA_VERSION

#: ``$SCREENER_DB``: the database when no ``--db`` is given.
DB_ENV = "SCREENER_DB"

#: name -> the module (in ``screener.store``) it is imported from on first use
_LAZY = {
    "ScoredBatch": "bulk",
    "PreparedAttempts": "core",
    "Store": "core",
    "resolve_db_path": "files",
    "ResultsStore": "interface",
    **{
        name: "records"
        for name in (
            "AttemptRecord",
            "AttemptStatus",
            "AttemptStream",
            "AuditEvent",
            "Candidate",
            "CompactResult",
            "Erasure",
            "Layout",
            "NewAttempt",
            "NewCandidate",
            "Progress",
            "SaveResult",
            "StoreInfo",
        )
    },
    "SCHEMA_VERSION": "schema",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def connect(db: Path | str | None = None, *, reads_only: bool = False) -> ResultsStore:
    """The results database ``db`` names (``--db``; else ``$SCREENER_DB``, else the user
    data dir). Opening reads nothing. A ``postgresql://`` (or ``postgres://``) URL is a
    PostgreSQL database (``store.postgres``, imported only then); anything else is a
    TinyDB database. ``reads_only``: the caller mostly reads (``show``): a PostgreSQL
    store then reads without psycopg's start-up (``PostgresStore(light=True)``)."""
    from screener.store.postgres import open_postgres, postgres_url

    url = postgres_url(db if db is not None else os.environ.get(DB_ENV) or None)
    if url is not None:
        return open_postgres(url, light=reads_only)
    from screener.store.core import Store

    return Store(db)


def is_server_db(db: Path | str | None = None) -> bool:
    """Whether ``db`` (else ``$SCREENER_DB``) names a database server, not a file."""
    from screener.store.postgres import is_postgres_url

    return is_postgres_url(db if db is not None else os.environ.get(DB_ENV) or None)


__all__ = [
    "DB_ENV",
    "SCHEMA_VERSION",
    "AttemptRecord",
    "AttemptStatus",
    "AttemptStream",
    "AuditEvent",
    "Candidate",
    "CompactResult",
    "Erasure",
    "Layout",
    "NewAttempt",
    "NewCandidate",
    "PreparedAttempts",
    "Progress",
    "ResultsStore",
    "SaveResult",
    "ScoredBatch",
    "Store",
    "StoreInfo",
    "connect",
    "is_server_db",
    "resolve_db_path",
]
