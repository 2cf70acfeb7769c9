"""Loading the test content (tiny and bfi) once for unit tests."""

from __future__ import annotations

from functools import cache

from helpers import DATA

from screener.catalog import check_file
from screener.content import Assessment


@cache
def load_assessment(relpath: str) -> Assessment:
    checked = check_file(DATA / relpath)
    assert not checked.problems, checked.problems
    assert isinstance(checked.model, Assessment)
    return checked.model


def tiny() -> Assessment:
    return load_assessment("tiny/assessments/tiny.yaml")


def bfi() -> Assessment:
    return load_assessment("bfi/assessment.yaml")
