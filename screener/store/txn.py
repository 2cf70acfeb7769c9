"""One open database: the live TinyDB file and the archive segments it lists.

A ``Txn`` lives for one lock (a write) or one read. It reads the live file once
(``BufferedMiddleware``), finds documents there and, through the segments'
hash indexes, in the archive; a write changes the live tables in memory and
writes archive segments under new numbers as it goes (unreferenced until the
commit). ``commit`` is the protocol of docs/store.md, "Commit": move surplus
archivable documents of the live file into new segments, fsync the archive
folder, replace the live file with the new commit record (the commit point),
then remove the segment files it no longer lists.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from tinydb import Storage, TinyDB
from tinydb.table import Table

from screener.errors import NotFoundError, StoreError
from screener.store.archive import (
    SMALL_SEGMENT,
    Archive,
    Record,
    Segment,
    SegmentJob,
    SegmentWriting,
    Stale,
    archive_folder,
    chunks,
    collect_garbage,
    make_folder,
    remove_segment_files,
    remove_segment_temps,
    segment_path,
    sort_stamp,
    write_segments,
)
from screener.store.files import (
    AtomicJSONStorage,
    BufferedMiddleware,
    Tables,
    existing_file,
    fsync_folder,
)
from screener.store.hashindex import name_key
from screener.store.records import STORE_EVENTS, Layout, person_doc, shown, utc_stamp
from screener.store.schema import META, META_ID, SCHEMA_VERSION, check_version, new_meta, upgrade

Doc = dict[str, Any]
#: Where a document was found: None for the live file, else its segment.
Where = Segment | None
BAK_SUFFIX = ".bak"


_cand_of = itemgetter("cand")


def _ahead_job(
    number: int,
    people: Callable[[Iterable[str]], list[Doc]],
    candidates: Sequence[str],
    earlier: Sequence[Doc],
    attempts: Callable[[int, int], list[Doc]],
    start: int,
    stop: int,
) -> tuple[int, list[Doc], list[Doc], list[Doc]]:
    """Segment ``number`` of ``Txn.write_ahead``: attempts ``start:stop`` of ``earlier``
    (archived ones first) followed by the new ones, with their people (in order of
    first attempt, as ``Txn._groups`` lists them), made where it is written."""
    mine = people(dict.fromkeys(candidates[start:stop]))
    old = len(earlier)
    docs = list(earlier[start:stop]) if start < old else []
    if stop > old:
        docs += attempts(max(start - old, 0), stop - old)
    return number, mine, docs, []


class Limits:
    """How much the live file holds before a write moves documents into segments, and
    how many attempts a segment holds (``archive.LIVE_LIMIT``, ``SEGMENT_ATTEMPTS``)."""

    def __init__(self, live: int, segment: int) -> None:
        self.live = max(1, live)
        self.segment = max(1, segment)


def backup_path(path: Path) -> Path:
    """Where the file being migrated is kept (a hard link) until its migration is done."""
    return path.with_name(path.name + BAK_SUFFIX)


class Txn:
    """One open database (see the module docstring)."""

    def __init__(self, path: Path, *, writable: bool, limits: Limits) -> None:
        self.path = path
        self.writable = writable
        self.limits = limits
        self.db = TinyDB(str(path), storage=BufferedMiddleware(AtomicJSONStorage))
        self.buffer = cast(BufferedMiddleware, self.db.storage)
        self.tables: dict[str, Table] = {}
        #: per live table, the dict ``append`` last added to and the id after its last
        self._next_key: dict[str, tuple[dict[str, Doc], int]] = {}
        self.layout_ids: dict[Layout, int] | None = None
        self.layout_cache: dict[int, Layout] = {}
        self.version: int | None = None
        self.flush_all = False  # compaction: move every archivable document
        self.flush_due = False  # a bulk save wrote segments ahead: the commit flushes
        #: what a write ahead took from the commit's flush for the segments it wrote: the
        #: people placed in them, and the merged small last segment's people and audit
        #: events (the flush's last segment gets those as it would have)
        self.ahead_placed: set[str] = set()
        self.carry_people: dict[str, Doc] = {}
        self.carry_audit: list[Doc] = []
        self._asked: set[str] = set()  # ids asked of the archive (``archived_people``)
        self._found: dict[str, Doc] = {}  # the archived people of those, by id
        self.dropped: list[int] = []  # segment numbers replaced in this transaction
        self.written: list[int] = []  # segment numbers written in this transaction
        #: big commits may write segments in a forked process: only when the write lock
        #: is an ``flock`` the fork shares (``archive.write_segments``)
        self.fork_writes = False
        #: the segments ``write_ahead`` started, and the small segment they replace
        self.writing: SegmentWriting | None = None
        self.writing_over: list[Segment] = []
        self.folder = archive_folder(path)
        data = self.buffer.read()
        record = Record()
        if data is not None:
            check_version(data, path)  # a newer file is refused before its meta is read
            record = Record.from_meta(data.get(META, {}).get(META_ID), path)
        if writable:  # under the lock: what a killed writer left goes first
            with contextlib.suppress(FileNotFoundError):
                backup_path(path).unlink()  # the live file is intact: its replace is atomic
            if self.folder.is_dir():
                collect_garbage(self.folder, record)
            for segment in record.segments:  # no write to a database that lost a piece
                for ext in ("json", "idx"):
                    if not segment_path(self.folder, segment.number, ext).is_file():
                        raise Stale(str(segment_path(self.folder, segment.number, ext)))
        self.archive = Archive(path, record, hold=not writable)
        try:
            if data is not None:
                found = upgrade(data, path, self.archived_candidates)
                self.version = found
                if found < SCHEMA_VERSION:
                    self.buffer.replace(data)
                    if writable:
                        self.table("audit").insert(
                            {
                                "event": "schema.migrated",
                                "at": utc_stamp(),
                                "detail": f"schema {found} -> {SCHEMA_VERSION}",
                            }
                        )
        except BaseException:
            self.archive.close()
            raise

    # -- the live file -----------------------------------------------------------------

    def table(self, name: str) -> Table:
        """A TinyDB table over the buffer. Made here rather than by ``TinyDB.table``,
        which keeps its instances for good: ``append`` must be able to drop one so
        its cached next id is recomputed."""
        if name not in self.tables:
            self.tables[name] = Table(cast(Storage, self.buffer), name, cache_size=0)
        return self.tables[name]

    def docs(self, name: str) -> dict[str, Doc]:
        """The raw documents of a live table, for scanning only: never modify them."""
        data = self.buffer.read()
        if data is None:
            return {}
        table: dict[str, Doc] = data.get(name, {})
        return table

    def data(self) -> Tables:
        """Everything as it would be written, with ``meta`` for a new database."""
        data = self.buffer.read()
        if data is None:
            data = {}
            self.buffer.write(data)
        if not data.get(META):
            data[META] = {META_ID: new_meta()}
            self.buffer.dirty = True
        return data

    def append(self, name: str, docs: list[Doc]) -> None:
        """Add many new documents to a live table, with TinyDB's id scheme.

        TinyDB's ``insert_multiple`` checks and copies every document (0.26 s
        per 100k attempts); these are fresh dicts built by the store, so they go
        straight into the table. The cached ``Table`` is dropped so its next-id
        counter is recomputed from the data.
        """
        table = self.data().setdefault(name, {})
        # the next id: remembered from the last append to this very table, unless a
        # TinyDB insert took it since (which takes the highest id + 1: that one);
        # else the highest id + 1, a pass over every id (one event at a time into a
        # table of thousands was quadratic: ``batch --keep-both``'s audit events)
        known = self._next_key.get(name)
        first = (
            known[1]
            if known is not None and known[0] is table and str(known[1]) not in table
            else max(map(int, table), default=0) + 1
        )
        table.update(zip(map(str, range(first, first + len(docs))), docs, strict=True))
        self._next_key[name] = (table, first + len(docs))
        self.buffer.dirty = True
        self.tables.pop(name, None)

    def close(self) -> None:
        self.archive.close()
        self.db.close()

    # -- layouts (always in the live file) ---------------------------------------------

    def layout(self, layout_id: int) -> Layout:
        cached = self.layout_cache.get(layout_id)
        if cached is None:
            cached = Layout.from_doc(self.docs("layouts")[str(layout_id)])
            self.layout_cache[layout_id] = cached
        return cached

    def layout_of(self) -> dict[int, Layout]:
        return {int(k): self.layout(int(k)) for k in self.docs("layouts")}

    def layout_id(self, layout: Layout) -> int:
        """The id of an equal stored layout, storing it first if it is new."""
        if self.layout_ids is None:
            self.layout_ids = {}
            for key in self.docs("layouts"):
                self.layout_ids.setdefault(self.layout(int(key)), int(key))
        found = self.layout_ids.get(layout)
        if found is None:
            found = int(self.table("layouts").insert(layout.to_doc()))
            self.layout_ids[layout] = found
            self.layout_cache[found] = layout
        return found

    # -- the archive -------------------------------------------------------------------

    @property
    def segments(self) -> list[Segment]:
        return self.archive.segments

    def seg(self, segment: Segment, *, keep: bool = True) -> Tables:
        return self.archive.tables(segment, keep=keep)

    def probe(self, kind: str, value: str) -> list[Segment]:
        return self.archive.probe(kind, value)

    def archived_candidates(self, ids: set[str]) -> set[str]:
        """Which of ``ids`` have a candidate record in the archive (checked, not hashed)."""
        return set(self.archived_people(ids))

    def archived_people(self, ids: Iterable[str]) -> dict[str, Doc]:
        """The archived candidate records of ``ids`` (those found). Answers are kept for
        the rest of the transaction (a batch asks about its people more than once: the
        second time costs set operations over the found few, not a loop over all)."""
        if not self.archive.segments:  # nothing archived (a batch into a new database)
            return {}
        found = self._found
        wanted = ids if isinstance(ids, set) else set(ids)
        if self._asked:
            fresh = wanted - self._asked
            self._asked |= fresh
        else:  # the first question (a batch's people): one copy
            fresh = wanted
            self._asked = set(wanted)
        ask = list(fresh)  # any order: the segments' order decides
        if ask:
            for segment, mask in self.archive.probe_many("cand", ask):
                if hasattr(mask, "nonzero"):  # numpy: its hits, not a loop over all
                    maybe = set(map(ask.__getitem__, mask.nonzero()[0].tolist()))
                else:
                    maybe = {cid for cid, hit in zip(ask, mask, strict=True) if hit}
                maybe -= found.keys()  # the first segment holding someone answers
                if maybe:
                    for doc in self.seg(segment)["candidates"].values():
                        if doc["id"] in maybe:
                            found[doc["id"]] = doc
        if not found:
            return {}
        return {cid: found[cid] for cid in found.keys() & wanted}

    def taken_attempt_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` the archive may already use (a hash hit is enough to avoid)."""
        hits: set[str] = set()
        for _, mask in self.archive.probe_many("attempt", ids):
            hits.update(i for i, hit in zip(ids, mask, strict=True) if hit)
        return hits

    def archived_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Submission key -> attempt id, for those of ``keys`` stored in the archive."""
        out: dict[str, str] = {}
        for segment, mask in self.archive.probe_many("key", keys):
            maybe = {k for k, hit in zip(keys, mask, strict=True) if hit}
            for doc in self.seg(segment)["attempts"].values():
                key = doc.get("key")
                if key is not None and key in maybe and key not in out:
                    out[key] = doc["id"]
        return out

    # -- lookups over both ---------------------------------------------------------------

    def find_candidate(self, candidate_id: str) -> Doc | None:
        for doc in self.docs("candidates").values():
            if doc["id"] == candidate_id:
                return doc
        for segment in self.probe("cand", candidate_id):
            # their documents alone: a reader parses a few kB, not the whole segment
            for found in self.archive.person(segment, candidate_id)["candidates"].values():
                if found["id"] == candidate_id:
                    return cast(Doc, found)
        return None

    def candidate_doc(self, candidate_id: str) -> Doc:
        found = self.find_candidate(candidate_id)
        if found is None:
            raise NotFoundError(f"no candidate {shown(candidate_id)}")
        return found

    def candidate_exists(self, candidate_id: str) -> bool:
        return self.find_candidate(candidate_id) is not None

    def id_taken(self, candidate_id: str) -> bool:
        """Whether a new random id must be drawn again (a hash hit is enough)."""
        return any(d["id"] == candidate_id for d in self.docs("candidates").values()) or bool(
            self.probe("cand", candidate_id)
        )

    def named(self, name: str) -> list[Doc]:
        """Every candidate whose name is ``name`` (any case, any spacing), live or archived."""
        wanted = name_key(name)
        out = {
            d["id"]: d for d in self.docs("candidates").values() if name_key(d["name"]) == wanted
        }
        for segment in self.probe("name", name):
            for doc in self.seg(segment)["candidates"].values():
                if doc["id"] not in out and name_key(doc["name"]) == wanted:
                    out[doc["id"]] = doc
        return list(out.values())

    def all_candidates(self) -> list[Doc]:
        """Everyone (reads every segment)."""
        out = {d["id"]: d for d in self.docs("candidates").values()}
        for segment in list(self.segments):
            for doc in self.seg(segment, keep=False)["candidates"].values():
                out.setdefault(doc["id"], doc)
        return list(out.values())

    def attempt_doc(self, attempt_id: str) -> tuple[Where, int, Doc]:
        for key, doc in self.docs("attempts").items():
            if doc["id"] == attempt_id:
                return None, int(key), doc
        for segment in self.probe("attempt", attempt_id):
            for key, doc in self.seg(segment)["attempts"].items():
                if doc["id"] == attempt_id:
                    return segment, int(key), doc
        raise NotFoundError(f"no attempt '{attempt_id}'")

    def name_of(self, candidate_id: str) -> str | None:
        doc = self.find_candidate(candidate_id)
        return None if doc is None else cast(str, doc["name"])

    def person(self, candidate_id: str) -> tuple[str | None, str | None]:
        doc = self.find_candidate(candidate_id)
        return (None, None) if doc is None else (doc["name"], doc.get("contact"))

    # -- changing the archive ------------------------------------------------------------

    def _like(self) -> os.stat_result | None:
        """The live file's stat: new archive files take its owner, group and mode."""
        return existing_file(self.path)

    def _new_segment(self, people: list[Doc], attempts: list[Doc], audit: list[Doc]) -> Segment:
        """Write a new segment (listed at the commit); attempts in time order."""
        record = self.archive.record
        number = record.next
        record.next += 1
        like = self._like()
        make_folder(self.folder, like)
        self.written.append(number)
        return write_segments(self.folder, [(number, people, attempts, audit)], like, fork=False)[0]

    def _new_segments(
        self, groups: Sequence[tuple[list[Doc], list[Doc], list[Doc]]]
    ) -> list[Segment]:
        """Write new segments of (candidates, attempts in time order, audit events), two
        processes at a time when there are many (``archive.write_segments``)."""
        if not groups:
            return []
        record = self.archive.record
        like = self._like()
        make_folder(self.folder, like)
        jobs = []
        for people, attempts, audit in groups:
            number = record.next
            record.next += 1
            self.written.append(number)
            jobs.append((number, people, attempts, audit))
        return write_segments(self.folder, jobs, like, fork=self.fork_writes)

    def rewrite(self, segment: Segment, change: Callable[[Tables], Tables | None]) -> None:
        """Replace a segment by what ``change`` makes of a copy of its tables (None or
        nothing left: drop it). Written now under a new number, listed at the commit."""
        assert self.writable
        self._asked.clear()  # a rename or an erasure: what was looked up may change
        self._found.clear()
        old = self.seg(segment, keep=False)
        copy = {name: dict(table) for name, table in old.items()}
        new = change(copy)
        replacement: list[Segment] = []
        if new is not None and (new["attempts"] or new["candidates"] or new["audit"]):
            people = list(new["candidates"].values())
            attempts = list(new["attempts"].values())
            audit = list(new["audit"].values())
            replacement.append(self._new_segment(people, attempts, audit))
        self.archive.replace(segment, replacement)
        self.dropped.append(segment.number)

    def add_segments(self, groups: Iterable[tuple[list[Doc], list[Doc], list[Doc]]]) -> None:
        """Write new segments of (candidates, attempts in time order, audit events)."""
        for people, attempts, audit in groups:
            self.archive.add(self._new_segment(people, attempts, audit))

    def _groups(
        self,
        attempts: list[Doc],
        people: dict[str, Doc],
        audit: list[Doc],
        placed: set[str] | None = None,
    ) -> list[tuple[list[Doc], list[Doc], list[Doc]]]:
        """Split attempts (in time order) into segments of at most ``limits.segment``,
        each with the records of its attempts' candidates (from ``people``, else copied
        from the archive); people without attempts here and the audit events go last.
        ``placed``: people of segments written ahead of these (never listed again)."""
        missing = set(map(_cand_of, attempts)) - people.keys()
        copies = self.archived_people(missing) if missing else {}
        unknown = missing - copies.keys()
        if unknown:  # pragma: no cover - the documents were checked when read
            raise StoreError(f"{self.path}: attempts of unknown candidate {shown(min(unknown))}")
        out: list[tuple[list[Doc], list[Doc], list[Doc]]] = []
        placed = set(placed or ())
        parts = list(chunks(attempts, self.limits.segment)) or [[]]
        known = {**copies, **people} if copies else people
        for i, part in enumerate(parts):
            ids = list(dict.fromkeys(map(_cand_of, part)))
            placed.update(ids)
            mine = list(map(known.__getitem__, ids))
            if i == len(parts) - 1 and people.keys() - placed:  # (a set operation in C)
                mine += [doc for cid, doc in people.items() if cid not in placed]
            out.append((mine, list(part), audit if i == len(parts) - 1 else []))
        return [g for g in out if g[0] or g[1] or g[2]]

    def _small_tail(self) -> list[Segment]:
        """The last segment when the next flush merges it with what it moves: small, and
        not written by this transaction."""
        last = self.segments[-1] if self.segments else None
        if (
            last is not None
            and last.number not in self.written
            and last.attempts < min(SMALL_SEGMENT, self.limits.segment // 2 + 1)
        ):
            return [last]
        return []

    @staticmethod
    def _live_submitted(data: Tables) -> tuple[list[tuple[str, Doc]], list[str]]:
        """The live file's submitted attempts (key, document) in the order a flush writes
        them: by time, then by document number; and their times."""
        live_attempts = data.get("attempts", {})
        submitted = [(k, d) for k, d in live_attempts.items() if d["status"] == "submitted"]
        stamps = [d.get("submitted") or d.get("started") or "" for _, d in submitted]
        if stamps != sorted(stamps):  # else: in order (sorting a sorted list is one pass)
            order = sorted(range(len(submitted)), key=lambda i: (stamps[i], int(submitted[i][0])))
            submitted = [submitted[i] for i in order]
            stamps = [stamps[i] for i in order]
        return submitted, stamps

    def bulk_ahead(self, count: int, stamp: str) -> int:
        """How many of a bulk save's ``count`` new attempts (all submitted at ``stamp``,
        in row order) can be written into segments now (``write_ahead``): those of the
        whole segments the commit's flush would make, all but the last. Only when that
        flush surely comes (more attempts than the live file holds and than a segment
        holds) and would put the new attempts after everything it merges with them: the
        live file's submitted attempts and a small last segment, all of them no later
        than ``stamp`` (else the flush sorts them among the new ones)."""
        size = self.limits.segment
        if not self.writable or self.flush_all or count <= max(self.limits.live, size):
            return 0
        tail = self._small_tail()
        if tail and tail[0].last > stamp:  # its attempts are in time order: ``last`` is latest
            return 0
        submitted, stamps = self._live_submitted(self.buffer.read() or {})
        if stamps and stamps[-1] > stamp:
            return 0
        old = len(submitted) + (tail[0].attempts if tail else 0)
        return (old + count - 1) // size * size - old

    def write_ahead(
        self,
        count: int,
        candidates: Sequence[str],
        new_people: dict[str, tuple[str, str | None]],
        created: str,
        attempts: Callable[[int, int], list[Doc]],
    ) -> list[Doc]:
        """Start writing the first ``count`` (``bulk_ahead``) of a bulk save's new
        attempts into new segments, as the commit's flush would write them; returns the
        documents of the people of ``new_people`` (id: name and contact details, made
        on ``created``) still to add to the live file (those with attempts after
        ``count``). ``candidates`` are every new attempt's candidate in order;
        ``attempts(start, stop)`` makes the documents of attempts ``start:stop``: each
        segment's documents are made by the process that writes it, a forked child
        taking them while this process goes on (``archive.SegmentWriting``); call
        ``finish_ahead`` when the rest of the write is done (the commit does, and
        ``abandon`` stops the child). What the flush would merge with them comes first,
        in the same order: a small last segment's attempts and the live file's
        submitted ones (which leave it now); the small segment is replaced. The rest (a
        segment's worth at most), the live file's people and its events follow at the
        commit, which is forced to flush, with the small segment's people not placed
        yet and its events (``carry_people``, ``carry_audit``); the segments are listed
        by the commit record, as always."""
        import heapq

        if self.writing is not None:  # pragma: no cover - one bulk save per write
            raise RuntimeError("a second write ahead before the first one finished")
        size = self.limits.segment
        data = self.data()
        live = data.setdefault("candidates", {})
        tail = self._small_tail()
        keyed, tail_people, tail_audit = self._collect(tail)
        submitted, stamps = self._live_submitted(data)
        if tail:  # merged as the flush merges them (``flush``)
            keyed.append(
                [((t, len(tail), int(k)), d) for t, (k, d) in zip(stamps, submitted, strict=True)]
            )
            earlier = [d for _, d in heapq.merge(*keyed, key=lambda kd: kd[0])]
        else:
            earlier = [d for _, d in submitted]
        old = len(earlier)
        known: dict[str, Doc] = {d["id"]: d for d in live.values()}
        head = [*map(_cand_of, earlier), *candidates[:count]] if earlier else candidates[:count]
        in_head = set(head)
        # (each a pass over the smaller side: the new people are most of the head)
        missing = in_head.difference(new_people, known, tail_people)
        copies = self.archived_people(missing) if missing else {}
        if missing - copies.keys():  # pragma: no cover - the caller made every new person
            raise StoreError(f"{self.path}: attempts of unknown candidates")
        found = {**copies, **tail_people, **known} if copies or tail_people else known

        def people(ids: Iterable[str]) -> list[Doc]:
            if found:
                return [found.get(cid) or person_doc(cid, *new_people[cid], created) for cid in ids]
            # all new: made here as ``person_doc`` makes them, a third of the time
            given = new_people.__getitem__
            return [
                {"id": cid, "name": p[0], "created": created}
                if not (p := given(cid))[1]
                else person_doc(cid, *p, created)
                for cid in ids
            ]

        # what changes in the live file and the commit record first: after the fork each
        # page this process writes to is copied (~5 us each)
        if tail:
            self.dropped.append(tail[0].number)
            self.carry_people.update(tail_people)
            self.carry_audit.extend(tail_audit)
        if submitted:  # in segments now
            live_attempts = data["attempts"]
            for key, _ in submitted:
                del live_attempts[key]
            self.buffer.dirty = True
            self.tables.pop("attempts", None)
        # people moved now: those of the live file and new ones with no attempt after
        # ``count`` (the archived ones' copies were counted when first archived); the
        # new ones with one stay, in their order (each new person has an attempt: in
        # the head, or after it)
        later = set(candidates[count:])
        gone = [key for key, doc in live.items() if doc["id"] in in_head and doc["id"] not in later]
        for key in gone:
            del live[key]
        if gone:
            self.buffer.dirty = True
            self.tables.pop("candidates", None)
        staying = [cid for cid in new_people if cid in later] if later else []
        record = self.archive.record
        record.candidates += len(gone) + len(new_people) - len(staying)
        if self.ahead_placed:
            self.ahead_placed |= in_head
        else:  # the first write ahead of this write (a set of 100k ids is not copied)
            self.ahead_placed = in_head
        self.flush_due = True
        keep = [person_doc(cid, *new_people[cid], created) for cid in staying]
        like = self._like()
        make_folder(self.folder, like)
        jobs: list[SegmentJob] = []
        total = old + count
        for start in range(0, total, size):
            number = record.next
            record.next += 1
            self.written.append(number)
            stop = min(start + size, total)
            jobs.append(partial(_ahead_job, number, people, head, earlier, attempts, start, stop))
        self.writing = SegmentWriting(self.folder, jobs, like, fork=self.fork_writes, size=total)
        self.writing_over = tail
        return keep

    def finish_ahead(self) -> None:
        """Wait for the segments ``write_ahead`` started (writing those left) and list
        them in the archive, in place of the small segment they replace."""
        writing, self.writing = self.writing, None
        if writing is None:
            return
        written = writing.finish()
        tail, self.writing_over = self.writing_over, []
        if tail:
            self.archive.replace_run(tail, written)
        else:
            for segment in written:
                self.archive.add(segment)

    def _collect(
        self, group: Sequence[Segment]
    ) -> tuple[list[list[tuple[tuple[str, int, int], Doc]]], dict[str, Doc], list[Doc]]:
        """The attempts (keyed for a merge), people and audit events of some segments."""
        rank = {s.number: i for i, s in enumerate(group)}
        keyed = []
        people: dict[str, Doc] = {}
        audit: list[Doc] = []
        for segment in group:
            tables = self.seg(segment, keep=False)
            keyed.append(
                [
                    ((sort_stamp(d), rank[segment.number], int(k)), d)
                    for k, d in tables["attempts"].items()
                ]
            )
            for doc in tables["candidates"].values():
                people.setdefault(doc["id"], doc)
            audit.extend(tables["audit"].values())
        return keyed, people, audit

    def merge(self, group: Sequence[Segment]) -> None:
        """Replace consecutive segments by as few as hold their attempts (compaction)."""
        import heapq

        keyed, people, audit = self._collect(group)
        attempts = [d for _, d in heapq.merge(*keyed, key=lambda kd: kd[0])]
        written = self._new_segments(self._groups(attempts, people, audit))
        self.archive.replace_run(group, written)
        self.dropped.extend(s.number for s in group)

    # -- commit -------------------------------------------------------------------------

    def over_limit(self, data: Tables) -> bool:
        """Whether the live file holds more archivable documents than ``limits.live``
        (counted only up to the limit: a bulk save's 100k attempts are not all looked at)."""
        room = self.limits.live - len(data.get("candidates", {}))
        for counted in (
            (d for d in data.get("attempts", {}).values() if d["status"] == "submitted"),
            (d for d in data.get("audit", {}).values() if d["event"] in STORE_EVENTS),
        ):
            if room < 0:
                break
            room -= sum(1 for _ in islice(counted, room + 1))
        return room < 0

    def flush(self, data: Tables) -> int:
        """Move the live file's submitted attempts, candidates and store audit events into
        new segments when it holds more than the limit (or ``flush_all``); returns how
        many documents moved. A small last segment is merged with them, so interactive
        use does not leave a trail of small segments."""
        import heapq

        if not self.flush_all and not self.flush_due and not self.over_limit(data):
            return 0
        live_attempts = data.get("attempts", {})
        submitted, stamps = self._live_submitted(data)
        people = {d["id"]: d for d in data.get("candidates", {}).values()}
        audit = data.get("audit", {})
        events = [(k, d) for k, d in audit.items() if d["event"] in STORE_EVENTS]
        moved = len(submitted) + len(people) + len(events)
        if not moved and not self.carry_people and not self.carry_audit:
            return 0
        tail = self._small_tail()
        keyed, old_people, old_audit = self._collect(tail)
        if tail:
            rank = len(tail)
            keyed.append(
                [((t, rank, int(k)), d) for t, (k, d) in zip(stamps, submitted, strict=True)]
            )
            attempts = [d for _, d in heapq.merge(*keyed, key=lambda kd: kd[0])]
        else:  # a bulk save: nothing to merge with
            attempts = [d for _, d in submitted]
        if self.carry_people:  # a write ahead's merged small segment (``write_ahead``)
            old_people = {**self.carry_people, **old_people}
        everyone = {**old_people, **people} if old_people else people
        old_audit = self.carry_audit + old_audit
        groups = self._groups(
            attempts, everyone, old_audit + [d for _, d in events], self.ahead_placed
        )
        written = self._new_segments(groups)
        if tail:
            self.archive.replace_run(tail, written)
            self.dropped.append(tail[0].number)
        else:
            for segment in written:
                self.archive.add(segment)
        if len(submitted) == len(live_attempts):
            data["attempts"] = {}
        else:
            for key, _ in submitted:
                del live_attempts[key]
        data["candidates"] = {}
        for key, _ in events:
            del audit[key]
        self.archive.record.candidates += len(people)
        self.carry_people = {}
        self.carry_audit = []
        self.ahead_placed = set()
        self.tables.clear()
        return moved

    def commit(self) -> bool:
        """Write what changed; True when something was written (see the module docstring)."""
        if not self.buffer.dirty and not self.dropped and not self.written:
            return False
        data = self.data()
        migrating = self.version is not None and self.version < SCHEMA_VERSION
        backup = backup_path(self.path)
        if migrating:
            keep_backup(self.path, backup)
        try:
            self.finish_ahead()
            self.flush(data)
        except BaseException:
            self.abandon()
            raise
        if self.written or self.dropped:
            fsync_folder(self.folder)
            record = self.archive.record
            record.generation += 1
            data[META][META_ID]["archive"] = record.to_doc()
            self.buffer.dirty = True
        try:
            written: bool = self.buffer.commit()  # the commit point: the live file's replace
        except BaseException:
            self.abandon()
            raise
        self.written.clear()  # listed now: never removed as abandoned
        self.after_commit()
        if migrating:
            with contextlib.suppress(FileNotFoundError):
                backup.unlink()
        return written

    def after_commit(self) -> None:
        """Remove the segment files the new commit record no longer lists."""
        listed = {s.number for s in self.segments}
        gone = [n for n in self.dropped if n not in listed]
        if gone:
            self.archive.forget(gone)
            remove_segment_files(self.folder, gone)
            fsync_folder(self.folder)
        self.dropped.clear()
        self.written.clear()

    def abandon(self) -> None:
        """A write that raised: remove the segments it wrote (nothing lists them)."""
        writing, self.writing = self.writing, None
        if writing is not None:  # its child first: no file appears after the removal
            writing.stop()
        if self.written:
            self.archive.forget(self.written)
            remove_segment_files(self.folder, self.written)
            remove_segment_temps(self.folder, self.written)  # a killed writer process's
            self.written.clear()


def keep_backup(path: Path, backup: Path) -> None:
    """Keep the file being migrated as ``<name>.bak`` (a hard link, else a copy, 0600)
    until the migration's commit is done."""
    if existing_file(path) is None:
        return
    with contextlib.suppress(FileNotFoundError):
        backup.unlink()
    try:
        os.link(path, backup)
    except OSError:
        import shutil

        fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out, open(path, "rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
