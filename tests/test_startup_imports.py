"""The short commands import only what they use (issues 15 and 16): ``show`` and ``report``
read a stored attempt without the content models (pydantic) unless they render content,
and never import the bulk save (numpy) or psycopg on a database file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import DATA, ROOT, run_cli

TINY = str(DATA / "tiny")
ANSWERS = "m1: a\nm2: 3\nt1: 5\nt2: 1\ns1: b\n"  # a coaching outcome: a plan of tiny-math
HEAVY = (
    "pydantic",
    "screener.content",
    "screener.scoring",
    "screener.lint",
    "yaml",
    "numpy",
    "screener.store.bulk",
    "psycopg",
)


def _loaded(*args: str, probe: tuple[str, ...] = HEAVY) -> tuple[str, set[str]]:
    """``screener ARGS`` in a child process: its stdout, and which of ``probe`` it imported."""
    code = (
        "import atexit, runpy, sys\n"
        f"heavy = {probe!r}\n"
        "atexit.register(lambda: sys.stderr.write("
        "'\\nLOADED ' + ' '.join(m for m in heavy if m in sys.modules) + '\\n'))\n"
        f"sys.argv = ['screener', *{list(args)!r}]\n"
        "runpy.run_module('screener', run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stderr.rsplit("LOADED", 1)[1].split()
    return done.stdout, set(loaded)


@pytest.fixture
def stored(tmp_path: Path) -> str:
    """A candidate with one attempt of ``tiny`` (from --content-dir), the cache warm."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS)
    result = run_cli(
        "--content-dir", TINY, "take", "tiny", "--answers", str(answers), "--name", "Ana Lee"
    )
    assert result.returncode == 0, result.stderr
    for args in (["show", "Ana Lee"], ["--content-dir", TINY, "show", "Ana Lee"]):
        assert run_cli(*args).returncode == 0  # fills the content cache
    return "Ana Lee"


@pytest.mark.parametrize("command", ["show", "report"])
def test_an_attempt_of_content_not_in_use_is_shown_without_the_content_models(
    stored: str, command: str
) -> None:
    out, loaded = _loaded(command, stored)
    assert out == run_cli(command, stored).stdout  # the same output as in one process
    assert "tiny" in out
    assert loaded == set(), loaded


@pytest.mark.parametrize("command", ["show", "report"])
def test_an_attempt_of_content_in_use_renders_it_without_the_content_models(
    stored: str, command: str
) -> None:
    """The content cache keeps the views ``show`` and ``report`` render (``screener.views``):
    neither pydantic nor the content models nor the scoring functions are imported."""
    out, loaded = _loaded("--content-dir", TINY, command, stored)
    assert out == run_cli("--content-dir", TINY, command, stored).stdout
    assert "Basic math" in out  # the competency's name, from the content
    assert "Tiny math" in out  # the plan's module's title, from the content
    assert loaded == set(), loaded


def test_listing_and_db_info_import_no_content_models(stored: str) -> None:
    for args in (["assessments"], ["modules"], ["db", "info"]):
        _loaded(*args)  # the listing is cached on the first run
        _, loaded = _loaded(*args)
        assert not loaded & {"pydantic", "numpy", "screener.store.bulk", "psycopg"}, args
