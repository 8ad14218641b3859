"""The care-home models on a generated partnership, scored against the planted truth.

The landmark frame here is built **directly from the truth files** of a synthetic partnership
(``truth/people.parquet``, ``residences.parquet``, ``care_home_admissions.parquet`` and
``care_home_hazards.parquet``), not from the vault: it is a stand-in until the vault landmark
dataset (built through the cohort room) exists. Its features are the characteristics the truth
files hold at the landmark — age, sex, a dementia diagnosis, living alone, deprivation — and
not the falls and emergency admissions that also drive the planted hazard, so the models
cannot reach the Bayes-optimal AUC of the true hazards (which also knows the future hazard
path, see ``partnerhub.models.care_home.truth``). The test states the fraction they do reach.

Temporal validation: trained on landmarks at months 0, 6 and 12 (outcomes up to month 30),
evaluated on the landmark at month 30 (outcomes months 30–48).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from partnerhub.models.care_home import (
    ADMISSION,
    CENSORED,
    DEATH,
    EVENT,
    HORIZONS,
    TIME,
    CareHomeModel,
    evaluate,
    fit_age_only,
    fit_cause_specific_cox,
    fit_discrete_time,
    true_cif,
)
from partnerhub.synth.partnership import generate

FEATURES = ["age", "female", "dementia", "living_alone", "deprivation"]
MONTH_DAYS = 30.4375
TRAIN_LANDMARKS = (0, 6, 12)
TEST_LANDMARK = 30


def landmark_frame(truth: Path, month: int, start: np.datetime64) -> pd.DataFrame:
    """People at risk at ``month`` (a positive true admission hazard that month: 65+, alive,
    in the county, at home), their features at the landmark date and their first event in the
    18 months after it."""
    hazards = pd.read_parquet(truth / "care_home_hazards.parquet")
    at_risk = hazards.loc[(hazards["month"] == month) & (hazards["care_home_hazard"] > 0)]
    ids = np.sort(at_risk["person_id"].to_numpy())
    date = (start.astype("datetime64[M]") + month).astype("datetime64[ns]")
    people = pd.read_parquet(truth / "people.parquet").set_index("person_id").loc[ids]
    res = pd.read_parquet(truth / "residences.parquet")
    res = res.loc[(res["from_date"] <= date) & ~(res["to_date"] <= date)]
    res = res.loc[res["care_home_index"] < 0].drop_duplicates("person_id")
    size = res.groupby("uprn", observed=True)["person_id"].transform("size")
    alone = pd.Series((size == 1).to_numpy(), index=res["person_id"].to_numpy())
    dep = pd.Series(res["deprivation_z"].to_numpy(), index=res["person_id"].to_numpy())
    frame = pd.DataFrame(index=pd.Index(ids, name="person_id"))
    dob = people["date_of_birth"].to_numpy().astype("datetime64[ns]")
    frame["age"] = (date - dob) / np.timedelta64(1, "D") / 365.25
    frame["female"] = (people["sex"] == "F").to_numpy().astype(float)
    frame["dementia"] = (people["dementia_diagnosed_date"] < date).to_numpy().astype(float)
    frame["living_alone"] = alone.reindex(ids).to_numpy(dtype=float, na_value=0.0)
    frame["deprivation"] = dep.reindex(ids).fillna(0.0).to_numpy()
    adm = pd.read_parquet(truth / "care_home_admissions.parquet")
    adm = adm.loc[adm["date"] >= date].groupby("person_id")["date"].min()

    def months(dates: pd.Series) -> np.ndarray:
        d = pd.to_datetime(dates).to_numpy().astype("datetime64[ns]")
        return (d - np.datetime64(date)) / np.timedelta64(1, "D") / MONTH_DAYS

    t_adm = months(adm.reindex(ids))
    t_death = months(people["death_date"])
    t_left = months(people["departure_date"])
    times = np.column_stack([t_adm, t_death, t_left, np.full(ids.size, float(max(HORIZONS)))])
    times = np.where(np.isnan(times) | (times < 0), np.inf, times)
    first = np.argmin(times, axis=1)
    frame[TIME] = np.maximum(times[np.arange(ids.size), first], 1 / MONTH_DAYS)
    frame[EVENT] = np.array([ADMISSION, DEATH, CENSORED, CENSORED])[first]
    frame["landmark"] = month
    return frame


PEOPLE, SEED = 50_000, 2


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """Each model's evaluation on the test landmark, with the truth of the same people."""
    out = tmp_path_factory.mktemp("care_home") / "p"
    generate(out, PEOPLE, seed=SEED)
    truth = out / "truth"
    start = np.datetime64(json.loads((truth / "manifest.json").read_text())["start"])
    train = pd.concat([landmark_frame(truth, m, start) for m in TRAIN_LANDMARKS], ignore_index=True)
    test = landmark_frame(truth, TEST_LANDMARK, start)
    hazards = pd.read_parquet(truth / "care_home_hazards.parquet")
    true = true_cif(hazards, TEST_LANDMARK, HORIZONS).loc[test.index]
    models: list[CareHomeModel] = [
        fit_cause_specific_cox(train, FEATURES),
        fit_discrete_time(train, FEATURES, learner="logistic", seed=SEED),
        fit_age_only(train),
    ]
    return {m.name: evaluate(test, m.predict_cif(test, HORIZONS), HORIZONS, true) for m in models}


@pytest.mark.slow
def test_models_reach_most_of_the_bayes_optimal_auc_on_a_later_landmark(
    scored: dict[str, pd.DataFrame],
) -> None:
    """Measured (50k people, seed 2): expected-AUC ratio 0.982–0.983 (Cox and discrete time)
    and 0.966–0.968 (age only); AUC on the observed admissions / Bayes AUC 0.91–0.95 (119
    admissions by 18 months, so ±0.03 of noise)."""
    for name in ("cause-specific Cox", "discrete-time (logistic)"):
        ev = scored[name]
        assert (ev["expected_auc_ratio"] >= 0.97).all(), ev
        assert (ev["auc_ratio"] >= 0.85).all(), ev
        # the full model beats age alone at every horizon, on the noise-free measure
        gain = ev["expected_auc"] - scored["age only"]["expected_auc"]
        assert (gain >= 0.01).all(), gain
    assert (scored["age only"]["expected_auc_ratio"] < 0.975).all()


@pytest.mark.slow
def test_models_are_calibrated_on_a_later_landmark(scored: dict[str, pd.DataFrame]) -> None:
    """Measured: calibration slope 0.93–1.01 on the observed admissions; CITL within ±0.001
    of admission rates of 0.4–1.2 %. The true CIF itself has a slope of 0.89–0.94 on these
    outcomes and an intercept of +0.15: observed admissions exceed it by about 14 %, since a
    quarter of admissions are the 91-day outcomes of reablement, which the generator schedules
    outside the monthly hazard. So the slope bounds are the issue's 0.9–1.1 widened by that."""
    for name in ("cause-specific Cox", "discrete-time (logistic)"):
        ev = scored[name]
        assert ev["calibration_slope"].between(0.8, 1.2).all(), ev
        assert (ev["citl"].abs() <= 0.02).all(), ev
        assert (ev["citl"].abs() <= 0.25 * ev["observed"]).all(), ev
        assert (ev["true_citl"].abs() <= 0.3 * ev["observed"]).all(), ev
