"""The ceiling on synthetic data: true cumulative incidence and the Bayes-optimal AUC.

A synthetic partnership keeps every older person's true monthly probabilities of care-home
admission (``care_home_hazard``, *hc*) and of death (``death_hazard``, *hd*) as truth
(``truth/care_home_hazards.parquet``: person_id, month, care_home_hazard, death_hazard). From
them this module computes, for the people at risk at a landmark month *L*, the true cumulative
incidence of admission by each horizon *h* with death as a competing risk, and the best AUC any
score could reach on those people.

**Order within a month.** The generator draws death first and admission only among those who
do not die that month, so in month *m* the probability of admission is ``hc(m) * (1 - hd(m))``
and of death ``hd(m)``; the probability of staying event-free is ``(1 - hc)(1 - hd)``. Hence::

    S(L) = 1,  S(m + 1) = S(m) * (1 - hc(m)) * (1 - hd(m))
    CIF(h) = sum over m in [L, L + h) of S(m) * hc(m) * (1 - hd(m))

(The simpler ``S * hc`` with ``S`` built from ``1 - hc - hd``, which ``death_first=False``
gives, differs by ``hc * hd`` a month: by a median 0.2 % of the 18-month CIF, but up to 0.06
for the few people whose monthly death hazard is very high, who cannot also be admitted in the
month they die.)

**Months without a recorded at-home hazard.** Hazards are recorded while a person is alive and
in the county; after a care-home admission the admission hazard is 0. A CIF that stopped at the
person's own event would depend on the outcome, so from the last month in which the person was
at home the hazards are carried forward unchanged to the end of the horizon.

**What this ceiling knows.** The path of true hazards after *L* reflects risk factors that arise
later (an emergency admission in month *L* + 3 raises that month's hazard about five-fold, as do
new falls and dementia onset). It is the probability given the whole future hazard path, so it
bounds from above what any model that sees only facts dated before *L* can reach: a ratio of a
model's AUC to it below 1 is partly this future information, not only model error.

**What it misses.** About a quarter of the generator's admissions are the 91-day outcomes of
reablement, scheduled when reablement starts rather than drawn from the monthly hazard, so
observed admissions run some 14 % above the mean true CIF (a 50,000-person partnership,
landmark month 30).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from partnerhub.models.care_home.frame import check_horizons

__all__ = ["bayes_auc", "expected_auc", "true_cif"]

HAZARD_COLUMNS = ("person_id", "month", "care_home_hazard", "death_hazard")


def true_cif(
    hazards: pd.DataFrame,
    landmark_month: int,
    horizons: Sequence[int],
    *,
    death_first: bool = True,
) -> pd.DataFrame:
    """True cumulative incidence of care-home admission by each horizon (months), death competing.

    ``hazards`` has the columns of ``truth/care_home_hazards.parquet``. The people returned are
    those at risk at ``landmark_month``: a row that month with a positive admission hazard (aged
    65+, alive, in the county and living at home). Result: index ``person_id`` (sorted), one
    column per horizon (int), values in [0, 1].
    """
    missing = [c for c in HAZARD_COLUMNS if c not in hazards.columns]
    if missing:
        raise ValueError(f"hazards lack columns {missing}")
    hs = check_horizons(horizons)
    at_l = hazards.loc[
        (hazards["month"] == landmark_month) & (hazards["care_home_hazard"] > 0), "person_id"
    ]
    people = np.sort(at_l.to_numpy(dtype=np.int64))
    width = hs[-1]
    window = hazards.loc[
        (hazards["month"] >= landmark_month)
        & (hazards["month"] < landmark_month + width)
        & hazards["person_id"].isin(people)
    ]
    row = np.searchsorted(people, window["person_id"].to_numpy(dtype=np.int64))
    col = window["month"].to_numpy(dtype=np.int64) - landmark_month
    hc = np.full((people.size, width), np.nan)
    hd = np.full((people.size, width), np.nan)
    hc[row, col] = window["care_home_hazard"].to_numpy(dtype=np.float64)
    hd[row, col] = window["death_hazard"].to_numpy(dtype=np.float64)
    hc, hd = _carry_forward_at_home(hc, hd)
    cif = _cumulative_incidence(hc, hd, death_first=death_first)
    out = pd.DataFrame({h: cif[:, h - 1] for h in hs}, index=pd.Index(people, name="person_id"))
    return out


def _carry_forward_at_home(hc: np.ndarray, hd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace every month from a person's first month not at home (no row, or hc == 0) by the
    hazards of their last month at home (month 0 is at home by construction)."""
    at_home = np.isfinite(hc) & (hc > 0)
    first_gone = np.where(at_home.all(axis=1), hc.shape[1], np.argmin(at_home, axis=1))
    months = np.arange(hc.shape[1])
    gone = months[None, :] >= first_gone[:, None]
    last = np.maximum(first_gone - 1, 0)
    rows = np.arange(hc.shape[0])
    hc = np.where(gone, hc[rows, last][:, None], hc)
    hd = np.where(gone, hd[rows, last][:, None], hd)
    return hc, hd


def _cumulative_incidence(hc: np.ndarray, hd: np.ndarray, *, death_first: bool) -> np.ndarray:
    """CIF of admission at the end of each month (column k: months 0..k), people × months."""
    if death_first:
        p_adm = hc * (1 - hd)
        stay = (1 - hc) * (1 - hd)
    else:
        p_adm = hc
        stay = 1 - hc - hd
    survival_before = np.cumprod(np.hstack([np.ones((hc.shape[0], 1)), stay[:, :-1]]), axis=1)
    return np.cumsum(survival_before * p_adm, axis=1)


def expected_auc(score: np.ndarray | pd.Series, probability: np.ndarray | pd.Series) -> float:
    """Expected AUC of ``score`` when each person's outcome is Bernoulli(``probability``).

    Over ordered pairs of different people (i, j), the pair counts as (case i, control j) with
    probability ``p_i (1 - p_j)``; it is concordant when ``s_i > s_j`` and half when tied::

        sum_{i != j} p_i (1 - p_j) ([s_i > s_j] + 0.5 [s_i == s_j])
        ----------------------------------------------------------
        sum_{i != j} p_i (1 - p_j)  =  (sum p)(sum (1 - p)) - sum p (1 - p)

    This is the ratio of the expected concordance count to the expected number of case–control
    pairs: the AUC a large sample converges to, without outcome noise. O(n log n).
    """
    s = np.asarray(score, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    if s.shape != p.shape or s.ndim != 1:
        raise ValueError("score and probability must be 1-d and of equal length")
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(s)):
        raise ValueError("probabilities must be in [0, 1] and scores finite")
    q = 1 - p
    denominator = p.sum() * q.sum() - float(np.sum(p * q))
    if denominator <= 0:
        return float("nan")
    order = np.argsort(s, kind="stable")
    s_sorted, p_sorted, q_sorted = s[order], p[order], q[order]
    # Groups of tied scores, by the start index of each group in score order.
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    q_group = np.add.reduceat(q_sorted, starts)
    p_group = np.add.reduceat(p_sorted, starts)
    pq_group = np.add.reduceat(p_sorted * q_sorted, starts)
    q_below = np.cumsum(q_group) - q_group  # sum of (1 - p) over strictly lower scores
    concordant = float(np.sum(p_group * q_below))
    ties = 0.5 * float(np.sum(p_group * q_group - pq_group))
    return (concordant + ties) / denominator


def bayes_auc(probability: np.ndarray | pd.Series) -> float:
    """The Bayes-optimal AUC: the expected AUC of the true probability used as the score."""
    return expected_auc(probability, probability)
