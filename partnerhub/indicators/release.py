"""Indicators out through the gate: one indicator, one area level, its periods — in the
Fingertips column layout, with disclosure control applied to every count before any value is
derived from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from partnerhub.disclosure import SUPPRESSED_MARK, Hierarchy
from partnerhub.errors import UserError
from partnerhub.geography import INDICATOR_LEVELS, Areas, one_of, with_comparators
from partnerhub.governance import Gate, Principal
from partnerhub.governance.outputs import AggregateTable, ComputedTable, Provenance
from partnerhub.indicators.compile import PopulationCache
from partnerhub.indicators.compute import compute_parts, finish, parents, roll_up
from partnerhub.indicators.coverage import coverage
from partnerhub.indicators.periods import Period, periods_between
from partnerhub.indicators.spec import IndicatorSpec, Population, Selection
from partnerhub.schema import table as canonical_table
from partnerhub.vault import Vault

__all__ = [
    "FINGERTIPS_COLUMNS",
    "RELEASE_LEVELS",
    "Calculation",
    "IndicatorQuery",
    "calculate",
    "default_periods",
    "fingertips",
    "release_indicator",
    "used_fields",
]

RELEASE_LEVELS = INDICATOR_LEVELS  # the levels of geography an indicator is released by
FINGERTIPS_COLUMNS = (
    "Indicator ID",
    "Indicator Name",
    "Area Code",
    "Area Name",
    "Area Type",
    "Time period",
    "Value",
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Lower CI 99.8 limit",
    "Upper CI 99.8 limit",
    "Count",
    "Denominator",
    "Value note",
    "Compared to parent",
)


@dataclass(frozen=True)
class Calculation:
    """An indicator's counts at every level (true values: for the gate and tests only)."""

    spec: IndicatorSpec
    rolled: pd.DataFrame  # per level, area, period: numerator, denominator, keys, ...
    banded: pd.DataFrame | None  # DSR: per age band as well
    parent_of: dict[str, str]
    areas: Areas
    unplaced: int = 0
    periods: tuple[str, ...] = ()  # the periods asked for, in order (some may have no facts)


def default_periods(spec: IndicatorSpec, first: date, last: date) -> list[Period]:
    return periods_between(spec.period, first, last)


def calculate(
    vault: Vault,
    spec: IndicatorSpec,
    periods: Sequence[Period],
    areas: Areas,
    cache: PopulationCache | None = None,
) -> Calculation:
    parts = compute_parts(vault, spec, periods, cache)
    rolled = roll_up(parts, areas)
    banded = None
    if "age_band" in rolled:
        banded = rolled
        keys = ["area_type", "area_code", "period"]
        values = [c for c in rolled.columns if c not in (*keys, "age_band")]
        rolled = rolled.groupby(keys, as_index=False, sort=False)[values].sum()
        for c in ("numerator_key", "denominator_key"):
            if c in rolled:
                rolled[c] = rolled[c] % 256
    labels = tuple(p.label for p in periods)
    return Calculation(spec, rolled, banded, parents(parts, areas), areas, periods=labels)


def true_values(calc: Calculation) -> pd.DataFrame:
    """Values from the true counts (tests and internal checks; never released as such)."""
    return finish(calc.spec, calc.rolled, calc.parent_of, calc.areas, calc.banded)


