"""``screener --version``, ``assessments`` and ``modules`` run without the typer app
(``screener.cli.quick``, issue 15): the same bytes, error lines and exit codes as
the app gives for the same arguments, without importing typer; every other shape
of arguments goes to the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from helpers import DATA, ROOT

from screener.cli.quick import quick

TINY = str(DATA / "tiny")

#: Run the typer app itself, as ``screener`` ran every command before ``quick``.
_APP = "import sys\nfrom screener.cli.app import main\nmain(sys.argv[1:])\n"
#: Run the entry point, and say on stderr whether typer was imported.
_ENTRY = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('TYPER %s\\n' % ('typer' in sys.modules)))\n"
    "from screener.cli import main\n"
    "main(sys.argv[1:])\n"
)


def _run(
    code: str, args: list[str], stdout: int | IO[bytes] = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        timeout=120,
    )


def _both(args: list[str]) -> tuple[tuple[int, bytes, bytes], tuple[int, bytes, bytes], bool]:
    """(entry point's (code, stdout, stderr), the app's, whether the entry imported typer)."""
    entry = _run(_ENTRY, args)
    app = _run(_APP, args)
    err, _, flag = entry.stderr.rstrip(b"\n").rpartition(b"\n")
    if not flag.startswith(b"TYPER"):  # nothing else on stderr
        err, flag = b"", entry.stderr.strip()
    err = err + b"\n" if err else b""
    return (
        (entry.returncode, entry.stdout, err),
        (app.returncode, app.stdout, app.stderr),
        flag == b"TYPER True",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["assessments"],
        ["modules"],
        ["assessments", "--json"],
        ["modules", "--json"],
        ["--content-dir", TINY, "assessments"],
        [f"--content-dir={TINY}", "modules", "--json"],
        ["--content-dir", TINY, "--content-dir", str(DATA / "bfi"), "assessments"],
        ["--db", "elsewhere.json", "modules"],
        ["--db=postgresql:///nowhere", "--version"],
    ],
)
def test_the_plain_shapes_give_the_apps_bytes_without_typer(args: list[str]) -> None:
    entry, app, typer_loaded = _both(args)
    assert entry == app
    assert entry[0] == 0 and entry[1]
    assert not typer_loaded


def test_broken_content_gives_the_apps_error_lines_and_code(tmp_path: Path) -> None:
    folder = tmp_path / "content" / "assessments"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text("id: bad\ntitle: [unclosed\n")
    entry, app, typer_loaded = _both(["--content-dir", str(tmp_path / "content"), "assessments"])
    assert entry == app
    assert entry[0] == 1 and entry[1] == b""
    assert entry[2].startswith(b"error: ") and b"bad.yaml:" in entry[2]
    assert not typer_loaded


def test_a_full_disk_gives_the_apps_error_line() -> None:
    results = []
    for code in (_ENTRY, _APP):
        with open("/dev/full", "wb") as full:
            done = _run(code, ["assessments"], stdout=full)
        results.append((done.returncode, done.stderr.replace(b"TYPER False\n", b"")))
    assert results[0] == results[1]
    assert results[0] == (1, b"error: cannot write to stdout: No space left on device\n")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["assessments", "--help"],
        ["assessments", "--json", "--json"],
        ["modules", "extra"],
        ["--content-dir"],
        ["--content-dir", "--json", "assessments"],
        ["--content-dir=", "assessments"],
        ["--version", "--help"],
        ["--bogus", "assessments"],
        ["assessment"],
        ["show", "someone"],
        ["assessments", "--content-dir", TINY],
    ],
)
def test_every_other_shape_is_left_to_the_app(args: list[str]) -> None:
    assert quick(args) is None


def test_shell_completion_is_left_to_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_SCREENER_COMPLETE", "complete_bash")
    assert quick(["assessments"]) is None


@pytest.mark.parametrize(
    "args", [["assessments", "--bogus"], ["modules", "extra"], ["--content-dir"]]
)
def test_a_shape_left_to_the_app_gets_its_usage_error(args: list[str]) -> None:
    entry, app, typer_loaded = _both(args)
    assert entry == app
    assert entry[0] == 2 and b"Error" in entry[2]
    assert typer_loaded
