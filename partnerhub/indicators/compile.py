"""The compiler: an indicator spec → one Ibis expression over the vault, run on its backend.

The expression returns the indicator's *additive parts* — numerator, denominator (and for a
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
import pandas as pd

from partnerhub.errors import NotFoundError
from partnerhub.geography import POSTCODE_LEVELS, area_field
from partnerhub.indicators.periods import Period
from partnerhub.indicators.spec import (
    PERSON_FIELDS,
    Condition,
    Exists,
    IndicatorSpec,
    Population,
    Selection,
)
from partnerhub.schema import table as canonical_table
from partnerhub.vault import Vault

__all__ = ["AREA_KEYS", "Compiled", "PopulationCache", "compile_spec", "missing_sources"]

AREA_KEYS = tuple(area_field(level) for level in POSTCODE_LEVELS)  # oa_code ... lad_code
DSR_BANDS = 19  # 0-4, 5-9, ..., 85-89, 90+ (ESP 2013)
# the cached population base: what every population spec reads (the area as a number)
BASE_COLUMNS = ("period", "_anchor", "_area", "_ck", "birth_month", "sex", "_reg")
PopulationCache = dict[tuple[object, ...], ir.Table]


@dataclass(frozen=True)
class Compiled:
    """The parts expression and the snapshot counts it needs dividing by."""

    parts: ir.Table
    snapshots: ir.Table | None


def missing_sources(vault: Vault, spec: IndicatorSpec) -> list[str]:
    """The spec's partner/dataset sources with no current load in the vault."""
    return _missing(_current(vault), spec)


def _missing(current: pd.DataFrame, spec: IndicatorSpec) -> list[str]:
    loaded = {f"{p}/{d}" for p, d in zip(current["partner"], current["dataset"], strict=True)}
    return [s for s in spec.sources if s not in loaded]


def _current(vault: Vault) -> pd.DataFrame:
    return vault.current_loads()


