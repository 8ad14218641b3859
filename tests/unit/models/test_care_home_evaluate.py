"""Outcomes by a horizon and the performance measures (partnerhub.models.care_home.evaluate)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partnerhub.models.care_home import (
    auc,
    brier,
    calibration,
    calibration_table,
    evaluate,
    evaluate_by_group,
    evaluate_with_intervals,
    outcome_by,
)


def _frame(rows: list[tuple[float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["time", "event"])


def test_a_person_who_dies_first_is_a_control_never_an_admission() -> None:
    frame = _frame(
        [
            (3.0, "admission"),  # case at 6, 12, 18
            (2.0, "death"),  # died first: control at every horizon
            (8.0, "admission"),  # control at 6 (event-free past 6), case at 12
            (4.0, "censored"),  # left the county before 6: unknown at every horizon
            (12.0, "censored"),  # censored at 12 exactly: known control at 6 and 12
            (18.0, "censored"),  # end of follow-up
        ]
    )
    known6, case6 = outcome_by(frame, 6)
    known12, case12 = outcome_by(frame, 12)
    known18, case18 = outcome_by(frame, 18)
    assert known6.tolist() == [True, True, True, False, True, True]
    assert case6.tolist() == [True, False, False, False, False, False]
    assert case12.tolist() == [True, False, True, False, False, False]
    assert known12.tolist() == [True, True, True, False, True, True]
    assert known18.tolist() == [True, True, True, False, False, True]
    assert case18.tolist() == case12.tolist()


def test_auc_and_brier_on_a_small_example() -> None:
    score = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    y = np.array([True, False, True, False, False])
    # pairs (case, control): 0.9 beats all three; 0.8 ties one, beats two -> (3 + 2.5) / 6
    assert auc(score, y) == pytest.approx(5.5 / 6)
    assert brier(score, y) == pytest.approx(np.mean((score - y) ** 2))
    assert np.isnan(auc(score, np.zeros(5, dtype=bool)))


def test_calibration_of_true_probabilities_and_of_distorted_ones() -> None:
    """50,000 outcomes drawn from known probabilities (seeded). Refitting over 200 other
    seeds, the slope's standard deviation is 0.014 (mean 1.000) and the intercept's 0.014, so
    ±0.05 is over three of them (this seed: slope 1.021, intercept −0.020). Predictions with
    twice the true log-odds must give half the slope; log-odds 0.5 too low, an intercept of
    0.5."""
    rng = np.random.default_rng(8)
    lp = rng.normal(-2.0, 1.0, size=50_000)
    p = 1 / (1 + np.exp(-lp))
    y = rng.random(p.size) < p
    true = calibration(p, y)
    assert true["slope"] == pytest.approx(1.0, abs=0.05)
    assert true["intercept"] == pytest.approx(0.0, abs=0.05)
    assert true["citl"] == pytest.approx(y.mean() - p.mean())
    too_extreme = calibration(1 / (1 + np.exp(-2 * lp)), y)
    assert too_extreme["slope"] == pytest.approx(0.5, abs=0.03)
    too_low = calibration(1 / (1 + np.exp(-(lp - 0.5))), y)
    assert too_low["intercept"] == pytest.approx(0.5, abs=0.05)
    assert too_low["citl"] > 0.03


def test_calibration_table_by_decile() -> None:
    p = np.linspace(0.0, 0.99, 100)
    y = np.arange(100) % 2 == 0
    table = calibration_table(p, y)
    assert table["n"].tolist() == [10] * 10
    assert table["group"].tolist() == list(range(1, 11))
    assert table["predicted"].tolist() == pytest.approx(
        [p[10 * k : 10 * k + 10].mean() for k in range(10)]
    )
    assert table["observed"].tolist() == pytest.approx([0.5] * 10)


def test_evaluate_per_horizon_with_the_truth() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    truth = pd.DataFrame({6: rng.beta(1, 30, n)})
    truth[12] = np.minimum(truth[6] * 2, 1.0)
    u = rng.random(n)
    time = np.where(u < truth[6], 3.0, np.where(u < truth[12], 9.0, 20.0))
    frame = _frame(
        list(zip(time, ["admission" if t < 20 else "censored" for t in time], strict=True))
    )
    table = evaluate(frame, truth, [6, 12], truth)
    assert table["horizon"].tolist() == [6, 12]
    assert table["cases"].tolist() == [int((time == 3).sum()), int((time < 20).sum())]
    assert table["expected_auc_ratio"].tolist() == pytest.approx([1.0, 1.0])
    assert table["true_calibration_slope"].tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    assert table["true_citl"].tolist() == pytest.approx([0.0, 0.0], abs=1e-12)
    with pytest.raises(ValueError, match="index"):
        evaluate(frame, truth.iloc[::-1], [6], None)
    sex = pd.Series(np.where(np.arange(n) % 2 == 0, "F", "M"), index=frame.index)
    by_sex = evaluate_by_group(frame, truth, [6, 12], sex, truth)
    assert by_sex["group"].tolist() == ["F", "F", "M", "M"]
    women = evaluate(frame.iloc[::2], truth.iloc[::2], [6, 12], truth.iloc[::2])
    assert by_sex.loc[by_sex["group"] == "F", "auc"].tolist() == women["auc"].tolist()
    assert by_sex["n"].sum() == table["n"].sum()


def _simulated(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    p = pd.DataFrame({12: 1 / (1 + np.exp(-rng.normal(-2.5, 1.0, n)))})
    admitted = rng.random(n) < p[12].to_numpy()
    time = np.where(admitted, 6.0, 18.0)
    events = np.where(admitted, "admission", "censored")
    return _frame(list(zip(time, events, strict=True))), p


def test_bootstrap_intervals_hold_the_estimate_narrow_with_n_and_repeat_with_a_seed() -> None:
    frame, p = _simulated(2000, seed=1)
    table = evaluate_with_intervals(frame, p, [12], draws=100, seed=7)
    assert table["metric"].tolist() == [
        "auc",
        "brier",
        "calibration_slope",
        "calibration_intercept",
        "citl",
    ]
    assert (table["lower"] <= table["estimate"]).all() and (
        table["estimate"] <= table["upper"]
    ).all()
    again = evaluate_with_intervals(frame, p, [12], draws=100, seed=7)
    pd.testing.assert_frame_equal(table, again, check_exact=True)
    big_frame, big_p = _simulated(8000, seed=2)
    big = evaluate_with_intervals(big_frame, big_p, [12], draws=100, seed=7)
    # four times the people: intervals about half as wide (sampling noise of 100 draws aside)
    ratio = (big["upper"] - big["lower"]) / (table["upper"] - table["lower"])
    assert ratio.between(0.35, 0.7).all(), ratio
    with pytest.raises(ValueError, match="draws"):
        evaluate_with_intervals(frame, p, [12], draws=5)
