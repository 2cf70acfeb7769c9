"""Work done on the machine's second core by a forked child process.

A batch of 100k rows spends most of its time in the interpreter, one core at a
time; a forked child sees everything this process has (copy-on-write) and can
take part of a pure computation (``Forked``: half a batch's submission keys;
``Shared``: the pieces of a CSV file, the parts of a batch's answers) or of the
archive's segment writes (``store.archive.SegmentWriting``). ``Shared`` and the
segment writes take their parts through ``Claims``, so a core that is slower (a
busy neighbour on a shared host) does fewer of them. A fork copies the pages
either process writes afterwards, so it pays only when a core is idle
(``spare_core``) and the work is big.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable, Sequence
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
                _write_all(write_end, pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
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
        _end_child(self.pid, self.fd)
        self.pid, self.fd = 0, -1


def _end_child(pid: int, fd: int) -> None:
    """Kill and reap child ``pid`` (0: none) and close its pipe ``fd`` (-1: none)."""
    if pid:
        import signal

        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _filled_pipe(data: bytes) -> int:
    """The read end of a new pipe holding ``data`` (at most 64 KiB: nothing reads it
    yet), its write end closed."""
    read_end, write_end = os.pipe()
    try:
        _write_all(write_end, data)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return read_end


class _HeldPipe:
    """The read end of a ``_filled_pipe`` that processes take their shares from."""

    fd = -1

    def close(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


class Claims(_HeldPipe):
    """``n`` parts of one job shared by this process and a forked child, each taken once
    whatever their speeds: a pipe made before the fork holds one byte per part, and
    each process reads one byte before each part it takes (a pipe's read of one byte
    is atomic). One takes the parts from the first on, the other from the last one
    down, so each ends with a run of them: a second core that is slower (a busy
    neighbour on a shared host) gets fewer parts instead of keeping the other waiting."""

    #: Most parts one pipe holds (a pipe holds 64 KiB before its writer would wait).
    MOST = 60_000

    def __init__(self, n: int) -> None:
        if not 0 <= n <= self.MOST:
            raise ValueError(f"{n} parts: at most {self.MOST}")
        self.fd = _filled_pipe(bytes(n))

    def take(self) -> bool:
        """Whether a part is left for this process (it takes it)."""
        return self.fd >= 0 and bool(os.read(self.fd, 1))


class Shared:
    """Parts of a pure computation shared with a forked child (``Claims``): the child
    (a ``Forked``) starts on the first part at once, while this process goes on with
    other work; ``results`` then does the parts left, from the last one down, here,
    and returns every part's value in order. A child that failed, or whose values
    ``results``' check refuses, has its parts done here, so its failure never changes
    what the caller gets."""

    def __init__(self, parts: Sequence[Callable[[], Any]], *, fork: bool = True) -> None:
        self.n = len(parts)
        self.claims: Claims | None = None
        self.child: Forked | None = None
        if not fork:  # every part done here (a busy machine: no core to spare)
            return
        try:
            claims = Claims(self.n)
        except OSError:  # no pipe to spare: every part done here
            return

        def taken() -> list[Any]:  # (in the child) its parts, from the first on
            done = []
            for part in parts:
                if not claims.take():
                    break
                done.append(part())
            return done

        try:
            self.child = Forked(taken)
        except OSError:
            claims.close()
            return
        self.claims = claims

    @property
    def pid(self) -> int:
        """The child's process id (0: none, or reaped)."""
        return self.child.pid if self.child is not None else 0

    def results(
        self,
        parts: Sequence[Callable[[], Any]],
        accept: Callable[[int, Any], Any | None] = lambda index, value: value,
    ) -> list[Any]:
        """Every part's value, in order: ``parts`` (this process's own functions for the
        same parts) do those the child has not taken, and those of a child that failed
        or gave a value ``accept`` refuses (``accept(index, value)`` is None; else the
        child's values are what it makes of them). Call once."""
        if len(parts) != self.n:
            raise ValueError(f"{len(parts)} parts for {self.n}")
        claims, self.claims = self.claims, None
        mine: list[Any] = []
        theirs: list[Any] | None = None
        try:
            if claims is not None:
                for part in reversed(parts):
                    if not claims.take():
                        break
                    mine.append(part())
            else:
                mine = [part() for part in reversed(parts)]
            left = self.n - len(mine)
            if left:
                got = self.child.result() if self.child is not None else None
                if type(got) is list and len(got) == left:
                    taken = [accept(index, value) for index, value in enumerate(got)]
                    theirs = None if any(value is None for value in taken) else taken
        finally:
            if claims is not None:
                claims.close()
            self.stop()
        if theirs is None:  # the child failed: its parts are done here
            theirs = [part() for part in parts[: self.n - len(mine)]]
        return theirs + mine[::-1]

    def stop(self) -> None:
        """Stop and reap the child (its values are not wanted, or this process failed)."""
        if self.child is not None:
            self.child.stop()
        if self.claims is not None:
            self.claims.close()
            self.claims = None


