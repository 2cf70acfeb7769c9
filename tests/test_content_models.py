"""The plain content classes (``screener.content``, ``screener.program``) and the pydantic
models that check a file (``screener.contentschema``, ``screener.programschema``) agree:
the same classes, fields, order and defaults, and a checked file gives the same data
through either (issue 15: commands that read checked content from the cache do not
import pydantic)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest
from helpers import DATA, ROOT
from pydantic import BaseModel

from screener import content, contentschema, program, programschema
from screener.catalog import load_catalog, yaml_files
from screener.yamlsource import parse

PAIRS = [(content, contentschema), (program, programschema)]


def _plain_classes(module: ModuleType) -> dict[str, type[Any]]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, content._Content)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    }


def _schema_classes(module: ModuleType) -> dict[str, type[BaseModel]]:
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    }


@pytest.mark.parametrize(("plain_module", "schema_module"), PAIRS, ids=["content", "program"])
def test_every_class_has_its_model_with_the_same_fields_and_defaults(
    plain_module: ModuleType, schema_module: ModuleType
) -> None:
    plain, schema = _plain_classes(plain_module), _schema_classes(schema_module)
    assert len(plain) > 10
    assert plain.keys() == schema.keys()
    for name, cls in plain.items():
        model = schema[name]
        assert list(cls._FIELDS) == list(model.model_fields), name
        for field_name in cls._FIELDS:
            info = model.model_fields[field_name]
            default = cls._DEFAULTS.get(field_name, content._MISSING)
            if info.is_required():
                # a kind tag is the only field with a default here that pydantic requires
                assert field_name == "kind" or default is content._MISSING, (name, field_name)
                continue
            mine = default.make() if isinstance(default, content._Factory) else default
            theirs = contentschema.to_plain(
                info.get_default(call_default_factory=True), plain_module
            )
            assert mine == theirs, (name, field_name)
        assert cls.__doc__ == model.__doc__ or model.__doc__ is None


def _content_files() -> list[Any]:
    files = [*yaml_files(ROOT, bundled_layout=True), *yaml_files(DATA / "tiny")]
    files += yaml_files(DATA / "bfi")
    return files


@pytest.mark.parametrize("path", _content_files(), ids=lambda p: p.name)
def test_a_checked_file_gives_the_same_data_through_either(path: Any) -> None:
    data = parse(path.read_text(encoding="utf-8"), str(path)).value
    kind = "Module" if "lessons" in data else "Assessment"
    model = getattr(contentschema, kind).model_validate(data)
    plain = getattr(content, kind).model_validate(data)
    assert type(plain) is getattr(content, kind)
    assert plain.model_dump() == model.model_dump()
    assert plain.model_dump(exclude_none=True) == model.model_dump(exclude_none=True)
    assert type(plain).model_validate(plain.model_dump()) == plain  # and back


def test_the_bundled_catalog_holds_plain_classes_only() -> None:
    catalog = load_catalog()

    def walk(value: Any) -> None:
        assert not isinstance(value, BaseModel), type(value)
        if isinstance(value, content._Content):
            for field_name in value._FIELDS:
                walk(getattr(value, field_name))
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    for model in [*catalog.assessments.values(), *catalog.modules.values()]:
        assert isinstance(model, content.Assessment | content.Module)
        walk(model)
    for path in program.program_files():
        checked = program.check_program_file(path)
        assert isinstance(checked.model, program.Program)
        walk(checked.model)


@pytest.mark.parametrize(
    "path", [*program.program_files(), DATA / "program" / "small.yaml"], ids=lambda p: p.name
)
def test_a_checked_program_gives_the_same_data_through_either(path: Any) -> None:
    data = parse(path.read_text(encoding="utf-8"), str(path)).value
    model = programschema.Program.model_validate(data)
    plain = program.Program.model_validate(data)
    assert type(plain) is program.Program
    assert plain.model_dump() == model.model_dump()
    assert program.Program.model_validate(plain.model_dump()) == plain


def test_construction_copies_equality_and_frozen_fields() -> None:
    rule = content.Decision()
    assert rule == content.Decision(rule="non_compensatory", overall_cut=None, borderline=None)
    changed = rule.model_copy(update={"borderline": content.Borderline(action="gap")})
    assert rule.borderline is None and changed.borderline == content.Borderline(action="gap")
    assert changed != rule and hash(changed) != hash(rule)
    assert hash(rule) == hash(content.Decision())
    assert repr(changed) == (
        "Decision(rule='non_compensatory', overall_cut=None, "
        "borderline=Borderline(confidence=0.8, action='gap', max_extra=4))"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.rule = "compensatory"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del rule.rule  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing field 'cut'"):
        content.Competency(id="c", name="C", domain="cognitive")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unknown field 'colour'"):
        content.Option(id="o", label="O", colour="red")  # type: ignore[call-arg]
    # a default made anew for each object; a subclass's fields after its parents'
    one = content.Competency(id="a", name="A", domain="cognitive", cut=50)
    two = content.Competency(id="b", name="B", domain="cognitive", cut=50)
    assert one.modules == [] and one.modules is not two.modules
    assert content.JudgementOption._FIELDS == ("id", "label", "points")
    assert content.ChoiceItem._FIELDS[:3] == ("id", "competency", "prompt")
    assert "_SCHEMA" not in content.ChoiceItem._FIELDS


def test_pickled_objects_come_back_equal() -> None:
    import pickle

    catalog = load_catalog()
    for model in [*catalog.assessments.values(), *catalog.modules.values()]:
        again = pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == model and again is not model
        assert again.model_dump() == model.model_dump()


def test_reading_checked_content_imports_no_pydantic() -> None:
    code = (
        "import sys\n"
        "from screener.catalog import load_catalog\n"
        "load_catalog()  # from the cache, warmed by this run's earlier tests\n"
        "a = load_catalog().assessments['wblc-screening']\n"
        "assert a.form_items('A')\n"
        "from screener.program import check_program_file, program_files\n"
        "assert [check_program_file(f).model.gate for f in program_files()]\n"
        "print('pydantic' in sys.modules)\n"
    )
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert warm.returncode == 0, warm.stderr
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "False"
