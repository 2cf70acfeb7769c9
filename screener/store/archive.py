"""The archive: submitted attempts, their candidates and the store's own audit events
in size-capped TinyDB segment files beside the live file (docs/store.md, "Layout").

``screener.json`` (the live file) stays small: people and attempts of the last
few hundred writes, attempts in progress, coaching progress, program events,
layouts and meta. When it holds more than ``live_limit`` archivable documents,
the write that crossed the line moves them into new segments in
``screener.json.archive/``: ``seg-<n>.json`` (a TinyDB file, sealed like the
live file) and ``seg-<n>.idx`` (its hash index, ``hashindex.py``).

Segments never change: a segment is written once under a new number and later
only replaced whole (erasure, a rename, compaction) by another new number. The
**commit record** — the list of segments in use with their counts, in the live
file's ``meta`` — is what makes a multi-file write atomic: new segment files
are written and fsynced first, then the live file is replaced (the commit
point), and only then are the files it no longer lists removed. A reader reads
the live file once and opens the segments it lists; a segment removed by a
later commit before the reader opened it makes the reader start again from the
new live file (``Stale``), and one it had already opened stays readable.
Files no commit lists (a killed writer's) are removed by the next writer,
under the lock.

Every attempt in a segment has its candidate's record in the same segment
(copied from another segment if need be), so a segment is read on its own;
erasing or renaming someone rewrites every segment their id's index entry
points to.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson

from screener.errors import StoreError
from screener.forked import Claims, spare_core
from screener.store.files import (
    SealedTables,
    Tables,
    fsync_folder,
    open_for_reading,
    read_open_file,
    sealed_bytes,
    write_new_file,
)
from screener.store.hashindex import KINDS, SegmentIndex, hash64, hash64_many, index_bytes, name_key

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Doc = dict[str, Any]

ARCHIVE_SUFFIX = ".archive"
#: How many archivable documents (submitted attempts, candidates, the store's audit
#: events) the live file may hold before a write moves them into segments.
LIVE_LIMIT = 1000
#: The most attempts one segment holds (a lookup parses one segment: a few MB).
SEGMENT_ATTEMPTS = 8192
#: A segment with fewer attempts than this is merged by ``screener db compact``.
SMALL_SEGMENT = SEGMENT_ATTEMPTS // 2
#: Parsed segments a point lookup keeps for the rest of its transaction.
CACHE_BYTES = 64 << 20
#: How a segment screener wrote starts: its candidates table, or an empty one.
_CANDIDATES_AT = b'{"candidates":{"1":{"id":"'
_NO_CANDIDATES = b'{"candidates":{}'
_SEGMENT_FILE = re.compile(r"^seg-(\d{8,})\.(json|idx)$")
#: Where a document of a segment's table starts: its number as the key of an object.
#: Inside a JSON string every quote is escaped, so ``,"`` and ``{"`` occur only where a
#: key starts; and documents hold no objects, so a key with an object value is a
#: document's number (``Archive.person``).
_DOC_AT = re.compile(rb'[{,]"(\d+)":\{')
#: How each table after the first starts, and meta (written last, ``sealed_bytes``).
_ATTEMPTS_AT = b',"attempts":{'
_AUDIT_AT = b',"audit":{'
_META_AT = b',"meta":{"1":'
#: Above this many values a segment's hashes are computed with numpy.
_VECTOR_MIN = 2000


class Stale(Exception):
    """A segment the live file listed is gone: a newer commit replaced it; read again."""


def archive_folder(db_path: Path) -> Path:
    """The archive folder of a database: ``<name>.archive`` beside the live file."""
    return db_path.with_name(db_path.name + ARCHIVE_SUFFIX)


def segment_path(folder: Path, number: int, ext: str) -> Path:
    return folder / f"seg-{number:08d}.{ext}"


def sort_stamp(doc: Doc) -> str:
    """The time attempts are ordered by: submitted, else started (as ``iter_attempts``)."""
    return doc.get("submitted") or doc.get("started") or ""


@dataclass(frozen=True)
class Segment:
    """One row of the commit record: a segment file and what it holds.

    ``layouts``: per layout number used, how many attempts, and the position and
    time of the first (attempts are stored in time order), so counts and export
    columns need no parse. ``first``/``last``: the earliest and latest attempt
    time, so a merge of segments opens each only when it is reached.
    """

    number: int
    attempts: int
    candidates: int
    audit: int
    first: str
    last: str
    layouts: tuple[tuple[int, int, int, str], ...]
    size: int

    def to_doc(self) -> Doc:
        return {
            "n": self.number,
            "attempts": self.attempts,
            "candidates": self.candidates,
            "audit": self.audit,
            "first": self.first,
            "last": self.last,
            "layouts": [list(t) for t in self.layouts],
            "bytes": self.size,
        }

    @classmethod
    def from_doc(cls, doc: Any) -> Segment:
        if type(doc) is not dict:
            raise ValueError("a segment entry is not an object")
        whole = ("n", "attempts", "candidates", "audit", "bytes")
        if any(type(doc.get(k)) is not int or doc[k] < 0 for k in whole):
            raise ValueError(f"segment entry {str(doc.get('n'))[:20]} has a bad count")
        if type(doc.get("first")) is not str or type(doc.get("last")) is not str:
            raise ValueError(f"segment entry {doc['n']} has a bad time")
        layouts = doc.get("layouts")
        if type(layouts) is not list or any(
            type(t) is not list
            or len(t) != 4
            or any(type(v) is not int for v in t[:3])
            or type(t[3]) is not str
            for t in layouts
        ):
            raise ValueError(f"segment entry {doc['n']} has bad layout counts")
        return cls(
            doc["n"],
            doc["attempts"],
            doc["candidates"],
            doc["audit"],
            doc["first"],
            doc["last"],
            tuple((a, b, c, d) for a, b, c, d in layouts),
            doc["bytes"],
        )


@dataclass
class Record:
    """The commit record (``meta.archive``): the segments in use, oldest first."""

    generation: int = 0
    next: int = 1
    candidates: int = 0  # distinct candidates whose records are in segments
    segments: list[Segment] = field(default_factory=list)

    def to_doc(self) -> Doc:
        return {
            "generation": self.generation,
            "next": self.next,
            "candidates": self.candidates,
            "segments": [s.to_doc() for s in self.segments],
        }

    @classmethod
    def from_meta(cls, head: Any, path: Path) -> Record:
        doc = head.get("archive") if type(head) is dict else None
        if doc is None:
            return cls()
        try:
            if type(doc) is not dict:
                raise ValueError("it is not an object")
            numbers = ("generation", "next", "candidates")
            if any(type(doc.get(k)) is not int or doc[k] < 0 for k in numbers):
                raise ValueError("a bad generation or count")
            if type(doc.get("segments")) is not list:
                raise ValueError("no list of segments")
            segments = [Segment.from_doc(s) for s in doc["segments"]]
            if len({s.number for s in segments}) != len(segments) or any(
                s.number >= doc["next"] for s in segments
            ):
                raise ValueError("segment numbers repeat or run past 'next'")
        except ValueError as exc:
            raise StoreError(
                f"{path} is not a screener database (meta document 1: archive: {exc}); "
                "left untouched"
            ) from None
        return cls(doc["generation"], doc["next"], doc["candidates"], segments)

    @property
    def attempts(self) -> int:
        return sum(s.attempts for s in self.segments)

    @property
    def audit(self) -> int:
        return sum(s.audit for s in self.segments)

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)


def _person_of(tables: Tables, candidate_id: str) -> Tables:
    """``Archive.person`` from a segment's parsed tables."""
    return {
        "candidates": {k: d for k, d in tables["candidates"].items() if d["id"] == candidate_id},
        "attempts": {k: d for k, d in tables["attempts"].items() if d["cand"] == candidate_id},
        "audit": {k: d for k, d in tables["audit"].items() if d.get("cand") == candidate_id},
    }


