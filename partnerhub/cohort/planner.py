"""The planner: cohort nodes → Ibis expressions over a vault reader, run on its backend.

Pure: it reads through the four methods of :class:`Reader` only (what
:class:`partnerhub.vault.Vault` offers, and any scoped read-only view with the same methods),
never a backend, and returns expressions — nothing is executed here except the small list of
current loads and, with a cache, the temporary tables the reader makes. Rows carry three
columns of their own: ``_pid`` (the person: the linked person id, or ``R`` + record key for a
record the person table does not know), ``period`` and ``_anchor`` (the date the row's
conditions are tested at).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import ibis
import ibis.expr.types as ir
import pandas as pd

from partnerhub.cohort.nodes import (
    PERSON_FIELDS,
    Cohort,
    Condition,
    Exists,
    Periods,
    Population,
    Selection,
)
from partnerhub.disclosure import with_record_cell_key as with_cell_key
from partnerhub.errors import NotFoundError
from partnerhub.geography import POSTCODE_LEVELS, area_field
from partnerhub.schema import table as canonical_table

__all__ = [
    "AREA_KEYS",
    "BASE_COLUMNS",
    "Planner",
    "PopulationCache",
    "Reader",
    "cohort_rows",
    "missing_sources",
]

AREA_KEYS = tuple(area_field(level) for level in POSTCODE_LEVELS)  # oa_code ... lad_code
# the cached population base: what every population reads (the area as a number)
BASE_COLUMNS = ("period", "_anchor", "_area", "_ck", "birth_month", "sex", "_reg")
PopulationCache = dict[tuple[object, ...], ir.Table]


class Reader(Protocol):
    """What the planner reads: the vault's current rows, person table and loads, and a
    temporary table for a cached part."""

    def current(self, table_name: str) -> ir.Table: ...

    def person(self) -> ir.Table: ...

    def current_loads(self) -> pd.DataFrame: ...

    def temporary(self, expression: ir.Table) -> ir.Table: ...


def missing_sources(current: pd.DataFrame, sources: Sequence[str]) -> list[str]:
    """The partner/dataset ``sources`` with no current load in ``current``
    (:meth:`Reader.current_loads`)."""
    loaded = {f"{p}/{d}" for p, d in zip(current["partner"], current["dataset"], strict=True)}
    return [s for s in sources if s not in loaded]


class Planner:
    """Compiles cohort nodes for one set of sources and periods. ``cache``: shared by the
    cohorts compiled on one reader connection, so a common population base is computed once.
    A source never loaded is listed in :attr:`missing` (the caller names it to the user)."""

    def __init__(
        self,
        reader: Reader,
        sources: Sequence[str],
        periods: Periods,
        cache: PopulationCache | None = None,
    ) -> None:
        self.reader = reader
        self.cache = cache
        self._period_key = periods.key()
        self.person = reader.person()
        current = reader.current_loads()
        self.datasets: dict[str, list[tuple[str, str]]] = {}
        for s in sources:
            partner, dataset = s.split("/")
            hit = current[(current["partner"] == partner) & (current["dataset"] == dataset)]
            if len(hit):
                self.datasets.setdefault(str(hit["table_name"].iloc[0]), []).append(
                    (partner, dataset)
                )
        self.missing = missing_sources(current, sources)
        ps = periods.periods
        self.periods = ibis.memtable(
            {
                "period": [p.label for p in ps],
                "p_start": [p.start for p in ps],
                "p_end": [p.end for p in ps],
                "p_ref": [p.reference(periods.reference) for p in ps],
            },
            schema={"period": "string", "p_start": "date", "p_end": "date", "p_ref": "date"},
        )
        self.areas: ir.Table | None = None  # a cached base's areas, numbered (``_area``)
        self.registrations: ir.Table | None = None  # and its registrations (``_reg``)
        self.base_key: tuple[object, ...] = ()

    # -- a cohort ---------------------------------------------------------------------------
    def cohort(self, c: Cohort, person: bool = True) -> ir.Table:
        """The rows of ``c``: each period's selected rows (one per person when it counts
        people), or its population at the reference date."""
        if isinstance(c.of, Population):
            return self.population(c.of)
        t = self.selection(c.of, c.table_name, person or c.of.count == "people")
        return self.people(t) if c.of.count == "people" else t

    # -- rows of a table, with the person's id, birth month and sex ------------------------
    def rows(self, table_name: str, person: bool = True) -> ir.Table:
        """Current rows of the sources' datasets; with ``person``, joined to the person table
        (person id, birth month, sex) — skipped when nothing asks for them."""
        t = self.reader.current(table_name)
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
        """Age in whole years at ``anchor`` from the birth month."""
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
        """Rows meeting every condition, tested at their anchor date."""
        if not conditions:
            return t
        return t.filter([self.condition(t, c, t._anchor) for c in conditions])

    def exists(self, t: ir.Table, e: Exists) -> ir.Table:
        """Rows whose person has (``negate``: has no) row as ``e`` describes."""
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

    def narrowed(
        self, t: ir.Table, where: Sequence[Condition], exists: Sequence[Exists]
    ) -> ir.Table:
        """Rows meeting ``where`` whose person passes every ``exists`` test."""
        t = self.where(t, where)
        for e in exists:
            t = self.exists(t, e)
        return t

    # -- selections -----------------------------------------------------------------------
    def selection(self, part: Selection, table_name: str, person: bool = True) -> ir.Table:
        """Rows of ``table_name`` in each period: dated in [start, end), or active at the
        reference date; then ``part``'s conditions and tests."""
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
        return self.narrowed(t, part.where, part.exists)

    def population(self, part: Population) -> ir.Table:
        """The population at each reference date, with ``part``'s conditions and tests."""
        self.base_key = ("population", part.source, *self.datasets.get("residence", []))
        t = self.population_base(part.source)
        fields = {c.field for c in part.where} - set(PERSON_FIELDS)
        t = self.widened(t, fields | ({"_pid"} if part.exists else set()))
        return self.narrowed(t, part.where, part.exists)

    def population_base(self, source: str) -> ir.Table:
        """Registrations at each period's reference date, one per person. With a cache, the
        rows are kept narrow (:data:`BASE_COLUMNS`; :meth:`widened` adds the others)."""
        t = self.rows("residence")
        t = t.filter(t.source == source)
        # each registration's cell key before the periods multiply the rows (×12 for quarters)
        t = with_cell_key(t)
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
        """With a cache (one connection computing many cohorts), materialise ``t`` once as a
        temporary table and reuse it: the population base is shared by most of them."""
        if self.cache is None:
            return t
        full = (*key, self._period_key)
        if full not in self.cache:
            self.cache[full] = self.reader.temporary(t)
        return self.cache[full]

    def people(self, t: ir.Table) -> ir.Table:
        """One row per person and period: their first (then lowest record key) row."""
        rank = ibis.row_number().over(
            group_by=[t.period, t._pid], order_by=[t._anchor, t.record_key, t.partner]
        )
        t = t.mutate(_rank=rank)
        return t.filter(t._rank == 0).drop("_rank")


def cohort_rows(reader: Reader, cohort: Cohort) -> ir.Table:
    """``cohort`` as rows of (period, person, partner, record_key, anchor) — what the spec
    tests compare across engines; a capability aggregates before executing."""
    planner = Planner(reader, cohort.sources, cohort.periods)
    if planner.missing:
        raise NotFoundError(
            f"the cohort reads {', '.join(planner.missing)}, never loaded — load it with "
            "`partnerhub ingest`"
        )
    t = planner.cohort(cohort)
    return t.select(
        period=t.period,
        person=t._pid,
        partner=t.partner,
        record_key=t.record_key,
        anchor=t._anchor,
    )
