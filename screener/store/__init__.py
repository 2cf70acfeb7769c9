"""The results store: the only part of screener that imports tinydb.

``Store`` is the API (see docs/store.md); the records it takes and returns are
plain dataclasses, so callers need neither tinydb nor the file layout.
"""

from screener.store.bulk import ScoredBatch
from screener.store.core import PreparedAttempts, Store
from screener.store.files import DB_ENV, resolve_db_path
from screener.store.records import (
    AttemptRecord,
    AttemptStatus,
    AttemptStream,
    AuditEvent,
    Candidate,
    Erasure,
    Layout,
    NewAttempt,
    NewCandidate,
    Progress,
    SaveResult,
    StoreInfo,
)
from screener.store.schema import SCHEMA_VERSION

__all__ = [
    "DB_ENV",
    "SCHEMA_VERSION",
    "AttemptRecord",
    "AttemptStatus",
    "AttemptStream",
    "AuditEvent",
    "Candidate",
    "Erasure",
    "Layout",
    "NewAttempt",
    "NewCandidate",
    "PreparedAttempts",
    "Progress",
    "SaveResult",
    "ScoredBatch",
    "Store",
    "StoreInfo",
    "resolve_db_path",
]