def _docs_with(mapped: mmap.mmap, start: int, end: int, pair: bytes) -> dict[str, Doc] | None:
    """The documents of the table whose ``{`` is at ``start`` and ``}`` at ``end - 1``
    holding the key and value ``pair`` (bytes as orjson writes them), by number; None
    when the bytes are not laid out as expected.

    ``[{,]`` + ``pair`` + ``[,}]`` is that key and value wherever it occurs (a quote in
    a string is escaped; the value's closing quote is in ``pair``); its document
    starts at the last ``_DOC_AT`` before it and ends where the next one starts, or
    at the table's end.
    """
    if mapped[start : start + 1] != b"{" or mapped[end - 1 : end] != b"}":
        return None
    found: dict[str, Doc] = {}
    at = mapped.find(pair, start, end)
    while at >= 0:
        after = at + len(pair)
        if mapped[at - 1 : at] in (b"{", b",") and mapped[after : after + 1] in (b",", b"}"):
            begin: re.Match[bytes] | None = None
            low, reach = at, 1024
            while begin is None and low > start:  # back from the pair, a few kB at a time
                low = max(start, at - reach)
                starts = list(_DOC_AT.finditer(mapped, low, at))
                begin = starts[-1] if starts else None
                reach *= 4
            if begin is None:
                return None
            following = _DOC_AT.search(mapped, after, end)
            stop = following.start() if following is not None else end - 1
            doc = orjson.loads(mapped[begin.end() - 1 : stop])
            if type(doc) is not dict:
                return None
            found[begin.group(1).decode()] = doc
            at = stop
        at = mapped.find(pair, at + 1, end)
    return found