def used_fields(
    spec: IndicatorSpec, dataset_tables: dict[tuple[str, str], str]
) -> list[tuple[str, str, str]]:
    """(partner, dataset, field) of every field the spec reads — for the policy check."""
    by_table: dict[str, list[tuple[str, str]]] = {}
    for source in spec.sources:
        partner, dataset = source.split("/")
        table_name = dataset_tables.get((partner, dataset))
        if table_name is None:
            raise UserError(
                f"{spec.id} needs dataset {dataset!r} of partner {partner!r}, never loaded — "
                "load it with `partnerhub ingest`"
            )
        by_table.setdefault(table_name, []).append((partner, dataset))
    wanted: dict[str, set[str]] = {}

    def add(table_name: str, names: Sequence[str]) -> None:
        wanted.setdefault(table_name, set()).update(names)

    parts: list[tuple[Selection | Population, str]] = [(spec.numerator, spec.numerator_table)]
    if isinstance(spec.denominator, Selection):
        assert spec.denominator.table is not None
        parts.append((spec.denominator, spec.denominator.table))
    elif isinstance(spec.denominator, Population):
        parts.append((spec.denominator, "residence"))
        add("residence", ["source", "from_date", "to_date"])
    for part, table_name in parts:
        add(table_name, ["postcode", *(c.field for c in part.where)])
        if isinstance(part, Selection):
            date_column = part.date or canonical_table(table_name).date_column
            add(
                table_name,
                [*(part.active or [date_column or ""]), *(part.value_days_between or ())],
            )
        for e in part.exists:
            add(e.table, [c.field for c in e.where] + [e.date or "", *(e.active or ())])
    out = []
    for table_name, names in wanted.items():
        for partner, dataset in by_table.get(table_name, []):
            for name in sorted(n for n in names if n):
                out.append((partner, dataset, name))
    return sorted(set(out))


def _level_cells(calc: Calculation, level: str) -> pd.DataFrame:
    r = calc.rolled
    wanted = with_comparators(level)  # the level, and its parents for the comparison
    cells = r[r["area_type"].isin(wanted)].copy()
    # a complete grid: every area of the level in every period asked for — from the request,
    # not the data: a period without facts is still a row, and the labels stay text when
    # no fact at all was found (a few rows in an extract)
    periods = list(calc.periods) or sorted(r["period"].astype(str).unique())
    grid = cells[["area_type", "area_code"]].drop_duplicates()
    grid = grid.merge(pd.DataFrame({"period": pd.Series(periods, dtype=object)}), how="cross")
    cells = grid.merge(cells, on=["area_type", "area_code", "period"], how="left")
    for c in ("numerator", "numerator_key", "denominator", "denominator_key"):
        if c in cells:
            cells[c] = cells[c].fillna(0)
    for c in ("numerator", "denominator"):
        if c in cells:
            cells[c] = np.floor(cells[c].astype(float) + 0.5).astype("int64")
    return cells.reset_index(drop=True)


def fingertips(calc: Calculation, values: pd.DataFrame) -> pd.DataFrame:
    """The Fingertips layout of a finished table (``values`` from :func:`finish`, with a
    ``suppressed`` column)."""
    spec = calc.spec
    out = pd.DataFrame(
        {
            "Indicator ID": spec.id,
            "Indicator Name": spec.title,
            "Area Code": values["area_code"],
            "Area Name": values["area_name"],
            "Area Type": values["area_type"],
            "Time period": values["period"],
        }
    )
    hidden = values["suppressed"].to_numpy(dtype=bool)

    def show(column: str, decimals: int) -> pd.Series:
        v = values[column].astype(float).round(decimals)
        shown = v.astype(object).where(v.notna(), "")
        if decimals == 0:
            shown = shown.map(lambda x: x if x == "" else int(x))
        return shown.where(~hidden, SUPPRESSED_MARK)

    out["Value"] = show("value", 2)
    out["Lower CI 95.0 limit"] = show("lower", 2)
    out["Upper CI 95.0 limit"] = show("upper", 2)
    out["Lower CI 99.8 limit"] = show("lower_998", 2)
    out["Upper CI 99.8 limit"] = show("upper_998", 2)
    out["Count"] = show("numerator", 0)
    out["Denominator"] = show("denominator", 0) if "denominator" in values else ""
    # why a value or its limits are not shown (from :func:`finish`)
    why = values["value_note"].fillna("").astype(str) if "value_note" in values else ""
    out["Value note"] = np.where(hidden, "Value suppressed (disclosure control)", why)
    out["Compared to parent"] = np.where(hidden, "not compared", values["compared_to_parent"])
    return out.loc[:, list(FINGERTIPS_COLUMNS)]


