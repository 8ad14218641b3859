"""A reference implementation of indicator specs in plain pandas, written apart from the
compiler (no Ibis, no SQL): row by row where that is clearest. Tests compare the compiler's
parts with these on every backend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from partnerhub.indicators.periods import Period
from partnerhub.indicators.spec import Condition, Exists, IndicatorSpec, Population, Selection
from partnerhub.schema import table as canonical_table

AREAS = ["oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code"]


class Reference:
    def __init__(
        self, tables: dict[str, pd.DataFrame], person: pd.DataFrame, current: pd.DataFrame
    ):
        self.tables = tables  # current rows of each vault table
        self.person = person.set_index(["partner", "record_key"])
        self.current = current

    def rows(self, spec: IndicatorSpec, name: str) -> pd.DataFrame:
        t = self.tables[name].copy()
        sources = [s.split("/") for s in spec.sources]
        mine = [
            (p, d)
            for p, d in sources
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
        if bm is None or pd.isna(bm):
            return np.nan
        b = pd.Timestamp(bm)
        return anchor.year - b.year - (1 if anchor.month < b.month else 0)

    def test(self, row: pd.Series, c: Condition, anchor: date) -> bool:
        if c.field == "age":
            v: object = self.age(row["_bm"], anchor)
        elif c.field == "sex":
            v = row["_sex"] if isinstance(row["_sex"], str) else "U"
        else:
            v = row[c.field]
        missing = v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT
        if c.is_null is not None:
            return missing == c.is_null
        if c.not_in is not None:
            return missing or str(v) not in c.not_in
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

    def exists(self, spec: IndicatorSpec, pid: str, anchor: date, e: Exists) -> bool:
        o = self.other_cache.get(id(e))
        if o is None:
            o = self.rows(spec, e.table)
            dc = e.date or canonical_table(e.table).date_column
            o["_a"] = o[e.active[0] if e.active else dc]
            o = o[[all(self.test(r, c, r["_a"]) for c in e.where) for _, r in o.iterrows()]]
            self.other_cache[id(e)] = o
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

    def keep(self, spec, row, anchor, where, exists) -> bool:
        return all(self.test(row, c, anchor) for c in where) and all(
            self.exists(spec, row["_pid"], anchor, e) for e in exists
        )

    def select(self, spec, part, name, periods) -> list[tuple[Period, pd.Series, date]]:
        t = self.rows(spec, name)
        out = []
        for p in periods:
            ref = p.reference(spec.reference)
            if isinstance(part, Population):
                cand = t[(t.source == part.source)]
                cand = cand[(cand.from_date <= ref) & (cand.to_date.isna() | (cand.to_date > ref))]
                cand = cand.sort_values(["from_date", "record_key"], ascending=[False, True])
                cand = cand.drop_duplicates("_pid")
                for _, r in cand.iterrows():
                    if self.keep(spec, r, ref, part.where, part.exists):
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
                if self.keep(spec, r, anchor, part.where, part.exists):
                    out.append((p, r, anchor))
        if isinstance(part, Selection) and part.count == "people":
            first: dict[tuple[str, str], tuple] = {}
            for item in sorted(out, key=lambda x: (x[2], x[1]["record_key"], x[1]["partner"])):
                first.setdefault((item[0].label, item[1]["_pid"]), item)
            out = list(first.values())
        return out

    def parts(self, spec: IndicatorSpec, periods: Sequence[Period]) -> pd.DataFrame:
        self.other_cache: dict[int, pd.DataFrame] = {}
        den = spec.denominator
        num = spec.numerator
        if isinstance(den, Selection):
            d = self.select(spec, den, den.table, periods)
            n = [x for x in d if self.keep(spec, x[1], x[2], num.where, num.exists)]
        elif isinstance(den, Population):
            d = self.select(spec, den, "residence", periods)
            if spec.statistic == "proportion":
                n = [x for x in d if self.keep(spec, x[1], x[2], num.where, num.exists)]
            else:
                n = self.select(spec, num, spec.numerator_table, periods)
        else:
            d = None
            n = self.select(spec, num, spec.numerator_table, periods)
            if num.value_days_between:
                a, b = num.value_days_between
                n = [x for x in n if not pd.isna(x[1][a]) and not pd.isna(x[1][b])]
        dsr = spec.statistic == "dsr"

        def frame(items, prefix):
            recs = []
            for p, r, anchor in items:
                if pd.isna(r["oa_code"]):
                    continue
                rec = {"period": p.label, **{a: r[a] for a in AREAS}}
                if dsr:
                    age = self.age(r["_bm"], anchor)
                    if np.isnan(age):
                        continue
                    rec["age_band"] = int(min(age // 5, 18))
                rec[prefix] = 1
                rec[prefix + "_key"] = int(r["record_key"][:2], 16)
                if prefix == "numerator" and num.value_days_between:
                    a, b = num.value_days_between
                    days = float((pd.Timestamp(r[b]) - pd.Timestamp(r[a])).days)
                    rec["value_sum"], rec["value_sumsq"] = days, days * days
                recs.append(rec)
            keys = ["period", *AREAS] + (["age_band"] if dsr else [])
            values = [prefix, prefix + "_key"]
            if prefix == "numerator" and num.value_days_between:
                values += ["value_sum", "value_sumsq"]
            f = pd.DataFrame(recs, columns=keys + values).astype({v: float for v in values})
            return f.groupby(keys, as_index=False).sum(numeric_only=True), keys

        out, keys = frame(n, "numerator")
        if d is not None:
            dd, _ = frame(d, "denominator")
            # every event counts, also one in a cell with no denominator (an outer merge)
            out = dd.merge(out, on=keys, how="outer").fillna(
                {"numerator": 0, "numerator_key": 0, "denominator": 0, "denominator_key": 0}
            )
        carrier = num if d is None or isinstance(den, Population) else den
        if isinstance(carrier, Selection) and carrier.average_over_snapshots:
            base = d if d is not None else n
            snaps = {}
            for p, _, anchor in base:
                snaps.setdefault(p.label, set()).add(anchor)
            per = out["period"].map({k: len(v) for k, v in snaps.items()}).astype(float)
            for c in ("numerator", "denominator"):
                if c in out:
                    out[c] = out[c] / per
        return out


def reference_people(records: pd.DataFrame, index: pd.DataFrame) -> pd.DataFrame:
    """The vault's person table, computed in pandas (identity.people builds it in SQL)."""

    def mode(frame: pd.DataFrame, column: str) -> pd.Series:
        known = frame.dropna(subset=[column])
        counts = known.groupby(["person_id", column]).size().reset_index(name="n")
        counts = counts.sort_values(["person_id", "n", column], ascending=[True, False, True])
        return counts.drop_duplicates("person_id").set_index("person_id")[column]

    base = records[["partner", "record_key", "date_of_birth", "sex"]].copy()
    base = base.merge(index[["partner", "record_key", "person_id"]], how="left")
    missing = base["person_id"].isna()
    base.loc[missing, "person_id"] = "R" + base.loc[missing, "record_key"].astype(str)
    dob = pd.to_datetime(base["date_of_birth"], errors="coerce")
    base["birth_month"] = dob.dt.to_period("M").dt.to_timestamp()
    base["sex"] = base["sex"].where(base["sex"].isin(["M", "F"]))
    month, sex = mode(base, "birth_month"), mode(base, "sex")
    out = base[["partner", "record_key", "person_id"]].drop_duplicates(["partner", "record_key"])
    out["birth_month"] = out["person_id"].map(month)
    out["sex"] = out["person_id"].map(sex).fillna("U")
    return out.sort_values(["partner", "record_key"]).reset_index(drop=True)
