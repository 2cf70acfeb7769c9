"""The light PostgreSQL reader (``screener.store.postgres.libpq``): ``show`` and
``report`` read through the libpq psycopg's wheel bundles, without importing psycopg.

Against the real throw-away server (tests/pgserver.py): every value it reads is the
value psycopg reads (type included), for the store's reads and for hostile values;
``show --json`` and ``report`` are the same bytes with either driver; the errors a
user meets are today's one-line messages; a lost connection is one line too.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers import ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from results_data import TINY_DIR

from screener.errors import StoreError
from screener.store import AttemptRecord, connect
from screener.store.postgres import libpq
from screener.store.postgres.backend import PostgresStore, _is_light
from screener.store.postgres.connection import check_url
from tests.pgserver import PASSWORD_ROLE, PgServer, _free_port
from tests.test_store import LAYOUT, answers_for, scored

TINY = ("--content-dir", str(TINY_DIR))
A_GOOD = "m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n"
B_GOOD = "m3: a\nm4: 12\nt3: 5\nt4: 1\ns2: a\n"  # form B, of a retake
PSYCOPG = {libpq.DRIVER_ENV: "psycopg"}

pytestmark = pytest.mark.skipif(libpq.library() is None, reason="no bundled libpq")


@pytest.fixture
def server(pg_server: object) -> PgServer:
    assert isinstance(pg_server, PgServer)
    return pg_server


@pytest.fixture
def url(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SCREENER_DB", pg_url)
    monkeypatch.delenv(libpq.DRIVER_ENV, raising=False)
    yield pg_url


@pytest.fixture
def both(url: str) -> Iterator[tuple[psycopg.Connection[Any], libpq.LibpqConnection]]:
    """A psycopg connection and a libpq reader's to one database."""
    light = libpq.connect(url, 10, "screener")
    assert light is not None
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn, light
    light.close()


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def typed(value: Any) -> Any:
    """``value`` with every part's type beside it (NaN equal to NaN), to compare rows."""
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [getattr(value, f.name) for f in dataclasses.fields(value)]
        if isinstance(value, AttemptRecord) and value.status == "submitted":
            parts.append(value.to_json())  # (compared by identity): what it holds
        return (type(value).__name__, typed(parts))
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    if isinstance(value, Decimal) and value.is_nan():
        return ("Decimal", "NaN")
    return (type(value).__name__, value)


def same_rows(
    both: tuple[psycopg.Connection[Any], libpq.LibpqConnection],
    query: str,
    params: list[Any] | None = None,
) -> list[tuple[Any, ...]]:
    conn, light = both
    try:
        want = conn.execute(query, params).fetchall()
    except psycopg.Error as exc:  # the same error, then
        with pytest.raises(type(exc)) as raised:
            light.execute(query, params)
        assert str(raised.value) == str(exc)
        return []
    got = light.execute(query, params).fetchall()
    assert typed(got) == typed(want), (query, params)
    return got


# -- values ---------------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    "NULL",
    "null",
    'a "quoted" word',
    "back\\slash\\",
    "\\\\",
    "comma, and {braces}",
    "{}",
    "}",
    "'single'",
    "tab\tnew\nline\r",
    "ünïcödé ✓ 日本語 😀",
    "%s %% $1",
]