def _damaged(path: Path, why: str) -> StoreError:
    return StoreError(
        f"{path} is damaged ({why}); it is part of the results database: restore it "
        "from a backup; left untouched"
    )


class Archive:
    """The segments one version of the live file lists, read lazily.

    ``hold``: open every segment now (readers, who take no lock: a file opened
    stays readable when a later commit removes it). Writers hold the lock, so
    nothing changes under them, and open files as needed.
    """

    def __init__(self, db_path: Path, record: Record, *, hold: bool) -> None:
        self.folder = archive_folder(db_path)
        self.record = record
        self.by_number = {s.number: s for s in record.segments}
        self.rank = {s.number: i for i, s in enumerate(record.segments)}
        self._fds: dict[tuple[int, str], int] = {}
        self._indexes: dict[int, SegmentIndex] = {}
        self._tables: OrderedDict[int, Tables] = OrderedDict()
        self._sizes: dict[int, int] = {}
        self._cached = 0
        self._people: dict[tuple[int, str], Tables] = {}
        self.holding = hold
        _allow_files(2 * len(record.segments))
        if hold:
            try:
                for seg in record.segments:
                    for ext in ("json", "idx"):
                        self._fd(seg.number, ext)
            except BaseException:
                self.close()
                raise

    @property
    def segments(self) -> list[Segment]:
        return self.record.segments

    def _fd(self, number: int, ext: str) -> int:
        fd = self._fds.get((number, ext))
        if fd is None:
            path = segment_path(self.folder, number, ext)
            try:
                fd = open_for_reading(path)
            except FileNotFoundError:
                raise Stale(str(path)) from None
            self._fds[(number, ext)] = fd
        return fd

    def index(self, seg: Segment) -> SegmentIndex:
        found = self._indexes.get(seg.number)
        if found is None:
            path = segment_path(self.folder, seg.number, "idx")
            found = SegmentIndex(path, self._fd(seg.number, "idx"))
            self._indexes[seg.number] = found
        return found

    def tables(self, seg: Segment, *, keep: bool = True) -> Tables:
        """A segment's tables, parsed; kept for later calls when ``keep`` and small enough."""
        found = self._tables.get(seg.number)
        if found is not None:
            self._tables.move_to_end(seg.number)
            return found
        path = segment_path(self.folder, seg.number, "json")
        data = read_open_file(path, self._fd(seg.number, "json"))
        if not self.holding:  # a writer: nothing can change under its lock
            with contextlib.suppress(OSError):
                os.close(self._fds.pop((seg.number, "json")))
        check_segment(data, path, seg.number)
        assert data is not None
        if keep:
            self._tables[seg.number] = data
            self._cached += seg.size
            while self._cached > CACHE_BYTES and len(self._tables) > 1:
                number, _ = self._tables.popitem(last=False)
                self._cached -= self._sizes.get(number, 0)
            self._sizes[seg.number] = seg.size
        return data

    def person(self, seg: Segment, candidate_id: str) -> Tables:
        """The documents of ``seg`` about one candidate: their candidate record, their
        attempts and the audit events naming them, keyed by their document numbers as in
        ``tables`` (which holds the same documents among the rest of the segment).

        A reader (``show``, ``report``) finds them in the segment's bytes and parses
        those alone (``_person_from_bytes``: a few kB instead of the ~3 MB segment,
        ~1 ms instead of ~30), after checking the segment's seal, number and version as
        ``tables`` does. Anything not laid out as screener writes it is parsed whole,
        which refuses a damaged segment as every read does.
        """
        key = (seg.number, candidate_id)
        found = self._people.get(key)
        if found is not None:
            return found
        whole = self._tables.get(seg.number)
        if whole is None and self.holding:
            found = self._person_from_bytes(seg, candidate_id)
        if found is None:
            found = _person_of(self.tables(seg), candidate_id)
        if self.holding:  # a reader's segments never change; a writer's may be replaced
            self._people[key] = found
        return found

    def _person_from_bytes(self, seg: Segment, candidate_id: str) -> Tables | None:
        """``person`` read from the segment's bytes, or None when they are not laid out
        as screener writes them (``segment_tables`` then ``sealed_bytes``, orjson: the
        tables in that order, meta last, no blanks) or the seal, the number or the
        version is wrong (``tables`` then says which)."""
        from screener.store.files import _seal_matches as seal_matches
        from screener.store.schema import SCHEMA_VERSION

        fd = self._fd(seg.number, "json")
        try:
            if os.fstat(fd).st_size == 0:
                return None
            with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mapped, memoryview(mapped) as view:
                if not mapped[:16].startswith(b'{"candidates":{'):
                    return None
                meta_at = mapped.rfind(_META_AT)
                if meta_at < 0 or mapped[-2:] != b"}}":
                    return None
                head = orjson.loads(view[meta_at + len(_META_AT) : len(mapped) - 2])
                if (
                    type(head) is not dict
                    or not seal_matches(mapped, view, {"meta": {"1": head}})
                    or type(head.get("schema_version")) is not int
                    or head["schema_version"] > SCHEMA_VERSION
                    or head.get("segment") != seg.number
                ):
                    return None
                attempts_at = mapped.find(_ATTEMPTS_AT)
                audit_at = mapped.find(_AUDIT_AT, max(attempts_at, 0))
                if not 0 < attempts_at < audit_at < meta_at:
                    return None
                needle = orjson.dumps(candidate_id)  # as it is written in the file
                spans = (
                    ("candidates", len(b'{"candidates":'), attempts_at, b'"id":'),
                    ("attempts", attempts_at + len(_ATTEMPTS_AT) - 1, audit_at, b'"cand":'),
                    ("audit", audit_at + len(_AUDIT_AT) - 1, meta_at, b'"cand":'),
                )
                out: Tables = {}
                for table, start, end, field_at in spans:
                    docs = _docs_with(mapped, start, end, field_at + needle)
                    if docs is None:
                        return None
                    out[table] = docs
        except (OSError, ValueError):  # orjson's error is a ValueError: parsed whole
            return None
        wanted = (("candidates", "id"), ("attempts", "cand"), ("audit", "cand"))
        if any(d.get(f) != candidate_id for t, f in wanted for d in out[t].values()):
            return None  # pragma: no cover - the bytes said so
        return out

    def candidate_ids(self, seg: Segment, prefix: str) -> list[str]:
        """The ids starting with ``prefix`` of the candidates ``seg`` holds (shell
        completion: a prefix cannot be asked of an index of hashes).

        A segment screener wrote is ``orjson.dumps`` of its tables, the candidates
        table first, its documents numbered from 1 (``segment_tables``): the ids are
        found in those bytes without parsing the segment (its first fifth; 125
        segments in ~0.15 s instead of ~8 s). A string's quotes are escaped inside
        it, so ``"id":"`` occurs only where a document's id starts, and the table
        ends at the first ``}},"``, just after document number ``seg.candidates``.
        A segment whose bytes are not laid out so is parsed.
        """
        fd = self._fd(seg.number, "json")
        span: bytes | None = None
        try:
            with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mapped:
                head = mapped[: len(_CANDIDATES_AT)]
                if head.startswith(_NO_CANDIDATES):
                    span = b"" if seg.candidates == 0 else None
                elif head == _CANDIDATES_AT:
                    end = mapped.find(b'}},"')
                    last = b',"%d":{"id":"' % seg.candidates if seg.candidates > 1 else head
                    if end > 0 and mapped.rfind(last, 0, end) >= 0:
                        span = mapped[: end + 1]
        except (OSError, ValueError):  # an empty file: parsed below, which says what is wrong
            span = None
        if span is not None:
            wanted = orjson.dumps(prefix)[1:-1]  # the prefix as it is written in the file
            pattern = rb'"id":"(' + re.escape(wanted) + rb'(?:[^"\\]|\\.)*)"'
            return [orjson.loads(b'"' + found + b'"') for found in re.findall(pattern, span)]
        return [
            doc["id"]
            for doc in self.tables(seg, keep=False)["candidates"].values()
            if doc["id"].startswith(prefix)
        ]

    def probe(self, kind: str, value: str) -> list[Segment]:
        """The segments whose index says they may hold ``value`` (a ``KINDS`` lookup)."""
        if not self.segments:
            return []
        h = hash64(name_key(value) if kind == "name" else value)
        return [s for s in self.segments if self.index(s).has(kind, h)]

    def probe_many(self, kind: str, values: Sequence[str]) -> list[tuple[Segment, Sequence[bool]]]:
        """For many values at once: each segment that may hold some, with a mask of which
        (numpy for many values; a few are looked up one by one, without importing it)."""
        if not self.segments or not values:
            return []
        found: list[tuple[Segment, Sequence[bool]]] = []
        if len(values) < 64:
            few = [hash64(name_key(v) if kind == "name" else v) for v in values]
            for seg in self.segments:
                index = self.index(seg)
                hits = [index.has(kind, h) for h in few]
                if any(hits):
                    found.append((seg, hits))
            return found
        import numpy as np

        texts = [name_key(v) for v in values] if kind == "name" else list(values)
        hashes = hash64_many(texts)
        ordered = np.sort(hashes)
        last = len(ordered) - 1
        # a bit per value of the hashes' top bits (~32 slots per asked value): a
        # segment's hashes are looked up in it first, and only the few that pass (~3%
        # of them when nothing is there) are searched among the asked ones
        bits = min(max(len(values).bit_length() + 5, 10), 24)
        shift = np.uint64(64 - bits)
        table = np.zeros(1 << bits, dtype=bool)
        table[ordered >> shift] = True
        groups: tuple[Any, Any, Any] | None = None
        for seg in self.segments:
            stored = self.index(seg).array(kind)
            if not len(stored):
                continue
            stored = stored[table[stored >> shift]]
            if not len(stored):
                continue
            # the segment's (fewer) hashes looked up among the asked ones, both sorted
            at = np.minimum(np.searchsorted(ordered, stored), last)
            hit = ordered[at] == stored
            if hit.any():
                if groups is None:  # which asked values share a hash: once, on a first hit
                    order = np.argsort(hashes, kind="stable")
                    new_run = np.ones(len(ordered), dtype=bool)
                    new_run[1:] = ordered[1:] != ordered[:-1]
                    group = np.cumsum(new_run) - 1  # run number of each asked value (sorted)
                    groups = order, group, np.flatnonzero(new_run)
                order, group, groups_first = groups
                # ``at`` is the first of a run of equal asked values: mark each run whole
                group_hit = np.zeros(len(groups_first), dtype=bool)
                group_hit[group[at[hit]]] = True
                mask_sorted = group_hit[group]
                mask = np.zeros(len(values), dtype=bool)
                mask[order[mask_sorted]] = True
                found.append((seg, cast(Sequence[bool], mask)))
        return found

    # -- a writer's changes to the working list (listed at its commit) -------------------

    def _renumber(self) -> None:
        self.by_number = {s.number: s for s in self.record.segments}
        self.rank = {s.number: i for i, s in enumerate(self.record.segments)}

    def add(self, segment: Segment) -> None:
        self.record.segments.append(segment)
        self._renumber()

    def replace(self, old: Segment, new: Sequence[Segment]) -> None:
        at = self.record.segments.index(old)
        self.record.segments[at : at + 1] = list(new)
        self._renumber()

    def replace_run(self, run: Sequence[Segment], new: Sequence[Segment]) -> None:
        """Replace consecutive segments ``run`` by ``new`` at the same place."""
        at = self.record.segments.index(run[0])
        assert self.record.segments[at : at + len(run)] == list(run)
        self.record.segments[at : at + len(run)] = list(new)
        self._renumber()

    def clone(self) -> Archive:
        """Another reader of the same segments with its own descriptors (duplicated, so a
        segment removed meanwhile stays readable), for a stream that outlives its read."""
        other = Archive.__new__(Archive)
        other.folder = self.folder
        other.record = Record(
            self.record.generation,
            self.record.next,
            self.record.candidates,
            list(self.record.segments),
        )
        other._renumber()
        other._fds = {}
        other._indexes = {}
        other._tables = OrderedDict()
        other._sizes = {}
        other._cached = 0
        other._people = {}
        other.holding = True
        _allow_files(4 * len(self.record.segments))
        try:
            for seg in self.record.segments:
                for ext in ("json", "idx"):
                    other._fds[(seg.number, ext)] = os.dup(self._fd(seg.number, ext))
        except BaseException:
            other.close()
            raise
        return other

    def hold_all(self) -> None:
        """Open every listed segment now (a stream that outlives the writer's lock)."""
        for seg in self.record.segments:
            for ext in ("json", "idx"):
                self._fd(seg.number, ext)

    def forget(self, numbers: Iterable[int]) -> None:
        """Close what is open of these segments (about to be removed)."""
        for number in numbers:
            index = self._indexes.pop(number, None)
            if index is not None:
                index.close()
            for ext in ("json", "idx"):
                fd = self._fds.pop((number, ext), None)
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            if self._tables.pop(number, None) is not None:
                self._cached -= self._sizes.pop(number, 0)

    def close(self) -> None:
        for index in self._indexes.values():
            with contextlib.suppress(Exception):
                index.close()
        self._indexes.clear()
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()
        self._tables.clear()
        self._cached = 0


