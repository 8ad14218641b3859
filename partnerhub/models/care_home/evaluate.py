"""Performance of predicted cumulative incidences at each horizon, on a landmark frame.

Per horizon, on the people whose outcome by then is known (:func:`frame.outcome_by`: cases
admitted by *h*; controls event-free past *h* or dead first; censored before *h* left out):

* **AUC** — the probability that a case scores above a control (ties count half); with cases
  admitted by *h* and controls everyone else known by *h*, this is the cumulative/dynamic
  time-dependent AUC at *h*, in its competing-risks form where those who died first are
  controls;
* **Brier score** — mean squared difference between prediction and outcome;
* **calibration slope** — *b* of the logistic recalibration ``logit P(y) = a + b logit(p)``
  (1 is ideal; < 1 means predictions too extreme, the mark of overfitting);
* **calibration-in-the-large** — mean observed − mean predicted, and its intercept form: *a*
  of ``logit P(y) = a + logit(p)`` (the offset fixed; 0 is ideal);
* a **calibration table** by decile of prediction;
* with the true probabilities (synthetic data only), the **Bayes-optimal AUC** of the same
  people (:func:`truth.bayes_auc`), the model's **expected AUC** under the truth (its score
  against Bernoulli(true p) outcomes, free of outcome noise) and both ratios; and calibration
  against the true probabilities instead of the outcomes (the same logistic recalibration with
  the true probability as a fractional outcome, and mean true − mean predicted), which is free
  of outcome noise too: the true probability given the future hazard path averages, over that
  path, to the probability given what is known at the landmark.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from partnerhub.models.care_home.frame import check_horizons, outcome_by
from partnerhub.models.care_home.truth import bayes_auc, expected_auc

__all__ = [
    "METRICS",
    "auc",
    "brier",
    "calibration",
    "calibration_table",
    "evaluate",
    "evaluate_by_group",
    "evaluate_with_intervals",
]

METRICS = ("auc", "brier", "calibration_slope", "calibration_intercept", "citl")

_EPS = 1e-9


def auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """Mann–Whitney AUC of ``score`` for the boolean ``outcome`` (ties count half)."""
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(outcome, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def brier(probability: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared error of the probabilities."""
    p = np.asarray(probability, dtype=np.float64)
    return float(np.mean((p - np.asarray(outcome, dtype=np.float64)) ** 2))


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


def _logistic_fit(y: np.ndarray, offset: np.ndarray, x: np.ndarray | None) -> tuple[float, float]:
    """Maximum-likelihood (intercept, slope) of ``logit P(y) = a + b x + offset`` by Newton;
    slope is nan when ``x`` is None (intercept only)."""
    cols = [np.ones_like(offset)] if x is None else [np.ones_like(offset), x]
    design = np.column_stack(cols)
    beta = np.zeros(design.shape[1])
    for _ in range(100):
        eta = design @ beta + offset
        mu = 1 / (1 + np.exp(-eta))
        w = mu * (1 - mu)
        grad = design.T @ (y - mu)
        hess = design.T @ (design * w[:, None])
        step = np.linalg.solve(hess + 1e-12 * np.eye(len(beta)), grad)
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(beta[0]), (float(beta[1]) if x is not None else float("nan"))


def calibration(probability: np.ndarray, outcome: np.ndarray) -> dict[str, float]:
    """Calibration slope, intercept-form calibration-in-the-large, and observed − predicted."""
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    if y.sum() == 0 or y.sum() == y.size:
        nan = float("nan")
        return {"slope": nan, "intercept": nan, "citl": float(y.mean() - p.mean())}
    lp = _logit(p)
    _, slope = _logistic_fit(y, np.zeros_like(lp), lp)
    intercept, _ = _logistic_fit(y, lp, None)
    return {"slope": slope, "intercept": intercept, "citl": float(y.mean() - p.mean())}


