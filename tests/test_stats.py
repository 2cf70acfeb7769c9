"""``screener stats``: reliability and item statistics against R psych on bfi (issue 7)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from content_fixtures import bfi, tiny
from helpers import SHARED_BFI, run_cli
from results_data import BFI_DIR, TINY_DIR, fill_bfi, fill_tiny

from screener.stats import assessment_stats, stats_json
from screener.store import Store

needs_bfi = pytest.mark.skipif(not SHARED_BFI.is_dir(), reason="shared/reference/bfi missing")


def psych_alphas() -> dict[str, float]:
    with (SHARED_BFI / "psych_alpha.csv").open(newline="") as fh:
        return {row["scale"]: float(row["alpha"]) for row in csv.DictReader(fh)}


def store_bfi_through_batch(db: Path, tmp_path: Path) -> None:
    """The bfi responses stored through ``screener batch`` (or directly, without it)."""
    probe = run_cli("batch", "--help")
    if probe.returncode != 0:
        fill_bfi(db)
        return
    done = run_cli(
        "--content-dir", str(BFI_DIR), "batch", str(SHARED_BFI / "responses.csv"), "-a", "bfi"
    )
    assert done.returncode == 0, done.stderr


@needs_bfi
def test_bfi_alphas_equal_psych(isolated_db: Path, tmp_path: Path) -> None:
    store_bfi_through_batch(isolated_db, tmp_path)
    done = run_cli("--content-dir", str(BFI_DIR), "stats", "bfi", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["attempts"] == 2800
    (form,) = data["forms"]
    alphas = {c["id"]: c["alpha"] for c in form["competencies"]}
    for scale, want in psych_alphas().items():
        assert abs(alphas[scale] - want) <= 1e-4, scale
    comp = {c["id"]: c for c in form["competencies"]}["agree"]
    assert comp["sem"] == pytest.approx(comp["sd"] * math.sqrt(1 - comp["alpha"]))
    assert 0 < comp["n"] <= 2800
    items = {i["id"]: i for i in form["items"]}
    assert set(items) == {f"{s}{n}" for s in "ACENO" for n in range(1, 6)}
    # reverse-keyed items are scored reversed, so they correlate positively with the rest
    assert items["A1"]["item_rest"] > 0.15 and items["A1"]["flag"] is None
    assert all(0 <= i["difficulty"] <= 1 for i in items.values())
    assert data["modules"][0]["module"] == "bfi-coaching"


@needs_bfi
def test_bfi_library_matches_direct_store(tmp_path: Path) -> None:
    store = fill_bfi(tmp_path / "direct.json")
    stats = assessment_stats(bfi(), store.iter_attempts(assessment="bfi"))
    alphas = {c.id: c.alpha for c in stats.forms[0].competencies}
    for scale, want in psych_alphas().items():
        assert abs(alphas[scale] - want) <= 1e-4, scale


def test_item_flags_and_difficulty(isolated_db: Path) -> None:
    store = fill_tiny(isolated_db)
    stats = assessment_stats(tiny(), store.iter_attempts())
    assert [f.form for f in stats.forms] == ["A", "B"]
    a = stats.forms[0]
    assert a.attempts == 6
    for item in a.items:
        assert math.isnan(item.item_rest) or item.flag in (
            None if item.item_rest >= 0.15 else ("low" if item.item_rest >= 0 else "negative"),
        )
    stats_a = assessment_stats(tiny(), store.iter_attempts(), form="A")
    assert [f.form for f in stats_a.forms] == ["A"]
    as_json = stats_json(stats)
    json.dumps(as_json, allow_nan=False)  # NaN is written as null
    demand = {m["module"]: m["attempts"] for m in as_json["modules"]}
    planned = [e.module for r in store.attempts() for e in r.plan]
    assert demand == {m: planned.count(m) for m in set(planned)}


def test_stats_cli_table_and_errors(isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    done = run_cli("--content-dir", str(TINY_DIR), "stats", "tiny")
    assert done.returncode == 0, done.stderr
    assert "Form A: competencies" in done.stdout and "alpha" in done.stdout
    assert "\x1b[" not in done.stdout  # NO_COLOR
    bad = run_cli("--content-dir", str(TINY_DIR), "stats", "tiny", "--form", "Z")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --form:")
    assert "Traceback" not in bad.stderr
    missing = run_cli("--content-dir", str(TINY_DIR), "stats", "nope")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1


def test_stats_with_no_attempts(isolated_db: Path) -> None:
    done = run_cli("--content-dir", str(TINY_DIR), "stats", "tiny", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["attempts"] == 0
    assert not Store(isolated_db).path.exists()  # reading created nothing