def _allow_files(count: int) -> None:
    """Raise this process's open-file limit when a reader must hold ``count`` files."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def check_segment(data: Tables | None, path: Path, number: int) -> None:
    """Refuse a segment that is not exactly as screener wrote it (sealed, numbered)."""
    from screener.store.schema import SCHEMA_VERSION

    if data is None:
        raise _damaged(path, "it is empty")
    if not isinstance(data, SealedTables):
        raise _damaged(path, "its seal does not match its contents")
    head = data.get("meta", {}).get("1")
    version = head.get("schema_version") if isinstance(head, dict) else None
    if type(version) is int and version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer screener (schema {version}); upgrade screener"
        )
    if not isinstance(head, dict) or head.get("segment") != number:
        raise _damaged(path, f"it is not segment {number}")


# -- writing -------------------------------------------------------------------------


_NUMBERS: list[str] = []


def _numbers(count: int) -> list[str]:
    """At least ``count`` document numbers ("1", "2"...): made once per process, their
    hashes kept, so a segment's tables are filled in less than half the time."""
    if len(_NUMBERS) < count:
        _NUMBERS.extend(map(str, range(len(_NUMBERS) + 1, count + 1)))
    return _NUMBERS


def segment_tables(
    number: int, candidates: Iterable[Doc], attempts: Iterable[Doc], audit: Iterable[Doc]
) -> Tables:
    """A segment's TinyDB tables: documents numbered from 1 in the order given."""
    from screener.store.schema import SCHEMA_VERSION

    def numbered(docs: Iterable[Doc]) -> dict[str, Doc]:
        listed = list(docs)
        return dict(zip(_numbers(len(listed)), listed, strict=False))  # (more numbers)

    return {
        "candidates": numbered(candidates),
        "attempts": numbered(attempts),
        "audit": numbered(audit),
        "meta": {"1": {"schema_version": SCHEMA_VERSION, "segment": number}},
    }


