"""The PostgreSQL backend (issue 16) against a real, throw-away server (tests/pgserver.py).

The store contract runs over it in tests/test_store_contract.py; here: the errors a
user meets (one line, exit 1, never the password), the commands end to end, the
same ``results --json`` as the file store, erasure leaving no row, answers under
``SELECT ... FOR UPDATE``, streams through a server-side cursor, migrations.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import DATA, run_cli
from results_data import NASTY, START, TINY_DIR, tiny_answers
from test_batch import BFI, ITEMS, bfi_rows, write_csv

from screener.errors import StoreError
from screener.store import Layout, NewAttempt, NewCandidate, Store, connect
from screener.store.postgres import migrate_database, postgres_url
from screener.store.postgres.backend import PostgresStore
from screener.store.postgres.migrate import schema_version
from tests.pgserver import PASSWORD, PASSWORD_ROLE, SUPERUSER, PgServer, _free_port
from tests.test_store import BFI as BFI_MODEL
from tests.test_store import LAYOUT, answers_for, row, scored

TINY = ("--content-dir", str(TINY_DIR))
A_GOOD = "m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n"
LATEST = schema_version()
#: The attempts' indexes and constraints, as defined (a large batch drops and makes
#: some of them again).
ATTEMPTS_SCHEMA = (
    "SELECT pg_get_indexdef(indexrelid) FROM pg_index"
    " WHERE indrelid = 'screener.attempts'::regclass"
    " UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE conrelid = 'screener.attempts'::regclass AND contype IN ('f', 'p', 'u')"
    " ORDER BY 1"
)
#: The candidates' keys and indexes, and the keys naming them (schema 7: a first
#: import drops and makes them again).
PEOPLE_SCHEMA = (
    "SELECT pg_get_indexdef(indexrelid) FROM pg_index"
    " WHERE indrelid = 'screener.candidates'::regclass"
    " UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
    " FROM pg_constraint WHERE conrelid = 'screener.candidates'::regclass"
    " OR confrelid = 'screener.candidates'::regclass"
    " ORDER BY 1"
)
#: The attempts' foreign keys, counted (a large batch drops and makes them again).
FOREIGN_KEYS = (
    "SELECT count(*) FROM pg_constraint WHERE conrelid = 'screener.attempts'::regclass"
    " AND contype = 'f' AND conname IN ('attempts_candidate_id_fkey', 'attempts_layout_fkey')"
)


@pytest.fixture
def server(pg_server: object) -> PgServer:
    assert isinstance(pg_server, PgServer)
    return pg_server


@pytest.fixture
def url(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database, and the commands of this test pointed at it."""
    monkeypatch.setenv("SCREENER_DB", pg_url)
    yield pg_url


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr


# -- the errors a user meets ---------------------------------------------------------------


def test_a_url_with_a_password_is_refused_without_showing_it() -> None:
    for url in (
        "postgresql://ann:s3cret-pw@127.0.0.1:5432/results",
        "postgres://127.0.0.1/results?password=s3cret-pw",
    ):
        err = one_line_error(run_cli("--db", url, "db", "info"))
        assert "~/.pgpass or PGPASSWORD, not in the URL" in err and "s3cret-pw" not in err


def test_a_server_that_is_not_there() -> None:
    port = _free_port()
    err = one_line_error(run_cli("--db", f"postgresql://x@127.0.0.1:{port}/results", "results"))
    assert f"cannot reach the PostgreSQL server at 127.0.0.1:{port}" in err


def test_a_wrong_password_and_a_missing_database(server: PgServer, tmp_path: Path) -> None:
    env = {"PGPASSFILE": str(tmp_path / "none"), "PGPASSWORD": "wrong-guess"}
    bad = server.url("postgres", user=PASSWORD_ROLE)
    err = one_line_error(run_cli("--db", bad, "db", "info", env=env))
    assert f"authentication failed for user {PASSWORD_ROLE}" in err and "wrong-guess" not in err
    missing = server.url("no_such_db")
    err = one_line_error(run_cli("--db", missing, "results"))
    assert "database no_such_db does not exist" in err


def test_a_role_without_the_rights_is_told_which_operation(
    server: PgServer, url: str, tmp_path: Path
) -> None:
    connect(url).add_candidate("Someone")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{server.port}:*:{PASSWORD_ROLE}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    as_other = server.url(dbname(url), user=PASSWORD_ROLE)
    env = {"PGPASSFILE": str(pgpass), "PGPASSWORD": None, "SCREENER_DB": as_other}
    err = one_line_error(run_cli("results", env=env))
    assert err.startswith("error: permission denied: this role may not read") or (
        "permission denied: this role may not read" in err
    )
    assert "read results (results, export)" in err  # worded for the command refused
    unmigrated = server.url(dbname(server.new_database(migrated=False)), user=PASSWORD_ROLE)
    env["SCREENER_DB"] = unmigrated
    answers = tmp_path / "answers.yaml"
    answers.write_text(A_GOOD)
    take = ("take", "tiny", "--answers", str(answers), "--name", "X")
    err = one_line_error(run_cli(*TINY, *take, env=env))
    assert "this role may not create them: run `screener db migrate`" in err


def test_a_newer_schema_is_refused_and_left_alone(
    server: PgServer, url: str, tmp_path: Path
) -> None:
    connect(url).add_candidate("Before")
    server.query("UPDATE screener.meta SET schema_version = 99", dbname(url))
    answers = tmp_path / "answers.yaml"
    answers.write_text(A_GOOD)
    take = ("take", "tiny", "--answers", str(answers), "--name", "X")
    for args in (("results",), ("db", "info"), take):
        err = one_line_error(run_cli(*TINY, *args))
        assert f"schema version 99, newer than this screener knows ({LATEST})" in err
    assert server.query("SELECT count(*) FROM screener.candidates", dbname(url)) == [(1,)]


# -- schema and migrations -------------------------------------------------------------------


def test_an_empty_database_reads_as_empty_and_the_first_write_creates_the_schema(
    server: PgServer,
) -> None:
    url = server.new_database(migrated=False)
    store = connect(url)
    assert store.attempts() == [] and store.candidates() == [] and not store.exists()
    assert store.info().schema_version is None
    assert server.query("SELECT to_regclass('screener.meta')", dbname(url)) == [(None,)]
    store.add_candidate("First")
    assert store.info().schema_version == LATEST and store.exists()
    assert migrate_database(url) == (LATEST, LATEST)
    other = server.new_database(migrated=False)
    assert migrate_database(other) == (None, LATEST) and not connect(other).exists()


def test_a_url_through_a_path_and_the_environment(server: PgServer, url: str) -> None:
    """``--db`` is parsed as a path, which makes ``//`` one slash: put back."""
    assert postgres_url(Path(url)) == url
    assert isinstance(connect(Path(url)), PostgresStore)
    assert isinstance(connect(), PostgresStore)  # $SCREENER_DB
    assert connect(url).location == url
    connect(url).add_candidate("Over TCP")
    socket = f"postgresql://screener@/{dbname(url)}?host={server.socket_dir}&port={server.port}"
    assert [c.name for c in connect(Path(socket)).candidates()] == ["Over TCP"]
    done = run_cli("--db", socket, "db", "info", "--json")
    assert json.loads(done.stdout)["candidates"] == 1, done.stderr