def test_hostile_values_of_every_type_the_schema_uses_read_as_psycopg_reads_them(
    both: tuple[psycopg.Connection[Any], libpq.LibpqConnection],
) -> None:
    conn, _ = both
    conn.execute(
        'CREATE TABLE public.hostile (n int, t text, v varchar, b bpchar, c "char", nm name,'
        " i2 int2, i4 int4, i8 int8, o oid, f4 float4, f8 float8, num numeric, ok bool,"
        " ta text[], ia int4[], la int8[], fa float8[], ba bool[], na numeric[], t2 text[][])"
    )
    texts = [*HOSTILE_TEXT, None]
    floats = [0.0, -0.0, 1.5, 1e300, -2.5e-308, math.inf, -math.inf, math.nan, None, 0.1]
    floats4 = [0.0, -0.0, 1.5, 3e38, -1.5e-38, math.inf, -math.inf, math.nan, None, 0.1]
    for n, text in enumerate(texts):
        f = floats[n % len(floats)]
        f4 = floats4[n % len(floats4)]
        conn.execute(
            "INSERT INTO public.hostile VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                n,
                text,
                text,
                text,
                (text or "x")[:1] if text is not None else None,
                text,
                [-32768, 32767, 0][n % 3],
                [-(2**31), 2**31 - 1, 7][n % 3],
                [-(2**63), 2**63 - 1, 0][n % 3],
                [0, 4294967295, 12][n % 3],
                f4,
                f,
                [Decimal("1.10"), Decimal("-0.000001"), Decimal("NaN"), Decimal("1e30")][n % 4],
                [True, False, None][n % 3],
                [t for t in texts[: n + 1]],
                [1, None, -3][: n % 4],
                [2**62, None][: n % 3],
                [f, 2.0, None][: n % 4],
                [True, None, False][: n % 4],
                [Decimal("3.14"), None][: n % 3],
                [[text, None], ["x", text]] if n % 2 else [],
            ),
        )
    rows = same_rows(both, "SELECT * FROM public.hostile ORDER BY n")
    assert len(rows) == len(texts)
    same_rows(both, "SELECT ARRAY[]::text[], '{}'::int4[], '[0:1]={7,8}'::int4[]")
    same_rows(both, "SELECT NULL, 'unknown literal', 'x'::text IS NULL, to_regclass('nothing')")
    same_rows(both, "SELECT to_regclass('screener.meta'), count(*) FROM screener.meta")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
        ),
        max_size=8,
    )
)
def test_a_text_array_reads_as_psycopg_reads_it(
    both: tuple[psycopg.Connection[Any], libpq.LibpqConnection], values: list[str | None]
) -> None:
    conn, _ = both
    literal = conn.execute("SELECT %s::text[]::text", [values]).fetchone()
    assert literal is not None
    rows = same_rows(both, "SELECT %s::text[], %s::text[]", [literal[0], literal[0]])
    assert rows == [(values, values)]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
        st.lists(st.one_of(st.none(), st.integers(-(2**70), 2**70)), max_size=4),
    )
)
def test_a_parameter_goes_and_comes_back_as_with_psycopg(
    both: tuple[psycopg.Connection[Any], libpq.LibpqConnection], value: Any
) -> None:
    """Sent without a cast, the type the server gives the value is the one psycopg's
    dumper names; with a cast, the text is what psycopg sends."""
    if isinstance(value, list):
        same_rows(both, "SELECT 1 = ANY(%s), %s::numeric[]::text, %s", [value, value, value])
        return
    same_rows(both, "SELECT %s, %s::text, %s IS NULL", [value, value, value])


def test_placeholders_and_percent_signs(
    both: tuple[psycopg.Connection[Any], libpq.LibpqConnection],
) -> None:
    same_rows(both, "SELECT '100%%', %s || '%%s'", ["a"])
    same_rows(both, "SELECT '100%'")  # without parameters the query is sent as it is
    same_rows(both, "SELECT %s, %t", [1, "2"])
    _, light = both
    with pytest.raises(psycopg.ProgrammingError):
        light.execute("SELECT %s, %s", [1])
    with pytest.raises(psycopg.NotSupportedError):
        light.execute("SELECT now(); SELECT 1").fetchall()  # timestamptz: psycopg: a datetime
    assert light.execute("SELECT 2").fetchall() == [(2,)]  # every result was read


def test_every_type_read_is_read_as_psycopg_reads_it() -> None:
    """Each built-in type the reader accepts is one psycopg loads the same way: its
    numbers as int / float / Decimal, its text as str (psycopg's text loader, or none)."""
    from psycopg.pq import Format

    loaders = psycopg.adapters
    for oid in [*libpq._SCALARS, *libpq._ARRAYS]:
        loader = loaders.get_loader(oid, Format.TEXT)
        name = loader.__name__ if loader is not None else None
        decoder = libpq._decoder(oid)
        if oid in libpq._ARRAYS:
            assert name is not None and name.endswith("ArrayLoader"), (oid, name)
        elif decoder is libpq._text:
            assert name in ("TextLoader", None), (oid, name)
        else:
            assert name in ("IntLoader", "FloatLoader", "NumericLoader", "BoolLoader"), oid


def test_multi_statement_results_and_errors(
    both: tuple[psycopg.Connection[Any], libpq.LibpqConnection],
) -> None:
    conn, light = both
    cur = light.execute("BEGIN; SELECT 1, 'a'; SELECT 2; COMMIT")
    with pytest.raises(psycopg.ProgrammingError):
        cur.fetchone()  # BEGIN has no rows, as with psycopg
    assert cur.nextset() and cur.fetchall() == [(1, "a")]
    assert cur.nextset() and list(cur) == [(2,)]
    assert cur.nextset() and cur.nextset() is None
    for query in ("SELECT * FROM no_such_table", "SELECT 1/0", "SELECT 1; SELECT x; SELECT 2"):
        with pytest.raises(psycopg.Error) as want:
            conn.execute(query)
        with pytest.raises(psycopg.Error) as got:
            light.execute(query)
        assert type(got.value) is type(want.value) and str(got.value) == str(want.value)
        assert got.value.sqlstate == want.value.sqlstate
    assert light.execute("SELECT 3").fetchone() == (3,)  # usable after an error


