"""From additive parts to indicator values by area: roll-up, statistics, comparison.

Parts come from the vault at the finest grain (OA, carrying the LSOA, MSOA, ward and LAD the
fact was placed in) and are *summed* to every level — OA, LSOA, MSOA, ward, LAD, county and
IMD decile — before any rate is taken: rates are never averaged. Each area is compared with
its parent (LAD for smaller areas, the county for a LAD) by the indicator's polarity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from partnerhub import geography
from partnerhub.geography import AREA_LEVELS, Areas
from partnerhub.indicators.compile import AREA_KEYS, DSR_BANDS, PopulationCache, compile_spec
from partnerhub.indicators.periods import Period
from partnerhub.indicators.spec import IndicatorSpec
from partnerhub.indicators.statistics import (
    ESP_2013,
    ESP_2013_BANDS,
    EXACT_BELOW,
    compare_with_parent,
    dobson_dsrs,
    rate_interval,
    wilson_interval,
    z_value,
)
from partnerhub.vault import Vault

__all__ = [
    "LEVELS",
    "Areas",
    "compute_parts",
    "finish",
    "roll_up",
]

LEVELS = AREA_LEVELS  # oa, lsoa, msoa, ward, lad, county
_COUNTS = ("numerator", "numerator_key", "denominator", "denominator_key")


def compute_parts(
    vault: Vault,
    spec: IndicatorSpec,
    periods: Sequence[Period],
    cache: PopulationCache | None = None,
) -> pd.DataFrame:
    """The spec's additive parts at the finest grain, computed in the vault (aggregates)."""
    compiled = compile_spec(vault, spec, periods, cache)
    parts: pd.DataFrame = compiled.parts.to_pandas()
    for c in (*_COUNTS, "value_sum", "value_sumsq"):
        if c in parts:
            parts[c] = parts[c].fillna(0)
    if compiled.snapshots is not None:
        snaps = compiled.snapshots.to_pandas().set_index("period")["snapshots"]
        per = parts["period"].map(snaps).astype(float)
        for c in ("numerator", "denominator"):
            if c in parts:
                parts[c] = parts[c] / per
    return parts


def roll_up(parts: pd.DataFrame, areas: Areas) -> pd.DataFrame:
    """Sum the parts to every area level (and IMD decile); one row per (level, area, period
    [, age band])."""
    extra = ["age_band"] if "age_band" in parts else []
    values = [c for c in parts.columns if c not in ("period", *AREA_KEYS, *extra)]
    out = geography.roll_up(parts, values, ["period", *extra], areas.county, areas.imd_decile)
    for c in ("numerator_key", "denominator_key"):
        if c in out:
            out[c] = out[c].astype("int64") % 256
    return out


def parents(parts: pd.DataFrame, areas: Areas) -> dict[str, str]:
    """Each area's parent: its LAD (the LAD holding most of its parts), a LAD's the county."""
    weight = parts.get("denominator", parts["numerator"])
    return geography.area_parents(parts, weight, areas.county)