def test_a_url_without_a_host_through_db_reads_the_pg_variables(server: PgServer, url: str) -> None:
    """``--db postgresql:///NAME``: libpq takes the host, port and user from ``PG*``
    (``--db`` once went through a path, which turned ``///`` into ``/``)."""
    connect(url).add_candidate("By Socket")
    env = {
        "PGHOST": str(server.socket_dir),
        "PGPORT": str(server.port),
        "PGUSER": SUPERUSER,
        "SCREENER_DB": None,
    }
    done = run_cli("--db", f"postgresql:///{dbname(url)}", "db", "info", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["candidates"] == 1


def test_starting_up_imports_no_psycopg() -> None:
    code = "import sys, screener.store, screener.cli; print('psycopg' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_show_and_report_on_a_server_import_neither_tinydb_nor_unused_content(
    url: str, tmp_path: Path
) -> None:
    """``show`` and ``report`` of an attempt whose assessment is not in the content in use
    import neither the file store (tinydb) nor the content models nor the bulk save, nor
    psycopg (they read through the bundled libpq: tests/test_store_postgres_libpq.py)."""
    from test_startup_imports import _loaded

    answers = tmp_path / "answers.yaml"
    answers.write_text(A_GOOD)
    done = run_cli(*TINY, "take", "tiny", "--answers", str(answers), "--name", "Ann Lee")
    assert done.returncode == 0, done.stderr
    for command in ("show", "report"):
        assert run_cli(command, "Ann Lee").returncode == 0  # fills the content cache
        out, loaded = _loaded(command, "Ann Lee")
        assert "tiny" in out and loaded == set(), loaded
        _, modules = _loaded(command, "Ann Lee", probe=("tinydb", "screener.store.core"))
        assert modules == set()  # the file store's


# -- the commands on PostgreSQL --------------------------------------------------------------