class Turns(_HeldPipe):
    """The indexes ``0..n-1`` handed out in order to whichever process asks next (this
    one or a forked child): a pipe made before the fork holds them as 4-byte numbers,
    and a read of 4 bytes takes one whole (a pipe read holds the pipe's lock)."""

    #: Most indexes one pipe holds (64 KiB before its writer would wait).
    MOST = 16_000

    def __init__(self, n: int) -> None:
        if not 0 <= n <= self.MOST:
            raise ValueError(f"{n} indexes: at most {self.MOST}")
        self.fd = _filled_pipe(b"".join(i.to_bytes(4, "little") for i in range(n)))

    def next(self) -> int | None:
        """The next index no process has taken (this one takes it); None when none is left."""
        if self.fd < 0:
            return None
        got = os.read(self.fd, 4)
        return int.from_bytes(got, "little") if len(got) == 4 else None


def in_order(
    parts: Sequence[Callable[[], Any]], take: Callable[[Any], None], *, fork: bool
) -> None:
    """Hand each part's value to ``take``, in order, as soon as it and those before it
    are ready: with ``fork``, this process and a forked child each do the next part no
    one has taken yet (``Turns``). The child sends each value through a pipe as it makes
    it (pickled, its index first) and waits for it to be read before its next part;
    this process hands the child's values on between its own, making up to ``AHEAD``
    of its own while it waits for one of the child's. So a few values wait at a time:
    a stream of big values (an export's segments) stays small. A part the child took
    but did not send (it failed, or could not be forked) is done here, so the values
    are the same either way."""
    n = len(parts)
    turns: Turns | None = None
    pid = 0
    read_end = -1
    if fork and n > 1:
        try:
            turns = Turns(n)
            read_end, write_end = os.pipe()
        except (OSError, ValueError):
            if turns is not None:
                turns.close()
            turns = None
        if turns is not None:
            try:
                pid = os.fork()
            except OSError:
                pid = 0
                os.close(write_end)
                os.close(read_end)
                read_end = -1
                turns.close()
                turns = None
            if pid == 0 and turns is not None:  # pragma: no cover - the child
                code = 1
                try:
                    os.close(read_end)
                    while (index := turns.next()) is not None:
                        payload = pickle.dumps((index, parts[index]()), pickle.HIGHEST_PROTOCOL)
                        _write_all(write_end, len(payload).to_bytes(8, "little") + payload)
                    code = 0
                finally:
                    os._exit(code)
            if turns is not None:
                os.close(write_end)
    child = _ChildValues(pid, read_end)
    own: dict[int, Any] = {}  # values made here, waiting for the child's before them
    try:
        done = 0  # the next index to hand on
        while done < n:
            if done in own:
                take(own.pop(done))
                done += 1
            elif not child.alive():  # every part not made yet is made here, in order
                take(parts[done]())
                done += 1
            elif len(own) >= AHEAD or child.ready():  # ``done`` is the child's
                take(child.value(done, parts[done]))
                done += 1
            elif (index := turns.next() if turns is not None else None) is not None:
                own[index] = parts[index]()
            else:  # every part is taken: those not made here are the child's
                take(child.value(done, parts[done]))
                done += 1
    finally:
        if turns is not None:
            turns.close()
        child.stop()


#: How many values ``in_order`` makes ahead of a child's part it waits for (with a
#: slower child, this process goes on instead of keeping in step with it).
AHEAD = 4


class _ChildValues:
    """The values ``in_order``'s child sends, read one at a time, in index order."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd

    def alive(self) -> bool:
        return self.fd >= 0

    def ready(self) -> bool:
        """Whether the child has started sending its next value."""
        import select

        return self.fd >= 0 and bool(select.select([self.fd], [], [], 0)[0])

    def value(self, index: int, part: Callable[[], Any]) -> Any:
        """The child's value of part ``index`` (which it took), or ``part()`` done here
        when the child failed before sending it."""
        if self.fd >= 0:
            try:
                head = self._read(8)
                got = pickle.loads(self._read(int.from_bytes(head, "little")))
                if type(got) is tuple and len(got) == 2 and got[0] == index:
                    return got[1]
            except Exception:  # a child cut short, or a value it could not send
                pass
            self.stop()  # no more values from it: the rest are done here
        return part()

    def _read(self, size: int) -> bytes:
        chunks = []
        while size:
            chunk = os.read(self.fd, min(size, 1 << 20))
            if not chunk:
                raise EOFError("the child stopped")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def stop(self) -> None:
        """Stop and reap the child (its values are not wanted, or it failed)."""
        _end_child(self.pid, self.fd)
        self.pid, self.fd = 0, -1
