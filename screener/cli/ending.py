"""How every run of ``screener`` ends: an exit code and at most one line on stderr.

Shared by the typer app (``app.main``) and the listing commands that run without
it (``quick``), so both end every way (a content problem, a library error,
Ctrl-C, a closed pipe, a full disk) with the same line and code. Imports
nothing beyond the standard library and ``screener.errors`` until an error
needs it.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from screener.errors import ContentError, ScreenerError


def warning_line(message: Warning | str, *_: Any, **__: Any) -> None:
    """A library warning (a write saved, then its folder sync failed) as one line on stderr."""
    from screener.terminal import printable

    sys.stderr.write(f"warning: {printable(str(message))}\n")


def finish(
    call: Callable[[], None], command: Callable[[], tuple[str | None, Sequence[str]]]
) -> int:
    """Run ``call``; every way it can end becomes an exit code, with at most one line.
    ``command``: the command name and arguments being run, asked only when a server
    refused a write (the line names the command refused).

    stdout is flushed here, not at interpreter exit, so a full device or a
    closed pipe is reported (or ignored) like any other error instead of as
    "Exception ignored" after the fact.
    """
    try:
        try:
            call()
            code: int = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                sys.stderr.write(f"{exc.code}\n")
            stop = interrupt_behind(exc)
            if stop is not None:  # typer turns Ctrl-C into a silent exit 130
                code = int(getattr(stop, "exit_code", 130))
                sys.stderr.write("interrupted\n" if code == 130 else "terminated\n")
        sys.stdout.flush()
        return code
    except ContentError as exc:
        from screener.terminal import printable

        for problem in exc.problems:
            sys.stderr.write(f"error: {printable(str(problem))}\n")
        return exc.exit_code
    except ScreenerError as exc:
        from screener.terminal import printable

        message = str(exc)
        if message.startswith("permission denied"):  # a server's: name the command refused
            from screener.store.postgres.roles import refusal

            only, args = command()
            message = refusal(only, message, list(args))
        sys.stderr.write(f"error: {printable(message)}\n")
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during an output (Terminated)
        code = getattr(exc, "exit_code", 130)
        sys.stderr.write("interrupted\n" if code == 130 else "terminated\n")
        return int(code)
    except BrokenPipeError:
        drop_stdout()  # the reader stopped early (`| head`): end quietly
        return 1
    except OSError as exc:  # library file errors are ScreenerErrors: this is stdout
        from screener.terminal import printable

        drop_stdout()
        if exc.filename is None:
            sys.stderr.write(f"error: cannot write to stdout: {exc.strerror or exc}\n")
        else:
            sys.stderr.write(f"error: {printable(str(exc.filename))}: {exc.strerror or exc}\n")
        return 1


def interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C (or ``Terminated``) an exit was raised from, unless the command said
    ``from None`` because it already told the user (``take``: "Your answers are saved")."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, KeyboardInterrupt):
            return seen
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return None


def drop_stdout() -> None:
    """Point stdout at the null device, so the flush at exit cannot fail a second time."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


class _ClosedBytes(io.RawIOBase):
    """``ClosedStdout.buffer``: bytes written fail the same way."""

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def writable(self) -> bool:
        return True


class ClosedStdout(io.TextIOBase):
    """stdout when the process started without one (``screener ... >&-``: Python then
    sets ``sys.stdout`` to None): writing fails as writing to a closed descriptor does,
    so a command that has data to print ends with one line (``finish``), and one that
    prints nothing runs as usual."""

    buffer = _ClosedBytes()

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def fileno(self) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False
