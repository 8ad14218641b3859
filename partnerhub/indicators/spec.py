"""Indicator specs: one TOML file per indicator, parsed once into frozen, validated objects.

A spec says *what* an indicator counts, in the vocabulary of the canonical tables — its
numerator and denominator are cohort nodes (:mod:`partnerhub.cohort.nodes`, re-exported here);
the compiler (:mod:`.compile`, through the cohort planner) says how. See docs/indicators.md
for every field. A mistake in a file is reported as ``file: field: problem — fix``
(:class:`IndicatorSpecError`, exit code 2).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from partnerhub.cohort.nodes import PERSON_FIELDS, Condition, Exists, Population
from partnerhub.cohort.nodes import Selection as CohortSelection
from partnerhub.errors import UserError, describe_validation_error
from partnerhub.schema import CANONICAL_TABLES
from partnerhub.schema import table as canonical_table

__all__ = [
    "LIBRARY",
    "PERSON_FIELDS",
    "Condition",
    "Exists",
    "IndicatorSpec",
    "IndicatorSpecError",
    "Population",
    "Selection",
    "load_library",
    "load_spec",
]

LIBRARY = Path(__file__).parent / "library"
Statistic = Literal["proportion", "crude_rate", "dsr", "count", "mean"]
Polarity = Literal["high_is_good", "low_is_good", "no_judgement"]


class IndicatorSpecError(UserError):
    """An indicator spec file is wrong."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Selection(CohortSelection):
    """Rows of one canonical table: which, on which date, counted how — a cohort
    selection, with what an indicator measures of them."""

    value_days_between: tuple[str, str] | None = None  # the mean's value: days from a to b
    average_over_snapshots: bool = False  # divide by the number of snapshot dates in period


def _denominator_kind(value: object) -> str:
    if isinstance(value, Population) or (isinstance(value, dict) and "population" in value):
        return "population"
    return "selection"


class IndicatorSpec(_Frozen):
    id: str = Field(pattern=r"^(NI \d{1,3}|ASCOF \d[A-Z]|[A-Z][A-Za-z0-9 _-]{1,30})$")
    title: str = Field(min_length=3)
    description: str = Field(min_length=10)
    definition: str = Field(min_length=10, description="the 2008 (or source) definition, cited")
    polarity: Polarity
    statistic: Statistic
    multiplier: float = 1.0
    unit: str = ""
    period: Literal["quarter", "financial_year"] = "financial_year"
    reference: Literal["mid", "end"] = "mid"
    version: int = 1
    effective_from: date
    effective_to: date | None = None
    successor: str | None = None
    predecessor: str | None = None
    sources: tuple[str, ...] = Field(min_length=1)
    numerator: Selection
    denominator: (
        Annotated[
            Annotated[Selection, Tag("selection")] | Annotated[Population, Tag("population")],
            Discriminator(_denominator_kind),
        ]
        | None
    ) = None
    path: Path | None = Field(default=None, exclude=True)

    @property
    def slug(self) -> str:
        return self.id.lower().replace(" ", "")

    @property
    def ci_method(self) -> str:
        return {
            "proportion": "Wilson score",
            "crude_rate": "Byar (exact Poisson below 10)",
            "dsr": "Dobson, 2013 European Standard Population",
            "count": "Byar (exact Poisson below 10)",
            "mean": "normal approximation",
        }[self.statistic]

    @property
    def numerator_table(self) -> str:
        table = self.numerator.table
        if table is None and isinstance(self.denominator, Selection):
            table = self.denominator.table
        if table is None and isinstance(self.denominator, Population):
            table = "residence"
        if table is None:
            raise ValueError("numerator.table is required")
        return table

    def tables(self) -> set[str]:
        """Every canonical table the spec reads."""
        used = {self.numerator_table}
        parts: list[Selection | Population] = [self.numerator]
        if self.denominator is not None:
            parts.append(self.denominator)
            if isinstance(self.denominator, Population):
                used.add("residence")
            elif self.denominator.table:
                used.add(self.denominator.table)
        for part in parts:
            used.update(e.table for e in part.exists)
        return used

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorSpec:
        s = self.statistic
        den = self.denominator
        if s == "proportion":
            if not isinstance(den, Selection | Population):
                raise ValueError("a proportion needs a [denominator]")
            if isinstance(den, Selection) and self.numerator.table not in (None, den.table):
                raise ValueError(
                    "a proportion's numerator is a subset of its denominator: leave "
                    "numerator.table out (it inherits the denominator's)"
                )
            if isinstance(den, Population) and self.numerator.table is not None:
                raise ValueError(
                    "a proportion of the population counts people of the population: leave "
                    "numerator.table out and say who with numerator.where / numerator.exists"
                )
        elif s in ("crude_rate", "dsr"):
            if not isinstance(den, Population):
                raise ValueError(f"a {s} needs a population [denominator] (population = ...)")
            if self.numerator.table is None:
                raise ValueError("numerator.table is required")
        elif s in ("count", "mean"):
            if den is not None:
                raise ValueError(f"a {s} has no [denominator] — remove it")
            if self.numerator.table is None:
                raise ValueError("numerator.table is required")
        if (s == "mean") != (self.numerator.value_days_between is not None):
            raise ValueError("a mean needs numerator.value_days_between, and only a mean has one")
        _check_fields(self)
        return self