def test_take_show_report_export_delete_and_info(url: str, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(A_GOOD)
    done = run_cli(*TINY, "take", "tiny", "--answers", str(answers), "--name", "Ann Lee")
    assert done.returncode == 0, done.stderr
    [ann] = connect(url).candidates()
    done = run_cli(
        *TINY, "take", "tiny", "--form", "A", "--answers", str(answers), "--candidate", ann.id
    )
    assert done.returncode == 0, done.stderr  # the same person again
    assert len(connect(url).attempts(candidate=ann.id)) == 2
    done = run_cli(*TINY, "show", "Ann Lee", "--json")
    assert done.returncode == 0, done.stderr
    assert ann.id in done.stdout
    done = run_cli(*TINY, "report", ann.id, "--format", "md")
    assert done.returncode == 0 and "Ann Lee" in done.stdout, done.stderr
    out = tmp_path / "all.csv"
    done = run_cli(*TINY, "export", "--format", "csv", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().count("\n") == 3  # header and two attempts
    done = run_cli("db", "info", "--json")
    info = json.loads(done.stdout)
    assert (info["attempts"], info["candidates"], info["schema_version"]) == (2, 1, LATEST)
    assert info["path"] == url
    done = run_cli("delete", ann.id, "--yes")
    assert done.returncode == 0, done.stderr
    assert "deleted Ann Lee" in done.stderr
    assert connect(url).candidates() == [] and connect(url).attempts(status=None) == []


def test_batch_and_results_json_equal_to_the_file_store(url: str, tmp_path: Path) -> None:
    csv_file = write_csv(tmp_path / "cohort.csv", bfi_rows(30))
    file_db = tmp_path / "file" / "screener.json"
    file_db.parent.mkdir()
    for db in (url, str(file_db)):
        done = run_cli("--db", db, "batch", str(csv_file), "-a", BFI)
        assert done.returncode == 0, done.stderr
        again = run_cli("--db", db, "batch", str(csv_file), "-a", BFI)  # stores nothing twice
        assert again.returncode == 0, again.stderr

    def lines(db: str) -> list[dict[str, object]]:
        done = run_cli("--db", db, "--content-dir", str(DATA / "bfi"), "results", "--json")
        assert done.returncode == 0, done.stderr
        out = [json.loads(x) for x in done.stdout.splitlines()]
        for line in out:  # new random ids, and the second the batch ran
            line.pop("attempt_id"), line.pop("submitted_at")
        return out

    on_server = lines(url)
    assert len(on_server) == 30 and on_server == lines(str(file_db))


def test_a_batchs_new_people_keep_their_contacts_on_both_backends(url: str, tmp_path: Path) -> None:
    """New people with contact details are stored by the bulk save, with their row's
    contact (cleaned); a returning person's stored contact is left as it was. (They
    were once added one ``add_candidate`` at a time: a 60,000-row file took minutes.)"""
    rows = bfi_rows(6)
    header = ["candidate_id", "name", "Email", *ITEMS]
    first = [
        [r[0], r[1], f"  {r[0]}@example.org " if n % 2 == 0 else "", *r[2:]]
        for n, r in enumerate(rows[:4])
    ]
    later = [[rows[0][0], rows[0][1], "new@example.org", *rows[4][2:]]]  # a returning person
    later += [[r[0], r[1], f"{r[0]}@x.org", *r[2:]] for r in rows[5:]]
    file_db = tmp_path / "file" / "screener.json"
    file_db.parent.mkdir()
    for db in (url, str(file_db)):
        for n, part in enumerate((first, later)):
            csv_file = write_csv(tmp_path / f"part{n}.csv", part, header)
            again = ["--keep-both"] if n else []  # the returning person's retake
            done = run_cli("--db", db, "batch", str(csv_file), "-a", BFI, "--json", *again)
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["contacts_added"] == (2, 1)[n], done.stdout
        people = {c.id: c.contact for c in connect(db).candidates()}
        assert people == {
            rows[0][0]: f"{rows[0][0]}@example.org",  # kept, not the later file's
            rows[1][0]: None,
            rows[2][0]: f"{rows[2][0]}@example.org",
            rows[3][0]: None,
            rows[5][0]: f"{rows[5][0]}@x.org",
        }, db


def test_the_packed_attempt_is_the_file_stores(server: PgServer, url: str, tmp_path: Path) -> None:
    """``AttemptRecord.packed`` is the same on both backends: what keeps every reader equal."""
    from content_fixtures import tiny

    from screener.coaching import build_plan
    from screener.scoring import score_form

    a = tiny()
    import random

    rng = random.Random(5)
    rows = []
    people = [*NASTY, ("Back\\slash O'Neil", "back\\slash@example.org")]  # COPY escapes
    for n, (name, contact) in enumerate(people):
        for form in ("A", "B"):
            answers = tiny_answers(a, form, rng)
            card = score_form(a, answers, form)
            rows.append(
                NewAttempt(
                    NewCandidate(name, contact, id=f"c{n}"),
                    Layout.of(a, form),
                    card,
                    build_plan(a, card),
                    answers,
                    submitted=START,
                    seed=n,
                    key=f"k{n}{form}",
                )
            )
    file_store = Store(tmp_path / "f.json")
    file_store.save_attempts(rows)
    connect(url).save_attempts(rows)

    def packed(store: object) -> list[dict[str, object]]:
        assert isinstance(store, Store | PostgresStore)
        return [{**r.packed, "id": None} for r in store.attempts()]

    assert packed(connect(url)) == packed(file_store)
    for record in connect(url).attempts():  # the plan and competency rows beside each
        assert {
            (module, required)
            for module, required in server.query(
                "SELECT module, required FROM screener.plan_rows WHERE attempt_id = %s",
                dbname(url),
                record.attempt_id,
            )
        } == {(module, required) for module, _, _, required in record.plan_table}
        assert server.query(
            "SELECT competency, score, status FROM screener.competency_results"
            " WHERE attempt_id = %s ORDER BY position",
            dbname(url),
            record.attempt_id,
        ) == [(c.id, c.score, c.status) for c in record.competencies]
    assert file_store.attempts(module="tiny-math")  # the filter below finds some
    assert [
        r.to_json() | {"attempt_id": None} for r in connect(url).attempts(module="tiny-math")
    ] == [r.to_json() | {"attempt_id": None} for r in file_store.attempts(module="tiny-math")]
    for outcome in ("pass", "coaching", "incomplete"):
        assert len(connect(url).attempts(outcome=outcome)) == len(
            file_store.attempts(outcome=outcome)
        )


# -- erasure ------------------------------------------------------------------------------------


def test_erasure_leaves_no_row_anywhere(server: PgServer, url: str) -> None:
    from datetime import UTC, datetime

    from screener.pathway import Event

    store = connect(url)
    store.add_candidate("Zed Gonezed", "zed@gonezed.org", candidate_id="zedgone")
    store.add_candidate("Kay Kept", candidate_id="kay")
    store.save_attempts([row("zedgone", 1, key="zk1"), row("kay", 2)], command="t")
    started = store.start_attempt("zedgone", LAYOUT, command="take")
    store.record_answer(started.attempt_id, LAYOUT.items[0], 3)
    store.view_lesson("zedgone", "bfi-coaching", "intro")
    store.audit("note", command="t", detail="called Zed Gonezed")
    store.add_events([Event("zedgone", "hired", datetime(2024, 1, 1, tzinfo=UTC))])
    done = store.delete_candidate("zedgone")
    assert done.attempts == 2 and done.still_present == ()
    tables = [
        t
        for (t,) in server.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'screener'",
            dbname(url),
        )
    ]
    assert {"candidates", "attempts", "competency_results", "plan_rows", "audit"} <= set(tables)
    for table in tables:
        for text in ("zedgone", "gonezed", started.attempt_id):
            found = server.query(
                f"SELECT count(*) FROM screener.{table} t WHERE t::text ILIKE %s",
                dbname(url),
                f"%{text}%",
            )
            assert found == [(0,)], (table, text)
    assert [c.id for c in store.candidates()] == ["kay"]
    assert len(store.attempts()) == 1


# -- concurrency ----------------------------------------------------------------------------------


def test_answers_to_one_attempt_from_two_stations_never_interleave(url: str) -> None:
    """Station B's answer waits for station A's transaction (``FOR UPDATE``), then keeps
    A's answer: without the lock B would write back the answers it read before."""
    first = connect(url)
    person = first.add_candidate("Shared")
    attempt = first.start_attempt(person.id, LAYOUT)
    answers = list(answers_for(1).items())
    second = connect(url)
    done = threading.Event()

    def station_b() -> None:
        second.record_answer(attempt.attempt_id, answers[1][0], answers[1][1])
        done.set()

    with first.transaction():
        first.record_answer(attempt.attempt_id, answers[0][0], answers[0][1])
        worker = threading.Thread(target=station_b)
        worker.start()
        time.sleep(0.3)
        assert not done.is_set()  # B waits for A's lock
    worker.join(10)
    assert done.is_set()
    got = connect(url).attempts(status="in_progress")[0].answers
    assert got[answers[0][0]] == answers[0][1] and got[answers[1][0]] == answers[1][1]


# -- streams ------------------------------------------------------------------------------------


def test_a_long_stream_reads_through_a_cursor_in_chunks(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screener.store.postgres.backend as backend

    monkeypatch.setattr(backend, "EAGER_ROWS", 3)
    monkeypatch.setattr(backend, "CHUNK", 4)
    store = connect(url)
    store.save_attempts(
        [row(NewCandidate(f"S{n}", f"s{n}@x.org", id=f"s{n}"), n) for n in range(11)]
    )
    listed = [(a.attempt_id, a.name) for a in store.attempts()]
    stream = store.iter_attempts()
    assert len(stream) == 11 and stream.layouts == (LAYOUT,)
    seen = []
    for record in stream:
        seen.append((record.attempt_id, record.name))
        assert stream.contact(record.candidate_id) == f"{record.candidate_id}@x.org"
    assert seen == listed
    light = connect(
        url, reads_only=True
    )  # results, export: the libpq reader, then psycopg's cursor
    stream = light.iter_attempts()
    assert [(a.attempt_id, a.name, stream.contact(a.candidate_id)) for a in stream] == [
        (aid, name, f"{name.lower()}@x.org") for aid, name in listed
    ]
    with store.reading():  # the snapshot of the reading view, even after a write
        stream = store.iter_attempts()
        connect(url).save_attempts([row(NewCandidate("Late", id="late"), 99)])
    assert [a.attempt_id for a in stream] == [a for a, _ in listed]
    with store.transaction():  # inside a write: its own uncommitted attempts too
        store.save_attempts([row(NewCandidate("Inside", id="inside"), 98)])
        assert len(list(store.iter_attempts())) == 13


def test_a_row_packs_every_column_under_its_field_in_order() -> None:
    """``_packed`` (written out a column at a time) follows ``_PACKED_FIELDS``, the
    order COPY writes them in; an empty column is an absent field."""
    from screener.store.postgres.backend import _COPY_FIELDS, _packed

    values = tuple(f"v{n}" for n in range(19))
    assert list(_packed(values).items()) == list(zip(_COPY_FIELDS, values, strict=True))
    for gap in range(4, 19):
        holed = (*values[:gap], None, *values[gap + 1 :])
        assert list(_packed(holed)) == [f for f in _COPY_FIELDS if f != _COPY_FIELDS[gap]]


def test_a_cursor_stream_exports_the_bytes_the_file_store_does(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Names and contacts with quotes, commas, backslashes, formula starts and
    non-ASCII text, read through the cursor a few rows at a time, give the export
    the file store gives of the same attempts (copied with their ids), byte for byte."""
    import io

    import screener.store.postgres.backend as backend
    from screener.exporting import Format, export

    monkeypatch.setattr(backend, "EAGER_ROWS", 3)
    monkeypatch.setattr(backend, "CHUNK", 4)
    people = [
        ('Ann "The" O\'Neil, Jr.', "c:\\temp\\x; \\N"),
        ("=HYPERLINK(1)", "+41 79 000"),
        ("Zoë Ünïcode 李 😀", "zoe@example.com"),
        ("back\\slash", None),
        ("@at -minus", "-1"),
        *((f"P{n}", f"p{n}@x.org" if n % 2 else None) for n in range(6)),
    ]
    rows = [
        row(NewCandidate(name, contact, id=f"c{n}"), n, submitted=START + timedelta(hours=n))
        for n, (name, contact) in enumerate(people)
    ]
    rows.append(row("c2", 99, submitted=START - timedelta(days=1)))  # an earlier one
    files = Store(tmp_path / "data" / "screener.json")
    files.save_attempts(rows)
    server = connect(url)
    server.restore(files.dump())
    plain = b""
    for fmt, items, secret in (
        (Format.CSV, False, None),
        (Format.CSV, True, None),
        (Format.JSONL, True, None),
        (Format.CSV, False, "s3cret"),
    ):
        outputs = []
        for store in (files, server):
            out = io.BytesIO()
            stream = store.iter_attempts()
            models = {"bfi": BFI_MODEL}
            count = export(stream, fmt, out, items=items, secret=secret, assessments=models)
            assert count == len(rows)
            outputs.append(out.getvalue())
        assert outputs[0] == outputs[1], (fmt, items, secret)
        plain = plain or outputs[0]
    text = plain.decode()
    assert '"Ann ""The"" O\'Neil, Jr."' in text and "c:\\temp\\x; \\N" in text
    assert "'=HYPERLINK(1)" in text and "Zoë Ünïcode 李 😀" in text


def test_a_stored_scorecard_comes_back_whole(url: str) -> None:
    store = connect(url)
    person = store.add_candidate("Card")
    answers = answers_for(4)
    card, plan = scored(answers)
    saved = store.save_attempt(person.id, card, plan, answers, LAYOUT, seed=7, command="take")
    again = connect(url).attempt(saved.attempt_id)
    assert again.competencies == card.competencies and again.plan == plan and again.seed == 7
    assert [e.event for e in connect(url).audit_events()] == ["attempt.saved"]
    with pytest.raises(
        StoreError,
        match=re.escape(
            "is not empty (it holds 1 candidate(s), 1 attempt(s), 1 audit event(s)): "
            "copy into a new database; left untouched"
        ),
    ):
        connect(url).restore(store.dump())


def test_dump_and_restore_between_two_servers(server: PgServer, url: str) -> None:
    store = connect(url)
    store.save_attempts([row(NewCandidate(f"D{n}", id=f"d{n}"), n, key=f"dk{n}") for n in range(5)])
    started = store.start_attempt("d0", LAYOUT)
    store.record_answer(started.attempt_id, LAYOUT.items[0], 2)
    store.view_lesson("d1", "bfi-coaching", "intro")
    store.audit("note", command="t", candidate_id="d2", detail="x")
    target = connect(server.new_database())
    counts = target.restore(store.dump(), command="db copy")
    assert (counts.candidates, counts.attempts, counts.progress) == (5, 6, 1)
    assert target.secret() == store.secret()
    for status in ("submitted", "in_progress"):
        copied = [dict(a.packed) for a in target.attempts(status=status)]  # type: ignore[arg-type]
        assert copied == [dict(a.packed) for a in store.attempts(status=status)]  # type: ignore[arg-type]
    *copied, last = target.audit_events()
    assert target.progress() == store.progress() and copied == store.audit_events()
    assert (last.event, last.command, last.candidate_id) == ("db.copied", "db copy", None)
    assert target.candidates() == store.candidates()


def test_parallel_processes_store_exact_counts(url: str, tmp_path: Path) -> None:
    """Two batches at once, and three stations registering one new person at once."""
    files = [write_csv(tmp_path / f"part{k}.csv", bfi_rows(20, start=1 + 100 * k)) for k in (0, 1)]
    answers = tmp_path / "answers.yaml"
    answers.write_text(A_GOOD)
    argv = [sys.executable, "-m", "screener"]
    procs = [
        subprocess.Popen([*argv, "batch", str(f), "-a", BFI], stderr=subprocess.PIPE, text=True)
        for f in files
    ] + [
        subprocess.Popen(
            [*argv, *TINY, "take", "tiny", "--answers", str(answers), "--name", "Same Person"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    codes = [p.wait(120) for p in procs]
    assert codes[:2] == [0, 0], [p.stderr.read() for p in procs[:2] if p.stderr]
    store = connect(url)
    bfi_attempts = store.attempts(assessment="bfi")
    assert len(bfi_attempts) == 40 and len({a.attempt_id for a in bfi_attempts}) == 40
    [same] = store.candidates_named("same person")  # created once
    assert len(store.attempts(candidate=same.id)) == codes[2:].count(0) >= 1


def test_the_plan_rows_are_the_standard_plans_modules() -> None:
    """``_plan_of`` finds the standard plan's modules from statuses and outcome alone."""
    import random

    from content_fixtures import tiny

    from screener.store.postgres.backend import _plan_of
    from screener.store.records import AttemptRecord

    layout = Layout.of(tiny())
    rng = random.Random(1)
    width = len(layout.competencies)
    for _ in range(300):
        codes = "".join(rng.choice("mbio") for _ in range(width))
        scores = [rng.uniform(0, 100) for _ in range(width)]
        doc = {
            "id": "a",
            "cand": "c",
            "layout": 1,
            "status": "submitted",
            "answers": "[]",
            "scores": json.dumps(scores),
            "codes": codes,
            "outcome": rng.choice(["pass", "coaching", "incomplete"]),
        }
        record = AttemptRecord.from_doc(doc, layout, None)
        expected = [(module, required) for module, _, _, required in record.plan_table]
        assert sorted(_plan_of(doc, {1: layout})) == sorted(expected), doc


def test_a_round_trip_file_to_server_to_file_keeps_everything(url: str, tmp_path: Path) -> None:
    from results_data import fill_tiny

    source = fill_tiny(tmp_path / "source.json")
    person = source.add_candidate("Half Way", candidate_id="half")
    started = source.start_attempt("half", source.layouts()[0], seed=4)
    source.record_answer(started.attempt_id, source.layouts()[0].items[0], "b", seconds=2.5)
    source.view_lesson(person.id, "tiny-math", "intro")
    server = connect(url)
    counts = server.restore(source.dump())
    assert (counts.candidates, counts.attempts) == (len(NASTY) + 1, 2 * len(NASTY) + 1)
    back = Store(tmp_path / "back.json")
    back.restore(server.dump())
    for store in (server, back):
        assert [a.to_json() for a in store.attempts()] == [a.to_json() for a in source.attempts()]
        assert [dict(a.packed) for a in store.attempts(status=None)] == [
            dict(a.packed) for a in source.attempts(status=None)
        ]
        assert store.candidates() == source.candidates() and store.secret() == source.secret()
        assert store.progress() == source.progress()


def test_the_results_filters_can_use_indexes(server: PgServer, url: str) -> None:
    """Each filter of ``results`` has an index to use (sequential scans turned off, so
    the few rows here do not make a scan the cheaper plan)."""
    from screener.store.postgres.backend import ATTEMPT_COLUMNS

    store = connect(url)
    store.save_attempts([row(NewCandidate(f"I{n}", id=f"i{n}"), n) for n in range(20)])
    for filters, index in (
        ({"candidate": "i3"}, "attempts_candidate"),
        ({"outcome": "pass"}, "attempts_outcome"),
        ({"since": "2030-01-01"}, "attempts_stamp"),
        ({"module": "bfi-coaching"}, "plan_rows"),
        ({"assessment": "bfi"}, "attempts_layout"),
    ):
        given: dict[str, object] = dict.fromkeys(("candidate", "assessment", "outcome", "module"))
        given["since"], given["status"] = None, "submitted"
        where, params = PostgresStore._filters(**(given | filters))  # type: ignore[arg-type]
        query = f"SELECT {ATTEMPT_COLUMNS} FROM attempts a{where} ORDER BY a.stamp, a.seq"
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET search_path = screener")
            conn.execute("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + query, params))  # type: ignore[arg-type]
        assert index in plan and "Seq Scan on attempts" not in plan, (filters, plan)


def test_a_layout_stored_by_a_rolled_back_write_is_forgotten(url: str) -> None:
    import random

    from content_fixtures import tiny

    from screener.coaching import build_plan
    from screener.scoring import score_form

    a = tiny()
    rng = random.Random(2)

    def attempt(form: str) -> NewAttempt:
        answers = tiny_answers(a, form, rng)
        card = score_form(a, answers, form)
        return NewAttempt(
            NewCandidate("Formed", id="f1"), Layout.of(a, form), card, build_plan(a, card), answers
        )

    store = connect(url)
    with pytest.raises(RuntimeError), store.transaction():
        store.save_attempts([attempt("A")])  # layout number 1, then rolled back
        raise RuntimeError("no")
    store.save_attempts([attempt("B")])  # number 1 again, for another layout
    assert [r.form for r in store.attempts()] == ["B"] and store.layouts() == [Layout.of(a, "B")]


def test_a_connection_the_server_dropped_while_idle_is_made_again(
    server: PgServer, url: str
) -> None:
    """A station left idle while the server restarted (or ended its session) answers on."""
    store = connect(url)
    person = store.add_candidate("Idle")
    server.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        "postgres",
        dbname(url),
    )
    assert store.get_candidate(person.id) == person


def test_a_batch_whose_server_process_is_killed_writes_nothing(
    server: PgServer, url: str, tmp_path: Path
) -> None:
    csv_file = write_csv(tmp_path / "big.csv", bfi_rows(20000))
    batch = subprocess.Popen(
        [sys.executable, "-m", "screener", "batch", str(csv_file), "-a", BFI],
        stderr=subprocess.PIPE,
        text=True,
    )
    killed: list[object] = []
    deadline = time.monotonic() + 60
    while not killed and batch.poll() is None and time.monotonic() < deadline:
        killed = server.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND query ILIKE 'COPY%%' AND state = 'active'",
            "postgres",
            dbname(url),
        )
        time.sleep(0.01)
    _, err = batch.communicate(timeout=60)
    assert killed, "the batch finished before its COPY was seen"
    assert batch.returncode == 1 and err.count("\n") == 1, err
    assert "lost the connection to the PostgreSQL server" in err and "nothing was written" in err
    assert server.query(
        "SELECT (SELECT count(*) FROM screener.attempts), (SELECT count(*) FROM screener.candidates)",
        dbname(url),
    ) == [(0, 0)]
    assert server.query(FOREIGN_KEYS, dbname(url)) == [(2,)]  # as they were
    assert len(server.query(PEOPLE_SCHEMA, dbname(url))) == 7  # (a first import drops them)


def test_employers_secret_compact_and_audit_rules(url: str) -> None:
    from screener.errors import NotFoundError
    from screener.pathway import Employer

    store = connect(url)
    first = store.secret()
    assert len(first) == 64 and connect(url).secret() == first  # kept from the migration
    store.rotate_secret()
    assert store.secret() != first
    assert [e.event for e in store.audit_events()] == ["secret.rotated"]
    store.add_employer(Employer("acme", "Acme", "GTA", 2))
    with pytest.raises(StoreError, match="already taken"):
        store.add_employer(Employer("acme", "Other", "GTA", 1))
    assert store.update_employer("acme", seats=5) == Employer("acme", "Acme", "GTA", 5)
    with pytest.raises(NotFoundError, match="no employer"):
        store.update_employer("nobody", seats=1)
    with pytest.raises(ValueError, match="seats"):
        store.update_employer("acme", seats=-1)
    assert connect(url).employers() == [Employer("acme", "Acme", "GTA", 5)]
    with pytest.raises(ValueError, match="written by the store itself"):
        store.audit("candidate.deleted")
    assert store.compact().moved == 0
    info = store.info()
    assert (info.employers, info.audit_events, info.segments, info.archive) == (1, 1, 0, None)


def test_every_reading_and_program_command_says_the_same_on_both_backends(
    url: str, tmp_path: Path
) -> None:
    """Issue 16: "every command works on it unchanged". One file database is copied to
    the server (ids and times kept), then each command runs on both, and then the same
    program moves are made on both: the output must be the same, byte for byte."""
    cohort = tmp_path / "cohort.csv"
    simulated = run_cli("simulate", "wblc-screening", "--n", "40", "--seed", "3", "-o", str(cohort))
    assert simulated.returncode == 0, simulated.stderr
    file_db = tmp_path / "file" / "screener.json"
    file_db.parent.mkdir()
    steps = [
        ("employer", "add", "Apex Mold & Die", "--region", "GTA", "--seats", "3", "--id", "apex"),
        ("batch", str(cohort), "-a", "wblc-screening", "--region", "GTA"),
    ]
    for step in steps:
        done = run_cli("--db", str(file_db), *step)
        assert done.returncode == 0, done.stderr
    copied = run_cli("db", "copy", str(file_db), url)
    assert copied.returncode == 0, copied.stderr
    passed = json.loads(
        run_cli("--db", str(file_db), "results", "--outcome", "pass", "--json").stdout.split("\n")[
            0
        ]
    )["candidate_id"]
    # one stated time for both moves on both backends: "now" would differ by the
    # second or so between the runs, and the funnel's days in a stage with it
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    moves = [
        ("record", passed, "interview_booked", "--employer", "apex", "--date", at),
        ("record", passed, "hired", "--employer", "apex", "--date", at),
    ]
    reads = [
        ("results",),
        ("results", "--json"),
        ("results", "--outcome", "coaching", "--module", "safety"),
        ("show", "sim-000001", "--json"),
        ("report", "sim-000002", "--format", "md"),
        ("stats", "wblc-screening", "--json"),
        ("export", "--format", "jsonl", "--items"),
        ("export", "--format", "csv", "--anonymize"),
        ("employer", "list", "--json"),
        ("waiting", "--json"),
        ("pathway", passed, "--json"),
        ("funnel", "--json"),
        ("export", "--pathway", "--format", "csv"),
    ]
    for db in (str(file_db), url):
        for move in moves:
            done = run_cli("--db", db, *move)
            assert done.returncode == 0, (db, move, done.stderr)

    def said(db: str, args: tuple[str, ...]) -> str:
        done = run_cli("--db", db, *args, env={"COLUMNS": "100"})
        assert done.returncode == 0, (db, args, done.stderr)
        # the moves were recorded "now" on each, a second or so apart
        return re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(\.\d+)?(Z|\+00:00)?", "T", done.stdout)

    for args in reads:
        on_file, on_server = said(str(file_db), args), said(url, args)
        assert on_file == on_server, args
        assert on_file.strip(), args
    assert '"hired"' in said(url, ("pathway", passed, "--json"))


# -- the bulk save and schema 5 ----------------------------------------------------------------


def _rows_of(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[str]]:
    """Every attempt's columns but its id, key and seq (in stored order), the plan rows
    with each attempt id replaced by that attempt's position, and the candidates."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path = screener")
        attempts = conn.execute(
            "SELECT id, candidate_id, layout, status, seed, item_order, started, submitted,"
            " stamp, answers, seconds, extra, scores, codes, intervals, near, outcome, overall,"
            " plan FROM attempts ORDER BY seq"
        ).fetchall()
        position = {r[0]: n for n, r in enumerate(attempts)}
        plans = conn.execute("SELECT module, attempt_id, required FROM plan_rows").fetchall()
        people = [r[0] for r in conn.execute("SELECT id FROM candidates ORDER BY seq")]
    return (
        [r[1:] for r in attempts],
        sorted((m, position[a], req) for m, a, req in plans),
        people,
    )


def test_a_bulk_save_stores_the_rows_save_attempts_stores(
    server: PgServer, url: str, tmp_path: Path
) -> None:
    """``save_scored_batch`` (its columns built from the packed batch, not per document)
    stores the very rows and plan rows ``save_attempts`` stores for the same attempts:
    follow-ups, intervals, near-cut letters, recommended modules, unscored overalls."""
    from dataclasses import replace

    from screener.importing import read_table
    from screener.scoring import score_form
    from screener.simulate import simulate, write_csv
    from screener.vectorscore import encode, plans, score_points, scored_batch
    from tests.test_store import _six

    for action in ("follow_up", "recommend"):
        a = _six(action)
        people = list(simulate(a, "A", 200, seed=3))
        path = tmp_path / f"{action}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            write_csv(people, fh)
        encoded = encode(a, "A", read_table(path))
        scores = score_points(a, "A", encoded.points)
        when = "2024-05-01T10:20:00Z"
        batch = replace(scored_batch(a, encoded, scores), submitted=when)
        bulk_url = server.new_database()
        saved = connect(bulk_url).save_scored_batch(batch)
        assert saved.stored == 200 and list(saved.attempt_ids) == sorted(saved.attempt_ids)
        layout = Layout.of(a, "A")
        rows = [
            NewAttempt(
                NewCandidate(p.name, id=p.candidate_id),
                layout,
                score_form(a, p.answers, "A"),
                plan,
                p.answers,
                submitted=when,
            )
            for p, plan in zip(people, plans(a, scores), strict=True)
        ]
        row_url = server.new_database()
        connect(row_url).save_attempts(rows)
        bulk, by_row = _rows_of(bulk_url), _rows_of(row_url)
        assert bulk == by_row
        assert any(r[10] is not None for r in bulk[0]) == (action == "follow_up")  # extra
        assert {req for _, _, req in bulk[1]} == {True, False}  # required and recommended
        # a second import stores nothing twice
        assert connect(bulk_url).save_scored_batch(batch).skipped == 200
        assert _rows_of(bulk_url) == bulk


def test_a_bulk_save_with_given_keys_creates_only_the_kept_rows_people(url: str) -> None:
    """Keys given row by row need not name the row's candidate: a row skipped for its
    key (stored, or earlier in the batch) creates no one."""
    from dataclasses import replace

    from screener.importing import read_table
    from screener.simulate import simulate, write_csv
    from screener.vectorscore import encode, score_points, scored_batch
    from tests.test_store import _six

    a = _six("recommend")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "six.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            write_csv(simulate(a, "A", 4, seed=1), fh)
        encoded = encode(a, "A", read_table(path))
    batch = scored_batch(a, encoded, score_points(a, "A", encoded.points))
    store = connect(url)
    first = replace(batch, candidates=["p1", "p2", "p3", "p4"], keys=["k1", "k2", "k3", "k4"])
    assert store.save_scored_batch(first).stored == 4
    again = replace(batch, candidates=["n1", "n2", "n3", "n4"], keys=["k1", "k5", "k5", None])
    saved = store.save_scored_batch(again)
    assert (saved.stored, saved.skipped) == (2, 2)
    assert {c.id for c in store.candidates()} == {"p1", "p2", "p3", "p4", "n2", "n4"}
    assert saved.attempt_ids[2] == saved.attempt_ids[1]


def test_a_schema_4_database_upgrades_and_keeps_its_data(server: PgServer) -> None:
    """``db migrate`` of a database made before schemas 5 and 6: the one outcome index
    becomes one per outcome, every row is kept, the outcome filter still reads an
    index, and a large batch can drop and make again the foreign keys."""
    import psycopg

    from screener.store.postgres.migrate import migrations

    url = server.new_database()
    store = connect(url)
    sparse = [answers_for(n, blank=0.8) for n in range(10)]  # incomplete outcomes
    store.save_attempts(
        [row(NewCandidate(f"U{n}", id=f"u{n}"), n) for n in range(20)]
        + [
            NewAttempt(NewCandidate(f"S{n}", id=f"s{n}"), LAYOUT, *scored(given), given)
            for n, given in enumerate(sparse)
        ]
    )
    # the database as schema 4 left it (a store writing to it would bring it up to date)
    server.admin(
        "DROP INDEX screener.attempts_outcome_pass, screener.attempts_outcome_coaching,"
        " screener.attempts_outcome_incomplete;"
        " CREATE INDEX attempts_outcome ON screener.attempts (outcome, stamp, seq);"
        " DROP FUNCTION screener.bulk_attempts_begin(boolean, boolean),"
        " screener.bulk_attempts_begin(boolean), screener.bulk_attempts_end();"
        " DROP TABLE screener.bulk_pending; DROP FUNCTION screener.bulk_guard();"
        " DROP FUNCTION screener.known_candidates(text, text);"
        " DROP VIEW screener.running_candidates;"
        " UPDATE screener.meta SET schema_version = 4",
        dbname(url),
    )
    old_index = "CREATE INDEX attempts_outcome ON screener.attempts (outcome, stamp, seq);"
    assert old_index in migrations()[0].sql  # (what was dropped and made again above)
    before = [a.to_json() for a in connect(url).attempts(status=None)]
    outcomes = {
        o: [a.attempt_id for a in store.attempts(outcome=o)]
        for o in ("pass", "coaching", "incomplete")
    }
    assert len(before) == 30 == sum(map(len, outcomes.values()))
    assert len([o for o, ids in outcomes.items() if ids]) >= 2
    done = run_cli("--db", url, "db", "migrate")
    assert done.stderr == f"{url}: schema 4 \u2192 {LATEST}\n", done.stderr
    assert [a.to_json() for a in connect(url).attempts(status=None)] == before
    for outcome, ids in outcomes.items():
        assert [a.attempt_id for a in connect(url).attempts(outcome=outcome)] == ids
    with psycopg.connect(url, autocommit=True) as conn:
        names = {
            r[0]
            for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'attempts'")
        }
        conn.execute("SET search_path = screener")
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT id FROM attempts a WHERE a.outcome = %s ORDER BY a.stamp, a.seq",
                ("coaching",),
            )
        )
    assert "attempts_outcome" not in names and "attempts_outcome_coaching" in plan, plan
    assert {"attempts_outcome_pass", "attempts_outcome_incomplete"} <= names
    with psycopg.connect(url) as conn:
        conn.execute("SELECT screener.bulk_attempts_begin(false)")
        conn.execute("SELECT screener.bulk_attempts_end()")  # every row checked: all good
        conn.commit()
    assert server.query(FOREIGN_KEYS, dbname(url)) == [(2,)]


def test_a_large_batch_checks_its_foreign_keys_at_once_and_keeps_them(
    server: PgServer, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch as large as what is stored drops the attempts' foreign keys in its
    transaction and makes them again (one join checks every row): afterwards they are
    there and refuse a dangling attempt; a batch that is small beside what is stored,
    or whose locks are not granted at once, checks row by row."""
    import psycopg

    from screener.store.postgres import backend

    monkeypatch.setattr(backend, "BULK_ROWS", 10)
    calls: list[bool] = []
    begin = PostgresStore._bulk_keys_begin

    def spy(tx: object, rows: int, any_attempt: bool, *, people: bool = False) -> bool:
        calls.append(begin(tx, rows, any_attempt, people=people))  # type: ignore[arg-type]
        return calls[-1]

    monkeypatch.setattr(PostgresStore, "_bulk_keys_begin", staticmethod(spy))
    store = connect(url)
    store.save_attempts([row(NewCandidate(f"K{n}", id=f"k{n}"), n) for n in range(30)])
    schema = server.query(ATTEMPTS_SCHEMA, dbname(url))
    batch = _bfi_batch(400, "b")  # 30 stored, never analysed: its indexes built again too
    assert store.save_scored_batch(batch).stored == 400 and calls == [True]
    assert server.query(FOREIGN_KEYS, dbname(url)) == [(2,)]
    assert server.query(ATTEMPTS_SCHEMA, dbname(url)) == schema and len(schema) == 13
    with (
        psycopg.connect(url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.UniqueViolation),
    ):
        conn.execute(
            "INSERT INTO screener.attempts (id, candidate_id, layout, status, answers)"
            " SELECT id, candidate_id, layout, 'in_progress', answers FROM screener.attempts LIMIT 1"
        )
    with (
        psycopg.connect(url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.ForeignKeyViolation),
    ):
        conn.execute(
            "INSERT INTO screener.attempts (id, candidate_id, layout, status, answers)"
            " VALUES ('dangling', 'nobody', 1, 'in_progress', '[]')"
        )
    server.query("ANALYZE screener.attempts", dbname(url))  # 430 stored: 10 rows are few
    assert store.save_scored_batch(_bfi_batch(10, "c")).stored == 10 and calls[-1] is False
    # a quarter of what is stored: the keys checked at once, the indexes kept
    assert store.save_scored_batch(_bfi_batch(200, "e")).stored == 200 and calls[-1] is True
    assert server.query(ATTEMPTS_SCHEMA, dbname(url)) == schema
    # another session reading the attempts: the batch does not wait for its lock
    with psycopg.connect(url) as reader:
        reader.execute("SELECT count(*) FROM screener.attempts").fetchone()
        started = time.monotonic()
        assert store.save_scored_batch(_bfi_batch(400, "d")).stored == 400
        assert calls[-1] is False and time.monotonic() - started < 20
    assert server.query(FOREIGN_KEYS, dbname(url)) == [(2,)]
    assert len(store.attempts()) == 1040
    assert server.query(ATTEMPTS_SCHEMA, dbname(url)) == schema


def test_a_first_import_builds_the_candidates_keys_again(
    server: PgServer, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large batch into a database with no candidate yet stores them without their
    primary key and name index (schema 7) and makes them again: afterwards the
    candidates' keys, indexes and the keys naming them are as before and refuse a
    second candidate with a stored id; with a candidate stored they are kept."""
    import psycopg

    from screener.store.postgres import backend

    monkeypatch.setattr(backend, "BULK_ROWS", 10)
    asked: list[bool] = []
    begin = PostgresStore._bulk_keys_begin

    def spy(tx: object, rows: int, any_attempt: bool, *, people: bool = False) -> bool:
        asked.append(people)
        return begin(tx, rows, any_attempt, people=people)  # type: ignore[arg-type]

    monkeypatch.setattr(PostgresStore, "_bulk_keys_begin", staticmethod(spy))
    store = connect(url)
    with store.transaction():  # (the schema, nothing stored)
        pass
    people = server.query(PEOPLE_SCHEMA, dbname(url))
    attempts = server.query(ATTEMPTS_SCHEMA, dbname(url))
    assert store.save_scored_batch(_bfi_batch(40, "f")).stored == 40 and asked == [True]
    assert server.query(PEOPLE_SCHEMA, dbname(url)) == people and len(people) == 7
    assert server.query(ATTEMPTS_SCHEMA, dbname(url)) == attempts
    assert server.query(FOREIGN_KEYS, dbname(url)) == [(2,)]
    assert [c.id for c in store.candidates(["f0", "f39", "nobody"])] == ["f0", "f39"]
    with (
        psycopg.connect(url, autocommit=True) as conn,
        pytest.raises(psycopg.errors.UniqueViolation),
    ):
        conn.execute(
            "INSERT INTO screener.candidates (id, name, name_key, created)"
            " VALUES ('f3', 'again', 'again', 'x')"
        )
    # candidates stored, no attempt: the attempts' indexes dropped, theirs kept
    other = backend.PostgresStore(server.new_database())
    other.add_candidate("Someone", candidate_id="s1")
    assert other.save_scored_batch(_bfi_batch(40, "g")).stored == 40 and asked[-1] is False
    assert server.query(PEOPLE_SCHEMA, dbname(other.url)) == people


def test_a_first_import_sent_in_parts_stores_what_one_part_stores(
    server: PgServer, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first import is packed and sent ``STREAM_ROWS`` rows at a time: the same
    attempts, candidates, plan rows and ids (a row repeating an earlier part's row is
    skipped and given that row's id) as the batch packed whole."""
    from dataclasses import replace

    import numpy as np

    from screener.store import ScoredBatch
    from screener.store.postgres import backend

    half = _bfi_batch(15, "p")
    assert isinstance(half, ScoredBatch)
    twice = replace(
        half,
        candidates=[*half.candidates, *half.candidates],
        answers=[(np.concatenate([c, c]), v) for c, v in half.answers],
        scores=np.concatenate([half.scores, half.scores]),
        status=np.concatenate([half.status, half.status]),
        outcome=np.concatenate([half.outcome, half.outcome]),
        overall=np.concatenate([half.overall, half.overall]),
        low=None if half.low is None else np.concatenate([half.low, half.low]),
        high=None if half.high is None else np.concatenate([half.high, half.high]),
        near=None if half.near is None else np.concatenate([half.near, half.near]),
        names=None if half.names is None else [*half.names, *half.names],
        submitted="2026-01-02T03:04:05Z",
    )
    seen: list[str] = []
    # in parts of 7 rows; then as one batch packed whole (too small to drop any key)
    for parts, bulk, where in ((7, 10, url), (7, 10**9, server.new_database())):
        monkeypatch.setattr(backend, "STREAM_ROWS", parts)
        monkeypatch.setattr(backend, "BULK_ROWS", bulk)
        store = connect(where)
        saved = store.save_scored_batch(twice)
        assert (saved.stored, saved.skipped) == (15, 15)
        assert saved.attempt_ids[15:] == saved.attempt_ids[:15]
        assert list(saved.attempt_ids[:15]) == sorted(saved.attempt_ids[:15])
        by_id = {a.attempt_id: a for a in store.attempts(status=None)}
        rows = [by_id[aid].to_json() for aid in saved.attempt_ids[:15]]
        for doc in rows:
            doc.pop("attempt_id")
        plans = server.query(
            "SELECT module, required, count(*) FROM screener.plan_rows GROUP BY 1, 2 ORDER BY 1, 2",
            dbname(where),
        )
        people = server.query(
            "SELECT id, name, name_key FROM screener.candidates ORDER BY seq", dbname(where)
        )
        seen.append(json.dumps([rows, plans, people], sort_keys=True, default=str))
    assert seen[0] == seen[1]


def _bfi_batch(n: int, tag: str) -> object:
    """A scored batch of ``n`` bfi rows, candidates ``<tag>0``, ``<tag>1``..."""
    import tempfile
    from dataclasses import replace

    from screener.importing import read_table
    from screener.store import ScoredBatch
    from screener.vectorscore import encode, score_points, scored_batch
    from tests.test_store import BFI as ASSESSMENT

    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "b.csv", bfi_rows(n))
        form = ASSESSMENT.form(None)
        encoded = encode(ASSESSMENT, form, read_table(path))
    batch = scored_batch(ASSESSMENT, encoded, score_points(ASSESSMENT, form, encoded.points))
    assert isinstance(batch, ScoredBatch)
    return replace(batch, candidates=[f"{tag}{i}" for i in range(n)])


def test_keys_dropped_and_not_made_again_refuse_the_commit(server: PgServer, url: str) -> None:
    """Whoever drops the attempts' foreign keys (schema 6) cannot commit without them."""
    import psycopg

    connect(url).add_candidate("Someone")  # (the schema is there)
    with psycopg.connect(url) as conn:
        conn.execute("SELECT screener.bulk_attempts_begin(false)")
        assert conn.execute(FOREIGN_KEYS).fetchone() == (0,)
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="not made again"):
            conn.commit()
    assert server.query(FOREIGN_KEYS, dbname(url)) == [(2,)]
    schema = server.query(ATTEMPTS_SCHEMA, dbname(url))
    with psycopg.connect(url) as conn:  # the indexes too
        conn.execute("SELECT screener.bulk_attempts_begin(true)")
        assert conn.execute(ATTEMPTS_SCHEMA).fetchall() == []
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="not made again"):
            conn.commit()
    assert server.query(ATTEMPTS_SCHEMA, dbname(url)) == schema
    people = server.query(PEOPLE_SCHEMA, dbname(url))
    with psycopg.connect(url) as conn:  # the candidates' keys and index too (schema 7)
        conn.execute("SELECT screener.bulk_attempts_begin(true, true)")
        assert conn.execute(PEOPLE_SCHEMA).fetchall() == [r for r in people if "CHECK" in str(r[0])]
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="not made again"):
            conn.commit()
    assert server.query(PEOPLE_SCHEMA, dbname(url)) == people and len(people) == 7
    with psycopg.connect(url) as conn:
        conn.execute("SELECT screener.bulk_attempts_begin(true, true)")
        conn.execute("SELECT screener.bulk_attempts_end()")
        conn.commit()
    assert server.query(PEOPLE_SCHEMA, dbname(url)) == people
    assert server.query(ATTEMPTS_SCHEMA, dbname(url)) == schema
    for indexes in (False, True):  # begin, end: committed with the keys and indexes
        with psycopg.connect(url) as conn:
            conn.execute("SELECT screener.bulk_attempts_begin(%s)", (indexes,))
            conn.execute("SELECT screener.bulk_attempts_end()")
            conn.commit()
        assert server.query(ATTEMPTS_SCHEMA, dbname(url)) == schema
    assert server.query("SELECT count(*) FROM screener.bulk_pending", dbname(url)) == [(0,)]


