"""Where the database file lives and how it is read and written safely.

TinyDB's own ``JSONStorage`` rewrites the file in place, so a crash or a full
disk mid-write leaves a truncated file. ``AtomicJSONStorage`` instead writes a
temp file in the same folder, fsyncs it, ``os.replace``s it over the database
and fsyncs the folder: a reader (or a crash) sees the old file or the new one,
never half of one. ``BufferedMiddleware`` keeps every TinyDB write of a
transaction in memory so the transaction costs one file write.

Whatever the path names is looked at before it is opened or replaced: only a
regular file is a database. ``os.replace`` over a device, FIFO or socket would
replace the node itself (as root, ``--db /dev/null`` would turn the system's
null device into a file), and opening a FIFO for reading waits for a writer.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import os
import stat
import tempfile
import warnings
import zlib
from pathlib import Path
from typing import Any

import orjson
from tinydb import Storage
from tinydb.middlewares import Middleware

from screener.errors import StoreError
from screener.gcpause import paused_gc
from screener.store import DB_ENV

DB_NAME = "screener.json"

#: A database larger than this is refused before it is parsed: parsing needs
#: several times the file's size in memory (orjson copies the input, then the
#: documents), and a realistic database is ~0.6 KB per attempt.
MAX_DB_BYTES = 1 << 30
#: How far into the file (and back from its end) the braces are looked for.
EDGE_BYTES = 4096
_BLANK = b" \t\r\n"

Tables = dict[str, dict[str, Any]]

#: The seal: meta's ``"seal": "crc32:<8 hex>"``, the CRC-32 of the file's bytes
#: with the seal's own value blanked (``SEAL_BLANK``), set on every write.
SEAL = "seal"
SEAL_BLANK = "crc32:00000000"
_SEAL_AT = b'"seal":"'


class SealedTables(dict[str, dict[str, Any]]):
    """A parsed file whose seal matched: its bytes are what screener wrote.

    Such a file needs neither the duplicate-key scan nor the document checks
    (``schema.check_documents``): screener writes neither duplicates nor
    documents of other shapes, and any change by hand, by another program or
    by damage breaks the seal, so that file gets both checks. Verifying the seal
    (one CRC-32 over the mapped file) costs a fraction of what the two checks
    cost, which is about as much as parsing (docs/performance.md).
    """


class StoreWarning(UserWarning):
    """The data is saved, but something after the commit point failed.

    Raising would make the user retry a write that happened (and store it
    twice), so this is a warning; the CLI prints it as one line on stderr.
    """


def resolve_db_path(option: Path | str | None) -> Path:
    """The database file: ``--db`` > ``$SCREENER_DB`` > the user data dir.

    Symlinks are resolved so the atomic replace updates the real file instead of
    replacing the link with a regular file. A symlink loop is a ``StoreError``.
    """
    if option is not None:
        chosen = Path(option)
    elif os.environ.get(DB_ENV):
        chosen = Path(os.environ[DB_ENV])
    else:
        from screener.userdirs import user_path  # platformdirs' user data dir

        chosen = user_path("data") / DB_NAME
    try:
        return chosen.expanduser().resolve()
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        raise StoreError(f"{chosen} is a symbolic link loop, not a database file") from None
    except OSError as exc:
        raise StoreError(f"cannot use {chosen} as the database: {exc.strerror or exc}") from None


def temp_prefix(path: Path) -> str:
    """Temp files are ``.<name>.<random>.tmp`` beside the database."""
    return f".{path.name}."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, words in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "not a regular file"


def _not_a_file(path: Path, mode: int) -> StoreError:
    return StoreError(f"{path} is {_kind(mode)}, not a database file; left untouched")


def existing_file(path: Path, *, follow: bool = True) -> os.stat_result | None:
    """The stat of the database file; None when there is none yet.

    Anything there that is not a regular file is refused: that is what keeps
    the atomic replace off device nodes, FIFOs and sockets. ``follow=False``
    also refuses a symlink that appeared after the path was resolved.
    """
    try:
        found = os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        # a database can never be created below a file: say so, do not report "empty"
        raise StoreError(
            f"cannot use {path} as the database: part of its folder path is a file, not a folder"
        ) from None
    except OSError as exc:
        raise StoreError(f"cannot use {path} as the database: {exc.strerror or exc}") from None
    if not stat.S_ISREG(found.st_mode):
        raise _not_a_file(path, found.st_mode)
    return found


def _refuse_read_only(path: Path, found: os.stat_result) -> None:
    """A file nobody may write is one someone meant to protect: never replace it.

    The mode bits are looked at as well as ``os.access``, because root may
    write anything and the atomic replace needs only the folder to be writable.
    """
    mode = stat.S_IMODE(found.st_mode)
    if not mode & 0o222:
        raise StoreError(
            f"{path} is read-only (mode {mode:04o}); make it writable to change it; left untouched"
        )
    if not os.access(path, os.W_OK):
        raise StoreError(
            f"{path} is not writable by you (mode {mode:04o}, owner uid {found.st_uid}); "
            "left untouched"
        )


def check_write_target(path: Path, lock_path: Path) -> int:
    """Refuse a write before anything is created; returns the mode for the lock file.

    Refused: a database that is not a writable regular file, a lock file that
    is a symlink, folder or device (filelock would refuse or follow it, and
    say the folder is not writable), or one this user may not open. The lock
    file gets the database's permission bits, so a group that shares the
    database (0660) can also take its lock; one we own that lacks them (made
    before the database was shared) is given them here.
    """
    found = existing_file(path)
    mode = 0o600
    if found is not None:
        _refuse_read_only(path, found)
        mode = stat.S_IMODE(found.st_mode) & 0o666 | 0o600
    try:
        lock = os.lstat(lock_path)
    except (FileNotFoundError, NotADirectoryError):
        return mode
    except OSError as exc:
        raise StoreError(f"cannot use the lock file {lock_path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(lock.st_mode):
        raise StoreError(
            f"the lock file {lock_path} is {_kind(lock.st_mode)}, not a file; "
            "remove it and try again"
        )
    if lock.st_uid == os.geteuid() and stat.S_IMODE(lock.st_mode) != mode:
        with contextlib.suppress(OSError):
            os.chmod(lock_path, mode, follow_symlinks=False)
    elif not os.access(lock_path, os.R_OK | os.W_OK):
        raise StoreError(
            f"cannot lock {path}: the lock file {lock_path} is not writable by you "
            f"(mode {stat.S_IMODE(lock.st_mode):04o}, owner uid {lock.st_uid}); "
            "its owner can give it the database's mode"
        )
    return mode


def _damaged(path: Path, why: str) -> StoreError:
    return StoreError(f"{path} is not a screener database ({why}); left untouched")


def _edges(path: Path, fd: int, size: int) -> tuple[int, int]:
    """Where the top-level object starts and ends (offsets of its braces).

    Read before parsing, a few KB from each end, so junk (or a huge file of
    NULs) is refused without ever being handed to the parser.
    """
    head = os.pread(fd, min(size, EDGE_BYTES), 0)
    first = len(head) - len(head.lstrip(_BLANK))
    if first == len(head):
        if size <= EDGE_BYTES:
            raise _damaged(path, "not valid JSON: the file is blank")
        raise _damaged(path, f"not valid JSON: it starts with over {EDGE_BYTES} blank bytes")
    if head[first : first + 1] != b"{":
        raise _damaged(path, f"not a JSON object: it starts with {head[first : first + 8]!r}")
    start = max(0, size - EDGE_BYTES)
    tail = os.pread(fd, size - start, start).rstrip(_BLANK)
    if not tail.endswith(b"}"):
        raise _damaged(path, "not valid JSON: it does not end with '}', so it is cut short")
    return first, start + len(tail)


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> None:
    """``object_pairs_hook`` that raises on a repeated key and keeps nothing."""
    if len({key for key, _ in pairs}) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)


def _check_duplicate_keys(
    path: Path, view: memoryview, data: Tables, span: tuple[int, int]
) -> None:
    """Refuse a file in which an object has the same key twice.

    orjson keeps the last copy silently, so a file with two ``candidates``
    tables (or two documents ``"5"``) would lose the other at the next write.
    Fast path: a file screener wrote is exactly ``orjson.dumps`` of what it
    parses to, and then it can hold no duplicate (a repeated key would be text
    the parsed data lacks). Anything else (hand-edited, pretty-printed) is
    scanned by the json module with a hook that keeps nothing; slower, and
    only until screener next writes the file.
    """
    start, end = span
    try:
        canonical = orjson.dumps(data)
    except orjson.JSONEncodeError:
        canonical = b""
    if len(canonical) == end - start and canonical.startswith(view[start:end]):
        return
    del canonical
    try:
        json.loads(bytes(view[start:end]), object_pairs_hook=_no_duplicates)
    except _DuplicateKey as dup:
        raise _damaged(
            path,
            f"the key {json.dumps(dup.args[0])[:80]} occurs twice in one object, "
            "and a write would keep only the last",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise _damaged(path, f"not valid JSON: {_one_line(str(exc))[:200]}") from None


def _seal_matches(mapped: mmap.mmap, view: memoryview, data: Tables) -> bool:
    """Whether meta's seal is the CRC-32 of the file (with the seal blanked)."""
    meta = data.get("meta")
    head = meta.get("1") if type(meta) is dict else None
    seal = head.get(SEAL) if type(head) is dict else None
    if type(seal) is not str or len(seal) != len(SEAL_BLANK) or not seal.isascii():
        return False
    found = mapped.rfind(_SEAL_AT + seal.encode() + b'"')  # meta is written last
    if found < 0:
        return False
    start = found + len(_SEAL_AT)
    end = start + len(seal)
    crc = zlib.crc32(view[end:], zlib.crc32(SEAL_BLANK.encode(), zlib.crc32(view[:start])))
    return seal == f"crc32:{crc:08x}"