def _check_table(name: str, where: str) -> None:
    if name not in CANONICAL_TABLES or canonical_table(name).kind != "attribute":
        known = ", ".join(n for n, t in CANONICAL_TABLES.items() if t.kind == "attribute")
        raise ValueError(f"{where}: no attribute table {name!r}; use one of: {known}")


def _check_columns(table_name: str, fields: Iterable[str], where: str) -> None:
    names = set(canonical_table(table_name).column_names) | set(PERSON_FIELDS)
    for f in fields:
        if f not in names:
            raise ValueError(
                f"{where}: table {table_name} has no field {f!r}; its fields are: "
                + ", ".join(sorted(names))
            )


def _check_selection(part: Selection | Population, table_name: str, where: str) -> None:
    _check_table(table_name, where)
    fields = [c.field for c in part.where]
    if isinstance(part, Selection):
        fields += [f for f in (part.date,) if f]
        fields += list(part.active or ()) + list(part.value_days_between or ())
        if part.date and canonical_table(table_name).column(part.date).type != "date":
            raise ValueError(f"{where}.date: {part.date!r} is not a date field")
    _check_columns(table_name, fields, where)
    for i, e in enumerate(part.exists):
        _check_table(e.table, f"{where}.exists[{i}]")
        _check_columns(
            e.table,
            [c.field for c in e.where] + [f for f in (e.date,) if f] + list(e.active or ()),
            f"{where}.exists[{i}]",
        )
        if e.date is None and e.active is None and canonical_table(e.table).date_column is None:
            raise ValueError(f"{where}.exists[{i}]: give date or active")


def _check_fields(spec: IndicatorSpec) -> None:
    _check_selection(spec.numerator, spec.numerator_table, "numerator")
    if isinstance(spec.denominator, Selection):
        assert spec.denominator.table is not None
        _check_selection(spec.denominator, spec.denominator.table, "denominator")
    elif isinstance(spec.denominator, Population):
        _check_selection(spec.denominator, "residence", "denominator")
    for source in spec.sources:
        if source.count("/") != 1:
            raise ValueError(f"sources: {source!r} should be partner/dataset, e.g. police/crimes")


def load_spec(path: Path) -> IndicatorSpec:
    """Parse and validate one spec file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndicatorSpecError(f"{path}: no such file — check the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IndicatorSpecError(f"{path}: not valid TOML ({exc}) — fix the syntax") from None
    try:
        spec = IndicatorSpec.model_validate(raw)
    except ValidationError as exc:
        raise IndicatorSpecError(describe_validation_error(str(path), _Wrapped(exc))) from None
    return spec.model_copy(update={"path": path})


class _Wrapped:
    def __init__(self, exc: ValidationError) -> None:
        self.exc = exc

    def errors(self) -> list[dict[str, object]]:
        out = []
        for e in self.exc.errors():
            loc = tuple(e.get("loc", ()))
            # pydantic names the union member tried; the person only needs the field
            loc = tuple(p for p in loc if p not in ("selection", "population", "function-after"))
            msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            out.append({**e, "loc": loc, "msg": msg})
        return out


def load_library(folder: Path | None = None) -> list[IndicatorSpec]:
    """Every spec in ``folder`` (default: the built-in National Indicator library), sorted by
    id; duplicate ids are an error naming both files."""
    folder = folder or LIBRARY
    if not folder.is_dir():
        raise IndicatorSpecError(f"{folder}: not a folder of indicator specs — check the path")
    specs = [load_spec(p) for p in sorted(folder.glob("*.toml"))]
    seen: dict[str, Path | None] = {}
    for spec in specs:
        if spec.id in seen:
            raise IndicatorSpecError(
                f"{spec.path}: id: {spec.id!r} is also the id of {seen[spec.id]} — give each "
                "indicator its own id"
            )
        seen[spec.id] = spec.path
    return sorted(specs, key=_sort_key)


def _sort_key(spec: IndicatorSpec) -> tuple[str, int, str]:
    head, _, num = spec.id.partition(" ")
    return (head, int(num) if num.isdigit() else 0, spec.id)
