"""The results store: the only part of screener that imports tinydb.

``interface.ResultsStore`` names every operation the commands and the library
use, with the plain records it takes and returns; ``connect`` opens the
database a ``--db`` names. ``Store`` is the TinyDB backend (docs/store.md): a
small live file and an archive of segment files beside it.
"""

from pathlib import Path

from screener.store.bulk import ScoredBatch
from screener.store.core import PreparedAttempts, Store
from screener.store.files import DB_ENV, resolve_db_path
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


def connect(db: Path | str | None = None) -> ResultsStore:
    """The results database ``db`` names (``--db``; else ``$SCREENER_DB``, else the user
    data dir). Opening reads nothing. A ``postgresql://`` (or ``postgres://``) URL is a
    PostgreSQL database (``store.postgres``, imported only then); anything else is a
    TinyDB database."""
    import os

    from screener.store.postgres import open_postgres, postgres_url

    url = postgres_url(db if db is not None else os.environ.get(DB_ENV) or None)
    if url is not None:
        return open_postgres(url)
    return Store(db)


def is_server_db(db: Path | str | None = None) -> bool:
    """Whether ``db`` (else ``$SCREENER_DB``) names a database server, not a file."""
    import os

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