def _hashes(texts: list[str]) -> list[int] | npt.NDArray[np.uint64]:
    if len(texts) >= _VECTOR_MIN:
        return hash64_many(texts)
    return [hash64(t) for t in texts]


def index_of(tables: Tables) -> bytes:
    """The ``.idx`` bytes of a segment's tables (see ``hashindex``)."""
    people = list(tables["candidates"].values())
    attempts = list(tables["attempts"].values())
    audit = list(tables["audit"].values())
    cands = set(map(itemgetter("id"), people))
    cands.update(map(itemgetter("cand"), attempts))
    cands.update(d["cand"] for d in audit if d.get("cand") is not None)
    attempt_ids = list(map(itemgetter("id"), attempts))
    attempt_ids += [d["attempt"] for d in audit if d.get("attempt") is not None]
    keys = [k for k in map(dict.get, attempts, repeat("key")) if k is not None]
    # stored names are clean (``records.clean_name``: spacing runs made one space), so
    # casefolding them is ``name_key``
    names = {name.casefold() for name in map(itemgetter("name"), people)}
    cand_hashes = _hashes(list(cands))
    columns = {
        "cand": cand_hashes,
        # people named by their (lower-case) ids, as a batch file without names makes
        # them: the same texts, so the same hashes
        "name": cand_hashes if names == cands else _hashes(list(names)),
        "attempt": _hashes(attempt_ids),
        "key": _hashes(keys),
    }
    assert set(columns) == set(KINDS)
    return index_bytes(columns)  # type: ignore[arg-type]


