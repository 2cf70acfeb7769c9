"""Plain read-only views of validated content: what rendering a stored attempt reads.

``show`` and ``report`` render an attempt of an assessment in the content in use:
its title and version, its competencies' ids, names and domains, and its plan's
modules' titles, summaries, minutes and lessons. The content models
(``screener.content``) are pydantic classes, and importing pydantic and unpickling
them was a third of those commands' start-up; the content cache
(``catalog.load_catalog``) therefore also keeps, for each assessment and module,
one of the frozen dataclasses below, and the render and report functions are
typed against the protocols they satisfy (as do the models themselves).

A view is only ever made from a validated model, by ``assessment_view`` and
``module_view`` here: there is one copy of the content rules, the models'.
``tests/test_content_cache.py`` checks every bundled assessment's and module's
view against its model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from screener.messages import text

if TYPE_CHECKING:  # annotations only: a view is read back without pydantic
    from screener.content import Assessment, Module

Domain = Literal["cognitive", "personal", "relational", "business"]
DOMAINS: tuple[Domain, ...] = ("cognitive", "personal", "relational", "business")


class _Titles(Mapping[str, str]):
    """Titles looked up in the message catalogue (screener/messages.py) when read, so
    they follow ``SCREENER_LANG``; keys map to message ids."""

    def __init__(self, ids: Mapping[str, str]) -> None:
        self._ids = dict(ids)

    def __getitem__(self, key: str) -> str:
        return text(self._ids[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


#: Each domain's title, in the candidate's language.
DOMAIN_TITLES: Mapping[str, str] = _Titles(
    {
        "cognitive": "domain.cognitive",
        "personal": "domain.personal",
        "relational": "domain.relational",
        "business": "domain.business",
    }
)


class CompetencyInfo(Protocol):
    """What rendering reads of a competency (``content.Competency``, ``CompetencyView``)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def domain(self) -> str: ...


class AssessmentInfo(Protocol):
    """What rendering reads of an assessment (``content.Assessment``, ``AssessmentView``)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def competencies(self) -> Sequence[CompetencyInfo]: ...
    def competency(self, competency_id: str) -> CompetencyInfo: ...


class ModuleInfo(Protocol):
    """What rendering reads of a coaching module (``content.Module``, ``ModuleView``)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def minutes(self) -> int: ...
    @property
    def lessons(self) -> Sequence[object]: ...


class ContentInfo(Protocol):
    """The assessments and modules in use, as rendering reads them (``catalog.Catalog``,
    ``ContentViews``)."""

    @property
    def assessments(self) -> Mapping[str, AssessmentInfo]: ...
    @property
    def modules(self) -> Mapping[str, ModuleInfo]: ...


@dataclass(frozen=True, slots=True)
class CompetencyView:
    id: str
    name: str
    domain: str


@dataclass(frozen=True, slots=True)
class AssessmentView:
    id: str
    title: str
    version: str
    competencies: tuple[CompetencyView, ...]

    def competency(self, competency_id: str) -> CompetencyView:
        """``Assessment.competency``: the competency of that id, KeyError if none."""
        for comp in self.competencies:
            if comp.id == competency_id:
                return comp
        raise KeyError(competency_id)


@dataclass(frozen=True, slots=True)
class ModuleView:
    id: str
    title: str
    summary: str
    minutes: int
    lessons: tuple[str, ...]  # the lessons' ids: rendering counts them


@dataclass(frozen=True, slots=True)
class ContentViews:
    """Every assessment and module in use as views, by id (``Catalog.views``)."""

    assessments: Mapping[str, AssessmentView]
    modules: Mapping[str, ModuleView]


def assessment_view(model: Assessment) -> AssessmentView:
    """The view of a validated assessment: the one place a view is made."""
    return AssessmentView(
        model.id,
        model.title,
        model.version,
        tuple(CompetencyView(c.id, c.name, c.domain) for c in model.competencies),
    )


def module_view(model: Module) -> ModuleView:
    """The view of a validated module: the one place a view is made."""
    return ModuleView(
        model.id,
        model.title,
        model.summary,
        model.minutes,
        tuple(lesson.id for lesson in model.lessons),
    )


def content_views(
    assessments: Mapping[str, Assessment], modules: Mapping[str, Module]
) -> ContentViews:
    """The views of every assessment and module of a catalog."""
    return ContentViews(
        {key: assessment_view(model) for key, model in assessments.items()},
        {key: module_view(model) for key, model in modules.items()},
    )
