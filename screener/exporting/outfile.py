"""Output files (``export --output``, ``report --output``): whole or not at all, 0600,
never a copy of personal data left behind, never a device replaced.

What a named output may be:

* a path that does not exist yet, or a regular file (or a symlink to one: the
  file it points to is replaced, the link stays): written to a temp file in
  the same folder, fsynced and renamed over it, mode 0600;
* a named pipe or a character device (a terminal, ``/dev/null``, ``/dev/full``):
  written straight to it, never created, truncated or replaced;
* anything else (a folder, a block device, a socket): refused.

Temp files are named ``.screener-output.<random>.tmp`` (``TEMP_PREFIX``) and
live beside the output. While one is being written its process holds an
``flock`` on it; they are removed on every exit Python sees (an error,
Ctrl-C, and SIGTERM or SIGHUP, which ``terminate_as_exception`` turns into a
``Terminated`` exception while an output is open). Only a SIGKILL or a power
cut leaves one: the next output to the same folder removes every one no
process holds (``remove_stale``), and ``screener delete`` lists those it finds
(``find_stale``) because they may hold personal data.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import BinaryIO

from screener.errors import ScreenerError

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be removed there anyway
    fcntl = None  # type: ignore[assignment]

TEMP_PREFIX = ".screener-output."
TEMP_SUFFIX = ".tmp"
TEMP_GLOB = f"{TEMP_PREFIX}*{TEMP_SUFFIX}"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived while an output was being written.

    A ``KeyboardInterrupt`` so that everything which cleans up after Ctrl-C
    cleans up after it too; the CLI exits with ``exit_code`` (128 + signal).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.exit_code = 128 + signum


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise ``Terminated`` (so ``finally`` blocks run).

    Only in the main thread (the only one Python delivers signals to), and only
    for signals left at their default: a SIGHUP ignored by ``nohup`` stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous: dict[int, signal.Handlers | int | object] = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) == signal.SIG_DFL:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]


def _lock(fd: int) -> bool:
    """Take the flock that marks a temp file as in use; False when another process has it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unowned(path: Path) -> bool:
    """True for a regular temp file no live process holds (its writer was killed)."""
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and _lock(fd)
    finally:
        os.close(fd)  # closing drops the probe's lock


def find_stale(folders: Iterable[Path]) -> list[Path]:
    """Output temp files in ``folders`` that no running process is writing."""
    found: list[Path] = []
    for folder in dict.fromkeys(Path(f) for f in folders):
        with contextlib.suppress(OSError):
            found += [p for p in sorted(folder.glob(TEMP_GLOB)) if _unowned(p)]
    return found


def find_openpyxl_leftovers() -> list[Path]:
    """``openpyxl.*`` files of this user in the system temp folder: the sheet copies an
    XLSX export made before exports kept them beside the output (or another program
    using openpyxl) left when it was killed."""
    found: list[Path] = []
    uid = getattr(os, "getuid", lambda: None)()
    with contextlib.suppress(OSError):
        for path in sorted(Path(tempfile.gettempdir()).glob("openpyxl.*")):
            with contextlib.suppress(OSError):
                info = path.lstat()
                if stat.S_ISREG(info.st_mode) and (uid is None or info.st_uid == uid):
                    found.append(path)
    return found


def remove_stale(folder: Path) -> list[Path]:
    """Remove the output temp files in ``folder`` left by killed writers; returns them."""
    removed = []
    for path in find_stale([folder]):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _kind(path: Path) -> str:
    """``new``, ``file``, ``stream`` (FIFO, character device) or what it is when refused."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks: a link to a file is a file
    except FileNotFoundError:
        if path.is_symlink():
            return "a broken symlink"
        return "new"
    except OSError as exc:
        raise ScreenerError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return "stream"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@dataclass
class OutputFile:
    """Where an output goes while it is written: ``stream``, plus scratch files for writers
    that need one (openpyxl), all beside the output and removed however it ends."""

    path: Path
    stream: BinaryIO
    folder: Path | None  # None when writing straight to a pipe or device
    temps: list[tuple[Path, int]] = field(default_factory=list)

    @property
    def is_terminal(self) -> bool:
        return self.stream.isatty()

    def scratch(self) -> Path:
        """A new empty temp file beside the output, held (flock) until the output closes."""
        if self.folder is None:
            raise ScreenerError(f"cannot write {self.path}: this format needs a regular file")
        return _new_temp(self.folder, self.path, self.temps)


def _new_temp(folder: Path, path: Path, temps: list[tuple[Path, int]]) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise ScreenerError(
            f"cannot write {path}: {folder} is not writable ({exc.strerror or exc})"
        ) from None
    temps.append((Path(name), fd))
    _lock(fd)
    return Path(name)


@contextlib.contextmanager
def output_file(path: Path) -> Iterator[OutputFile]:
    """Open ``path`` for a complete output (see the module docstring for what it may be).

    On a clean exit the output is in place, mode 0600; on any exception (SIGTERM
    and SIGHUP included) an existing file is left as it was and no temp file stays.
    """
    kind = _kind(path)
    if kind == "stream":
        with _open_stream(path) as stream:
            yield OutputFile(path, stream, None)
        return
    if kind not in ("new", "file"):
        raise ScreenerError(f"cannot write {path}: it is {kind}, not a file")
    target = path.resolve() if kind == "file" else path  # a symlink: replace what it points to
    folder = target.parent
    temps: list[tuple[Path, int]] = []
    with terminate_as_exception():
        try:
            remove_stale(folder)
            tmp = _new_temp(folder, path, temps)
            with open(temps[0][1], "wb", closefd=False) as stream:
                yield OutputFile(path, stream, folder, temps)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(tmp, 0o600)  # exports hold personal data unless anonymised
            os.replace(tmp, target)
        except OSError as exc:
            raise ScreenerError(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            for temp, fd in temps:
                with contextlib.suppress(OSError):
                    os.close(fd)
                with contextlib.suppress(OSError):
                    temp.unlink()  # gone already when renamed over the output


@contextlib.contextmanager
def _open_stream(path: Path) -> Iterator[BinaryIO]:
    """A named pipe or character device, written as it is: never created or truncated."""
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ScreenerError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):  # swapped since the check
            raise ScreenerError(f"cannot write {path}: it changed while being opened")
        with open(fd, "wb", closefd=False) as stream:
            yield stream
            stream.flush()
    except OSError as exc:
        raise ScreenerError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