def write_segment(
    folder: Path, number: int, tables: Tables, like: os.stat_result | None
) -> Segment:
    """Write segment ``number`` (its ``.json`` and ``.idx``); returns its commit-record row.

    ``tables`` must hold its attempts in time order (``sort_stamp``).
    """
    attempts = list(tables["attempts"].values())
    column = list(map(itemgetter("layout"), attempts))
    layouts: dict[int, list[Any]] = {}
    for layout in dict.fromkeys(column):
        pos = column.index(layout)
        layouts[layout] = [column.count(layout), pos, sort_stamp(attempts[pos])]
    payload = sealed_bytes(tables)
    # the data file is written and fsynced by a thread while the index is computed
    # (fsync waits without the GIL); both are listed only at the commit, so their order
    # does not matter, and both are written (or the error raised) before this returns
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        data = pool.submit(write_new_file, segment_path(folder, number, "json"), payload, like)
        try:
            write_new_file(segment_path(folder, number, "idx"), index_of(tables), like)
        except BaseException:
            pool.shutdown(wait=True)  # the data file's outcome does not matter now
            raise
        data.result()
    return Segment(
        number=number,
        attempts=len(attempts),
        candidates=len(tables["candidates"]),
        audit=len(tables["audit"]),
        first=sort_stamp(attempts[0]) if attempts else "",
        last=sort_stamp(attempts[-1]) if attempts else "",
        layouts=tuple((n, c, p, t) for n, (c, p, t) in layouts.items()),
        size=len(payload),
    )


