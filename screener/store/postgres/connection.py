"""Connecting to the PostgreSQL server a ``postgresql://`` URL names, and the errors a
user meets there, each turned into one clear ``StoreError`` line.

The password never comes from the URL (it would end up in shell histories, process
lists and logs): libpq reads it from ``$PGPASSWORD`` or ``~/.pgpass``, and a URL
that holds one is refused. ``location`` (for messages) is the URL as given, which
therefore holds no password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from screener.errors import StoreError
from screener.store.postgres import SCHEMA, is_postgres_url
from screener.store.postgres.lazy import LazyModule

if TYPE_CHECKING:
    import psycopg
    from psycopg import errors as pg_errors

    from screener.store.postgres.libpq import LibpqConnection
else:  # imported on first use (``lazy``): a light read never does
    psycopg = LazyModule("psycopg")
    pg_errors = LazyModule("psycopg.errors")

#: Seconds to wait for a server that does not answer (libpq's default: forever).
CONNECT_TIMEOUT = 10


def check_url(url: str) -> dict[str, Any]:
    """The connection parameters of ``url``; ``StoreError`` for a URL that is not one or
    that holds a password."""
    if not is_postgres_url(url):
        raise StoreError(f"not a PostgreSQL URL: {url}")
    from screener.store.postgres.libpq import conninfo_to_dict as parsed

    params: dict[str, Any] | None = parsed(url)  # the bundled libpq's own parse: no psycopg
    if params is None:  # no libpq found, or not a valid URL: psycopg's (its message)
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise StoreError(f"not a usable PostgreSQL URL: {_line(str(exc))}") from None
    if params.get("password") is not None or _has_password(url):
        raise StoreError(
            "the database URL holds a password: put the password in ~/.pgpass or "
            "PGPASSWORD, not in the URL"
        )
    return params


def _has_password(url: str) -> bool:
    """``user:secret@host``: a password in the URL's user part."""
    rest = url.split("://", 1)[1]
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    return "@" in netloc and ":" in netloc.rsplit("@", 1)[0]


def where(params: dict[str, Any]) -> str:
    """``host:port`` (or the socket folder) and database, for messages."""
    host = params.get("host") or "the local socket"
    port = params.get("port")
    db = params.get("dbname")
    server = f"{host}:{port}" if port else str(host)
    return f"database {db} on {server}" if db else server


#: What makes the store's schema the connection's ``search_path``.
SET_SEARCH_PATH = f"SET search_path = {SCHEMA}"


def open_connection(
    url: str, params: dict[str, Any], *, search_path: bool = True
) -> psycopg.Connection[Any]:
    """A connection in autocommit mode (transactions are begun explicitly), its
    ``search_path`` the store's schema; ``StoreError`` with one line when it fails.

    ``search_path=False`` leaves the ``SET_SEARCH_PATH`` to the caller, who sends it
    with its first statements (one round trip less: ``PostgresStore._open``).
    """
    try:
        conn = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=_timeout(params),
            application_name=_application(params),
        )
    except psycopg.OperationalError as exc:
        raise connect_error(exc, params) from None
    if not search_path:
        return conn
    try:
        conn.execute(SET_SEARCH_PATH)
    except psycopg.Error as exc:
        conn.close()
        raise StoreError(f"PostgreSQL ({where(params)}): {_line(str(exc))}") from None
    return conn


def _timeout(params: dict[str, Any]) -> int:
    return int(params.get("connect_timeout") or CONNECT_TIMEOUT)


def _application(params: dict[str, Any]) -> str:
    return str(params.get("application_name") or "screener")


def open_light(url: str, params: dict[str, Any]) -> LibpqConnection | None:
    """A read-only connection through the bundled libpq (``libpq``), with the same
    keywords ``open_connection`` gives psycopg; ``search_path`` is the caller's (as
    ``open_connection(search_path=False)``). None when there is no bundled libpq or the
    connection failed: the caller then uses ``open_connection``, which fails the same
    way with today's one-line message (but a server that did not answer in time is
    not waited for twice: its line is said now)."""
    from screener.store.postgres.libpq import ConnectFailed, connect

    try:
        return connect(url, _timeout(params), _application(params))
    except ConnectFailed as failed:
        if "timeout expired" in str(failed):
            raise connect_error(failed, params) from None
        return None


def connect_error(exc: Exception, params: dict[str, Any]) -> StoreError:
    """What went wrong while connecting (psycopg's ``OperationalError``, or the light
    reader's ``ConnectFailed``), in one line without the password."""
    text = _line(str(exc))
    low = str(exc).lower()
    user = params.get("user") or "(your login name)"
    dbname = params.get("dbname") or user
    host = params.get("host") or "the local socket"
    port = params.get("port") or "5432"
    if (
        "password authentication failed" in low
        or "no password supplied" in low
        or "authentication failed" in low
        or ("role" in low and "does not exist" in low)
    ):
        return StoreError(
            f"authentication failed for user {user} at {host}:{port}: check the password "
            "in ~/.pgpass or PGPASSWORD (and that the role exists)"
        )
    if "database" in low and "does not exist" in low:
        return StoreError(
            f"database {dbname} does not exist on {host}:{port}: create it first "
            f"(createdb {dbname}) or check the URL"
        )
    if "permission denied" in low or "not permitted" in low or "pg_hba.conf" in low:
        return StoreError(
            f"the server at {host}:{port} refused user {user} access to database {dbname}: {text}"
        )
    if (
        "connection refused" in low
        or "could not connect" in low
        or "timeout" in low
        or "no such file" in low
        or "could not translate host name" in low
        or "name or service not known" in low
        or "is the server running" in low
        or "connection to server" in low
    ):
        return StoreError(
            f"cannot reach the PostgreSQL server at {host}:{port}: is it running, and "
            "are the host and port right?"
        )
    return StoreError(f"cannot connect to PostgreSQL at {host}:{port}: {text}")


def operation_error(exc: psycopg.Error, operation: str, location: str) -> StoreError:
    """An error met while doing ``operation`` (``"read results (results/export)"``)."""
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return StoreError(f"permission denied: this role may not {operation}")
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return StoreError(f"cannot {operation}: the database at {location} is read-only")
    if isinstance(exc, psycopg.OperationalError):
        return StoreError(
            f"lost the connection to the PostgreSQL server ({location}) while trying to "
            f"{operation}: {_line(str(exc))}; nothing was written"
        )
    return StoreError(f"PostgreSQL could not {operation} ({location}): {_line(str(exc))}")


def _line(text: str) -> str:
    """The first line of a server message (the rest is libpq's detail and hints)."""
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return " ".join(first.split())
