"""The message catalogue (screener/messages.py) and the rule that candidate-facing
text lives only there.

The rule (``test_no_candidate_literal_outside_the_catalogue``): in the modules of
``CANDIDATE_MODULES`` (and the functions of ``render.py`` listed in
``CANDIDATE_RENDER_FUNCTIONS``), no string literal of two or more words, except:

- docstrings;
- text of a ``raise`` statement (errors are for the operator, English for now) and
  of a ``logging``/``warnings`` call;
- ``help=`` of a CLI option (``--help`` is for the operator, like errors) and ``style=``
  (rich style names such as ``"bold green"``);
- markup: HTML tags (and the ends of a tag split over literals) are taken out before
  words are counted, and a "word" is letters with at most a trailing punctuation mark,
  so ``'<td class="num">'`` or ``"| --- | ---: |"`` is no prose but
  ``"<th>Score</th><th>Needed</th>"`` is; the stylesheet ``report.CSS`` is skipped;
- the explicit ``ALLOWED`` literals below (command names, markup scaffolding), each
  with its reason.

Everything else a candidate reads is ``text("id", ...)`` / ``plural("id", n)``.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from screener import messages
from screener.messages import MESSAGES, plural, text

ROOT = Path(__file__).resolve().parent.parent / "screener"

# modules whose every candidate-facing sentence comes from the catalogue
CANDIDATE_MODULES = [
    "prompts.py",
    "glossary.py",
    "taking.py",
    "session.py",
    "report.py",
    "cli/candidate.py",
]
# converted later (issue 12): still hold English literals
PENDING_MODULES = [
    "render.py: scorecard_table and _status_text (the results table, another engineer's)",
]
# the candidate's screens in render.py (results table and recruiter outputs are not)
CANDIDATE_RENDER_FUNCTIONS = [
    "_plural",
    "plan_table",
    "_below",
    "show_result",
    "_plan_heading",
    "attempt_screen",
    "next_step",
    "progress_text",
    "show_candidate",
    "_extra_time_note",
    "coaching_plan_table",
]

# (module, name): a module-level constant that is not prose
EXEMPT_CONSTANTS = {("report.py", "CSS"): "the HTML report's stylesheet"}
# (module, literal): not candidate prose
ALLOWED = {
    ("prompts.py", "(Y/n) Yes"): "questionary's own answer text, measured for room",
    ("taking.py", "take --answers"): "a command name, recorded in the store",
    ("cli/candidate.py", "candidates are named"): "matched in a store error, not shown",
    ("render.py", "bold green"): "a rich style name (show_result's outcome line)",
    ("render.py", "bold yellow"): "a rich style name (show_result's outcome line)",
    ("cli/candidate.py", "--no-input was given"): "the start of a usage error",
    ("cli/candidate.py", "stdin is not a terminal"): "the start of a usage error",
}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _message_calls() -> Iterator[tuple[str, str, str, set[str] | None]]:
    """(file, function, id, keyword names or None for **values) of every catalogue call."""
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            if isinstance(func, ast.Name):
                name = func.id
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if func.value.id != "messages":
                    continue
                name = func.attr
            else:
                continue
            if name not in {"text", "plural"}:
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if " " in first.value or "." not in first.value:
                continue  # prompts.text("a question"), not a message id
            keywords: set[str] | None = {k.arg for k in node.keywords if k.arg}
            if any(k.arg is None for k in node.keywords):
                keywords = None
            keywords = None if keywords is None else keywords - {"lang"}
            yield str(path.relative_to(ROOT)), name, first.value, keywords


CALLS = list(_message_calls())


def test_the_code_uses_the_catalogue() -> None:
    assert len(CALLS) >= len(MESSAGES) // 2


@pytest.mark.parametrize("entry", sorted(MESSAGES))
def test_every_entry_has_english_and_the_same_placeholders_in_every_language(entry: str) -> None:
    texts = MESSAGES[entry]
    assert texts.get("en")
    for lang, template in texts.items():
        assert _placeholders(template) == _placeholders(texts["en"]), (entry, lang)


def test_every_id_used_exists_with_the_placeholders_its_callers_pass() -> None:
    for where, func, msg_id, keywords in CALLS:
        if func == "text":
            assert msg_id in MESSAGES, (where, msg_id)
            if keywords is not None:
                assert _placeholders(MESSAGES[msg_id]["en"]) == keywords, (where, msg_id)
        else:
            forms = [msg_id + ".one", msg_id + ".many"]
            for form in forms:
                assert form in MESSAGES, (where, form)
            if keywords is not None:
                needed = set().union(*(_placeholders(MESSAGES[f]["en"]) for f in forms))
                assert needed <= keywords | {"count"}, (where, msg_id)
                assert keywords <= needed, (where, msg_id)


def _id_constants() -> set[str]:
    """Message ids named as data (``report.OUTCOME_HEADLINE`` maps outcomes to ids)."""
    found = set()
    for path in ROOT.rglob("*.py"):
        if path.name == "messages.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                continue
            if node.value in MESSAGES:
                found.add(node.value)
            elif node.value + ".one" in MESSAGES:  # a plural's id, e.g. render._UNITS
                found |= {node.value + ".one", node.value + ".many"}
    return found


def test_report_id_tables_name_entries() -> None:
    from screener import report

    for table in (report.OUTCOME_HEADLINE, report.OUTCOME_NEXT, report.STATUS_WORDS):
        for msg_id in table.values():
            assert msg_id in MESSAGES and _placeholders(MESSAGES[msg_id]["en"]) == set()


def test_domain_titles_come_from_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    from screener.content import DOMAIN_TITLES, DOMAINS

    assert list(DOMAIN_TITLES) == list(DOMAINS)
    assert DOMAIN_TITLES["cognitive"] == "Cognitive skills"
    monkeypatch.setitem(MESSAGES, "domain.cognitive", {"en": "Cognitive skills", "fr": "Cognitif"})
    monkeypatch.setenv("SCREENER_LANG", "fr")
    assert DOMAIN_TITLES["cognitive"] == "Cognitif"


def test_every_entry_is_used() -> None:
    used = {msg_id for _, func, msg_id, _ in CALLS if func == "text"} | _id_constants()
    used |= {
        msg_id + s for _, func, msg_id, _ in CALLS if func == "plural" for s in (".one", ".many")
    }
    assert sorted(set(MESSAGES) - used) == []


def test_text_fills_placeholders_and_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MESSAGES, "test.hello", {"en": "Hello {name}", "fr": "Bonjour {name}"})
    monkeypatch.setitem(MESSAGES, "test.count.one", {"en": "{count} point"})
    monkeypatch.setitem(MESSAGES, "test.count.many", {"en": "{count} points"})
    assert text("test.hello", name="Ana") == "Hello Ana"
    assert text("test.hello", lang="fr", name="Ana") == "Bonjour Ana"
    assert text("test.hello", lang="de", name="Ana") == "Hello Ana"
    monkeypatch.setenv("SCREENER_LANG", "fr")
    assert messages.language() == "fr"
    assert text("test.hello", name="Ana") == "Bonjour Ana"
    assert plural("test.count", 1) == "1 point"
    assert plural("test.count", 3) == "3 points"
    with pytest.raises(KeyError):
        text("test.no-such-id")
    with pytest.raises(KeyError):
        text("test.hello")  # a placeholder not given


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _exempt_subtrees(tree: ast.AST) -> set[int]:
    """Nodes inside a raise statement, a logging/warnings call, a help= or style= argument."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        inside = isinstance(node, ast.Raise)
        if isinstance(node, ast.Call):
            func = node.func
            owner = func.value if isinstance(func, ast.Attribute) else None
            inside = isinstance(owner, ast.Name) and owner.id in {
                "logging",
                "log",
                "logger",
                "warnings",
            }
        if isinstance(node, ast.keyword) and node.arg in {"help", "style"}:
            inside = True
        if inside:
            exempt |= {id(sub) for sub in ast.walk(node)}
    return exempt