class _Builder:
    def __init__(
        self,
        vault: Vault,
        spec: IndicatorSpec,
        periods: Sequence[Period],
        cache: PopulationCache | None = None,
    ) -> None:
        self.vault = vault
        self.spec = spec
        self.cache = cache
        self._period_key = tuple((p.label, p.reference(spec.reference)) for p in periods)
        self.person = vault.person()
        current = _current(vault)
        self.datasets: dict[str, list[tuple[str, str]]] = {}
        for s in spec.sources:
            partner, dataset = s.split("/")
            hit = current[(current["partner"] == partner) & (current["dataset"] == dataset)]
            if len(hit):
                self.datasets.setdefault(str(hit["table_name"].iloc[0]), []).append(
                    (partner, dataset)
                )
        missing = _missing(current, spec)
        if missing:
            named = ", ".join(
                f"dataset {m.split('/')[1]!r} of partner {m.split('/')[0]!r}" for m in missing
            )
            raise NotFoundError(
                f"{spec.id} needs {named}, never loaded — load it with `partnerhub ingest`"
                " (or remove it from the spec's sources)"
            )
        self.periods = ibis.memtable(
            {
                "period": [p.label for p in periods],
                "p_start": [p.start for p in periods],
                "p_end": [p.end for p in periods],
                "p_ref": [p.reference(spec.reference) for p in periods],
            },
            schema={"period": "string", "p_start": "date", "p_end": "date", "p_ref": "date"},
        )
        self.areas: ir.Table | None = None  # a cached base's areas, numbered (``_area``)
        self.registrations: ir.Table | None = None  # and its registrations (``_reg``)
        self.base_key: tuple[object, ...] = ()
        self.keys = ibis.memtable(
            {"_prefix": [f"{i:02x}" for i in range(256)], "_ck": list(range(256))}
        )

    # -- rows of a table, with the person's id, birth month and sex ------------------------
    def rows(self, table_name: str, person: bool = True) -> ir.Table:
        """Current rows of the spec's datasets; with ``person``, joined to the person table
        (person id, birth month, sex) — skipped when nothing asks for them."""
        t = self.vault.current(table_name)
        sources = self.datasets.get(table_name)
        if sources:
            match = ibis.or_(*[(t.partner == p) & (t.dataset == d) for p, d in sources])
            t = t.filter(match)
        if not person:
            return t
        p = self.person
        joined = t.left_join(
            p, [t.partner == p.partner, t.record_key == p.record_key], rname="{name}_p"
        )
        return joined.mutate(
            _pid=joined.person_id.fill_null(ibis.literal("R") + joined.record_key),
        )

    # -- conditions -----------------------------------------------------------------------
    @staticmethod
    def age(t: ir.Table, anchor: ir.DateValue) -> ir.IntegerValue:
        bm = t.birth_month
        return anchor.year() - bm.year() - ibis.ifelse(anchor.month() < bm.month(), 1, 0)

    def condition(self, t: ir.Table, c: Condition, anchor: ir.DateValue) -> ir.BooleanValue:
        if c.field == "age":
            col: ir.Value = self.age(t, anchor)
        elif c.field == "sex":
            col = t.sex.fill_null("U")
        else:
            col = t[c.field]
        if c.in_ is not None:
            return col.isin(list(c.in_)).fill_null(False)
        if c.not_in is not None:
            return (~col.isin(list(c.not_in))).fill_null(True)
        if c.equals is not None:
            return (col == c.equals).fill_null(False)
        if c.between is not None:
            return col.between(c.between[0], c.between[1]).fill_null(False)
        if c.at_least is not None:
            return (col >= c.at_least).fill_null(False)
        if c.starts_with is not None:
            upper = col.cast("string").upper()
            return ibis.or_(*[upper.startswith(s.upper()) for s in c.starts_with]).fill_null(False)
        if c.months is not None:
            return col.month().isin(list(c.months)).fill_null(False)
        assert c.is_null is not None
        return col.isnull() if c.is_null else col.notnull()

    def where(self, t: ir.Table, conditions: Sequence[Condition]) -> ir.Table:
        if not conditions:
            return t
        return t.filter([self.condition(t, c, t._anchor) for c in conditions])

    def exists(self, t: ir.Table, e: Exists) -> ir.Table:
        o = self.rows(e.table)
        date_column = e.date or canonical_table(e.table).date_column
        if e.active is None:
            assert date_column is not None
            o = o.mutate(_anchor=o[date_column])
        else:
            o = o.mutate(_anchor=o[e.active[0]])
        o = self.where(o, e.where)
        if e.active is not None:
            start, end = e.active
            o = o.select(_opid=o._pid, _ostart=o[start], _oend=o[end]).view()
            preds = [
                t._pid == o._opid,
                o._ostart <= t._anchor,
                o._oend.isnull() | (o._oend > t._anchor),
            ]
        else:
            o = o.select(_opid=o._pid, _odate=o._anchor).view()
            preds = [
                t._pid == o._opid,
                o._odate >= t._anchor + ibis.interval(days=e.from_days),
                o._odate <= t._anchor + ibis.interval(days=e.to_days),
            ]
        joined = t.anti_join(o, preds) if e.negate else t.semi_join(o, preds)
        # a projection after each semi/anti join: ibis 12 writes "LEFT SEMI JOIN" for
        # PostgreSQL when two are chained directly
        return joined.select(*t.columns).view()

    # -- selections -----------------------------------------------------------------------
    def needs_person(self, *parts: Selection) -> bool:
        """Whether rows need their person: counted as people, linked to other rows, or
        tested or banded by age or sex."""
        return self.spec.statistic == "dsr" or any(
            part.count == "people"
            or part.exists
            or any(c.field in PERSON_FIELDS for c in part.where)
            for part in parts
        )

    def selection(self, part: Selection, table_name: str, person: bool = True) -> ir.Table:
        t = self.rows(table_name, person)
        pr = self.periods
        if part.active is not None:
            start, end = part.active
            t = t.join(
                pr,
                [t[start] <= pr.p_ref, t[end].isnull() | (t[end] > pr.p_ref)],
            )
            t = t.mutate(_anchor=t.p_ref)
        else:
            date_column = part.date or canonical_table(table_name).date_column
            assert date_column is not None
            t = t.join(pr, [t[date_column] >= pr.p_start, t[date_column] < pr.p_end])
            t = t.mutate(_anchor=t[date_column])
        t = self.where(t, part.where)
        for e in part.exists:
            t = self.exists(t, e)
        return t

    def population(self, part: Population) -> ir.Table:
        self.base_key = ("population", part.source, *self.datasets.get("residence", []))
        t = self.population_base(part.source)
        fields = {c.field for c in part.where} - set(PERSON_FIELDS)
        t = self.widened(t, fields | ({"_pid"} if part.exists else set()))
        t = self.where(t, part.where)
        for e in part.exists:
            t = self.exists(t, e)
        return t

    def population_base(self, source: str) -> ir.Table:
        """Registrations at each period's reference date, one per person. With a cache, the
        rows are kept narrow (:data:`BASE_COLUMNS`; :meth:`widened` adds the others)."""
        t = self.rows("residence")
        t = t.filter(t.source == source)
        # each registration's cell key before the periods multiply the rows (×12 for quarters)
        t = self.with_cell_key(t)
        # each person's registrations, most recent first (then lowest record key): at a date
        # the person counts once, at the first of them active then. Without a cache the
        # numbers are computed more than once below: rows tied on the order are tied on
        # from and to date too, so each evaluation marks exactly one row first
        t = t.mutate(
            _n=t.count().over(group_by=t._pid),
            _order=ibis.row_number().over(
                group_by=t._pid, order_by=[ibis.desc(t.from_date), t.record_key, t.to_date]
            ),
        )
        if self.cache is not None:  # areas as one integer; each registration numbered
            areas = t.filter(t.oa_code.notnull()).select(*AREA_KEYS).distinct()
            areas = areas.mutate(_area=ibis.row_number())
            self.areas = self.cached(areas, ("areas", *self.base_key))
            a = self.areas
            t = t.left_join(a, [t[k].identical_to(a[k]) for k in AREA_KEYS], rname="{name}_a")
            t = t.drop(*[f"{k}_a" for k in AREA_KEYS], "load_id", "person_id")
            t = t.drop(*[c for c in t.columns if c.endswith("_p")])
            t = t.mutate(_reg=ibis.row_number())
            self.registrations = self.cached(t, ("registrations", *self.base_key))
            t = self.registrations.drop(*AREA_KEYS)  # read twice below
        pr = self.periods

        def at_reference_date(t: ir.Table) -> ir.Table:
            t = t.join(pr, [t.from_date <= pr.p_ref, t.to_date.isnull() | (t.to_date > pr.p_ref)])
            return t.mutate(_anchor=t.p_ref)

        # people with one registration need no choosing (most people: no window over them)
        single = at_reference_date(t.filter(t._n == 1))
        several = at_reference_date(t.filter(t._n > 1))
        first = several.group_by(["period", "_pid"]).aggregate(_first=several._order.min())
        several = several.semi_join(
            first,
            [
                several.period == first.period,
                several._pid == first._pid,
                several._order == first._first,
            ],
        ).select(*single.columns)
        t = single.union(several, distinct=False).drop("_n", "_order")
        if self.cache is None:
            return t
        return self.cached(t.select(*BASE_COLUMNS), self.base_key)

    def widened(self, t: ir.Table, fields: set[str]) -> ir.Table:
        """The narrow cached population base with ``fields`` (area codes from the numbered
        areas, others from the registration each row came from)."""
        if "_reg" not in t.columns:
            return t
        if fields & set(AREA_KEYS):
            assert self.areas is not None
            a = self.areas
            t = t.left_join(a, t._area == a._area, rname="{name}_a")
            t = t.drop(*[c for c in t.columns if c == "_area_a"])
        other = sorted(f for f in fields if f not in t.columns)
        if other:
            r = self.registrations
            assert r is not None
            r = r.select("_reg", *[r[f].name(f"_w_{f}") for f in other]).view()
            t = t.left_join(r, t._reg == r._reg, rname="{name}_r")
            t = t.drop(*[c for c in t.columns if c == "_reg_r"])
            t = t.rename({f: f"_w_{f}" for f in other})
        return t

    def cached(self, t: ir.Table, key: tuple[object, ...]) -> ir.Table:
        """With a cache (one connection computing many indicators), materialise ``t`` once
        as a temporary table and reuse it: the population base is shared by most specs."""
        if self.cache is None:
            return t
        full = (*key, self._period_key)
        if full not in self.cache:
            self.cache[full] = self.vault.temporary(t)
        return self.cache[full]

    def people(self, t: ir.Table) -> ir.Table:
        """One row per person and period: their first (then lowest record key) row."""
        rank = ibis.row_number().over(
            group_by=[t.period, t._pid], order_by=[t._anchor, t.record_key, t.partner]
        )
        t = t.mutate(_rank=rank)
        return t.filter(t._rank == 0).drop("_rank")

    # -- aggregation ----------------------------------------------------------------------
    def group_keys(self) -> list[str]:
        return ["period", *AREA_KEYS] + (["age_band"] if self.spec.statistic == "dsr" else [])

    def with_cell_key(self, t: ir.Table) -> ir.Table:
        """Each row's cell key (0..255, the first byte of its record key), as ``_ck``."""
        t = t.mutate(_prefix=t.record_key.substr(0, 2).lower())
        return t.join(self.keys, "_prefix").drop("_prefix")

    def shaped(self, t: ir.Table) -> ir.Table:
        t = t.filter((t._area if "_area" in t.columns else t.oa_code).notnull())
        if "_ck" not in t.columns:
            t = self.with_cell_key(t)
        if self.spec.statistic == "dsr":
            age = self.age(t, t._anchor)
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
        assert self.areas is not None
        g = g.join(self.areas, g._area == self.areas._area)
        return g.select(*[g[k] for k in keys], *[g[m] for m in metrics])

    def build(self) -> Compiled:
        spec = self.spec
        num = spec.numerator
        den = spec.denominator
        if isinstance(den, Selection):
            assert den.table is not None
            d = self.selection(den, den.table, self.needs_person(den, num))
            if den.count == "people":
                d = self.people(d)
            n = self.where(d, num.where)
            for e in num.exists:
                n = self.exists(n, e)
        elif isinstance(den, Population):
            d = self.population(den)
            if spec.statistic == "proportion":
                fields = {c.field for c in num.where} - set(PERSON_FIELDS)
                n = self.widened(d, fields | ({"_pid"} if num.exists else set()))
                n = self.where(n, num.where)
                for e in num.exists:
                    n = self.exists(n, e)
            else:
                n = self.selection(num, spec.numerator_table, self.needs_person(num))
                if num.count == "people":
                    n = self.people(n)
        else:
            d = None
            n = self.selection(num, spec.numerator_table, self.needs_person(num))
            if num.count == "people":
                n = self.people(n)
            if num.value_days_between:
                a, b = num.value_days_between
                n = n.filter(n[a].notnull() & n[b].notnull())
        keys = self.group_keys()
        parts = self.aggregate(n, "numerator")
        if d is not None:
            dparts = self.aggregate(d, "denominator")
            if isinstance(den, Population):  # shared by the specs with the same population
                others = tuple((k, tuple(v)) for k, v in sorted(self.datasets.items()))
                others = others if den.exists else ()
                dsr = spec.statistic == "dsr"
                key = ("denominator", *self.base_key, den, dsr, others)
                dparts = self.cached(dparts, key)
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
    vault: Vault,
    spec: IndicatorSpec,
    periods: Sequence[Period],
    cache: PopulationCache | None = None,
) -> Compiled:
    """The parts expression of ``spec`` over ``periods`` (raises NotFoundError naming any
    source dataset that was never loaded). ``cache``: shared by the specs computed on one
    vault connection, so their common population base is computed once."""
    return _Builder(vault, spec, periods, cache).build()