def test_the_url_is_parsed_as_psycopg_parses_it(server: PgServer) -> None:
    from psycopg.conninfo import conninfo_to_dict

    for url in (
        server.url("results"),
        f"postgresql://screener@/db?host={server.socket_dir}&port={server.port}",
        "postgresql://u@h1:5,h2:6/d?sslmode=require&application_name=x%20y",
        "postgresql://",
    ):
        assert libpq.conninfo_to_dict(url) == conninfo_to_dict(url)
    assert libpq.conninfo_to_dict("postgresql://h/d?nonsense=1") is None
    with pytest.raises(StoreError, match="not a usable PostgreSQL URL: invalid URI query"):
        check_url("postgresql://h/d?nonsense=1")


# -- the store's reads ---------------------------------------------------------------------


def _filled(url: str, server: PgServer) -> str:
    """A database with two people, attempts, progress with hostile lessons and audit."""
    store = connect(url)
    ann = store.add_candidate('Ann "Quote" Lee', contact="a,b\\c {d}")
    bo = store.add_candidate("Bø Ünïcode", candidate_id="bo-1")
    store.save_attempt(ann.id, *scored(answers_for(1)), answers_for(1), LAYOUT, seed=2**40)
    store.save_attempt(ann.id, *scored(answers_for(2)), answers_for(2), LAYOUT)
    store.save_attempt(bo.id, *scored(answers_for(3)), answers_for(3), LAYOUT)
    store.start_attempt(ann.id, LAYOUT, seed=5)
    store.audit("attempt.extra_time", candidate_id=ann.id, detail="1.5", count=3)
    server.query(
        "INSERT INTO screener.progress (candidate_id, module, started, updated, check_score,"
        " lessons) VALUES (%s, 'm1', 't0', 't1', 0.1, %s), (%s, 'm2', 't0', 't1', NULL, '{}')",
        dbname(url),
        ann.id,
        ["", "NULL", 'q"uote', "back\\slash", "a,b", "{x}", "ü 😀", None],
        ann.id,
    )
    return ann.id


def test_the_store_reads_the_same_through_either_driver(url: str, server: PgServer) -> None:
    ann = _filled(url, server)
    light = PostgresStore(url, light=True)
    full = PostgresStore(url)

    def reads(store: PostgresStore) -> list[object]:
        with store.reading():
            who = store.resolve_candidate(ann)
            return [
                who,
                store.resolve_candidate('Ann "Quote" Lee'),
                store.attempts(candidate=who.id, status=None),
                store.attempts(),
                store.attempts(candidate=who.id, assessment=LAYOUT.assessment),
                store.progress(who.id),
                store.progress(),
                store.audit_events(candidate_id=who.id),
                store.candidates(),
                store.candidates([ann, "bo-1", "nobody"]),
                store.layouts(),
                store.exists(),
                store.info(),
                store.secret(),
                list(store.iter_attempts()),
            ]

    got = reads(light)
    assert _is_light(light._conn) and not _is_light(full._conn)
    assert typed(got) == typed(reads(full))
    assert got[5][0].lessons == ("", "NULL", 'q"uote', "back\\slash", "a,b", "{x}", "ü 😀", None)
    assert len(got[2]) == 3 and got[2][0].seed == 2**40
    assert typed(reads(light)) == typed(got)  # again, with the layouts cached


def test_a_database_without_the_schema_reads_as_empty_through_the_light_reader(
    server: PgServer,
) -> None:
    """The meta table missing: the version is asked the old way (``to_regclass``, a
    regclass the reader gives as psycopg does), still read-only, still light."""
    store = PostgresStore(server.new_database(migrated=False), light=True)
    assert store.attempts() == [] and store.candidates() == [] and not store.exists()
    assert store.info().schema_version is None and store.progress() == []
    assert _is_light(store._conn)


