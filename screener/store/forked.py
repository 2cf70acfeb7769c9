"""Work done on the machine's second core by a forked child process.

A batch of 100k rows spends most of its time in the interpreter, one core at a
time; a forked child sees everything this process has (copy-on-write) and can
take half of a pure computation (``Forked``) or of the archive's segment writes
(``archive.write_segments``). A fork copies the pages either process writes
afterwards, so it pays only when a core is idle (``spare_core``) and the work is
big.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence

import orjson


def spare_core() -> bool:
    """Whether a forked helper process would get a core of its own: this process may
    run on two or more, and the last minute's load leaves one idle. On a busy machine
    the helper only adds its fork's cost (copied pages) to the work."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average
        load = 0.0
    return cores >= 2 and load < cores - 0.25


class Forked:
    """A list of strings computed by a forked child (copy-on-write: it sees everything
    this process has), sent back through a pipe. The child only computes: it touches
    no file and exits without cleaning up; ``result`` is None when it failed, and the
    caller computes the list itself."""

    def __init__(self, work: Callable[[], Sequence[str | None]]) -> None:
        self.pid = 0
        self.fd = -1
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:  # pragma: no cover - the child (coverage does not follow a fork)
            code = 1
            try:
                os.close(read_end)
                view = memoryview(orjson.dumps(list(work())))
                while view:
                    view = view[os.write(write_end, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self.fd = pid, read_end

    def result(self) -> list[str | None] | None:
        if not self.pid:
            return None
        try:
            parts = []
            while chunk := os.read(self.fd, 1 << 20):
                parts.append(chunk)
            status = os.waitpid(self.pid, 0)[1]
            self.pid = 0
        finally:
            os.close(self.fd)
            if self.pid:  # interrupted: stop and reap the child
                import signal

                with contextlib.suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            found = orjson.loads(b"".join(parts))
        except orjson.JSONDecodeError:
            return None
        return found if type(found) is list else None