def calibration_table(
    probability: np.ndarray, outcome: np.ndarray, groups: int = 10
) -> pd.DataFrame:
    """People grouped by decile (``groups``) of prediction: n, mean predicted, observed rate."""
    p = np.asarray(probability, dtype=np.float64)
    y = np.asarray(outcome, dtype=np.float64)
    rank = pd.Series(p).rank(method="first").to_numpy()
    group = np.minimum(((rank - 1) * groups // max(p.size, 1)).astype(np.int64), groups - 1) + 1
    table = (
        pd.DataFrame({"group": group, "predicted": p, "observed": y})
        .groupby("group")
        .agg(n=("observed", "size"), predicted=("predicted", "mean"), observed=("observed", "mean"))
        .reset_index()
    )
    return table


def evaluate(
    frame: pd.DataFrame,
    predicted: pd.DataFrame,
    horizons: Sequence[int],
    true_probability: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per horizon: n, cases, AUC, Brier, calibration (slope, intercept, CITL) and,
    given ``true_probability`` (same index and columns as ``predicted``), the Bayes-optimal
    AUC, the model's expected AUC under the truth and the ratios to the Bayes AUC.

    ``predicted`` is a model's ``predict_cif`` on ``frame`` (aligned by index).
    """
    hs = check_horizons(horizons)
    for name, other in (("predicted", predicted), ("true_probability", true_probability)):
        if other is not None and not other.index.equals(frame.index):
            raise ValueError(f"{name} must have the landmark frame's index (row for row)")
    rows = []
    for h in hs:
        known, admitted = outcome_by(frame, h)
        p = predicted[h].to_numpy(dtype=np.float64)[known]
        y = admitted[known]
        row: dict[str, float] = {
            "horizon": h,
            "n": int(known.sum()),
            "cases": int(y.sum()),
            "observed": float(y.mean()) if y.size else float("nan"),
            "predicted": float(p.mean()) if p.size else float("nan"),
            "auc": auc(p, y),
            "brier": brier(p, y),
        }
        cal = calibration(p, y)
        row.update(
            calibration_slope=cal["slope"],
            calibration_intercept=cal["intercept"],
            citl=cal["citl"],
        )
        if true_probability is not None:
            truth = true_probability[h].to_numpy(dtype=np.float64)[known]
            best = bayes_auc(truth)
            expected = expected_auc(p, truth)
            against_truth = calibration(p, truth)
            row.update(
                bayes_auc=best,
                expected_auc=expected,
                auc_ratio=row["auc"] / best,
                expected_auc_ratio=expected / best,
                true_calibration_slope=against_truth["slope"],
                true_citl=against_truth["citl"],
            )
        rows.append(row)
    return pd.DataFrame(rows)


def evaluate_by_group(
    frame: pd.DataFrame,
    predicted: pd.DataFrame,
    horizons: Sequence[int],
    group: pd.Series,
    true_probability: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`evaluate` within each value of ``group`` (aligned with the frame: sex, age band,
    deprivation quintile, …), one row per group and horizon, the group in column ``group``."""
    if not group.index.equals(frame.index):
        raise ValueError("group must have the landmark frame's index (row for row)")
    parts = []
    for value in sorted(group.dropna().unique()):
        rows = (group == value).to_numpy()
        truth = None if true_probability is None else true_probability.loc[rows]
        table = evaluate(frame.loc[rows], predicted.loc[rows], horizons, truth)
        parts.append(table.assign(group=value))
    return pd.concat(parts, ignore_index=True)


def evaluate_with_intervals(
    frame: pd.DataFrame,
    predicted: pd.DataFrame,
    horizons: Sequence[int],
    *,
    draws: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Each metric of :data:`METRICS` per horizon with a percentile bootstrap interval: people
    resampled with replacement ``draws`` times (seeded), one row per horizon and metric with
    ``estimate``, ``lower`` and ``upper``."""
    if draws < 10 or not 0 < level < 1:
        raise ValueError("draws must be >= 10 and level in (0, 1)")
    estimate = evaluate(frame, predicted, horizons).set_index("horizon")
    rng = np.random.default_rng(seed)
    n = len(frame)
    samples = []
    for _ in range(draws):
        rows = rng.integers(0, n, size=n)
        table = evaluate(frame.iloc[rows], predicted.iloc[rows], horizons)
        samples.append(table.set_index("horizon")[list(METRICS)])
    stacked = np.stack([s.to_numpy(dtype=np.float64) for s in samples])  # draws × h × metrics
    tail = (1 - level) / 2
    lower = np.nanquantile(stacked, tail, axis=0)
    upper = np.nanquantile(stacked, 1 - tail, axis=0)
    out = []
    for i, h in enumerate(estimate.index):
        for j, metric in enumerate(METRICS):
            out.append(
                {
                    "horizon": int(h),
                    "metric": metric,
                    "estimate": float(estimate.loc[h, metric]),
                    "lower": float(lower[i, j]),
                    "upper": float(upper[i, j]),
                }
            )
    return pd.DataFrame(out)
