"""The program file format as pydantic models: what a program file must hold, checked
field by field.

As ``screener.contentschema`` for assessments and modules: these models check a
file and give its JSON Schema; ``contentschema.to_plain`` turns a checked model
into the plain classes of ``screener.program`` that the commands use, so a
command that reads a checked program back from the content cache imports no
pydantic. Class names and docstrings are those of ``screener.program``.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from screener.contentschema import Id, Text
from screener.program import StageKind


class _Model(BaseModel):
    # the same settings as screener.contentschema: unknown fields and silent conversions refused
    # defer_build as there: validators built on first validation, not at import
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


class Range(_Model):
    """A span such as 40-50 hours or 3-4 months."""

    min: float = Field(gt=0)
    max: float = Field(gt=0)


class ElearningModule(_Model):
    id: Id
    title: Text
    hours: float = Field(gt=0)


class Elearning(_Model):
    """Self-paced online modules of basic technical knowledge."""

    kind: Literal["elearning"]
    id: Id
    name: Text
    description: str | None = None
    weeks: float = Field(gt=0, description="about how long the modules take")
    hours: Range = Field(description="total hours; the modules' hours must add up within it")
    modules: list[ElearningModule] = Field(min_length=1)


class ShopSession(_Model):
    """An in-person practical session in a training shop."""

    kind: Literal["shop_session"]
    id: Id
    name: Text
    description: str | None = None
    days: int = Field(gt=0)


class ShopFloor(_Model):
    """Learning on the employer's shop floor with a trainer."""

    kind: Literal["shop_floor"]
    id: Id
    name: Text
    description: str | None = None
    months: Range
    trainer: Text = Field(description="who trains, e.g. an employer-provided trainer")


class Certification(_Model):
    """The industry certification that ends the core program."""

    kind: Literal["certification"]
    id: Id
    name: Text
    description: str | None = None
    certificate: Text = Field(description="the certificate's name")


Component = Annotated[
    Elearning | ShopSession | ShopFloor | Certification, Field(discriminator="kind")
]


class Move(_Model):
    """An event that moves a person from the stage it is listed under to ``to``."""

    event: Id = Field(description="the event kind, e.g. `hired`")
    to: Id = Field(description="the stage the person moves to")
    routes: list[Id] | None = Field(
        None, description="the entry routes this move is open to; every route when left out"
    )
    needs_employer: bool = Field(False, description="the event must name an employer")
    takes_seat: bool = Field(
        False, description="the named employer's seat is taken by the person (a hire)"
    )
    description: str | None = None


class Stage(_Model):
    """Where a person can be."""

    id: Id
    name: Text
    kind: StageKind = Field(
        description="screening, coaching, waiting (for an employer), interview, core (a "
        "component of the core program), track (the e-learning-only track), completed or "
        "left (both end the program: no moves)"
    )
    component: Id | None = Field(
        None, description="the component this stage is (core and track stages)"
    )
    description: str | None = None
    moves: list[Move] = Field(default_factory=list)


class Route(_Model):
    """A way into the program, e.g. new candidates or employees nominated by their employer."""

    id: Id
    name: Text
    description: str | None = None
    skips: list[Id] = Field(
        default_factory=list, description="stages people on this route never pass through"
    )
    leaves_out_modules: list[Id] = Field(
        default_factory=list,
        description="coaching modules left out of this route's plans (e.g. interviewing)",
    )


class Automatic(_Model):
    """The event kinds screener records by itself."""

    screening_pass: Id = Field(description="recorded when the gate screening is passed")
    screening_coaching: Id = Field(description="recorded when the screening finds gaps")
    plan_done: Id = Field(description="recorded when every module of the plan is completed")
    waiting_offer: Id = Field(
        description="recorded when someone has waited for an employer longer than waiting_days"
    )


class Program(_Model):
    """A work-based learning program around a gate screening."""

    id: Id
    title: Text
    version: Text
    description: Text
    gate: Id = Field(description="the assessment whose outcome moves people in")
    start: Id = Field(description="the stage everyone starts in")
    waiting_days: int = Field(
        gt=0,
        description="days someone may wait for an employer before the waiting offer is made",
    )
    automatic: Automatic
    routes: list[Route] = Field(min_length=1, description="the first is the default route")
    components: list[Component] = Field(default_factory=list)
    stages: list[Stage] = Field(min_length=1)
    funnel: list[Id] = Field(
        min_length=1, description="the stages of the main line, in order, for conversion rates"
    )
