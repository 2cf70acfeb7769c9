"""Issue 10, what reaches the terminal and output files: each test reproduces one attack.

Terminal injection (10), export temp files (11), report file mode (12), the
Markdown report (13), special files as outputs and inputs (3), a full device
on stdout (21) and the exit code of an unusable --db (24).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from content_fixtures import tiny
from helpers import ROOT, run_cli
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from results_data import START, TINY_DIR, tiny_answers

from screener.coaching import build_plan
from screener.errors import ContentError, NotFoundError, ScreenerError
from screener.exporting import Format, Terminated, export, export_to_file
from screener.exporting.outfile import TEMP_GLOB, find_stale
from screener.render import attempts_table, console
from screener.report import ReportData, html_report, markdown_report
from screener.scoring import score_form
from screener.store import Layout, NewAttempt, NewCandidate, Store
from screener.terminal import printable

TINY = ("--content-dir", str(TINY_DIR))

#: Raw bytes a terminal acts on: C0 but tab/LF/CR, DEL, C1 (as UTF-8 or Latin-1).
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
ATTACKS = [
    "\x1b]8;;http://evil.example\x07click me\x1b]8;;\x07",
    "\x1b[2J\x1b]0;pwned\x07Ann",
    "Bob\x9b2J\x9d0;title\x9c",
    "Nul\x00Byte",
    "[link=http://evil.example]Eve[/link]",
    "Mallory [/b] [bold]",
    "Zoë \u202eevil\u202c :smile:",
]

texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("[]/<>&\\`*_|#\x1b\x07\x9b\x00\x7f")),
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.split())
ids = st.text(
    alphabet=st.characters(codec="utf-8").filter(lambda c: c.isprintable() and not c.isspace()),
    min_size=1,
    max_size=24,
) | st.sampled_from(["<img/src=x/onerror=alert(1)>", "[/b]", "a|b", "x&amp;y"])
FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_clean(out: str) -> None:
    """Nothing a terminal would act on; printable() output itself is clean."""
    assert not RAW_CONTROL.search(out), repr(RAW_CONTROL.search(out))


def stored(db: Path, name: str, cid: str = "c1", contact: str | None = None) -> None:
    """A database holding one candidate with ``name`` and one coaching attempt.

    The name is written into the file by hand after saving (as an old version or
    a hand edit would have it): the store itself may refuse control characters.
    """
    a = tiny()
    answers = tiny_answers(a, "A", random.Random(1))
    card = score_form(a, answers, "A")
    plan = build_plan(a, card)
    assert plan
    Store(db).save_attempts(
        [
            NewAttempt(
                NewCandidate("Placeholder", None, cid),
                Layout.of(a, "A"),
                card,
                plan,
                answers,
                submitted=START,
            )
        ]
    )
    data = json.loads(db.read_text())
    for doc in data["candidates"].values():
        doc["name"] = " ".join(name.split())  # as every version of the store keeps names
        if contact is not None:
            doc["contact"] = contact
    db.write_text(json.dumps(data))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The real entry point in this process (``run_cli``, in the current folder): exit
    code, stdout, stderr."""
    done = run_cli(*args, cwd=Path.cwd())
    return done.returncode, done.stdout, done.stderr


def fresh_db(tmp: Path) -> Path:
    folder = Path(tempfile.mkdtemp(dir=tmp))
    return folder / "screener.json"


# -- 10. terminal injection ----------------------------------------------------------


@FAST
@given(name=texts)
@example(name=ATTACKS[0])
@example(name=ATTACKS[2])
@example(name=ATTACKS[4])
@example(name=ATTACKS[5])
def test_attack_10_results_table_escapes_any_name(name: str) -> None:
    """'ESC/OSC/C1/NUL in a name reach the terminal from results; one stray [/b] crashes it'"""
    rec = SimpleNamespace(
        attempt_id="a1",
        candidate_id="[/b]",
        name=name,
        assessment="tiny",
        form="A",
        submitted="2024-03-01T09:00:00Z",
        outcome="coaching",
        overall=50.0,
        plan_modules=["m"],
    )
    buf = io.StringIO()
    console(file=buf, width=400).print(attempts_table([rec]))  # type: ignore[list-item]
    out = buf.getvalue()
    assert_clean(out)
    assert printable(name) in out and "[/b]" in out


