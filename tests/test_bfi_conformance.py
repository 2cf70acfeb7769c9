"""Real-data conformance: R psych's own scores and alphas on its bfi data.

psych's ``scoreItems(impute="none")`` reports each person's mean of answered,
reverse-keyed items on the 1-6 scale; POMP = (mean - 1) / 5 * 100.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from content_fixtures import bfi
from helpers import SHARED_BFI

from screener.psychometrics import cronbach_alpha
from screener.scoring import point_range, score_form

pytestmark = pytest.mark.skipif(
    not SHARED_BFI.is_dir(), reason="shared/reference/bfi is not beside the repo"
)


def responses() -> list[dict[str, str]]:
    with (SHARED_BFI / "responses.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_persons_five_scores_match_psych() -> None:
    a = bfi()
    with (SHARED_BFI / "psych_scores.csv").open(newline="") as fh:
        expected = {row["candidate_id"]: row for row in csv.DictReader(fh)}
    rows = responses()
    assert len(rows) == 2800
    checked = 0
    for row in rows:
        answers = {k: int(v) for k, v in row.items() if k != "candidate_id" and v != ""}
        card = score_form(a, answers)
        for comp in card.competencies:
            want = expected[row["candidate_id"]][comp.id]
            if want == "NA":
                assert comp.score is None
                continue
            assert comp.score is not None
            assert abs(comp.score - (float(want) - 1) / 5 * 100) <= 1e-9, (
                row["candidate_id"],
                comp.id,
            )
            checked += 1
    assert checked >= 2800 * 5 - 50


def test_alphas_match_psych() -> None:
    a = bfi()
    with (SHARED_BFI / "psych_alpha.csv").open(newline="") as fh:
        expected = {row["scale"]: float(row["alpha"]) for row in csv.DictReader(fh)}
    rows = responses()
    for comp in a.competencies:
        items = [i for i in a.items if i.competency == comp.id]
        data = np.array(
            [
                [
                    math.nan
                    if row[i.id] == ""
                    else (
                        sum(point_range(a, i)) - int(row[i.id])
                        if getattr(i, "reverse", False)
                        else int(row[i.id])
                    )
                    for i in items
                ]
                for row in rows
            ],
            dtype=float,
        )
        assert abs(cronbach_alpha(data) - expected[comp.id]) <= 1e-4, comp.id


def test_bfi_through_batch_into_postgresql_equals_psych(pg_url: str) -> None:
    """The 2,800 x 5 scores of a ``batch`` into PostgreSQL, read back as records and as
    the rows of ``competency_results``: psych's within 1e-9."""
    import psycopg
    from helpers import DATA, run_cli

    from screener.store import connect

    done = run_cli(
        "--db",
        pg_url,
        "batch",
        str(SHARED_BFI / "responses.csv"),
        "--assessment",
        str(DATA / "bfi" / "assessment.yaml"),
    )
    assert done.returncode == 0, done.stderr
    with (SHARED_BFI / "psych_scores.csv").open(newline="") as fh:
        expected = {row["candidate_id"]: row for row in csv.DictReader(fh)}
    records = connect(pg_url).attempts(assessment="bfi")
    assert len(records) == 2800
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT a.candidate_id, r.competency, r.score FROM screener.competency_results r"
            " JOIN screener.attempts a ON a.id = r.attempt_id"
        ).fetchall()
    assert len(rows) == 2800 * 5
    as_rows = {(cid, comp): score for cid, comp, score in rows}
    checked = 0
    for record in records:
        want = expected[record.candidate_id]
        for comp in record.competencies:
            stored = as_rows[(record.candidate_id, comp.id)]
            if want[comp.id] == "NA":
                assert comp.score is None and stored is None
                continue
            assert comp.score is not None and stored == comp.score
            assert abs(comp.score - (float(want[comp.id]) - 1) / 5 * 100) <= 1e-9, (
                record.candidate_id,
                comp.id,
            )
            checked += 1
    assert checked >= 2800 * 5 - 50
