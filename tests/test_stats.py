"""``screener stats``: reliability and item statistics against R psych on bfi (issue 7)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from content_fixtures import bfi, load_assessment, tiny
from helpers import SHARED_BFI, run_cli
from results_data import BFI_DIR, TINY_DIR, fill_bfi, fill_tiny
from test_evaluate import plain, store_six_attempts

from screener.evaluate import LevelModel, Spread, evaluate
from screener.measurement import lord_csem_at
from screener.stats import (
    assessment_stats,
    beta_binomial_consistency,
    beta_by_moments,
    binomial_at_least,
    livingston_lewis_length,
    stats_json,
    subkoviak,
)
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


# -- the error at the cut (issue #13, point 2) ---------------------------------------


def test_error_at_the_cut_agrees_with_evaluate(tmp_path: Path) -> None:
    """Stored attempts at form A from a known spread: the single-administration
    consistency estimates against ``evaluate``'s simulated A/B agreement.

    Tolerances (docs/psychometrics.md): the beta-binomial (Livingston-Lewis)
    estimate is the model ``evaluate`` simulates for keyed items, so it is off
    only by sampling error (0.03); Subkoviak's regressed levels have alpha
    times the true spread, so on six items it reads low, by up to 0.09.
    """
    six = plain(load_assessment("measure/sixitem.yaml"))
    for k, spread in enumerate((Spread("beta", 6.0, 3.0), Spread("beta", 3.0, 3.0))):
        store = store_six_attempts(tmp_path / f"six{k}.json", spread, 2000, seed=20 + k)
        (form,) = assessment_stats(six, store.iter_attempts()).forms
        ev = evaluate(six, n=10000, seed=5, levels=LevelModel(spread))
        simulated = {c.id: c.figures for c in ev.rule("today").competencies}
        for comp in form.competencies:
            want = simulated[comp.id].agreement
            assert abs(comp.consistency_ll - want) <= 0.03, (spread, comp.id)
            assert want - 0.09 <= comp.consistency <= want + 0.01, (spread, comp.id)
            assert -1 <= comp.consistency_kappa <= 1 and -1 <= comp.consistency_ll_kappa <= 1
        reasoning, teamwork = form.competencies
        assert reasoning.consistency_method == "binomial" and reasoning.consistency_length == 6
        assert reasoning.csem_at_cut == lord_csem_at(65, 6)
        assert teamwork.consistency_method == "livingston-lewis"
        assert teamwork.consistency_length > 4
        assert teamwork.csem_at_cut == lord_csem_at(60, 4)


def test_subkoviak_by_hand() -> None:
    # perfectly reliable scores of 0 and 1 on two items, cut 50: certain decisions
    assert subkoviak(np.array([0.0, 1.0]), 1.0, 2, 50.0) == (1.0, 1.0)
    # with reliability 0 everyone regresses to the mean: agreement is chance, kappa 0
    p0, kappa = subkoviak(np.array([0.2, 0.5, 0.9, 0.7]), 0.0, 6, 65.0)
    meet = binomial_at_least(6, 4, np.array([0.575]))[0]
    assert p0 == pytest.approx(meet**2 + (1 - meet) ** 2)
    assert kappa == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(subkoviak(np.array([0.5, 0.6]), math.nan, 6, 65.0)[0])


def test_binomial_tail_and_livingston_lewis_length() -> None:
    p = np.array([0.0, 0.3, 0.65, 1.0])
    want = [sum(math.comb(6, x) * q**x * (1 - q) ** (6 - x) for x in range(4, 7)) for q in p]
    assert binomial_at_least(6, 4, p) == pytest.approx(want, abs=1e-12)
    scores = np.array([0.3, 0.5, 0.7, 0.5])  # mean 0.5, variance 0.02667
    var = float(scores.var(ddof=1))
    assert livingston_lewis_length(scores, 0.8) == round((0.25 - 0.8 * var) / (var * 0.2))
    assert math.isnan(livingston_lewis_length(scores, 1.0))
    assert math.isnan(livingston_lewis_length(np.array([0.5, 0.5]), 0.7))


def test_beta_binomial_consistency_is_the_integral() -> None:
    scores = np.array([0.2, 0.5, 0.55, 0.7, 0.8, 0.9, 1.0, 0.65])
    r, n, cut = 0.6, 8, 60.0
    a, b = beta_by_moments(float(scores.mean()), r * float(scores.var(ddof=1)))
    x, w = np.polynomial.legendre.leggauss(400)
    t, w = (x + 1) / 2, w / 2
    density = np.exp(
        (a - 1) * np.log(t)
        + (b - 1) * np.log1p(-t)
        - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    )
    meet = binomial_at_least(n, math.ceil(cut * n / 100), t)
    p0 = float(np.sum(w * density * (meet**2 + (1 - meet) ** 2)))
    share = float(np.sum(w * density * meet))
    chance = share**2 + (1 - share) ** 2
    got = beta_binomial_consistency(scores, r, n, cut)
    assert got == pytest.approx((p0, (p0 - chance) / (1 - chance)), abs=1e-6)


def test_error_at_the_cut_is_in_the_json(isolated_db: Path) -> None:
    store = fill_tiny(isolated_db)
    data = stats_json(assessment_stats(tiny(), store.iter_attempts()))
    comp = data["forms"][0]["competencies"][0]
    for key in (
        "csem_at_cut",
        "consistency",
        "consistency_kappa",
        "consistency_ll",
        "consistency_ll_kappa",
        "consistency_length",
        "consistency_method",
    ):
        assert key in comp
    json.dumps(data, allow_nan=False)
