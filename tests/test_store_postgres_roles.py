"""Who may do what on PostgreSQL (issue 16): ``screener db init``'s recruiter and station
roles, ``db migrate``, and many stations taking at once, on a real throw-away server.

The station is refused by the SERVER (grants, the ``running_attempts`` view and the
attempts trigger of schema 2): the same refusals come back to raw SQL as that role,
not only through the tool. Two concurrent batches and a killed server process are
tested in tests/test_store_postgres.py.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from pathlib import Path

import psycopg
import pytest
from helpers import run_cli
from results_data import TINY_DIR
from test_batch import BFI, bfi_rows, write_csv

from screener.errors import NotFoundError, StoreError
from screener.store import connect
from screener.store.postgres.migrate import schema_version
from screener.store.postgres.roles import RECRUITER, STATION, without_password
from screener.taking import EXTRA_TIME_EVENT, extra_time_of
from tests.pgserver import PgServer
from tests.test_store import LAYOUT, answers_for, scored

TINY = ("--content-dir", str(TINY_DIR))
A_GOOD = "m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n"
LATEST = schema_version()
STATION_LOGIN, OTHER_STATION, RECRUITER_LOGIN = "station1", "station2", "dana"


@pytest.fixture
def server(pg_server: object) -> PgServer:
    assert isinstance(pg_server, PgServer)
    return pg_server


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def one_line_error(done: object) -> str:
    code, err = getattr(done, "returncode"), getattr(done, "stderr")  # noqa: B009
    assert code == 1, (code, getattr(done, "stdout"), err)  # noqa: B009
    assert err.count("\n") == 1, err
    return str(err)


def _login(server: PgServer, name: str, group: str) -> None:
    """A LOGIN role in ``group`` (the cluster's roles outlive a test database)."""
    found = server.query("SELECT 1 FROM pg_roles WHERE rolname = %s", "postgres", name)
    if not found:
        server.admin(f"CREATE ROLE {name} LOGIN IN ROLE {group}")


@pytest.fixture
def team(server: PgServer, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A database after ``db init``, the logins station1, station2 (stations) and dana
    (a recruiter), and each one's URL; commands default to the owner's."""
    monkeypatch.setenv("SCREENER_DB", pg_url)
    done = run_cli("db", "init")
    assert done.returncode == 0, done.stderr
    _login(server, STATION_LOGIN, STATION)
    _login(server, OTHER_STATION, STATION)
    _login(server, RECRUITER_LOGIN, RECRUITER)
    name = dbname(pg_url)
    return {
        "owner": pg_url,
        "station": server.url(name, user=STATION_LOGIN),
        "station2": server.url(name, user=OTHER_STATION),
        "recruiter": server.url(name, user=RECRUITER_LOGIN),
    }


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(A_GOOD)
    return path


def take(url: str, answers: Path, *who: str) -> object:
    return run_cli(*TINY, "--db", url, "take", "tiny", "--answers", str(answers), *who)


# -- db init and db migrate -------------------------------------------------------------------


def test_db_init_twice_is_fine_and_makes_nologin_groups(server: PgServer, pg_url: str) -> None:
    first = run_cli("--db", pg_url, "db", "init", "--json")
    assert first.returncode == 0, first.stderr
    again = run_cli("--db", pg_url, "db", "init")
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("\n") == 1 and f"schema {LATEST}" in again.stderr
    info = json.loads(first.stdout)
    assert (info["recruiter"], info["station"], info["schema_version"]) == (
        RECRUITER,
        STATION,
        LATEST,
    )
    rows = server.query(
        "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY(%s) ORDER BY 1",
        "postgres",
        [RECRUITER, STATION],
    )
    assert rows == [(RECRUITER, False), (STATION, False)]
    # other names, quoted as identifiers (never pasted into SQL)
    odd = 'Site "B" station'
    done = run_cli(
        "--db", pg_url, "db", "init", "--recruiter-role", "hq team", "--station-role", odd
    )
    assert done.returncode == 0, done.stderr
    assert server.query("SELECT 1 FROM pg_roles WHERE rolname = %s", "postgres", odd) == [(1,)]
    grants = server.query(
        "SELECT privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = %s AND table_name = 'candidates' ORDER BY 1",
        dbname(pg_url),
        odd,
    )
    assert grants == [("INSERT",), ("SELECT",)]
    done = run_cli("--db", str(Path("nowhere") / "x.json"), "db", "init")
    assert done.returncode == 2 and "a file database has no accounts" in done.stderr


def test_db_migrate_a_fresh_database_again_and_a_newer_one(
    server: PgServer, tmp_path: Path
) -> None:
    url = server.new_database(migrated=False)
    done = run_cli("--db", url, "db", "migrate")
    assert done.returncode == 0 and done.stderr == f"{url}: schema 0 \u2192 {LATEST}\n"
    done = run_cli("--db", url, "db", "migrate")
    assert done.returncode == 0 and done.stderr == f"{url}: already at schema {LATEST}\n"
    done = run_cli("--db", url, "db", "migrate", "--json")
    assert json.loads(done.stdout) == {"database": url, "before": LATEST, "after": LATEST}
    server.query("UPDATE screener.meta SET schema_version = 99", dbname(url))
    err = one_line_error(run_cli("--db", url, "db", "migrate"))
    assert f"schema version 99, newer than this screener knows ({LATEST})" in err
    assert server.query("SELECT schema_version FROM screener.meta", dbname(url)) == [(99,)]
    # a schema-1 database (before the roles) is brought up to date
    old = server.new_database(migrated=False)
    from screener.store.postgres.migrate import migrations

    server.admin(migrations()[0].sql, dbname(old))
    server.admin(
        "INSERT INTO screener.meta (id, schema_version, created) VALUES (1, 1, 'x')", dbname(old)
    )
    done = run_cli("--db", old, "db", "migrate")
    assert done.stderr == f"{old}: schema 1 \u2192 {LATEST}\n", done.stderr
    # a file database upgrades itself: one line, nothing done
    file_db = tmp_path / "f" / "screener.json"
    done = run_cli("--db", str(file_db), "db", "migrate")
    assert done.returncode == 0 and done.stderr.count("\n") == 1
    assert "is a file database" in done.stderr and not file_db.exists()


def test_db_path_and_info_of_a_server(team: dict[str, str]) -> None:
    url = team["station"]
    done = run_cli("--db", url, "db", "path")
    assert done.stdout == f"{url}\n", done.stderr
    done = run_cli("--db", team["recruiter"], "db", "info", "--json")
    info = json.loads(done.stdout)
    assert info["path"] == team["recruiter"] and info["user"] == RECRUITER_LOGIN
    assert info["server"].startswith("PostgreSQL ") and info["may"].startswith("recruiter")
    assert info["schema_version"] == LATEST
    done = run_cli("--db", url, "db", "info")
    assert done.returncode == 0, done.stderr
    assert "counts: not readable by this role" in done.stdout
    assert f"user: {STATION_LOGIN}" in done.stdout and "may: station" in done.stdout
    assert without_password("postgresql://ann:pw@h:1/db?password=x&sslmode=require") == (
        "postgresql://ann@h:1/db?sslmode=require"
    )


# -- the station ------------------------------------------------------------------------------


def test_the_station_takes_and_retakes(team: dict[str, str], answers: Path) -> None:
    done = take(team["station"], answers, "--name", "Sam Station")
    assert done.returncode == 0, done.stderr
    [sam] = connect(team["owner"]).candidates()
    done = take(team["station"], answers, "--candidate", sam.id)  # a retake
    assert done.returncode == 0, done.stderr
    done = take(team["station"], answers, "--candidate", sam.id, "--form", "A")
    assert done.returncode == 0, done.stderr
    stored = connect(team["owner"]).attempts(candidate=sam.id)
    assert len(stored) == 3
    owner = psycopg.connect(team["owner"], autocommit=True)
    started_by = owner.execute("SELECT DISTINCT started_by FROM screener.attempts").fetchall()
    assert started_by == [(STATION_LOGIN,)]
    # nothing of the three submitted attempts is readable by the station afterwards
    assert connect(team["station"]).attempts(candidate=sam.id, status=None) == []


def test_the_take_flow_as_a_station(team: dict[str, str]) -> None:
    """start, answer, seen items, submit: the store calls of an interactive ``take``."""
    station = connect(team["station"])
    person = station.add_candidate("Ivy Interactive")
    answers = answers_for(2)
    started = station.start_attempt(person.id, LAYOUT, seed=3, command="take")
    first, *rest = answers.items()
    station.record_answer(started.attempt_id, first[0], first[1], seconds=2.5)
    assert station.seen_items(person.id, LAYOUT.assessment) == {first[0]}
    [running] = station.attempts(candidate=person.id, status=None)
    assert running.attempt_id == started.attempt_id and running.answers[first[0]] == first[1]
    for item, value in rest:
        station.record_answer(started.attempt_id, item, value)
    card, plan = scored(answers)
    final = station.submit_attempt(started.attempt_id, card, plan, command="take")
    assert final.status == "submitted" and final.competencies == card.competencies
    with pytest.raises(NotFoundError):  # submitted: no longer the attempt it is running
        station.record_answer(started.attempt_id, first[0], first[1])
    # another station cannot see, answer or submit this station's attempt in progress
    again = station.start_attempt(person.id, LAYOUT, command="take")
    other = connect(team["station2"])
    assert other.attempts(candidate=person.id, status=None) == []
    with pytest.raises(NotFoundError):
        other.record_answer(again.attempt_id, first[0], first[1])
    events = [e.event for e in connect(team["owner"]).audit_events()]
    assert events.count("attempt.started") == 2 and "attempt.submitted" in events
    # resuming it reads back its extra time: the audit events of the attempts it runs
    station.audit(EXTRA_TIME_EVENT, command="take", attempt_id=again.attempt_id, detail="1.5")
    assert extra_time_of(station, again.attempt_id) == 1.5
    assert {e.attempt_id for e in station.audit_events()} == {again.attempt_id}
    assert other.audit_events() == [] and extra_time_of(other, again.attempt_id) == 1.0


def test_the_station_is_refused_by_the_server(
    team: dict[str, str], answers: Path, tmp_path: Path
) -> None:
    owner = connect(team["owner"])
    other = owner.add_candidate("Olga Other")
    done = take(team["owner"], answers, "--candidate", other.id)
    assert done.returncode == 0, done.stderr
    csv_file = write_csv(tmp_path / "cohort.csv", bfi_rows(3))
    env = {"SCREENER_DB": team["station"]}
    refused = {
        ("results",): "permission denied: this role may not read results (results, export)",
        ("results", "--json"): "permission denied: this role may not read results",
        ("export", "--format", "csv", "--output", str(tmp_path / "x.csv")): (
            "permission denied: this role may not read results (results, export)"
        ),
        ("show", other.id): (
            "permission denied: this role may only read the attempt it is running (show)"
        ),
        ("delete", other.id, "--yes"): (
            "permission denied: this role may not erase candidates (delete)"
        ),
        ("batch", str(csv_file), "-a", BFI): (
            "permission denied: this role may not store a batch of results (batch)"
        ),
        ("db", "copy", team["station"], str(tmp_path / "copy" / "screener.json")): (
            "permission denied: this role may not read everything (db copy)"
        ),
    }
    (tmp_path / "copy").mkdir()
    for args, message in refused.items():
        err = one_line_error(run_cli(*TINY, *args, env=env))
        assert err.startswith(f"error: {message}"), (args, err)
    assert not (tmp_path / "x.csv").exists()
    assert len(owner.attempts(status=None)) == 1 and len(owner.candidates()) == 1
    assert owner.attempts(assessment="bfi") == []


def test_the_same_refusals_in_raw_sql(team: dict[str, str]) -> None:
    owner = connect(team["owner"])
    other = owner.add_candidate("Raw Other")
    card, plan = scored(answers_for(1))
    done = owner.save_attempt(other.id, card, plan, answers_for(1), LAYOUT, command="t")
    running = owner.start_attempt(other.id, LAYOUT)
    owner.view_lesson(other.id, "bfi-coaching", "intro")
    refused = [
        "SELECT * FROM screener.attempts",  # results, export, show
        "SELECT scores, outcome FROM screener.attempts",
        "SELECT * FROM screener.competency_results",
        "SELECT * FROM screener.plan_rows",
        "SELECT * FROM screener.audit",
        "SELECT * FROM screener.progress",
        "SELECT * FROM screener.events",
        "SELECT * FROM screener.employers",
        "SELECT secret FROM screener.meta",
        "SELECT key, id FROM screener.attempts",  # batch's look-up of submission keys
        f"DELETE FROM screener.candidates WHERE id = '{other.id}'",  # delete
        f"DELETE FROM screener.attempts WHERE id = '{done.attempt_id}'",
        "DELETE FROM screener.audit",
        "TRUNCATE screener.attempts",
        f"UPDATE screener.attempts SET outcome = 'pass' WHERE id = '{done.attempt_id}'",
        f"UPDATE screener.attempts SET answers = '[]' WHERE id = '{running.attempt_id}'",
        f"UPDATE screener.candidates SET name = 'X' WHERE id = '{other.id}'",
        "UPDATE screener.meta SET schema_version = 9",
        "INSERT INTO screener.progress (candidate_id, module, started, updated)"
        f" VALUES ('{other.id}', 'm', 'a', 'b')",
        "CREATE TABLE screener.mine (x int)",
        f"UPDATE screener.running_attempts SET started_by = 'x' WHERE id = '{running.attempt_id}'",
        "SELECT * FROM screener.running_audit r JOIN screener.audit a USING (seq)",
    ]
    with psycopg.connect(team["station"], autocommit=True) as conn:
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
        # what it may read: the attempts it is running (none of another role's)
        assert conn.execute("SELECT count(*) FROM screener.running_attempts").fetchone() == (0,)
        assert conn.execute("SELECT screener.holds_data()").fetchone() == (True,)
    assert len(owner.attempts(status=None)) == 2


def test_the_recruiter_may_do_everything(
    team: dict[str, str], answers: Path, tmp_path: Path
) -> None:
    env = {"SCREENER_DB": team["recruiter"]}
    done = take(team["station"], answers, "--name", "Rita Recruited")
    assert done.returncode == 0, done.stderr
    [rita] = connect(team["owner"]).candidates()
    csv_file = write_csv(tmp_path / "cohort.csv", bfi_rows(3))
    (tmp_path / "copy").mkdir()
    for args in (
        ("take", "tiny", "--answers", str(answers), "--name", "Dan Direct"),
        ("batch", str(csv_file), "-a", BFI),
        ("results", "--json"),
        ("export", "--format", "csv", "--output", str(tmp_path / "all.csv")),
        ("show", rita.id),
        ("report", rita.id, "--format", "md"),
        ("stats", "tiny"),
        ("db", "info"),
        ("db", "copy", team["recruiter"], str(tmp_path / "copy" / "screener.json")),
        ("delete", rita.id, "--yes"),
    ):
        done = run_cli(*TINY, *args, env=env)
        assert done.returncode == 0, (args, done.stderr)
    recruiter = connect(team["recruiter"])
    assert [c.name for c in recruiter.candidates()][:1] == ["Dan Direct"]
    assert recruiter.attempts(candidate=rita.id, status=None) == []
    owner = psycopg.connect(team["owner"], autocommit=True)
    for table in ("attempts", "candidates", "audit", "competency_results", "plan_rows"):
        found = owner.execute(
            f"SELECT count(*) FROM screener.{table} t WHERE t::text LIKE %s", (f"%{rita.id}%",)
        ).fetchone()
        assert found == (0,), table  # erasure leaves no row, started_by or not


def test_a_refusal_is_not_mistaken_for_another_error(team: dict[str, str]) -> None:
    """A station's store call the server refuses raises one ``StoreError`` line."""
    station = connect(team["station"])
    with pytest.raises(StoreError, match=r"^permission denied: this role may not read results"):
        list(station.iter_attempts())
    with pytest.raises(StoreError, match=r"^permission denied: this role may not delete"):
        station.delete_candidate(station.add_candidate("Del Me").id)


# -- many stations at once ----------------------------------------------------------------------


def _station_takes(url: str, answers: str, worker: int, count: int) -> list[str]:
    """``count`` times what ``take --answers`` stores (``taking.take_from_file``), one
    station's store: the ids of the attempts stored."""
    from screener.catalog import load_assessment
    from screener.taking import take_from_file

    assessment = load_assessment("tiny", [TINY_DIR])
    store = connect(url)
    return [
        take_from_file(store, assessment, Path(answers), None, f"P{worker}-{i}").attempt_id
        for i in range(count)
    ]


def test_eight_stations_take_a_hundred_each(team: dict[str, str], answers: Path) -> None:
    processes, each = 8, 100
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(processes) as pool:
        jobs = [
            pool.apply_async(_station_takes, (team["station"], str(answers), w, each))
            for w in range(processes)
        ]
        ids = [aid for job in jobs for aid in job.get(120)]
    assert len(ids) == len(set(ids)) == processes * each
    owner = connect(team["owner"])
    stored = owner.attempts()
    assert sorted(a.attempt_id for a in stored) == sorted(ids)
    assert len(owner.candidates()) == processes * each
    assert {a.name for a in stored} == {f"P{w}-{i}" for w in range(processes) for i in range(each)}
    assert all(re.fullmatch(r"[0-9a-f]{12}", a.attempt_id) for a in stored)