def test_the_backend_imports_no_psycopg() -> None:
    code = (
        "import sys, screener.store.postgres.backend, screener.store.postgres.libpq;"
        " print('psycopg' in sys.modules, 'screener.store.summaries' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_a_write_on_a_light_store_goes_through_psycopg(url: str) -> None:
    store = PostgresStore(url, light=True)
    assert store.candidates() == [] and _is_light(store._conn)
    person = store.add_candidate("Written")
    assert not _is_light(store._conn) and not store.light
    assert store.get_candidate(person.id) == person
    with store.reading(), pytest.raises(RuntimeError):
        store.add_candidate("Inside a read")


def test_a_light_connection_the_server_dropped_while_idle_is_made_again(
    server: PgServer, url: str
) -> None:
    person = connect(url).add_candidate("Idle")
    store = PostgresStore(url, light=True)
    assert store.get_candidate(person.id) == person
    server.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        "postgres",
        dbname(url),
    )
    assert store.get_candidate(person.id) == person
    assert _is_light(store._conn)


def test_a_connection_lost_inside_a_light_read_is_one_error(server: PgServer, url: str) -> None:
    person = connect(url).add_candidate("Lost")
    store = PostgresStore(url, light=True)
    with pytest.raises(StoreError) as lost, store.reading():
        store.get_candidate(person.id)
        server.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            "postgres",
            dbname(url),
        )
        store.attempts(candidate=person.id)
    message = str(lost.value)
    assert (
        message.startswith("lost the connection to the PostgreSQL server") and "\n" not in message
    )
    assert store.get_candidate(person.id) == person  # and the next read connects again


# -- the commands ----------------------------------------------------------------------------


