"""``PostgresStore``: the results store on a PostgreSQL server (issue 16).

It keeps the contract of ``interface.ResultsStore`` exactly as the TinyDB store
(``core.Store``) does: the same records, messages, audit events, name matching,
id scheme and order. Every public method is one transaction; ``transaction()``
shares one database transaction across calls and ``reading()`` one REPEATABLE
READ snapshot. Writes run at READ COMMITTED with explicit locks: the attempt
being taken is locked with ``SELECT ... FOR UPDATE``, and whatever creates
candidates or checks submission keys takes one advisory lock, so parallel
stations and batches create each person once and store each key once. Bulk
saves go through ``COPY``; streams read through a server-side cursor.

Attempts keep the packed fields (docs/store.md, "Attempts") as the exact JSON
text screener packs, so ``AttemptRecord.packed`` is the same as the TinyDB
store's for the same attempt. Beside them each submitted attempt has its
competency results and plan rows as normal rows, which the ``results`` filters
(and anyone's SQL) use through indexes.

A database without the store's schema reads as empty; the first write creates
the schema (as ``screener db migrate`` does). A newer schema is refused.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard, TypeVar, cast, overload

import orjson

from screener.errors import NotFoundError, RecordError, StoreError
from screener.store import records  # (its whole-store records: imported when first made)
from screener.store.hashindex import name_key
from screener.store.postgres.connection import (
    SET_SEARCH_PATH,
    check_url,
    open_connection,
    open_light,
    operation_error,
)
from screener.store.postgres.lazy import LazyModule
from screener.store.postgres.migrate import apply, schema_version, stored_version, too_new
from screener.store.records import (
    STORE_EVENTS,
    AttemptRecord,
    AttemptStatus,
    AttemptStream,
    AuditEvent,
    Candidate,
    Layout,
    NameConflict,
    PartData,
    Progress,
    StreamKey,
    Who,
    attempt_fields,
    candidate_key,
    check_candidate_id,
    check_employer,
    check_scorecard,
    clean_contact,
    clean_name,
    follow_up_field,
    mention_test,
    new_people,
    new_secret,
    order_field,
    pack,
    scored_fields,
    shown,
    unpack,
    usable_secret,
    utc_stamp,
)

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql as pgsql

    from screener.coaching import PlanEntry
    from screener.pathway import Employer, Event
    from screener.scoring import Answer, Scorecard
    from screener.store.bulk import PackedBatch, ScoredBatch
    from screener.store.interface import ResultsStore
    from screener.store.summaries import (
        CompactResult,
        Erasure,
        NewAttempt,
        RestoreCounts,
        SaveResult,
        StoreDump,
        StoreInfo,
        StreamPart,
    )

else:  # imported on first use (``lazy``): a light read (``show``) never does
    psycopg = LazyModule("psycopg")
    pgsql = LazyModule("psycopg.sql")

When = datetime | str | None
Doc = dict[str, Any]
Conn: TypeAlias = "psycopg.Connection[Any]"

ID_BYTES = 6  # 12 hex digits, as the TinyDB store's ids
#: pg_advisory_xact_lock key taken by every write that creates candidates or stores
#: attempts with submission keys ("scr" "cand"): one such write at a time.
PEOPLE_LOCK = 0x736372636E64
#: ... and by a write that stores a new layout (numbered max + 1): "scr" "lay".
LAYOUT_LOCK = 0x7363726C6179
#: Taken shared by every write that stores attempts, and alone by an erasure ("scr"
#: "era"): an erasure never runs beside a write that stores attempts (or their plan
#: rows, which have no foreign key) for the candidate it removes.
ERASE_LOCK = 0x736372657261
#: A batch of at least this many attempts, and at least 1 / BULK_SHARE of those stored,
#: has its foreign keys checked by one join (``_bulk_keys_begin``, schema 6).
BULK_ROWS = 5000
BULK_SHARE = 4
#: How long such a batch waits for the tables' locks before checking row by row instead.
BULK_LOCK_WAIT = "200ms"
#: Streams of at most this many attempts are read at once; longer ones through a cursor.
EAGER_ROWS = 2000
#: For the transaction of a stream's cursor, which is read to its end: no JIT
#: compiling (a quarter of a second before the first row, for nothing faster after).
_STREAM_SETTINGS = "SET LOCAL jit = off"
#: Rows fetched from a server-side cursor at a time.
CHUNK = 2000

#: Attempt columns, in the order ``_packed`` reads them.
ATTEMPT_COLUMNS = (
    "a.id, a.candidate_id, a.layout, a.status, a.seed, a.item_order, a.started, a.submitted, "
    "a.answers, a.seconds, a.extra, a.scores, a.codes, a.intervals, a.near, a.outcome, "
    "a.overall, a.plan, a.key"
)
#: Packed field name of each column after the first four (None: a column of its own name).
_PACKED_FIELDS = (
    "seed",
    "order",
    "started",
    "submitted",
    "answers",
    "seconds",
    "extra",
    "scores",
    "codes",
    "intervals",
    "near",
    "outcome",
    "overall",
    "plan",
    "key",
)
#: Columns the packed fields are written to (COPY), in ``_PACKED_FIELDS`` order.
_COPY_ATTEMPTS = (
    "COPY attempts (id, candidate_id, layout, status, seed, item_order, started, submitted, "
    "answers, seconds, extra, scores, codes, intervals, near, outcome, overall, plan, key) "
    "FROM STDIN"
)
_DATA_TABLES = ("candidates", "attempts", "progress", "audit", "employers", "events")


def _packed(row: Sequence[Any]) -> Doc:
    """An attempt row as the packed document (the TinyDB store's fields, absent = None).

    One test per column, written out (``_PACKED_FIELDS`` order): a loop over
    ``zip(_PACKED_FIELDS, row[4:19])`` took 1.8 µs an attempt, this 1.0 µs."""
    doc: Doc = {"id": row[0], "cand": row[1], "layout": row[2], "status": row[3]}
    if row[4] is not None:
        doc["seed"] = row[4]
    if row[5] is not None:
        doc["order"] = row[5]
    if row[6] is not None:
        doc["started"] = row[6]
    if row[7] is not None:
        doc["submitted"] = row[7]
    if row[8] is not None:
        doc["answers"] = row[8]
    if row[9] is not None:
        doc["seconds"] = row[9]
    if row[10] is not None:
        doc["extra"] = row[10]
    if row[11] is not None:
        doc["scores"] = row[11]
    if row[12] is not None:
        doc["codes"] = row[12]
    if row[13] is not None:
        doc["intervals"] = row[13]
    if row[14] is not None:
        doc["near"] = row[14]
    if row[15] is not None:
        doc["outcome"] = row[15]
    if row[16] is not None:
        doc["overall"] = row[16]
    if row[17] is not None:
        doc["plan"] = row[17]
    if row[18] is not None:
        doc["key"] = row[18]
    return doc


#: The packed fields of ``_COPY_ATTEMPTS``'s columns, in its order.
_COPY_FIELDS = ("id", "cand", "layout", "status", *_PACKED_FIELDS)


def _pg_error(exc: BaseException, *, lost: bool = False) -> TypeGuard[psycopg.Error]:
    """Whether ``exc`` is a psycopg error (``lost``: an ``OperationalError``), without
    importing psycopg when it was not: then it cannot be one."""
    if "psycopg" not in sys.modules:
        return False
    return isinstance(exc, psycopg.OperationalError if lost else psycopg.Error)


def _token() -> str:
    """A random suffix for a server-side cursor's name."""
    import secrets

    return secrets.token_hex(4)


def _is_light(conn: object) -> bool:
    """Whether ``conn`` is the libpq reader's (``PostgresStore(light=True)``)."""
    from screener.store.postgres.libpq import LibpqConnection

    return isinstance(conn, LibpqConnection)


def _new_ids(count: int) -> list[str]:
    import secrets  # (not at the top: only writes use it, and it costs a read ~5 ms)

    width = 2 * ID_BYTES
    text = secrets.token_hex(ID_BYTES * count)
    return [text[i : i + width] for i in range(0, len(text), width)]


def _sorted_new_ids(count: int) -> list[str]:
    """``_new_ids(count)`` in ascending order, sorted as numbers by numpy (a tenth of
    the time of sorting the texts): a batch's rows then go to the right edge of the
    attempts' primary key, where the B-tree inserts without a descent."""
    import secrets

    import numpy as np

    pad = 8 - ID_BYTES  # each id read as a big-endian 64-bit number, its top bytes zero
    raw = np.zeros((count, 8), dtype=np.uint8)
    raw[:, pad:] = np.frombuffer(secrets.token_bytes(ID_BYTES * count), dtype=np.uint8).reshape(
        count, ID_BYTES
    )
    numbers = raw.view(">u8").ravel()
    numbers.sort()
    text = numbers.astype(">u8").tobytes().hex()
    return [text[i + 2 * pad : i + 16] for i in range(0, len(text), 16)]


@dataclass
class _Tx:
    """One open database transaction of a store."""

    conn: Conn
    write: bool
    version: int | None  # None: no schema yet (reads find nothing)
    layout_ids: dict[Layout, int] = field(default_factory=dict)
    #: Layouts by number this transaction knows: a write's own (what it stores may
    #: be rolled back), a read's the store's cache of committed ones.
    layouts: dict[int, Layout] = field(default_factory=dict)
    people_locked: bool = False
    erase_locked: bool = False

    @property
    def empty(self) -> bool:
        return self.version is None

    def lock_erasure(self, *, alone: bool = False) -> None:
        """``ERASE_LOCK``: shared by writers of attempts, ``alone`` by an erasure."""
        if not self.erase_locked:
            shared = "" if alone else "_shared"
            self.conn.execute(f"SELECT pg_advisory_xact_lock{shared}(%s)", (ERASE_LOCK,))
            self.erase_locked = True

    def lock_people(self) -> None:
        if not self.people_locked:
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (PEOPLE_LOCK,))
            self.people_locked = True