def aggregate_for(calc: Calculation, level: str) -> AggregateTable:
    """The gate's view of one level: counts by (area, period), their keys and sums."""
    if level not in RELEASE_LEVELS:
        raise UserError(f"area level {level!r}: use one of {one_of(RELEASE_LEVELS)}")
    spec = calc.spec
    cells = _level_cells(calc, level)
    counts: tuple[str, ...] = ("numerator",)
    keys = {"numerator": "numerator_key"}
    if spec.statistic in ("proportion", "crude_rate", "dsr"):
        counts = ("numerator", "denominator")
        keys["denominator"] = "denominator_key"
    parent = {a: calc.parent_of.get(a, "") for a in cells["area_code"].unique()}
    parent = {a: p for a, p in parent.items() if p and a != calc.areas.county}
    dims = ("area_code", "period")

    def derive(protected: pd.DataFrame) -> pd.DataFrame:
        released = cells.drop(columns=[c for c in counts if c in cells]).merge(
            protected, on=list(dims)
        )
        for c in counts:
            released[c] = released[c].astype("Float64").astype(float)
        banded = None
        if calc.banded is not None:
            banded = calc.banded[calc.banded["area_code"].isin(set(cells["area_code"]))]
        values = finish(spec, released, calc.parent_of, calc.areas, banded)
        values["suppressed"] = released["suppressed"].to_numpy(dtype=bool)
        values = values[values["area_type"] == level]
        return fingertips(calc, values.reset_index(drop=True))

    return AggregateTable(
        cells=cells[[*dims, *counts, *keys.values()]],
        dims=dims,
        counts=counts,
        keys=keys,
        hierarchy=Hierarchy("area_code", parent),
        derive=derive,
        proportion=spec.statistic == "proportion",
    )


@dataclass(frozen=True)
class IndicatorQuery:
    """An indicator spec as the gate's declarative query: the fields it reads
    (:func:`used_fields`) are the fields its release is authorised to read."""

    spec: IndicatorSpec

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return used_fields(self.spec, dict(dataset_tables))


def release_indicator(
    gate: Gate,
    principal: Principal,
    spec: IndicatorSpec,
    level: str,
    purpose: str,
    periods: Sequence[Period],
    areas: Areas,
) -> object:
    """Release ``spec`` at ``level`` for ``periods`` through the gate (policy check,
    computed in the vault scoped to the spec's fields, disclosure control, stored, audited)."""

    def build(vault: Vault) -> AggregateTable:
        calc = calculate(vault, spec, periods, areas)
        return aggregate_for(calc, level)

    title = f"{spec.id} {spec.title} by {level}, {periods[0].label} to {periods[-1].label}"
    query = {
        "indicator": spec.id,
        "version": spec.version,
        "level": level,
        "periods": [p.label for p in periods],
    }
    provenance = Provenance("indicators", spec.id, level, (periods[0].label, periods[-1].label))
    request = ComputedTable(IndicatorQuery(spec), build, purpose, title, query, provenance)
    return gate.release(principal, request)


def data_extent(vault: Vault, spec: IndicatorSpec) -> tuple[date, date] | None:
    """First and last date of the spec's numerator facts in the vault that it substantially
    covers (aggregates only) — a thin tail of ancient dates is left out."""
    table_name = spec.numerator_table
    part = spec.numerator
    if isinstance(spec.denominator, Selection) and spec.numerator.table is None:
        part = spec.denominator
    active = part.active if isinstance(part, Selection) else None
    column = (active[0] if active else None) or (part.date if isinstance(part, Selection) else None)
    column = column or canonical_table(table_name).date_column
    events = [e for e in part.exists if not e.negate and e.table != "residence"]
    if table_name == "residence" and events:
        # people with a fact (a benefit claim, say): the facts' span, not the registrations'
        table_name, active = events[0].table, events[0].active
        column = (
            (active[0] if active else None)
            or events[0].date
            or canonical_table(table_name).date_column
        )
    if table_name == "residence" or column is None:
        column, active = "from_date", None
    # the span the data really covers, not its earliest date (see indicators/coverage.py)
    t = vault.current(table_name)
    span = coverage(t, column)
    if span is not None and active:  # rows active until their end: the ends count too
        ends = coverage(t, active[1])
        if ends is not None and ends[1] > span[1]:
            span = (span[0], ends[1])
    return span
