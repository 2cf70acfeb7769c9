"""The public Python API: every name in ``screener.__all__`` resolves, ``import screener``
stays cheap, and the code in docs/python-api.md runs as written."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import pytest
from helpers import ROOT

import screener

DOC = ROOT / "docs" / "python-api.md"


def test_every_public_name_resolves_to_its_module() -> None:
    names = [n for n in screener.__all__ if n != "__version__"]
    assert sorted(names) == sorted(screener._WHERE)  # __all__ and the lazy table agree
    for name in names:
        value = getattr(screener, name)
        module, _, attribute = screener._WHERE[name].partition(":")
        assert getattr(sys.modules[module], attribute or name) is value, name
        assert name in dir(screener)
    importlib.import_module("screener.evaluate")  # importing the modules keeps the API names
    importlib.import_module("screener.simulate")
    assert callable(screener.evaluate_assessment) and callable(screener.simulate_candidates)
    with pytest.raises(AttributeError, match="no attribute 'score_everything'"):
        getattr(screener, "score_everything")  # noqa: B009


def test_every_public_name_is_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [n for n in screener.__all__ if n != "__version__" and f"`{n}" not in text]
    assert not missing, f"docs/python-api.md does not mention {missing}"


def test_import_screener_loads_nothing_heavy() -> None:
    code = (
        "import sys, screener; "
        "print(sorted(m for m in ('numpy', 'pydantic', 'tinydb', 'typer', 'rich', 'orjson') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]"


def code_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


@pytest.mark.parametrize("number", range(len(code_blocks())))
def test_docs_code_runs_as_written(number: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code = code_blocks()[number]
    exec(compile(code, f"{DOC}:block {number + 1}", "exec"), {"__name__": "__docs__"})


def test_the_docs_have_code() -> None:
    assert len(code_blocks()) >= 2