def test_attack_10_results_command_survives_markup_in_names(
    isolated_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'one stray [/b] in any name makes results crash for the whole database'"""
    stored(isolated_db, "Mallory [/b] [link=http://evil.example]x[/link]")
    code, out, err = run(capsys, *TINY, "results")
    assert code == 0, err
    assert "Mallory [/b]" in out and "[link=http://evil.ex" in out  # text, not a link
    assert "\x1b" not in out


@FAST
@given(name=texts)
@example(name=ATTACKS[1])
@example(name=ATTACKS[3])
@example(name=ATTACKS[6])
def test_attack_10_show_coach_delete_escape_any_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """'ESC/OSC/C1/NUL in a name reach the terminal from show and delete; [/b] crashes coach'"""
    db = fresh_db(tmp_path)
    stored(db, name, contact=name)
    for args in (("show", "c1"), ("coach", "c1", "--no-input"), ("delete", "c1", "--yes")):
        code, out, err = run(capsys, *TINY, "--db", str(db), *args)
        assert_clean(out + err)
        assert "Traceback" not in err
        if code == 0 and args[0] != "coach":  # the store may refuse such a name on load
            assert printable(" ".join(name.split())) in out + err
        elif code != 0:
            assert code == 1 and err.count("\n") == 1, err


@FAST
@given(ref=texts)
@example(ref="\x1b]0;pwned\x07")
def test_attack_10_error_messages_escape_what_the_user_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ref: str
) -> None:
    """'any user- or file-supplied text in errors is printed raw'"""
    db = fresh_db(tmp_path)
    code, out, err = run(capsys, "--db", str(db), "show", "--", ref)
    assert code == 1 and out == ""
    assert_clean(err)
    assert err.count("\n") == 1 and err.startswith("error: ")


def test_attack_10_file_names_in_errors_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'file names in errors' reach the terminal raw"""
    bad = tmp_path / "evil\x1b]0;pwned\x07\n.yaml"
    bad.write_text("m1: [")
    code, _, err = run(capsys, *TINY, "score", str(bad), "-a", "tiny")
    assert code == 1
    assert_clean(err)
    assert "evil\\x1b]0;pwned\\x07\\x0a.yaml" in err


def test_attack_10_interactive_welcome_and_markup_are_text() -> None:
    """'titles from added content' are read as rich markup"""
    from screener.session import welcome

    a = tiny().model_copy(update={"title": "[link=http://evil.example]T[/link] \x1b[2J"})
    buf = io.StringIO()
    welcome(console(file=buf, width=120), a, "A", 3, False)
    out = buf.getvalue()
    assert_clean(out)
    assert "[link=http://evil.example]T[/link] \\x1b[2J" in out


@FAST
@given(name=texts, contact=texts)
@example(name=ATTACKS[0], contact=ATTACKS[2])
def test_attack_10_exports_carry_no_control_characters(
    tmp_path: Path, name: str, contact: str
) -> None:
    """'ESC/OSC/C1/NUL in a name reach the terminal from CSV to stdout'"""
    db = fresh_db(tmp_path)
    stored(db, name, contact=contact)
    try:
        store = Store(db)
        csv_out, jsonl_out = io.BytesIO(), io.BytesIO()
        export(store.iter_attempts(), Format.CSV, csv_out)
        export(store.iter_attempts(), Format.JSONL, jsonl_out)
    except ScreenerError:
        return  # refused on load: nothing printed
    text = csv_out.getvalue().decode()
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text)
    raw = jsonl_out.getvalue()
    assert not re.search(rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]", raw.replace(b"\n", b""))
    (row,) = [orjson.loads(line) for line in raw.splitlines()]
    assert row["name"] == " ".join(name.split())  # JSON escapes: the value is unchanged


