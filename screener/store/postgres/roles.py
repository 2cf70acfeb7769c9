"""Who may do what on a PostgreSQL results database (``screener db init``, issue 16).

Two group roles (NOLOGIN), each login a DBA makes is a member of one of them:

- the *recruiter* role may do everything with the store's tables;
- the *station* role may register candidates and start, answer and submit attempts,
  and read only the attempt it is running (through the view ``running_attempts``
  of schema 2), and of a returning candidate's earlier attempts only their forms,
  times and the items they were asked (the function ``earlier_attempts`` of
  schema 4, never a score, outcome, plan or answer). Of the candidates it reads
  only the ids, those of the attempts it runs (the view ``running_candidates``)
  and those it names by an exact id or name (the function ``known_candidates``,
  schema 8): never the list of everyone's names and contacts. It has no SELECT
  on the results (scored columns, competency
  results, plan rows), the audit trail, coaching progress, employers, program
  events or the secret, no UPDATE but of its own attempt in progress (a trigger
  of schema 2), and no DELETE anywhere: ``results``, ``export``, ``show``,
  ``batch``, ``delete`` and ``db copy`` get ``permission denied`` from the server.

The grants are made by ``init`` from ``psycopg.sql.Identifier`` names, after the
schema is brought up to date; running it again changes nothing. This module
imports psycopg only when ``init`` runs (``refusal`` is for every error line).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RECRUITER = "screener_recruiter"
STATION = "screener_station"

#: What a refused command may not do, for its one-line ``permission denied`` error.
REFUSALS = {
    "results": "read results (results, export)",
    "export": "read results (results, export)",
    "report": "read results (report)",
    "stats": "read results (stats)",
    "show": "only read the attempt it is running (show)",
    "coach": "only read the attempt it is running (coach)",
    "delete": "erase candidates (delete)",
    "batch": "store a batch of results (batch)",
    "db copy": "read everything (db copy)",
    "db rotate-secret": "change the secret (db rotate-secret)",
}
_DENIED = "permission denied: this role may not "


def refusal(command: str | None, message: str, args: Sequence[str] = ()) -> str:
    """The error line for ``command`` (the top-level command or group run, ``args`` its
    words): a ``permission denied`` the server gave, worded for that command; any
    other message as it is."""
    if command == "db" and command in args:  # the subcommand: "db copy"
        after = list(args)[list(args).index(command) + 1 :]
        command = f"db {after[0]}" if after else command
    if command is None or command not in REFUSALS or not message.startswith("permission denied"):
        return message
    what = REFUSALS[command]
    if what.startswith("only "):
        return f"permission denied: this role may {what}"
    return _DENIED + what


#: Columns of the attempts table a station writes when it starts or saves an attempt
#: (``started_by`` is left to its default, the login) and changes while running one.
_STATION_INSERT = (
    "id, candidate_id, layout, status, seed, item_order, started, submitted, answers, "
    "seconds, extra, scores, codes, intervals, near, outcome, overall, plan, key"
)
_STATION_UPDATE = (
    "status, submitted, answers, seconds, extra, scores, codes, intervals, near, outcome, "
    "overall, plan"
)


@dataclass(frozen=True)
class InitResult:
    schema_before: int | None
    schema_version: int
    created: tuple[str, ...]  # the roles created now (those that existed are kept)
    recruiter: str
    station: str


def grant_statements(recruiter: str, station: str) -> list[Any]:
    """The GRANTs (and REVOKEs, so a second run makes the same state) of the two roles."""
    from psycopg import sql

    r, s = sql.Identifier(recruiter), sql.Identifier(station)
    cols_in = sql.SQL(_STATION_INSERT)
    cols_up = sql.SQL(_STATION_UPDATE)
    statements = [
        "GRANT USAGE ON SCHEMA screener TO {r}, {s}",
        # the recruiter: everything, now and on tables a later migration adds
        "GRANT ALL ON ALL TABLES IN SCHEMA screener TO {r}",
        "GRANT ALL ON ALL SEQUENCES IN SCHEMA screener TO {r}",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA screener TO {r}, {s}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA screener GRANT ALL ON TABLES TO {r}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA screener GRANT ALL ON SEQUENCES TO {r}",
        # the station: from nothing, then what it needs
        "REVOKE ALL ON ALL TABLES IN SCHEMA screener FROM {s}",
        "REVOKE ALL ON ALL SEQUENCES IN SCHEMA screener FROM {s}",
        "GRANT SELECT (id, schema_version) ON screener.meta TO {s}",
        "GRANT SELECT, INSERT ON screener.layouts TO {s}",
        # candidates: their ids, those of the attempts it runs, those it names exactly
        # (schema 8), never the whole list of names and contacts
        "GRANT SELECT (id), INSERT ON screener.candidates TO {s}",
        "GRANT SELECT ON screener.running_candidates TO {s}",
        "GRANT EXECUTE ON FUNCTION screener.known_candidates(text, text) TO {r}, {s}",
        "GRANT SELECT (id), INSERT ({cols_in}), UPDATE ({cols_up}) ON screener.attempts TO {s}",
        "GRANT SELECT, UPDATE ({cols_up}) ON screener.running_attempts TO {s}",
        "GRANT SELECT ON screener.running_audit TO {s}",
        "GRANT INSERT ON screener.competency_results, screener.plan_rows, screener.audit TO {s}",
        # a returning candidate's earlier attempts, without their results (schema 4):
        # the form of a retake and the items never to ask again
        "GRANT EXECUTE ON FUNCTION screener.earlier_attempts(text, text) TO {r}, {s}",
    ]
    return [sql.SQL(text).format(r=r, s=s, cols_in=cols_in, cols_up=cols_up) for text in statements]


def init(url: str, recruiter: str = RECRUITER, station: str = STATION) -> InitResult:
    """Bring the schema up to date, create the two roles when missing (NOLOGIN) and
    grant them what they may do; one transaction, safe to run again."""
    import psycopg
    from psycopg import sql

    from screener.errors import StoreError
    from screener.store.postgres.connection import check_url, open_connection, operation_error
    from screener.store.postgres.migrate import MIGRATION_LOCK, apply

    if recruiter == station:
        raise StoreError("db init: the recruiter and station roles must have different names")
    params = check_url(url)
    conn = open_connection(url, params)
    created: list[str] = []
    try:
        before, after = apply(conn, url)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            for name in (recruiter, station):
                found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
                if found.fetchone() is None:
                    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
                    created.append(name)
            for statement in grant_statements(recruiter, station):
                conn.execute(statement)
    except psycopg.Error as exc:
        raise operation_error(
            exc, "create roles and grant them (db init; run it as the schema's owner)", url
        ) from None
    finally:
        conn.close()
    return InitResult(before, after, tuple(created), recruiter, station)


def without_password(url: str) -> str:
    """``url`` with any password taken out (``check_url`` refuses one anyway)."""
    import re

    url = re.sub(r"(://[^/@?]*?):[^/@?]*@", r"\1@", url, count=1)
    return re.sub(r"([?&])password=[^&]*&?", r"\1", url).rstrip("?&")


def server_facts(url: str) -> dict[str, object]:
    """What ``db info`` shows of a server beside its URL: the server's version, the login and
    what it may do (``recruiter``: read everything; ``station``: only run attempts;
    ``none``: no screener rights; ``no schema``)."""
    from screener.store.postgres.connection import (
        check_url,
        open_connection,
        open_light,
        operation_error,
    )

    params = check_url(url)
    # the libpq reader when it connects (psycopg's start-up is most of db info's time)
    conn: Any = open_light(url, params) or open_connection(url, params)
    try:
        row = conn.execute(
            "SELECT current_setting('server_version'), current_user, current_database(),"
            " to_regclass('screener.attempts') IS NOT NULL"
        ).fetchone()
        assert row is not None
        version, user, dbname, has_schema = row
        may = "no schema"
        if has_schema:
            rights = conn.execute(
                "SELECT has_table_privilege('screener.attempts', 'SELECT'),"
                " has_any_column_privilege('screener.attempts', 'INSERT'),"
                " has_table_privilege('screener.candidates', 'DELETE')"
            ).fetchone()
            assert rights is not None
            read, insert, delete = rights
            may = (
                "recruiter (everything)"
                if read and delete
                else "read results"
                if read
                else "station (register, take, submit)"
                if insert
                else "none"
            )
    except Exception as exc:
        import psycopg  # (the libpq reader raises psycopg's errors too)

        if not isinstance(exc, psycopg.Error):
            raise
        raise operation_error(exc, "read the server's facts (db info)", url) from None
    finally:
        conn.close()
    return {
        "server": f"PostgreSQL {version}",
        "name": dbname,
        "user": user,
        "may": may,
    }
