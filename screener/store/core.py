"""The TinyDB backend of the results store: a small live file and an archive of segments.

``Store`` implements ``interface.ResultsStore`` (docs/store.md). Every write goes
lock → open → read the live file → change → commit (``txn.Txn.commit``: new
segment files first, the live file's replace as the commit point) → close →
unlock, with a fresh TinyDB instance each time: TinyDB caches the next document
id and query results, so an instance kept across a lock release would reuse
ids or miss other processes' writes. Reads take no lock: files are only ever
replaced whole or written under new names, so a reader always sees one
complete version, and a read-only command creates nothing (no file, no lock
file, no folder). ``reading()`` makes several reads share one parse.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson
from tinydb.queries import QueryLike

from screener.errors import NotFoundError, RecordError, StoreError
from screener.gcpause import paused_gc
from screener.store.archive import (
    LIVE_LIMIT,
    SEGMENT_ATTEMPTS,
    SMALL_SEGMENT,
    Archive,
    Segment,
    Stale,
    archive_folder,
    segment_path,
    sort_stamp,
)
from screener.store.files import (
    Tables,
    WriteLock,
    check_write_target,
    remove_stale_temps,
    resolve_db_path,
)
from screener.store.records import (
    NAME_MAX,
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
    invalid_candidate_ids,
    mention_test,
    new_people,
    new_secret,
    order_field,
    pack,
    person_doc,
    scored_fields,
    shown,
    statuses_of,
    unpack,
    usable_secret,
    utc_stamp,
)
from screener.store.schema import META, META_ID, SCHEMA_VERSION
from screener.store.txn import Limits, Txn

if TYPE_CHECKING:
    from screener.coaching import PlanEntry
    from screener.pathway import Employer, Event
    from screener.scoring import Answer, Scorecard
    from screener.store.bulk import ScoredBatch
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


#: Environment variables that override the archive's sizes (tests use small ones).
LIVE_LIMIT_ENV = "SCREENER_LIVE_LIMIT"
SEGMENT_ENV = "SCREENER_SEGMENT_ATTEMPTS"
#: How often a reader starts again when writers keep replacing what it was reading.
READ_TRIES = 50

LOCK_TIMEOUT = 30.0
LOCK_POLL = 0.01
ID_BYTES = 6  # 12 hex characters: short to type, and checked for uniqueness on insert

When = datetime | str | None
Doc = dict[str, Any]


def new_id(taken: Callable[[str], bool]) -> str:
    """A random 12-hex-digit id that ``taken`` says is free."""
    while True:
        candidate = secrets.token_hex(ID_BYTES)
        if not taken(candidate):
            return candidate


class _IdSource:
    """New random ids not in ``taken`` (which gains them), drawn in chunks.

    One ``token_hex`` call per id cost 0.36 s per 100k; slicing a chunk is ~20x cheaper.
    """

    CHUNK = 4096

    def __init__(self, taken: set[str], pool: list[str] | None = None) -> None:
        self.taken = taken
        self.pool: list[str] = list(pool or ())

    def many(self, count: int) -> list[str]:
        """``count`` new ids at once (the bulk path: no per-id call)."""
        width = 2 * ID_BYTES
        text = secrets.token_hex(ID_BYTES * count)
        out = [text[i : i + width] for i in range(0, len(text), width)]
        fresh = set(out)
        if len(fresh) < count or not self.taken.isdisjoint(fresh):
            return [self.take() for _ in range(count)]  # a collision: astronomically rare
        self.taken.update(fresh)
        return out

    def take(self) -> str:
        while True:
            if not self.pool:
                width = 2 * ID_BYTES
                text = secrets.token_hex(ID_BYTES * self.CHUNK)
                self.pool = [text[i : i + width] for i in range(0, len(text), width)]
            candidate = self.pool.pop()
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


@dataclass
class PreparedAttempts:
    """Rows checked and packed by ``Store.prepare_attempts``, ready to save.

    Each row is (submission key, candidate, layout, document fields). The first
    save stores the field dicts themselves (copying 100k of them cost 0.18 s);
    after that the batch is ``spent`` and a second save copies them.
    """

    rows: tuple[tuple[str | None, Who, Layout, Doc], ...]
    spent: bool = False

    def __len__(self) -> int:
        return len(self.rows)


class Store:
    """The results database at ``path`` (default: ``resolve_db_path(None)``): the live
    file ``path`` and, once it has one, the archive folder ``<path>.archive``.

    Each public method is one transaction of its own; inside ``transaction()``
    they share one lock and one write, inside ``reading()`` one parse.
    Not thread-safe: use one Store per thread. ``live_limit`` and
    ``segment_attempts`` size the archive (docs/store.md); by default
    ``$SCREENER_LIVE_LIMIT`` / ``$SCREENER_SEGMENT_ATTEMPTS`` or the built-in sizes.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        timeout: float = LOCK_TIMEOUT,
        live_limit: int | None = None,
        segment_attempts: int | None = None,
    ) -> None:
        self.path = resolve_db_path(Path(path) if path is not None else None)
        self.timeout = timeout
        self.limits = Limits(
            live_limit if live_limit is not None else _env_int(LIVE_LIMIT_ENV, LIVE_LIMIT),
            segment_attempts
            if segment_attempts is not None
            else _env_int(SEGMENT_ENV, SEGMENT_ATTEMPTS),
        )
        self._txn: Txn | None = None

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def archive_path(self) -> Path:
        """The archive folder beside the live file (it exists once attempts moved there)."""
        return archive_folder(self.path)

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def local_folder(self) -> Path | None:
        return self.path.parent

    def exists(self) -> bool:
        """Whether anything is stored yet (no file: nothing to read, nothing to find)."""
        return self.path.exists()

    # -- transactions ----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Several operations under one lock, written once at the end (or not at all on error)."""
        with self._open(write=True):
            yield self

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """Several reads of one version of the database, parsed once (``show``, ``report``).
        Inside a ``transaction`` it is that transaction."""
        with self._open(write=False):
            yield self

    @contextmanager
    def _open(self, *, write: bool) -> Iterator[Txn]:
        active = self._txn
        if active is not None:
            if write and not active.writable:
                raise RuntimeError("a write inside a read-only view of the store")
            yield active
            return
        if not write:
            txn = self._read_txn()
            self._txn = txn
            try:
                yield txn
            finally:
                self._txn = None
                txn.close()
            return
        lock = self._lock()
        try:
            remove_stale_temps(self.path)
            try:
                txn = Txn(self.path, writable=True, limits=self.limits)
            except Stale as gone:
                raise self._missing(gone, "nothing was written") from None
            self._txn = txn
            txn.fork_writes = lock.shared_by_fork
            try:
                yield txn
                txn.commit()
            except Stale as gone:
                txn.abandon()
                raise self._missing(gone, "nothing was written") from None
            except BaseException:
                txn.abandon()
                raise
            finally:
                self._txn = None
                txn.close()
        finally:
            lock.release()

    def _read_txn(self) -> Txn:
        """A reader's view: the live file and every segment it lists, opened. A segment
        a writer removed in between means a newer version: read that one instead."""
        for _ in range(READ_TRIES):
            before = _file_version(self.path)
            try:
                return Txn(self.path, writable=False, limits=self.limits)
            except Stale as gone:
                if _file_version(self.path) == before:  # no writer replaced it: it is missing
                    raise self._missing(gone, "left untouched") from None
        raise StoreError(
            f"{self.path} kept changing while it was read ({READ_TRIES} tries); try again"
        )

    def _missing(self, gone: Stale, outcome: str) -> StoreError:
        return StoreError(
            f"{self.path} lists the archive file {gone} but it is missing: the database is "
            f"the file together with its folder {self.archive_path.name} (copy, back up and "
            f"restore both); {outcome}"
        )

    def _lock(self) -> WriteLock:
        lock_mode = check_write_target(self.path, self.lock_path)  # before anything is made
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(
                f"cannot write {self.path}: cannot create {folder} ({exc.strerror or exc})"
            ) from None
        lock = WriteLock(self.lock_path, lock_mode)
        try:
            lock.acquire(self.timeout, LOCK_POLL)
        except TimeoutError:
            raise StoreError(
                f"{self.path} is busy: another screener process held its lock "
                f"for {self.timeout:g} s ({self.lock_path})"
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot write {self.path}: {folder} is not writable ({exc.strerror or exc})"
            ) from None
        return lock

    # -- database --------------------------------------------------------------

    def info(self) -> StoreInfo:
        """Where the database is and how much it holds; creates nothing, reads the live
        file only (the commit record counts what the segments hold)."""
        with self._open(write=False) as tx:
            attempts = tx.docs("attempts")
            in_progress = sum(1 for d in attempts.values() if d["status"] == "in_progress")
            exists = self.path.is_file()
            record = tx.archive.record
            folder = self.archive_path
            from screener.store.summaries import StoreInfo

            return StoreInfo(
                path=str(self.path),
                exists=exists,
                size=(self.path.stat().st_size if exists else 0) + record.size,
                schema_version=tx.version,
                candidates=len(tx.docs("candidates")) + record.candidates,
                attempts=len(attempts) - in_progress + record.attempts,
                in_progress=in_progress,
                layouts=len(tx.docs("layouts")),
                progress=len(tx.docs("progress")),
                audit_events=len(tx.docs("audit")) + record.audit,
                employers=len(tx.docs("employers")),
                events=len(tx.docs("events")),
                segments=len(record.segments),
                archive=str(folder) if record.segments or folder.is_dir() else None,
            )

    def secret(self) -> str:
        """This database's secret for keyed pseudonyms (hex). Reads only, like the
        anonymised export that asks for it: the secret is made with the database
        (and by the first write to an older file, whose migration adds it).

        No database yet: nothing to pseudonymise, so a throwaway secret and nothing
        created. A file without a usable one (older, or hand-edited to be missing,
        empty, short or not hex) raises ``StoreError`` pointing to ``rotate_secret``.
        """
        with self._open(write=False) as tx:
            if tx.version is None:
                return new_secret()
            head = tx.docs(META).get(META_ID) if tx.version >= SCHEMA_VERSION else None
            value = head.get("secret") if isinstance(head, dict) else None
            if not usable_secret(value):
                why = (
                    f"is a schema {tx.version} file without one"
                    if tx.version < SCHEMA_VERSION
                    else "has a missing, empty or too short one"
                )
                raise StoreError(
                    f"{self.path} has no usable secret for anonymised exports (it {why}); "
                    "run `screener db rotate-secret` to make one"
                )
            assert isinstance(value, str)
            return value

    def rotate_secret(self, *, command: str | None = "db rotate-secret") -> None:
        """Replace the secret with a new random one (audited, the secret never is).

        Pseudonyms of earlier anonymised exports can then no longer be linked to
        new ones: the way to cut that link, or to repair a damaged secret.
        """
        with self._open(write=True) as tx:
            data = tx.data()
            data[META][META_ID]["secret"] = new_secret()
            tx.buffer.dirty = True
            self._audit(tx, "secret.rotated", command)

    # -- candidates ------------------------------------------------------------

    def add_candidate(
        self,
        name: str,
        contact: str | None = None,
        *,
        candidate_id: str | None = None,
        when: When = None,
    ) -> Candidate:
        """Add a person; ``candidate_id`` defaults to a new random id.

        A bad id, name or contact raises ``RecordError`` before the file is touched.
        """
        cleaned = clean_name(name)
        contact = clean_contact(contact)
        if candidate_id is not None:
            check_candidate_id(candidate_id)
        with self._open(write=True) as tx:
            if candidate_id is not None:
                if tx.candidate_exists(candidate_id):
                    raise StoreError(f"candidate id {shown(candidate_id)} is already taken")
                cid = candidate_id
            else:
                cid = new_id(tx.id_taken)
            doc = person_doc(cid, cleaned, contact, utc_stamp(when))
            tx.table("candidates").insert(doc)
            return _candidate(doc)

    def get_candidate(self, candidate_id: str) -> Candidate:
        with self._open(write=False) as tx:
            return _candidate(tx.candidate_doc(candidate_id))

    def candidates(self, ids: Iterable[str] | None = None) -> list[Candidate]:
        """Everyone (or those of ``ids`` that are stored), oldest first. Without ``ids``
        this reads the whole archive: look people up by id or name where you can."""
        with self._open(write=False) as tx:
            if ids is None:
                docs = tx.all_candidates()
            else:
                wanted = set(ids)
                live = {d["id"]: d for d in tx.docs("candidates").values() if d["id"] in wanted}
                docs = [*live.values(), *tx.archived_people(wanted - live.keys()).values()]
            docs.sort(key=lambda d: (d["created"], d["name"]))
            return [_candidate(d) for d in docs]

    def candidate_ids(self, prefix: str = "") -> list[str]:
        """The ids of the candidates stored whose id starts with ``prefix``, sorted (shell
        completion). Reads the live file and the candidates table at the head of each
        segment's bytes, not the whole archive (``Archive.candidate_ids``)."""
        with self._open(write=False) as tx:
            found = {
                doc["id"] for doc in tx.docs("candidates").values() if doc["id"].startswith(prefix)
            }
            for segment in tx.archive.segments:
                found.update(tx.archive.candidate_ids(segment, prefix))
        return sorted(found)

    def candidates_named(self, name: str) -> list[Candidate]:
        """Every candidate with exactly this name (any case, any spacing), oldest first."""
        with self._open(write=False) as tx:
            docs = sorted(tx.named(name), key=lambda d: (d["created"], d["id"]))
            return [_candidate(d) for d in docs]

    def find_candidates(self, text: str) -> list[Candidate]:
        """Candidates whose id starts with, or name or contact contains, ``text`` (any case).
        Reads everyone."""
        needle = text.strip().casefold()
        return [
            c
            for c in self.candidates()
            if c.id.casefold().startswith(needle)
            or needle in c.name.casefold()
            or (c.contact is not None and needle in c.contact.casefold())
        ]

    def resolve_candidate(self, ref: str) -> Candidate:
        """A candidate by exact id, else by exact name (any case) when only one has it."""
        with self._open(write=False) as tx:
            doc = tx.find_candidate(ref)
            if doc is not None:
                return _candidate(doc)
            found = _one_named(tx.named(ref), ref)
        if found is None:
            raise NotFoundError(f"no candidate {shown(ref)} (give an id or the exact name)")
        return found

    def match_candidate(
        self, ref: str | None, name: str | None, *, rename: bool = False
    ) -> Candidate | None:
        """Who ``ref`` and ``name`` mean (see ``resolve_or_add_candidate``); None when that
        call would create them. Reads only, so a command can fail early, before the lock.
        """
        if ref is None and name is None:
            raise ValueError("give a candidate id or a name")
        cleaned = clean_name(name) if name is not None else None
        if ref is not None and cleaned is not None:
            check_candidate_id(ref)
            with self._open(write=False) as tx:
                doc = tx.find_candidate(ref)
            if doc is None:
                return None
            if not rename and doc["name"].casefold() != cleaned.casefold():
                raise NameConflict(ref, doc["name"], cleaned)
            return _candidate(doc)
        if ref is not None:
            return self.resolve_candidate(ref)
        assert cleaned is not None
        with self._open(write=False) as tx:
            return _one_named(tx.named(cleaned), cleaned)

    def resolve_or_add_candidate(
        self,
        ref: str | None,
        name: str | None,
        *,
        rename: bool = False,
        command: str | None = None,
    ) -> tuple[Candidate, bool]:
        """The candidate a command names, created when new; returns (candidate, created).

        - ``ref`` alone: the exact id (case-sensitive), else the exact name (any
          case) when only one candidate has it; ``NotFoundError`` otherwise.
        - ``ref`` and ``name``: ``ref`` is the id, matched exactly. A new id is
          created with ``name``; for a stored one ``name`` must be the stored name
          (any case or spacing), else ``NameConflict`` — unless ``rename``, which
          stores the new name and audits ``candidate.renamed`` (no names in it).
        - ``name`` alone: the one candidate with that exact name (any case), else
          a new candidate with a random id; several with it is ``NotFoundError``.

        One write transaction: inside ``transaction()`` the attempt saved next
        shares its lock, so parallel runs for one new person create them once.
        """
        with self._open(write=True):
            found = self.match_candidate(ref, name, rename=rename)
            if found is None:
                assert name is not None  # a ref alone that is unknown raised
                return self.add_candidate(name, candidate_id=ref), True
            if not rename or name is None:
                return found, False
            cleaned = clean_name(name)
            if cleaned == found.name:
                return found, False
            self.rename_candidates({found.id: cleaned}, command=command)
            return replace(found, name=cleaned), False

    def rename_candidates(self, names: Mapping[str, str], *, command: str | None = None) -> int:
        """Store new names of stored candidates (id -> name) in ONE write, each audited
        ``candidate.renamed`` (no names in it); those already so named are left alone.
        Returns how many were renamed. Each segment holding some of them is rewritten
        once (``resolve_or_add_candidate`` one by one rewrote it per person: a batch
        renaming thousands took minutes). An unknown id is ``NotFoundError``."""
        cleaned = {cid: clean_name(name) for cid, name in names.items()}
        if not cleaned:
            return 0
        with self._open(write=True) as tx:
            live = {d["id"]: (k, d) for k, d in tx.docs("candidates").items() if d["id"] in cleaned}
            rest = [cid for cid in cleaned if cid not in live]
            found: dict[str, str] = {cid: d["name"] for cid, (_, d) in live.items()}
            holding: list[tuple[Segment, set[str]]] = []  # segments and whom they hold
            for segment, mask in tx.archive.probe_many("cand", rest) if rest else []:
                maybe = {cid for cid, hit in zip(rest, mask, strict=True) if hit}
                here = {
                    d["id"]: d["name"]
                    for d in tx.seg(segment)["candidates"].values()
                    if d["id"] in maybe
                }
                if here:
                    holding.append((segment, set(here)))
                found.update(here)
            unknown = [cid for cid in cleaned if cid not in found]
            if unknown:
                raise NotFoundError(f"no candidate {shown(unknown[0])}")
            changed = {cid: new for cid, new in cleaned.items() if found[cid] != new}
            if not changed:
                return 0
            table = tx.data().setdefault("candidates", {})
            for cid, (key, doc) in live.items():
                if cid in changed:
                    table[key] = {**doc, "name": changed[cid]}
            tx.buffer.dirty = True
            tx.tables.pop("candidates", None)

            def renamed(tables: Tables) -> Tables:
                tables["candidates"] = {
                    k: ({**d, "name": changed[d["id"]]} if d["id"] in changed else d)
                    for k, d in tables["candidates"].items()
                }
                return tables

            for segment, held in holding:
                if not held.isdisjoint(changed):
                    tx.rewrite(segment, renamed)
            now = utc_stamp()
            tx.append(
                "audit",
                [
                    _audit_doc(AuditEvent("candidate.renamed", now, command, cid, None, None, None))
                    for cid in changed
                ],
            )
            return len(changed)

    # -- attempts ----------------------------------------------------------------

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
        """Store one scored attempt (or return the stored one with the same ``key``)."""
        from screener.store.summaries import NewAttempt

        row = NewAttempt(
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
        with self._open(write=True) as tx:
            result = self.save_attempts([row], command=None)
            _, _, doc = tx.attempt_doc(result.attempt_ids[0])
            if command is not None and result.stored:
                self._audit(tx, "attempt.saved", command, doc["cand"], doc["id"])
            return _record(tx, doc)

    @staticmethod
    def prepare_attempts(rows: Iterable[NewAttempt]) -> PreparedAttempts:
        """Check and pack rows without touching the file (``save_attempts`` does it too).

        Worth calling separately when rows are built in a loop that should not
        hold the lock: the lock is then held only for the insert and the write.
        """
        now = utc_stamp()
        with paused_gc():
            return PreparedAttempts(
                tuple(
                    (row.key, candidate_key(row.candidate), row.layout, attempt_fields(row, now))
                    for row in rows
                )
            )

    def save_attempts(
        self, rows: Iterable[NewAttempt] | PreparedAttempts, *, command: str | None = None
    ) -> SaveResult:
        """Store many scored attempts in ONE write; rows whose ``key`` is stored are skipped.

        Rows are checked and packed before the lock is taken. A bad row raises
        and stores nothing.
        """
        prepared = rows if isinstance(rows, PreparedAttempts) else self.prepare_attempts(rows)
        now = utc_stamp()
        packed = prepared.rows
        with paused_gc(), self._open(write=True) as tx:
            attempts = tx.docs("attempts")
            by_key = {d["key"]: d["id"] for d in attempts.values() if "key" in d}
            asked = sorted({k for k, _, _, _ in packed if k is not None and k not in by_key})
            if asked and tx.segments:
                by_key.update(tx.archived_keys(asked))
            ids = {d["id"] for d in attempts.values()}
            people = _People(tx, [who for _, who, _, _ in packed])
            cand_of: dict[Who, str] = {}
            layout_of: dict[int, int] = {}  # by id(): hashing a Layout per row costs more
            last_layout, last_layout_id = None, 0  # rows of a batch mostly share one layout
            fresh = iter(_fresh_ids(tx, ids, len(packed)))
            docs: list[Doc] = []
            out: list[str] = []
            spent = prepared.spent
            prepared.spent = True
            for key, who, layout, fields in packed:
                if key is not None:
                    known = by_key.get(key)  # stored before, or earlier in this batch
                    if known is not None:
                        out.append(known)
                        continue
                cid = cand_of.get(who)
                if cid is None:
                    cid = cand_of[who] = people.resolve(who)
                if layout is not last_layout:
                    layout_id = layout_of.get(id(layout))
                    if layout_id is None:
                        layout_id = layout_of[id(layout)] = tx.layout_id(layout)
                    last_layout, last_layout_id = layout, layout_id
                # the packed fields start with placeholders for these three, so the
                # key order is kept and filling them in never resizes the dict
                doc = fields.copy() if spent else fields
                doc["id"] = aid = next(fresh)
                doc["cand"] = cid
                doc["layout"] = last_layout_id
                docs.append(doc)
                out.append(aid)
                if key is not None:
                    by_key[key] = aid
            skipped = len(packed) - len(docs)
            people.insert()
            if docs:
                tx.append("attempts", docs)
                if command is not None:
                    self._audit(tx, "attempts.saved", command, count=len(docs), when=now)
            from screener.store.summaries import SaveResult

            return SaveResult(stored=len(docs), skipped=skipped, attempt_ids=tuple(out))

    def save_scored_batch(self, batch: ScoredBatch, *, command: str | None = None) -> SaveResult:
        """Store a column-wise batch of scored attempts of one layout in ONE write.

        The bulk twin of ``save_attempts`` for imports: the same documents (see
        docs/store.md), built column by column (``store.bulk``). Every row carries
        the standard plan (it is rebuilt on reading). Rows whose ``key`` is stored
        (or earlier in the batch) are skipped; a candidate id not in the store is
        created with the row's name (or the id as the name). A bad batch raises
        ``ValueError`` (``RecordError`` for an id or name the store refuses) and
        stores nothing.
        """
        from screener.store.bulk import documents, pack_keys_first  # only the bulk save

        n = batch.check()
        now = utc_stamp(batch.submitted)
        with paused_gc():
            packed = pack_keys_first(batch, n)
        keys = packed.keys
        with paused_gc(), self._open(write=True) as tx:
            attempts = tx.docs("attempts")
            by_key = {d["key"]: d["id"] for d in attempts.values() if "key" in d}
            taken = {d["id"] for d in attempts.values()}
            if tx.segments:
                if batch.keys is None and batch.key_scope is not None:
                    # a scoped key hashes the candidate's id, so only people already in
                    # the archive can have one there (a new cohort asks about none)
                    old = tx.archived_candidates(set(batch.candidates))
                    asked = (
                        sorted(
                            {
                                k
                                for k, c in zip(keys, batch.candidates, strict=True)
                                if k is not None and c in old and k not in by_key
                            }
                        )
                        if old
                        else []
                    )
                else:
                    asked = sorted({k for k in keys if k is not None and k not in by_key})
                by_key.update(tx.archived_keys(asked))
            # which rows to store: all of them unless a key is stored or repeated
            existing: dict[int, str] = {}  # row -> the attempt stored before with its key
            repeat_of: dict[int, int] = {}  # row -> the earlier row of this batch with its key
            rows: list[int] | None = None  # None: every row
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
            cands = batch.candidates if rows is None else [batch.candidates[i] for i in rows]
            m = len(cands)
            aids = _fresh_ids(tx, taken, m) if m else []
            layout_id = tx.layout_id(batch.layout) if m else 0  # a new layout only when storing
            # a big batch's whole segments are written now, each one's documents made by
            # the process writing it (``Txn.write_ahead``); the rest go to the live file
            ahead = tx.bulk_ahead(m, now) if m else 0
            chosen = range(n) if rows is None else rows
            # new candidates, once each, named by their row (or by their id)
            known = {d["id"] for d in tx.docs("candidates").values()}
            if tx.segments:
                known |= tx.archived_candidates(set(cands) - known)
            given, reach = batch.names, batch.contacts
            names = given if given is None or rows is None else [given[i] for i in rows]
            contacts = reach if reach is None or rows is None else [reach[i] for i in rows]
            created = utc_stamp()
            fresh = new_people(cands, names, known, contacts)
            if ahead:

                def made(start: int, stop: int) -> list[Doc]:
                    picked = list(chosen[start:stop])
                    got = cands[start:stop]
                    return documents(packed, picked, aids[start:stop], got, layout_id, now)

                # the segments' writer starts now; the rest is done while it writes
                people = tx.write_ahead(ahead, cands, fresh, created, made)
                docs = documents(
                    packed, list(chosen[ahead:]), aids[ahead:], cands[ahead:], layout_id, now
                )
            else:
                people = [person_doc(cid, *fresh[cid], created) for cid in fresh]
                docs = documents(packed, rows, aids, cands, layout_id, now) if m else []
            if rows is None:
                out = aids
            else:
                row_id = dict(zip(rows, aids, strict=True))
                out = [
                    row_id[i] if i in row_id else existing.get(i) or row_id[repeat_of[i]]
                    for i in range(n)
                ]
            if people:
                tx.append("candidates", people)
            if docs:
                tx.append("attempts", docs)
            if m and command is not None:
                self._audit(tx, "attempts.saved", command, count=m, when=now)
            tx.finish_ahead()
            from screener.store.summaries import SaveResult

            return SaveResult(stored=m, skipped=n - m, attempt_ids=tuple(out))

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
        """Open an in-progress attempt with no answers yet."""
        doc: Doc = {"status": "in_progress"}
        if seed is not None:
            doc["seed"] = seed
        packed_order = order_field(layout, order)
        if packed_order is not None:
            doc["order"] = packed_order
        doc["started"] = utc_stamp(started)
        doc["answers"] = pack([None] * len(layout.items))
        with self._open(write=True) as tx:
            tx.candidate_doc(candidate_id)
            ids = {d["id"] for d in tx.docs("attempts").values()}
            head: Doc = {
                "id": new_id(lambda i: i in ids or bool(tx.probe("attempt", i))),
                "cand": candidate_id,
                "layout": tx.layout_id(layout),
            }
            head.update(doc)
            tx.table("attempts").insert(head)
            if command is not None:
                self._audit(tx, "attempt.started", command, candidate_id, head["id"])
            return _record(tx, head)

    def record_answer(
        self, attempt_id: str, item_id: str, answer: Answer, *, seconds: float | None = None
    ) -> None:
        """Save one answer of an in-progress attempt as soon as it is given (one write).

        ``item_id`` is an item of the attempt's form or a reserve item of its
        assessment (a follow-up item: recorded as asked, in the order asked, even
        when ``answer`` is None because the candidate skipped it).
        """
        with self._open(write=True) as tx:
            where, doc_id, doc = tx.attempt_doc(attempt_id)
            if doc["status"] != "in_progress" or where is not None:
                raise StoreError(f"attempt {attempt_id} is already submitted")
            layout = tx.layout(doc["layout"])
            position = layout.index.get(item_id)
            fields: Doc
            if position is None:
                fields = {"extra": follow_up_field(layout, doc, item_id, answer, seconds)}
            else:
                answers = layout.decode_answers(unpack(doc["answers"]))
                answers[position] = answer
                fields = {"answers": pack(layout.encode_answers(answers))}
                if seconds is not None:
                    spent = unpack(doc.get("seconds")) or [None] * len(layout.items)
                    spent[position] = seconds
                    fields["seconds"] = pack(spent)
            tx.table("attempts").update(fields, doc_ids=[doc_id])

    def submit_attempt(
        self,
        attempt_id: str,
        scorecard: Scorecard,
        plan: tuple[PlanEntry, ...],
        *,
        submitted: When = None,
        command: str | None = None,
    ) -> AttemptRecord:
        """Close an in-progress attempt with the scores of its stored answers."""
        with self._open(write=True) as tx:
            where, doc_id, doc = tx.attempt_doc(attempt_id)
            if doc["status"] != "in_progress" or where is not None:
                raise StoreError(f"attempt {attempt_id} is already submitted")
            layout = tx.layout(doc["layout"])
            follow_ups = [(e[0], e[1]) for e in unpack(doc.get("extra")) or ()]
            answers = layout.decode_answers(unpack(doc["answers"]))
            check_scorecard(layout, scorecard, answers, follow_ups)
            fields: Doc = {"status": "submitted", "submitted": utc_stamp(submitted)}
            fields.update(scored_fields(layout, scorecard, plan))
            tx.table("attempts").update(fields, doc_ids=[doc_id])
            if command is not None:
                self._audit(tx, "attempt.submitted", command, doc["cand"], attempt_id)
            _, _, fresh = tx.attempt_doc(attempt_id)
            return _record(tx, fresh)

    def attempt(self, attempt_id: str) -> AttemptRecord:
        with self._open(write=False) as tx:
            _, _, doc = tx.attempt_doc(attempt_id)
            return _record(tx, doc)

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
        """Attempts matching every filter given, oldest first.

        ``since`` compares with the submitted time (the start time while in
        progress); ``status=None`` includes attempts in progress.
        """
        return list(
            self.iter_attempts(candidate, assessment, outcome, module, since, status=status)
        )

    def seen_items(
        self, candidate_id: str, assessment: str, *, exclude: str | None = None
    ) -> frozenset[str]:
        """Every item of ``assessment`` the candidate has been shown, in all their attempts
        but ``exclude`` (an attempt id: the one being taken): each submitted attempt's
        whole form, what an unfinished one asked so far, and every follow-up item
        asked (``AttemptRecord.seen_items``). A retake passes it to
        ``scoring.next_follow_up`` as ``seen``, so no item is asked twice."""
        seen: set[str] = set()
        for record in self.iter_attempts(candidate_id, assessment, status=None):
            if record.attempt_id != exclude:
                seen |= record.seen_items
        return frozenset(seen)

    # -- coaching progress ----------------------------------------------------------

    def start_module(
        self,
        candidate_id: str,
        module: str,
        *,
        attempt_id: str | None = None,
        when: When = None,
    ) -> Progress:
        """Record that a candidate began a module (no change if they already had)."""
        with self._open(write=True) as tx:
            return Progress.from_doc(self._progress_doc(tx, candidate_id, module, attempt_id, when))

    def view_lesson(
        self, candidate_id: str, module: str, lesson: str, *, when: When = None
    ) -> Progress:
        """Record a lesson viewed (each lesson listed once, in first-viewed order)."""
        with self._open(write=True) as tx:
            doc = self._progress_doc(tx, candidate_id, module, None, when)
            lessons = list(doc.get("lessons", []))
            if lesson not in lessons:
                lessons.append(lesson)
            return self._update_progress(tx, doc, {"lessons": lessons, "updated": utc_stamp(when)})

    def record_check(
        self,
        candidate_id: str,
        module: str,
        score: float,
        *,
        passed: bool,
        when: When = None,
    ) -> Progress:
        """Record a completion-check score; a pass completes the module (the first pass is kept)."""
        stamp = utc_stamp(when)
        with self._open(write=True) as tx:
            doc = self._progress_doc(tx, candidate_id, module, None, when)
            fields: Doc = {"check": score, "updated": stamp}
            if passed and not doc.get("completed"):
                fields["completed"] = stamp
            return self._update_progress(tx, doc, fields)

    def progress(
        self, candidate_id: str | None = None, module: str | None = None
    ) -> list[Progress]:
        with self._open(write=False) as tx:
            return [
                Progress.from_doc(d)
                for d in tx.docs("progress").values()
                if (candidate_id is None or d["cand"] == candidate_id)
                and (module is None or d["module"] == module)
            ]

    @staticmethod
    def _progress_doc(
        tx: Txn, candidate_id: str, module: str, attempt_id: str | None, when: When
    ) -> Any:
        table = tx.table("progress")
        found = table.get(lambda d: d["cand"] == candidate_id and d["module"] == module)
        if found is not None:
            return found
        tx.candidate_doc(candidate_id)
        stamp = utc_stamp(when)
        doc: Doc = {"cand": candidate_id, "module": module, "started": stamp, "updated": stamp}
        if attempt_id is not None:
            doc["attempt"] = attempt_id
        doc_id = table.insert(doc)
        return table.get(doc_id=doc_id)

    @staticmethod
    def _update_progress(tx: Txn, doc: Any, fields: Doc) -> Progress:
        table = tx.table("progress")
        table.update(fields, doc_ids=[doc.doc_id])
        fresh = table.get(doc_id=doc.doc_id)
        assert fresh is not None  # updated just above, inside the same lock
        return Progress.from_doc(fresh)

    # -- audit --------------------------------------------------------------------

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
        """Record a decision or change. Put no names or contact details in ``detail``.

        The store's own event names (``STORE_EVENTS``) are refused: erasure trusts
        those to carry no personal data in their text.
        """
        if event in STORE_EVENTS:
            raise ValueError(f"audit event {event!r} is written by the store itself")
        with self._open(write=True) as tx:
            doc = self._audit(tx, event, command, candidate_id, attempt_id, count, detail, when)
            return AuditEvent.from_doc(doc)

    @staticmethod
    def _audit(
        tx: Txn,
        event: str,
        command: str | None,
        candidate_id: str | None = None,
        attempt_id: str | None = None,
        count: int | None = None,
        detail: str | None = None,
        when: When = None,
    ) -> Doc:
        doc: Doc = {"event": event, "at": utc_stamp(when)}
        for name, value in (
            ("command", command),
            ("cand", candidate_id),
            ("attempt", attempt_id),
            ("count", count),
            ("detail", detail),
        ):
            if value is not None:
                doc[name] = value
        tx.append("audit", [doc])  # TinyDB's insert rewrites the table: one per event
        return doc

    def audit_events(
        self,
        *,
        candidate_id: str | None = None,
        attempt_id: str | None = None,
        event: str | None = None,
        since: When = None,
    ) -> list[AuditEvent]:
        """Audit events matching every filter given, oldest first (then in stored order).
        With a candidate or attempt the archive's index finds their segments; without,
        every segment is read."""
        since_stamp = utc_stamp(since) if since is not None else None

        def wanted(d: Mapping[str, Any]) -> bool:
            return (
                (candidate_id is None or d.get("cand") == candidate_id)
                and (attempt_id is None or d.get("attempt") == attempt_id)
                and (event is None or d["event"] == event)
                and (since_stamp is None or d["at"] >= since_stamp)
            )

        with self._open(write=False) as tx:
            found: list[tuple[str, int, int, Doc]] = []
            if event is None or event in STORE_EVENTS:  # only the store's events are archived
                if candidate_id is not None:
                    segments = tx.probe("cand", candidate_id)
                elif attempt_id is not None:
                    segments = tx.probe("attempt", attempt_id)
                else:
                    segments = list(tx.segments)
                rank = tx.archive.rank
                for segment in segments:
                    tables = (  # a candidate's: their documents alone (``Archive.person``)
                        tx.archive.person(segment, candidate_id)
                        if candidate_id is not None
                        else tx.seg(segment)
                    )
                    for key, d in tables["audit"].items():
                        if wanted(d):
                            found.append((d["at"], rank[segment.number], int(key), d))
            last = len(tx.segments)
            found += [(d["at"], last, int(k), d) for k, d in tx.docs("audit").items() if wanted(d)]
            found.sort(key=lambda t: t[:3])
            return [AuditEvent.from_doc(d) for *_, d in found]

    # -- program employers and events (issue 17) -------------------------------------

    def add_employer(self, employer: Employer) -> Employer:
        """Register a participating employer; its ``id`` must be new."""
        check_employer(employer)
        with self._open(write=True) as tx:
            if any(d["id"] == employer.id for d in tx.docs("employers").values()):
                raise StoreError(f"employer id {shown(employer.id)} is already taken")
            tx.table("employers").insert(_employer_doc(employer))
            return employer

    def update_employer(
        self,
        employer_id: str,
        *,
        name: str | None = None,
        region: str | None = None,
        seats: int | None = None,
    ) -> Employer:
        """Change an employer's name, region or seats (the fields given); returns it changed."""
        with self._open(write=True) as tx:
            found = next(
                ((k, d) for k, d in tx.docs("employers").items() if d["id"] == employer_id), None
            )
            if found is None:
                raise NotFoundError(f"no employer {shown(employer_id)}")
            key, doc = found
            old = _employer(doc)
            changed = replace(
                old,
                name=old.name if name is None else name,
                region=old.region if region is None else region,
                seats=old.seats if seats is None else seats,
            )
            check_employer(changed)
            tx.table("employers").update(_employer_doc(changed), doc_ids=[int(key)])
            return changed

    def employers(self) -> list[Employer]:
        """Every employer, in the order they were added."""
        with self._open(write=False) as tx:
            items = sorted(tx.docs("employers").items(), key=lambda kv: int(kv[0]))
            return [_employer(d) for _, d in items]

    def add_events(self, events: Sequence[Event]) -> int:
        """Store program events (checked against the program by the caller) in ONE
        write; returns how many. They are kept as ``Event.as_dict`` gives them."""
        docs = [e.as_dict() for e in events]
        if not docs:
            return 0
        with self._open(write=True) as tx:
            tx.append("events", docs)
        return len(docs)

    def events(self, person: str | None = None) -> list[Event]:
        """Program events (of ``person``, a candidate id, when given) in time order;
        events at the same instant keep the order they were stored in."""
        from screener.pathway import Event  # the program model: only for these

        with self._open(write=False) as tx:
            found = [
                (int(key), Event.from_dict(d))
                for key, d in tx.docs("events").items()
                if person is None or d["person"] == person
            ]
        found.sort(key=lambda pair: (pair[1].at, pair[0]))
        return [event for _, event in found]

    # -- erasure -------------------------------------------------------------------

    def delete_candidate(
        self, candidate_id: str, *, dry_run: bool = False, command: str | None = "delete"
    ) -> Erasure:
        """Erase a candidate, their attempts and progress, their program events, and audit
        events naming them.

        An event names them when its ``cand`` is their id or its ``attempt`` one of
        their attempts (exact matches), or, for events written through ``audit``
        (free text), when its detail or command mentions their id, name or contact
        as a whole word. The store's own events carry no personal text, so their
        text is never searched. The live file is rewritten whole and every archive
        segment that held anything of theirs is replaced by a copy without it (the
        old file removed after the commit), so none of their bytes survive in any
        file; the deletion itself is audited with counts only. ``dry_run`` counts
        what would go and changes nothing.
        """
        with self._open(write=not dry_run) as tx:
            person = tx.candidate_doc(candidate_id)
            name = person["name"]
            traces = [("id", candidate_id), ("name", name)]
            if person.get("contact"):
                traces.append(("contact", person["contact"]))
            attempt_ids = {
                d["id"] for d in tx.docs("attempts").values() if d["cand"] == candidate_id
            }
            holding = {s.number: s for s in tx.probe("cand", candidate_id)}
            for segment in list(holding.values()):
                attempt_ids |= {
                    d["id"]
                    for d in tx.seg(segment)["attempts"].values()
                    if d["cand"] == candidate_id
                }
            for attempt in sorted(attempt_ids):  # events naming only an attempt of theirs
                holding.update((s.number, s) for s in tx.probe("attempt", attempt))

            mentions = mention_test(candidate_id, name, person.get("contact"))

            def names_them(d: Mapping[str, Any]) -> bool:
                if d.get("cand") == candidate_id or d.get("attempt") in attempt_ids:
                    return True
                if d["event"] in STORE_EVENTS:
                    return False
                return any(
                    isinstance(text, str) and mentions(text)
                    for text in (d.get("detail"), d.get("command"))
                )

            def theirs(tables: Tables) -> tuple[list[str], list[str], list[str]]:
                return (
                    [k for k, d in tables["candidates"].items() if d["id"] == candidate_id],
                    [k for k, d in tables["attempts"].items() if d["cand"] == candidate_id],
                    [k for k, d in tables["audit"].items() if names_them(d)],
                )

            archived_events = 0
            changed: list[Segment] = []
            for segment in holding.values():
                found = theirs(tx.seg(segment))
                archived_events += len(found[2])
                if any(found):
                    changed.append(segment)
            progress = [d for d in tx.docs("progress").values() if d["cand"] == candidate_id]
            events = [d for d in tx.docs("audit").values() if names_them(d)]
            program = sum(1 for d in tx.docs("events").values() if d["person"] == candidate_id)
            from screener.store.summaries import Erasure

            erasure = Erasure(
                candidate_id,
                name,
                len(attempt_ids),
                len(progress),
                len(events) + archived_events,
                events=program,
            )
            if dry_run:
                return erasure

            def without(tables: Tables) -> Tables:
                for table, keys in zip(
                    ("candidates", "attempts", "audit"), theirs(tables), strict=True
                ):
                    for key in keys:
                        del tables[table][key]
                return tables

            was_archived = not any(d["id"] == candidate_id for d in tx.docs("candidates").values())
            for segment in changed:
                tx.rewrite(segment, without)
            if was_archived:
                tx.archive.record.candidates -= 1
            tx.table("candidates").remove(lambda d: d["id"] == candidate_id)
            tx.table("attempts").remove(lambda d: d["cand"] == candidate_id)
            tx.table("progress").remove(lambda d: d["cand"] == candidate_id)
            tx.table("audit").remove(_query(names_them))
            if program:
                tx.table("events").remove(lambda d: d["person"] == candidate_id)
            self._audit(
                tx, "candidate.deleted", command, count=erasure.total, detail=erasure.summary()
            )
            tx.buffer.dirty = True
            written = orjson.dumps(tx.data())
            still = tuple(
                label
                for label, text in traces
                if text.encode() in written
                or orjson.dumps(text)[1:-1] in written
                or _in_archive(tx, text)
            )
            return replace(erasure, still_present=still)

    # -- bulk reading (exports, listings, statistics) ------------------------------

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
        """Like ``attempts`` (same filters, same order), but lazily: records are made
        while iterating, and archive segments are read when the iteration reaches them
        (and dropped after), so reading a million attempts holds about one segment.

        Segments the filters rule out from the commit record alone (by layout, time
        or the candidate's index entry) are never read; ``len`` and ``layouts`` come
        from the commit record where no filter needs the documents.
        """
        since_stamp = utc_stamp(since) if since is not None else None
        with paused_gc(), self._open(write=False) as tx:
            layout_of = tx.layout_of()
            layouts = (
                None
                if assessment is None
                else {n for n, lay in layout_of.items() if lay.assessment == assessment}
            )
            coached = (
                None
                if module is None
                else {
                    n: [i for i, mods in enumerate(lay.modules) if module in mods]
                    for n, lay in layout_of.items()
                }
            )
            needle = orjson.dumps(module).decode() if module is not None else None
            from screener.coaching import plan_has_module

            def match(d: Mapping[str, Any]) -> bool:
                if candidate is not None and d["cand"] != candidate:
                    return False
                if status is not None and d["status"] != status:
                    return False
                if outcome is not None and d.get("outcome") != outcome:
                    return False
                if layouts is not None and d["layout"] not in layouts:
                    return False
                if since_stamp is not None and sort_stamp(d) < since_stamp:  # type: ignore[arg-type]
                    return False
                if coached is not None and needle is not None:
                    plan = d.get("plan")
                    if plan is None:  # the standard plan: ask the rule about the
                        # statuses of the competencies the module coaches
                        codes = statuses_of(d["codes"])
                        if not plan_has_module(
                            d.get("outcome"), [codes[n] for n in coached[d["layout"]]]
                        ):
                            return False
                    # a cheap text test first; decode only plans that mention the module
                    elif needle not in plan or not any(
                        entry[0] == module for entry in unpack(plan)
                    ):
                        return False
                return True

            parts: list[StreamPart] = []
            live_rank = len(tx.segments)
            live = [
                ((sort_stamp(d), live_rank, int(k)), d)
                for k, d in tx.docs("attempts").items()
                if match(d)
            ]
            if live:
                live.sort(key=lambda kd: kd[0])
                people = {p["id"]: p for p in tx.docs("candidates").values()}
                wanted = {d["cand"] for _, d in live}
                people.update(tx.archived_people(wanted - people.keys()) if tx.segments else {})
                parts.append(_eager_part(live, people))
            keep = None
            if status != "in_progress" and tx.segments:
                parts_, keep = _segment_parts(
                    tx,
                    match,
                    candidate,
                    layouts,
                    since_stamp,
                    content=bool(
                        candidate is not None or outcome is not None or module is not None
                    ),
                )
                parts += parts_
            stream = AttemptStream(parts, layout_of, person=_fallback(keep), keep=keep, local=True)
            if keep is not None:  # its own descriptors of the segments: closed with it
                import weakref

                weakref.finalize(stream, keep.close)
            return stream

    def layouts(self) -> list[Layout]:
        """Every stored layout (the forms attempts were scored with), oldest first."""
        with self._open(write=False) as tx:
            return list(tx.layout_of().values())

    # -- maintenance ------------------------------------------------------------------

    def compact(self, *, command: str | None = "db compact") -> CompactResult:
        """Move everything archivable from the live file into segments, merge runs of
        small segments into full ones and rebuild any damaged segment index. Atomic
        like every write: a crash leaves the database as before or as after."""
        if not self.exists():  # nothing to compact: create nothing
            from screener.store.summaries import CompactResult

            return CompactResult(0, 0, 0, 0)
        with self._open(write=True) as tx:
            before = len(tx.segments)
            damaged: set[int] = set()
            for segment in tx.segments:
                try:
                    tx.archive.index(segment).verify()
                except StoreError:
                    damaged.add(segment.number)
            small = min(SMALL_SEGMENT, max(1, tx.limits.segment // 2))
            runs: list[list[Segment]] = []
            run: list[Segment] = []
            for segment in list(tx.segments):
                if segment.number in damaged or segment.attempts < small:
                    if run and sum(s.attempts for s in run) + segment.attempts > tx.limits.segment:
                        runs.append(run)
                        run = []
                    run.append(segment)
                else:
                    if run:
                        runs.append(run)
                    run = []
            if run:
                runs.append(run)
            for group in runs:  # damaged indexes first: the flush below looks people up
                if len(group) > 1 or group[0].number in damaged:
                    tx.merge(group)
            data = tx.data()
            tx.flush_all = True
            moved = tx.flush(data)
            tx.flush_all = False
            if command is not None and (moved or tx.dropped):
                self._audit(tx, "db.compacted", command, count=moved)
            if tx.dropped or tx.written:
                tx.buffer.dirty = True
            from screener.store.summaries import CompactResult

            return CompactResult(before, len(tx.segments), moved, len(tx.dropped))

    # -- copying between stores (issue 16: ``screener db copy``) ----------------------

    def dump(self) -> StoreDump:
        """Everything stored, as one version of the database (a reader's snapshot: what a
        writer commits meanwhile is not in it), ids and times as stored.

        Attempts (in progress and submitted, oldest first) are ``iter_attempts``'s
        stream, read a segment at a time; candidates are read a segment at a time as
        they are iterated (each once, though the archive may hold copies). Coaching
        progress, audit events, employers and program events are read now. The
        snapshot's files stay open until the candidates were read or the dump dropped.
        """
        txn = self._read_txn()
        try:
            self._txn = txn
            try:
                head = txn.docs(META).get(META_ID)
                secret = head.get("secret") if isinstance(head, dict) else None
                if not usable_secret(secret):  # an older file's, as migrated: made now
                    secret = self.secret()  # none yet (a throwaway), or a one-line refusal
                assert isinstance(secret, str)
                attempts = self.iter_attempts(status=None)
                progress = self.progress()
                audit = _all_audit(txn)
                employers = self.employers()
                events = self.events()
            finally:
                self._txn = None
        except BaseException:
            txn.close()
            raise
        from screener.store.summaries import StoreDump

        return StoreDump(
            secret=secret,
            candidates=_Snapshot(txn).candidates(),
            attempts=attempts,
            progress=progress,
            audit=audit,
            employers=employers,
            events=events,
        )

    def restore(self, dump: StoreDump, *, command: str | None = "db copy") -> RestoreCounts:
        """Write another store's ``dump`` into this database, which must hold nothing yet
        (``StoreError`` otherwise, left untouched). One transaction under the lock: a
        crash or an error leaves the database as it was.

        Ids, names, contacts, times and packed attempts are kept exactly; layouts are
        registered as the attempts name them. As the bulk save would leave it: when
        more than the live file's limit is copied, submitted attempts, candidates
        and the store's audit events go into archive segments, written as the
        attempts stream in (a segment's worth in memory at a time), the rest into the
        live file. The copy is audited (``db.copied``, counts only).
        """
        if not usable_secret(dump.secret):
            raise StoreError(
                "the database being copied has no usable secret "
                "(run `screener db rotate-secret` on it first); nothing was written"
            )
        with paused_gc(), self._open(write=True) as tx:
            self._refuse_unless_empty(tx)
            try:
                counts = _Restore(tx).run(dump)
            except (RecordError, ValueError, KeyError, TypeError) as exc:
                what = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
                raise StoreError(
                    f"the database being copied holds a record {self.path} cannot store "
                    f"({what}); nothing was written"
                ) from None
            self._audit(tx, "db.copied", command, count=counts.total, detail=counts.summary())
            return counts

    def _refuse_unless_empty(self, tx: Txn) -> None:
        """``StoreError`` naming what this database holds, unless it holds nothing (an
        older empty file's own ``schema.migrated`` events aside: they are dropped)."""
        info = self.info()
        audit = tx.docs("audit")
        migrated = sum(1 for d in audit.values() if d["event"] == "schema.migrated")
        held = [
            f"{count} {what}"
            for count, what in (
                (info.candidates, "candidate(s)"),
                (info.attempts + info.in_progress, "attempt(s)"),
                (info.progress, "coaching record(s)"),
                (info.audit_events - migrated, "audit event(s)"),
                (info.employers, "employer(s)"),
                (info.events, "program event(s)"),
            )
            if count
        ]
        if held or info.segments:
            raise StoreError(
                f"{self.path} is not empty (it holds {', '.join(held) or 'archive segments'}): "
                "copy into a new database; left untouched"
            )
        if audit:
            tx.data()["audit"] = {}
            tx.tables.pop("audit", None)
            tx.buffer.dirty = True


def _query(test: Callable[[Mapping[str, Any]], bool]) -> QueryLike:
    """A plain function as a TinyDB query: hashed by identity, so never a stale cache hit."""
    return cast(QueryLike, test)


def _employer(doc: Mapping[str, Any]) -> Employer:
    from screener.pathway import Employer

    return Employer(doc["id"], doc["name"], doc["region"], doc["seats"])


def _employer_doc(employer: Employer) -> Doc:
    return {
        "id": employer.id,
        "name": employer.name,
        "region": employer.region,
        "seats": employer.seats,
    }


def _candidate(doc: Mapping[str, Any]) -> Candidate:
    return Candidate(doc["id"], doc["name"], doc.get("contact"), doc["created"])


def _one_named(docs: Iterable[Mapping[str, Any]], name: str) -> Candidate | None:
    """The one candidate with this exact name (any case, any spacing); None when nobody
    has it, ``NotFoundError`` naming their ids when several do."""
    wanted = " ".join(name.split()).casefold()
    named = [d for d in docs if d["name"].casefold() == wanted]
    if len(named) > 1:
        ids = ", ".join(d["id"] for d in named)
        raise NotFoundError(
            f"{len(named)} candidates are named {shown(name)} (ids {ids}); give the id"
        )
    return _candidate(named[0]) if named else None


class _People:
    """Resolves the candidate of each imported row, creating new people once."""

    def __init__(self, tx: Txn, whos: Sequence[Who]) -> None:
        self.tx = tx
        self.ids: set[str] = set()
        self.by_identity: dict[tuple[str, str | None], str] = {}  # -> the oldest such candidate
        docs = list(tx.docs("candidates").values())
        self.ids.update(d["id"] for d in docs)
        if tx.segments:
            given = {w if isinstance(w, str) else w[2] for w in whos} - {None} - self.ids
            self.ids |= tx.archived_candidates(cast(set[str], given)) if given else set()
            names = sorted({w[0] for w in whos if not isinstance(w, str) and w[2] is None})
            docs += _archived_named(tx, names)
        for doc in sorted(docs, key=lambda d: d["created"]):
            self.by_identity.setdefault((doc["name"], doc.get("contact")), doc["id"])
        unnamed = sum(1 for w in whos if not isinstance(w, str) and w[2] is None)
        self.fresh = _IdSource(self.ids, _fresh_candidate_ids(tx, self.ids, unnamed))
        self.new: list[Doc] = []
        self.now = utc_stamp()

    def resolve(self, who: Who) -> str:
        """The id of ``who`` (as normalised by ``candidate_key``), adding them if new."""
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
            known = self._add(self.fresh.take(), name, contact)
        return known

    def _add(self, cid: str, name: str, contact: str | None) -> str:
        self.by_identity.setdefault((name, contact), cid)
        self.new.append(person_doc(cid, name, contact, self.now))
        return cid

    def insert(self) -> None:
        if self.new:
            self.tx.append("candidates", self.new)


def _archived_named(tx: Txn, names: Sequence[str]) -> list[Doc]:
    """Archived candidate records whose name is one of ``names`` (exactly, as stored)."""
    wanted = set(names)
    out: dict[str, Doc] = {}
    for segment, _ in tx.archive.probe_many("name", list(names)):
        for doc in tx.seg(segment)["candidates"].values():
            if doc["name"] in wanted:
                out.setdefault(doc["id"], doc)
    return list(out.values())


def _fresh_candidate_ids(tx: Txn, taken: set[str], count: int) -> list[str]:
    """``count`` new random candidate ids that neither the live file nor the archive uses."""
    if not count:
        return []
    width = 2 * ID_BYTES
    pool: list[str] = []
    while len(pool) < count:
        text = secrets.token_hex(ID_BYTES * (count - len(pool)))
        fresh = [text[i : i + width] for i in range(0, len(text), width)]
        fresh = [i for i in dict.fromkeys(fresh) if i not in taken]
        if tx.segments:
            hits: set[str] = set()
            for _, mask in tx.archive.probe_many("cand", fresh):
                hits.update(i for i, hit in zip(fresh, mask, strict=True) if hit)
            fresh = [i for i in fresh if i not in hits]
        pool += fresh
    return pool[:count]


def _fresh_ids(tx: Txn, taken: set[str], count: int) -> list[str]:
    """``count`` new attempt ids used neither in the live file nor in the archive."""
    source = _IdSource(taken)
    out = source.many(count)
    if not tx.segments or not out:
        return out
    pending = out  # the ids not checked against the archive yet
    while True:
        clash = tx.taken_attempt_ids(pending)
        if not clash:
            return out
        redrawn = {i: source.take() for i in clash}  # (a hash hit is enough to avoid)
        out = [redrawn.get(i, i) for i in out]
        pending = list(redrawn.values())


def _record(tx: Txn, doc: Doc) -> AttemptRecord:
    return AttemptRecord.from_doc(doc, tx.layout(doc["layout"]), tx.name_of(doc["cand"]))


#: Below this many bytes of segments a stream reads them all at once.
EAGER_BYTES = 32 << 20


def _people_maps(people: Mapping[str, Doc]) -> tuple[dict[str, str], dict[str, str]]:
    names = {cid: d["name"] for cid, d in people.items()}
    contacts = {cid: d["contact"] for cid, d in people.items() if d.get("contact")}
    return names, contacts


def _eager_part(rows: list[tuple[StreamKey, Doc]], people: Mapping[str, Doc]) -> StreamPart:
    names, contacts = _people_maps(people)
    firsts: dict[int, StreamKey] = {}
    for key, doc in rows:
        firsts.setdefault(doc["layout"], key)
    docs = [doc for _, doc in rows]
    keys = [key for key, _ in rows]

    def key_at(at: int, doc: Mapping[str, Any]) -> StreamKey:
        return keys[at]

    from screener.store.summaries import StreamPart

    return StreamPart(
        rows[0][0], len(rows), firsts, lambda: (docs, names, contacts, key_at), last=keys[-1]
    )


def _segment_parts(
    tx: Txn,
    match: Callable[[Mapping[str, Any]], bool],
    candidate: str | None,
    layouts: set[int] | None,
    since_stamp: str | None,
    *,
    content: bool,
) -> tuple[list[StreamPart], Archive | None]:
    """The stream parts of the archive's segments (see ``iter_attempts``), and the
    archive reader the lazy ones need (None when every part was read now)."""
    segments = tx.probe("cand", candidate) if candidate is not None else list(tx.segments)
    chosen = [
        s
        for s in segments
        if s.attempts
        and (layouts is None or any(n in layouts for n, *_ in s.layouts))
        and (since_stamp is None or s.last >= since_stamp)
    ]
    eager = candidate is not None or sum(s.size for s in chosen) <= EAGER_BYTES
    archive = None if eager else tx.archive.clone()
    source = tx.archive if archive is None else archive
    rank = tx.archive.rank
    parts: list[StreamPart] = []
    for segment in chosen:
        r = rank[segment.number]
        read_now = eager or content or (since_stamp is not None and segment.first < since_stamp)
        if read_now:
            tables = (  # a candidate's: their documents alone (``Archive.person``)
                source.person(segment, candidate)
                if candidate is not None
                else source.tables(segment, keep=eager)
            )
            rows = [
                ((sort_stamp(d), r, int(k)), d) for k, d in tables["attempts"].items() if match(d)
            ]
            if not rows:
                continue
            if eager:
                people = {d["id"]: d for d in tables["candidates"].values()}
                parts.append(_eager_part(rows, people))
                continue
            firsts: dict[int, StreamKey] = {}
            for key, doc in rows:
                firsts.setdefault(doc["layout"], key)
            first, count = (rows[0][0][0], r, 0), len(rows)
            del rows, tables
        else:
            kept = [t for t in segment.layouts if layouts is None or t[0] in layouts]
            firsts = {n: (stamp, r, pos + 1) for n, _, pos, stamp in kept}
            first, count = (segment.first, r, 0), sum(t[1] for t in kept)
        assert archive is not None
        last = (segment.last, r, segment.attempts)  # no attempt of it comes later
        from screener.store.summaries import StreamPart

        parts.append(StreamPart(first, count, firsts, _lazy(archive, segment, r, match), last))
    return parts, archive


def _lazy(
    archive: Archive, segment: Segment, rank: int, match: Callable[[Mapping[str, Any]], bool]
) -> Callable[[], PartData]:
    """A segment part's ``load``: parse the segment, keep the attempts that match (in
    their stored, time order). Keys are made only when the merge asks (the position
    in the matched list keeps their order within the segment)."""

    def key_at(at: int, doc: Mapping[str, Any]) -> StreamKey:
        return (doc.get("submitted") or doc.get("started") or "", rank, at)

    def load() -> PartData:
        with paused_gc():
            tables = archive.tables(segment, keep=False)
            names, contacts = _people_maps({d["id"]: d for d in tables["candidates"].values()})
            docs = [d for d in tables["attempts"].values() if match(d)]
        return docs, names, contacts, key_at

    return load


def _fallback(archive: Archive | None) -> Callable[[str], tuple[str | None, str | None]] | None:
    """A stream's way to the name and contact of someone its segment does not hold."""
    if archive is None:
        return None

    def person(candidate_id: str) -> tuple[str | None, str | None]:
        for segment in archive.probe("cand", candidate_id):
            for doc in archive.tables(segment, keep=False)["candidates"].values():
                if doc["id"] == candidate_id:
                    return doc["name"], doc.get("contact")
        return None, None

    return person


def _in_archive(tx: Txn, text: str) -> bool:
    """Whether ``text`` (as is, or as JSON escapes it) occurs in any segment file."""
    import mmap

    needles = {text.encode(), orjson.dumps(text)[1:-1]}
    for segment in tx.segments:
        path = segment_path(tx.folder, segment.number, "json")
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                continue
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                if any(mapped.find(n) >= 0 for n in needles):
                    return True
    return False


def _file_version(path: Path) -> tuple[int, int, int] | None:
    """What changes whenever a writer replaces the live file."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return max(1, int(value))
    except ValueError:
        raise StoreError(f"${name} must be a whole number, not {value!r}") from None


# -- copying between stores (``Store.dump`` and ``Store.restore``) ----------------------


def _all_audit(tx: Txn) -> list[AuditEvent]:
    """Every audit event, in ``audit_events`` order; only segments whose commit-record
    row counts audit events are read, and none is kept parsed."""
    found: list[tuple[str, int, int, Doc]] = []
    rank = tx.archive.rank
    for segment in list(tx.segments):
        if segment.audit:
            with paused_gc():
                audit = tx.seg(segment, keep=False)["audit"]
            found += [(d["at"], rank[segment.number], int(k), d) for k, d in audit.items()]
    last = len(tx.segments)
    found += [(d["at"], last, int(k), d) for k, d in tx.docs("audit").items()]
    found.sort(key=lambda t: t[:3])
    return [AuditEvent.from_doc(d) for *_, d in found]


class _Snapshot:
    """A ``dump``'s open read of one version of the database: closed once its candidates
    were read, or when they are dropped unread."""

    def __init__(self, txn: Txn) -> None:
        import weakref

        self.txn = txn
        self.close = weakref.finalize(self, txn.close)

    def candidates(self) -> Iterator[Candidate]:
        """Everyone once: the live file's, then each segment's (read one at a time)
        that no earlier segment held (a segment holds copies of its attempts' people)."""
        try:
            tx = self.txn
            seen: set[str] = set()
            for doc in list(tx.docs("candidates").values()):
                seen.add(doc["id"])
                yield _candidate(doc)
            for segment in list(tx.segments):
                with paused_gc():
                    people = list(tx.seg(segment, keep=False)["candidates"].values())
                for doc in people:
                    if doc["id"] not in seen:
                        seen.add(doc["id"])
                        yield _candidate(doc)
        finally:
            self.close()


def _as_stored(text: object, *, collapse: bool) -> bool:
    """A quick yes for a name (``collapse``) or contact that ``clean_name`` or
    ``clean_contact`` would keep as it is: printable (so its only whitespace is the
    ASCII space), not blank, not too long, trimmed, without runs of spaces; False
    means: ask them."""
    return (
        type(text) is str
        and 0 < len(text) <= NAME_MAX
        and text.isprintable()
        and text[0] != " "
        and text[-1] != " "
        and not (collapse and "  " in text)
    )


def _audit_doc(event: AuditEvent) -> Doc:
    """An audit event as ``Store._audit`` stores it."""
    doc: Doc = {"event": event.event, "at": event.at}
    for name, value in (
        ("command", event.command),
        ("cand", event.candidate_id),
        ("attempt", event.attempt_id),
        ("count", event.count),
        ("detail", event.detail),
    ):
        if value is not None:
            doc[name] = value
    return doc


def _progress_doc(progress: Progress) -> Doc:
    """A coaching record as the store keeps it."""
    doc: Doc = {
        "cand": progress.candidate_id,
        "module": progress.module,
        "started": progress.started,
        "updated": progress.updated,
    }
    if progress.attempt_id is not None:
        doc["attempt"] = progress.attempt_id
    if progress.lessons:
        doc["lessons"] = list(progress.lessons)
    if progress.check_score is not None:
        doc["check"] = progress.check_score
    if progress.completed is not None:
        doc["completed"] = progress.completed
    return doc


#: Attempt fields every stored attempt has, filled from the record.
_HEAD = ("id", "cand", "layout", "status")
#: Attempt fields a record carries as attributes too (a backend's ``packed`` may not).
_SCALARS = ("seed", "started", "submitted", "outcome", "overall", "key")
#: How many distinct layout objects ``_Restore`` remembers by identity.
_LAYOUT_MEMO = 1024


class _Restore:
    """``Store.restore``'s writer, inside its transaction.

    While what is copied fits the live file (``limits.live`` archivable documents:
    candidates, submitted attempts, the store's audit events) everything is kept
    for the live file, in the dump's order. Past that it archives as the bulk save
    does: submitted attempts go into new segments of ``limits.segment`` as they
    stream in, each with the records of its attempts' candidates and the store's
    audit events up to its last attempt's time (the audit stream is read alongside);
    the last segment takes the rest and everyone not placed yet. Attempts in
    progress, coaching progress, free-text audit events, employers and program
    events stay in the live file, as they always do.
    """

    def __init__(self, tx: Txn) -> None:
        self.tx = tx
        #: everyone, as (name, created, contact): a tuple costs a third of a document
        self.people: dict[str, tuple[str, str, str | None]] = {}
        self.placed: set[str] = set()
        self.archiving = False
        self.archivable = 0
        self.attempts: list[Doc] = []  # not archiving: all, in order; then submitted only
        self.in_progress: list[Doc] = []  # once archiving
        self.live_audit: list[Doc] = []
        self.backlog: list[Doc] = []  # audit events read ahead, not placed yet
        self.audit_iter: Iterator[AuditEvent] = iter(())
        self.audit_next: Doc | None = None
        self.audit_count = 0
        self.attempt_count = 0
        self.layouts: dict[int, tuple[Layout, int]] = {}
        self.hashes: list[Any] = []  # 64-bit hashes of the attempt ids, per segment

    def run(self, dump: StoreDump) -> RestoreCounts:
        tx = self.tx
        data = tx.data()
        data[META][META_ID]["secret"] = dump.secret
        tx.buffer.dirty = True
        given = list(dump.employers)
        for employer in given:
            check_employer(employer)
        employers = [_employer_doc(e) for e in given]
        if len({d["id"] for d in employers}) < len(employers):
            raise ValueError("an employer id appears twice")
        events = [e.as_dict() for e in dump.events]
        self._candidates(dump.candidates)
        progress = [_progress_doc(p) for p in dump.progress]
        for doc in progress:
            self._known(doc["cand"])
        self.audit_iter = iter(dump.audit)
        if len(self.people) > tx.limits.live:
            self._start_archiving()
        for record in dump.attempts:
            self._add(self._attempt(record))
        self._finish()
        self._check_unique()
        for name, docs in (
            ("employers", employers),
            ("events", events),
            ("progress", progress),
            ("audit", self.live_audit),
        ):
            if docs:
                tx.append(name, docs)
        from screener.store.summaries import RestoreCounts

        return RestoreCounts(
            candidates=len(self.people),
            attempts=self.attempt_count,
            progress=len(progress),
            audit_events=self.audit_count,
            employers=len(employers),
            events=len(events),
        )

    # -- reading the dump ------------------------------------------------------------

    def _candidates(self, candidates: Iterable[Candidate]) -> None:
        people = self.people
        stamps: dict[str, str] = {}  # one string per creation time (a batch shares one)
        for person in candidates:
            cid, name, contact, created = person.id, person.name, person.contact, person.created
            contact = contact or None  # no contact, however a backend says so
            if cid in people:
                raise ValueError(f"candidate id {shown(cid)} appears twice")
            if not _as_stored(name, collapse=True) and clean_name(name) != name:
                raise ValueError(f"candidate {shown(cid)}'s name is not as stored names are")
            if (
                contact is not None
                and not _as_stored(contact, collapse=False)
                and clean_contact(contact) != contact
            ):
                raise ValueError(f"candidate {shown(cid)}'s contact is not as stored ones are")
            if type(created) is not str:
                raise ValueError(f"candidate {shown(cid)} has no creation time")
            people[cid] = (name, stamps.setdefault(created, created), contact)
        bad = invalid_candidate_ids(list(people))
        if bad:
            raise ValueError(next(iter(bad.values())))

    def _person(self, candidate_id: str) -> Doc:
        """A candidate's document, as ``records.person_doc`` makes them."""
        name, created, contact = self.people[candidate_id]
        return person_doc(candidate_id, name, contact, created)

    def _known(self, candidate_id: str) -> None:
        if candidate_id not in self.people:
            raise ValueError(f"a record of candidate {shown(candidate_id)}, who is not in it")

    def _layout_id(self, layout: Layout) -> int:
        """The destination's number of ``layout`` (remembered by identity: a stream
        hands out one object per layout; hashing one per attempt would cost more)."""
        found = self.layouts.get(id(layout))
        if found is not None and found[0] is layout:
            return found[1]
        number = self.tx.layout_id(layout)
        if len(self.layouts) < _LAYOUT_MEMO:
            self.layouts[id(layout)] = (layout, number)  # kept alive: its id stays its own
        return number

    def _attempt(self, record: AttemptRecord) -> Doc:
        """The attempt's document here: its packed fields as they were, under this
        database's layout number."""
        aid, cid, status, packed = (
            record.attempt_id,
            record.candidate_id,
            record.status,
            record.packed,
        )
        if cid not in self.people:
            self._known(cid)
        doc: Doc
        if (
            packed.get("id") == aid
            and packed.get("cand") == cid
            and packed.get("status") == status
            and None not in packed.values()
        ):  # a whole stored document (a file's): copied as it is (keys in their order)
            doc = dict(packed)
            doc["layout"] = self._layout_id(record.layout)
        else:
            doc = {"id": aid, "cand": cid, "layout": self._layout_id(record.layout)}
            doc["status"] = status
            for name, value in packed.items():
                if value is not None and name not in _HEAD:
                    doc[name] = value
            for name in _SCALARS:
                value = getattr(record, name)
                if value is not None and name not in doc:
                    doc[name] = value
        if status == "submitted":
            if not (
                type(doc.get("answers")) is str
                and type(doc.get("scores")) is str
                and type(doc.get("codes")) is str
                and type(doc.get("outcome")) is str
            ):
                raise ValueError(f"submitted attempt {shown(aid)} lacks its answers or scores")
        elif status != "in_progress":
            raise ValueError(f"attempt {shown(aid)} has status {shown(str(status))}")
        elif type(doc.get("answers")) is not str:
            raise ValueError(f"attempt {shown(aid)} has no answers")
        if type(aid) is not str or not aid:
            raise ValueError("an attempt without an id")
        return doc

    def _pull(self, stamp: str | None) -> list[Doc]:
        """The audit events up to ``stamp`` (all of them: None), in the dump's order."""
        out: list[Doc] = []
        while True:
            if self.audit_next is None:
                if self.backlog:
                    self.audit_next = self.backlog.pop()
                else:
                    event = next(self.audit_iter, None)
                    if event is None:
                        return out
                    self.audit_next = _audit_doc(event)
                    self.audit_count += 1
            if stamp is not None and self.audit_next["at"] > stamp:
                return out
            out.append(self.audit_next)
            self.audit_next = None

    # -- placing documents -----------------------------------------------------------

    def _add(self, doc: Doc) -> None:
        self.attempt_count += 1
        submitted = doc["status"] == "submitted"
        if not self.archiving:
            self.attempts.append(doc)
            if submitted:
                self.archivable += 1
                if len(self.people) + self.archivable > self.tx.limits.live:
                    self._start_archiving()
        elif submitted:
            self.attempts.append(doc)
            if len(self.attempts) >= self.tx.limits.segment:
                self._write_full()
        else:
            self.in_progress.append(doc)

    def _start_archiving(self) -> None:
        self.archiving = True
        held = self.attempts
        self.attempts = [d for d in held if d["status"] == "submitted"]
        self.in_progress += [d for d in held if d["status"] != "submitted"]
        self._write_full()

    def _write_full(self) -> None:
        size = self.tx.limits.segment
        while len(self.attempts) >= size:
            chunk = self.attempts[:size]
            del self.attempts[:size]
            self._segment(chunk, last=False)

    def _segment(self, chunk: list[Doc], *, last: bool) -> None:
        """Write one new segment: ``chunk``'s attempts (put in time order), their
        people, and the store's audit events up to its end (the last: all of them, and
        everyone not placed yet)."""
        from itertools import pairwise

        from screener.store.hashindex import hash64_many

        if any(sort_stamp(a) > sort_stamp(b) for a, b in pairwise(chunk)):
            chunk.sort(key=sort_stamp)  # stable: equal times keep the dump's order
        ids = list(dict.fromkeys(d["cand"] for d in chunk))
        self.placed.update(ids)
        if last:
            ids += [cid for cid in self.people if cid not in self.placed]
        people = [self._person(cid) for cid in ids]
        pulled = self._pull(None if last or not chunk else sort_stamp(chunk[-1]))
        store_events = [d for d in pulled if d["event"] in STORE_EVENTS]
        self.live_audit += [d for d in pulled if d["event"] not in STORE_EVENTS]
        if chunk:
            self.hashes.append(hash64_many([d["id"] for d in chunk]))
        if people or chunk or store_events:
            self.tx.add_segments([(people, chunk, store_events)])

    def _finish(self) -> None:
        tx = self.tx
        if not self.archiving:
            pulled = self._pull(None)
            stored_events = sum(1 for d in pulled if d["event"] in STORE_EVENTS)
            if len(self.people) + self.archivable + stored_events <= tx.limits.live:
                self.live_audit = pulled
                if self.people:
                    tx.append("candidates", [self._person(cid) for cid in self.people])
                if self.attempts:
                    from screener.store.hashindex import hash64_many

                    self.hashes.append(hash64_many([d["id"] for d in self.attempts]))
                    tx.append("attempts", self.attempts)
                return
            self.backlog = pulled[::-1]  # read again by the segments, in order
            self._start_archiving()
        self._segment(self.attempts, last=True)
        self.attempts = []
        tx.archive.record.candidates += len(self.people)
        if self.in_progress:
            from screener.store.hashindex import hash64_many

            self.hashes.append(hash64_many([d["id"] for d in self.in_progress]))
            tx.append("attempts", self.in_progress)

    def _check_unique(self) -> None:
        """Attempt ids repeat nowhere (their 64-bit hashes first; a repeated hash is
        looked at in the documents, as a hash collision must not refuse a copy)."""
        if not self.hashes:
            return
        import numpy as np

        every = np.concatenate(self.hashes)
        values, counts = np.unique(every, return_counts=True)
        if len(values) == len(every):
            return
        from screener.store.hashindex import hash64

        twice = {int(v) for v in values[counts > 1]}
        seen: set[str] = set()

        def written() -> Iterator[Doc]:  # the live file's attempts, then a segment at a time
            yield from self.attempts
            yield from self.in_progress
            for segment in list(self.tx.segments):
                yield from list(self.tx.seg(segment, keep=False)["attempts"].values())

        for doc in written():
            if hash64(doc["id"]) in twice:
                if doc["id"] in seen:
                    raise ValueError(f"attempt id {shown(doc['id'])} appears twice")
                seen.add(doc["id"])


if TYPE_CHECKING:

    def _implements(store: Store) -> ResultsStore:
        """mypy checks here that ``Store`` is a ``ResultsStore``."""
        return store
