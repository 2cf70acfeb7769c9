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
from typing import Any

import psycopg
import pytest
from helpers import run_cli
from results_data import TINY_DIR
from test_batch import BFI, bfi_rows, write_csv

from screener.errors import NotFoundError, StoreError
from screener.screening import score_answers
from screener.store import Layout, connect
from screener.store.postgres.migrate import schema_version
from screener.store.postgres.roles import RECRUITER, STATION, without_password
from screener.taking import EXTRA_TIME_EVENT, extra_time_of
from tests.pgserver import PgServer
from tests.test_store import LAYOUT, answers_for, scored

TINY = ("--content-dir", str(TINY_DIR))
A_GOOD = "m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n"
B_GOOD = "m3: a\nm4: 12\nt3: 5\nt4: 1\ns2: a\n"
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
    assert grants == [("INSERT",)]  # and of its columns it may read the id alone
    readable = server.query(
        "SELECT column_name FROM information_schema.column_privileges"
        " WHERE grantee = %s AND table_name = 'candidates' AND privilege_type = 'SELECT'",
        dbname(pg_url),
        odd,
    )
    assert readable == [("id",)]
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


def test_an_upgrade_grants_its_new_functions_to_the_roles_db_init_made(
    server: PgServer, team: dict[str, str]
) -> None:
    """A database set up by ``db init`` before an upgrade: the functions the upgrade
    creates (here schema 7's bulk_attempts_begin(boolean, boolean), made again from
    schema 6) can be run by the recruiter and station groups, as every function of the
    schema could, and by nobody else; and the station, which could read every
    candidate before schema 8, now reads their ids alone (and those it runs or names)."""
    name = dbname(team["owner"])
    new_function = "screener.bulk_attempts_begin(boolean, boolean)"
    server.admin(
        f"DROP FUNCTION {new_function}; DROP FUNCTION screener.known_candidates(text, text);"
        " DROP VIEW screener.running_candidates;"
        f" GRANT SELECT ON screener.candidates TO {STATION};"  # as db init gave it before
        " UPDATE screener.meta SET schema_version = 6",
        name,
    )
    done = run_cli("--db", team["owner"], "db", "migrate")
    assert done.stderr == f"{team['owner']}: schema 6 \u2192 {LATEST}\n", done.stderr
    _login(server, "outsider", "pg_read_all_data")
    for function in (new_function, "screener.known_candidates(text, text)"):
        granted = server.query(
            "SELECT r, has_function_privilege(r, %s, 'EXECUTE')"
            " FROM unnest(%s::text[]) r ORDER BY 1",
            name,
            function,
            [RECRUITER, STATION, "outsider"],
        )
        assert dict(granted) == {RECRUITER: True, STATION: True, "outsider": False}
    station = server.query(
        "SELECT has_table_privilege(%s, 'screener.candidates', 'SELECT'),"
        " has_column_privilege(%s, 'screener.candidates', 'id', 'SELECT'),"
        " has_column_privilege(%s, 'screener.candidates', 'contact', 'SELECT'),"
        " has_table_privilege(%s, 'screener.running_candidates', 'SELECT'),"
        " has_table_privilege(%s, 'screener.candidates', 'SELECT')",
        name,
        STATION,
        STATION,
        STATION,
        STATION,
        RECRUITER,
    )
    assert station == [(False, True, False, True, True)]


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
    b_file = answers.with_name("b.yaml")
    b_file.write_text(B_GOOD)
    done = take(team["station"], b_file, "--candidate", sam.id)  # a retake: on form B
    assert done.returncode == 0, done.stderr
    done = take(team["station"], b_file, "--candidate", sam.id, "--form", "B")
    assert done.returncode == 0, done.stderr
    stored = connect(team["owner"]).attempts(candidate=sam.id)
    assert [a.form for a in stored] == ["A", "B", "B"]
    owner = psycopg.connect(team["owner"], autocommit=True)
    started_by = owner.execute("SELECT DISTINCT started_by FROM screener.attempts").fetchall()
    assert started_by == [(STATION_LOGIN,)]
    # nothing of the three submitted attempts is readable by the station afterwards:
    # at an assessment, their forms and times, never their results (issue 16)
    station = connect(team["station"])
    assert station.attempts(candidate=sam.id, status=None) == []
    earlier = station.attempts(candidate=sam.id, assessment="tiny")
    assert [(a.attempt_id, a.form, a.submitted) for a in earlier] == [
        (a.attempt_id, a.form, a.submitted) for a in stored
    ]
    assert all(a.masked and a.outcome is None and a.overall is None for a in earlier)
    assert all(a.competencies == () and a.plan == () and a.seed is None for a in earlier)
    assert {v for a in earlier for v in a.answers.values()} == {None}
    assert all(a.name == "Sam Station" for a in earlier)


