"""A minimal read-only PostgreSQL client over the libpq that psycopg's binary wheel
bundles, for the commands that only read a little (``show``, ``report``).

``import psycopg`` costs ~140 ms of start-up (its C extension, asyncio, ssl,
importlib.metadata, logging...): half of ``show``'s whole run. Loading the very libpq
psycopg uses with ``ctypes`` costs ~6 ms, and connecting through it behaves exactly as
psycopg's connect (it is the same library: the URL, ``PG*`` variables, ``~/.pgpass``,
SSL and authentication are libpq's own).

``LibpqConnection`` offers the part of ``psycopg.Connection`` that the store's reads
use: ``execute`` (``%s`` parameters sent as text, as psycopg sends them; every result
of a multi-statement string), a cursor's ``fetchone`` / ``fetchall`` / ``nextset``,
``closed`` and ``close``. Values come back as psycopg gives them for the types the
schema uses (numbers, booleans, text and their arrays); a column of another built-in
type is refused (``NotSupportedError``), never read differently. Errors are the
exceptions psycopg raises (psycopg is imported then, on the error path only), so every
``except psycopg...`` and ``connection.operation_error`` work unchanged.

``$SCREENER_PG_DRIVER=psycopg`` turns it off (every command then uses psycopg).
"""

from __future__ import annotations

import ctypes
import os
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

#: ``$SCREENER_PG_DRIVER``: ``psycopg`` makes every command use psycopg.
DRIVER_ENV = "SCREENER_PG_DRIVER"

_UNSET: Any = object()
_lib: Any = _UNSET  # the loaded libpq (None: not found), once looked for

# libpq's enums (libpq-fe.h)
_CONNECTION_OK, _CONNECTION_BAD = 0, 1
_POLLING_FAILED, _POLLING_READING, _POLLING_WRITING, _POLLING_OK = 0, 1, 2, 3
#: Seconds psycopg waits for a connection when ``connect_timeout`` is 0 (none).
_NO_TIMEOUT = 130
_PGRES_EMPTY_QUERY, _PGRES_COMMAND_OK, _PGRES_TUPLES_OK = 0, 1, 2
_PGRES_COPY_OUT, _PGRES_COPY_IN, _PGRES_BAD_RESPONSE = 3, 4, 5
_PGRES_NONFATAL_ERROR, _PGRES_FATAL_ERROR, _PGRES_COPY_BOTH = 6, 7, 8
_PG_DIAG_SQLSTATE = ord("C")


def libpq_path() -> str | None:
    """The libpq of psycopg's binary wheel (``psycopg_binary.libs/libpq-*.so*``, or on
    macOS ``psycopg_binary/.dylibs/libpq*.dylib``), found without importing it."""
    from importlib.util import find_spec

    try:
        spec = find_spec("psycopg_binary")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for package in spec.submodule_search_locations:
        for folder, prefix in (
            (os.path.join(os.path.dirname(package), "psycopg_binary.libs"), "libpq-"),
            (os.path.join(package, ".dylibs"), "libpq"),
        ):
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                continue
            for name in names:
                if name.startswith(prefix) and (".so" in name or name.endswith(".dylib")):
                    return os.path.join(folder, name)
    return None


def library() -> Any:
    """The bundled libpq loaded with its functions' signatures; None when there is none
    (or ``$SCREENER_PG_DRIVER=psycopg``): the caller uses psycopg."""
    global _lib
    if os.environ.get(DRIVER_ENV, "").strip().lower() == "psycopg":
        return None
    if _lib is not _UNSET:
        return _lib
    _lib = None
    path = libpq_path()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    _declare(lib)
    _lib = lib
    return lib


