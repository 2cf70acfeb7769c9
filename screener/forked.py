"""Work done on the machine's second core by a forked child process.

A batch of 100k rows spends most of its time in the interpreter, one core at a
time; a forked child sees everything this process has (copy-on-write) and can
take half of a pure computation (``Forked``: half a CSV file's rows, half a
batch's submission keys) or of the archive's segment writes
(``store.archive.write_segments``). A fork copies the pages either process writes
afterwards, so it pays only when a core is idle (``spare_core``) and the work is
big.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable
from typing import Any


def spare_core() -> bool:
    """Whether a forked helper process would get a core of its own: this process may
    run on two or more, and the last minute's load leaves one idle. On a busy machine
    the helper only adds its fork's cost (copied pages) to the work."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    try:  # a container's CPU quota (cgroup v2) may allow fewer cores than it sees
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as limits:
            quota, period = limits.read().split()
        if quota != "max":
            cores = min(cores, int(quota) // max(int(period), 1))
    except (OSError, ValueError):
        pass
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average
        load = 0.0
    return cores >= 2 and load < cores - 0.25


class Forked:
    """A value computed by a forked child (copy-on-write: it sees everything this
    process has), sent back pickled through a pipe. The child only computes: it
    touches no file and exits without cleaning up. ``result`` is None when the child
    failed (or could not be forked): the caller then computes the value itself, so a
    child's failure never changes what the caller gets."""

    def __init__(self, work: Callable[[], Any]) -> None:
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
                view = memoryview(pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
                while view:
                    view = view[os.write(write_end, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid, self.fd = pid, read_end

    def result(self) -> Any | None:
        """The child's value (waiting for it), or None when it failed."""
        if not self.pid:
            return None
        status = 1
        try:
            parts = []
            while chunk := os.read(self.fd, 1 << 20):
                parts.append(chunk)
            status = os.waitpid(self.pid, 0)[1]
            self.pid = 0
        finally:
            os.close(self.fd)
            self.fd = -1
            self.stop()
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            return pickle.loads(b"".join(parts))
        except Exception:  # a child cut short: computed again by the caller
            return None

    def stop(self) -> None:
        """Stop and reap the child (its value is not wanted, or this process failed)."""
        if self.pid:
            import signal

            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
