"""screener: screen candidates' competencies and coach them on exactly their gaps.

The names in ``__all__`` are the Python API another program may rely on
(docs/python-api.md): load content, score and plan one candidate, open the
results store, screen a whole file, export, evaluate an assessment's
decisions, simulate candidates. Everything else is internal and may change. Names are imported on
first use, so ``import screener`` stays cheap (no pydantic, numpy or tinydb
until something needs them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it (``module:name`` when it is called otherwise
#: there: a function named like its module, ``evaluate``, would be replaced by the module
#: as soon as ``screener.evaluate`` is imported)
_WHERE: dict[str, str] = {
    # content
    "Assessment": "screener.content",
    "Module": "screener.content",
    "Catalog": "screener.catalog",
    "load_catalog": "screener.catalog",
    "load_assessment": "screener.catalog",
    # answers, scoring and plans
    "Answer": "screener.scoring",
    "read_answers": "screener.answers",
    "Scorecard": "screener.scoring",
    "CompetencyScore": "screener.scoring",
    "score_form": "screener.scoring",
    "next_follow_up": "screener.scoring",
    "PlanEntry": "screener.coaching",
    "build_plan": "screener.coaching",
    "score_answers": "screener.screening",
    # the results store
    "Store": "screener.store",
    "Layout": "screener.store",
    "AttemptRecord": "screener.store",
    "Candidate": "screener.store",
    "resolve_db_path": "screener.store",
    # a whole file, exports, evaluation
    "screen_file": "screener.batch",
    "BatchResult": "screener.batch",
    "Format": "screener.exporting",
    "export": "screener.exporting",
    "export_to_file": "screener.exporting",
    "evaluate_assessment": "screener.evaluate:evaluate",
    "Evaluation": "screener.evaluate",
    "simulate_candidates": "screener.simulate:simulate",
    "write_csv": "screener.simulate",
    # errors written for users
    "ScreenerError": "screener.errors",
    "ContentError": "screener.errors",
    "NotFoundError": "screener.errors",
    "AnswerError": "screener.errors",
    "StoreError": "screener.errors",
    "RecordError": "screener.errors",
}

__all__ = [  # the public API: each name is in _WHERE (tests/test_python_api.py)
    "Answer",
    "AnswerError",
    "Assessment",
    "AttemptRecord",
    "BatchResult",
    "Candidate",
    "Catalog",
    "CompetencyScore",
    "ContentError",
    "Evaluation",
    "Format",
    "Layout",
    "Module",
    "NotFoundError",
    "PlanEntry",
    "RecordError",
    "Scorecard",
    "ScreenerError",
    "Store",
    "StoreError",
    "__version__",
    "build_plan",
    "evaluate_assessment",
    "export",
    "export_to_file",
    "load_assessment",
    "load_catalog",
    "next_follow_up",
    "read_answers",
    "resolve_db_path",
    "score_answers",
    "score_form",
    "screen_file",
    "simulate_candidates",
    "write_csv",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562) and keep it."""
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'screener' has no attribute {name!r}")
    module, _, attribute = where.partition(":")
    value = getattr(importlib.import_module(module), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


if TYPE_CHECKING:  # what type checkers and editors see: the same names, eagerly
    from screener.answers import read_answers
    from screener.batch import BatchResult, screen_file
    from screener.catalog import Catalog, load_assessment, load_catalog
    from screener.coaching import PlanEntry, build_plan
    from screener.content import Assessment, Module
    from screener.errors import (
        AnswerError,
        ContentError,
        NotFoundError,
        RecordError,
        ScreenerError,
        StoreError,
    )
    from screener.evaluate import Evaluation
    from screener.evaluate import evaluate as evaluate_assessment
    from screener.exporting import Format, export, export_to_file
    from screener.scoring import Answer, CompetencyScore, Scorecard, next_follow_up, score_form
    from screener.screening import score_answers
    from screener.simulate import simulate as simulate_candidates
    from screener.simulate import write_csv
    from screener.store import AttemptRecord, Candidate, Layout, Store, resolve_db_path
