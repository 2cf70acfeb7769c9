"""``screener report``: Markdown content, and the HTML rendered in headless Chromium (issue 7)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT, run_cli
from results_data import TINY_DIR, fill_tiny

from screener.store import Store

TINY = ("--content-dir", str(TINY_DIR))
ARTIFACTS = ROOT / "test-artifacts"
A4_WIDTH_PX = 794  # 210 mm at 96 dpi


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:  # `make test` installs it; a bare pytest run without it fails loudly
        pytest.fail("chromium is not installed: run `make chromium` (or `make test`)")
    return found


def headless(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=794,1123",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def coached_person(db: Path) -> str:
    store = fill_tiny(db, [('Ann <b>& "Co"</b>', "ann@example.com"), ("Bo", None)], seed=5)
    person = store.resolve_candidate('Ann <b>& "Co"</b>')
    mods = [e.module for e in store.attempts(candidate=person.id)[-1].plan]
    if mods:
        store.view_lesson(person.id, mods[0], "adding")
    return person.id


def test_markdown_report(isolated_db: Path) -> None:
    cid = coached_person(isolated_db)
    done = run_cli(*TINY, "report", cid, "--format", "md")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for heading in (
        "# Screening report:",
        "## Your result",
        "## Your competencies",
        "## Your strengths",
        "## Your coaching plan",
        "## Your screenings so far",
    ):
        assert heading in text
    store = Store(isolated_db)
    latest = store.attempts(candidate=cid)[-1]
    for comp in ("Basic math", "Teamwork", "Safety focus"):
        assert comp in text
    assert text.count("| 2024-03-") == 2  # both attempts in the history
    assert "\\<b\\>" in text  # user text escaped for Markdown
    assert [e.module for e in latest.plan] == ["tiny-team", "tiny-math"]
    assert "Tiny math" in text and "Practice with small sums." in text  # module summary
    assert "not started yet" in text and "1 of 1 lesson viewed" in text  # progress


def test_report_unknown_candidate_is_one_line(isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    done = run_cli(*TINY, "report", "nobody", "--format", "html")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_html_report_in_chromium(isolated_db: Path, tmp_path: Path) -> None:
    cid = coached_person(isolated_db)
    page = tmp_path / "report.html"
    done = run_cli(*TINY, "report", cid, "--format", "html", "--output", str(page))
    assert done.returncode == 0, done.stderr
    source = page.read_text()
    # self-contained: nothing fetched from anywhere
    for needle in ("http://", "https://", "<script", "<link", "@import", "src="):
        assert needle not in source
    assert "@page { size: A4" in source
    assert "Ann &lt;b&gt;&amp; &quot;Co&quot;&lt;/b&gt;" in source  # escaped
    assert "<b>&" not in source

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    run = headless(page, tmp_path / "profile1", f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 5000, run.stderr

    dom = headless(page, tmp_path / "profile2", "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    for text in ("Your result", "Your competencies", "Basic math", "Tiny math", "lesson viewed"):
        assert text in dom.stdout
    assert "Ann &lt;b&gt;" in dom.stdout  # rendered as text, not markup

    # no horizontal overflow at A4 width: a copy of the page reports its scroll width
    probe = tmp_path / "probe.html"
    probe.write_text(
        source.replace(
            "</body>",
            "<script>document.body.insertAdjacentHTML('beforeend', '<p id=\"w\">W=' + "
            "document.documentElement.scrollWidth + '</p>')</script></body>",
        )
    )
    measured = headless(probe, tmp_path / "profile3", "--dump-dom")
    found = re.search(r'id="w">W=(\d+)<', measured.stdout)
    assert found, measured.stderr
    width = int(found.group(1))
    assert 0 < width <= A4_WIDTH_PX
