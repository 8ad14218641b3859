"""The care-home models on frames simulated from known hazards (partnerhub.models.care_home.fit)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from partnerhub.errors import UserError
from partnerhub.models.care_home import (
    HORIZONS,
    CareHomeModel,
    fit_age_only,
    fit_cause_specific_cox,
    fit_discrete_time,
)
from partnerhub.models.care_home.fit import person_months

BETA_ADMISSION, BETA_DEATH = 0.8, 0.4
BASE_ADMISSION, BASE_DEATH = 0.01, 0.03  # per month at x = 0


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Constant cause-specific hazards (per month) depending on one feature x, random
    censoring (leaving) and follow-up ending at 18 months; with the closed-form CIF
    ``la / (la + ld) * (1 - exp(-(la + ld) h))``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    la = BASE_ADMISSION * np.exp(BETA_ADMISSION * x)
    ld = BASE_DEATH * np.exp(BETA_DEATH * x)
    t_adm, t_death = rng.exponential(1 / la), rng.exponential(1 / ld)
    t_left = rng.exponential(1 / 0.002, n)
    times = np.column_stack([t_adm, t_death, t_left, np.full(n, 18.0)])
    first = np.argmin(times, axis=1)
    frame = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=n),
            "time": times[np.arange(n), first],
            "event": np.array(["admission", "death", "censored", "censored"])[first],
        },
        index=pd.RangeIndex(100, 100 + n),
    )
    total = la + ld
    truth = pd.DataFrame(
        {h: la / total * (1 - np.exp(-total * h)) for h in HORIZONS}, index=frame.index
    )
    return frame, truth


@pytest.fixture(scope="module")
def simulated() -> tuple[pd.DataFrame, pd.DataFrame]:
    return simulate(6000, seed=21)


def test_cause_specific_cox_recovers_the_hazards_and_the_competing_cif(
    simulated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Measured (881 admissions, 2,199 deaths): coefficients 0.830 and 0.406 (standard errors
    about 0.035 and 0.021, so the tolerances are 3–4 of them); CIF mean absolute error 3 % of
    the mean at every horizon (the tolerance: 10 %)."""
    frame, truth = simulated
    model = fit_cause_specific_cox(frame, ["x", "noise"])
    assert model.admission.params_["x"] == pytest.approx(BETA_ADMISSION, abs=0.12)
    assert model.death.params_["x"] == pytest.approx(BETA_DEATH, abs=0.08)
    assert abs(model.admission.params_["noise"]) < 0.12
    cif = model.predict_cif(frame, HORIZONS)
    assert list(cif.columns) == list(HORIZONS) and cif.index.equals(frame.index)
    # close to the closed form (mean absolute error under 10 % of the mean)...
    for h in HORIZONS:
        assert (cif[h] - truth[h]).abs().mean() < 0.1 * truth[h].mean()
    # ...which death holds well below 1 - survival with death censored
    naive = 1 - np.exp(-BASE_ADMISSION * np.exp(BETA_ADMISSION * frame["x"]) * 18)
    assert cif[18].mean() < 0.85 * naive.mean()
    assert (cif.diff(axis=1).iloc[:, 1:] >= 0).all().all()


def test_discrete_time_recovers_the_competing_cif(
    simulated: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame, truth = simulated
    model = fit_discrete_time(frame, ["x", "noise"], learner="logistic", seed=1)
    cif = model.predict_cif(frame, HORIZONS)
    for h in HORIZONS:
        assert (cif[h] - truth[h]).abs().mean() < 0.1 * truth[h].mean()
    with pytest.raises(ValueError, match="up to 18 months"):
        model.predict_cif(frame, [24])


def test_age_only_uses_age_alone(simulated: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    frame, _ = simulated
    model = fit_age_only(frame.rename(columns={"x": "age"}))
    assert model.features == ("age",) and model.name == "age only"
    assert list(model.admission.params_.index) == ["age"]


def test_fits_are_reproducible() -> None:
    frame, _ = simulate(800, seed=4)
    features = ["x", "noise"]
    fits: list[Callable[[], CareHomeModel]] = [
        lambda: fit_cause_specific_cox(frame, features),
        lambda: fit_discrete_time(frame, features, learner="logistic", seed=3),
        lambda: fit_discrete_time(frame, features, learner="boosting", months=6, seed=3),
    ]
    for fit in fits:
        first = fit().predict_cif(frame, [6])
        pd.testing.assert_frame_equal(first, fit().predict_cif(frame, [6]), check_exact=True)


def test_person_months_end_at_the_event_month() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0],
            "time": [2.5, 3.2, 20.0, 0.4],
            "event": ["death", "censored", "admission", "admission"],
        }
    )
    x, y = person_months(frame, ["x"], months=18)
    person = x[:, 0]
    assert (person == 1).sum() == 3 and y[person == 1].tolist() == [0, 0, 2]  # months 0, 1, 2
    assert (person == 2).sum() == 3 and y[person == 2].tolist() == [0, 0, 0]  # full months only
    assert (person == 3).sum() == 18 and y[person == 3].sum() == 0  # admitted after 18 months
    assert y[person == 4].tolist() == [1]
    assert x[person == 1, 1].tolist() == [0, 1, 2]  # the month since the landmark


def test_too_few_events_is_a_user_error() -> None:
    frame, _ = simulate(800, seed=4)
    few = frame.loc[(frame["event"] != "admission") | (frame.index < 130)]
    with pytest.raises(UserError, match="too few events"):
        fit_cause_specific_cox(few, ["x"])
    with pytest.raises(ValueError, match="lacks columns"):
        fit_discrete_time(frame, ["age"])


def test_cox_converges_where_a_full_newton_step_overflows() -> None:
    """Regression: 1,000 people drawn from the training landmarks of a 100k-person
    partnership (seed 3; age, diagnosed dementia; 19 admissions), on which lifelines' default
    Newton step (0.95) overflows and stops with a ConvergenceError. The fit takes half steps;
    the optimum it reaches is the one smaller steps (0.3, 0.1) reach too."""
    frame = pd.read_csv(Path(__file__).parents[2] / "data" / "care_home_cox_step.csv")
    model = fit_cause_specific_cox(frame, ["age", "dementia"])
    assert model.admission.params_["age"] == pytest.approx(0.179, abs=0.001)
    assert model.admission.params_["dementia"] == pytest.approx(1.25, abs=0.01)