def test_copy_text_of_columns_is_the_row_by_row_text() -> None:
    """``_columns_text`` (constant columns joined once, escapes checked on the whole
    text) gives the text a row-by-row escape of every field gives, for any values."""
    import random

    from screener.store.postgres.backend import _columns_text, _field

    values: list[object] = ["a", "", "x\ty", "b\\s", "n\nl", "c\rr", None, "\\N", "1", "t"]
    values += [1, 2, 1.5, float("nan"), True, False, "é"]
    rng = random.Random(7)
    for _ in range(5000):
        rows, width = rng.randint(0, 4), rng.randint(1, 5)
        columns = [
            [rng.choice(values)] * rows
            if rng.random() < 0.5
            else [rng.choice(values) for _ in range(rows)]
            for _ in range(width)
        ]
        want = "".join("\t".join(map(_field, row)) + "\n" for row in zip(*columns, strict=True))
        assert _columns_text(columns) == want, columns


def _sent(trace: Path) -> list[str]:
    """The queries a libpq trace shows sent (simple and extended protocol)."""
    return [
        line.split("\t", 3)[3].strip()
        for line in trace.read_text().splitlines()
        if line.startswith("F\t") and line.split("\t")[2] in ("Query", "Parse")
    ]


def test_a_read_begins_with_one_round_trip(url: str, server: PgServer, tmp_path: Path) -> None:
    """``show``'s reads: the BEGIN with its isolation level, the search_path of a new
    connection and the schema version go as one query (they took five round trips), the
    version is asked once per connection, and a read that fails is rolled back, its
    search_path with it, so the next read sets it again (and keeps it once committed)."""
    from psycopg import pq

    writer = connect(url)
    ann = writer.add_candidate("Ann Lee")
    writer.save_attempt(ann.id, *scored(answers_for(1)), answers_for(1), LAYOUT)
    store = PostgresStore(url)
    conn = store._connection()
    trace = tmp_path / "trace"
    with trace.open("w") as out:
        conn.pgconn.trace(out.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

        def show() -> object:
            with store.reading():
                who = store.resolve_candidate("Ann Lee")
                done = [a.to_json() for a in store.attempts(candidate=who.id)]
                return (who, done, store.progress(who.id))

        with pytest.raises(ZeroDivisionError), store.reading():
            assert store.resolve_candidate("Ann Lee") == ann
            _ = 1 / 0
        first = show()
        again = show()
        conn.pgconn.untrace()
    stored = [a.to_json() for a in connect(url).attempts(candidate=ann.id)]
    assert first == again == (ann, stored, []) and stored
    sent = _sent(trace)
    assert sent[0] == (
        '"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET search_path = screener; '
        "SELECT schema_version, has_table_privilege('attempts', 'SELECT') FROM meta WHERE id = 1\""
    )
    begins = [s for s in sent if "BEGIN" in s]
    assert begins[1:] == [  # the first was rolled back: its search_path with it
        '"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET search_path = screener"',
        '"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"',  # kept since the last commit
    ]
    assert sent.count('"ROLLBACK"') == 1 and sent.count('"COMMIT"') == 2
    assert not any("SET TRANSACTION" in s or "to_regclass" in s for s in sent)
    # a database without the schema: the version asked the old way, still read-only
    empty = PostgresStore(server.new_database(migrated=False))
    assert empty.attempts() == [] and empty.info().schema_version is None
    assert empty.attempts() == []


def test_many_candidates_asked_of_an_empty_or_filled_database(url: str) -> None:
    """``candidates(ids)`` for a batch's many ids: none when nothing is stored (asked
    first, without the ids), the stored ones among them otherwise."""
    from screener.store.postgres import backend

    store = connect(url)
    many = [f"m{n}" for n in range(backend._MANY_IDS)]
    assert store.candidates(many) == []
    store.add_candidate("Mia", candidate_id="m7")
    assert [c.id for c in store.candidates(many)] == ["m7"]
    assert [c.id for c in store.candidates(["m7"])] == ["m7"]
