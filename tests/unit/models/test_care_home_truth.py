"""The true cumulative incidence and the Bayes-optimal AUC (partnerhub.models.care_home.truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partnerhub.models.care_home import auc, bayes_auc, expected_auc, true_cif


def _hazards(rows: list[tuple[int, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["person_id", "month", "care_home_hazard", "death_hazard"])


def _constant(person: int, months: range, hc: float, hd: float) -> list:
    return [(person, m, hc, hd) for m in months]


def test_constant_hazards_give_the_closed_form() -> None:
    """Admission a = hc (1 - hd) and death hd each month: CIF(h) = a (1 - s^h) / (1 - s) with
    s = (1 - hc)(1 - hd); the simpler form (death_first=False) has a = hc, s = 1 - hc - hd."""
    hc, hd = 0.02, 0.05
    cif = true_cif(_hazards(_constant(7, range(0, 30), hc, hd)), 3, [6, 12, 18])
    a, s = hc * (1 - hd), (1 - hc) * (1 - hd)
    for h in (6, 12, 18):
        assert cif.loc[7, h] == pytest.approx(a * (1 - s**h) / (1 - s), rel=1e-12)
    simple = true_cif(_hazards(_constant(7, range(0, 30), hc, hd)), 3, [12], death_first=False)
    s2 = 1 - hc - hd
    assert simple.loc[7, 12] == pytest.approx(hc * (1 - s2**12) / (1 - s2), rel=1e-12)
    # death competing: well below the incidence if nobody died, 1 - (1 - hc)^h
    assert cif.loc[7, 18] < 0.8 * (1 - (1 - hc) ** 18)


def test_who_is_at_risk_and_the_months_after_a_persons_event() -> None:
    """At risk: a positive admission hazard in the landmark month. After the last month at
    home (no row: died or left; or hc == 0: admitted) the last hazards carry forward, so the
    CIF does not depend on the person's own outcome."""
    rows = _constant(1, range(0, 18), 0.01, 0.02)  # followed throughout
    rows += _constant(2, range(0, 4), 0.01, 0.02)  # died in month 3: no rows after
    rows += _constant(3, range(0, 3), 0.01, 0.02) + _constant(3, range(3, 18), 0.0, 0.04)
    rows += _constant(4, range(1, 18), 0.01, 0.02)  # not yet 65 at month 0
    rows += _constant(5, range(0, 18), 0.0, 0.02)  # in a care home at month 0
    cif = true_cif(_hazards(rows), 0, [6, 18])
    assert list(cif.index) == [1, 2, 3]
    assert cif.loc[2].tolist() == pytest.approx(cif.loc[1].tolist(), rel=1e-12)
    assert cif.loc[3].tolist() == pytest.approx(cif.loc[1].tolist(), rel=1e-12)


def test_a_hazard_path_is_summed_month_by_month() -> None:
    rows = [(1, 0, 0.1, 0.2), (1, 1, 0.3, 0.1), (1, 2, 0.05, 0.5)]
    cif = true_cif(_hazards(rows), 0, [1, 2, 3])
    s1 = 0.9 * 0.8
    s2 = s1 * 0.7 * 0.9
    expected = [0.1 * 0.8, 0.1 * 0.8 + s1 * 0.3 * 0.9, 0.1 * 0.8 + s1 * 0.27 + s2 * 0.05 * 0.5]
    assert cif.loc[1].tolist() == pytest.approx(expected, rel=1e-12)


def _brute_expected_auc(s: np.ndarray, p: np.ndarray) -> float:
    w = p[:, None] * (1 - p[None, :])
    np.fill_diagonal(w, 0.0)
    score = (s[:, None] > s[None, :]) + 0.5 * (s[:, None] == s[None, :])
    return float((w * score).sum() / w.sum())


def test_expected_auc_equals_the_pairwise_sum_with_ties() -> None:
    rng = np.random.default_rng(3)
    p = np.round(rng.beta(0.5, 8, size=300), 2)  # many ties
    s = np.round(p + rng.normal(0, 0.05, size=300), 1)
    assert expected_auc(s, p) == pytest.approx(_brute_expected_auc(s, p), rel=1e-12)
    assert bayes_auc(p) == pytest.approx(_brute_expected_auc(p, p), rel=1e-12)
    assert expected_auc(np.zeros(300), p) == pytest.approx(0.5, abs=1e-12)
    distinct = rng.random(300)
    assert expected_auc(-distinct, distinct) == pytest.approx(1 - bayes_auc(distinct), rel=1e-12)


def test_bayes_auc_matches_a_monte_carlo_simulation() -> None:
    """Outcomes drawn as Bernoulli(p), 4,000 times with a seed. The formula is the ratio of the
    expected concordant-pair count to the expected number of case–control pairs, so it equals
    the pooled ratio over draws up to Monte-Carlo error: with ~50 cases per draw one AUC has a
    standard deviation of 0.032, the pooled one about 0.032 / sqrt(4000) = 0.0005, and the
    tolerance is 3 of those (measured gap 0.0002). The mean of the draws' AUCs, whose
    ratio-of-means bias is small at this many cases, is held to 6 (measured 0.0003)."""
    rng = np.random.default_rng(16)
    n = 1000
    p = 1 / (1 + np.exp(-rng.normal(-3.5, 1.2, size=n)))
    best = bayes_auc(p)
    concordant = pairs = 0.0
    aucs = []
    ranks = pd.Series(p).rank().to_numpy()
    for _ in range(4000):
        y = rng.random(n) < p
        n1 = int(y.sum())
        n0 = n - n1
        concordant += ranks[y].sum() - n1 * (n1 + 1) / 2
        pairs += n1 * n0
        aucs.append(auc(p, y))
    assert concordant / pairs == pytest.approx(best, abs=0.0015)
    assert float(np.mean(aucs)) == pytest.approx(best, abs=0.003)
    assert 0.7 < best < 0.9  # the case is not degenerate


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        expected_auc(np.array([0.1, 0.2]), np.array([0.5, 1.5]))
    with pytest.raises(ValueError, match="horizons"):
        true_cif(_hazards(_constant(1, range(3), 0.1, 0.1)), 0, [0])
    with pytest.raises(ValueError, match="columns"):
        true_cif(pd.DataFrame({"person_id": [1]}), 0, [6])
