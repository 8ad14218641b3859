"""A reference implementation of indicator specs in plain pandas, written apart from the
compiler (no Ibis, no SQL): who is counted comes from the cohort room's reference engine
(:mod:`partnerhub.cohort.reference`, itself apart from the planner), the indicator's parts are
summed here. Tests compare the compiler's parts with these on every backend."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from partnerhub.cohort import Periods
from partnerhub.cohort.reference import ReferenceEngine
from partnerhub.indicators.periods import Period
from partnerhub.indicators.spec import IndicatorSpec, Population, Selection

AREAS = ["oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code"]


class Reference:
    def __init__(
        self, tables: dict[str, pd.DataFrame], person: pd.DataFrame, current: pd.DataFrame
    ):
        self.engine = ReferenceEngine(tables, person, current)

    def parts(self, spec: IndicatorSpec, periods: Sequence[Period]) -> pd.DataFrame:
        engine, sources = self.engine, spec.sources
        within = Periods(periods=tuple(periods), reference=spec.reference)
        den = spec.denominator
        num = spec.numerator
        if isinstance(den, Selection):
            d = engine.select(sources, den, den.table, within)
            n = [x for x in d if engine.keep(sources, x[1], x[2], num.where, num.exists)]
        elif isinstance(den, Population):
            d = engine.select(sources, den, "residence", within)
            if spec.statistic == "proportion":
                n = [x for x in d if engine.keep(sources, x[1], x[2], num.where, num.exists)]
            else:
                n = engine.select(sources, num, spec.numerator_table, within)
        else:
            d = None
            n = engine.select(sources, num, spec.numerator_table, within)
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
                    age = engine.age(r["_bm"], anchor)
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
