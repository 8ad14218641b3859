"""The monthly simulation: realistic rates and the planted care-home hazard, with numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partnerhub.synth.geography import build_geography
from partnerhub.synth.population import build_population
from partnerhub.synth.timeline import CARE_HOME_COEFFICIENTS, Timeline, simulate

START = np.datetime64("2021-04-01")
MONTHS = 48


def run(seed: int, n: int = 40_000, reab_logit: float = 1.5) -> tuple[Timeline, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    geo = build_geography(n, rng)
    pcs = geo.postcodes.reset_index(drop=True)
    pop = build_population(n, pcs, geo.lsoas, START, MONTHS, rng)
    score = pcs["lsoa_code"].map(geo.lsoas.set_index("lsoa_code")["imd_score"]).to_numpy(float)
    dep = (score - score.mean()) / score.std()
    wards = np.sort(pcs["ward_code"].unique())
    ward_of_pc = pcs["ward_code"].map({w: i for i, w in enumerate(wards)}).to_numpy()
    reab = np.full((len(wards), MONTHS // 3), reab_logit)
    return simulate(
        pop.people, pop.households, pcs, dep, ward_of_pc, reab, START, MONTHS, rng
    ), pop.people


@pytest.fixture(scope="module")
def timeline() -> tuple[Timeline, pd.DataFrame]:
    return run(11)


def test_rates_are_those_of_an_english_county(timeline: tuple[Timeline, pd.DataFrame]) -> None:
    tl, _ = timeline
    p = tl.people
    at_start = (p["arrival_month"] < 0) & (p["birth_month"] < 0)
    n0 = int(at_start.sum())
    deaths = (p["death_day"] < np.iinfo(np.int32).max).sum() / 4 / n0 * 1000
    assert 7.5 <= deaths <= 13  # England ≈ 10 per 1,000 a year
    births = (p["birth_month"] >= 0).sum() / 4 / n0 * 1000
    assert 8 <= births <= 12.5  # England ≈ 10 per 1,000
    person_years_65 = len(tl.hazards) / 12
    assert 0.006 <= len(tl.care_home_admissions) / person_years_65 <= 0.015
    via_hospital = (tl.care_home_admissions["via"] == "hospital").mean()
    assert 0.25 <= via_hospital <= 0.7
    emergency = (tl.spells["method"] == "emergency").sum() / 4 / n0
    assert 0.07 <= emergency <= 0.14  # emergency admissions per person-year


def test_hazard_follows_the_coefficients(timeline: tuple[Timeline, pd.DataFrame]) -> None:
    tl, _ = timeline
    h = tl.hazards["care_home_hazard"].to_numpy(dtype=float)
    c = CARE_HOME_COEFFICIENTS
    # No one's hazard is below the baseline of a 65-year-old with every protective factor.
    floor = np.exp(
        c["intercept"]
        + c["age_per_year_over_80"] * (65 - 80)
        + c["carer_in_household"]
        + c["deprivation_per_sd"] * -3
    )
    positive = h[h > 0]
    assert positive.min() >= 0.9 * (1 - np.exp(-floor))
    assert np.all(tl.hazards["death_hazard"] > 0)


def test_events_are_consistent(timeline: tuple[Timeline, pd.DataFrame]) -> None:
    tl, _ = timeline
    p = tl.people.set_index("person_id")
    death = p["death_day"]
    adm = tl.care_home_admissions
    assert (adm["day"].to_numpy() <= death.loc[adm["person_id"]].to_numpy()).all()
    s = tl.spells
    assert (s["discharge_day"] >= s["admission_day"]).all()
    died = s.loc[s["discharge_destination"] == "died"]
    assert (died["discharge_day"].to_numpy() == death.loc[died["person_id"]].to_numpy()).all()
    r = tl.residences
    assert (r["to_day"] >= r["from_day"]).all()
    # Residence spells of one person never overlap.
    r = r.sort_values(["person_id", "from_day"])
    same = r["person_id"].to_numpy()[1:] == r["person_id"].to_numpy()[:-1]
    assert (r["from_day"].to_numpy()[1:][same] >= r["to_day"].to_numpy()[:-1][same]).all()


def test_reablement_outcome_follows_the_planted_logit() -> None:
    low, _ = run(12, n=30_000, reab_logit=0.5)
    high, _ = run(12, n=30_000, reab_logit=2.5)
    share = [(t.reablement["outcome_91_days"] == "at_home").mean() for t in (low, high)]
    assert share[1] - share[0] > 0.15
    # Those not at home really did die, go into a care home or hospital in the window.
    r = high.reablement
    p = high.people.set_index("person_id")
    complete = r["start_day"].to_numpy() + 91 < MONTHS * 30.4
    died = r.loc[complete & (r["outcome_91_days"] == "died").to_numpy()]
    gap = p.loc[died["person_id"], "death_day"].to_numpy() - died["start_day"].to_numpy()
    assert ((gap >= 0) & (gap <= 91)).all()


def test_same_seed_same_timeline() -> None:
    a, _ = run(5, n=8_000)
    b, _ = run(5, n=8_000)
    pd.testing.assert_frame_equal(a.spells, b.spells)
    pd.testing.assert_frame_equal(a.people, b.people)
    pd.testing.assert_frame_equal(a.hazards, b.hazards)