def sealed_bytes(data: Tables) -> bytes:
    """``data`` as the file's bytes, with meta's seal set (see ``SealedTables``).

    ``meta`` is moved to the end of the file, so the seal is found (here and
    when reading) without searching the whole file.
    """
    meta = data.get("meta")
    head = meta.get("1") if type(meta) is dict else None
    if type(head) is not dict:
        return orjson.dumps(data)
    data["meta"] = data.pop("meta")
    head[SEAL] = SEAL_BLANK
    payload = orjson.dumps(data)
    found = payload.rfind(_SEAL_AT + SEAL_BLANK.encode() + b'"')
    if found < 0:  # pragma: no cover - the blank seal was just put there
        return payload
    start = found + len(_SEAL_AT)
    seal = f"crc32:{zlib.crc32(payload):08x}"
    head[SEAL] = seal
    with memoryview(payload) as view:  # slices of a view copy nothing: one copy, the join
        return b"".join((view[:start], seal.encode(), view[start + len(SEAL_BLANK) :]))


def read_tables(path: Path) -> Tables | None:
    """The parsed file; None when it does not exist or is empty (a new database).

    Anything else that is not a JSON object raises ``StoreError`` and the file is
    left as it is. The path is looked at before it is opened, and opened
    non-blocking, so a FIFO or a device is refused instead of waited on or read.
    """
    if existing_file(path) is None:
        return None
    try:
        fd = open_for_reading(path)
    except FileNotFoundError:
        return None
    try:
        return read_open_file(path, fd)
    finally:
        os.close(fd)