def _declare(lib: Any) -> None:
    c_char_p, c_void_p, c_int, c_uint = (
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_uint,
    )
    signatures: dict[str, tuple[list[Any], Any]] = {
        "PQconnectStartParams": (
            [ctypes.POINTER(c_char_p), ctypes.POINTER(c_char_p), c_int],
            c_void_p,
        ),
        "PQconnectPoll": ([c_void_p], c_int),
        "PQsocket": ([c_void_p], c_int),
        "PQconsumeInput": ([c_void_p], c_int),
        "PQisBusy": ([c_void_p], c_int),
        "PQgetCancel": ([c_void_p], c_void_p),
        "PQcancel": ([c_void_p, c_char_p, c_int], c_int),
        "PQfreeCancel": ([c_void_p], None),
        "PQstatus": ([c_void_p], c_int),
        "PQerrorMessage": ([c_void_p], c_char_p),
        "PQfinish": ([c_void_p], None),
        "PQsendQuery": ([c_void_p, c_char_p], c_int),
        "PQsendQueryParams": (
            [
                c_void_p,
                c_char_p,
                c_int,
                ctypes.POINTER(c_uint),
                ctypes.POINTER(c_char_p),
                c_void_p,
                c_void_p,
                c_int,
            ],
            c_int,
        ),
        "PQgetResult": ([c_void_p], c_void_p),
        "PQresultStatus": ([c_void_p], c_int),
        "PQresultErrorMessage": ([c_void_p], c_char_p),
        "PQresultErrorField": ([c_void_p, c_int], c_char_p),
        "PQcmdStatus": ([c_void_p], c_char_p),
        "PQntuples": ([c_void_p], c_int),
        "PQnfields": ([c_void_p], c_int),
        "PQftype": ([c_void_p, c_int], c_uint),
        "PQgetvalue": ([c_void_p, c_int, c_int], c_char_p),
        "PQgetisnull": ([c_void_p, c_int, c_int], c_int),
        "PQclear": ([c_void_p], None),
        "PQconninfoParse": ([c_char_p, ctypes.POINTER(c_void_p)], c_void_p),
        "PQconninfoFree": ([c_void_p], None),
        "PQfreemem": ([c_void_p], None),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result


class _ConninfoOption(ctypes.Structure):
    _fields_ = [
        ("keyword", ctypes.c_char_p),
        ("envvar", ctypes.c_char_p),
        ("compiled", ctypes.c_char_p),
        ("val", ctypes.c_char_p),
        ("label", ctypes.c_char_p),
        ("dispchar", ctypes.c_char_p),
        ("dispsize", ctypes.c_int),
    ]


def conninfo_to_dict(conninfo: str) -> dict[str, str] | None:
    """``psycopg.conninfo.conninfo_to_dict(conninfo)`` through libpq's
    ``PQconninfoParse`` (what psycopg's calls): the parameters given. None when there
    is no libpq or the string is not valid (psycopg's then gives the same message)."""
    lib = library()
    if lib is None:
        return None
    error = ctypes.c_void_p()
    options = lib.PQconninfoParse(conninfo.encode(), ctypes.byref(error))
    if not options:
        if error.value:
            lib.PQfreemem(error)
        return None
    try:
        found: dict[str, str] = {}
        array = ctypes.cast(options, ctypes.POINTER(_ConninfoOption))
        i = 0
        while array[i].keyword is not None:
            option = array[i]
            if option.val is not None:
                found[option.keyword.decode()] = option.val.decode()
            i += 1
        return found
    finally:
        lib.PQconninfoFree(options)


class ConnectFailed(Exception):
    """libpq could not connect: its message."""


def connect(url: str, timeout: int, application: str) -> LibpqConnection | None:
    """A connection to ``url`` with the keywords ``connection.open_connection`` gives
    psycopg (their values override the URL's, as psycopg's ``connect`` makes them);
    None when there is no libpq, or a server of several (``host=a,b``) did not answer
    in time (psycopg tries each one in turn). ``ConnectFailed`` with libpq's message
    when the connection failed.

    Connected without blocking, as psycopg connects: a signal (Ctrl-C) is handled
    while it waits, and ``timeout`` bounds the whole attempt (psycopg's reading of
    ``connect_timeout``: at least 2 s, 0 for its default)."""
    lib = library()
    if lib is None:
        return None
    pairs = [
        ("dbname", url),
        ("connect_timeout", str(timeout)),
        ("application_name", application),
        ("client_encoding", "UTF8"),
    ]
    count = len(pairs) + 1
    keywords = (ctypes.c_char_p * count)(*[k.encode() for k, _ in pairs], None)
    values = (ctypes.c_char_p * count)(*[v.encode() for _, v in pairs], None)
    pgconn = lib.PQconnectStartParams(keywords, values, 1)
    if not pgconn:
        raise ConnectFailed("out of memory")
    import time

    # psycopg's timeout: at least 2 s, and 130 s for none (``timeout_from_conninfo``)
    deadline = time.monotonic() + (max(timeout, 2) if timeout > 0 else _NO_TIMEOUT)
    timed_out = False
    try:
        status = _POLLING_WRITING
        while lib.PQstatus(pgconn) != _CONNECTION_BAD:
            if status == _POLLING_OK:
                return LibpqConnection(lib, pgconn)
            if status == _POLLING_FAILED:
                break
            socket = lib.PQsocket(pgconn)
            left = max(deadline - time.monotonic(), 0.0)
            if not _wait(socket, write=status == _POLLING_WRITING, timeout=left):
                timed_out = True
                break
            status = lib.PQconnectPoll(pgconn)
    except BaseException:  # (Ctrl-C while waiting)
        lib.PQfinish(pgconn)
        raise
    message = (lib.PQerrorMessage(pgconn) or b"").decode("utf-8", "replace")
    lib.PQfinish(pgconn)
    if not timed_out:
        raise ConnectFailed(message.strip())
    if "," in (conninfo_to_dict(url) or {}).get("host", ""):
        return None  # psycopg tries the next server, in its own time
    raise ConnectFailed("timeout expired")


def _wait(socket: int, *, write: bool, timeout: float | None = None) -> bool:
    """Wait until ``socket`` can be read (or written); False when ``timeout`` seconds
    went by first. A signal's handler runs meanwhile (Ctrl-C raises here)."""
    import select

    if socket < 0:
        return True  # (no socket: libpq reports the error)
    ready = select.select([] if write else [socket], [socket] if write else [], [], timeout)
    return bool(ready[0] or ready[1])


class LibpqConnection:
    """The subset of ``psycopg.Connection`` (autocommit) that the store's reads use."""

    def __init__(self, lib: Any, pgconn: int) -> None:
        self._lib = lib
        self._pgconn: int | None = pgconn

    @property
    def closed(self) -> bool:
        return self._pgconn is None or self._lib.PQstatus(self._pgconn) != _CONNECTION_OK

    def close(self) -> None:
        if self._pgconn is not None:
            self._lib.PQfinish(self._pgconn)
            self._pgconn = None

    def __del__(self) -> None:
        self.close()

    def execute(self, query: str | bytes, params: Sequence[Any] | None = None) -> LibpqCursor:
        """Run ``query`` (with ``params``: one statement, ``%s`` placeholders; without:
        any number of statements) and read every result; psycopg's exception when one
        of them failed or the connection was lost."""
        lib = self._lib
        pgconn = self._pgconn
        if pgconn is None:
            raise _psycopg().OperationalError("the connection is closed")
        text = query.decode() if isinstance(query, bytes) else query
        if params is None:
            sent = lib.PQsendQuery(pgconn, text.encode())
        else:
            statement, values, oids = _convert(text, params)
            n = len(values)
            sent = lib.PQsendQueryParams(
                pgconn,
                statement.encode(),
                n,
                (ctypes.c_uint * n)(*oids) if n else None,
                (ctypes.c_char_p * n)(*values) if n else None,
                None,
                None,
                0,
            )
        if not sent:
            raise self._lost("sending query failed")
        results: list[_Result] = []
        error: Exception | None = None
        while True:
            self._ready(pgconn)
            res = lib.PQgetResult(pgconn)
            if not res:
                break
            try:
                status = lib.PQresultStatus(res)
                if status == _PGRES_TUPLES_OK:
                    try:
                        results.append(_Result(_rows(lib, res), True, ""))
                    except Exception as exc:  # a type not read: the other results still are
                        error = error or exc
                elif status in (_PGRES_COMMAND_OK, _PGRES_EMPTY_QUERY):
                    results.append(_Result([], False, (lib.PQcmdStatus(res) or b"").decode()))
                elif status in (_PGRES_COPY_OUT, _PGRES_COPY_IN, _PGRES_COPY_BOTH):
                    self.close()  # nothing here reads or writes COPY data: give up the line
                    raise _psycopg().NotSupportedError(
                        "COPY is not supported by screener's light PostgreSQL reader"
                    )
                elif error is None:
                    error = self._error(res)
            finally:
                lib.PQclear(res)
        if error is not None:
            raise error
        if self.closed:
            raise self._lost("consuming input failed")
        return LibpqCursor(results)

    def _ready(self, pgconn: int) -> None:
        """Wait, without blocking in libpq, until a result can be read: a signal's
        handler runs meanwhile. On Ctrl-C the query is cancelled on the server and the
        connection closed (psycopg cancels it too), and the interrupt goes on."""
        lib = self._lib
        while True:
            if not lib.PQconsumeInput(pgconn):
                raise self._lost("consuming input failed")
            if not lib.PQisBusy(pgconn):
                return
            try:
                _wait(lib.PQsocket(pgconn), write=False)
            except BaseException:
                cancel = lib.PQgetCancel(pgconn)
                if cancel:
                    lib.PQcancel(cancel, ctypes.create_string_buffer(256), 256)
                    lib.PQfreeCancel(cancel)
                self.close()
                raise

    def _error(self, res: int) -> Exception:
        """psycopg's exception for a failed result (its class by SQLSTATE, its message
        with the severity stripped, as ``psycopg.errors.error_from_result`` makes it)."""
        lib = self._lib
        psycopg = _psycopg()
        from psycopg import errors
        from psycopg.pq.misc import strip_severity

        raw = (lib.PQresultErrorMessage(res) or b"").decode("utf-8", "replace")
        message = strip_severity(raw) if raw else "no error details available"
        state = (lib.PQresultErrorField(res, _PG_DIAG_SQLSTATE) or b"").decode("utf-8", "replace")
        if not state and self.closed:
            return psycopg.OperationalError(f"consuming input failed: {message}")  # type: ignore[no-any-return]
        try:
            cls = errors.lookup(state)
        except KeyError:
            cls = errors.get_base_exception(state)
        return cls(message)

    def _lost(self, what: str) -> Exception:
        message = (self._lib.PQerrorMessage(self._pgconn) or b"").decode("utf-8", "replace")
        from psycopg.pq.misc import strip_severity

        return _psycopg().OperationalError(f"{what}: {strip_severity(message)}")  # type: ignore[no-any-return]


class _Result:
    __slots__ = ("command", "has_rows", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], has_rows: bool, command: str) -> None:
        self.rows = rows
        self.has_rows = has_rows
        self.command = command


