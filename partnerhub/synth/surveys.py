"""A published survey indicator for the synthetic partnership: the Place Survey's NI 5
(overall satisfaction with the local area, 2008/09), by ward, district and county, in the
Fingertips layout a council downloads it in — the kind of aggregate PartnerHub imports rather
than computes (`partnerhub indicators import`).

Each ward's true satisfaction falls with its deprivation (the mean IMD decile of its LSOAs,
best fit); respondents are a random sample of about 1,100 per district, split over its wards
by size, so small wards have small samples (and some a count small enough for disclosure
control to withhold). Districts and the county are the sums of their wards, as the survey
would weight them. Limits are Wilson's 95 % interval. The true proportions go to ``truth/``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from partnerhub.synth.geography import SyntheticGeography

__all__ = ["PLACE_SURVEY_PERIOD", "place_survey"]

PLACE_SURVEY_PERIOD = "2008/09"
_RESPONDENTS_PER_DISTRICT = 1_100


def _wilson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = float(stats.norm.ppf(0.975))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def place_survey(
    geo: SyntheticGeography, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the published table, the true proportion of each ward)."""
    lsoas = geo.lsoas
    wards = geo.wards[["ward_code", "lad_code"]].copy()
    deprivation = lsoas.groupby("ward_code")["imd_decile"].mean()  # 1 = most deprived
    size = lsoas.groupby("ward_code").size()
    wards["decile"] = wards["ward_code"].map(deprivation).fillna(5.5).to_numpy()
    wards["size"] = wards["ward_code"].map(size).fillna(1).to_numpy()
    wards["true"] = 0.62 + 0.025 * wards["decile"] + rng.normal(0, 0.02, len(wards))
    share = wards["size"] / wards.groupby("lad_code")["size"].transform("sum")
    wards["n"] = np.maximum(rng.poisson(share * _RESPONDENTS_PER_DISTRICT), 1)
    wards["k"] = rng.binomial(wards["n"].to_numpy(), wards["true"].clip(0, 1).to_numpy())
    lads = wards.groupby("lad_code", as_index=False)[["k", "n"]].sum()
    county = pd.DataFrame(
        {
            "code": [geo.county["county_code"].iloc[0]],
            "k": [lads["k"].sum()],
            "n": [lads["n"].sum()],
        }
    )
    table = pd.concat(
        [
            county,
            lads.rename(columns={"lad_code": "code"}),
            wards[["ward_code", "k", "n"]].rename(columns={"ward_code": "code"}),
        ],
        ignore_index=True,
    )
    k, n = table["k"].to_numpy(dtype=float), table["n"].to_numpy(dtype=float)
    lower, upper = _wilson(k, n)
    published = pd.DataFrame(
        {
            "Area Code": table["code"],
            "Time period": PLACE_SURVEY_PERIOD,
            "Value": np.round(100 * k / n, 1),
            "Lower CI 95.0 limit": np.round(100 * lower, 1),
            "Upper CI 95.0 limit": np.round(100 * upper, 1),
            "Count": table["k"].astype(int),
            "Denominator": table["n"].astype(int),
        }
    )
    truth = wards[["ward_code", "true", "n"]].rename(
        columns={"true": "true_satisfaction", "n": "respondents"}
    )
    return published, truth
