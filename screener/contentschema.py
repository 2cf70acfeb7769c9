"""The two content formats as pydantic models: what a file of an assessment or a
coaching module must hold, checked field by field.

These models validate a file and give the JSON Schema (``screener schema``);
``to_plain`` turns a validated model into the plain classes of
``screener.content`` that everything else uses, so reading content back from
the cache, scoring and rendering never import pydantic (about a third of a
short command's time). The models only check the shape of one file; rules that
look across items, forms and files live in ``lint``. Every model forbids
unknown fields and is strict, so ``cut: "70"`` or ``label: No`` (a YAML
boolean) is an error rather than a silent conversion. Class names and
docstrings are those of ``screener.content``: the schema's titles and
descriptions come from them.

No ``from __future__ import annotations`` here: pydantic reads these annotations when
each model is defined, and evaluating them from strings costs more.
"""

from types import ModuleType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from screener.views import Domain

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]
Text = Annotated[str, StringConstraints(min_length=1)]


class _Model(BaseModel):
    # defer_build: the validators are built when a file is first validated, not at
    # import; content read back from the cache (``catalog.cached_check``) never needs them
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Competency(_Model):
    """What is scored and compared with a cut."""

    id: Id
    name: Text
    domain: Domain
    cut: float = Field(ge=0, le=100, description="POMP (0-100) the score must reach")
    min_answered: float = Field(
        0.5, gt=0, le=1, description="share of its items that must be answered to score it"
    )
    modules: list[Id] = Field(
        default_factory=list, description="ids of the coaching modules for a gap here"
    )
    description: str | None = None


class _Item(_Model):
    id: Id
    competency: Id
    prompt: Text
    weight: float = Field(1.0, gt=0)
    time_limit: int | None = Field(None, gt=0, description="seconds")
    shuffle: bool | None = Field(
        None,
        description="option order: None = automatic (numeric or ordered option sets keep "
        "their order), false = never shuffle, true = shuffle",
    )
    type: Id | None = Field(
        None, description="the item type it tests, e.g. `fraction-to-decimal`, `cube-net`"
    )
    figure: str | None = Field(
        None, description="a monospaced drawing shown with the prompt, lines of 60 columns at most"
    )
    alt: str | None = Field(None, description="the figure's text alternative")


class Option(_Model):
    id: Id
    label: Text


class JudgementOption(Option):
    points: float


class ChoiceItem(_Item):
    """A keyed question: ``points`` for the key, 0 for any other option."""

    kind: Literal["choice"]
    options: list[Option] = Field(min_length=2)
    key: Id
    points: float = Field(1.0, gt=0)


class JudgementItem(_Item):
    """A situational-judgement question: every option carries its own points."""

    kind: Literal["judgement"]
    options: list[JudgementOption] = Field(min_length=2)


class Scale(_Model):
    min: int
    max: int
    labels: dict[int, Text] = Field(default_factory=dict)


class LikertItem(_Item):
    """A self-report rating; reverse-keyed items score ``min + max - value``."""

    kind: Literal["likert"]
    scale: Scale | Id = Field(description="an inline scale or the name of one in `scales`")
    reverse: bool = False


class NumericItem(_Item):
    """A number to compute: ``points`` when within ``tolerance`` of ``answer``."""

    kind: Literal["numeric"]
    answer: float
    tolerance: float = Field(0.0, ge=0)
    unit: str | None = None
    points: float = Field(1.0, gt=0)


Item = Annotated[ChoiceItem | JudgementItem | LikertItem | NumericItem, Field(discriminator="kind")]


class Borderline(_Model):
    """What a score whose interval straddles its cut means (see docs/psychometrics.md).

    ``follow_up`` asks the competency's reserve items one at a time until the
    interval clears the cut or ``max_extra`` are spent, then decides by the
    score; ``recommend`` lists a module for a borderline competency as
    recommended, not required; ``gap`` treats borderline as a gap.
    """

    confidence: float = Field(0.8, gt=0, lt=1, description="coverage of the score interval")
    action: Literal["follow_up", "recommend", "gap"] = "recommend"
    max_extra: int = Field(
        4, ge=0, le=50, description="most reserve items asked per competency (follow_up)"
    )


class Decision(_Model):
    """How competency statuses become an outcome."""

    rule: Literal["non_compensatory", "compensatory"] = "non_compensatory"
    overall_cut: float | None = Field(
        None, ge=0, le=100, description="mean competency POMP needed to pass (compensatory only)"
    )
    borderline: Borderline | None = Field(
        None, description="give each score an interval and a borderline status near the cut"
    )


class Assessment(_Model):
    """One screening instrument: competencies, items, parallel forms, decision rule."""

    id: Id
    title: Text
    version: Text
    description: Text
    minutes: int | None = Field(None, gt=0, description="expected duration shown to candidates")
    decision: Decision = Decision.model_construct()  # the defaults, without a validator
    scales: dict[Id, Scale] = Field(default_factory=dict)
    competencies: list[Competency] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    forms: dict[Id, list[Id]] | None = Field(
        None, description="named subsets of item ids; without it one form `A` holds every item"
    )
    reserve: list[Id] = Field(
        default_factory=list,
        description="item ids in no form, asked one at a time for borderline competencies",
    )
    glossary: dict[str, Text] = Field(
        default_factory=dict, description="shop word -> plain-language meaning"
    )


class ModuleOption(_Model):
    id: Id
    label: Text
    feedback: str | None = Field(None, description="shown at once when this option is chosen")


class ModuleQuestion(_Model):
    """A practice or check question with a keyed answer."""

    id: Id
    prompt: Text
    options: list[ModuleOption] = Field(min_length=2)
    key: Id
    lesson: Id | None = Field(None, description="the lesson to review when this is missed")
    types: list[Id] = Field(default_factory=list, description="item types this question practises")
    figure: str | None = Field(
        None, description="a monospaced drawing, lines of 60 columns at most"
    )
    alt: str | None = Field(None, description="the figure's text alternative")


class Lesson(_Model):
    id: Id
    title: Text
    body: Text = Field(description="Markdown")
    types: list[Id] = Field(default_factory=list, description="item types this lesson teaches")
    figure: str | None = Field(
        None, description="a monospaced drawing, lines of 60 columns at most"
    )
    alt: str | None = Field(None, description="the figure's text alternative")


class Example(_Model):
    title: Text
    body: Text = Field(description="Markdown: a worked example from the shop floor")


class Check(_Model):
    pass_mark: float = Field(
        ge=0, le=100, description="percent of check questions right to complete"
    )
    items: list[ModuleQuestion] = Field(min_length=1)


class Module(_Model):
    """A short Bridging Competency Gaps coaching module."""

    id: Id
    title: Text
    summary: Text
    competencies: list[Id] = Field(description="competency ids this module coaches")
    minutes: int = Field(gt=0)
    objectives: list[Text] = Field(min_length=1)
    lessons: list[Lesson] = Field(min_length=1)
    examples: list[Example] = Field(default_factory=list)
    practice: list[ModuleQuestion] = Field(default_factory=list)
    check: Check
    glossary: dict[str, Text] = Field(
        default_factory=dict, description="shop word -> plain-language meaning"
    )


def to_plain(value: Any, into: ModuleType) -> Any:
    """``value`` with every model in it made the class of the same name in ``into``."""
    if isinstance(value, BaseModel):
        plain = getattr(into, type(value).__name__)
        return plain(
            **{name: to_plain(getattr(value, name), into) for name in type(value).model_fields}
        )
    if isinstance(value, list):
        return [to_plain(v, into) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v, into) for k, v in value.items()}
    return value