#: A commit of at least this many attempts in two or more segments forks a process to
#: write some of them (a fork of a big heap costs ~20-50 ms; a segment ~35 ms of CPU).
PARALLEL_MIN = 12_000

#: One segment to write: its number, candidates, attempts (in time order), audit events;
#: or a function making them (called by the process that writes the segment, so the
#: documents of a forked child's segments are made in the child only).
SegmentJob = (
    tuple[int, list[Doc], list[Doc], list[Doc]]
    | Callable[[], tuple[int, list[Doc], list[Doc], list[Doc]]]
)


def _write_job(folder: Path, job: SegmentJob, like: os.stat_result | None) -> Segment:
    number, people, attempts, audit = job() if callable(job) else job
    return write_segment(folder, number, segment_tables(number, people, attempts, audit), like)


def write_segments(
    folder: Path,
    jobs: Sequence[SegmentJob],
    like: os.stat_result | None,
    *,
    fork: bool,
    size: int | None = None,
) -> list[Segment]:
    """Write new segments; returns their commit-record rows, in the order of ``jobs``
    (``SegmentWriting`` started and finished at once)."""
    return SegmentWriting(folder, jobs, like, fork=fork, size=size).finish()


class SegmentWriting:
    """New segments being written, by this process and (for a big commit) a forked one.

    A big commit is written by two processes (the machine's other core, when one is
    idle: ``spare_core``). The child starts at once, while this process goes on with
    the rest of its write, and takes the jobs from the first one on; ``finish`` takes
    them from the last one down, until none is left (``forked.Claims``: each job is
    taken once, however the two speeds differ). The child reports its rows through a
    pipe. Nothing lists the segments until the caller's commit, which comes
    after both are done, so the split changes nothing a reader or a crash can see.

    The child shares the write lock (an ``flock`` belongs to the open file, which
    the fork shares), so when this process is killed the lock is held until the
    child has finished too and no other writer can reuse these segment numbers
    meanwhile. A child that fails or is killed makes ``finish`` raise a one-line
    ``StoreError``; the caller removes what was written (``Txn.abandon``), and calls
    ``stop`` when it fails before ``finish``. ``fork`` False (no ``flock`` to share,
    no ``os.fork``) or a small commit: all written here by ``finish``. ``size``: the
    number of attempts, when some jobs are functions.
    """

    def __init__(
        self,
        folder: Path,
        jobs: Sequence[SegmentJob],
        like: os.stat_result | None,
        *,
        fork: bool,
        size: int | None = None,
    ) -> None:
        self.folder = folder
        self.jobs = list(jobs)
        self.like = like
        self.pid = 0
        self._claims: Claims | None = None
        self._report = -1
        if size is None:
            size = sum(len(job[2]) for job in jobs if not callable(job))
        if (
            not fork
            or not 2 <= len(jobs) <= Claims.MOST
            or size < PARALLEL_MIN
            or not hasattr(os, "fork")
            or not spare_core()
        ):
            return
        try:
            claims = Claims(len(self.jobs))
        except OSError:  # no pipe to spare: all written here
            return
        try:
            report, report_in = os.pipe()
        except OSError:
            claims.close()
            return
        try:
            pid = os.fork()
        except OSError:  # no process to spare: all written here
            claims.close()
            os.close(report)
            os.close(report_in)
            return
        if pid == 0:  # pragma: no cover - the child (coverage does not follow a fork)
            os.close(report)
            _segment_child(folder, self.jobs, like, claims, report_in)
        os.close(report_in)
        self.pid, self._claims, self._report = pid, claims, report

    def finish(self) -> list[Segment]:
        """Write the jobs the child has not taken (all of them without a child), wait for
        it; the rows of every job, in order."""
        if not self.pid:
            return [_write_job(self.folder, job, self.like) for job in self.jobs]
        mine: list[Segment] = []
        claims = self._claims
        try:
            for job in reversed(self.jobs):
                if claims is None or not claims.take():
                    break
                mine.append(_write_job(self.folder, job, self.like))
            report = _read_all(self._report)
            status = os.waitpid(self.pid, 0)[1]
            self.pid = 0
        except BaseException:
            self.stop()
            raise
        finally:
            self._close()
        theirs = _child_rows(self.folder, report, status, len(self.jobs) - len(mine))
        return theirs + mine[::-1]

    def stop(self) -> None:
        """This process failed while its child writes: stop the child and reap it, so no
        file appears after the caller has removed what was written."""
        pid, self.pid = self.pid, 0
        _stop(pid)
        self._close()

    def _close(self) -> None:
        if self._claims is not None:
            self._claims.close()
            self._claims = None
        if self._report >= 0:
            with contextlib.suppress(OSError):
                os.close(self._report)
            self._report = -1