def test_a_retake_at_a_station_alternates_forms(
    team: dict[str, str], answers: Path, tmp_path: Path
) -> None:
    """issue 16: a candidate the recruiter screened on form A retakes at a station on
    form B, then on A again; the station shows no earlier results (no change column)."""
    done = take(team["recruiter"], answers, "--name", "Ria Return", "--json")
    assert done.returncode == 0, done.stderr
    ria = json.loads(done.stdout)["candidate_id"]
    b_file = tmp_path / "b.yaml"
    b_file.write_text(B_GOOD)
    done = take(team["recruiter"], b_file, "--candidate", ria)  # the recruiter: the change
    assert done.returncode == 0 and "Change" in done.stdout, done.stderr
    done = take(team["station"], answers, "--candidate", ria)  # A: taken longest ago
    assert done.returncode == 0, done.stderr
    assert "Pass" in done.stdout and "Change" not in done.stdout
    done = take(team["station"], b_file, "--candidate", ria, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["form"] == "B"
    assert json.loads(done.stdout)["outcome"] == "pass"  # the attempt it just stored
    done = take(team["station2"], answers, "--candidate", ria, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["form"] == "A"
    stored = connect(team["owner"]).attempts(candidate=ria)
    assert [a.form for a in stored] == ["A", "B", "A", "B", "A"]


def test_a_station_does_not_ask_about_coaching_it_may_not_read(team: dict[str, str]) -> None:
    """The "retake while coaching is left asks first" reads the plan and the progress; a
    station may read neither, so it does not ask (and gets no permission error)."""
    from screener.catalog import load_assessment
    from screener.taking import Taking, coaching_left

    tiny = load_assessment("tiny", [TINY_DIR])
    weak = tiny.form_items("A")
    recruiter = connect(team["recruiter"])
    who = recruiter.add_candidate("Cody Coached")
    values = {"m1": "a", "m2": 3.0, "t1": 5, "t2": 1, "s1": "b"}
    assert [i.id for i in weak] == list(values)
    card, plan = score_answers(tiny, "A", values)  # type: ignore[arg-type]
    recruiter.save_attempt(who.id, card, plan, values, Layout.of(tiny, "A"))  # type: ignore[arg-type]
    assert card.outcome == "coaching"
    assert coaching_left(recruiter, who.id, "tiny") == (0, 1)
    station = connect(team["station"])
    assert coaching_left(station, who.id, "tiny") is None
    asked: list[tuple[int, int]] = []

    def retake(done: int, required: int) -> bool:
        asked.append((done, required))
        return False

    taking = Taking.begin(station, tiny, who.id, retake=retake)
    assert asked == [] and taking.form == "B" and taking.record is None


def _sit(taking: Any, right: int, leave_after: int | None = None) -> list[str]:
    """Answer the form (reasoning: ``right`` of six right; teamwork: 4), then every
    follow-up item asked (right); ``leave_after``: stop after that many form items,
    the last of them only timed. The follow-up items asked."""
    items = taking.assessment.form_items(taking.form)
    for n, item in enumerate(items[:leave_after]):
        value: Any = 4  # teamwork
        if leave_after is not None and n == leave_after - 1:
            value = None
        elif item.kind == "choice":
            wrong = next(o.id for o in item.options if o.id != item.key)
            value = item.key if n < right else wrong
        taking.state.answers[n] = value  # as the terminal session keeps them
        taking.state.asked.add(n)
        taking.save(n, value, 3.0)
    if leave_after is not None:
        return []
    asked: list[str] = []
    while (extra := taking.next_follow_up()) is not None:
        taking.save_follow_up(extra.id, extra.key, 5.0)
        asked.append(extra.id)
    taking.submit()
    return asked


def test_a_station_never_asks_an_item_seen_before(team: dict[str, str]) -> None:
    """issue 13's promise at a station (issue 16): the follow-up items of a retake are
    none the candidate met before, whoever ran the earlier attempts; another
    station's unfinished attempt counts, and is not offered to resume."""
    from content_fixtures import load_assessment

    from screener.taking import Taking

    six = load_assessment("measure/sixitem.yaml")
    recruiter, owner = connect(team["recruiter"]), connect(team["owner"])
    who = recruiter.add_candidate("Fay Follow")
    first = Taking.begin(recruiter, six, who.id, seed=3)
    assert first.form == "A"
    asked = _sit(first, right=4)
    assert asked and set(asked) < set(six.reserve)
    # another station leaves an attempt on B after two items (the second only timed)
    other = Taking.begin(connect(team["station2"]), six, who.id, seed=4)
    assert other.form == "B"
    _sit(other, right=6, leave_after=2)
    left = {i.id for i in six.form_items("B")[:2]}
    station = connect(team["station"])
    seen = station.seen_items(who.id, "sixitem")
    assert seen == owner.seen_items(who.id, "sixitem")
    assert seen == {i.id for i in six.form_items("A")} | set(asked) | left

    def go_on(found: object) -> None:
        raise AssertionError(f"offered another station's attempt: {found}")

    second = Taking.begin(station, six, who.id, seed=5, go_on=go_on)
    assert second.form == "B" and second.seen == seen and second.remaining == 10
    again = _sit(second, right=4)
    assert again and not set(again) & seen
    third = Taking.begin(station, six, who.id, seed=6, go_on=go_on)
    assert third.form == "A"
    assert third.seen == seen | {i.id for i in six.form_items("B")} | set(again)
    more = _sit(third, right=4)
    assert not set(more) & third.seen
    done = owner.attempts(candidate=who.id, assessment="sixitem")
    assert [a.form for a in done] == ["A", "B", "A"]
    assert [[i for i, _, _ in a.follow_ups] for a in done] == [asked, again, more]
    # the station's view of them: the items asked, no answer to them
    every = station.attempts(candidate=who.id, assessment="sixitem", status=None)
    [running] = [a for a in every if a.status == "in_progress"]
    assert running.masked and all(a.masked for a in every)
    assert running.seen_items == left and set(running.answers.values()) == {None}


def test_earlier_attempts_in_raw_sql_hold_no_results(team: dict[str, str], answers: Path) -> None:
    """The function a station reads earlier attempts with (schema 4) is the schema
    owner's, SECURITY DEFINER with its search_path pinned, and gives no result."""
    done = take(team["recruiter"], answers, "--name", "Raw Retake", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    with psycopg.connect(team["station"], autocommit=True) as conn:
        cur = conn.execute(
            "SELECT * FROM screener.earlier_attempts(%s, 'tiny')", (shown["candidate_id"],)
        )
        assert cur.description is not None
        names = [c.name for c in cur.description]
        [row] = cur.fetchall()
        for statement in (
            "SELECT scores, outcome FROM screener.attempts",
            "SELECT * FROM screener.competency_results",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
    assert names == [
        "id", "layout", "status", "started", "submitted", "stamp", "seq", "asked", "follow_ups"
    ]  # fmt: skip
    assert row[0] == shown["attempt_id"] and row[2] == "submitted" and row[7] is None
    assert shown["outcome"] not in {str(v) for v in row}
    owner = psycopg.connect(team["owner"], autocommit=True)
    facts = owner.execute(
        "SELECT p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner) = n.nspowner::regrole::text"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'screener' AND p.proname = 'earlier_attempts'"
    ).fetchone()
    assert facts == (True, ["search_path=screener, pg_temp"], True)
    public = owner.execute(
        "SELECT has_function_privilege('public', 'screener.earlier_attempts(text, text)',"
        " 'EXECUTE')"
    ).fetchone()
    assert public == (False,)


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


def test_a_station_finds_a_returning_candidate_but_cannot_list_everyone(
    team: dict[str, str], answers: Path
) -> None:
    """Schema 8: a station reads a candidate's name and contact only by their exact id
    or name (and those of the attempts it runs); the list of everyone's names and
    contacts, in raw SQL or through the store, is refused by the server."""
    owner = connect(team["owner"])
    ann = owner.add_candidate("Ann  Returning", contact="ann@example.org")
    owner.add_candidate("Bob Other", contact="bob@example.org")
    station = connect(team["station"])
    assert station.get_candidate(ann.id) == ann
    assert station.candidates_named("ann returning") == [ann]
    assert station.resolve_candidate("Ann Returning") == ann
    with pytest.raises(NotFoundError):
        station.get_candidate("nobody")
    for read_all in (station.candidates, lambda: station.find_candidates("o")):
        with pytest.raises(StoreError, match="permission denied"):
            read_all()
    done = take(team["station"], answers, "--candidate", "Ann Returning")  # found by name
    assert done.returncode == 0, done.stderr
    assert [a.name for a in owner.attempts(candidate=ann.id)] == ["Ann Returning"]
    with psycopg.connect(team["station"], autocommit=True) as conn:
        for statement in (
            "SELECT * FROM screener.candidates",
            "SELECT name, contact FROM screener.candidates",
            "SELECT count(*) FROM screener.candidates WHERE name_key LIKE 'b%'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)  # type: ignore[arg-type]
        ids = conn.execute("SELECT id FROM screener.candidates ORDER BY id").fetchall()
        assert len(ids) == 2
        found = conn.execute(
            "SELECT name, contact FROM screener.known_candidates(NULL, 'bob other')"
        ).fetchall()
        assert found == [("Bob Other", "bob@example.org")]  # an exact name only
        assert conn.execute(
            "SELECT count(*) FROM screener.known_candidates(NULL, 'b')"
        ).fetchone() == (0,)
        # no attempt running: none of the candidates through its view
        assert conn.execute("SELECT count(*) FROM screener.running_candidates").fetchone() == (0,)


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
        take_from_file(store, assessment, Path(answers), None, f"P{worker}-{i}")[0].attempt_id
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


def test_a_recruiters_large_batch_drops_and_remakes_the_keys_a_station_may_not(
    team: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The functions of schema 6 run as the schema's owner for a role that may read and
    add attempts (the recruiter's large batch); a station calling them is refused."""
    from test_store_postgres import FOREIGN_KEYS, _bfi_batch

    from screener.store.postgres import backend

    monkeypatch.setattr(backend, "BULK_ROWS", 10)
    taken: list[bool] = []
    begin = backend.PostgresStore._bulk_keys_begin

    def spy(tx: object, rows: int, any_attempt: bool, *, people: bool = False) -> bool:
        taken.append(begin(tx, rows, any_attempt, people=people))  # type: ignore[arg-type]
        return taken[-1]

    monkeypatch.setattr(backend.PostgresStore, "_bulk_keys_begin", staticmethod(spy))
    assert connect(team["recruiter"]).save_scored_batch(_bfi_batch(30, "r")).stored == 30
    assert taken == [True]
    owner = psycopg.connect(team["owner"], autocommit=True)
    assert owner.execute(FOREIGN_KEYS).fetchone() == (2,)
    for function in (
        "bulk_attempts_begin(true)",
        "bulk_attempts_begin(true, true)",
        "bulk_attempts_end()",
    ):
        with (
            psycopg.connect(team["station"]) as station,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            station.execute(f"SELECT screener.{function}")
    assert owner.execute(FOREIGN_KEYS).fetchone() == (2,)


def test_the_stations_refusals_of_show_and_report_are_the_same_through_libpq(
    team: dict[str, str], answers: Path
) -> None:
    """``show`` and ``report`` read through the bundled libpq (tests/test_store_postgres_libpq.py):
    a station's refusal is the same line as through psycopg."""
    other = connect(team["owner"]).add_candidate("Olga Other")
    done = take(team["owner"], answers, "--candidate", other.id)
    assert done.returncode == 0, done.stderr
    for command in ("show", "report"):
        lines = set()
        for driver in ("libpq", "psycopg"):
            env = {"SCREENER_DB": team["station"], "SCREENER_PG_DRIVER": driver}
            lines.add(one_line_error(run_cli(*TINY, command, other.id, env=env, subprocess=True)))
        assert len(lines) == 1 and next(iter(lines)).startswith("error: permission denied"), lines
