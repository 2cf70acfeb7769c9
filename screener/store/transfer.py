"""Copying a whole results database into another (``screener db copy``, issue 16).

Through the store interface only, so any two backends can be paired: the source's
``dump`` streams everything it holds, the destination's ``restore`` writes it in
one transaction. Ids, names, contacts and every time are kept, so results,
reports and anonymised exports' pseudonyms (the secret is copied too) read the
same from the copy; the copy's audit trail is the source's plus one
``db.copied`` event with counts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from screener.errors import StoreError
from screener.store.interface import ResultsStore
from screener.store.records import RestoreCounts, StoreInfo

__all__ = ["copy_store", "held", "same_database"]


def same_database(source: ResultsStore, dest: ResultsStore) -> bool:
    """Whether both name one database: the same file (through links and spelling), or
    the same location of a server."""
    if source.local_folder is not None and dest.local_folder is not None:
        first, second = Path(source.location), Path(dest.location)
        try:
            return os.path.samefile(first, second)
        except OSError:  # one of them is not there yet
            return first.resolve() == second.resolve()
    return source.location == dest.location


def held(info: StoreInfo) -> list[str]:
    """What a database holds, as counts for a message (empty: nothing)."""
    return [
        f"{count} {what}"
        for count, what in (
            (info.candidates, "candidate(s)"),
            (info.attempts + info.in_progress, "attempt(s)"),
            (info.progress, "coaching record(s)"),
            (info.audit_events, "audit event(s)"),
            (info.employers, "employer(s)"),
            (info.events, "program event(s)"),
        )
        if count
    ]


def copy_store(
    source: ResultsStore,
    dest: ResultsStore,
    *,
    command: str | None = "db copy",
    started: Callable[[], None] | None = None,
) -> RestoreCounts:
    """Copy everything ``source`` holds into ``dest``, which must hold nothing yet.

    ``StoreError`` (one line) when both are the same database, when the source is
    missing or holds nothing, or when the destination is not empty: all looked at
    before anything is read (``started`` is called then), and the destination's
    ``restore`` looks again under its lock. It is one transaction, so an error or a
    crash part-way leaves the destination as it was.
    """
    if same_database(source, dest):
        raise StoreError(
            f"{source.location} is both the source and the destination: copy into another database"
        )
    if not source.exists():
        raise StoreError(f"no database at {source.location}: nothing to copy")
    if not held(source.info()):
        raise StoreError(f"{source.location} holds nothing: nothing to copy")
    there = held(dest.info()) if dest.exists() else []
    if there:
        raise StoreError(
            f"{dest.location} is not empty (it holds {', '.join(there)}): "
            "copy into a new database; left untouched"
        )
    if started is not None:
        started()
    return dest.restore(source.dump(), command=command)