def _take(tmp_path: Path, answers: str, *who: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(answers)
    done = run_cli(*TINY, "take", "tiny", "--answers", str(path), *who)
    assert done.returncode == 0, done.stderr


def test_reading_commands_say_the_same_bytes_with_either_driver(
    url: str, server: PgServer, tmp_path: Path
) -> None:
    _take(tmp_path, A_GOOD, "--name", "Ann Lee")
    [ann] = connect(url).candidates()
    _take(tmp_path, B_GOOD, "--candidate", ann.id)
    _filled(url, server)
    commands = [
        ("show", "Ann Lee", "--json"),
        ("show", ann.id),
        (*TINY, "show", ann.id),
        ("report", ann.id),
        (*TINY, "report", ann.id, "--format", "html"),
        (*TINY, "show", 'Ann "Quote" Lee', "--json"),
        ("report", 'Ann "Quote" Lee'),
        ("show", "nobody"),
        # the commands that read a list (the libpq reader too, since session 8)
        ("results",),
        (*TINY, "results", "--assessment", "tiny", "--json"),
        ("export", "--format", "csv"),
        (*TINY, "export", "--format", "jsonl", "--anonymize", "--items"),
        (*TINY, "stats", "tiny", "--json"),
        ("results", "--assessment", "nothing-such"),
        (*TINY, "coach", ann.id, "--no-input"),
        (*TINY, "coach", "bo-1", "--no-input"),
    ]
    for args in commands:
        light = run_cli(*args, subprocess=True)
        full = run_cli(*args, env=PSYCOPG, subprocess=True)
        assert (light.returncode, light.stdout, light.stderr) == (
            full.returncode,
            full.stdout,
            full.stderr,
        ), args
        assert light.stdout or light.stderr


def _imported(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    code = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\nLOADED ' + ' '.join("
        "m for m in ('psycopg', 'psycopg_binary', 'asyncio', 'ssl') if m in sys.modules)))\n"
        f"sys.argv = ['screener', *{list(args)!r}]\n"
        "runpy.run_module('screener', run_name='__main__', alter_sys=True)\n"
    )
    import os

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return done.returncode, set(done.stderr.rsplit("LOADED", 1)[1].split())


def test_show_report_and_db_info_on_a_server_do_not_import_psycopg(
    url: str, tmp_path: Path
) -> None:
    _take(tmp_path, A_GOOD, "--name", "Ann Lee")
    for command in ("show", "report"):
        assert _imported(command, "Ann Lee") == (0, set())
        assert _imported(command, "nobody")[1] == set()  # a one-line error: no psycopg either
    code, loaded = _imported("show", "Ann Lee", env=PSYCOPG)
    assert code == 0 and "psycopg" in loaded
    assert _imported("db", "info") == (0, set())  # nor db info (the server's facts too)
    assert _imported("results") == (0, set())  # nor a short list of results
    assert _imported("export", "--format", "csv") == (0, set())


# -- the errors a user meets ---------------------------------------------------------------


def one_line_error(done: Any) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    return str(done.stderr)


def test_the_connection_errors_are_todays_one_line_messages(
    server: PgServer, tmp_path: Path
) -> None:
    env = {"PGPASSFILE": str(tmp_path / "none"), "PGPASSWORD": "wrong-guess"}
    cases = [
        (f"postgresql://x@127.0.0.1:{_free_port()}/results", "cannot reach the PostgreSQL server"),
        (server.url("no_such_db"), "database no_such_db does not exist"),
        (
            server.url("postgres", user=PASSWORD_ROLE),
            f"authentication failed for user {PASSWORD_ROLE}",
        ),
    ]
    for db, message in cases:
        for command in ("show", "report"):
            light = run_cli("--db", db, command, "someone", env=env, subprocess=True)
            full = run_cli("--db", db, command, "someone", env={**env, **PSYCOPG}, subprocess=True)
            assert message in one_line_error(light) and "wrong-guess" not in light.stderr
            assert light.stderr == full.stderr


def test_a_server_that_does_not_answer_is_waited_for_once(tmp_path: Path) -> None:
    """A port that takes the connection but never answers: libpq gives up after
    ``connect_timeout``, and psycopg is not left to wait as long again."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        db = f"postgresql://x@127.0.0.1:{port}/results?connect_timeout=2"
        started = time.monotonic()
        done = run_cli("--db", db, "show", "someone", subprocess=True)
        took = time.monotonic() - started
        full = run_cli("--db", db, "show", "someone", env=PSYCOPG, subprocess=True)
    err = one_line_error(done)
    assert err == full.stderr
    assert f"cannot reach the PostgreSQL server at 127.0.0.1:{port}" in err
    assert 2 <= took < 3.8, took  # one timeout (psycopg's again would be 4 s)


def test_a_connection_lost_during_show_is_one_line(
    server: PgServer, url: str, tmp_path: Path
) -> None:
    """``show`` waits on a lock its read needs; its server process is ended meanwhile."""
    _take(tmp_path, A_GOOD, "--name", "Ann Lee")
    locker = psycopg.connect(url)
    locker.execute("LOCK TABLE screener.progress IN ACCESS EXCLUSIVE MODE")
    show = subprocess.Popen(
        [sys.executable, "-m", "screener", "show", "Ann Lee"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        killed: list[object] = []
        deadline = time.monotonic() + 60
        while not killed and show.poll() is None and time.monotonic() < deadline:
            killed = server.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
                " AND application_name = 'screener' AND wait_event_type = 'Lock'",
                "postgres",
                dbname(url),
            )
            time.sleep(0.02)
        out, err = show.communicate(timeout=60)
    finally:
        locker.close()
    assert killed, "show ended before it waited"
    assert show.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith("error: lost the connection to the PostgreSQL server"), err
    assert "terminating connection due to administrator command" in err and out == ""


def _interrupted_when(show: subprocess.Popen[str], ready: Any) -> tuple[int, str, float]:
    """Ctrl-C (SIGINT) to ``show`` once ``ready()``: its exit code, stderr and how long
    it took to end after the signal."""
    import signal

    deadline = time.monotonic() + 60
    while not ready() and show.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert show.poll() is None, show.communicate()
    sent = time.monotonic()
    show.send_signal(signal.SIGINT)
    _, err = show.communicate(timeout=60)
    return show.returncode, err, time.monotonic() - sent


def test_ctrl_c_while_show_waits_on_a_lock_cancels_it(
    server: PgServer, url: str, tmp_path: Path
) -> None:
    """The light reader waits on the socket, not inside libpq: Ctrl-C ends ``show`` at
    once (as with psycopg), its query cancelled, though the lock is still held."""
    _take(tmp_path, A_GOOD, "--name", "Ann Lee")
    waiting = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        " AND application_name = 'screener' AND wait_event_type = 'Lock'"
    )
    with psycopg.connect(url) as locker:
        locker.execute("LOCK TABLE screener.progress IN ACCESS EXCLUSIVE MODE")
        show = subprocess.Popen(
            [sys.executable, "-m", "screener", "show", "Ann Lee"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        code, err, took = _interrupted_when(
            show, lambda: server.query(waiting, "postgres", dbname(url)) == [(1,)]
        )
        assert (code, err) == (130, "interrupted\n") and took < 5, (code, err, took)
        assert server.query(waiting, "postgres", dbname(url)) == [(0,)]


def test_ctrl_c_while_connecting_to_a_silent_server() -> None:
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        show = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "screener",
                "--db",
                f"postgresql://x@127.0.0.1:{port}/results?connect_timeout=60",
                "show",
                "someone",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        code, err, took = _interrupted_when(show, lambda: time.monotonic() > started + 1.5)
    assert (code, err) == (130, "interrupted\n") and took < 5, (code, err, took)
