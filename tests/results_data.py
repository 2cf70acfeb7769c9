"""Stored attempts for the results tests (export, stats, report, CLI): tiny and bfi."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from content_fixtures import bfi, tiny
from helpers import DATA, SHARED_BFI

from screener.coaching import build_plan
from screener.content import Assessment
from screener.scoring import Answer, score_form
from screener.store import Layout, NewAttempt, NewCandidate, Store

TINY_DIR = DATA / "tiny"
BFI_DIR = DATA / "bfi"
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

#: Names a spreadsheet would run as formulas if written as they are.
NASTY = [
    ('=HYPERLINK("http://evil.example","x")', "=cmd|' /C calc'!A0"),
    ("+41 Plus", "+41 79 000 00 00"),
    ("-2 Minus", "-minus@example.com"),
    ("@SUM(A1:A2)", "@at@example.com"),
    ("Ada Lovelace", "ada@example.com"),
    ("Zoë Ünïcode", None),
]


def tiny_answers(a: Assessment, form: str, rng: random.Random) -> dict[str, Answer]:
    out: dict[str, Answer] = {}
    for item in a.form_items(form):
        if item.kind == "likert":
            out[item.id] = rng.randint(1, 5)
        elif item.kind == "numeric":
            out[item.id] = rng.choice([item.answer, item.answer + 5, -3.5])
        else:
            out[item.id] = rng.choice([o.id for o in item.options])
    return out


def fill_tiny(db: Path, people: list[tuple[str, str | None]] = NASTY, seed: int = 3) -> Store:
    """Two attempts per person (form A, then B a week later), scored and planned."""
    a = tiny()
    rng = random.Random(seed)
    rows = []
    for n, (name, contact) in enumerate(people):
        for k, form in enumerate(("A", "B")):
            answers = tiny_answers(a, form, rng)
            card = score_form(a, answers, form)
            rows.append(
                NewAttempt(
                    NewCandidate(name, contact),
                    Layout.of(a, form),
                    card,
                    build_plan(a, card),
                    answers,
                    submitted=START + timedelta(days=7 * k, hours=n),
                )
            )
    store = Store(db)
    store.save_attempts(rows)
    return store


def bfi_rows() -> list[dict[str, str]]:
    with (SHARED_BFI / "responses.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def fill_bfi(db: Path) -> Store:
    """psych's 2,800 bfi respondents stored as attempts (Store.save_attempts directly)."""
    a = bfi()
    layout = Layout.of(a)
    rows = []
    for n, row in enumerate(bfi_rows()):
        answers: dict[str, Answer] = {
            k: int(v) for k, v in row.items() if k != "candidate_id" and v != ""
        }
        card = score_form(a, answers)
        rows.append(
            NewAttempt(
                NewCandidate(f"bfi {row['candidate_id']}"),
                layout,
                card,
                build_plan(a, card),
                answers,
                submitted=START + timedelta(minutes=n),
            )
        )
    store = Store(db)
    store.save_attempts(rows)
    return store
