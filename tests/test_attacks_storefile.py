"""Attacks of issue #10 on the database file itself (points 3, 5, 6, 9, 17, 18, 20).

Each test reproduces one attack from the issue; the docstring quotes it. The
tests run as root in CI, and root ignores permission bits, so failures that
need an unprivileged user are simulated where they happen (said so in the test).
"""

from __future__ import annotations

import copy
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from screener.catalog import check_file
from screener.coaching import build_plan
from screener.content import Assessment
from screener.errors import StoreError
from screener.scoring import score_form
from screener.store import Layout, NewAttempt, Store
from screener.store import files as store_files
from screener.store.files import StoreWarning, read_tables, write_atomic
from tests.helpers import DATA, ROOT, run_cli

TINY = str(DATA / "tiny")
ANSWERS = {"m1": "b", "m2": 25.4, "t1": 5, "t2": 1, "s1": "b"}


def _tiny() -> Assessment:
    model = check_file(DATA / "tiny" / "assessments" / "tiny.yaml").model
    assert isinstance(model, Assessment)
    return model


TINY_MODEL = _tiny()
LAYOUT = Layout.of(TINY_MODEL, "A")


def attempt_row(candidate: str, **extra: Any) -> NewAttempt:
    card = score_form(TINY_MODEL, ANSWERS, "A")
    plan = extra.pop("plan", build_plan(TINY_MODEL, card))
    return NewAttempt(candidate, LAYOUT, card, plan, ANSWERS, **extra)


def build_db(db: Path) -> None:
    """A small database with a document in every table and every optional attempt field."""
    store = Store(db)
    with store.transaction():
        store.add_candidate("Ann Lee", candidate_id="ann")
        store.add_candidate("Bo Chen", "bo@example.org", candidate_id="bo")
        rows = [
            attempt_row("ann", key="k-ann", started="2024-05-01T10:00:00Z", seed=7),
            attempt_row(
                "bo",
                order=list(reversed(LAYOUT.items)),
                seconds=dict.fromkeys(LAYOUT.items, 2.5),
                plan=(),
            ),
        ]
        store.save_attempts(rows, command="test")
        store.start_attempt("bo", LAYOUT)
        store.start_module("ann", "tiny-math")
        store.view_lesson("ann", "tiny-math", "intro")
        store.audit("note", command="test", detail="a note")


