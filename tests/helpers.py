"""Helpers the tests import: run the real entry point, paths to test data.

``run_cli`` calls ``screener.cli.main`` in this process (fast); ``run_cli(...,
subprocess=True)`` runs ``python -m screener`` in a child process, for what only
a real process has: signals, several processes at once, pipes and devices as
stdout, hangs that need a timeout.
"""

from __future__ import annotations

import contextlib
import io
import locale
import os
import signal
import subprocess as _subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SHARED_BFI = ROOT.parent / "shared" / "reference" / "bfi"

#: What a fresh interpreter filters (``python -W`` not given): the in-process run sees
#: the same warnings a user's process would.
_DEFAULT_FILTERS = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", ResourceWarning, ""),
)
_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGPIPE")
    if hasattr(signal, name)
)


class CliResult(_subprocess.CompletedProcess[str]):
    """A finished run: ``returncode``, ``stdout`` and ``stderr`` as text (decoded as
    ``subprocess.run(text=True)`` does) and the bytes written (``stdout_bytes``)."""

    stdout_bytes: bytes
    stderr_bytes: bytes


def _text(data: bytes) -> str:
    """Bytes as ``subprocess.run(text=True)`` decodes them (locale encoding, universal newlines)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()


def _result(args: list[str], code: int, out: bytes, err: bytes) -> CliResult:
    result = CliResult(args, code, _text(out), _text(err))
    result.stdout_bytes, result.stderr_bytes = out, err
    return result


def run_cli(
    *args: str,
    input: str | None = None,
    env: Mapping[str, str | None] | None = None,
    cwd: Path = ROOT,
    subprocess: bool = False,
    timeout: float = 300,
) -> CliResult:
    """Run the real entry point with ``args``: in this process by default, in a child
    process (``python -m screener``) with ``subprocess=True``.

    ``env`` is added to the environment (a None value removes a variable), ``input``
    is stdin (not a terminal either way), ``cwd`` the working folder (default: the
    repository). ``timeout`` bounds a child process only: what may hang needs one.
    """
    if subprocess:
        return run_process(*args, input=input, env=env, cwd=cwd, timeout=timeout)
    return _run_in_process(list(args), input, env or {}, cwd)


def run_process(
    *args: str,
    input: str | None = None,
    env: Mapping[str, str | None] | None = None,
    cwd: Path = ROOT,
    timeout: float = 300,
) -> CliResult:
    """``python -m screener`` in a child process, as a user starts it."""
    full_env = {**os.environ}
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    done = _subprocess.run(
        [sys.executable, "-m", "screener", *args],
        input=None if input is None else input.encode(),
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
    return _result(list(args), done.returncode, done.stdout, done.stderr)


def _stream(data: bytes | None, errors: str) -> io.TextIOWrapper:
    """A text stream over bytes, encoded as Python sets up its standard streams for a
    pipe (``PYTHONIOENCODING`` honoured), that is not a terminal."""
    spec = os.environ.get("PYTHONIOENCODING", "")
    encoding, _, chosen = spec.partition(":")
    return io.TextIOWrapper(
        io.BytesIO(data or b""),
        encoding=encoding or "utf-8",
        errors=chosen or errors,
        write_through=True,
    )


#: Catalogs loaded by in-process runs, by content folders, environment and the content
#: files' (path, mtime, size, inode): loading is a pure function of those files, and
#: parsing and linting them is most of a short command's time (about a second).
_CATALOGS: dict[tuple[object, ...], Any] = {}


@contextlib.contextmanager
def _catalog_memo() -> Iterator[None]:
    """``screener.catalog.load_catalog`` remembered across runs while the files are the same
    (a changed, added or removed file loads afresh; failures are never remembered)."""
    import screener.catalog as catalog
    from screener.errors import ScreenerError

    real = catalog.load_catalog

    def load(extra: Sequence[Path] = ()) -> Any:
        try:
            files = catalog.content_files(extra)
            stats = [(str(f), f.stat()) for f in files]
        except (OSError, ScreenerError):
            return real(extra)
        key = (
            os.getcwd(),
            os.environ.get(catalog.CONTENT_ENV, ""),
            tuple(map(str, extra)),
            tuple((f, st.st_mtime_ns, st.st_size, st.st_ino) for f, st in stats),
        )
        if key not in _CATALOGS:
            _CATALOGS[key] = real(extra)
        return _CATALOGS[key]

    catalog.load_catalog = load
    try:
        yield
    finally:
        catalog.load_catalog = real


def _run_in_process(
    args: list[str], input: str | None, env: Mapping[str, str | None], cwd: Path
) -> CliResult:
    """``screener.cli.main(args)`` here, with its own stdin, stdout, stderr, environment,
    working folder, warning filters and signal handlers, all put back afterwards."""
    from screener.cli import main

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_hook = sys.excepthook
    saved_argv = sys.argv
    saved_handlers = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    stdin = _stream(None if input is None else input.encode(), "strict")
    stdout = _stream(None, "strict")
    stderr = _stream(None, "backslashreplace")
    code: int
    try:
        os.chdir(cwd)
        sys.argv = ["screener", *args]
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
        with warnings.catch_warnings(), _catalog_memo():
            warnings.resetwarnings()
            for action, category, module in reversed(_DEFAULT_FILTERS):
                warnings.filterwarnings(action, category=category, module=module)
            try:
                main(args)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if exc.code is not None and not isinstance(exc.code, int):
                    stderr.write(f"{exc.code}\n")
            except KeyboardInterrupt:
                traceback.print_exc(file=stderr)
                code = -signal.SIGINT
            except BaseException:  # as the interpreter would: a traceback and exit 1
                traceback.print_exc(file=stderr)
                code = 1
        for stream in (stdout, stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        out = stdout.buffer.getvalue()  # type: ignore[attr-defined]
        err = stderr.buffer.getvalue()  # type: ignore[attr-defined]
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.excepthook = saved_hook
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for sig, handler in saved_handlers.items():
            if handler is not None:
                signal.signal(sig, handler)
    return _result(args, code, out, err)


def record_forks(monkeypatch: Any) -> list[int]:
    """The children this process forks from here on (``os.fork`` wrapped for the test)."""
    found: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            found.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return found