_TAG = re.compile(r"<[^<>]*>|^[^<]*?>|<[^>]*$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[,.:;!?)]?")


def _prose_words(literal: str) -> int:
    return sum(1 for w in _TAG.sub(" ", literal).split() if _WORD.fullmatch(w.lstrip("(")))


def _literals(module: str, tree: ast.AST) -> list[str]:
    skip = _docstrings(tree) | _exempt_subtrees(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and (module, t.id) in EXEMPT_CONSTANTS for t in node.targets
        ):
            skip |= {id(sub) for sub in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and _prose_words(node.value) >= 2
            and (module, node.value) not in ALLOWED
        ):
            found.append(f"{module}:{node.lineno}: {node.value!r}")
    return found


def test_no_candidate_literal_outside_the_catalogue() -> None:
    left = []
    for module in CANDIDATE_MODULES:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        left += _literals(module, tree)
    render = ast.parse((ROOT / "render.py").read_text(encoding="utf-8"))
    functions = {node.name: node for node in render.body if isinstance(node, ast.FunctionDef)}
    for name in CANDIDATE_RENDER_FUNCTIONS:
        left += _literals("render.py", functions[name])
    assert left == []


def test_the_allow_list_is_still_needed() -> None:
    for module, literal in ALLOWED:
        assert literal in (ROOT / module).read_text(encoding="utf-8"), (module, literal)


def test_pending_modules_are_not_also_listed_as_done() -> None:
    assert not {p.split(":")[0] for p in PENDING_MODULES} & set(CANDIDATE_MODULES)