def test_attack_10_json_output_escapes_c1(
    isolated_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'\\x9b (CSI) in a name reaches the terminal from --json output'"""
    stored(isolated_db, "Bob\x9b2J\x7f")
    code, out, err = run(capsys, *TINY, "show", "c1", "--json")
    assert code in (0, 1) and "Traceback" not in err
    if code == 0:  # else the store refused the name on load, in one line
        assert_clean(out)
        assert json.loads(out)["candidate"]["name"] == "Bob\x9b2J\x7f"
        assert "\\u009b" in out


# -- 13. Markdown and HTML reports ---------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.h1 = ""
        self.in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.in_h1 = tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self.in_h1 = False

    def handle_data(self, data: str) -> None:
        if self.in_h1:
            self.h1 += data


def _report_data(name: str, cid: str) -> ReportData:
    from screener.store.records import Candidate

    return ReportData(
        candidate=Candidate(id=cid, name=name, contact=None, created="2024-01-01T00:00:00Z"),
        attempts=[],
        progress=[],
        assessments={},
        modules={},
        generated="2024-05-01",
    )


def _parsed(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


BASE_MD_TAGS = _parsed(
    MarkdownIt("commonmark", {"html": True}).render(markdown_report(_report_data("Ann", "c1")))
).tags


@FAST
@given(name=texts, cid=ids)
@example(name="<script>alert(1)</script>", cid="<img/src=x/onerror=alert(1)>")
@example(name="A & B <b>x</b> ![i](x) [l](javascript:x) # *", cid="[x](y)")
def test_attack_13_markdown_report_escapes_name_and_id(name: str, cid: str) -> None:
    """'The Markdown report prints the candidate id raw (<img/src=x/onerror=…> passes the id rule)'"""
    name = " ".join(name.split())
    md = markdown_report(_report_data(name, cid))
    assert_clean(md)
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    tags = _parsed(html)
    assert tags.tags <= BASE_MD_TAGS, tags.tags - BASE_MD_TAGS
    assert tags.h1 == f"Screening report: {printable(name)}"
    assert f"Candidate id {printable(cid)}" in _text_of(html)


def _text_of(html: str) -> str:
    parts: list[str] = []
    parser = HTMLParser()
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(html)
    return "".join(parts)


BASE_HTML_TAGS = _parsed(html_report(_report_data("Ann", "c1"))).tags


@FAST
@given(name=texts, cid=ids)
@example(name="</title><script>x</script>", cid="<img/src=x/onerror=alert(1)>")
def test_attack_13_html_report_escapes_everything(name: str, cid: str) -> None:
    """'Check the HTML report escapes everything too'"""
    page = html_report(_report_data(name, cid))
    assert_clean(page)
    tags = _parsed(page)
    assert tags.tags <= BASE_HTML_TAGS
    assert tags.h1 == f"Screening report: {printable(name)}"
    assert f"Candidate id {printable(cid)}" in _text_of(page)


# -- 12. report --output mode --------------------------------------------------------


def test_attack_12_report_output_is_0600(
    isolated_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'report --output writes names/ids into a 0644 file'"""
    stored(isolated_db, "Ann Example")
    old = os.umask(0o022)
    try:
        for fmt in ("md", "html"):
            target = tmp_path / f"r.{fmt}"
            target.write_text("old")
            target.chmod(0o644)
            code, _, err = run(capsys, *TINY, "report", "c1", "-f", fmt, "-o", str(target))
            assert code == 0, err
            assert stat.S_IMODE(target.stat().st_mode) == 0o600
            assert "Ann Example" in target.read_text()
    finally:
        os.umask(old)
    assert not list(tmp_path.glob(TEMP_GLOB))


# -- 11. export temp files -----------------------------------------------------------


class _Stream:
    """An attempt stream that runs ``hook`` before its second record."""

    def __init__(self, store: Store, hook: Any) -> None:
        self.inner = store.iter_attempts()
        self.layouts = self.inner.layouts
        self.hook = hook

    def contact(self, cid: str) -> str | None:
        return self.inner.contact(cid)

    def __len__(self) -> int:
        return len(self.inner)

    def __iter__(self) -> Iterator[Any]:
        for n, rec in enumerate(self.inner):
            if n == 1:
                self.hook()
            yield rec


def _two_attempts(db: Path) -> Store:
    a = tiny()
    rows = []
    for n in range(2):
        answers = tiny_answers(a, "A", random.Random(n))
        card = score_form(a, answers, "A")
        rows.append(
            NewAttempt(
                NewCandidate(f"P{n}"),
                Layout.of(a, "A"),
                card,
                build_plan(a, card),
                answers,
                submitted=START,
            )
        )
    store = Store(db)
    store.save_attempts(rows)
    return store


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("stop", [RuntimeError, KeyboardInterrupt, "SIGTERM"])
def test_attack_11_interrupted_export_leaves_no_copy(
    isolated_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: Format, stop: Any
) -> None:
    """'A killed export leaves full copies of personal data (.out.csv.*.tmp, /tmp/openpyxl.*)'"""
    store = _two_attempts(isolated_db)
    system_tmp = tmp_path / "systemtmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / f"x.{fmt.value}"
    seen: list[list[str]] = []

    def hook() -> None:
        seen.append(sorted(p.name for p in out_dir.iterdir()))
        if stop == "SIGTERM":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler raises before this ends
        raise stop()

    expected = Terminated if stop == "SIGTERM" else stop
    with pytest.raises(expected):
        export_to_file(_Stream(store, hook), fmt, target, items=True)
    # while writing, every temp file was beside the output under the recognisable name
    assert seen and seen[0] and all(n.startswith(".screener-output.") for n in seen[0])
    assert len(seen[0]) == (2 if fmt is Format.XLSX else 1)  # XLSX: the sheet's scratch file
    assert list(out_dir.iterdir()) == []  # no temp, no half output
    assert list(system_tmp.iterdir()) == []  # nothing in the system temp folder
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_attack_11_sigterm_during_export_exits_143(
    isolated_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'SIGTERM during an export' must clean up and end as a terminated command"""
    _two_attempts(isolated_db)
    import screener.exporting as exporting

    def killed(*args: Any, **kwargs: Any) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
        return 0

    monkeypatch.setattr(exporting, "export", killed)
    target = tmp_path / "out.csv"
    code, _, err = run(capsys, *TINY, "export", "-f", "csv", "-o", str(target))
    assert (code, err) == (128 + signal.SIGTERM, "terminated\n")
    assert list(tmp_path.glob(TEMP_GLOB)) == [] and not target.exists()


def test_attack_11_stale_temps_removed_by_next_export_and_reported_by_delete(
    isolated_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'stale ones are removed by the next export and reported by delete'"""
    _two_attempts(isolated_db)
    monkeypatch.chdir(tmp_path)
    stale = tmp_path / ".screener-output.killed1.tmp"
    stale.write_text("attempt_id,name\n1,Ann\n")
    beside_db = isolated_db.parent / ".screener-output.killed2.tmp"
    beside_db.write_text("Ann")
    busy = tmp_path / ".screener-output.busy.tmp"  # another export still writing it
    busy.write_text("")
    holder = os.open(busy, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        assert find_stale([tmp_path, isolated_db.parent]) == [stale, beside_db]
        code, _, err = run(capsys, "delete", "P0", "--yes")
        assert code == 0, err
        assert "may hold personal data" in err
        assert str(stale) in err and str(beside_db) in err and str(busy) not in err
        code, _, err = run(capsys, *TINY, "export", "-f", "csv", "-o", str(tmp_path / "o.csv"))
        assert code == 0, err
        assert not stale.exists() and busy.exists() and beside_db.exists()
    finally:
        os.close(holder)


# -- 3. special files as outputs and inputs ------------------------------------------


def test_attack_3_export_never_replaces_a_device_or_pipe(
    isolated_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'as root export --output /dev/full replaces the device with a regular file'"""
    _two_attempts(isolated_db)
    # a pipe and a terminal first: a regression fails here, before /dev is touched
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run(capsys, *TINY, "export", "-f", "jsonl", "-o", str(fifo))
    reader.join(10)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode) and len(got[0].splitlines()) == 2
    leader, follower = os.openpty()
    terminal = os.ttyname(follower)
    try:
        code, _, err = run(capsys, *TINY, "export", "-f", "csv", "-o", terminal)
        assert code == 0, err
        assert stat.S_ISCHR(os.stat(terminal).st_mode)
        assert b"P0" in os.read(leader, 65536)
        code, _, err = run(capsys, *TINY, "export", "-f", "xlsx", "-o", terminal)
        assert code == 1 and "needs a regular file" in err
    finally:
        os.close(leader)
        os.close(follower)
    code, _, err = run(capsys, *TINY, "export", "-f", "csv", "-o", "/dev/full")
    assert code == 1 and err == "error: cannot write /dev/full: No space left on device\n"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    code, _, err = run(capsys, *TINY, "export", "-f", "jsonl", "-o", "/dev/null")
    assert code == 0, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    code, _, err = run(capsys, *TINY, "export", "-f", "csv", "-o", str(tmp_path))
    assert code == 1 and err == f"error: cannot write {tmp_path}: it is a folder, not a file\n"
    assert not list(Path("/dev").glob(".*.tmp"))


def test_attack_3_symlink_output_replaces_its_target(
    isolated_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'--output a symlink to a regular file': the file is replaced, the link stays"""
    _two_attempts(isolated_db)
    real = tmp_path / "real.csv"
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    code, _, err = run(capsys, *TINY, "export", "-f", "csv", "-o", str(link))
    assert code == 0, err
    assert link.is_symlink() and "P0" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_attack_3_output_dash_is_stdout(
    isolated_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """'--output - means stdout' (not a file named -)"""
    _two_attempts(isolated_db)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, *TINY, "report", "P0", "-o", "-")
    assert code == 0 and out.startswith("# Screening report: P0")
    assert not (tmp_path / "-").exists()


def test_attack_3_answers_from_a_pipe_or_device_are_refused(tmp_path: Path) -> None:
    """'FIFOs and /dev/zero given as INPUT files must be refused, not read until memory runs out'"""
    from screener.answers import read_answers

    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)

    def unblock() -> None:  # a regression would block in open(): end it, and fail below
        time.sleep(3)
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    threading.Thread(target=unblock, daemon=True).start()
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(ContentError) as caught:
            read_answers(path, tiny(), "A")
        assert (
            str(caught.value)
            == f"{path}: cannot read: not a regular file (a pipe or device is refused)"
        )


# -- 21. a full device on stdout -------------------------------------------------------


@pytest.mark.parametrize("args", [("export", "-f", "csv"), ("results", "--json"), ("results",)])
def test_attack_21_full_stdout_is_one_line(isolated_db: Path, args: tuple[str, ...]) -> None:
    """'export > /dev/full, results --json > /dev/full: traceback'"""
    _two_attempts(isolated_db)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "screener", *TINY, *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.endswith("error: cannot write to stdout: No space left on device\n")
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.parametrize("args", [("--version",), ("assessments",), ("modules", "--json")])
def test_attack_21b_full_stdout_of_the_quick_commands_is_one_line(args: tuple[str, ...]) -> None:
    """'screener --version > /dev/full: traceback' (once --version ran without typer)"""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "screener", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert (done.returncode, done.stderr) == (
        1,
        "error: cannot write to stdout: No space left on device\n",
    )


_CLOSED = (1, "error: cannot write to stdout: Bad file descriptor\n")


def _with_stdout_closed(*args: str) -> tuple[int, str]:
    """``screener ARGS >&-``: its exit code and stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "screener", *TINY, *args],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("assessments",),
        ("db", "path"),
        ("schema", "module"),
        ("export", "-f", "csv"),
    ],
)
def test_attack_21c_closed_stdout_is_one_line(isolated_db: Path, args: tuple[str, ...]) -> None:
    """'screener --version >&- (stdout closed): AttributeError traceback'"""
    assert _with_stdout_closed(*args) == _CLOSED


def test_attack_21c_closed_stdout_still_stores_a_take(tmp_path: Path, isolated_db: Path) -> None:
    """The answers are stored before the results screen fails to print."""
    answers = tmp_path / "a.yaml"
    answers.write_text("m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n")
    took = _with_stdout_closed("take", "tiny", "--answers", str(answers), "--name", "Closed Out")
    assert took == _CLOSED
    shown = run_cli(*TINY, "show", "Closed Out", "--json")
    assert shown.returncode == 0 and len(json.loads(shown.stdout)["attempts"]) == 1


def test_attack_21_reader_closing_early_ends_quietly() -> None:
    """'piped output closed early (| head) ends quietly with exit 1'"""
    proc = subprocess.Popen(
        [sys.executable, "-m", "screener", "simulate", "wblc-screening", "--n", "3000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(60) == 1
    assert err == b""


# -- 24. an unusable --db ------------------------------------------------------------------


def test_attack_24_db_below_a_regular_file_is_exit_1(tmp_path: Path) -> None:
    """'an unreadable --db (a path below a regular file) is exit 2 instead of 1'"""
    plain = tmp_path / "plain"
    plain.write_text("")
    db = str(plain / "screener.json")
    answers = str(ROOT / "docs" / "examples" / "answers-form-a.yaml")
    done = run_cli("--db", db, "take", "--answers", answers, "--name", "Ann")
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and str(plain) in done.stderr
    # read commands too: "no database yet" would be a lie, the path can never hold one
    for args in (("results",), ("db", "info"), ("show", "x"), ("export", "--format", "csv")):
        done = run_cli("--db", db, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.count("\n") == 1 and "is a file, not a folder" in done.stderr
        assert "Traceback" not in done.stderr


def test_attack_24_unexpected_os_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'a folder without permissions' as --db: PermissionError must be one line, exit 1"""
    import screener.store as store_pkg

    def denied(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", "/srv/db/screener.json")

    monkeypatch.setattr(store_pkg.Store, "iter_attempts", denied)
    code, out, err = run(capsys, "results")
    assert (code, out) == (1, "")
    assert err == "error: /srv/db/screener.json: Permission denied\n"


def test_attack_10_not_found_message_with_control_characters() -> None:
    """printable() keeps the text recognisable and on one line"""
    msg = str(NotFoundError("no candidate 'a\x1b[2Jb\nc'"))
    assert printable(msg) == "no candidate 'a\\x1b[2Jb\\x0ac'"
