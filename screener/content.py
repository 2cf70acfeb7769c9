"""The content every command works with: assessments and coaching modules as plain,
frozen classes.

A file is checked by the pydantic models of ``screener.contentschema`` (one per
class here, same name, same fields) and turned into these classes, which is
what the content cache keeps: a command that reads checked content back, scores
and renders it never imports pydantic (about a third of a short command's time).
``model_validate``, ``model_copy``, ``model_dump`` and ``model_json_schema`` keep
the names of the pydantic API, so a caller need not know which it holds.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import Field, FrozenInstanceError, field
from importlib import import_module
from typing import Any, ClassVar, Literal, Self, dataclass_transform

from screener.errors import NotFoundError

# the domains and their titles are plain values that rendering reads without pydantic
from screener.views import DOMAIN_TITLES as DOMAIN_TITLES
from screener.views import DOMAINS as DOMAINS
from screener.views import Domain


def _dumped(value: Any, exclude_none: bool) -> Any:
    if isinstance(value, _Content):
        return value.model_dump(exclude_none=exclude_none)
    if isinstance(value, list):
        return [_dumped(v, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: _dumped(v, exclude_none) for k, v in value.items()}
    return value


class _Factory:
    """A field's default made anew for each object (``field(default_factory=list)``)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


_MISSING = object()


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
class _Content:
    """What every content class shares (also the program classes, ``screener.program``):
    keyword construction with defaults, frozen fields, equality and hashing by value,
    a readable repr, as ``@dataclass(frozen=True, kw_only=True)`` gives, but made when
    the class is defined from its annotations in a few microseconds, not by compiling
    five methods per class (about a millisecond each: 30 classes are read on every
    command that uses content)."""

    #: The module of the pydantic model of each class: the same name there.
    _SCHEMA: ClassVar[str] = "screener.contentschema"
    #: Field names in order (a subclass's after its parents'), and their defaults.
    _FIELDS: ClassVar[tuple[str, ...]] = ()
    _DEFAULTS: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = list(cls._FIELDS)
        defaults = dict(cls._DEFAULTS)
        for name, annotation in inspect.get_annotations(cls).items():
            if str(annotation).startswith("ClassVar"):
                continue
            if name not in names:
                names.append(name)
            default = cls.__dict__.get(name, _MISSING)
            if isinstance(default, Field):  # field(default_factory=list): made per object
                delattr(cls, name)
                default = _Factory(default.default_factory)  # type: ignore[arg-type]
            if default is not _MISSING:
                defaults[name] = default
        cls._FIELDS = tuple(names)
        cls._DEFAULTS = defaults

    def __init__(self, **values: Any) -> None:
        put = object.__setattr__
        defaults = self._DEFAULTS
        for name in self._FIELDS:
            value = values.pop(name, _MISSING)
            if value is _MISSING:
                value = defaults.get(name, _MISSING)
                if value is _MISSING:
                    raise TypeError(f"{type(self).__name__}: missing field {name!r}")
                if isinstance(value, _Factory):
                    value = value.make()
            put(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}: unknown field {next(iter(values))!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Content)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    @classmethod
    def _model(cls) -> Any:
        return getattr(import_module(cls._SCHEMA), cls.__name__)

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """``data`` (parsed YAML or JSON) checked by this class's pydantic model
        (``contentschema``): pydantic's ``ValidationError`` when it does not fit."""
        from screener.contentschema import to_plain

        made: Self = to_plain(cls._model().model_validate(data), sys.modules[cls.__module__])
        return made

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of this class's file format (``screener schema``)."""
        schema: dict[str, Any] = cls._model().model_json_schema()
        return schema

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with the fields in ``update`` changed (not checked again)."""
        values = {name: getattr(self, name) for name in self._FIELDS}
        return type(self)(**{**values, **(update or {})})

    def model_dump(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """The fields as plain data (nested content as mappings), in field order."""
        out: dict[str, Any] = {}
        for name in self._FIELDS:
            value = getattr(self, name)
            if value is None and exclude_none:
                continue
            out[name] = _dumped(value, exclude_none)
        return out


class Competency(_Content):
    """What is scored and compared with a cut."""

    id: str
    name: str
    domain: Domain
    cut: float
    min_answered: float = 0.5
    modules: list[str] = field(default_factory=list)
    description: str | None = None


class _Item(_Content):
    id: str
    competency: str
    prompt: str
    weight: float = 1.0
    time_limit: int | None = None
    shuffle: bool | None = None
    type: str | None = None
    figure: str | None = None
    alt: str | None = None


class Option(_Content):
    id: str
    label: str


class JudgementOption(Option):
    points: float


class ChoiceItem(_Item):
    """A keyed question: ``points`` for the key, 0 for any other option."""

    kind: Literal["choice"] = "choice"
    options: list[Option]
    key: str
    points: float = 1.0


class JudgementItem(_Item):
    """A situational-judgement question: every option carries its own points."""

    kind: Literal["judgement"] = "judgement"
    options: list[JudgementOption]


class Scale(_Content):
    min: int
    max: int
    labels: dict[int, str] = field(default_factory=dict)


class LikertItem(_Item):
    """A self-report rating; reverse-keyed items score ``min + max - value``."""

    kind: Literal["likert"] = "likert"
    scale: Scale | str
    reverse: bool = False


class NumericItem(_Item):
    """A number to compute: ``points`` when within ``tolerance`` of ``answer``."""

    kind: Literal["numeric"] = "numeric"
    answer: float
    tolerance: float = 0.0
    unit: str | None = None
    points: float = 1.0


AnyItem = ChoiceItem | JudgementItem | LikertItem | NumericItem


class Borderline(_Content):
    """What a score whose interval straddles its cut means (see docs/psychometrics.md).

    ``follow_up`` asks the competency's reserve items one at a time until the
    interval clears the cut or ``max_extra`` are spent, then decides by the
    score; ``recommend`` lists a module for a borderline competency as
    recommended, not required; ``gap`` treats borderline as a gap.
    """

    confidence: float = 0.8
    action: Literal["follow_up", "recommend", "gap"] = "recommend"
    max_extra: int = 4


class Decision(_Content):
    """How competency statuses become an outcome."""

    rule: Literal["non_compensatory", "compensatory"] = "non_compensatory"
    overall_cut: float | None = None
    borderline: Borderline | None = None


class Assessment(_Content):
    """One screening instrument: competencies, items, parallel forms, decision rule."""

    id: str
    title: str
    version: str
    description: str
    minutes: int | None = None
    decision: Decision = field(default_factory=Decision)
    scales: dict[str, Scale] = field(default_factory=dict)
    competencies: list[Competency]
    items: list[AnyItem]
    forms: dict[str, list[str]] | None = None
    reserve: list[str] = field(default_factory=list)
    glossary: dict[str, str] = field(default_factory=dict)

    def form_names(self) -> list[str]:
        return list(self.forms) if self.forms else ["A"]

    def form(self, name: str | None) -> str:
        """The form called ``name`` (the first form when None); ``NotFoundError`` if it has none
        of that name. The one check of a form name: scoring, the batch path, the store,
        statistics and the CLI all call it."""
        names = self.form_names()
        chosen = name if name is not None else names[0]
        if chosen not in names:
            raise NotFoundError(f"no form {chosen!r} in {self.id} (forms: {', '.join(names)})")
        return chosen

    def form_items(self, form: str | None = None) -> list[AnyItem]:
        """The items of a form in the form's order (the first form when ``None``)."""
        by_id = {item.id: item for item in self.items}
        if not self.forms:
            if form not in (None, "A"):
                raise KeyError(form)
            held = set(self.reserve)
            return [item for item in self.items if item.id not in held]
        name = form if form is not None else next(iter(self.forms))
        return [by_id[i] for i in self.forms[name]]

    def reserve_items(self, competency_id: str | None = None) -> list[AnyItem]:
        """The reserve items (of one competency), in the order they are asked."""
        by_id = {item.id: item for item in self.items}
        chosen = [by_id[i] for i in self.reserve if i in by_id]
        if competency_id is None:
            return chosen
        return [item for item in chosen if item.competency == competency_id]

    def item(self, item_id: str) -> AnyItem:
        for candidate in self.items:
            if candidate.id == item_id:
                return candidate
        raise KeyError(item_id)

    def competency(self, competency_id: str) -> Competency:
        for comp in self.competencies:
            if comp.id == competency_id:
                return comp
        raise KeyError(competency_id)

    def scale_of(self, item: LikertItem) -> Scale:
        return item.scale if isinstance(item.scale, Scale) else self.scales[item.scale]


class ModuleOption(_Content):
    id: str
    label: str
    feedback: str | None = None


class ModuleQuestion(_Content):
    """A practice or check question with a keyed answer."""

    id: str
    prompt: str
    options: list[ModuleOption]
    key: str
    lesson: str | None = None
    types: list[str] = field(default_factory=list)
    figure: str | None = None
    alt: str | None = None


class Lesson(_Content):
    id: str
    title: str
    body: str
    types: list[str] = field(default_factory=list)
    figure: str | None = None
    alt: str | None = None


class Example(_Content):
    title: str
    body: str


class Check(_Content):
    pass_mark: float
    items: list[ModuleQuestion]


class Module(_Content):
    """A short Bridging Competency Gaps coaching module."""

    id: str
    title: str
    summary: str
    competencies: list[str]
    minutes: int
    objectives: list[str]
    lessons: list[Lesson]
    examples: list[Example] = field(default_factory=list)
    practice: list[ModuleQuestion] = field(default_factory=list)
    check: Check
    glossary: dict[str, str] = field(default_factory=dict)
