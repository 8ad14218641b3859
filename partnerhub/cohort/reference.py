"""The reference engine: cohort nodes computed in plain pandas, row by row where that is
clearest — no Ibis, no SQL, written apart from :mod:`.planner`. It is the engine the planner is
tested against (``tests/spec``, and every indicator of the library in
``tests/integration/test_indicators.py``), and it will do for a tiny partnership; it is slow
(Python loops over rows), so keep it to small tables.

Its input is what a reader would give: the current rows of each table, the person table and the
current loads, as pandas frames with dates as :class:`datetime.date` (or None).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from partnerhub.cohort.nodes import Cohort, Condition, Exists, Periods, Population, Selection
from partnerhub.schema import table as canonical_table
from partnerhub.schema.periods import Period

__all__ = ["Item", "ReferenceEngine", "cohort_frame"]

# one counted row: its period, the row (with _pid, _bm, _sex) and the date it was tested at
Item = tuple[Period, "pd.Series[Any]", date]


class ReferenceEngine:
    def __init__(
        self, tables: dict[str, pd.DataFrame], person: pd.DataFrame, current: pd.DataFrame
    ) -> None:
        self.tables = tables  # current rows of each vault table
        self.person = person.set_index(["partner", "record_key"]).sort_index()
        self.current = current
        self._others: dict[tuple[tuple[str, ...], Exists], pd.DataFrame] = {}

    def rows(self, sources: Sequence[str], name: str) -> pd.DataFrame:
        """Rows of table ``name`` from ``sources`` (all rows if none of them fills it), each
        with its person (``_pid``; ``R`` + record key when the person table lacks it), birth
        month (``_bm``) and sex (``_sex``)."""
        t = self.tables[name].copy()
        mine = [
            (p, d)
            for p, d in (s.split("/") for s in sources)
            if (
                (self.current.partner == p)
                & (self.current.dataset == d)
                & (self.current.table_name == name)
            ).any()
        ]
        if mine:
            keep = np.zeros(len(t), dtype=bool)
            for p, d in mine:
                keep |= ((t.partner == p) & (t.dataset == d)).to_numpy()
            t = t[keep]
        pid, bm, sex = [], [], []
        for p, k in zip(t.partner, t.record_key, strict=True):
            if (p, k) in self.person.index:
                r = self.person.loc[(p, k)]
                pid.append(r.person_id)
                bm.append(r.birth_month)
                sex.append(r.sex)
            else:
                pid.append("R" + k)
                bm.append(None)
                sex.append(None)
        t["_pid"], t["_bm"], t["_sex"] = pid, bm, sex
        return t.reset_index(drop=True)

    @staticmethod
    def age(bm: object, anchor: date) -> float:
        """Whole years from the birth month to ``anchor`` (NaN when unknown)."""
        if bm is None or pd.isna(bm):
            return np.nan
        b = pd.Timestamp(bm)
        return anchor.year - b.year - (1 if anchor.month < b.month else 0)

    def test(self, row: pd.Series[Any], c: Condition, anchor: date) -> bool:
        """Whether ``row`` meets ``c`` at ``anchor`` (a missing value meets only is_null and
        not_in)."""
        if c.field == "age":
            v: Any = self.age(row["_bm"], anchor)
        elif c.field == "sex":
            v = row["_sex"] if isinstance(row["_sex"], str) else "U"
        else:
            v = row[c.field]
        missing = v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT
        if c.is_null is not None:
            return bool(missing == c.is_null)
        if c.not_in is not None:
            return bool(missing or str(v) not in c.not_in)
        if missing:
            return False
        if c.in_ is not None:
            return str(v) in c.in_
        if c.equals is not None:
            return bool(v == c.equals)
        if c.between is not None:
            return c.between[0] <= float(v) <= c.between[1]
        if c.at_least is not None:
            return float(v) >= c.at_least
        if c.starts_with is not None:
            return any(str(v).upper().startswith(s.upper()) for s in c.starts_with)
        assert c.months is not None
        return pd.Timestamp(v).month in c.months

    def exists(self, sources: Sequence[str], pid: str, anchor: date, e: Exists) -> bool:
        """Whether person ``pid`` has (``negate``: has no) a row as ``e`` describes."""
        key = (tuple(sources), e)
        o = self._others.get(key)
        if o is None:
            o = self.rows(sources, e.table)
            dc = e.date or canonical_table(e.table).date_column
            o["_a"] = o[e.active[0] if e.active else dc]
            o = o[[all(self.test(r, c, r["_a"]) for c in e.where) for _, r in o.iterrows()]]
            self._others[key] = o
        mine = o[o["_pid"] == pid]
        if e.active:
            s, en = e.active
            hit = any(
                r[s] <= anchor and (pd.isna(r[en]) or r[en] > anchor) for _, r in mine.iterrows()
            )
        else:
            lo, hi = anchor + timedelta(days=e.from_days), anchor + timedelta(days=e.to_days)
            hit = any(lo <= r["_a"] <= hi for _, r in mine.iterrows())
        return not hit if e.negate else hit

    def keep(
        self,
        sources: Sequence[str],
        row: pd.Series[Any],
        anchor: date,
        where: Sequence[Condition],
        exists: Sequence[Exists],
    ) -> bool:
        """Whether ``row`` meets every condition and its person every exists test."""
        return all(self.test(row, c, anchor) for c in where) and all(
            self.exists(sources, row["_pid"], anchor, e) for e in exists
        )

    def select(
        self,
        sources: Sequence[str],
        part: Selection | Population,
        name: str,
        periods: Periods,
    ) -> list[Item]:
        """Each period's rows of ``part`` (from table ``name``; the population reads
        residence): dated in [start, end) or active at the reference date; for the population,
        each person's most recent registration active then (ties: lowest record key); one row
        per person (their first, then lowest record key) when a selection counts people."""
        t = self.rows(sources, name)
        out: list[Item] = []
        for p in periods.periods:
            ref = p.reference(periods.reference)
            if isinstance(part, Population):
                cand = t[(t.source == part.source)]
                cand = cand[(cand.from_date <= ref) & (cand.to_date.isna() | (cand.to_date > ref))]
                cand = cand.sort_values(["from_date", "record_key"], ascending=[False, True])
                cand = cand.drop_duplicates("_pid")
                for _, r in cand.iterrows():
                    if self.keep(sources, r, ref, part.where, part.exists):
                        out.append((p, r, ref))
                continue
            for _, r in t.iterrows():
                if part.active:
                    s, e = part.active
                    if not (r[s] <= ref and (pd.isna(r[e]) or r[e] > ref)):
                        continue
                    anchor = ref
                else:
                    d = r[part.date or canonical_table(name).date_column]
                    if pd.isna(d) or not (p.start <= d < p.end):
                        continue
                    anchor = d
                if self.keep(sources, r, anchor, part.where, part.exists):
                    out.append((p, r, anchor))
        if isinstance(part, Selection) and part.count == "people":
            first: dict[tuple[str, str], Item] = {}
            for item in sorted(out, key=lambda x: (x[2], x[1]["record_key"], x[1]["partner"])):
                first.setdefault((item[0].label, item[1]["_pid"]), item)
            out = list(first.values())
        return out

    def cohort(self, c: Cohort) -> list[Item]:
        """The rows of ``c`` (as :meth:`partnerhub.cohort.Planner.cohort` selects them)."""
        return self.select(c.sources, c.of, c.table_name, c.periods)


def cohort_frame(engine: ReferenceEngine, c: Cohort) -> pd.DataFrame:
    """``c`` as rows of (period, person, partner, record_key, anchor), like
    :func:`partnerhub.cohort.cohort_rows`."""
    columns = ["period", "person", "partner", "record_key", "anchor"]
    recs = [
        (p.label, r["_pid"], r["partner"], r["record_key"], anchor)
        for p, r, anchor in engine.cohort(c)
    ]
    return pd.DataFrame(recs, columns=columns)