def _values(spec: IndicatorSpec, frame: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Value and limits from (released or true) counts of each row."""
    m = spec.multiplier
    num = frame["numerator"].astype(float).to_numpy()
    out = pd.DataFrame(index=frame.index)
    if spec.statistic == "proportion":
        den = frame["denominator"].astype(float).to_numpy()
        lo, hi = wilson_interval(num, den, confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["value"] = np.where(den > 0, num / den, np.nan) * m
        out["lower"], out["upper"] = lo * m, hi * m
    elif spec.statistic == "crude_rate":
        den = frame["denominator"].astype(float).to_numpy()
        lo, hi = rate_interval(num, confidence)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["value"] = np.where(den > 0, num / den * m, np.nan)
            out["lower"] = np.where(den > 0, lo / den * m, np.nan)
            out["upper"] = np.where(den > 0, hi / den * m, np.nan)
    elif spec.statistic == "count":
        lo, hi = rate_interval(num, confidence)
        out["value"], out["lower"], out["upper"] = num * m, lo * m, hi * m
    elif spec.statistic == "mean":
        s = frame["value_sum"].astype(float).to_numpy()
        ss = frame["value_sumsq"].astype(float).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(num > 0, s / num, np.nan)
            var = np.where(num > 1, (ss - num * mean**2) / (num - 1), np.nan)
            half = z_value(confidence) * np.sqrt(np.maximum(var, 0) / num)
        out["value"], out["lower"], out["upper"] = mean, mean - half, mean + half
    else:
        raise AssertionError(spec.statistic)
    return out


def _notes(spec: IndicatorSpec, frame: pd.DataFrame) -> np.ndarray:
    """Why a value (or its limits) is not given, per row ("" when both are)."""
    num = frame["numerator"].astype(float).to_numpy()
    den = frame["denominator"].astype(float).to_numpy() if "denominator" in frame else None
    no_value = frame["value"].isna().to_numpy()
    no_limits = frame["lower"].isna().to_numpy() | frame["upper"].isna().to_numpy()
    conditions, notes = [], []
    if spec.statistic == "mean":
        conditions += [no_value, no_limits]
        notes += ["No values to average", "Limits not given: they need at least two values"]
    elif den is not None:
        what = "Proportion" if spec.statistic == "proportion" else "Rate"
        conditions += [no_value & (num > 0), no_value, no_limits & (num > den)]
        notes += [
            f"{what} not computable: events but no denominator in this area and period",
            "No denominator in this area and period",
            "Limits not given: the count exceeds the denominator",
        ]
    conditions.append(~no_value & no_limits)
    notes.append("Limits not computable")
    return np.select(conditions, notes, default="")


def _dsr(spec: IndicatorSpec, banded: pd.DataFrame) -> pd.DataFrame:
    """DSR, 95 % and 99.8 % limits and the value note per (level, area, period) from the
    age-band counts. A band with events but no population makes the DSR not computable
    (PHE's methods need a population in every band that has events; none is made up)."""
    keys = ["area_type", "area_code", "period"]
    wide = banded.pivot_table(
        index=keys, columns="age_band", values=["numerator", "denominator"], aggfunc="sum"
    ).reindex(columns=pd.MultiIndex.from_product([["numerator", "denominator"], range(DSR_BANDS)]))
    wide = wide.fillna(0)
    counts = wide["numerator"].to_numpy(float)
    populations = wide["denominator"].to_numpy(float)
    out = wide.index.to_frame(index=False)
    for confidence, suffix in ((0.95, ""), (0.998, "_998")):
        rate, lower, upper = dobson_dsrs(
            counts, populations, ESP_2013, multiplier=spec.multiplier, confidence=confidence
        )
        out["value" + suffix], out["lower" + suffix], out["upper" + suffix] = rate, lower, upper
    out["value_note"] = _dsr_notes(counts, populations, out)
    return out.drop(columns=["value_998"])


def _dsr_notes(counts: np.ndarray, populations: np.ndarray, out: pd.DataFrame) -> np.ndarray:
    """Why a DSR (or its limits) is not given, per row ("" when both are)."""
    empty = (counts > 0) & ~(populations > 0)
    dominated = (
        "the rate is dominated by an age band with very few people (Dobson's method does not hold)"
    )
    notes = np.select(
        [
            ~(populations > 0).any(axis=1),
            counts.sum(axis=1) < EXACT_BELOW,
            out["lower"].isna().to_numpy(),
            out["lower_998"].isna().to_numpy(),
        ],
        [
            "DSR not computable: no registered population",
            f"DSR limits not given below {EXACT_BELOW} events",
            f"DSR limits not given: {dominated}",
            f"99.8% limits not given: {dominated}",
        ],
        default="",
    ).astype(object)
    for i in np.flatnonzero(empty.any(axis=1)):  # few: name the bands
        bands = ", ".join(ESP_2013_BANDS[b] for b in np.flatnonzero(empty[i]))
        events = int(counts[i][empty[i]].sum())
        notes[i] = (
            f"DSR not computable: {events} event(s) in age band {bands}, "
            "which has no registered population"
        )
    return notes


def finish(
    spec: IndicatorSpec,
    rolled: pd.DataFrame,
    parent_of: dict[str, str],
    areas: Areas,
    banded: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Values, 95 % and 99.8 % limits and the comparison with the parent, from the counts in
    ``rolled`` (one row per level, area, period). ``banded`` holds a DSR's age-band parts."""
    out = rolled.copy()
    if spec.statistic == "dsr":
        assert banded is not None
        out = out.merge(_dsr(spec, banded), on=["area_type", "area_code", "period"], how="left")
        out["value_note"] = out["value_note"].fillna("")
    else:
        for confidence, suffix in ((0.95, ""), (0.998, "_998")):
            v = _values(spec, out, confidence)
            out["lower" + suffix], out["upper" + suffix] = v["lower"], v["upper"]
            if not suffix:
                out["value"] = v["value"]
        out["value_note"] = _notes(spec, out)
    out["parent_code"] = out["area_code"].map(parent_of)
    parent_value = out.set_index(["area_code", "period"])["value"]
    parent_value = parent_value[~parent_value.index.duplicated()]
    lookup = pd.MultiIndex.from_arrays([out["parent_code"].fillna(""), out["period"]])
    pv = parent_value.reindex(lookup).to_numpy()
    polarity = spec.polarity if spec.polarity != "no_judgement" else "none"
    out["compared_to_parent"] = compare_with_parent(
        out["value"],
        out["lower"],
        out["upper"],
        pv,
        polarity,  # type: ignore[arg-type]
    )
    out["area_name"] = out["area_code"].map(areas.name)
    return out