def open_for_reading(path: Path) -> int:
    """A read-only descriptor of ``path``, opened so a FIFO or device never blocks.
    ``FileNotFoundError`` passes through; other errors are a ``StoreError``."""
    try:
        return os.open(
            path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        )
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise _not_a_file(path, stat.S_IFDIR) from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_open_file(path: Path, fd: int) -> Tables | None:
    """``read_tables`` of a descriptor already open on ``path`` (left open)."""
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):  # swapped in after the first look
            raise _not_a_file(path, found.st_mode)
        size = found.st_size
        if size == 0:
            return None
        if size > MAX_DB_BYTES:
            raise _damaged(
                path,
                f"{size:,} bytes, more than the {MAX_DB_BYTES >> 20:,} MiB a database may have",
            )
        span = _edges(path, fd, size)
        # mapped rather than read: saves copying the whole file into memory
        # first (~40 ms of a 0.5 s lookup at 100k attempts). Writers never
        # change a file in place, so the mapping cannot shrink under us.
        with (
            mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mapped,
            memoryview(mapped) as view,
            paused_gc(),
        ):
            data = orjson.loads(view)
            if isinstance(data, dict):
                if _seal_matches(mapped, view, data):
                    data = SealedTables(data)
                else:
                    _check_duplicate_keys(path, view, data, span)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise _damaged(path, f"not valid JSON: {_one_line(str(exc))}") from None
    if not isinstance(data, dict):
        raise _damaged(path, f"JSON {type(data).__name__}, not an object")
    return data


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; folders cannot be opened this way on Windows."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    """Give the new file the old one's owner, group and permission bits.

    A shared database (group ``team``, mode 0660) must stay shared after a
    colleague writes it. Owner and group are set when the writer may (root
    may set both, a member of the group only the group); the permission bits
    always, after the chown, which may clear some.
    """
    if hasattr(os, "fchown"):
        mine = os.fstat(fd)
        if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
            try:
                os.fchown(fd, old.st_uid, old.st_gid)
            except PermissionError:
                with contextlib.suppress(PermissionError):
                    os.fchown(fd, -1, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode) & 0o777)


def _temp_beside(path: Path) -> tuple[int, Path]:
    """A new 0600 temp file ``.<name>.<random>.tmp`` in ``path``'s folder, for an atomic replace."""
    folder = path.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=folder)
    except OSError as exc:
        raise StoreError(
            f"cannot write {path}: {folder} is not writable ({exc.strerror or exc})"
        ) from None
    return fd, Path(tmp_name)


