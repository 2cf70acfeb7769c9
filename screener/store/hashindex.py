"""Each archive segment's index: which candidates, names, attempts and keys it holds.

A segment of the archive (``archive.py``) is a TinyDB file of up to a few
thousand submitted attempts; finding one candidate among a million attempts
must not parse them all. Beside each segment ``seg-N.json`` sits ``seg-N.idx``:
for each kind of lookup (``KINDS``) the sorted 64-bit hashes (``hash64``) of
the values the segment holds. A lookup hashes its value and binary-searches each
segment's array (``bisect`` over the mapped file: no parsing, no numpy), and
parses only the segments that answer yes. The index only routes: every hit is
checked against the segment's documents, so a hash collision costs a parse,
never a wrong answer. It holds no id, name or key, only their hashes.

File format (little-endian): 32-byte header — magic ``SCRIDX01``, the four
array lengths (uint32), the CRC-32 of the arrays, 4 bytes zero — then the
arrays, in ``KINDS`` order, as uint64.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
import zlib
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from screener.errors import StoreError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: What a segment can be asked about: a candidate id (their record, an attempt or an
#: audit event of theirs is in it), a candidate's name as compared (``name_key``),
#: an attempt id, a submission key.
KINDS = ("cand", "name", "attempt", "key")
MAGIC = b"SCRIDX01"
HEADER = struct.Struct("<8s4III")


def name_key(name: str) -> str:
    """A name as lookups compare it: spacing runs made one space, any case."""
    return " ".join(name.split()).casefold()


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate: never stored, but may be asked about
        return text.encode("utf-8", "surrogatepass")


_REVERSED = itemgetter(slice(None, None, -1))


def hash64(text: str) -> int:
    """The 64-bit hash the index keeps of ``text``: the CRC-32 of its UTF-8 bytes, then
    the CRC-32 of those bytes reversed (two different linear maps: a pair of texts
    that collide in both is as rare as 64 random bits make it)."""
    raw = _utf8(text)
    return (zlib.crc32(raw) << 32) | zlib.crc32(raw[::-1])


#: CRC-32's byte table (zlib's polynomial), made once when first needed.
_CRC_TABLE: list[npt.NDArray[np.uint32]] = []
#: ASCII texts of one length up to this are hashed column by column (``_crc32_columns``).
_COLUMNS_MAX = 40


def _crc32_columns(columns: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """``zlib.crc32`` of each column of ``columns`` (one row per byte position): the
    table-driven CRC, one step per byte position for all texts at once."""
    import numpy as np

    if not _CRC_TABLE:
        table = np.arange(256, dtype=np.uint32)
        for _ in range(8):
            table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1)
        _CRC_TABLE.append(table.astype(np.uint32))
    table = _CRC_TABLE[0]
    crc = np.full(columns.shape[1], 0xFFFFFFFF, dtype=np.uint32)
    step = np.empty_like(crc)
    for column in columns:
        np.bitwise_xor(crc, column, out=step)
        np.bitwise_and(step, 0xFF, out=step)
        looked = table.take(step)
        crc >>= np.uint32(8)
        crc ^= looked
    crc ^= np.uint32(0xFFFFFFFF)
    return crc


def hash64_many(texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """``hash64`` of many texts at once: the same numbers, with every loop in C.

    ASCII texts (attempt ids, submission keys, candidate ids) are hashed as a matrix
    of bytes per width, a byte position at a time (``_crc32_columns``): 100k
    attempt ids in ~12 ms instead of ~28 with a ``zlib.crc32`` call per text and
    direction, 100k candidate ids of a few widths in ~15 ms instead of ~40."""
    import numpy as np

    n = len(texts)
    if n > 1:
        joined = "".join(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        if joined.isascii() and int(lengths.min()) > 0 and int(lengths.max()) <= _COLUMNS_MAX:
            data = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
            starts = np.cumsum(lengths) - lengths
            out = np.empty(n, dtype=np.uint64)
            # the widths present (np.unique would import numpy.ma: ~15 ms per process)
            widths = np.flatnonzero(np.bincount(lengths)).tolist()
            for width in widths:
                picked = np.flatnonzero(lengths == width) if len(widths) > 1 else slice(None)
                if len(widths) > 1:
                    rows = data[starts[picked][:, None] + np.arange(width)]
                else:
                    rows = data.reshape(n, width)
                columns = np.ascontiguousarray(rows.T)
                high = _crc32_columns(columns).astype(np.uint64)
                low = _crc32_columns(columns[::-1])  # the bytes reversed
                out[picked] = (high << np.uint64(32)) | low
            return out
    try:
        raw = list(map(str.encode, texts))
    except UnicodeEncodeError:
        raw = list(map(_utf8, texts))
    high = np.fromiter(map(zlib.crc32, raw), dtype=np.uint64, count=n)
    low = np.fromiter(map(zlib.crc32, map(_REVERSED, raw)), dtype=np.uint64, count=n)
    result: npt.NDArray[np.uint64] = (high << np.uint64(32)) | low
    return result


def index_bytes(columns: dict[str, Iterable[int] | npt.NDArray[np.uint64]]) -> bytes:
    """The ``.idx`` file of a segment: per kind, the sorted distinct hashes given."""
    arrays: list[bytes] = []
    counts: list[int] = []
    for kind in KINDS:
        values = columns.get(kind, ())
        if hasattr(values, "dtype"):
            import numpy as np

            ordered = np.sort(np.asarray(values, dtype=np.uint64))
            if len(ordered) > 1:  # distinct (np.unique hashes first: several times slower)
                ordered = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
            data = ordered.astype("<u8").tobytes()
            counts.append(len(data) // 8)
        else:
            distinct = sorted(set(values))
            data = struct.pack(f"<{len(distinct)}Q", *distinct)
            counts.append(len(distinct))
        arrays.append(data)
    payload = b"".join(arrays)
    return HEADER.pack(MAGIC, *counts, zlib.crc32(payload), 0) + payload


class SegmentIndex:
    """A segment's ``.idx`` file, read through a descriptor: each kind's array is read
    (one ``pread``) the first time it is asked about, then kept."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        size = os.fstat(fd).st_size
        if size < HEADER.size:
            raise self._damaged("shorter than its header")
        magic, *rest = HEADER.unpack(os.pread(fd, HEADER.size, 0))
        counts, self.crc = rest[:4], rest[4]
        if magic != MAGIC:
            raise self._damaged("not a screener index")
        if size != HEADER.size + 8 * sum(counts):
            raise self._damaged(
                f"{size} bytes where its header says {HEADER.size + 8 * sum(counts)}"
            )
        self.spans: dict[str, tuple[int, int]] = {}
        at = HEADER.size
        for kind, count in zip(KINDS, counts, strict=True):
            self.spans[kind] = (at, count)
            at += 8 * count
        self._raw: dict[str, bytes] = {}
        self._views: dict[str, Sequence[int]] = {}
        self._map: mmap.mmap | None = None

    def _damaged(self, why: str) -> StoreError:
        return StoreError(
            f"{self.path} is damaged ({why}); run `screener db compact` to rebuild the index"
        )

    def raw(self, kind: str) -> bytes:
        found = self._raw.get(kind)
        if found is None:
            at, count = self.spans[kind]
            found = os.pread(self.fd, 8 * count, at)
            if len(found) != 8 * count:
                raise self._damaged("cut short")
            self._raw[kind] = found
        return found

    def _view(self, kind: str) -> Sequence[int]:
        """The kind's sorted hashes over the mapped file: a lookup's ``bisect`` reads
        the few pages it touches, not the whole array (8 MB per kind for 1M
        attempts: a ``take`` asks three kinds of every segment). Segment files are
        replaced, never rewritten in place, so the mapping stays valid while held."""
        view = self._views.get(kind)
        if view is None:
            at, count = self.spans[kind]
            if sys.byteorder == "little" and count:
                if self._map is None:
                    self._map = mmap.mmap(self.fd, 0, access=mmap.ACCESS_READ)
                view = memoryview(self._map)[at : at + 8 * count].cast("Q")
            else:  # an empty array, or a big-endian host: read it
                data = self.raw(kind)
                view = struct.unpack(f"<{len(data) // 8}Q", data)
            self._views[kind] = view
        return view

    def has(self, kind: str, value: int) -> bool:
        view = self._view(kind)
        i = bisect_left(view, value)
        return i < len(view) and view[i] == value

    def array(self, kind: str) -> npt.NDArray[np.uint64]:
        import numpy as np

        return np.frombuffer(self.raw(kind), dtype="<u8")

    def verify(self) -> None:
        """Check the arrays against the header's CRC-32 (compaction does; lookups need not)."""
        crc = 0
        for kind in KINDS:
            crc = zlib.crc32(self.raw(kind), crc)
        if crc != self.crc:
            raise self._damaged("its checksum does not match")

    def close(self) -> None:
        for view in self._views.values():
            if isinstance(view, memoryview):
                view.release()
        self._views.clear()
        self._raw.clear()
        if self._map is not None:
            self._map.close()
            self._map = None