def cli(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point: in this process, or, given a ``timeout``, in a child process
    that a hang cannot stop (a FIFO or device as the database must fail, not wait)."""
    if timeout is None:
        return run_cli(*args)
    return run_cli(*args, subprocess=True, timeout=timeout)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    return done.stderr


def temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def device(path: Path, major: int, minor: int) -> Path:
    """A character device node of our own (so a failing test cannot replace /dev/null)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("creating device nodes needs root")
    return path


# -- 3. device nodes and special files are replaced ---------------------------------------


@pytest.mark.parametrize(("name", "major", "minor"), [("null", 1, 3), ("zero", 1, 5)])
def test_attack_3_a_device_as_db_is_refused_and_stays_a_device(
    tmp_path: Path, name: str, major: int, minor: int
) -> None:
    """As root `--db /dev/null` replaces the device with a regular file; /dev/zero as
    --db must be refused, not read until memory runs out."""
    node = device(tmp_path / name, major, minor)
    store = Store(node)
    for action in (store.candidates, lambda: store.add_candidate("Would Replace")):
        with pytest.raises(StoreError, match="is a character device, not a database file"):
            action()
    assert stat.S_ISCHR(node.stat().st_mode) and node.stat().st_rdev == os.makedev(major, minor)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no lock, no temp file
    with pytest.raises(StoreError, match="character device"):
        write_atomic(node, b"{}")
    assert stat.S_ISCHR(node.stat().st_mode) and temps(tmp_path) == []
    assert "character device" in one_line_error(cli("--db", str(node), "results", timeout=60))


def test_attack_3_a_fifo_as_db_does_not_hang(tmp_path: Path) -> None:
    """A FIFO as `--db` must not hang (reading it waits for a writer that never comes)."""
    fifo = tmp_path / "db.fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    for args in (("db", "info"), ("results",)):
        assert "FIFO" in one_line_error(cli("--db", str(fifo), *args, timeout=20))
    with pytest.raises(StoreError, match="FIFO"):
        Store(fifo).add_candidate("Would Replace")
    assert time.monotonic() - started < 15
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_attack_3_a_special_file_swapped_in_before_the_replace_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`write_atomic` os.replaces a temp file over whatever the path is: checked again
    right before the replace (here a FIFO appears while the temp file is written)."""
    db = tmp_path / "screener.json"
    Store(db).add_candidate("Already Here")
    real_mkstemp = store_files.tempfile.mkstemp

    def swap_then_mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        made = real_mkstemp(*args, **kwargs)
        db.unlink()
        os.mkfifo(db)
        return made

    monkeypatch.setattr(store_files.tempfile, "mkstemp", swap_then_mkstemp)
    with pytest.raises(StoreError, match="FIFO"):
        write_atomic(db, b"{}")
    assert stat.S_ISFIFO(db.lstat().st_mode) and temps(tmp_path) == []


# -- 5. duplicate keys --------------------------------------------------------------------


def _doubled_table(db: Path) -> bytes:
    """The file with a second, older "candidates" table before the real one."""
    text = db.read_bytes()
    older = b'"candidates":{"1":{"id":"old","name":"Old Person","created":"2020-01-01T00:00:00Z"}},'
    return b"{" + older + text[1:]


def _doubled_document(db: Path) -> bytes:
    """The file with candidate document "1" written twice (the copies differ)."""
    data = orjson.loads(db.read_bytes())
    first = orjson.dumps({**data["candidates"]["1"], "name": "Older Copy"})
    return db.read_bytes().replace(
        b'"candidates":{"1":', b'"candidates":{"1":' + first + b',"1":', 1
    )


@pytest.mark.parametrize("make", [_doubled_table, _doubled_document])
@pytest.mark.parametrize("pretty", [False, True])
def test_attack_5_a_duplicate_key_is_refused_untouched(
    tmp_path: Path, make: Callable[[Path], bytes], pretty: bool
) -> None:
    """A database with a duplicate top-level key loads the last copy and the next write
    drops the other (200 candidates lost). Refuse it like any other damaged file."""
    db = tmp_path / "screener.json"
    build_db(db)
    damaged = make(db)
    if pretty:  # hand-edited files are rarely compact: the slow path must catch it too
        damaged = damaged.replace(b'":', b'" : ').replace(b'{"', b'{\n  "')
    db.write_bytes(damaged)
    store = Store(db)
    for action in (store.candidates, lambda: store.add_candidate("Would Drop One")):
        with pytest.raises(StoreError, match=r'the key "(candidates|1)" occurs twice') as caught:
            action()
        assert str(db) in str(caught.value) and "\n" not in str(caught.value)
    assert db.read_bytes() == damaged and temps(tmp_path) == []


def test_attack_5_files_without_duplicates_still_load_in_any_layout(tmp_path: Path) -> None:
    """The duplicate check refuses only duplicates: a pretty-printed or unsealed file loads."""
    db = tmp_path / "screener.json"
    build_db(db)
    names = [c.name for c in Store(db).candidates()]
    data = orjson.loads(db.read_bytes())
    del data["meta"]["1"]["seal"]
    for text in (orjson.dumps(data), orjson.dumps(data, option=orjson.OPT_INDENT_2)):
        db.write_bytes(text)
        assert [c.name for c in Store(db).candidates()] == names
    Store(db).add_candidate("Cy Doe")  # and a write seals it again
    assert orjson.loads(db.read_bytes())["meta"]["1"]["seal"].startswith("crc32:")


def test_attack_5_a_sealed_file_skips_the_checks_and_any_change_breaks_the_seal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cheap path is sound: only bytes screener wrote skip the duplicate and shape
    checks; one changed byte (same length, still valid JSON) gets both again."""
    db = tmp_path / "screener.json"
    build_db(db)
    checked: list[int] = []
    real = store_files._check_duplicate_keys
    monkeypatch.setattr(
        store_files, "_check_duplicate_keys", lambda *a: checked.append(1) or real(*a)
    )
    assert isinstance(read_tables(db), store_files.SealedTables) and checked == []
    db.write_bytes(db.read_bytes().replace(b'"Ann Lee"', b'"Ann Lea"'))
    assert type(read_tables(db)) is dict and checked == [1]


# -- 6. a write that commits and then fails --------------------------------------------------


def _folder_open_fails(folder: Path) -> Callable[..., int]:
    """os.open that raises PermissionError for the folder only: root may open any folder,
    so this is how a folder without read permission looks to its non-root owner."""
    real = os.open

    def fake(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, flags, *args, **kwargs)

    return fake


def test_attack_6_a_failure_after_the_commit_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a folder without read permission the replace is committed, then the folder fsync
    raises PermissionError (traceback), so the user retries and stores a duplicate."""
    db = tmp_path / "data" / "screener.json"
    Store(db).add_candidate("First One")
    monkeypatch.setattr(os, "open", _folder_open_fails(db.parent))
    with pytest.warns(StoreWarning, match="is saved, but syncing its folder failed"):
        added = Store(db).add_candidate("Second One")
    monkeypatch.undo()
    assert [c.name for c in Store(db).candidates()] == ["First One", "Second One"]
    assert added.name == "Second One" and temps(db.parent) == []


def test_attack_6_the_cli_says_saved_with_one_warning_line(tmp_path: Path) -> None:
    """A failure after the commit point must report success with a warning, never an error."""
    db = tmp_path / "screener.json"
    answers = tmp_path / "answers.yaml"
    answers.write_text("m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n")
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "real = os.open\n"
        f"folder = Path({str(tmp_path)!r})\n"
        "def fake(path, flags, *a, **k):\n"
        "    if Path(path) == folder:\n"
        "        raise PermissionError(13, 'Permission denied', str(path))\n"
        "    return real(path, flags, *a, **k)\n"
        "os.open = fake\n"
        "from screener.cli import main\n"
        "main()\n"
    )
    take = ["take", "tiny", "--answers", str(answers), "--name", "Ann Lee"]
    done = subprocess.run(
        [sys.executable, "-c", script, "--db", str(db), "--content-dir", TINY, *take],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if "syncing its folder failed" in line]
    assert (
        len(warning) == 1 and warning[0].startswith("warning: ") and "Traceback" not in done.stderr
    )
    assert [c.name for c in Store(db).candidates()] == ["Ann Lee"]


# -- 9. ownership and mode of a shared database ------------------------------------------------


def test_attack_9_mode_owner_and_group_of_a_shared_file_are_kept(tmp_path: Path) -> None:
    """Every write makes a new 0600 file owned by the writer, so a group-shared DB (file
    0660) becomes unreadable to its owner after a colleague writes."""
    if os.geteuid() != 0:
        pytest.skip("giving the file to another user needs root")
    db = tmp_path / "screener.json"
    Store(db).add_candidate("Owner's Candidate")
    os.chown(db, 4321, 5432)
    db.chmod(0o660)
    Store(db).add_candidate("Colleague's Candidate")
    kept = db.stat()
    assert (stat.S_IMODE(kept.st_mode), kept.st_uid, kept.st_gid) == (0o660, 4321, 5432)
    assert len(Store(db).candidates()) == 2


def _as_user(uid: int, gid: int, action: Callable[[], object]) -> str:
    """Run ``action`` in a forked child with another uid and gid (root only): "ok" or the error."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            action()
            result = "ok"
        except BaseException as exc:
            result = f"{type(exc).__name__}: {exc}"
        os.write(write, result.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        out = pipe.read().decode()
    os.waitpid(pid, 0)
    return out


def test_attack_9_a_group_shared_database_stays_usable_by_owner_and_colleague() -> None:
    """A group-shared DB (folder 2770, file 0660) becomes unreadable to its owner after a
    colleague writes (two unprivileged users of one group, made by forking as root)."""
    if os.geteuid() != 0:
        pytest.skip("acting as two other users needs root")
    owner, colleague, team = 4001, 4002, 4100
    top = Path(tempfile.mkdtemp(prefix="screener-shared-"))
    try:
        top.chmod(0o755)
        folder = top / "shared"
        folder.mkdir()
        os.chown(folder, owner, team)
        folder.chmod(0o2770)
        db = folder / "screener.json"
        store = Store(db)
        assert _as_user(owner, team, lambda: store.add_candidate("Owner's First")) == "ok"
        assert _as_user(owner, team, lambda: db.chmod(0o660)) == "ok"
        blocked = _as_user(colleague, team, lambda: store.add_candidate("Too Early"))
        assert "lock file" in blocked and "is not writable by you (mode 0600" in blocked
        assert _as_user(owner, team, lambda: store.add_candidate("Owner's Second")) == "ok"
        assert _as_user(colleague, team, lambda: store.add_candidate("Colleague's")) == "ok"
        assert _as_user(owner, team, lambda: store.add_candidate("Owner's Third")) == "ok"
        assert _as_user(colleague, team, lambda: store.candidates()) == "ok"
        kept = db.stat()
        assert (stat.S_IMODE(kept.st_mode), kept.st_gid) == (0o660, team)
        assert stat.S_IMODE(store.lock_path.stat().st_mode) == 0o660
        assert len(store.candidates()) == 4
    finally:
        shutil.rmtree(top)


def test_attack_9_a_writer_who_may_only_set_the_group_keeps_group_and_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same, for a colleague (not root) who may not give the file to its owner: the
    owner change is refused with EPERM (simulated), the group and mode are still kept."""
    db = tmp_path / "screener.json"
    Store(db).add_candidate("Owner's Candidate")
    os.chown(db, 4321, 5432)
    db.chmod(0o664)
    real = os.fchown

    def colleague_fchown(fd: int, uid: int, gid: int) -> None:
        if uid != -1:
            raise PermissionError(1, "Operation not permitted")
        real(fd, uid, gid)

    monkeypatch.setattr(os, "fchown", colleague_fchown)
    Store(db).add_candidate("Colleague's Candidate")
    kept = db.stat()
    assert (stat.S_IMODE(kept.st_mode), kept.st_uid, kept.st_gid) == (0o664, 0, 5432)


def test_new_files_stay_private_whatever_the_umask(tmp_path: Path) -> None:
    """New files stay 0600 whatever the umask."""
    db = tmp_path / "screener.json"
    old = os.umask(0)
    try:
        Store(db).add_candidate("Private Person")
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_attack_9_a_read_only_file_is_refused_untouched(tmp_path: Path) -> None:
    """A 0444 file is silently overwritten (root bypasses the mode; the replace needs only
    the folder to be writable)."""
    db = tmp_path / "screener.json"
    Store(db).add_candidate("Protected")
    db.chmod(0o444)
    before = db.read_bytes()
    with pytest.raises(StoreError, match=r"is read-only \(mode 0444\)"):
        Store(db).add_candidate("Would Overwrite")
    with pytest.raises(StoreError, match="read-only"):
        write_atomic(db, b"{}")
    assert db.read_bytes() == before and stat.S_IMODE(db.stat().st_mode) == 0o444
    assert "read-only" in one_line_error(cli("--db", str(db), "delete", "Protected", "--yes"))
    assert [c.name for c in Store(db).candidates()] == ["Protected"]  # reading is fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["screener.json", "screener.json.lock"]


# -- 17. symlink loops and odd lock files ------------------------------------------------------


def test_attack_17_a_symlink_loop_as_db_is_one_line(tmp_path: Path) -> None:
    """A symlink loop as `--db`: traceback -> one line."""
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for args in (("db", "path"), ("db", "info"), ("delete", "x", "--yes")):
        assert "symbolic link loop" in one_line_error(cli("--db", str(tmp_path / "a"), *args))
    with pytest.raises(StoreError, match="symbolic link loop"):
        Store(tmp_path / "a")


def test_attack_17_a_lock_file_that_is_a_symlink_is_refused_and_its_target_kept(
    tmp_path: Path,
) -> None:
    """A lock file (`<db>.lock`) that is a symlink: say that, not "folder is not
    writable" (and never truncate what it points to, as opening the lock would)."""
    db = tmp_path / "screener.json"
    Store(db).add_candidate("Kept")
    store = Store(db)
    precious = tmp_path / "precious.txt"
    precious.write_text("not a lock")
    store.lock_path.unlink()
    store.lock_path.symlink_to(precious)
    with pytest.raises(StoreError, match=r"lock file .* is a symbolic link, not a file"):
        store.add_candidate("Blocked")
    assert precious.read_text() == "not a lock"
    assert [c.name for c in store.candidates()] == ["Kept"]


def test_attack_17_a_lock_file_that_is_a_folder_is_named(tmp_path: Path) -> None:
    """A lock file that is a folder: say that, not "folder is not writable"."""
    db = tmp_path / "screener.json"
    Store(db).add_candidate("Kept")
    Store(db).lock_path.unlink()
    Store(db).lock_path.mkdir()
    done = cli("--db", str(db), "delete", "Kept", "--yes")
    message = one_line_error(done)
    assert "lock file" in message and "is a folder" in message and "not writable" not in message


# -- 18. wrong-typed fields and dangling references --------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(table: str, doc: str, field: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[table][doc][field] = value

    return mutate


def _drop(table: str, doc: str, field: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        del data[table][doc][field]

    return mutate


def _replace(table: str, doc: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[table][doc] = value

    return mutate


def _rekey(table: str, old: str, new: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[table][new] = data[table].pop(old)

    return mutate


#: name -> (what is done to the file, what the one-line error must name)
VARIANTS: dict[str, tuple[Mutation, str]] = {
    "candidate id a number": (_set("candidates", "1", "id", 7), "candidates document 1: id"),
    "candidate name null": (_set("candidates", "1", "name", None), "candidates document 1: name"),
    "candidate created a list": (_set("candidates", "2", "created", [1]), "document 2: created"),
    "candidate contact a number": (_set("candidates", "2", "contact", 5), "document 2: contact"),
    "candidate without name": (
        _drop("candidates", "2", "name"),
        "candidates document 2 lacks name",
    ),
    "layout items text": (_set("layouts", "1", "items", "m1"), "layouts document 1: items"),
    "layout competency out of range": (
        _set("layouts", "1", "item_competency", [9, 0, 0, 0, 0]),
        "layouts document 1: item_competency",
    ),
    "layout cuts short": (_set("layouts", "1", "cuts", [60]), "layouts document 1: cuts"),
    "layout options not lists": (_set("layouts", "1", "options", 3), "document 1: options"),
    "attempt cand a number": (_set("attempts", "1", "cand", 1), "attempts document 1: cand"),
    "attempt of nobody": (_set("attempts", "2", "cand", "nobody"), "attempts document 2: cand"),
    "attempt layout text": (_set("attempts", "1", "layout", "1"), "attempts document 1: layout"),
    "attempt layout true": (_set("attempts", "1", "layout", True), "attempts document 1: layout"),
    "attempt of no layout": (_set("attempts", "2", "layout", 99), "attempts document 2: layout"),
    "attempt status unknown": (_set("attempts", "1", "status", "done"), "document 1: status"),
    "attempt answers a list": (_set("attempts", "1", "answers", [1, 2]), "document 1: answers"),
    "attempt codes letters": (_set("attempts", "1", "codes", "mxm"), "attempts document 1: codes"),
    "attempt codes short": (_set("attempts", "2", "codes", "m"), "attempts document 2: codes"),
    "attempt outcome unknown": (_set("attempts", "1", "outcome", "maybe"), "document 1: outcome"),
    "attempt overall text": (_set("attempts", "1", "overall", "high"), "document 1: overall"),
    "attempt submitted a number": (_set("attempts", "1", "submitted", 5), "document 1: submitted"),
    "attempt key a list": (_set("attempts", "1", "key", ["k"]), "attempts document 1: key"),
    "attempt seed text": (_set("attempts", "1", "seed", "7"), "attempts document 1: seed"),
    "submitted attempt without scores": (_drop("attempts", "2", "scores"), "2 is submitted but"),
    "attempt not an object": (_replace("attempts", "3", "oops"), "attempts document 3 is text"),
    "attempt id not a number": (_rekey("attempts", "3", "three"), 'document id text "three"'),
    "progress of nobody": (_set("progress", "1", "cand", "ghost"), "progress document 1: cand"),
    "progress lessons text": (_set("progress", "1", "lessons", "intro"), "document 1: lessons"),
    "audit at a number": (_set("audit", "1", "at", 17), "audit document 1: at"),
    "audit without event": (_drop("audit", "1", "event"), "audit document 1 lacks event"),
}

COMMANDS: list[tuple[str, ...]] = [
    ("db", "info"),
    ("results",),
    ("show", "ann"),
    ("export", "--format", "csv"),
    ("stats", "tiny"),
    ("report", "ann"),
    ("delete", "ann", "--yes"),  # last: on the undamaged file it deletes
]


@pytest.fixture(scope="module")
def base_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("base") / "screener.json"
    build_db(db)
    data: dict[str, Any] = orjson.loads(db.read_bytes())
    return data


def damaged_file(folder: Path, base: dict[str, Any], variant: str) -> Path:
    data = copy.deepcopy(base)
    VARIANTS[variant][0](data)
    path = folder / f"{len(list(folder.iterdir()))}.json"
    path.write_bytes(orjson.dumps(data))
    return path


def test_the_undamaged_base_serves_every_command(tmp_path: Path, base_data: dict[str, Any]) -> None:
    """Control for the damaged variants: the undamaged file works with every command."""
    db = tmp_path / "screener.json"
    db.write_bytes(orjson.dumps(base_data))
    for args in COMMANDS:
        done = cli("--db", str(db), "--content-dir", TINY, *args)
        assert done.returncode == 0, (args, done.stderr)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_attack_18_a_damaged_document_is_refused_naming_it(
    tmp_path: Path, base_data: dict[str, Any], variant: str
) -> None:
    """A hand-edited database with wrong-typed fields gives 31 different tracebacks:
    refuse in one line naming the table, document id and field, file untouched."""
    db = damaged_file(tmp_path, base_data, variant)
    before = db.read_bytes()
    store = Store(db)
    for action in (store.candidates, lambda: store.add_candidate("Would Write")):
        with pytest.raises(StoreError) as caught:
            action()
        message = str(caught.value)
        assert VARIANTS[variant][1] in message and str(db) in message and "\n" not in message
    assert db.read_bytes() == before


def test_attack_18_damaged_files_through_every_command(
    tmp_path: Path, base_data: dict[str, Any]
) -> None:
    """31 tracebacks across 7 commands: each variant through one command (round robin),
    two variants through all seven; exit 1, one line, no traceback, bytes unchanged."""
    names = sorted(VARIANTS)
    runs = [(name, COMMANDS[n % len(COMMANDS)]) for n, name in enumerate(names)]
    runs += [(name, args) for name in names[:2] for args in COMMANDS]
    files = {name: damaged_file(tmp_path, base_data, name) for name in names}
    before = {name: path.read_bytes() for name, path in files.items()}

    def run(case: tuple[str, tuple[str, ...]]) -> str | None:
        name, args = case
        done = cli("--db", str(files[name]), "--content-dir", TINY, *args)
        lines = done.stderr.splitlines()
        if done.returncode != 1 or len(lines) != 1 or "Traceback" in done.stderr:
            return f"{name} / {' '.join(args)}: exit {done.returncode}: {done.stderr[-300:]}"
        if VARIANTS[name][1] not in lines[0]:
            return f"{name} / {' '.join(args)}: {lines[0]}"
        return None

    problems = [p for p in map(run, runs) if p is not None]  # in-process: one at a time
    assert problems == []
    assert all(files[name].read_bytes() == before[name] for name in names)


# -- 20. a huge junk file -------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(
    ("size", "head", "why"),
    [
        (2 * 1024**3, b"{" + b"\x00junk\xff" * 4, "more than the 1,024 MiB"),
        (900 * 1024**2, b"\x00junk\xff" * 4, "it starts with b'\\x00junk"),
        (900 * 1024**2, b"  \n[1,2,3", "not a JSON object"),
        (900 * 1024**2, b"  \n{", "does not end with '}'"),
    ],
)
def test_attack_20_a_huge_file_is_refused_quickly_with_little_memory(
    tmp_path: Path, size: int, head: bytes, why: str
) -> None:
    """A 2 GB junk file as `--db` takes 4.2 GB RAM to refuse and segfaults orjson under a
    4 GB limit: check size and the first bytes before parsing (sparse files here)."""
    db = tmp_path / "screener.json"
    with db.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    started, peak = time.monotonic(), _peak_rss_mb()
    with pytest.raises(StoreError, match=re.escape(why)) as caught:
        Store(db).candidates()
    assert time.monotonic() - started < 2 and _peak_rss_mb() - peak < 50
    assert str(db) in str(caught.value) and "left untouched" in str(caught.value)
    assert db.stat().st_size == size


def test_attack_20_refused_under_a_memory_limit_through_the_cli(tmp_path: Path) -> None:
    """The same 2 GB file through the real command under a 1 GB address-space limit:
    one line and exit 1, where parsing it would need several GB."""
    db = tmp_path / "screener.json"
    with db.open("wb") as handle:
        handle.write(b"{" + b"\x00" * 64)
        handle.truncate(2 * 1024**3)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))

    done = subprocess.run(
        [sys.executable, "-m", "screener", "--db", str(db), "db", "info"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        preexec_fn=limit,
    )
    assert "more than the 1,024 MiB" in one_line_error(done)


def test_attack_20_junk_is_refused_after_a_few_bytes(tmp_path: Path) -> None:
    """A file that is not JSON is refused after reading a few bytes, not parsed whole."""
    db = tmp_path / "screener.json"
    db.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 64)
    with pytest.raises(StoreError, match=r"not a JSON object: it starts with b'PK"):
        Store(db).candidates()
    db.write_bytes(b'{"candidates": {"1": {"id": "c1"')
    with pytest.raises(StoreError, match="does not end with '}'"):
        Store(db).candidates()


# -- read-only commands never create or change anything --------------------------------------


def test_read_only_commands_create_and_change_nothing(tmp_path: Path) -> None:
    """A read-only command must never create or modify anything (no folder, no lock, no
    migration write), on a missing database and on an old (v0) file that needs migrating."""
    missing = tmp_path / "new" / "screener.json"
    reads: list[tuple[str, ...]] = [("db", "info"), ("results",), ("export", "--format", "csv")]
    for args in reads:
        done = cli("--db", str(missing), "--content-dir", TINY, *args)
        assert done.returncode == 0, done.stderr
    assert not missing.parent.exists()
    v0 = tmp_path / "old" / "screener.json"
    v0.parent.mkdir()
    v0.write_bytes(
        orjson.dumps({"candidates": {"1": {"id": "ann", "name": "Ann", "created": "2023-01-01"}}})
    )
    before = v0.read_bytes()
    for args in [*reads, ("show", "ann"), ("report", "ann"), ("stats", "tiny")]:
        done = cli("--db", str(v0), "--content-dir", TINY, *args)
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    assert v0.read_bytes() == before and sorted(v0.parent.iterdir()) == [v0]
