"""The compiler: an indicator spec → one Ibis expression over the vault, run on its backend.

Who is counted — rows in a period, the population at a reference date, conditions and
exists tests, people rather than records — is the cohort planner's
(:class:`partnerhub.cohort.Planner`); this module adds what makes it an indicator. The
expression returns the indicator's *additive parts* — numerator, denominator (and for a
mean the sum and sum of squares; for a DSR one row per age band) with the cell keys of the
people counted — per period and finest area (OA, with the LSOA, MSOA, ward and LAD the fact
was placed in). :mod:`.compute` rolls them up; rates are never averaged. Nothing here returns
a vault row: the expression aggregates before it is executed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from partnerhub.cohort import AREA_KEYS, PERSON_FIELDS, Periods, Planner, PopulationCache, Reader
from partnerhub.cohort import missing_sources as _missing
from partnerhub.disclosure import with_record_cell_key as with_cell_key
from partnerhub.errors import NotFoundError
from partnerhub.indicators.periods import Period
from partnerhub.indicators.spec import IndicatorSpec, Population, Selection

__all__ = ["AREA_KEYS", "Compiled", "PopulationCache", "compile_spec", "missing_sources"]

DSR_BANDS = 19  # 0-4, 5-9, ..., 85-89, 90+ (ESP 2013)


@dataclass(frozen=True)
class Compiled:
    """The parts expression and the snapshot counts it needs dividing by."""

    parts: ir.Table
    snapshots: ir.Table | None


def missing_sources(vault: Reader, spec: IndicatorSpec) -> list[str]:
    """The spec's partner/dataset sources with no current load in the vault."""
    return _missing(vault.current_loads(), spec.sources)


class _Builder:
    def __init__(
        self,
        vault: Reader,
        spec: IndicatorSpec,
        periods: Sequence[Period],
        cache: PopulationCache | None = None,
    ) -> None:
        self.spec = spec
        self.cohort = Planner(
            vault, spec.sources, Periods(periods=tuple(periods), reference=spec.reference), cache
        )
        missing = self.cohort.missing
        if missing:
            named = ", ".join(
                f"dataset {m.split('/')[1]!r} of partner {m.split('/')[0]!r}" for m in missing
            )
            raise NotFoundError(
                f"{spec.id} needs {named}, never loaded — load it with `partnerhub ingest`"
                " (or remove it from the spec's sources)"
            )

    def needs_person(self, *parts: Selection) -> bool:
        """Whether rows need their person: counted as people, linked to other rows, or
        tested or banded by age or sex."""
        return self.spec.statistic == "dsr" or any(
            part.count == "people"
            or part.exists
            or any(c.field in PERSON_FIELDS for c in part.where)
            for part in parts
        )

    def counted(self, part: Selection, table_name: str) -> ir.Table:
        """A numerator's rows (one per person when it counts people)."""
        t = self.cohort.selection(part, table_name, self.needs_person(part))
        return self.cohort.people(t) if part.count == "people" else t

    # -- aggregation ----------------------------------------------------------------------
    def group_keys(self) -> list[str]:
        return ["period", *AREA_KEYS] + (["age_band"] if self.spec.statistic == "dsr" else [])

    def shaped(self, t: ir.Table) -> ir.Table:
        t = t.filter((t._area if "_area" in t.columns else t.oa_code).notnull())
        if "_ck" not in t.columns:
            t = with_cell_key(t)
        if self.spec.statistic == "dsr":
            age = self.cohort.age(t, t._anchor)
            t = t.filter(age.notnull())
            t = t.mutate(age_band=ibis.least(age // 5, DSR_BANDS - 1).cast("int64"))
        return t

    def aggregate(self, t: ir.Table, prefix: str) -> ir.Table:
        t = self.shaped(t)
        metrics = {prefix: t.count(), f"{prefix}_key": t._ck.sum()}
        if prefix == "numerator" and self.spec.numerator.value_days_between:
            a, b = self.spec.numerator.value_days_between
            days = t[b].delta(t[a], unit="day").cast("float64")
            metrics["value_sum"] = days.sum()
            metrics["value_sumsq"] = (days * days).sum()
        keys = self.group_keys()
        if "_area" not in t.columns:
            return t.group_by(keys).aggregate(**metrics)
        # grouped by the integer area, then given its codes (the same groups: one code
        # tuple per area)
        inner = ["_area" if k == "oa_code" else k for k in keys if k not in AREA_KEYS[1:]]
        g = t.group_by(inner).aggregate(**metrics)
        areas = self.cohort.areas
        assert areas is not None
        g = g.join(areas, g._area == areas._area)
        return g.select(*[g[k] for k in keys], *[g[m] for m in metrics])

    def build(self) -> Compiled:
        spec = self.spec
        num = spec.numerator
        den = spec.denominator
        cohort = self.cohort
        if isinstance(den, Selection):
            assert den.table is not None
            d = cohort.selection(den, den.table, self.needs_person(den, num))
            if den.count == "people":
                d = cohort.people(d)
            n = cohort.narrowed(d, num.where, num.exists)
        elif isinstance(den, Population):
            d = cohort.population(den)
            if spec.statistic == "proportion":
                fields = {c.field for c in num.where} - set(PERSON_FIELDS)
                n = cohort.widened(d, fields | ({"_pid"} if num.exists else set()))
                n = cohort.narrowed(n, num.where, num.exists)
            else:
                n = self.counted(num, spec.numerator_table)
        else:
            d = None
            n = self.counted(num, spec.numerator_table)
            if num.value_days_between:
                a, b = num.value_days_between
                n = n.filter(n[a].notnull() & n[b].notnull())
        keys = self.group_keys()
        parts = self.aggregate(n, "numerator")
        if d is not None:
            dparts = self.aggregate(d, "denominator")
            if isinstance(den, Population):  # shared by the specs with the same population
                others = tuple((k, tuple(v)) for k, v in sorted(cohort.datasets.items()))
                others = others if den.exists else ()
                dsr = spec.statistic == "dsr"
                key = ("denominator", *cohort.base_key, den, dsr, others)
                dparts = cohort.cached(dparts, key)
            # an outer join: every event counts, also one in a cell (OA, age band) with no
            # denominator there — a death of the only 90-year-old of an OA, who was not
            # registered at the reference date. Roll-up adds it to the areas above; a DSR
            # with events in a band of no population is dealt with in :mod:`.compute`
            j = dparts.outer_join(parts, [dparts[k] == parts[k] for k in keys], rname="{name}_n")
            parts = j.select(
                *[ibis.coalesce(j[k], j[f"{k}_n"]).name(k) for k in keys],
                j.numerator.fill_null(0).name("numerator"),
                j.numerator_key.fill_null(0).name("numerator_key"),
                j.denominator.fill_null(0).name("denominator"),
                j.denominator_key.fill_null(0).name("denominator_key"),
            )
        snapshots = None
        carrier = num if isinstance(den, Population) or den is None else den
        if carrier.average_over_snapshots and isinstance(carrier, Selection):
            base = d if d is not None else n
            snapshots = base.group_by("period").aggregate(snapshots=base._anchor.nunique())
        return Compiled(parts, snapshots)


def compile_spec(
    vault: Reader,
    spec: IndicatorSpec,
    periods: Sequence[Period],
    cache: PopulationCache | None = None,
) -> Compiled:
    """The parts expression of ``spec`` over ``periods`` (raises NotFoundError naming any
    source dataset that was never loaded). ``cache``: shared by the specs computed on one
    vault connection, so their common population base is computed once."""
    return _Builder(vault, spec, periods, cache).build()