def write_atomic(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` all at once.

    A new file gets mode 0600 (``mkstemp`` creates the temp file so whatever
    the umask); a file that exists keeps its mode, owner and group. What is
    at the path is checked first and again right before the replace: only a
    writable regular file is replaced. On any error up to the replace the temp
    file is removed and the old file stays; after it (the commit point) a
    failure is a ``StoreWarning``, since the data is saved.
    """
    folder = path.parent
    old = existing_file(path)
    if old is not None:
        _refuse_read_only(path, old)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            old = existing_file(path)
            if old is not None:
                _refuse_read_only(path, old)
                _keep_owner_and_mode(handle.fileno(), old)
            os.fsync(handle.fileno())
        existing_file(path, follow=False)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    try:
        _fsync_folder(folder)
    except OSError as exc:
        warnings.warn(
            StoreWarning(
                f"{path} is saved, but syncing its folder failed ({exc.strerror or exc}): "
                "a power cut right now could still undo this write; do not repeat it"
            ),
            stacklevel=2,
        )


def write_new_file(path: Path, payload: bytes, like: os.stat_result | None) -> None:
    """Write a file that must not exist yet (an archive segment or index) all at once:
    a temp file beside it, fsynced, then renamed to ``path``. It gets the owner, group
    and mode of ``like`` (the live file) when given, else 0600. The caller fsyncs the
    folder once for all the files it wrote."""
    if os.path.lexists(path):  # a segment is written once: never over another
        raise StoreError(f"cannot write {path}: it exists already; left untouched")
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if like is not None:
                _keep_owner_and_mode(handle.fileno(), like)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def fsync_folder(folder: Path) -> None:
    """Make renames and removals in ``folder`` durable (a no-op where folders cannot be opened)."""
    _fsync_folder(folder)


def remove_stale_temps(path: Path) -> None:
    """Delete temp files left by a writer that was killed mid-write.

    Only called while holding the lock, when no other writer can own them; they
    may hold personal data, so leaving them would defeat erasure.
    """
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f"{temp_prefix(path)}*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()


class AtomicJSONStorage(Storage):
    """A TinyDB storage: orjson to read, temp file + fsync + ``os.replace`` to write.

    Opening it creates nothing, so read-only commands never create a database.
    """

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = Path(path)

    def read(self) -> Tables | None:
        return read_tables(self.path)

    def write(self, data: Tables) -> None:
        write_atomic(self.path, sealed_bytes(data))


class BufferedMiddleware(Middleware):
    """Reads the file once and keeps TinyDB's writes in memory until ``commit``.

    Unlike TinyDB's ``CachingMiddleware``, closing without ``commit`` discards the
    changes: a transaction that raised must not write half of itself.
    """

    def __init__(self, storage_cls: type[Storage]) -> None:
        super().__init__(storage_cls)
        self.cache: Tables | None = None
        self.loaded = False
        self.dirty = False

    def read(self) -> Tables | None:
        if not self.loaded:
            self.cache = self.storage.read()
            self.loaded = True
        return self.cache

    def write(self, data: Tables) -> None:
        self.cache = data
        self.loaded = True
        self.dirty = True

    def replace(self, data: Tables) -> None:
        """Swap in migrated data; it is written at the next commit."""
        self.write(data)

    def commit(self) -> bool:
        """Write the buffered state if anything changed; True when it wrote."""
        if not self.dirty or self.cache is None:
            return False
        self.storage.write(self.cache)
        self.dirty = False
        return True

    def close(self) -> None:
        self.cache = None
        self.loaded = False
        self.dirty = False
        self.storage.close()


class WriteLock:
    """The database's write lock: an exclusive ``fcntl.flock`` on ``PATH.lock``, taken
    the way filelock takes it on POSIX (the file is opened, never followed through a
    symlink, and kept in place on release so every waiter locks the same inode), so
    the two exclude each other. filelock itself (~45 ms to import, a fifth of a
    ``take``) is used only where there is no ``flock``: Windows, or a file system
    without it (filelock then falls back to its own lock files).

    ``acquire`` raises ``TimeoutError`` when another process holds the lock for
    ``timeout`` seconds (negative: wait for ever) and ``OSError`` when the lock file
    cannot be opened.
    """

    def __init__(self, path: Path, mode: int) -> None:
        self.path = path
        self.mode = mode
        self._fd: int | None = None
        self._fallback: Any = None

    def acquire(self, timeout: float, poll: float) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            self._filelock(timeout, poll)
            return
        import errno
        import time

        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
        fd = os.open(self.path, flags, self.mode)
        with contextlib.suppress(OSError):  # as filelock: the mode asked, not the umask's
            if os.fstat(fd).st_uid == os.geteuid():
                os.fchmod(fd, self.mode)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):  # held by another
                    if timeout >= 0 and time.monotonic() >= deadline:
                        os.close(fd)
                        raise TimeoutError(str(self.path)) from None
                    time.sleep(poll)
                    continue
                os.close(fd)
                if exc.errno in (errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK):
                    self._filelock(timeout, poll)  # a file system without flock
                    return
                raise
            self._fd = fd
            return

    @property
    def shared_by_fork(self) -> bool:
        """Whether a forked child holds the lock too (an ``flock``, until both let go)."""
        return self._fd is not None

    def _filelock(self, timeout: float, poll: float) -> None:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.path), timeout=timeout, mode=self.mode)
        try:
            lock.acquire(poll_interval=poll)
        except Timeout:
            raise TimeoutError(str(self.path)) from None
        self._fallback = lock

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        elif self._fallback is not None:
            self._fallback.release()
            self._fallback = None
