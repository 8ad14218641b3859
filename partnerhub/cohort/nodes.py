"""The cohort query model: frozen, validated nodes that say *who* is counted, in the vocabulary
of the canonical tables. Engines (:mod:`.planner` to Ibis, :mod:`.reference` in pandas) consume
them; nothing here knows an engine.

A capability builds a :class:`Cohort` — a :class:`Selection` of rows of one table (dated in a
period, or active at its reference date) or the registered :class:`Population` at the reference
date — narrowed by :class:`Condition` s and :class:`Exists` tests on the same person's other
rows, over :class:`Periods`. Indicator specs are written in these nodes (their TOML fields are
the nodes' fields).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from partnerhub.schema.periods import Period

__all__ = [
    "PERSON_FIELDS",
    "Cohort",
    "Condition",
    "Exists",
    "Periods",
    "Population",
    "Reference",
    "Selection",
]

# Fields every row has through the vault's person table (identity.people), at the row's date.
PERSON_FIELDS = ("age", "sex")
Reference = Literal["mid", "end"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Frozen):
    """One test on a field of a row (all of a selection's conditions must hold)."""

    field: str
    in_: tuple[str, ...] | None = Field(None, alias="in")
    not_in: tuple[str, ...] | None = None
    equals: str | bool | int | None = None
    between: tuple[float, float] | None = None  # inclusive; numbers (age, height, ...)
    at_least: float | None = None
    months: tuple[int, ...] | None = None  # a date field's month is one of these
    starts_with: tuple[str, ...] | None = None  # a code (ICD-10, ...) begins with one of these
    is_null: bool | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        tests = [
            n
            for n in (
                "in_",
                "not_in",
                "equals",
                "between",
                "at_least",
                "months",
                "starts_with",
                "is_null",
            )
            if getattr(self, n) is not None
        ]
        if len(tests) != 1:
            raise ValueError(
                f"condition on {self.field!r} needs exactly one of in, not_in, equals, between, "
                f"at_least, months, starts_with, is_null (has {len(tests)})"
            )
        if self.months is not None and not all(1 <= m <= 12 for m in self.months):
            raise ValueError("months are 1..12")
        return self


class Exists(_Frozen):
    """Whether the same person has a row in ``table`` (meeting ``where``) near the anchor
    date: its ``date`` within [anchor + from_days, anchor + to_days], or — with ``active`` —
    a row whose [start, end) covers the anchor date."""

    table: str
    where: tuple[Condition, ...] = ()
    date: str | None = None
    from_days: int = 0
    to_days: int = 0
    active: tuple[str, str] | None = None
    negate: bool = False  # true: the person has *no* such row

    @model_validator(mode="after")
    def _window(self) -> Exists:
        if self.from_days > self.to_days:
            raise ValueError("from_days must be ≤ to_days")
        return self


class Selection(_Frozen):
    """Rows of one canonical table: which, on which date, counted how. A row dated in a
    period ([start, end)) is anchored at its date; with ``active``, a row whose [start, end)
    covers the period's reference date is anchored there."""

    table: str | None = None  # a numerator of a proportion inherits its denominator's
    date: str | None = None  # default: the table's date column
    active: tuple[str, str] | None = None  # rows active at the period's reference date
    count: Literal["rows", "people"] = "rows"
    where: tuple[Condition, ...] = ()
    exists: tuple[Exists, ...] = ()


class Population(_Frozen):
    """Registered population at the period's reference date (GP registrations by default):
    one registration per person — the most recent then, ties to the lowest record key."""

    population: Literal["registered"] = "registered"
    source: str = "gp_registration"
    where: tuple[Condition, ...] = ()
    exists: tuple[Exists, ...] = ()


class Periods(_Frozen):
    """The periods counted, and where in each the reference date lies (populations and
    active rows are taken then)."""

    periods: tuple[Period, ...]
    reference: Reference = "mid"

    def key(self) -> tuple[tuple[str, object], ...]:
        """Each period's label and reference date (a cache key)."""
        return tuple((p.label, p.reference(self.reference)) for p in self.periods)


def _kind(value: object) -> str:
    if isinstance(value, Population) or (isinstance(value, dict) and "population" in value):
        return "population"
    return "selection"


class Cohort(_Frozen):
    """Who is counted in each period: ``of`` (a selection of rows of ``table``, or the
    population) read from ``sources`` (partner/dataset; a table read with none of its datasets
    named reads all of them)."""

    of: Annotated[
        Annotated[Selection, Tag("selection")] | Annotated[Population, Tag("population")],
        Discriminator(_kind),
    ]
    periods: Periods
    sources: tuple[str, ...] = ()
    table: str | None = None  # a selection's table when ``of.table`` leaves it out

    @property
    def table_name(self) -> str:
        if isinstance(self.of, Population):
            return "residence"
        name = self.table or self.of.table
        if name is None:
            raise ValueError("a selection needs a table")
        return name