class PostgresStore:
    """The results database at a ``postgresql://`` URL (no password in it: libpq reads
    ``$PGPASSWORD`` or ``~/.pgpass``). One connection per store, opened on first use;
    not thread-safe (one store per thread).

    ``light``: for a command that only reads a little (``show``, ``report``): reads go
    through the bundled libpq directly (``libpq.LibpqConnection``), without importing
    psycopg (~140 ms of start-up); the first write switches to psycopg for good."""

    def __init__(self, url: str, *, light: bool = False) -> None:
        self.url = url
        self.params = check_url(url)
        self.light = light
        self._conn: Conn | None = None
        self._tx: _Tx | None = None
        self._checked = False  # the schema was found current on this connection
        self._path_set = False  # its search_path is the store's schema (``_connection``)
        self._layouts: dict[int, Layout] = {}
        self._source: str | None = None  # what attempts are read from (``_attempts_of``)

    # -- the database ------------------------------------------------------------------

    @property
    def location(self) -> str:
        return self.url

    @property
    def local_folder(self) -> None:
        return None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connection(self, *, full: bool = False) -> Conn:
        """The store's connection; its ``search_path`` is set by the first ``_open``
        (with a read's first statements, ``_begin_read``). A light store's is the
        libpq reader's until something needs psycopg's (``full``: a write)."""
        if full and self.light:
            self.light = False
            if self._conn is not None and _is_light(self._conn):
                self.close()
        if self._conn is None or self._conn.closed:
            self._conn = None
            light = open_light(self.url, self.params) if self.light else None
            if light is not None:  # only what reads use of a psycopg connection: execute
                self._conn = cast("Conn", light)
            else:  # (or: the libpq reader failed to connect; psycopg says why)
                self._conn = open_connection(self.url, self.params, search_path=False)
            self._checked = False
            self._path_set = False
            self._source = None
        return self._conn

    def _begin_read(self, conn: Conn) -> int | None:
        """Begin a read-only, repeatable-read transaction and return the schema version
        (``_version``), in one round trip where the old way took up to five: the
        ``BEGIN`` with its isolation level, the ``search_path`` of a new connection and
        the schema version (with, for the first read, whether this role may read the
        attempts table: ``_attempts_of``) go as one query string. A database without
        the meta table (no schema yet) fails it: rolled back, it is asked the old way."""
        statements = ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"]
        if not self._path_set:
            statements.append(SET_SEARCH_PATH)  # kept when this transaction commits
        ask_source = self._source is None
        if not self._checked:
            privilege = "has_table_privilege('attempts', 'SELECT')" if ask_source else "NULL"
            statements.append(f"SELECT schema_version, {privilege} FROM meta WHERE id = 1")
        try:
            cur = conn.execute("; ".join(statements))
        except psycopg.OperationalError:
            raise
        except psycopg.Error:  # no meta table yet, or it may not be read: the old way
            conn.execute("ROLLBACK")
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            if not self._path_set:
                conn.execute(SET_SEARCH_PATH)
            return self._version(conn)
        if self._checked:
            return schema_version()
        while cur.nextset():  # the last statement's result: the SELECT's
            pass
        row = cur.fetchone()
        version = None if row is None else int(row[0])
        if version is not None and version > schema_version():
            raise too_new(version, self.location)
        if version == schema_version():
            self._checked = True
        if ask_source and row is not None and version is not None and version >= 2:
            self._source = "attempts" if row[1] else "running_attempts"
        return version

    def _version(self, conn: Conn) -> int | None:
        """The schema version (None: none yet); ``StoreError`` when it is too new."""
        if self._checked:
            return schema_version()
        version = stored_version(conn)
        if version is not None and version > schema_version():
            raise too_new(version, self.location)
        if version == schema_version():
            self._checked = True
        return version

    @contextmanager
    def _open(self, *, write: bool, op: str) -> Iterator[_Tx]:
        active = self._tx
        if active is not None:
            if write and not active.write:
                raise RuntimeError("a write inside a read-only view of the store")
            yield active
            return
        conn = self._connection(full=write)
        if not write:
            yield from self._read(conn, op)
            return
        try:
            with ExitStack() as stack:
                try:
                    if not self._path_set:
                        conn.execute(SET_SEARCH_PATH)
                        self._path_set = True
                    stack.enter_context(conn.transaction())
                except psycopg.OperationalError:  # dropped by the server while idle: again
                    self.close()
                    conn = self._connection(full=True)
                    conn.execute(SET_SEARCH_PATH)
                    self._path_set = True
                    stack.enter_context(conn.transaction())
                version = self._version(conn)
                if write and version != schema_version():
                    try:
                        _, version = apply(conn, self.location)  # a savepoint of this one
                    except psycopg.errors.InsufficientPrivilege:
                        raise StoreError(
                            f"{self.location} has no screener tables yet and this role may not "
                            "create them: run `screener db migrate` as the database's owner"
                        ) from None
                    self._checked = True
                # a write's layouts are its own until it commits (a rollback forgets them)
                tx = _Tx(
                    conn, write, version, layouts=dict(self._layouts) if write else self._layouts
                )
                self._tx = tx
                try:
                    yield tx
                finally:
                    self._tx = None
        except psycopg.Error as exc:
            if conn.closed or isinstance(exc, psycopg.OperationalError):
                self.close()
            raise operation_error(exc, op, self.location) from None

    def _read(self, conn: Conn, op: str) -> Iterator[_Tx]:
        """``_open`` of a read: one snapshot (``_begin_read``), committed at the end (or
        rolled back when what reads fails)."""
        # (``_pg_error`` rather than ``except psycopg.Error``: what the caller raises
        # inside a read, ``show``'s NotFoundError, would import psycopg to be compared)
        try:
            try:
                version = self._begin_read(conn)
            except BaseException as exc:
                if not _pg_error(exc, lost=True):
                    raise
                self.close()  # dropped by the server while idle: again
                conn = self._connection()
                version = self._begin_read(conn)
        except BaseException as exc:
            self._end(conn, "ROLLBACK")
            if _pg_error(exc):
                raise operation_error(exc, op, self.location) from None
            raise
        tx = _Tx(conn, False, version, layouts=self._layouts)
        self._tx = tx
        try:
            yield tx
        except BaseException as exc:
            self._end(conn, "ROLLBACK")
            if _pg_error(exc):
                raise operation_error(exc, op, self.location) from None
            raise
        else:
            try:
                conn.execute("COMMIT")
            except psycopg.Error as exc:
                if conn.closed or isinstance(exc, psycopg.OperationalError):
                    self.close()
                raise operation_error(exc, op, self.location) from None
            self._path_set = True  # the search_path set with its BEGIN is kept
        finally:
            self._tx = None

    def _end(self, conn: Conn, command: str) -> None:
        """End a read that failed; a connection that cannot is closed (and reopened by
        the next operation)."""
        try:
            if not conn.closed:
                conn.execute(command)
        except psycopg.Error:
            self.close()
        if conn.closed:
            self.close()

    @contextmanager
    def transaction(self) -> Iterator[PostgresStore]:
        """Several operations in one database transaction: all of them or none."""
        with self._open(write=True, op="write to the database"):
            yield self

    @contextmanager
    def reading(self) -> Iterator[PostgresStore]:
        """Several reads of one snapshot (inside a ``transaction``: that transaction)."""
        with self._open(write=False, op="read the database"):
            yield self

    def exists(self) -> bool:
        """Whether anything is stored (a schema with nothing in it counts as nothing)."""
        with self._open(write=False, op="read the database") as tx:
            return not tx.empty and self._holds_data(tx)

    @staticmethod
    def _holds_data(tx: _Tx) -> bool:
        query = " OR ".join(f"EXISTS (SELECT 1 FROM {t})" for t in _DATA_TABLES)
        if (tx.version or 0) >= 2:  # a function: a station may not read every table
            query = "holds_data()"
        row = tx.conn.execute(f"SELECT {query}").fetchone()
        return bool(row and row[0])

    def info(self) -> StoreInfo:
        with self._open(write=False, op="read the database's summary (db info)") as tx:
            if tx.empty:
                return records.StoreInfo(self.location, False, 0, None, 0, 0, 0, 0, 0, 0)
            counts = tx.conn.execute(
                "SELECT (SELECT count(*) FROM candidates),"
                # every attempt, less those in progress (their partial index): a plain
                # count(*) has the smallest index to read, a count by status the table
                " (SELECT count(*) FROM attempts),"
                " (SELECT count(*) FROM attempts WHERE status = 'in_progress'),"
                " (SELECT count(*) FROM layouts), (SELECT count(*) FROM progress),"
                " (SELECT count(*) FROM audit), (SELECT count(*) FROM employers),"
                " (SELECT count(*) FROM events),"
                " (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                "  JOIN pg_namespace n ON n.oid = c.relnamespace"
                "  WHERE n.nspname = current_schema() AND c.relkind = 'r')"
            ).fetchone()
            assert counts is not None
            cands, every, pending, layouts, progress, audit, employers, events, size = counts
            done = every - pending
            return records.StoreInfo(
                path=self.location,
                exists=self._holds_data(tx),
                size=int(size),
                schema_version=tx.version,
                candidates=cands,
                attempts=done,
                in_progress=pending,
                layouts=layouts,
                progress=progress,
                audit_events=audit,
                employers=employers,
                events=events,
            )

    def secret(self) -> str:
        """The secret for anonymised exports' pseudonyms (a throwaway one while nothing
        is stored: there is nothing to pseudonymise)."""
        with self._open(write=False, op="read the database's secret (export --anonymise)") as tx:
            if tx.empty:
                return new_secret()
            row = tx.conn.execute("SELECT secret FROM meta WHERE id = 1").fetchone()
            value = row[0] if row else None
            if not usable_secret(value):
                raise StoreError(
                    f"{self.location} has no usable secret for anonymised exports (it has a "
                    "missing, empty or too short one); run `screener db rotate-secret` to make one"
                )
            assert isinstance(value, str)
            return value

    def rotate_secret(self, *, command: str | None = "db rotate-secret") -> None:
        with self._open(write=True, op="change the secret (db rotate-secret)") as tx:
            tx.conn.execute("UPDATE meta SET secret = %s WHERE id = 1", (new_secret(),))
            self._audit(tx, "secret.rotated", command)

    def compact(self, *, command: str | None = "db compact") -> CompactResult:
        """Nothing to do: the server keeps its own storage (autovacuum)."""
        return records.CompactResult(0, 0, 0, 0)

    # -- candidates -----------------------------------------------------------------------

    def add_candidate(
        self,
        name: str,
        contact: str | None = None,
        *,
        candidate_id: str | None = None,
        when: When = None,
    ) -> Candidate:
        cleaned = clean_name(name)
        contact = clean_contact(contact)
        if candidate_id is not None:
            check_candidate_id(candidate_id)
        with self._open(write=True, op="add candidates") as tx:
            return self._add_candidate(tx, cleaned, contact, candidate_id, utc_stamp(when))

    def _add_candidate(
        self, tx: _Tx, name: str, contact: str | None, candidate_id: str | None, created: str
    ) -> Candidate:
        while True:
            cid = candidate_id if candidate_id is not None else _new_ids(1)[0]
            row = tx.conn.execute(
                "INSERT INTO candidates (id, name, name_key, contact, created)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING id",
                (cid, name, name_key(name), contact, created),
            ).fetchone()
            if row is not None:
                return Candidate(cid, name, contact, created)
            if candidate_id is not None:
                raise StoreError(f"candidate id {shown(candidate_id)} is already taken")

    def _candidate_row(self, tx: _Tx, candidate_id: str) -> Candidate | None:
        if tx.empty:
            return None
        query = (
            "SELECT id, name, contact, created FROM known_candidates(%s, NULL)"
            if self._named_only(tx)
            else "SELECT id, name, contact, created FROM candidates WHERE id = %s"
        )
        row = tx.conn.execute(query, (candidate_id,)).fetchone()
        return None if row is None else Candidate(*row)

    def _named_only(self, tx: _Tx) -> bool:
        """Whether this role reads candidates only by an exact id or name (a station,
        schema 8: the function ``known_candidates``) and those of the attempts it
        runs (the view ``running_candidates``), not the table."""
        return (tx.version or 0) >= 8 and self._attempts_of(tx) != "attempts"

    def _candidates_of(self, tx: _Tx) -> str:
        """What the candidates of attempts read are joined from (see ``_named_only``)."""
        return "running_candidates" if self._named_only(tx) else "candidates"

    def _candidate(self, tx: _Tx, candidate_id: str) -> Candidate:
        found = self._candidate_row(tx, candidate_id)
        if found is None:
            raise NotFoundError(f"no candidate {shown(candidate_id)}")
        return found

    def get_candidate(self, candidate_id: str) -> Candidate:
        with self._open(write=False, op="read candidates") as tx:
            return self._candidate(tx, candidate_id)

    def candidates(self, ids: Iterable[str] | None = None) -> list[Candidate]:
        with self._open(write=False, op="read candidates") as tx:
            if tx.empty:
                return []
            base = "SELECT id, name, contact, created FROM candidates"
            order = " ORDER BY created, name, seq"
            if ids is None:
                rows = tx.conn.execute(base + order).fetchall()
            else:
                wanted = set(ids)
                if len(wanted) >= _MANY_IDS and not self._any_candidate(tx):
                    return []  # a batch's first import: no 100k-id array to send and parse
                rows = tx.conn.execute(
                    base + " WHERE id = ANY(%s::text[])" + order, (_array(wanted),)
                ).fetchall()
            return [Candidate(*r) for r in rows]

    @staticmethod
    def _any_candidate(tx: _Tx) -> bool:
        found = tx.conn.execute("SELECT EXISTS (SELECT 1 FROM candidates)").fetchone()
        return found is None or bool(found[0])

    def _named(self, tx: _Tx, name: str) -> list[Candidate]:
        if tx.empty:
            return []
        query = (
            "SELECT id, name, contact, created FROM known_candidates(NULL, %s)"
            if self._named_only(tx)
            else "SELECT id, name, contact, created FROM candidates WHERE name_key = %s"
            " ORDER BY created, id"
        )
        rows = tx.conn.execute(query, (name_key(name),)).fetchall()
        return [Candidate(*r) for r in rows]

    def candidates_named(self, name: str) -> list[Candidate]:
        with self._open(write=False, op="read candidates") as tx:
            return self._named(tx, name)

    def find_candidates(self, text: str) -> list[Candidate]:
        needle = text.strip().casefold()
        return [
            c
            for c in self.candidates()
            if c.id.casefold().startswith(needle)
            or needle in c.name.casefold()
            or (c.contact is not None and needle in c.contact.casefold())
        ]

    @staticmethod
    def _one_named(named: list[Candidate], name: str) -> Candidate | None:
        wanted = " ".join(name.split()).casefold()
        found = [c for c in named if c.name.casefold() == wanted]
        if len(found) > 1:
            ids = ", ".join(c.id for c in found)
            raise NotFoundError(
                f"{len(found)} candidates are named {shown(name)} (ids {ids}); give the id"
            )
        return found[0] if found else None

    def resolve_candidate(self, ref: str) -> Candidate:
        with self._open(write=False, op="read candidates") as tx:
            found = self._candidate_row(tx, ref)
            if found is not None:
                return found
            named = self._one_named(self._named(tx, ref), ref)
        if named is None:
            raise NotFoundError(f"no candidate {shown(ref)} (give an id or the exact name)")
        return named

    def match_candidate(
        self, ref: str | None, name: str | None, *, rename: bool = False
    ) -> Candidate | None:
        if ref is None and name is None:
            raise ValueError("give a candidate id or a name")
        cleaned = clean_name(name) if name is not None else None
        if ref is not None and cleaned is not None:
            check_candidate_id(ref)
            with self._open(write=False, op="read candidates") as tx:
                found = self._candidate_row(tx, ref)
            if found is None:
                return None
            if not rename and found.name.casefold() != cleaned.casefold():
                raise NameConflict(ref, found.name, cleaned)
            return found
        if ref is not None:
            return self.resolve_candidate(ref)
        assert cleaned is not None
        with self._open(write=False, op="read candidates") as tx:
            return self._one_named(self._named(tx, cleaned), cleaned)

    def resolve_or_add_candidate(
        self,
        ref: str | None,
        name: str | None,
        *,
        rename: bool = False,
        command: str | None = None,
    ) -> tuple[Candidate, bool]:
        with self._open(write=True, op="add candidates") as tx:
            tx.lock_people()  # parallel runs for one new person create them once
            found = self.match_candidate(ref, name, rename=rename)
            if found is None:
                assert name is not None
                return self.add_candidate(name, candidate_id=ref), True
            if not rename or name is None:
                return found, False
            cleaned = clean_name(name)
            if cleaned == found.name:
                return found, False
            self.rename_candidates({found.id: cleaned}, command=command)
            return replace(found, name=cleaned), False

    def rename_candidates(self, names: Mapping[str, str], *, command: str | None = None) -> int:
        """Store new names of stored candidates (id -> name) in one transaction: one
        ``UPDATE`` and one ``INSERT`` of their ``candidate.renamed`` events for all;
        those already so named are left alone. ``NotFoundError`` for an unknown id."""
        cleaned = {cid: clean_name(name) for cid, name in names.items()}
        if not cleaned:
            return 0
        with self._open(write=True, op="rename candidates") as tx:
            ids = list(cleaned)
            rows = tx.conn.execute(
                "SELECT id, name FROM candidates WHERE id = ANY(%s::text[]) FOR UPDATE",
                (_array(ids),),
            ).fetchall()
            found = dict(rows)
            unknown = [cid for cid in ids if cid not in found]
            if unknown:
                raise NotFoundError(f"no candidate {shown(unknown[0])}")
            changed = {cid: new for cid, new in cleaned.items() if found[cid] != new}
            if not changed:
                return 0
            moved, new_names = list(changed), list(changed.values())
            tx.conn.execute(
                "UPDATE candidates c SET name = n.name, name_key = n.name_key"
                " FROM unnest(%s::text[], %s::text[], %s::text[]) AS n (id, name, name_key)"
                " WHERE c.id = n.id",
                (_array(moved), _array(new_names), _array([name_key(n) for n in new_names])),
            )
            tx.conn.execute(
                "INSERT INTO audit (event, at, command, candidate_id)"
                " SELECT 'candidate.renamed', %s, %s, id FROM unnest(%s::text[]) WITH ORDINALITY"
                " AS r (id, n) ORDER BY n",
                (utc_stamp(), command, _array(moved)),
            )
            return len(changed)

    # -- layouts ---------------------------------------------------------------------------

    def _layout_of(self, tx: _Tx) -> dict[int, Layout]:
        """Every stored layout by number (layouts never change once stored: cached)."""
        if tx.empty:
            return {}
        known = tx.layouts
        rows = tx.conn.execute(
            "SELECT id, doc FROM layouts WHERE NOT (id = ANY(%s)) ORDER BY id", (list(known),)
        ).fetchall()
        for number, doc in rows:
            known[number] = Layout.from_doc(orjson.loads(doc))
        return dict(sorted(known.items()))

    def _layout_id(self, tx: _Tx, layout: Layout, number: int | None = None) -> int:
        """The number of an equal stored layout, storing it first when new (numbered
        1, 2, 3... as the TinyDB store numbers them; ``number`` when it is free)."""
        found = tx.layout_ids.get(layout)
        if found is not None:
            return found
        doc = orjson.dumps(layout.to_doc()).decode()
        row = tx.conn.execute("SELECT id FROM layouts WHERE doc = %s", (doc,)).fetchone()
        if row is None:
            tx.conn.execute("SELECT pg_advisory_xact_lock(%s)", (LAYOUT_LOCK,))
            row = tx.conn.execute("SELECT id FROM layouts WHERE doc = %s", (doc,)).fetchone()
        if row is None:
            free = None
            if number is not None:
                taken = tx.conn.execute("SELECT 1 FROM layouts WHERE id = %s", (number,))
                free = None if taken.fetchone() else number
            row = tx.conn.execute(
                "INSERT INTO layouts (id, assessment, version, form, doc)"
                " SELECT coalesce(%s, max(id) + 1, 1), %s, %s, %s, %s FROM layouts RETURNING id",
                (free, layout.assessment, layout.version, layout.form, doc),
            ).fetchone()
            assert row is not None
        tx.layout_ids[layout] = row[0]
        tx.layouts.setdefault(row[0], layout)
        return int(row[0])

    # -- attempts ----------------------------------------------------------------------------

    def _record(self, tx: _Tx, row: Sequence[Any], name: str | None) -> AttemptRecord:
        doc = _packed(row)
        layout = tx.layouts.get(doc["layout"]) or self._layout_of(tx)[doc["layout"]]
        return AttemptRecord.from_doc(doc, layout, name)

    def _attempts_of(self, tx: _Tx) -> str:
        """What attempts are read from: the table, or for a role that may not read it (a
        station, ``screener db init``) the view of the attempts it is running."""
        if self._source is None:
            if (tx.version or 0) < 2:  # no view yet
                return "attempts"
            row = tx.conn.execute("SELECT has_table_privilege('attempts', 'SELECT')").fetchone()
            self._source = "attempts" if row is not None and row[0] else "running_attempts"
        return self._source

    def _attempt_row(self, tx: _Tx, attempt_id: str, *, lock: bool = False) -> tuple[Any, ...]:
        row = None
        if not tx.empty:
            row = tx.conn.execute(
                f"SELECT {ATTEMPT_COLUMNS}, c.name FROM {self._attempts_of(tx)} a"
                f" JOIN {self._candidates_of(tx)} c ON c.id = a.candidate_id WHERE a.id = %s"
                + (" FOR UPDATE OF a" if lock else ""),
                (attempt_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no attempt '{attempt_id}'")
        return tuple(row)

    def save_attempt(
        self,
        candidate_id: str,
        scorecard: Scorecard,
        plan: tuple[PlanEntry, ...],
        answers: Mapping[str, Answer],
        layout: Layout,
        *,
        submitted: When = None,
        started: When = None,
        seconds: Mapping[str, float | None] | None = None,
        seed: int | None = None,
        order: Sequence[str] | None = None,
        key: str | None = None,
        command: str | None = None,
    ) -> AttemptRecord:
        row = records.NewAttempt(
            candidate_id,
            layout,
            scorecard,
            plan,
            answers,
            submitted,
            started,
            seconds,
            seed,
            order,
            key,
        )
        with self._open(write=True, op="store attempts") as tx:
            result = self.save_attempts([row], command=None)
            found = self._attempt_row(tx, result.attempt_ids[0])
            if command is not None and result.stored:
                self._audit(tx, "attempt.saved", command, found[1], found[0])
            return self._record(tx, found[:-1], found[-1])

    def save_attempts(
        self, rows: Iterable[NewAttempt], *, command: str | None = None
    ) -> SaveResult:
        """Many scored attempts in one transaction (``COPY``); rows whose ``key`` is
        stored (or earlier among the rows) are skipped. A bad row stores nothing."""
        now = utc_stamp()
        packed = [
            (row.key, candidate_key(row.candidate), row.layout, attempt_fields(row, now))
            for row in rows
        ]
        with self._open(write=True, op="store attempts (batch)") as tx:
            tx.lock_erasure()
            tx.lock_people()
            asked = sorted({k for k, _, _, _ in packed if k is not None})
            by_key = self._stored_keys(tx, asked)
            people = _People(self, tx, [who for _, who, _, _ in packed])
            ids = iter(self._fresh_attempt_ids(tx, len(packed)))
            docs: list[Doc] = []
            out: list[str] = []
            numbers: dict[int, int] = {}  # by id(): hashing a Layout per row costs more
            for key, who, layout, fields in packed:
                if key is not None:
                    known = by_key.get(key)
                    if known is not None:
                        out.append(known)
                        continue
                cid = people.resolve(who)
                doc = dict(fields)
                doc["id"] = aid = next(ids)
                doc["cand"] = cid
                number = numbers.get(id(layout))
                if number is None:
                    number = numbers[id(layout)] = self._layout_id(tx, layout)
                doc["layout"] = number
                docs.append(doc)
                out.append(aid)
                if key is not None:
                    by_key[key] = aid
            people.insert()
            if docs:
                self._copy_attempts(tx, docs)
                if command is not None:
                    self._audit(tx, "attempts.saved", command, count=len(docs), when=now)
            return records.SaveResult(
                stored=len(docs), skipped=len(packed) - len(docs), attempt_ids=tuple(out)
            )

    def save_scored_batch(self, batch: ScoredBatch, *, command: str | None = None) -> SaveResult:
        """The column-wise bulk save: the rows the TinyDB store writes, by ``COPY``.

        The server is kept busy while the client works: the new candidates are sent
        first (they do not depend on which rows are skipped: a row skipped for its
        key names a stored candidate or one of an earlier row) and stored while the
        rows are packed; the attempts' columns come straight from the packed
        columns (no document per row), and their ids are drawn in ascending order,
        so the primary key and the plan rows' key grow at their right edge."""
        from screener.store.bulk import pack_batch  # imports: only the bulk save

        n = batch.check()
        now = utc_stamp(batch.submitted)
        with self._open(write=True, op="store attempts (batch)") as tx:
            tx.lock_erasure()
            tx.lock_people()
            held = tx.conn.execute(
                "SELECT EXISTS (SELECT 1 FROM attempts), EXISTS (SELECT 1 FROM candidates)"
            ).fetchone()
            any_attempt, any_candidate = held if held is not None else (True, True)
            # (nothing stored yet: no key, attempt id or candidate to look up)
            # keys given row by row need not name the row's candidate: then the new
            # people are those of the rows kept, known only once the keys are packed
            early = batch.keys is None
            # a first import (no attempt stored: every row is kept but for a key it
            # repeats): the attempts' keys and indexes dropped before the candidates'
            # COPY, and the candidates' too when none is stored (schema 7)
            first_import = early and not any_attempt
            bulk = first_import and self._bulk_keys_begin(
                tx, n, any_attempt, people=not any_candidate
            )
            if bulk:
                return self._stream_first_import(tx, batch, n, now, any_candidate, command)

            def prepare() -> tuple[PackedBatch, list[str]]:
                return pack_batch(batch, n), _sorted_new_ids(n)

            prepared = (
                self._copy_candidates(
                    tx,
                    self._new_people(
                        tx, batch.candidates, batch.names, batch.contacts, any_candidate
                    ),
                    prepare,
                )
                if early
                else prepare()
            )
            assert prepared is not None
            packed, drawn = prepared
            keys = packed.keys
            by_key = (
                self._stored_keys(tx, sorted({k for k in keys if k is not None}))
                if any_attempt
                else {}
            )
            existing: dict[int, str] = {}
            repeat_of: dict[int, int] = {}
            rows: list[int] | None = None
            with_keys = [k for k in keys if k is not None]
            if by_key or len(set(with_keys)) < len(with_keys):
                rows = []
                first: dict[str, int] = {}
                for i, key in enumerate(keys):
                    if key is not None:
                        found = by_key.get(key)
                        if found is not None:
                            existing[i] = found
                            continue
                        earlier = first.get(key)
                        if earlier is not None:
                            repeat_of[i] = earlier
                            continue
                        first[key] = i
                    rows.append(i)
            cands = list(batch.candidates) if rows is None else [batch.candidates[i] for i in rows]
            m = len(cands)
            # (a subset of ascending ids ascends; sorting them again is linear, and puts
            # any id drawn anew for a clash in its place)
            picked = drawn if rows is None else [drawn[i] for i in rows]
            aids = sorted(self._fresh_attempt_ids(tx, m, check=any_attempt, drawn=picked))
            if rows is None:
                out = aids
            else:
                row_id = dict(zip(rows, aids, strict=True))
                out = [
                    row_id[i] if i in row_id else existing.get(i) or row_id[repeat_of[i]]
                    for i in range(n)
                ]
            if not early:
                names = None if batch.names is None else pick_rows(batch.names, rows)
                reach = None if batch.contacts is None else pick_rows(batch.contacts, rows)
                self._copy_candidates(tx, self._new_people(tx, cands, names, reach, any_candidate))
            if m:
                layout_id = self._layout_id(tx, batch.layout)
                if not first_import:
                    bulk = self._bulk_keys_begin(tx, m, any_attempt)
                self._copy_batch(tx, packed, rows, aids, cands, layout_id, now)
            if bulk:
                tx.conn.execute("SELECT screener.bulk_attempts_end()")
            if m and command is not None:
                self._audit(tx, "attempts.saved", command, count=m, when=now)
            return records.SaveResult(stored=m, skipped=n - m, attempt_ids=tuple(out))

    def _stream_first_import(
        self,
        tx: _Tx,
        batch: ScoredBatch,
        n: int,
        submitted: str,
        any_candidate: bool,
        command: str | None,
    ) -> SaveResult:
        """A first import's save, its keys and indexes dropped (``_bulk_keys_begin``):
        no attempt is stored, so a row is skipped only for a key an earlier row of the
        batch has, and each part of ``STREAM_ROWS`` rows is packed and sent while the
        server stores the part before (one ``COPY``), instead of every row packed
        before the first is sent; the new candidates are sent first, while the first
        part is packed. The same rows, ids and text as ``_copy_batch``'s."""
        from psycopg.copy import QueuedLibpqWriter

        from screener.store.bulk import pack_batch

        drawn = sorted(self._fresh_attempt_ids(tx, n, check=False, drawn=_sorted_new_ids(n)))

        def part(start: int) -> PackedBatch:
            rows = batch.rows(start, min(start + STREAM_ROWS, n))
            return pack_batch(rows, len(rows.candidates))

        people = self._new_people(tx, batch.candidates, batch.names, batch.contacts, any_candidate)
        ahead = self._copy_candidates(tx, people, lambda: part(0))
        layout_id = self._layout_id(tx, batch.layout)
        layout_of = self._layout_of(tx)
        first: dict[str, int] = {}  # each key's first row
        repeat_of: dict[int, int] = {}
        aids: list[str] = []
        codes: list[str] = []
        outcomes: list[str] = []
        with tx.conn.cursor() as cur:
            with cur.copy(_COPY_ATTEMPTS, writer=QueuedLibpqWriter(cur)) as copy:
                for start in range(0, n, STREAM_ROWS):
                    packed = ahead if ahead is not None else part(start)
                    ahead = None
                    keys = packed.keys
                    rows: list[int] | None = None
                    if any(k is not None for k in keys):
                        rows = []
                        for at, key in enumerate(keys, start):
                            if key is not None:
                                earlier = first.get(key)
                                if earlier is not None:
                                    repeat_of[at] = earlier
                                    continue
                                first[key] = at
                            rows.append(at - start)
                        if len(rows) == len(keys):
                            rows = None
                    ids = drawn[start : start + len(keys)]
                    part_ids = pick_rows(ids, rows)
                    if not part_ids:
                        continue
                    columns = _attempt_columns(
                        packed,
                        rows,
                        part_ids,
                        pick_rows(batch.candidates[start : start + len(keys)], rows),
                        layout_id,
                        submitted,
                    )
                    for at in range(0, len(part_ids), COPY_ROWS):
                        block = [column[at : at + COPY_ROWS] for column in columns]
                        copy.write(_columns_text(block).encode())
                    aids.extend(part_ids)
                    codes.extend(columns[_CODES])  # type: ignore[arg-type]
                    outcomes.extend(columns[_OUTCOMES])  # type: ignore[arg-type]
                plans = _batch_plan_rows(aids, codes, outcomes, layout_id, layout_of)
            if plans[0]:
                _copy_columns(
                    cur, "COPY plan_rows (module, attempt_id, required) FROM STDIN", plans
                )
        tx.conn.execute("SELECT screener.bulk_attempts_end()")
        m = len(aids)
        if m and command is not None:
            self._audit(tx, "attempts.saved", command, count=m, when=submitted)
        out = [drawn[repeat_of.get(i, i)] for i in range(n)]
        return records.SaveResult(stored=m, skipped=n - m, attempt_ids=tuple(out))

    @staticmethod
    def _bulk_keys_begin(tx: _Tx, rows: int, any_attempt: bool, *, people: bool = False) -> bool:
        """For a batch of ``rows`` attempts at least ``1 / BULK_SHARE`` of those stored:
        drop the attempts' foreign keys until ``bulk_attempts_end`` makes them again
        (schema 6), which checks every row by one join instead of two queries per new
        row, and for a batch ``BULK_SHARE`` times those stored (a first import) the
        indexes too, built again sorted; ``people`` (no candidate stored: called
        before their COPY) the candidates' primary key and name index too (schema
        7). True when dropped. Not when the locks this takes (the tables' own, held
        to the commit) are not granted at once: then the keys check row by row."""
        if rows < BULK_ROWS or tx.version is None or tx.version < 6:
            return False
        stored = 0.0
        if any_attempt:
            found = tx.conn.execute(
                # (never analysed: from the table's size, about 300 bytes an attempt)
                "SELECT CASE WHEN reltuples >= 0 THEN reltuples"
                " ELSE pg_relation_size(oid) / 300.0 END"
                " FROM pg_class WHERE oid = 'screener.attempts'::regclass"
            ).fetchone()
            if found is None or found[0] > BULK_SHARE * rows:
                return False
            stored = float(found[0])
        timeout = tx.conn.execute("SELECT current_setting('lock_timeout')").fetchone()
        try:
            with tx.conn.transaction():  # a savepoint: undone when refused
                tx.conn.execute("SELECT set_config('lock_timeout', %s, true)", (BULK_LOCK_WAIT,))
                indexes = stored * BULK_SHARE <= rows
                if people and indexes and tx.version >= 7:
                    tx.conn.execute("SELECT screener.bulk_attempts_begin(true, true)")
                else:
                    tx.conn.execute("SELECT screener.bulk_attempts_begin(%s)", (indexes,))
                tx.conn.execute(
                    "SELECT set_config('lock_timeout', %s, true)",
                    (timeout[0] if timeout else "0",),
                )
        except (psycopg.errors.LockNotAvailable, psycopg.errors.InsufficientPrivilege):
            return False
        return True

    def _new_people(
        self,
        tx: _Tx,
        cands: Sequence[str],
        names: Sequence[str | None] | None,
        contacts: Sequence[str | None] | None,
        any_candidate: bool,
    ) -> list[tuple[str, str, str | None, str]]:
        """The candidates of ``cands`` not stored yet, in the order of their first rows,
        as ``_copy_candidates`` takes them (named as given, else by their id; with the
        contact details of their first row that has some)."""
        known = self._stored_candidates(tx, set(cands)) if any_candidate else set()
        created = utc_stamp()
        return [
            (cid, name, contact, created)
            for cid, (name, contact) in new_people(cands, names, known, contacts).items()
        ]

    def _copy_batch(
        self,
        tx: _Tx,
        packed: PackedBatch,
        rows: list[int] | None,
        aids: Sequence[str],
        cands: Sequence[str],
        layout_id: int,
        submitted: str,
    ) -> None:
        """A scored batch's attempts (the columns ``documents`` would give, taken from
        the packed columns) and then their plan rows, each by one ``COPY``."""
        layout_of = self._layout_of(tx)
        columns = _attempt_columns(packed, rows, aids, cands, layout_id, submitted)
        codes, outcomes = columns[_CODES], columns[_OUTCOMES]
        with tx.conn.cursor() as cur:
            plans = _copy_columns(
                cur,
                _COPY_ATTEMPTS,
                columns,
                lambda: _batch_plan_rows(aids, codes, outcomes, layout_id, layout_of),  # type: ignore[arg-type]
            )
            if plans is not None and plans[0]:
                _copy_columns(
                    cur, "COPY plan_rows (module, attempt_id, required) FROM STDIN", plans
                )

    @staticmethod
    def _stored_keys(tx: _Tx, keys: Sequence[str]) -> dict[str, str]:
        if not keys:
            return {}
        rows = tx.conn.execute(
            "SELECT key, id FROM attempts WHERE key = ANY(%s::text[])", (_array(keys),)
        ).fetchall()
        return dict(rows)

    @staticmethod
    def _stored_candidates(tx: _Tx, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        rows = tx.conn.execute(
            "SELECT id FROM candidates WHERE id = ANY(%s::text[])", (_array(ids),)
        )
        return {r[0] for r in rows}

    @staticmethod
    def _fresh_attempt_ids(
        tx: _Tx, count: int, *, check: bool = True, drawn: list[str] | None = None
    ) -> list[str]:
        """``count`` new attempt ids (``drawn``: these, drawn already), none stored
        (``check``: asked of the table) nor twice."""
        out = drawn if drawn is not None else _new_ids(count)
        if not out:
            return out
        while True:
            clash = (
                {
                    r[0]
                    for r in tx.conn.execute(
                        "SELECT id FROM attempts WHERE id = ANY(%s::text[])", (_array(out),)
                    )
                }
                if check
                else set()
            )
            if len(set(out)) == len(out) and not clash:
                return out
            seen: set[str] = set()
            fixed = []
            for aid in out:
                if aid in clash or aid in seen:
                    aid = _new_ids(1)[0]
                seen.add(aid)
                fixed.append(aid)
            out = fixed

    @staticmethod
    def _copy_candidates(
        tx: _Tx,
        people: Sequence[tuple[str, str, str | None, str]],
        then: Callable[[], _T] | None = None,
    ) -> _T | None:
        """New candidates by one ``COPY``; ``then()``'s result, worked out while the
        server stores them (``_copy_columns``)."""
        if not people:
            return then() if then is not None else None
        ids, names, contacts, created = (list(c) for c in zip(*people, strict=True))
        with tx.conn.cursor() as cur:
            return _copy_columns(
                cur,
                "COPY candidates (id, name, name_key, contact, created) FROM STDIN",
                [ids, names, list(map(name_key, names)), contacts, created],
                then,
            )

    def _copy_attempts(self, tx: _Tx, docs: Sequence[Mapping[str, Any]]) -> None:
        """Attempts, then their plan rows, each by one ``COPY`` (the competency results
        are a view over the attempts)."""
        layout_of = self._layout_of(tx)
        columns = [[d.get(f) for d in docs] for f in _COPY_FIELDS]
        with tx.conn.cursor() as cur:
            plans = _copy_columns(cur, _COPY_ATTEMPTS, columns, lambda: _plan_rows(docs, layout_of))
            assert plans is not None
            self._copy_plans(cur, plans)

    @staticmethod
    def _copy_plans(cur: psycopg.Cursor[Any], rows: Sequence[tuple[str, str, bool]]) -> None:
        """Plan rows (``_plan_rows``) by one ``COPY``."""
        if not rows:
            return
        _copy_lines(
            cur,
            "COPY plan_rows (module, attempt_id, required) FROM STDIN",
            (f"{_text(m)}\t{_text(a)}\t{'t' if r else 'f'}\n" for m, a, r in rows),
        )

    def start_attempt(
        self,
        candidate_id: str,
        layout: Layout,
        *,
        seed: int | None = None,
        order: Sequence[str] | None = None,
        started: When = None,
        command: str | None = None,
    ) -> AttemptRecord:
        doc: Doc = {"status": "in_progress"}
        if seed is not None:
            doc["seed"] = seed
        packed_order = order_field(layout, order)
        if packed_order is not None:
            doc["order"] = packed_order
        doc["started"] = utc_stamp(started)
        doc["answers"] = pack([None] * len(layout.items))
        with self._open(write=True, op="record attempts (take)") as tx:
            tx.lock_erasure()
            person = self._candidate(tx, candidate_id)
            head: Doc = {
                "id": self._fresh_attempt_ids(tx, 1)[0],
                "cand": candidate_id,
                "layout": self._layout_id(tx, layout),
            }
            head.update(doc)
            self._copy_attempts(tx, [head])
            if command is not None:
                self._audit(tx, "attempt.started", command, candidate_id, head["id"])
            return AttemptRecord.from_doc(head, layout, person.name)

    def record_answer(
        self, attempt_id: str, item_id: str, answer: Answer, *, seconds: float | None = None
    ) -> None:
        """One answer of an attempt in progress, under ``SELECT ... FOR UPDATE``: two
        stations answering the same attempt take turns, never interleave."""
        with self._open(write=True, op="record answers (take)") as tx:
            row = self._attempt_row(tx, attempt_id, lock=True)
            doc = _packed(row)
            if doc["status"] != "in_progress":
                raise StoreError(f"attempt {attempt_id} is already submitted")
            layout = self._layout_of(tx)[doc["layout"]]
            position = layout.index.get(item_id)
            if position is None:
                tx.conn.execute(
                    "UPDATE attempts SET extra = %s WHERE id = %s",
                    (follow_up_field(layout, doc, item_id, answer, seconds), attempt_id),
                )
                return
            answers = layout.decode_answers(unpack(doc["answers"]))
            answers[position] = answer
            new_answers = pack(layout.encode_answers(answers))
            if seconds is None:
                tx.conn.execute(
                    "UPDATE attempts SET answers = %s WHERE id = %s", (new_answers, attempt_id)
                )
                return
            spent = unpack(doc.get("seconds")) or [None] * len(layout.items)
            spent[position] = seconds
            tx.conn.execute(
                "UPDATE attempts SET answers = %s, seconds = %s WHERE id = %s",
                (new_answers, pack(spent), attempt_id),
            )

    def submit_attempt(
        self,
        attempt_id: str,
        scorecard: Scorecard,
        plan: tuple[PlanEntry, ...],
        *,
        submitted: When = None,
        command: str | None = None,
    ) -> AttemptRecord:
        with self._open(write=True, op="submit attempts (take)") as tx:
            row = self._attempt_row(tx, attempt_id, lock=True)
            doc = _packed(row)
            if doc["status"] != "in_progress":
                raise StoreError(f"attempt {attempt_id} is already submitted")
            layout_of = self._layout_of(tx)
            layout = layout_of[doc["layout"]]
            follow_ups = [(e[0], e[1]) for e in unpack(doc.get("extra")) or ()]
            answers = layout.decode_answers(unpack(doc["answers"]))
            check_scorecard(layout, scorecard, answers, follow_ups)
            fields: Doc = {"status": "submitted", "submitted": utc_stamp(submitted)}
            fields.update(scored_fields(layout, scorecard, plan))
            doc.update(fields)
            tx.conn.execute(
                "UPDATE attempts SET status = %s, submitted = %s, scores = %s, codes = %s,"
                " intervals = %s, near = %s, outcome = %s, overall = %s, plan = %s WHERE id = %s",
                (
                    "submitted",
                    doc["submitted"],
                    doc["scores"],
                    doc["codes"],
                    doc.get("intervals"),
                    doc.get("near"),
                    doc["outcome"],
                    doc.get("overall"),
                    doc.get("plan"),
                    attempt_id,
                ),
            )
            with tx.conn.cursor() as cur:
                self._copy_plans(cur, _plan_rows([doc], layout_of))
            if command is not None:
                self._audit(tx, "attempt.submitted", command, doc["cand"], attempt_id)
            fresh = self._attempt_row(tx, attempt_id)
            return self._record(tx, fresh[:-1], fresh[-1])

    def attempt(self, attempt_id: str) -> AttemptRecord:
        with self._open(write=False, op="read attempts") as tx:
            row = self._attempt_row(tx, attempt_id)
            return self._record(tx, row[:-1], row[-1])

    @staticmethod
    def _filters(
        candidate: str | None,
        assessment: str | None,
        outcome: str | None,
        module: str | None,
        since: When,
        status: AttemptStatus | None,
    ) -> tuple[str, list[Any]]:
        """The WHERE clause (over ``attempts a``) of the ``attempts`` filters."""
        where: list[str] = []
        params: list[Any] = []
        if candidate is not None:
            where.append("a.candidate_id = %s")
            params.append(candidate)
        if status is not None:
            where.append("a.status = %s")
            params.append(status)
        if outcome is not None:
            where.append("a.outcome = %s")
            params.append(outcome)
        if assessment is not None:
            where.append("a.layout IN (SELECT id FROM layouts WHERE assessment = %s)")
            params.append(assessment)
        if since is not None:
            where.append("a.stamp >= %s")
            params.append(utc_stamp(since))
        if module is not None:
            where.append(
                "EXISTS (SELECT 1 FROM plan_rows p WHERE p.attempt_id = a.id AND p.module = %s)"
            )
            params.append(module)
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def attempts(
        self,
        candidate: str | None = None,
        assessment: str | None = None,
        outcome: str | None = None,
        module: str | None = None,
        since: When = None,
        *,
        status: AttemptStatus | None = "submitted",
    ) -> list[AttemptRecord]:
        where, params = self._filters(candidate, assessment, outcome, module, since, status)
        with self._open(write=False, op="read results (results/export)") as tx:
            if tx.empty:
                return []
            rows = tx.conn.execute(
                f"SELECT {ATTEMPT_COLUMNS}, c.name FROM {self._attempts_of(tx)} a"
                f" JOIN {self._candidates_of(tx)} c ON c.id = a.candidate_id{where}"
                " ORDER BY a.stamp, a.seq",
                params,
            ).fetchall()
            found = [self._record(tx, r[:-1], r[-1]) for r in rows]
            if (
                candidate is not None
                and assessment is not None
                and outcome is None
                and module is None
                and (tx.version or 0) >= 4
                and self._attempts_of(tx) != "attempts"
            ):  # a station: the candidate's earlier attempts too, without their results
                return self._with_earlier(tx, found, candidate, assessment, since, status)
            return found

    def _with_earlier(
        self,
        tx: _Tx,
        running: list[AttemptRecord],
        candidate: str,
        assessment: str,
        since: When,
        status: AttemptStatus | None,
    ) -> list[AttemptRecord]:
        """For a role that may not read the attempts table (a station, issue 16): the
        candidate's attempts at ``assessment`` as the function ``earlier_attempts`` of
        schema 4 gives them, masked (``AttemptRecord.masked``: form, times, status and
        the items asked, no answer values, scores, outcome or plan), but those of
        ``running`` (the ones it may read) as they are; in the order stored."""
        readable = {r.attempt_id: r for r in running}
        since_stamp = utc_stamp(since) if since is not None else None
        rows = tx.conn.execute(
            "SELECT id, layout, status, started, submitted, stamp, asked, follow_ups"
            " FROM earlier_attempts(%s, %s)",
            (candidate, assessment),
        ).fetchall()
        name: str | None = None
        out: list[AttemptRecord] = []
        for attempt_id, number, state, started, submitted, stamp, asked, follow_ups in rows:
            if (status is not None and state != status) or (
                since_stamp is not None and stamp < since_stamp
            ):
                continue
            mine = readable.pop(attempt_id, None)
            if mine is not None:
                out.append(mine)
                continue
            layout = tx.layouts.get(number) or self._layout_of(tx)[number]
            items = layout.items
            form = items if asked is None else [items[n] for n in asked if 0 <= n < len(items)]
            asked_more = [n for n in follow_ups or () if 0 <= n < len(layout.reserve)]
            doc: Doc = {
                "id": attempt_id,
                "cand": candidate,
                "layout": number,
                "status": state,
                "answers": pack([None] * len(layout.items)),
                "seen": [*form, *(layout.reserve[n] for n in asked_more)],
            }
            if started is not None:
                doc["started"] = started
            if submitted is not None:
                doc["submitted"] = submitted
            if asked_more:  # which follow-up items were asked, not what was answered
                doc["extra"] = pack([[n, None] for n in asked_more])
            if name is None:
                person = self._candidate_row(tx, candidate)
                name = person.name if person is not None else None
            out.append(AttemptRecord.from_doc(doc, layout, name))
        return out + list(readable.values())  # (none: the function reads every attempt)

    def iter_attempts(
        self,
        candidate: str | None = None,
        assessment: str | None = None,
        outcome: str | None = None,
        module: str | None = None,
        since: When = None,
        *,
        status: AttemptStatus | None = "submitted",
    ) -> AttemptStream:
        """``attempts`` as a stream: a short one is read at once; a long one through a
        server-side cursor, ``CHUNK`` rows at a time, on a connection of its own that
        reads the snapshot this call saw (or, inside a write, on that transaction's)."""
        where, params = self._filters(candidate, assessment, outcome, module, since, status)
        with self._open(write=False, op="read results (results/export)") as tx:
            if tx.empty:
                return AttemptStream([], {})
            layout_of = self._layout_of(tx)
            counts = tx.conn.execute(
                f"SELECT a.layout, count(*) FROM attempts a{where} GROUP BY a.layout", params
            ).fetchall()
            total = sum(c for _, c in counts)
            if total == 0:
                return AttemptStream([], layout_of)
            joined = (
                f" FROM attempts a JOIN candidates c ON c.id = a.candidate_id{where}"
                " ORDER BY a.stamp, a.seq"
            )
            if total <= EAGER_ROWS:
                rows = tx.conn.execute(
                    f"SELECT {ATTEMPT_COLUMNS}, c.name, c.contact, a.stamp, a.seq{joined}", params
                ).fetchall()
                return AttemptStream([_eager_part(rows)], layout_of)
            query = f"SELECT {ATTEMPT_COLUMNS}, c.name, c.contact{joined}"  # (no key needed)
            firsts: dict[int, StreamKey] = {}
            for number, _ in counts:
                first = tx.conn.execute(
                    f"SELECT a.stamp, a.seq FROM attempts a{where}"
                    + (" AND" if where else " WHERE")
                    + " a.layout = %s ORDER BY a.stamp, a.seq LIMIT 1",
                    [*params, number],
                ).fetchone()
                assert first is not None
                firsts[number] = (first[0], 0, first[1])
            if tx.write:  # read inside this write, before it ends (batch's look back)
                source = _Source(tx.conn, None)
                tx.conn.execute(_STREAM_SETTINGS)
            else:
                snapshot = tx.conn.execute("SELECT pg_export_snapshot()").fetchone()
                assert snapshot is not None
                conn = open_connection(self.url, self.params)
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                conn.execute(f"SET TRANSACTION SNAPSHOT {_literal(snapshot[0])}")
                conn.execute(_STREAM_SETTINGS)
                source = _Source(conn, conn)
            rows_of = _CursorRows(source, query, params, total, self.location)
            part = records.StreamPart(("", 0, 0), total, firsts, rows_of.load)
            stream = AttemptStream([part], layout_of, person=self._person_lookup())
            weakref.finalize(stream, source.close)
            return stream

    def _person_lookup(self) -> Callable[[str], tuple[str | None, str | None]]:
        def person(candidate_id: str) -> tuple[str | None, str | None]:
            found = self.candidates([candidate_id])
            return (found[0].name, found[0].contact) if found else (None, None)

        return person

    def seen_items(
        self, candidate_id: str, assessment: str, *, exclude: str | None = None
    ) -> frozenset[str]:
        seen: set[str] = set()
        for record in self.attempts(candidate_id, assessment, status=None):
            if record.attempt_id != exclude:
                seen |= record.seen_items
        return frozenset(seen)

    def layouts(self) -> list[Layout]:
        with self._open(write=False, op="read results") as tx:
            return list(self._layout_of(tx).values())

    # -- coaching progress ---------------------------------------------------------------------

    _PROGRESS = (
        "SELECT candidate_id, module, attempt_id, started, updated, completed, check_score,"
        " lessons FROM progress"
    )

    @staticmethod
    def _progress(row: Sequence[Any]) -> Progress:
        cand, module, attempt, started, updated, completed, check, lessons = row
        return Progress(cand, module, attempt, started, updated, completed, check, tuple(lessons))

    def _progress_row(
        self, tx: _Tx, candidate_id: str, module: str, attempt_id: str | None, when: When
    ) -> Progress:
        query = self._PROGRESS + " WHERE candidate_id = %s AND module = %s FOR UPDATE"
        row = tx.conn.execute(query, (candidate_id, module)).fetchone()
        if row is None:
            self._candidate(tx, candidate_id)
            stamp = utc_stamp(when)
            tx.conn.execute(
                "INSERT INTO progress (candidate_id, module, attempt_id, started, updated)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (candidate_id, module, attempt_id, stamp, stamp),
            )
            row = tx.conn.execute(query, (candidate_id, module)).fetchone()
        assert row is not None
        return self._progress(row)

    def start_module(
        self,
        candidate_id: str,
        module: str,
        *,
        attempt_id: str | None = None,
        when: When = None,
    ) -> Progress:
        with self._open(write=True, op="record coaching progress (coach)") as tx:
            return self._progress_row(tx, candidate_id, module, attempt_id, when)

    def view_lesson(
        self, candidate_id: str, module: str, lesson: str, *, when: When = None
    ) -> Progress:
        with self._open(write=True, op="record coaching progress (coach)") as tx:
            found = self._progress_row(tx, candidate_id, module, None, when)
            lessons = list(found.lessons)
            if lesson not in lessons:
                lessons.append(lesson)
            return self._update_progress(
                tx, candidate_id, module, {"lessons": lessons, "updated": utc_stamp(when)}
            )

    def record_check(
        self,
        candidate_id: str,
        module: str,
        score: float,
        *,
        passed: bool,
        when: When = None,
    ) -> Progress:
        stamp = utc_stamp(when)
        with self._open(write=True, op="record coaching progress (coach)") as tx:
            found = self._progress_row(tx, candidate_id, module, None, when)
            fields: Doc = {"check_score": score, "updated": stamp}
            if passed and not found.completed:
                fields["completed"] = stamp
            return self._update_progress(tx, candidate_id, module, fields)

    def _update_progress(self, tx: _Tx, candidate_id: str, module: str, fields: Doc) -> Progress:
        assignments = pgsql.SQL(", ").join(
            pgsql.SQL("{} = {}").format(pgsql.Identifier(name), pgsql.Placeholder())
            for name in fields
        )
        row = tx.conn.execute(
            pgsql.SQL(
                "UPDATE progress SET {} WHERE candidate_id = %s AND module = %s RETURNING "
                "candidate_id, module, attempt_id, started, updated, completed, check_score, lessons"
            ).format(assignments),
            [*fields.values(), candidate_id, module],
        ).fetchone()
        assert row is not None
        return self._progress(row)

    def progress(
        self, candidate_id: str | None = None, module: str | None = None
    ) -> list[Progress]:
        with self._open(write=False, op="read coaching progress") as tx:
            if tx.empty:
                return []
            where, params = _where(("candidate_id =", candidate_id), ("module =", module))
            rows = tx.conn.execute(self._PROGRESS + where + " ORDER BY seq", params).fetchall()
            return [self._progress(r) for r in rows]

    # -- audit ---------------------------------------------------------------------------------

    def audit(
        self,
        event: str,
        *,
        command: str | None = None,
        candidate_id: str | None = None,
        attempt_id: str | None = None,
        count: int | None = None,
        detail: str | None = None,
        when: When = None,
    ) -> AuditEvent:
        if event in STORE_EVENTS:
            raise ValueError(f"audit event {event!r} is written by the store itself")
        with self._open(write=True, op="write the audit trail") as tx:
            return self._audit(tx, event, command, candidate_id, attempt_id, count, detail, when)

    @staticmethod
    def _audit(
        tx: _Tx,
        event: str,
        command: str | None,
        candidate_id: str | None = None,
        attempt_id: str | None = None,
        count: int | None = None,
        detail: str | None = None,
        when: When = None,
    ) -> AuditEvent:
        done = AuditEvent(event, utc_stamp(when), command, candidate_id, attempt_id, count, detail)
        tx.conn.execute(
            "INSERT INTO audit (event, at, command, candidate_id, attempt_id, count, detail)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (done.event, done.at, command, candidate_id, attempt_id, count, detail),
        )
        return done

    def audit_events(
        self,
        *,
        candidate_id: str | None = None,
        attempt_id: str | None = None,
        event: str | None = None,
        since: When = None,
    ) -> list[AuditEvent]:
        since_stamp = utc_stamp(since) if since is not None else None
        with self._open(write=False, op="read the audit trail") as tx:
            if tx.empty:
                return []
            where, params = _where(
                ("candidate_id =", candidate_id),
                ("attempt_id =", attempt_id),
                ("event =", event),
                ("at >=", since_stamp),
            )
            station = self._attempts_of(tx) != "attempts" and (tx.version or 0) >= 3
            rows = tx.conn.execute(
                "SELECT event, at, command, candidate_id, attempt_id, count, detail FROM "
                + ("running_audit" if station else "audit")  # a station's: of its attempts
                + where
                + " ORDER BY at, seq",
                params,
            ).fetchall()
            return [AuditEvent(*r) for r in rows]

    # -- program employers and events ----------------------------------------------------------

    def add_employer(self, employer: Employer) -> Employer:
        check_employer(employer)
        with self._open(write=True, op="add employers") as tx:
            row = tx.conn.execute(
                "INSERT INTO employers (id, name, region, seats) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING RETURNING id",
                (employer.id, employer.name, employer.region, employer.seats),
            ).fetchone()
            if row is None:
                raise StoreError(f"employer id {shown(employer.id)} is already taken")
            return employer

    def update_employer(
        self,
        employer_id: str,
        *,
        name: str | None = None,
        region: str | None = None,
        seats: int | None = None,
    ) -> Employer:
        from screener.pathway import Employer

        with self._open(write=True, op="change employers") as tx:
            row = None
            if not tx.empty:
                row = tx.conn.execute(
                    "SELECT id, name, region, seats FROM employers WHERE id = %s FOR UPDATE",
                    (employer_id,),
                ).fetchone()
            if row is None:
                raise NotFoundError(f"no employer {shown(employer_id)}")
            old = Employer(*row)
            changed = replace(
                old,
                name=old.name if name is None else name,
                region=old.region if region is None else region,
                seats=old.seats if seats is None else seats,
            )
            check_employer(changed)
            tx.conn.execute(
                "UPDATE employers SET name = %s, region = %s, seats = %s WHERE id = %s",
                (changed.name, changed.region, changed.seats, employer_id),
            )
            return changed

    def employers(self) -> list[Employer]:
        from screener.pathway import Employer

        with self._open(write=False, op="read employers") as tx:
            if tx.empty:
                return []
            rows = tx.conn.execute("SELECT id, name, region, seats FROM employers ORDER BY seq")
            return [Employer(*r) for r in rows]

    def add_events(self, events: Sequence[Event]) -> int:
        docs = [e.as_dict() for e in events]
        if not docs:
            return 0
        with (
            self._open(write=True, op="record program events") as tx,
            tx.conn.cursor() as cur,
            cur.copy("COPY events (person, doc) FROM STDIN") as copy,
        ):
            for doc in docs:
                copy.write_row((doc["person"], orjson.dumps(doc).decode()))
        return len(docs)

    def events(self, person: str | None = None) -> list[Event]:
        from screener.pathway import Event

        with self._open(write=False, op="read program events") as tx:
            if tx.empty:
                return []
            where, params = _where(("person =", person))
            rows = tx.conn.execute("SELECT seq, doc FROM events" + where, params).fetchall()
        found = [(seq, Event.from_dict(orjson.loads(doc))) for seq, doc in rows]
        found.sort(key=lambda pair: (pair[1].at, pair[0]))
        return [event for _, event in found]

    # -- erasure -------------------------------------------------------------------------------

    def delete_candidate(
        self, candidate_id: str, *, dry_run: bool = False, command: str | None = "delete"
    ) -> Erasure:
        """Erase a candidate: their record, attempts (with their competency results and
        plan rows), coaching progress, program events and the audit events naming them
        (as the TinyDB store decides it), in one transaction; audited with counts only.
        Rows deleted on a server leave no copy a reader can reach, so ``still_present``
        is always empty."""
        op = "delete candidates (delete)"
        with self._open(write=not dry_run, op=op) as tx:
            if not dry_run:  # no write stores an attempt for them meanwhile
                tx.lock_erasure(alone=True)
            person = self._candidate(tx, candidate_id)
            if not dry_run:
                tx.conn.execute(
                    "SELECT 1 FROM candidates WHERE id = %s FOR UPDATE", (candidate_id,)
                )
            attempt_ids = [
                r[0]
                for r in tx.conn.execute(
                    "SELECT id FROM attempts WHERE candidate_id = %s", (candidate_id,)
                )
            ]
            mentions = mention_test(candidate_id, person.name, person.contact)
            chosen = set(attempt_ids)
            audit_rows = tx.conn.execute(
                "SELECT seq, event, command, detail, candidate_id, attempt_id FROM audit"
                " WHERE candidate_id = %s OR attempt_id = ANY(%s)"
                " OR (NOT (event = ANY(%s)) AND (detail IS NOT NULL OR command IS NOT NULL))",
                (candidate_id, attempt_ids, sorted(STORE_EVENTS)),
            ).fetchall()
            naming = [
                seq
                for seq, event, cmd, detail, cand, attempt in audit_rows
                if cand == candidate_id
                or attempt in chosen
                or (
                    event not in STORE_EVENTS
                    and any(isinstance(t, str) and mentions(t) for t in (detail, cmd))
                )
            ]
            counted = tx.conn.execute(
                "SELECT (SELECT count(*) FROM progress WHERE candidate_id = %(c)s),"
                " (SELECT count(*) FROM events WHERE person = %(c)s)",
                {"c": candidate_id},
            ).fetchone()
            assert counted is not None
            erasure = records.Erasure(
                candidate_id,
                person.name,
                len(attempt_ids),
                counted[0],
                len(naming),
                events=counted[1],
            )
            if dry_run:
                return erasure
            execute = tx.conn.execute
            execute("DELETE FROM audit WHERE seq = ANY(%s)", (naming,))
            execute("DELETE FROM events WHERE person = %s", (candidate_id,))
            execute("DELETE FROM progress WHERE candidate_id = %s", (candidate_id,))
            execute("DELETE FROM plan_rows WHERE attempt_id = ANY(%s)", (attempt_ids,))
            execute("DELETE FROM attempts WHERE candidate_id = %s", (candidate_id,))
            execute("DELETE FROM candidates WHERE id = %s", (candidate_id,))
            self._audit(
                tx, "candidate.deleted", command, count=erasure.total, detail=erasure.summary()
            )
            return erasure

    # -- copying between stores ------------------------------------------------------------------

    def dump(self) -> StoreDump:
        """Everything stored, read from one snapshot on a connection of the dump's own
        (closed once every part has been read, or with the dump)."""
        with self._open(write=False, op="read everything (db copy)") as tx:
            if tx.empty:
                return records.StoreDump(new_secret(), (), (), (), (), (), ())
            layout_of = self._layout_of(tx)
            row = tx.conn.execute("SELECT secret FROM meta WHERE id = 1").fetchone()
            secret = row[0] if row and row[0] else new_secret()
            snapshot = tx.conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert snapshot is not None
            conn = open_connection(self.url, self.params)
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            conn.execute(f"SET TRANSACTION SNAPSHOT {_literal(snapshot[0])}")
        source = _Source(conn, conn)
        location = self.location

        def rows(query: str) -> Iterator[tuple[Any, ...]]:
            try:
                with conn.cursor(name=f"dump_{_token()}") as cur:
                    cur.execute(query)
                    while batch := cur.fetchmany(CHUNK):
                        yield from batch
            except psycopg.Error as exc:
                raise operation_error(exc, "read everything (db copy)", location) from None

        def attempts() -> Iterator[AttemptRecord]:
            for r in rows(
                f"SELECT {ATTEMPT_COLUMNS}, c.name FROM attempts a"
                " JOIN candidates c ON c.id = a.candidate_id ORDER BY a.stamp, a.seq"
            ):
                yield AttemptRecord.from_doc(_packed(r), layout_of[r[2]], r[-1])

        def employers() -> Iterator[Any]:
            from screener.pathway import Employer

            for r in rows("SELECT id, name, region, seats FROM employers ORDER BY seq"):
                yield Employer(*r)

        def events() -> Iterator[Any]:
            from screener.pathway import Event

            for _, doc in rows("SELECT seq, doc FROM events ORDER BY seq"):
                yield Event.from_dict(orjson.loads(doc))

        dumped = records.StoreDump(
            secret=secret,
            candidates=_Replayable(
                lambda: (
                    Candidate(*r)
                    for r in rows(
                        "SELECT id, name, contact, created FROM candidates ORDER BY created, seq"
                    )
                )
            ),
            attempts=_Replayable(attempts),
            progress=_Replayable(
                lambda: (self._progress(r) for r in rows(self._PROGRESS + " ORDER BY seq"))
            ),
            audit=_Replayable(
                lambda: (
                    AuditEvent(*r)
                    for r in rows(
                        "SELECT event, at, command, candidate_id, attempt_id, count, detail"
                        " FROM audit ORDER BY at, seq"
                    )
                )
            ),
            employers=_Replayable(employers),
            events=_Replayable(events),
        )
        weakref.finalize(dumped, source.close)
        return dumped

    def restore(self, dump: StoreDump, *, command: str | None = "db copy") -> RestoreCounts:
        """Another store's ``dump`` into this one, which must hold nothing yet (a
        ``StoreError`` otherwise, left untouched): one transaction, ids, names, times
        and packed attempts as they were; audited (``db.copied``, counts only)."""
        if not usable_secret(dump.secret):
            raise StoreError(
                "the database being copied has no usable secret "
                "(run `screener db rotate-secret` on it first); nothing was written"
            )
        with self._open(write=True, op="copy a database in (db copy)") as tx:
            self._refuse_unless_empty(tx)
            try:
                counts = self._restore(tx, dump)
            except (RecordError, ValueError, KeyError, TypeError) as exc:
                what = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
                raise StoreError(
                    f"the database being copied holds a record {self.location} cannot store "
                    f"({what}); nothing was written"
                ) from None
            self._audit(tx, "db.copied", command, count=counts.total, detail=counts.summary())
            return counts

    def _refuse_unless_empty(self, tx: _Tx) -> None:
        row = tx.conn.execute(
            "SELECT (SELECT count(*) FROM candidates), (SELECT count(*) FROM attempts),"
            " (SELECT count(*) FROM progress), (SELECT count(*) FROM audit),"
            " (SELECT count(*) FROM employers), (SELECT count(*) FROM events)"
        ).fetchone()
        assert row is not None
        held = [
            f"{count} {what}"
            for count, what in zip(
                row,
                (
                    "candidate(s)",
                    "attempt(s)",
                    "coaching record(s)",
                    "audit event(s)",
                    "employer(s)",
                    "program event(s)",
                ),
                strict=True,
            )
            if count
        ]
        if held:
            raise StoreError(
                f"{self.location} is not empty (it holds {', '.join(held)}): "
                "copy into a new database; left untouched"
            )

    def _restore(self, tx: _Tx, dump: StoreDump) -> RestoreCounts:
        tx.conn.execute("UPDATE meta SET secret = %s WHERE id = 1", (dump.secret,))
        people = [(c.id, c.name, c.contact, c.created) for c in dump.candidates]
        self._copy_candidates(tx, people)
        attempts = 0
        pending: list[Doc] = []
        for record in dump.attempts:
            doc = dict(record.packed)
            number = doc.get("layout")
            doc["layout"] = self._layout_id(
                tx, record.layout, number if isinstance(number, int) else None
            )
            doc["id"], doc["cand"], doc["status"] = (
                record.attempt_id,
                record.candidate_id,
                record.status,
            )
            pending.append(doc)
            if len(pending) >= CHUNK:
                self._copy_attempts(tx, pending)
                attempts += len(pending)
                pending = []
        if pending:
            self._copy_attempts(tx, pending)
            attempts += len(pending)
        progress = 0
        with tx.conn.cursor() as cur:
            with cur.copy(
                "COPY progress (candidate_id, module, attempt_id, started, updated, completed,"
                " check_score, lessons) FROM STDIN"
            ) as copy:
                for p in dump.progress:
                    copy.write_row(
                        (
                            p.candidate_id,
                            p.module,
                            p.attempt_id,
                            p.started,
                            p.updated,
                            p.completed,
                            p.check_score,
                            list(p.lessons),
                        )
                    )
                    progress += 1
            audit = 0
            with cur.copy(
                "COPY audit (event, at, command, candidate_id, attempt_id, count, detail)"
                " FROM STDIN"
            ) as copy:
                for e in dump.audit:
                    copy.write_row(
                        (
                            e.event,
                            e.at,
                            e.command,
                            e.candidate_id,
                            e.attempt_id,
                            e.count,
                            e.detail,
                        )
                    )
                    audit += 1
            employers = 0
            with cur.copy("COPY employers (id, name, region, seats) FROM STDIN") as copy:
                for emp in dump.employers:
                    check_employer(emp)
                    copy.write_row((emp.id, emp.name, emp.region, emp.seats))
                    employers += 1
            events = 0
            with cur.copy("COPY events (person, doc) FROM STDIN") as copy:
                for event in dump.events:
                    as_dict = event.as_dict()
                    copy.write_row((as_dict["person"], orjson.dumps(as_dict).decode()))
                    events += 1
        return records.RestoreCounts(len(people), attempts, progress, audit, employers, events)


# -- COPY text ---------------------------------------------------------------------------------

#: Bytes of COPY text sent to the server at a time.
COPY_BLOCK = 1 << 20
#: A null field in COPY's text format.
NULL = "\\N"


def _array(values: Collection[str]) -> str:
    """``values`` as the text of a ``text[]`` parameter (``%s::text[]``): psycopg's list
    dumper cost 0.15 s per 100k ids, this string a tenth of it."""
    if not values:
        return "{}"
    quoted = '","'.join(values)
    if "\\" in quoted or quoted.count('"') != 2 * (len(values) - 1):
        quoted = '","'.join(v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return '{"' + quoted + '"}'


def _text(value: str) -> str:
    """``value`` as a field of COPY's text format (backslash, tab and line breaks escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _field(value: object) -> str:
    if value is None:
        return NULL
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)
    return str(value)


_T = TypeVar("_T")

#: Rows of COPY text built (and sent) at a time by ``_copy_columns``.
COPY_ROWS = 10_000


def _column_fields(column: Sequence[object]) -> Sequence[str]:
    """A column's values as COPY fields, unescaped (``_columns_text`` checks them)."""
    kinds = set(map(type, column))
    if kinds <= {str}:
        return column  # type: ignore[return-value]  # every value is a str
    if kinds <= {str, type(None)}:
        return [NULL if v is None else v for v in column]  # type: ignore[misc]
    if kinds == {int}:
        return list(map(str, column))
    if kinds == {float}:
        return list(map(repr, column))
    return [v if type(v) is str else _field(v) for v in column]


def _columns_text(columns: Sequence[Sequence[object]]) -> str:
    """The rows of ``columns`` (equally long) as COPY's text format, built column-wise
    (a row at a time cost 3x as much: the client, not the server, was the slower side);
    a run of columns holding one value each (a batch's layout, status, nulls) is
    joined once and repeated, so fewer fields are joined per row.

    Most rows need no escapes: that is checked on the whole text at once (as many
    tabs as separators, as many backslashes as nulls, as many line breaks as rows);
    only when it fails is every field escaped."""
    rows = len(columns[0]) if columns else 0
    fields: list[Sequence[str]] = []
    same: list[str] = []  # the one value of each constant column since the last other
    for column in columns:
        first = column[0] if rows > 1 else 0
        # (only text or nulls: a number equals another type's, 1 == True == 1.0)
        if (first is None or type(first) is str) and column.count(first) == rows:
            same.append(NULL if first is None else first)  # a batch's layout, status...
            continue
        if same:  # joined once, not per row
            fields.append(["\t".join(same)] * rows)
            same = []
        fields.append(_column_fields(column))
    if same:
        fields.append(["\t".join(same)] * rows)
    text = "\n".join(map("\t".join, zip(*fields, strict=True))) + "\n"
    if (
        text.count("\t") == rows * (len(columns) - 1)
        and text.count("\\") == sum(column.count(None) for column in columns)
        and text.count("\n") == rows
        and "\r" not in text
    ):
        return text
    return "".join("\t".join(map(_field, row)) + "\n" for row in zip(*columns, strict=True))


def _copy_columns(
    cur: psycopg.Cursor[Any],
    statement: str,
    columns: Sequence[Sequence[object]],
    then: Callable[[], _T] | None = None,
) -> _T | None:
    """``COPY ... FROM STDIN`` of the rows of ``columns``, ``COPY_ROWS`` at a time;
    ``then()``'s result, run once every row is handed over and before the server is
    waited for.

    More than ``COPY_ROWS`` rows are written by a thread of psycopg's
    (``QueuedLibpqWriter``): the server stores them while this thread builds the
    next block and then works out what ``then`` gives (the server, not the client,
    is the slower side of a batch's save)."""
    from psycopg.copy import QueuedLibpqWriter

    total = len(columns[0])
    writer = QueuedLibpqWriter(cur) if total > COPY_ROWS else None
    with cur.copy(statement, writer=writer) as copy:
        for start in range(0, total, COPY_ROWS):
            part = [column[start : start + COPY_ROWS] for column in columns]
            copy.write(_columns_text(part).encode())
        return then() if then is not None else None


def _copy_lines(cur: psycopg.Cursor[Any], statement: str, lines: Iterable[str]) -> None:
    """``COPY ... FROM STDIN`` of ``lines``, sent in blocks of about ``COPY_BLOCK`` bytes."""
    with cur.copy(statement) as copy:
        block: list[str] = []
        size = 0
        for line in lines:
            block.append(line)
            size += len(line)
            if size >= COPY_BLOCK:
                copy.write("".join(block).encode())
                block, size = [], 0
        if block:
            copy.write("".join(block).encode())


# -- streams ------------------------------------------------------------------------------------


def _where(*tests: tuple[str, object]) -> tuple[str, list[object]]:
    """`` WHERE a = %s AND ...`` of the tests whose value is given (None: no test), so
    each query names only what it filters by and its plan can use the index for it."""
    given = [(test, value) for test, value in tests if value is not None]
    if not given:
        return "", []
    return " WHERE " + " AND ".join(f"{test} %s" for test, _ in given), [v for _, v in given]


def _literal(text: str) -> str:
    """A snapshot id as an SQL string literal (SET TRANSACTION SNAPSHOT takes no parameter)."""
    if not all(ch.isalnum() or ch == "-" for ch in text):
        raise StoreError(f"unexpected snapshot id {text!r}")
    return f"'{text}'"


@dataclass
class _Source:
    """The connection a stream reads from, and the one it must close (None: a
    transaction's own, which outlives the stream)."""

    conn: Conn
    owned: Conn | None
    prefetch: _Prefetch | None = None

    def close(self) -> None:
        if self.prefetch is not None and not self.prefetch.halt(self.owned):
            return  # (called in the prefetching thread: it closes the connection)
        if self.owned is not None and not self.owned.closed:
            self.owned.close()


class _Prefetch:
    """Fetches a cursor's rows in a thread of its own, up to ``AHEAD`` chunks ahead
    of the reader: the server finds the next rows while the reader works through
    the last ones (psycopg lets go of the GIL while it waits; a third of a 1M-row
    export's time was the server's, spent while the reader waited)."""

    AHEAD = 2

    def __init__(self, cursor: psycopg.ServerCursor[Any], total: int) -> None:
        import queue  # (here: only long streams use it)

        self.chunks: queue.Queue[list[Any] | BaseException] = queue.Queue(self.AHEAD)
        self.stop = threading.Event()
        self.close_after: Conn | None = None
        self.thread = threading.Thread(
            target=self._run, args=(cursor, total), name="screener-stream", daemon=True
        )
        self.thread.start()

    def _run(self, cursor: psycopg.ServerCursor[Any], total: int) -> None:
        fetched = 0
        try:
            while not self.stop.is_set():
                rows = cursor.fetchmany(CHUNK)
                fetched += len(rows)
                self._put(rows)
                if not rows or fetched >= total:
                    return
        except BaseException as exc:  # the reader raises it
            self._put(exc)
        finally:
            if self.close_after is not None and not self.close_after.closed:
                self.close_after.close()

    def _put(self, item: list[Any] | BaseException) -> None:
        import queue

        while not self.stop.is_set():
            try:
                self.chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def get(self) -> list[Any]:
        item = self.chunks.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def halt(self, owned: Conn | None) -> bool:
        """Stop fetching; False when called in the fetching thread itself (a garbage
        collection there), which then closes ``owned`` as it ends."""
        self.stop.set()
        if self.thread is threading.current_thread():
            self.close_after = owned
            return False
        self.thread.join()
        return True


class _Replayable:
    """An iterable made by ``factory`` each time it is iterated."""

    def __init__(self, factory: Callable[[], Iterator[Any]]) -> None:
        self.factory = factory

    def __iter__(self) -> Iterator[Any]:
        return self.factory()


def _eager_part(rows: Sequence[Sequence[Any]]) -> StreamPart:
    """A stream of rows already read (``SELECT`` with ``name, contact, stamp, seq``)."""
    docs = [_packed(r) for r in rows]
    keys: list[StreamKey] = [(r[21], 0, r[22]) for r in rows]
    names = {r[1]: r[19] for r in rows}
    contacts = {r[1]: r[20] for r in rows if r[20]}
    firsts: dict[int, StreamKey] = {}
    for doc, key in zip(docs, keys, strict=True):
        firsts.setdefault(doc["layout"], key)

    def key_at(at: int, doc: Mapping[str, Any]) -> StreamKey:
        return keys[at]

    def load() -> PartData:
        return docs, names, contacts, key_at

    return records.StreamPart(keys[0], len(docs), firsts, load, last=keys[-1])


class _CursorRows(Sequence[Doc]):
    """The attempts of a server-side cursor as a sequence read front to back (what
    ``AttemptStream`` asks of a part): ``CHUNK`` rows held at a time, and the names
    and contacts of their candidates in ``names``/``contacts``."""

    def __init__(
        self, source: _Source, query: str, params: list[Any], count: int, location: str
    ) -> None:
        self.source, self.query, self.params = source, query, params
        self.total, self.location = count, location
        self.names: dict[str, str] = {}
        self.contacts: dict[str, str] = {}
        self._cursor: psycopg.ServerCursor[Any] | None = None
        self._base = 0
        self._docs: list[Doc] = []

    def load(self) -> PartData:
        return self, self.names, self.contacts, self._key

    @staticmethod
    def _key(at: int, doc: Mapping[str, Any]) -> StreamKey:
        return (doc.get("submitted") or doc.get("started") or "", 0, at)

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Doc]:
        """Front to back a chunk at a time (a Python call per attempt fewer than
        indexing each)."""
        if self._base or self._docs:
            raise RuntimeError("a stream's attempts are read front to back, once")
        while self._base + len(self._docs) < self.total:
            self._fetch()
            yield from self._docs

    @overload
    def __getitem__(self, at: int) -> Doc: ...

    @overload
    def __getitem__(self, at: slice) -> Sequence[Doc]: ...

    def __getitem__(self, at: int | slice) -> Doc | Sequence[Doc]:
        if isinstance(at, slice):
            raise TypeError("a stream's attempts are read one at a time")
        if at < 0 or at >= self.total:
            raise IndexError(at)
        while at >= self._base + len(self._docs):
            self._fetch()
        if at < self._base:
            raise RuntimeError("a stream's attempts are read front to back, once")
        return self._docs[at - self._base]

    def _fetch(self) -> None:
        try:
            if self._cursor is None:
                self._cursor = self.source.conn.cursor(name=f"stream_{_token()}")
                self._cursor.execute(self.query, self.params)
                if self.source.owned is not None:  # a connection of the stream's own
                    self.source.prefetch = _Prefetch(self._cursor, self.total)
            if self.source.prefetch is not None:
                rows = self.source.prefetch.get()
            else:
                rows = self._cursor.fetchmany(CHUNK)
        except psycopg.Error as exc:
            self.source.close()
            raise operation_error(exc, "read results (results/export)", self.location) from None
        if not rows:
            raise StoreError(f"{self.location}: the attempts changed while they were read")
        self._base += len(self._docs)
        self._docs = [_packed(r) for r in rows]
        self.names.clear()
        self.contacts.clear()
        for r in rows:
            self.names[r[1]] = r[19]
            if r[20]:
                self.contacts[r[1]] = r[20]
        if self._base + len(self._docs) >= self.total:  # the last rows: let go of the server
            if self.source.prefetch is not None:
                self.source.prefetch.halt(None)  # (it has fetched its last rows)
            self._cursor.close()
            self.source.close()


# -- rows to store ----------------------------------------------------------------------------


def _plan_rows(
    docs: Sequence[Mapping[str, Any]], layout_of: Mapping[int, Layout]
) -> list[tuple[str, str, bool]]:
    """The submitted attempts' plan rows, ``(module, attempt id, required)``, in key
    order (the index's pages are then visited in order, not at random)."""
    rows = [
        (module, doc["id"], required)
        for doc in docs
        if doc["status"] == "submitted"
        for module, required in _plan_of(doc, layout_of)
    ]
    rows.sort()
    return rows


def _plan_of(doc: Mapping[str, Any], layout_of: Mapping[int, Layout]) -> list[tuple[str, bool]]:
    """A submitted attempt's plan modules as ``(module, required)`` rows.

    A stored (non-standard) plan is read; the standard plan's modules follow from
    the statuses and outcome alone (``coaching.plan_rows``: with a coaching outcome
    the modules of the competencies below the cut are required, and those of the
    borderline ones not already required are recommended; the gaps only order
    them), so they are worked out once per layout, status letters and outcome."""
    text = doc.get("plan")
    if text is not None:
        return [(e[0], bool(e[3]) if len(e) > 3 else True) for e in orjson.loads(text)]
    codes: str = doc["codes"]
    outcome = doc.get("outcome")
    key = (doc["layout"], codes, outcome)
    found = _STANDARD_PLANS.get(key)
    if found is None:
        found = []
        if outcome not in (None, "incomplete"):
            modules = layout_of[doc["layout"]].modules
            required: dict[str, None] = {}
            if outcome == "coaching":
                for code, mods in zip(codes, modules, strict=True):
                    if code == "b":
                        required.update(dict.fromkeys(mods))
            recommended: dict[str, None] = {}
            for code, mods in zip(codes, modules, strict=True):
                if code == "o":
                    recommended.update((m, None) for m in mods if m not in required)
            found = [(m, True) for m in required] + [(m, False) for m in recommended]
        if len(_STANDARD_PLANS) < 65536:
            _STANDARD_PLANS[key] = found
    return found


def pick_rows(column: Sequence[_T], rows: list[int] | None) -> Sequence[_T]:
    """``column``'s values at ``rows`` (None: all of them)."""
    return column if rows is None else [column[i] for i in rows]


#: Asked for this many candidates, ``PostgresStore.candidates`` first asks whether
#: any is stored (a batch's first import: ~0.1 s of sending and parsing 100k ids).
_MANY_IDS = 1000
#: Rows of a first import packed (and sent) at a time (``_stream_first_import``).
STREAM_ROWS = 20_000
#: Where ``_attempt_columns`` puts the status letters and the outcomes.
_CODES, _OUTCOMES = 12, 15


def _attempt_columns(
    packed: PackedBatch,
    rows: list[int] | None,
    aids: Sequence[str],
    cands: Sequence[str],
    layout_id: int,
    submitted: str,
) -> list[Sequence[object]]:
    """The ``_COPY_ATTEMPTS`` columns of the packed rows ``rows`` (None: every row)."""
    m = len(aids)

    def pick(column: Sequence[_T]) -> Sequence[_T]:
        return pick_rows(column, rows)

    overall = pick(packed.overall)
    if any(v != v for v in overall):  # NaN: not scored, left out
        overall = [None if v != v else v for v in overall]  # type: ignore[misc]
    none: list[None] = [None] * m
    return [
        aids,
        cands,
        [str(layout_id)] * m,
        ["submitted"] * m,
        none,  # seed
        none,  # item_order
        none,  # started
        [submitted] * m,
        pick(packed.answers),
        none,  # seconds
        pick(packed.extra),
        pick(packed.scores),
        pick(packed.codes),  # _CODES
        pick(packed.intervals),
        pick(packed.near),
        pick(packed.outcomes),  # _OUTCOMES
        overall,
        none,  # plan: the standard one, from the statuses
        pick(packed.keys),
    ]


def _batch_plan_rows(
    aids: Sequence[str],
    codes: Sequence[str],
    outcomes: Sequence[str],
    layout: int,
    layout_of: Mapping[int, Layout],
) -> list[list[str]]:
    """A batch's plan rows as COPY columns (module, attempt id, required as t/f), in
    key order without a sort: ``aids`` ascend, so each module's ids come in order."""
    by_module: dict[str, tuple[list[str], list[str]]] = {}
    plans: dict[tuple[str, str], list[tuple[list[str], list[str], str]]] = {}
    for aid, code, outcome in zip(aids, codes, outcomes, strict=True):
        plan = plans.get((code, outcome))
        if plan is None:
            doc = {"layout": layout, "codes": code, "outcome": outcome}
            plan = plans[(code, outcome)] = [
                (*by_module.setdefault(module, ([], [])), "t" if required else "f")
                for module, required in _plan_of(doc, layout_of)
            ]
        for ids, flags, flag in plan:
            ids.append(aid)
            flags.append(flag)
    columns: list[list[str]] = [[], [], []]
    for module in sorted(by_module):
        ids, flags = by_module[module]
        columns[0].extend([module] * len(ids))
        columns[1].extend(ids)
        columns[2].extend(flags)
    return columns


#: ``_plan_of`` of standard plans, by (layout number, status letters, outcome).
_STANDARD_PLANS: dict[tuple[int, str, str | None], list[tuple[str, bool]]] = {}


class _People:
    """Resolves the candidate of each row of a bulk save, creating new people once."""

    def __init__(self, store: PostgresStore, tx: _Tx, whos: Sequence[Who]) -> None:
        self.tx = tx
        given = {w if isinstance(w, str) else w[2] for w in whos} - {None}
        self.ids: set[str] = store._stored_candidates(tx, {g for g in given if g is not None})
        names = sorted({w[0] for w in whos if not isinstance(w, str) and w[2] is None})
        self.by_identity: dict[tuple[str, str | None], str] = {}
        if names:
            rows = tx.conn.execute(
                "SELECT id, name, contact FROM candidates WHERE name = ANY(%s)"
                " ORDER BY created, seq",
                (names,),
            ).fetchall()
            for cid, name, contact in rows:
                self.by_identity.setdefault((name, contact), cid)
        self.new: list[tuple[str, str, str | None, str]] = []
        self.now = utc_stamp()
        unnamed = sum(1 for w in whos if not isinstance(w, str) and w[2] is None)
        self.pool = self._fresh_ids(unnamed) if unnamed else []

    def resolve(self, who: Who) -> str:
        if isinstance(who, str):
            if who not in self.ids:
                raise NotFoundError(f"no candidate '{who}'")
            return who
        name, contact, cid = who
        if cid is not None:
            if cid not in self.ids:
                self.ids.add(cid)
                self._add(cid, name, contact)
            return cid
        known = self.by_identity.get((name, contact))
        if known is None:
            known = self._add(self._fresh_id(), name, contact)
        return known

    def _fresh_ids(self, count: int) -> list[str]:
        """``count`` new candidate ids no stored candidate has (checked in one query)."""
        pool: list[str] = []
        while len(pool) < count:
            drawn = [i for i in dict.fromkeys(_new_ids(count - len(pool))) if i not in self.ids]
            taken = PostgresStore._stored_candidates(self.tx, set(drawn))
            pool += [i for i in drawn if i not in taken and i not in pool]
        return pool

    def _fresh_id(self) -> str:
        cid = self.pool.pop() if self.pool else self._fresh_ids(1)[0]
        self.ids.add(cid)
        return cid

    def _add(self, cid: str, name: str, contact: str | None) -> str:
        self.by_identity.setdefault((name, contact), cid)
        self.new.append((cid, name, contact, self.now))
        return cid

    def insert(self) -> None:
        PostgresStore._copy_candidates(self.tx, self.new)


if TYPE_CHECKING:

    def _implements(store: PostgresStore) -> ResultsStore:
        """mypy checks here that ``PostgresStore`` is a ``ResultsStore``."""
        return store