def _segment_child(
    folder: Path,
    jobs: Sequence[SegmentJob],
    like: os.stat_result | None,
    claims: Claims,
    report: int,
) -> None:  # pragma: no cover - runs in the forked child
    """The forked writer: write jobs from the first on while a claim is left in the
    pipe, report their rows (or the error), exit."""
    code = 1
    try:
        try:
            rows = []
            for job in jobs:
                if not claims.take():
                    break
                rows.append(_write_job(folder, job, like).to_doc())
            message = orjson.dumps({"rows": rows})
            code = 0
        except BaseException as exc:  # reported to the parent, in one line
            text = " ".join(str(exc).split()) or type(exc).__name__
            message = orjson.dumps({"error": text})
        view = memoryview(message)
        while view:
            view = view[os.write(report, view) :]
    finally:
        os._exit(code)


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, 1 << 16):
        parts.append(chunk)
    return b"".join(parts)


def _stop(pid: int) -> None:
    """This process failed while its child writes: stop the child and reap it, so no
    file appears after the caller has removed what was written."""
    if pid:
        import signal

        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _child_rows(folder: Path, report: bytes, status: int, taken: int) -> list[Segment]:
    """The rows of the ``taken`` segments the child wrote, or its failure as a
    one-line error."""
    code = os.waitstatus_to_exitcode(status)
    try:
        answer = orjson.loads(report) if report else {}
    except orjson.JSONDecodeError:
        answer = {}
    rows = answer.get("rows") if type(answer) is dict else None
    if code != 0 or type(rows) is not list or len(rows) != taken:
        if code < 0:
            import signal

            why = f"it was stopped by {signal.Signals(-code).name}"
        elif type(answer) is dict and type(answer.get("error")) is str:
            why = answer["error"]
        else:
            why = f"it exited with status {code}"
        raise StoreError(f"cannot write the archive segments in {folder}: {why}")
    try:
        return [Segment.from_doc(row) for row in rows]
    except ValueError as exc:  # pragma: no cover - the child wrote them
        raise StoreError(f"cannot write the archive segments in {folder}: {exc}") from None


def remove_segment_temps(folder: Path, numbers: Iterable[int]) -> None:
    """Remove the temp files of these segments' writes (a killed writer process's)."""
    wanted = {f"seg-{number:08d}" for number in numbers}  # ``.seg-N.json.<random>.tmp``
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(".tmp") and name.split(".")[1] in wanted:
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()


def remove_segment_files(folder: Path, numbers: Iterable[int]) -> None:
    for number in numbers:
        for ext in ("json", "idx"):
            with contextlib.suppress(FileNotFoundError):
                segment_path(folder, number, ext).unlink()


def collect_garbage(folder: Path, record: Record) -> list[Path]:
    """Remove segment files no commit lists and temp files (a killed writer's); under
    the lock only. Returns what was removed."""
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return removed
    except OSError as exc:
        raise StoreError(f"cannot read {folder}: {exc.strerror or exc}") from None
    listed = {s.number for s in record.segments}
    for name in names:
        match = _SEGMENT_FILE.match(name)
        stale = (match is not None and int(match.group(1)) not in listed) or (
            name.startswith(".seg-") and name.endswith(".tmp")
        )
        if stale:
            path = folder / name
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    if removed:
        fsync_folder(folder)
    return removed


def chunks(docs: Sequence[Doc], size: int) -> Iterator[Sequence[Doc]]:
    for start in range(0, len(docs), size):
        yield docs[start : start + size]


def folder_mode(file_mode: int) -> int:
    """The archive folder's mode for a live file of ``file_mode``: 0700, plus read and
    search for the group (and others) the live file is shared with."""
    mode = 0o700
    for shift in (3, 0):
        if file_mode & (0o6 << shift):
            mode |= 0o7 << shift
    return mode


def make_folder(folder: Path, like: os.stat_result | None) -> None:
    """Create the archive folder (0700, or shared like the live file)."""
    mode = folder_mode(like.st_mode & 0o777) if like is not None else 0o700
    try:
        os.mkdir(folder, mode)
    except FileExistsError:
        if not folder.is_dir() or folder.is_symlink():
            raise StoreError(
                f"{folder} is not a folder, so it cannot hold the database's archive; move it away"
            ) from None
        return
    except OSError as exc:
        raise StoreError(f"cannot create {folder}: {exc.strerror or exc}") from None
    if like is not None:
        with contextlib.suppress(OSError):
            os.chown(folder, like.st_uid, like.st_gid)
    with contextlib.suppress(OSError):
        os.chmod(folder, mode)  # mkdir's mode is cut by the umask


MatchFn = Callable[[Doc], bool]
