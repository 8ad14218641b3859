"""Care-home risk models: cumulative incidence of admission at each horizon, death competing.

Three families, each fitted on a landmark frame (:mod:`partnerhub.models.care_home.frame`) and
each predicting ``predict_cif(frame, horizons)`` — one row per person (the frame's index), one
column per horizon, the probability of a care-home admission by then with death as a competing
risk (never 1 − survival with death censored):

* :func:`fit_cause_specific_cox` — a Cox model per cause (lifelines): admission with deaths
  censored, death with admissions censored; the cumulative incidence combines both
  cause-specific hazards by the Aalen–Johansen product ``sum S(t-) dA(t)``,
  ``S(t) = prod (1 - dA - dD)``;
* :func:`fit_discrete_time` — person-month rows with a three-way outcome (none, admission,
  death) fitted by a multinomial classifier (scikit-learn: logistic regression or gradient
  boosting); ``CIF(h) = sum_{k<h} S(k) P(admission in month k)``;
* :func:`fit_age_only` — the naive baseline: the cause-specific Cox model on age alone.

The libraries are the ``models`` extra and are imported inside the functions that use them.
Every fit is deterministic: the same frame and seed give the same numbers.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from partnerhub.errors import UserError
from partnerhub.models.care_home.frame import (
    ADMISSION,
    DEATH,
    EVENT,
    TIME,
    check_frame,
    check_horizons,
)

__all__ = [
    "MIN_EVENTS",
    "CareHomeModel",
    "CauseSpecificCox",
    "DiscreteTime",
    "fit_age_only",
    "fit_cause_specific_cox",
    "fit_discrete_time",
]

MIN_EVENTS = 10  # of each cause, below which a fit is refused
_MONTH = "month_since_landmark"
_CHUNK = 20_000  # people per block when a prediction builds a people × times matrix
# lifelines' default Newton step (0.95) can overshoot and overflow on a rare binary feature
# with few events (a dementia diagnosis, seen on a 100k-person partnership); half steps reach
# the same optimum, a few iterations later.
_NEWTON = {"step_size": 0.5, "max_steps": 500}


class CareHomeModel(Protocol):
    """What every care-home model offers."""

    @property
    def name(self) -> str: ...

    @property
    def features(self) -> tuple[str, ...]: ...

    def predict_cif(self, frame: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame: ...


def _extra(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - the test environment has the extra
        raise UserError(
            f"the care-home models need {module.split('.')[0]}: "
            "install the models extra (pip install 'partnerhub[models]')"
        ) from exc


def _check_events(frame: pd.DataFrame) -> None:
    counts = frame[EVENT].value_counts()
    for cause in (ADMISSION, DEATH):
        n = int(counts.get(cause, 0))
        if n < MIN_EVENTS:
            raise UserError(
                f"too few events to fit a care-home model: {n} {cause}s in the training "
                f"landmarks (at least {MIN_EVENTS} needed); add landmarks or people"
            )


# -- cause-specific Cox ----------------------------------------------------------------------


@dataclass(frozen=True)
class CauseSpecificCox:
    """Two fitted lifelines Cox models (admission, death) and the Aalen–Johansen combination."""

    name: str
    features: tuple[str, ...]
    admission: Any  # lifelines.CoxPHFitter
    death: Any  # lifelines.CoxPHFitter
    times: np.ndarray  # event times (months) where either baseline hazard jumps
    d_admission: np.ndarray  # baseline hazard increments at ``times``
    d_death: np.ndarray

    def predict_cif(self, frame: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame:
        hs = check_horizons(horizons)
        x = frame[list(self.features)]
        r_adm = np.asarray(self.admission.predict_partial_hazard(x), dtype=np.float64)
        r_death = np.asarray(self.death.predict_partial_hazard(x), dtype=np.float64)
        upto = self.times <= hs[-1]
        times, da0, dd0 = self.times[upto], self.d_admission[upto], self.d_death[upto]
        cols = np.searchsorted(times, hs, side="right")  # number of jumps at or before h
        out = np.zeros((len(frame), len(hs)))
        for lo in range(0, len(frame), _CHUNK):
            ra, rd = r_adm[lo : lo + _CHUNK, None], r_death[lo : lo + _CHUNK, None]
            da, dd = da0[None, :] * ra, dd0[None, :] * rd
            stay = np.clip(1 - da - dd, 0.0, 1.0)
            before = np.cumprod(np.hstack([np.ones((ra.shape[0], 1)), stay[:, :-1]]), axis=1)
            cif = np.hstack([np.zeros((ra.shape[0], 1)), np.cumsum(before * da, axis=1)])
            out[lo : lo + _CHUNK] = cif[:, cols]
        return pd.DataFrame(np.clip(out, 0.0, 1.0), index=frame.index, columns=hs)


def fit_cause_specific_cox(
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    penalizer: float = 0.0,
    name: str = "cause-specific Cox",
) -> CauseSpecificCox:
    """Fit a Cox model for admission (deaths censored) and one for death (admissions censored).

    ``penalizer`` is lifelines' L2 penalty, none by default: lifelines scales it against the
    mean log-likelihood per person, so with admissions as rare as here even 0.01 shrinks the
    coefficients enough to flatten the risks (20,000 people: calibration slope 1.6 against the
    truth, 1.15 without).
    """
    feats = tuple(features)
    check_frame(frame, feats)
    _check_events(frame)
    lifelines = _extra("lifelines")
    data = frame[list(feats)].astype(np.float64).copy()
    data[TIME] = frame[TIME].to_numpy(dtype=np.float64)
    fitted = {}
    for cause in (ADMISSION, DEATH):
        data["_event"] = (frame[EVENT] == cause).to_numpy().astype(np.int8)
        model = lifelines.CoxPHFitter(penalizer=penalizer)
        model.fit(data, duration_col=TIME, event_col="_event", fit_options=_NEWTON)
        fitted[cause] = model
    times = np.union1d(
        fitted[ADMISSION].baseline_cumulative_hazard_.index.to_numpy(dtype=np.float64),
        fitted[DEATH].baseline_cumulative_hazard_.index.to_numpy(dtype=np.float64),
    )
    increments = []
    for cause in (ADMISSION, DEATH):
        cum = fitted[cause].baseline_cumulative_hazard_.iloc[:, 0]
        on_grid = cum.reindex(times).ffill().fillna(0.0).to_numpy(dtype=np.float64)
        increments.append(np.diff(on_grid, prepend=0.0))
    jumps = (increments[0] > 0) | (increments[1] > 0)
    return CauseSpecificCox(
        name=name,
        features=feats,
        admission=fitted[ADMISSION],
        death=fitted[DEATH],
        times=times[jumps],
        d_admission=increments[0][jumps],
        d_death=increments[1][jumps],
    )


def fit_age_only(frame: pd.DataFrame, *, age: str = "age") -> CauseSpecificCox:
    """The naive baseline: the cause-specific Cox model with age as its only feature."""
    return fit_cause_specific_cox(frame, [age], name="age only")


# -- discrete time ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscreteTime:
    """A multinomial classifier of person-months: 0 none, 1 admission, 2 death."""

    name: str
    features: tuple[str, ...]
    classifier: Any  # a fitted scikit-learn classifier with predict_proba
    months: int  # the longest horizon it can predict

    def predict_cif(self, frame: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame:
        hs = check_horizons(horizons)
        if hs[-1] > self.months:
            raise ValueError(
                f"this model was fitted for horizons up to {self.months} months; asked {hs[-1]}"
            )
        x = frame[list(self.features)].to_numpy(dtype=np.float64)
        n, k = len(frame), hs[-1]
        out = np.zeros((n, len(hs)))
        for lo in range(0, n, _CHUNK):
            xb = x[lo : lo + _CHUNK]
            m = xb.shape[0]
            rows = np.hstack([np.repeat(xb, k, axis=0), np.tile(np.arange(k), m)[:, None]])
            proba = self.classifier.predict_proba(rows).reshape(m, k, 3)
            stay, p_adm = proba[:, :, 0], proba[:, :, 1]
            before = np.cumprod(np.hstack([np.ones((m, 1)), stay[:, :-1]]), axis=1)
            cif = np.cumsum(before * p_adm, axis=1)
            out[lo : lo + _CHUNK] = cif[:, [h - 1 for h in hs]]
        return pd.DataFrame(np.clip(out, 0.0, 1.0), index=frame.index, columns=hs)


def person_months(
    frame: pd.DataFrame, features: Sequence[str], months: int
) -> tuple[np.ndarray, np.ndarray]:
    """Expand a landmark frame to person-month rows (features + month since landmark).

    Month *k* covers ``[k, k+1)``. A person with an event at time *t* < ``months`` contributes
    months ``0..floor(t)``, the last with the event's class (1 admission, 2 death); everyone else
    contributes the months they were followed in full, up to ``months``, all class 0.
    """
    t = frame[TIME].to_numpy(dtype=np.float64)
    e = frame[EVENT].to_numpy()
    k_event = np.floor(t).astype(np.int64)
    has_event = ((e == ADMISSION) | (e == DEATH)) & (k_event < months)
    n_rows = np.where(has_event, k_event + 1, np.minimum(k_event, months))
    person = np.repeat(np.arange(len(frame)), n_rows)
    month = np.arange(person.size) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    y = np.zeros(person.size, dtype=np.int8)
    last = np.cumsum(n_rows)[has_event & (n_rows > 0)] - 1
    y[last] = np.where(e[has_event & (n_rows > 0)] == ADMISSION, 1, 2)
    x = frame[list(features)].to_numpy(dtype=np.float64)[person]
    return np.hstack([x, month[:, None].astype(np.float64)]), y


def fit_discrete_time(
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    learner: Literal["logistic", "boosting"] = "logistic",
    months: int = 18,
    seed: int = 0,
) -> DiscreteTime:
    """Fit a discrete-time competing-risks model on person-months up to ``months``.

    ``learner="logistic"``: multinomial logistic regression on standardised features and the
    month since the landmark (near-unpenalised, C = 100). ``learner="boosting"``: a histogram
    gradient-boosted classifier, shallow and slow-learning, since admissions are about one
    person-month in a thousand.
    """
    feats = tuple(features)
    check_frame(frame, feats)
    _check_events(frame)
    x, y = person_months(frame, feats, months)
    if learner == "logistic":
        linear = _extra("sklearn.linear_model")
        pipeline = _extra("sklearn.pipeline")
        preprocessing = _extra("sklearn.preprocessing")
        classifier: Any = pipeline.make_pipeline(
            preprocessing.StandardScaler(),
            linear.LogisticRegression(C=100.0, max_iter=2000, random_state=seed),
        )
    elif learner == "boosting":
        ensemble = _extra("sklearn.ensemble")
        classifier = ensemble.HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=150,
            max_depth=3,
            min_samples_leaf=200,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    else:
        raise ValueError(f"learner must be 'logistic' or 'boosting'; got {learner!r}")
    classifier.fit(x, y)
    classes = list(classifier.classes_)
    if classes != [0, 1, 2]:
        raise UserError(f"the person-months hold classes {classes}; need none, admission, death")
    return DiscreteTime(
        name=f"discrete-time ({learner})", features=feats, classifier=classifier, months=months
    )
