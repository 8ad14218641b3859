"""Area-level tables and the planted causal effects, with confounding by need.

Three operational measures are allocated per ward and quarter *towards need* (deprivation, an
older population, last quarter's crime), and each has a planted causal effect on an outcome:

* **reablement hours** (adult social care) per 1,000 residents aged 65+ raise the log-odds
  that an older person discharged into reablement is still at home 91 days later (NI 125 /
  ASCOF 2B); a staggered "enhanced reablement" programme, adopted earlier by needier wards,
  adds to it. Need lowers the baseline (:func:`reablement_baseline_logit`);
* **patrol hours** (police) per 1,000 households lower the dwelling-burglary rate;
* **home fire safety visits** (fire) per 1,000 households lower casualties per dwelling fire.

Because the needier wards get more of each measure *and* have worse outcomes, a naive
regression of outcome on measure is biased — for patrols and visits it even has the wrong sign.
``AreaPanel.truth`` records each planted coefficient beside the naive estimate it defeats.
Crimes and fires are generated per LSOA and month at England-like rates that rise with
deprivation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AreaPanel", "build_area_panel", "reablement_baseline_logit"]

THETA_HOURS = 0.25  # log-odds per 1 SD of reablement hours per 1,000 aged 65+
THETA_PROGRAMME = 0.3  # log-odds of the enhanced reablement programme
BETA_PATROL = -0.10  # log burglary rate per 1 SD of patrol hours per 1,000 households
BETA_VISITS = -0.15  # log casualties per dwelling fire per 1 SD of visits per 1,000 households

# Annual recorded-crime rates per 1,000 residents (burglary: per 1,000 households).
_CRIME_RATES: dict[str, float] = {
    "homicide": 0.012,
    "attempted_murder": 0.02,
    "wounding_gbh_s18": 0.35,
    "assault_with_injury": 7.5,
    "assault_without_injury": 9.0,
    "robbery_personal": 0.9,
    "robbery_business": 0.12,
    "burglary_dwelling": 8.0,
    "burglary_non_dwelling": 3.0,
    "theft_of_vehicle": 2.2,
    "theft_from_vehicle": 6.0,
    "criminal_damage": 11.0,
    "arson_criminal_damage": 0.7,
    "theft_other": 18.0,
    "sexual_offence": 2.2,
    "public_order": 6.0,
    "drugs": 3.0,
    "other": 2.5,
}
_DEPRIVATION_GRADIENT = 0.45  # log-rate per SD of need


def reablement_baseline_logit(need_index: np.ndarray) -> np.ndarray:
    """Log-odds of being at home 91 days after reablement, before the planted effect."""
    return 1.6 - 0.35 * np.asarray(need_index, dtype=float)


@dataclass(frozen=True)
class AreaPanel:
    """Ward × quarter measures, area-generated events and the causal truth."""

    ward_quarter: pd.DataFrame
    crimes: pd.DataFrame
    fires: pd.DataFrame
    operations: pd.DataFrame
    resources: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    x = x - x.mean()
    return float((x * (y - y.mean())).sum() / max((x * x).sum(), 1e-12))


def build_area_panel(
    lsoas: pd.DataFrame,
    residents: pd.DataFrame,
    quarter_starts: np.ndarray,
    rng: np.random.Generator,
) -> AreaPanel:
    """Measures per ward-quarter, crimes and fires per LSOA-month, and the planted truth."""
    quarters = np.asarray(quarter_starts, dtype="datetime64[D]")
    n_q = quarters.size
    lsoa = lsoas[["lsoa_code", "ward_code", "lad_code", "imd_score"]].merge(
        residents, on="lsoa_code", how="left"
    )
    for col in ("pop_total", "pop_65plus", "pop_0_17", "households"):
        lsoa[col] = lsoa[col].fillna(0).astype(np.int64)
    ward = (
        lsoa.groupby("ward_code", sort=True)
        .agg(
            lad_code=("lad_code", "first"),
            pop_total=("pop_total", "sum"),
            pop_65plus=("pop_65plus", "sum"),
            households=("households", "sum"),
            imd=("imd_score", "mean"),
        )
        .reset_index()
    )
    n_w = len(ward)
    share_old = ward["pop_65plus"] / ward["pop_total"].clip(lower=1)
    need_static = _z(_z(ward["imd"].to_numpy()) + 0.5 * _z(share_old.to_numpy()))
    shock = rng.normal(0, 0.25, size=(n_w, n_q))
    need = need_static[:, None] + shock
    old_k = np.maximum(ward["pop_65plus"].to_numpy(), 1) / 1000
    hh_k = np.maximum(ward["households"].to_numpy(), 1) / 1000

    # Enhanced reablement: ~60% of wards adopt it at one of four quarters, needier ones first.
    adopt_q = np.full(n_w, -1)
    order = np.argsort(-(need_static + rng.normal(0, 0.8, n_w)), kind="stable")
    adopters = order[: round(0.6 * n_w)]
    cohorts = np.array([4, 7, 10, 13])
    adopt_q[adopters] = cohorts[
        np.minimum(np.arange(adopters.size) * 4 // max(adopters.size, 1), 3)
    ]
    programme = (adopt_q[:, None] >= 0) & (np.arange(n_q)[None, :] >= adopt_q[:, None])

    ward_effect = rng.normal(0, 8, n_w)
    hours_per_k = np.clip(
        60 + 18 * need + ward_effect[:, None] + rng.normal(0, 6, (n_w, n_q)) + 25 * programme,
        5,
        None,
    )
    hours = hours_per_k * old_k[:, None]
    hz = (hours_per_k - hours_per_k.mean()) / hours_per_k.std()
    reab_effect = THETA_HOURS * hz + THETA_PROGRAMME * programme

    visits_per_k = np.clip(12 + 5 * need + rng.normal(0, 2.5, (n_w, n_q)), 0.5, None)
    visits = rng.poisson(visits_per_k * hh_k[:, None] * 0.25)  # per quarter
    vz = (visits / hh_k[:, None] - (visits / hh_k[:, None]).mean()) / (visits / hh_k[:, None]).std()

    # Patrols respond to last quarter's burglary and to need; burglary responds to patrols.
    patrol_per_k = np.zeros((n_w, n_q))
    burg_rate = np.zeros((n_w, n_q))  # expected per 1,000 households per quarter
    base_burg = _CRIME_RATES["burglary_dwelling"] / 4 * np.exp(_DEPRIVATION_GRADIENT * need)
    prev = base_burg[:, 0]
    for q in range(n_q):
        patrol_per_k[:, q] = np.clip(
            40 + 6 * need[:, q] + 4 * (prev - prev.mean()) + rng.normal(0, 4, n_w), 5, None
        )
        prev = base_burg[:, q]
    pz = (patrol_per_k - patrol_per_k.mean()) / patrol_per_k.std()
    burg_rate = base_burg * np.exp(BETA_PATROL * pz)
    patrols = patrol_per_k * hh_k[:, None]

    ward_codes = ward["ward_code"].to_numpy()
    wq = pd.DataFrame(
        {
            "ward_code": np.repeat(ward_codes, n_q),
            "lad_code": np.repeat(ward["lad_code"].to_numpy(), n_q),
            "quarter_start": np.tile(quarters, n_w),
            "need_index": need.ravel(),
            "pop_65plus": np.repeat(ward["pop_65plus"].to_numpy(), n_q),
            "households": np.repeat(ward["households"].to_numpy(), n_q),
            "reablement_hours": np.round(hours.ravel(), 1),
            "patrol_hours": np.round(patrols.ravel(), 1),
            "safety_visits": visits.ravel().astype(np.int64),
            "enhanced_reablement": programme.ravel(),
            "reablement_logit_effect": reab_effect.ravel(),
        }
    )
    ward_index = {w: i for i, w in enumerate(ward_codes)}
    w_of_lsoa = lsoa["ward_code"].map(ward_index).to_numpy()
    crimes = _crimes(lsoa, w_of_lsoa, need, burg_rate / base_burg, quarters, rng)
    fires = _fires(lsoa, w_of_lsoa, need, vz, quarters, rng)
    truth = _truth(
        wq,
        need,
        hours_per_k,
        reab_effect,
        programme,
        adopt_q,
        quarters,
        ward_codes,
        crimes,
        fires,
        pz,
        vz,
        hh_k,
    )
    return AreaPanel(
        ward_quarter=wq,
        crimes=crimes,
        fires=fires,
        operations=_operations(wq, quarters),
        resources=_resources(wq, rng),
        truth=truth,
    )


def _month_days(quarters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    months = (quarters[0].astype("datetime64[M]") + np.arange(quarters.size * 3)).astype(
        "datetime64[D]"
    )
    ends = (quarters[0].astype("datetime64[M]") + np.arange(1, quarters.size * 3 + 1)).astype(
        "datetime64[D]"
    )
    return months, (ends - months).astype(np.int64)


def _expand(
    counts: np.ndarray,
    lsoa_idx: np.ndarray,
    month_starts: np.ndarray,
    month_len: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """counts[lsoa, month] → one (lsoa index, date) per event, dates uniform in the month."""
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    li = lsoa_idx[cell // counts.shape[1]]
    mi = cell % counts.shape[1]
    day = month_starts[mi] + (rng.random(cell.size) * month_len[mi]).astype("timedelta64[D]")
    return li, day.astype("datetime64[D]")


def _crimes(
    lsoa: pd.DataFrame,
    w_of_lsoa: np.ndarray,
    need: np.ndarray,
    burg_mult: np.ndarray,
    quarters: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    months, mlen = _month_days(quarters)
    n_m = months.size
    need_l = np.repeat(need[w_of_lsoa], 3, axis=1)  # lsoa × month
    season = 1 + 0.1 * np.cos(
        2 * np.pi * (months.astype("datetime64[M]").astype(int) % 12 - 6) / 12
    )
    pop = lsoa["pop_total"].to_numpy()[:, None]
    hh = lsoa["households"].to_numpy()[:, None]
    parts_l, parts_d, parts_g, parts_da = [], [], [], []
    for group, rate in _CRIME_RATES.items():
        base = (hh if group == "burglary_dwelling" else pop) / 1000 * rate / 12
        lam = base * np.exp(_DEPRIVATION_GRADIENT * need_l) * season[None, :]
        if group == "burglary_dwelling":
            lam = lam * np.repeat(burg_mult[w_of_lsoa], 3, axis=1)
        counts = rng.poisson(lam)
        li, day = _expand(counts, np.arange(len(lsoa)), months, mlen, rng)
        share_da = {"assault_with_injury": 0.3, "assault_without_injury": 0.15}.get(group, 0.0)
        parts_l.append(li)
        parts_d.append(day)
        parts_g.append(np.full(li.size, group, dtype=object))
        parts_da.append(rng.random(li.size) < share_da)
    li = np.concatenate(parts_l)
    day = np.concatenate(parts_d)
    order = np.lexsort((li, day))
    year = (day[order].astype("datetime64[Y]").astype(int) + 1970) % 100
    refs = np.char.add(
        np.char.add("PC/", np.char.zfill(year.astype(str), 2)),
        np.char.add("/", np.char.zfill(np.arange(order.size).astype(str), 7)),
    )
    del n_m
    return pd.DataFrame(
        {
            "crime_ref": refs.astype(object),
            "lsoa_code": lsoa["lsoa_code"].to_numpy()[li[order]],
            "ward_code": lsoa["ward_code"].to_numpy()[li[order]],
            "occurred_date": day[order],
            "offence_group": np.concatenate(parts_g)[order],
            "domestic_abuse": np.concatenate(parts_da)[order],
        }
    )


def _fires(
    lsoa: pd.DataFrame,
    w_of_lsoa: np.ndarray,
    need: np.ndarray,
    vz: np.ndarray,
    quarters: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    months, mlen = _month_days(quarters)
    need_l = np.repeat(need[w_of_lsoa], 3, axis=1)
    hh = lsoa["households"].to_numpy()[:, None]
    pop = lsoa["pop_total"].to_numpy()[:, None]
    kinds = (
        ("primary", "dwelling", hh / 1000 * 0.8 / 12, 0.5),
        ("primary", "other_building", pop / 1000 * 0.25 / 12, 0.4),
        ("primary", "vehicle", pop / 1000 * 0.3 / 12, 0.5),
        ("secondary", "outdoor", pop / 1000 * 2.0 / 12, 0.7),
    )
    frames = []
    for fire_type, prop, base, grad in kinds:
        counts = rng.poisson(base * np.exp(grad * need_l))
        li, day = _expand(counts, np.arange(len(lsoa)), months, mlen, rng)
        m = ((day.astype("datetime64[M]") - months[0].astype("datetime64[M]")).astype(int)) // 3
        n = li.size
        z = need_l[li, np.minimum(m * 3, need_l.shape[1] - 1)]
        deliberate = rng.random(n) < 1 / (1 + np.exp(-(-1.2 + 0.6 * z + (prop == "outdoor"))))
        if prop == "dwelling":
            mult = np.exp(BETA_VISITS * vz[w_of_lsoa[li], np.minimum(m, vz.shape[1] - 1)])
            casualties = rng.poisson(0.12 * mult * np.exp(0.2 * z))
            fatal = rng.poisson(0.006 * mult, size=n)
        else:
            casualties = rng.poisson(0.02, size=n)
            fatal = np.zeros(n, dtype=np.int64)
        frames.append(
            pd.DataFrame(
                {
                    "li": li,
                    "incident_date": day,
                    "fire_type": fire_type,
                    "property_type": prop,
                    "deliberate": deliberate,
                    "fatalities": fatal.astype(np.int64),
                    "non_fatal_casualties": casualties.astype(np.int64),
                }
            )
        )
    f = pd.concat(frames, ignore_index=True).sort_values(["incident_date", "li"], kind="stable")
    f = f.reset_index(drop=True)
    f.insert(0, "incident_ref", [f"FRS{i + 100001:07d}" for i in range(len(f))])
    f.insert(1, "lsoa_code", lsoa["lsoa_code"].to_numpy()[f["li"].to_numpy()])
    f.insert(2, "ward_code", lsoa["ward_code"].to_numpy()[f["li"].to_numpy()])
    return f.drop(columns=["li"])


def _quarter_end(starts: np.ndarray) -> np.ndarray:
    """The last day of the quarter that starts on each date."""
    months = starts.astype("datetime64[M]") + 3
    return months.astype("datetime64[D]") - np.timedelta64(1, "D")


def _operations(wq: pd.DataFrame, quarters: np.ndarray) -> pd.DataFrame:
    q_end = _quarter_end(wq["quarter_start"].to_numpy())
    parts = []
    for partner, measure, col in (
        ("asc", "reablement_hours", "reablement_hours"),
        ("police", "patrol_hours", "patrol_hours"),
        ("fire", "home_safety_visits", "safety_visits"),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "partner": partner,
                    "area_code": wq["ward_code"].to_numpy(),
                    "area_type": "ward",
                    "period_start": wq["quarter_start"].to_numpy(),
                    "period_end": q_end,
                    "measure": measure,
                    "value": wq[col].to_numpy(dtype=float),
                }
            )
        )
    del quarters
    return pd.concat(parts, ignore_index=True)


_PROGRAMMES = (  # partner, programme, £ per resident per quarter, £ per FTE per quarter
    ("asc", "home_care", 9.0, 9000.0),
    ("asc", "carers_support", 1.2, 8500.0),
    ("police", "response_policing", 7.0, 14000.0),
    ("housing", "homelessness_prevention", 2.0, 10000.0),
    ("council", "benefits_advice", 0.6, 9000.0),
    ("voluntary", "befriending", 0.3, 7000.0),
    ("nhs", "community_health", 20.0, 12000.0),
    ("education", "youth_services", 1.5, 9500.0),
)


def _resources(wq: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    q_end = _quarter_end(wq["quarter_start"].to_numpy())
    base = {
        "partner": None,
        "programme": None,
        "area_code": wq["ward_code"].to_numpy(),
        "area_type": "ward",
        "period_start": wq["quarter_start"].to_numpy(),
        "period_end": q_end,
    }
    parts = []
    for partner, programme, spend, fte_cost in (
        ("asc", "reablement", wq["reablement_hours"].to_numpy() * 32.0, 9000.0),
        ("police", "neighbourhood_policing", wq["patrol_hours"].to_numpy() * 45.0, 14000.0),
        ("fire", "community_fire_safety", wq["safety_visits"].to_numpy() * 95.0, 11000.0),
    ):
        s = np.round(spend * rng.uniform(1.05, 1.2, len(wq)))
        parts.append(
            pd.DataFrame(
                {
                    **base,
                    "partner": partner,
                    "programme": programme,
                    "spend": s,
                    "fte": np.round(s / fte_cost, 1),
                }
            )
        )
    lad = wq.groupby(["lad_code", "quarter_start"], sort=True)["households"].sum().reset_index()
    lad_end = _quarter_end(lad["quarter_start"].to_numpy())
    for partner, programme, per_res, fte_cost in _PROGRAMMES:
        s = np.round(
            lad["households"].to_numpy() * 2.36 * per_res * rng.uniform(0.9, 1.1, len(lad))
        )
        parts.append(
            pd.DataFrame(
                {
                    "partner": partner,
                    "programme": programme,
                    "area_code": lad["lad_code"].to_numpy(),
                    "area_type": "lad",
                    "period_start": lad["quarter_start"].to_numpy(),
                    "period_end": lad_end,
                    "spend": s,
                    "fte": np.round(s / fte_cost, 1),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _ward_quarter_sum(
    events: pd.DataFrame,
    date_col: str,
    weight_col: str | None,
    quarters: np.ndarray,
    ward_index: dict[str, int],
    shape: tuple[int, ...],
) -> np.ndarray:
    """Events (or a column of them) summed into a ward × quarter array."""
    months = events[date_col].to_numpy().astype("datetime64[M]") - quarters[0].astype(
        "datetime64[M]"
    )
    q = months.astype(int) // 3
    w = events["ward_code"].map(ward_index).to_numpy()
    out = np.zeros(shape)
    values = 1.0 if weight_col is None else events[weight_col].to_numpy()
    np.add.at(out, (w, q), values)
    return out


def _truth(
    wq: pd.DataFrame,
    need: np.ndarray,
    hours_per_k: np.ndarray,
    reab_effect: np.ndarray,
    programme: np.ndarray,
    adopt_q: np.ndarray,
    quarters: np.ndarray,
    ward_codes: np.ndarray,
    crimes: pd.DataFrame,
    fires: pd.DataFrame,
    pz: np.ndarray,
    vz: np.ndarray,
    hh_k: np.ndarray,
) -> dict[str, Any]:
    p_home = 1 / (1 + np.exp(-(reablement_baseline_logit(need) + reab_effect)))
    naive_reab = _slope(hours_per_k.ravel(), p_home.ravel()) * hours_per_k.std()
    sd_effect = float(
        np.mean(
            1 / (1 + np.exp(-(reablement_baseline_logit(need) + reab_effect)))
            - 1 / (1 + np.exp(-(reablement_baseline_logit(need) + reab_effect - THETA_HOURS)))
        )
    )
    q_of = {np.datetime64(q, "D"): i for i, q in enumerate(quarters)}
    w_of = {w: i for i, w in enumerate(ward_codes)}
    burg = crimes.loc[crimes["offence_group"] == "burglary_dwelling"]
    counts = _ward_quarter_sum(burg, "occurred_date", None, quarters, w_of, need.shape)
    naive_patrol = _slope(pz.ravel(), np.log((counts / hh_k[:, None]).ravel() + 0.1))
    dw = fires.loc[fires["property_type"] == "dwelling"]
    cas = _ward_quarter_sum(dw, "incident_date", "non_fatal_casualties", quarters, w_of, need.shape)
    naive_visits = _slope(vz.ravel(), np.log((cas / hh_k[:, None]).ravel() + 0.1))
    del q_of, programme
    adoption = {
        str(w): (str(quarters[q]) if q >= 0 else None)
        for w, q in zip(ward_codes, adopt_q, strict=True)
    }
    return {
        "reablement": {
            "treatment": "reablement hours per 1,000 residents aged 65+ per quarter (ward)",
            "outcome": "older person still at home 91 days after discharge into reablement",
            "scale": "log-odds",
            "coefficient_per_sd": THETA_HOURS,
            "sd_hours_per_1000": float(hours_per_k.std()),
            "effect_of_one_sd_probability": sd_effect,
            "programme": "enhanced reablement (staggered adoption)",
            "programme_coefficient": THETA_PROGRAMME,
            "programme_adoption_quarter": adoption,
            "confounder": "need_index (deprivation and share aged 65+): more hours where "
            "need is higher, and need lowers the baseline log-odds by 0.35 per unit",
            "naive_slope_probability_per_sd": naive_reab,
            "comparison": {
                "scale": "probability per SD",
                "planted": sd_effect,
                "naive": naive_reab,
            },
        },
        "patrols": {
            "treatment": "police patrol hours per 1,000 households per quarter (ward)",
            "outcome": "dwelling burglaries per 1,000 households",
            "scale": "log-rate",
            "coefficient_per_sd": BETA_PATROL,
            "confounder": "need_index and last quarter's burglary: patrols go where burglary is",
            "naive_slope_log_rate_per_sd": naive_patrol,
            "comparison": {
                "scale": "log-rate per SD",
                "planted": BETA_PATROL,
                "naive": naive_patrol,
            },
        },
        "safety_visits": {
            "treatment": "home fire safety visits per 1,000 households per quarter (ward)",
            "outcome": "non-fatal dwelling-fire casualties per 1,000 households",
            "scale": "log-rate",
            "coefficient_per_sd": BETA_VISITS,
            "confounder": "need_index: visits target deprived wards, which have more fires",
            "naive_slope_log_casualties_per_1000_households_per_sd": naive_visits,
            "comparison": {
                "scale": "log-rate per SD",
                "planted": BETA_VISITS,
                "naive": naive_visits,
            },
        },
    }