class LibpqCursor:
    """The results of one ``execute``, read as psycopg's cursor reads them: the first
    result's rows, ``nextset`` moving to the next."""

    def __init__(self, results: list[_Result]) -> None:
        self._results = results
        self._at = 0
        self._row = 0

    def nextset(self) -> bool | None:
        if self._at + 1 < len(self._results):
            self._at += 1
            self._row = 0
            return True
        return None

    def _current(self) -> _Result:
        if not self._results:
            raise _psycopg().ProgrammingError("no result available")
        result = self._results[self._at]
        if not result.has_rows:
            raise _psycopg().ProgrammingError(
                f"the last operation didn't produce records (command status: {result.command})"
            )
        return result

    def fetchone(self) -> tuple[Any, ...] | None:
        result = self._current()
        if self._row >= len(result.rows):
            return None
        self._row += 1
        return result.rows[self._row - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        result = self._current()
        rows = result.rows[self._row :]
        self._row = len(result.rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row


def _psycopg() -> Any:
    from screener.store.postgres.lazy import load

    return load("psycopg")


# -- parameters -----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%(\(([^)]*)\))?(.)", re.DOTALL)
_INT2, _INT4, _INT8, _NUMERIC = 21, 23, 20, 1700
_BOOL, _FLOAT8 = 16, 701
_INT_RANKS = (_INT2, _INT4, _INT8, _NUMERIC)
_INT_ARRAYS = (1005, 1007, 1016, 1231)  # their arrays


def _convert(query: str, params: Sequence[Any]) -> tuple[str, list[bytes | None], list[int]]:
    """``query`` with psycopg's ``%s`` placeholders as ``$1, $2...`` (``%%`` as ``%``),
    and ``params`` as text with the type OIDs psycopg's default dumpers give them."""
    if isinstance(params, dict):
        raise _psycopg().NotSupportedError("named parameters: not in the light reader")
    out: list[str] = []
    at = 0
    n = 0
    for match in _PLACEHOLDER.finditer(query):
        out.append(query[at : match.start()])
        at = match.end()
        if match[1] is None and match[3] == "%":
            out.append("%")
            continue
        if match[1] is not None or match[3] not in ("s", "t"):
            raise _psycopg().ProgrammingError(
                f"only '%s' and '%t' placeholders are supported by the light reader, got "
                f"{match[0]!r}"
            )
        n += 1
        out.append(f"${n}")
    out.append(query[at:])
    if n != len(params):
        raise _psycopg().ProgrammingError(
            f"the query has {n} placeholders but {len(params)} parameters were passed"
        )
    values: list[bytes | None] = []
    oids: list[int] = []
    for value in params:
        text, oid = _dump(value)
        values.append(text)
        oids.append(oid)
    return "".join(out), values, oids


def _dump(value: Any) -> tuple[bytes | None, int]:
    """One parameter as text and the OID psycopg gives it (a ``str`` and a list have
    none: the server infers them from the query, as psycopg leaves them)."""
    if value is None:
        return None, 0
    if isinstance(value, bool):
        return (b"t" if value else b"f"), _BOOL
    if isinstance(value, int):
        if -(2**15) <= value < 2**15:
            oid = _INT2
        elif -(2**31) <= value < 2**31:
            oid = _INT4
        elif -(2**63) <= value < 2**63:
            oid = _INT8
        else:
            oid = _NUMERIC
        return str(value).encode(), oid
    if isinstance(value, float):
        if value != value:
            return b"NaN", _FLOAT8
        if value in (float("inf"), float("-inf")):
            return (b"Infinity" if value > 0 else b"-Infinity"), _FLOAT8
        return repr(value).encode(), _FLOAT8
    if isinstance(value, str):
        if "\x00" in value:
            raise _psycopg().DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        return value.encode(), 0
    if isinstance(value, list) and all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):  # psycopg's list dumper: the array of the widest element's type (none: unknown)
        widest = max((_INT_RANKS.index(_dump(v)[1]) for v in value if v is not None), default=-1)
        text = "{" + ",".join("NULL" if v is None else str(v) for v in value) + "}"
        return text.encode(), (_INT_ARRAYS[widest] if widest >= 0 else 0)
    raise _psycopg().NotSupportedError(
        f"a {type(value).__name__} parameter: not in the light reader"
    )


# -- values ---------------------------------------------------------------------------------


def _text(data: bytes) -> str:
    return data.decode()


def _bool(data: bytes) -> bool:
    return data == b"t"


def _decimal(data: bytes) -> Any:
    from decimal import Decimal

    return Decimal(data.decode())


#: psycopg's loaders (text format) of the types the store's reads return: OID -> how
#: a value's text becomes the Python value psycopg gives.
_SCALARS: dict[int, Callable[[bytes], Any]] = {
    16: _bool,
    18: _text,  # "char"
    19: _text,  # name
    25: _text,
    705: _text,  # unknown
    1042: _text,  # bpchar
    1043: _text,  # varchar
    20: int,
    21: int,
    23: int,
    26: int,  # oid
    700: float,
    701: float,
    1700: _decimal,
    2205: _text,  # regclass: psycopg has no loader for it, a str (to_regclass)
}
#: array OID -> its element's OID
_ARRAYS = {
    1000: 16,
    1002: 18,
    1003: 19,
    1009: 25,
    1014: 1042,
    1015: 1043,
    1005: 21,
    1007: 23,
    1016: 20,
    1028: 26,
    1021: 700,
    1022: 701,
    1231: 1700,
}
#: Types of at least this OID are the database's own: psycopg has no loader, a str.
_FIRST_USER_OID = 16384


def _decoder(oid: int) -> Callable[[bytes], Any]:
    found = _SCALARS.get(oid)
    if found is not None:
        return found
    element = _ARRAYS.get(oid)
    if element is not None:
        return _array_decoder(_SCALARS[element])
    if oid >= _FIRST_USER_OID:
        return _text
    raise _psycopg().NotSupportedError(
        f"a column of type OID {oid}: not read by screener's light PostgreSQL reader"
    )


def _rows(lib: Any, res: int) -> list[tuple[Any, ...]]:
    rows_n = lib.PQntuples(res)
    cols = range(lib.PQnfields(res))
    decoders = [_decoder(lib.PQftype(res, j)) for j in cols]
    value = lib.PQgetvalue
    isnull = lib.PQgetisnull
    rows: list[tuple[Any, ...]] = []
    for i in range(rows_n):
        rows.append(
            tuple(None if isnull(res, i, j) else decoders[j](value(res, i, j) or b"") for j in cols)
        )
    return rows


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _array_decoder(element: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def decode(data: bytes) -> Any:
        return parse_array(data.decode(), element)

    return decode


def parse_array(text: str, element: Callable[[bytes], Any]) -> list[Any]:
    """A PostgreSQL array literal (``{a,"b c",NULL,{1,2}}``, maybe after ``[1:2]=``) as
    nested lists, each element ``element(its text as bytes)``; an unquoted ``NULL`` is
    None (a quoted one the text ``NULL``), as psycopg's array loader reads it."""
    if text.startswith("["):
        text = text[text.index("=") + 1 :]
    root: list[Any] = []
    stack: list[list[Any]] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "{":
            new: list[Any] = []
            if stack:
                stack[-1].append(new)
            else:
                root = new
            stack.append(new)
            i += 1
        elif c == "}":
            stack.pop()
            i += 1
        elif c == ",":
            i += 1
        elif c == '"':
            match = _QUOTED.match(text, i)
            if match is None:
                raise _psycopg().DataError(f"malformed array literal: {text!r}")
            raw = match[1]
            if "\\" in raw:
                raw = _ESCAPE.sub(r"\1", raw)
            stack[-1].append(element(raw.encode()))
            i = match.end()
        else:
            j = i
            while j < n and text[j] not in ",}":
                j += 1
            token = text[i:j]
            stack[-1].append(None if token == "NULL" else element(token.encode()))
            i = j
    return root
