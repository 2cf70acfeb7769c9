"""Numbered SQL migrations: ``migrations/NNNN_name.sql``, kept in the package.

The schema version is the number of the last migration applied, stored in
``screener.meta``. ``apply`` brings a database up to ``SCHEMA_VERSION`` in one
transaction (all of the missing migrations or none), under an advisory lock so
two processes that both find no schema create it once. A database whose version
is newer than this package knows is refused, untouched.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from screener.errors import StoreError
from screener.store.postgres import SCHEMA
from screener.store.postgres.lazy import LazyModule

if TYPE_CHECKING:
    import psycopg
else:  # imported on first use (``lazy``)
    psycopg = LazyModule("psycopg")

#: pg_advisory_xact_lock key of migrations ("scr" "mig").
MIGRATION_LOCK = 0x7363726D6967


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


#: A migration's file name: its number and name.
_FILE = re.compile(r"(\d{4})_(\w+)\.sql")


def _file_names() -> list[str]:
    """The names in the package's ``migrations`` folder (listed on disk: importing
    ``importlib.resources`` and reading every file cost ``show`` ~8 ms for the count)."""
    try:
        return os.listdir(os.path.join(os.path.dirname(__file__), "migrations"))
    except OSError:  # not a folder on disk (an import from a zip): through resources
        from importlib import resources

        folder = resources.files("screener.store.postgres") / "migrations"
        return [entry.name for entry in folder.iterdir()]


@cache
def _numbered() -> tuple[tuple[int, str], ...]:
    """``(version, file name)`` of every migration, in order; numbered 1, 2, 3...
    without gaps."""
    found = sorted((int(m[1]), m[0]) for name in _file_names() if (m := _FILE.fullmatch(name)))
    if [version for version, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("the PostgreSQL migrations are not numbered 1, 2, 3... without gaps")
    return tuple(found)


@cache
def migrations() -> tuple[Migration, ...]:
    """Every migration in the package, in order; numbered 1, 2, 3... without gaps."""
    from importlib import resources

    folder = resources.files("screener.store.postgres") / "migrations"
    found: list[Migration] = []
    for version, file_name in _numbered():
        match = _FILE.fullmatch(file_name)
        assert match is not None
        sql = (folder / file_name).read_text(encoding="utf-8")
        found.append(Migration(version, match[2], sql))
    return tuple(found)


def schema_version() -> int:
    """The version this package's migrations make (the files are not read)."""
    return len(_numbered())


def stored_version(conn: psycopg.Connection[Any]) -> int | None:
    """The database's schema version; None when it has no schema yet."""
    row = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.meta",)).fetchone()
    if row is None or row[0] is None:
        return None
    found = conn.execute(f"SELECT schema_version FROM {SCHEMA}.meta WHERE id = 1").fetchone()
    return None if found is None else int(found[0])


def too_new(version: int, location: str) -> StoreError:
    return StoreError(
        f"{location} has schema version {version}, newer than this screener knows "
        f"({schema_version()}): upgrade screener; the database was left untouched"
    )


def apply(conn: psycopg.Connection[Any], location: str) -> tuple[int | None, int]:
    """Bring the database up to date, in one transaction of ``conn`` (an autocommit
    connection): ``(version before, version after)``."""
    from secrets import token_hex

    from screener.store.records import utc_stamp

    target = schema_version()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        before = stored_version(conn)
        if before is not None and before > target:
            raise too_new(before, location)
        if before == target:
            return before, target
        for migration in migrations()[(before or 0) :]:
            conn.execute(migration.sql.encode())
        if before is None:
            conn.execute(
                f"INSERT INTO {SCHEMA}.meta (id, schema_version, secret, created) "
                "VALUES (1, %s, %s, %s)",
                (target, token_hex(32), utc_stamp()),
            )
        else:
            conn.execute(f"UPDATE {SCHEMA}.meta SET schema_version = %s WHERE id = 1", (target,))
            conn.execute(REGRANT_FUNCTIONS)
    return before, target


#: An upgrade's new functions get the EXECUTE grant ``db init`` gave every function of
#: the schema (``GRANT EXECUTE ON ALL FUNCTIONS``): to each role that holds it on one of
#: them (not the owner, not PUBLIC). Without it a recruiter's large batch on a database
#: set up before the upgrade could not call the bulk functions; a station that is given
#: them is still refused inside them.
REGRANT_FUNCTIONS = f"""
DO $$
DECLARE
    grantee name;
BEGIN
    FOR grantee IN
        SELECT DISTINCT r.rolname
        FROM pg_proc p
        CROSS JOIN LATERAL aclexplode(p.proacl) a
        JOIN pg_roles r ON r.oid = a.grantee
        WHERE p.pronamespace = '{SCHEMA}'::regnamespace
          AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
    LOOP
        EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {SCHEMA} TO %I', grantee);
    END LOOP;
END
$$"""


def migrate(url: str) -> tuple[int | None, int]:
    """``apply`` on the database ``url`` names (``screener db migrate``)."""
    from screener.store.postgres.connection import check_url, open_connection, operation_error

    params = check_url(url)
    conn = open_connection(url, params)
    try:
        return apply(conn, url)
    except psycopg.Error as exc:
        raise operation_error(exc, "create or upgrade the schema (db migrate)", url) from None
    finally:
        conn.close()
