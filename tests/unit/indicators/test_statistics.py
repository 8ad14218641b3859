"""Indicator statistics against independent references, to 1e-9, on grids with zero and
small counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from partnerhub.indicators.statistics import (
    ESP_2013,
    EXACT_BELOW,
    byar_interval,
    compare_with_parent,
    dobson_dsr,
    exact_poisson_interval,
    rate_interval,
    wilson_interval,
    z_value,
)

LEVELS = [0.95, 0.998]


def test_esp_2013_adds_up_and_z_values() -> None:
    assert sum(ESP_2013) == 100_000 and len(ESP_2013) == 19
    assert z_value(0.95) == pytest.approx(1.959963984540054, abs=1e-12)
    assert z_value(0.998) == pytest.approx(3.090232306167813, abs=1e-12)


@pytest.mark.parametrize("confidence", LEVELS)
def test_wilson_matches_statsmodels(confidence: float) -> None:
    grid = [
        (x, n)
        for n in [*range(1, 31), 57, 100, 999, 12_345]
        for x in range(0, n + 1, max(1, n // 40))
    ]
    grid += [(n, n) for n in (1, 2, 7, 100)]
    x, n = np.array(grid, dtype=float).T
    lower, upper = wilson_interval(x, n, confidence)
    ref_lower, ref_upper = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose(lower, ref_lower, rtol=0, atol=1e-9)
    np.testing.assert_allclose(upper, ref_upper, rtol=0, atol=1e-9)
    assert np.isnan(wilson_interval([1], [0])[0]).all()  # no denominator, no interval


@pytest.mark.parametrize("confidence", LEVELS)
def test_exact_poisson_matches_statsmodels(confidence: float) -> None:
    counts = np.array([0, 1, 2, 3, 5, 7, 9, 10, 11, 25, 100, 388, 389, 5000], dtype=float)
    lower, upper = exact_poisson_interval(counts, confidence)
    ref_lower, ref_upper = confint_poisson(counts, 1.0, method="exact-c", alpha=1 - confidence)
    np.testing.assert_allclose(lower, np.nan_to_num(ref_lower), rtol=0, atol=1e-9)
    np.testing.assert_allclose(upper, ref_upper, rtol=0, atol=1e-9)


def _byar_reference(o: float, confidence: float) -> tuple[float, float]:
    """Byar's formulas written out term by term (PHE Technical Guide)."""
    z = stats.norm.isf((1 - confidence) / 2)
    lower = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("confidence", LEVELS)
def test_byar_matches_its_formula_and_approaches_the_exact_interval(confidence: float) -> None:
    counts = [0, 1, 3, 10, 11, 50, 389, 10_000]
    lower, upper = byar_interval(counts, confidence)
    for o, lo, hi in zip(counts, lower, upper, strict=True):
        ref = _byar_reference(o, confidence)
        assert lo == pytest.approx(ref[0], abs=1e-9) and hi == pytest.approx(ref[1], abs=1e-9)
    big = np.array([100.0, 1000.0, 10_000.0])
    byar, exact = byar_interval(big, confidence), exact_poisson_interval(big, confidence)
    np.testing.assert_allclose(byar[0], exact[0], rtol=2e-3)
    np.testing.assert_allclose(byar[1], exact[1], rtol=2e-3)


def test_rates_use_the_exact_interval_for_small_counts() -> None:
    counts = np.arange(0, 20, dtype=float)
    lower, upper = rate_interval(counts)
    exact, byar = exact_poisson_interval(counts), byar_interval(counts)
    small = counts < EXACT_BELOW
    np.testing.assert_array_equal(lower[small], exact[0][small])
    np.testing.assert_array_equal(upper[~small], byar[1][~small])


def _dobson_reference(
    x: list[float], n: list[float], w: tuple[int, ...], conf: float
) -> tuple[float, float, float]:
    total_w = sum(w)
    dsr = sum(wi * xi / ni for wi, xi, ni in zip(w, x, n, strict=True)) / total_w
    var = sum(wi**2 * xi / ni**2 for wi, xi, ni in zip(w, x, n, strict=True)) / total_w**2
    o = sum(x)
    lo, hi = _byar_reference(o, conf)
    f = math.sqrt(var / o)
    return dsr * 1e5, (dsr + f * (lo - o)) * 1e5, (dsr + f * (hi - o)) * 1e5


@pytest.mark.parametrize("confidence", LEVELS)
def test_dobson_dsr_matches_the_written_out_method(confidence: float) -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        populations = rng.integers(50, 5000, 19).astype(float)
        counts = rng.binomial(populations.astype(int), rng.uniform(0, 0.05, 19)).astype(float)
        counts[rng.integers(0, 19, 3)] = 0  # empty bands
        if counts.sum() < EXACT_BELOW:
            continue
        got = dobson_dsr(counts, populations, confidence=confidence)
        ref = _dobson_reference(list(counts), list(populations), ESP_2013, confidence)
        for a, b in zip(got, ref, strict=True):
            assert a == pytest.approx(b, abs=1e-9)
    few = dobson_dsr([1] + [0] * 18, [100] * 19)
    assert few[0] == pytest.approx(5000 / 100 / 100_000 * 1e5) and math.isnan(few[1])


def test_compare_with_parent_by_polarity() -> None:
    lower = [0.6, 0.3, 0.45, float("nan")]
    upper = [0.7, 0.4, 0.55, 0.5]
    parent = [0.5, 0.5, 0.5, 0.5]
    assert list(compare_with_parent(None, lower, upper, parent, "high_is_good")) == [
        "better",
        "worse",
        "similar",
        "not compared",
    ]
    assert list(compare_with_parent(None, lower, upper, parent, "low_is_good"))[:2] == [
        "worse",
        "better",
    ]
    assert list(compare_with_parent(None, lower, upper, parent, "no_judgement"))[:2] == [
        "higher",
        "lower",
    ]


def test_many_dsrs_at_once_equal_one_at_a_time() -> None:
    from partnerhub.indicators.statistics import dobson_dsr, dobson_dsrs

    rng = np.random.default_rng(3)
    pops = rng.integers(1, 400, size=(60, 19)).astype(float)
    counts = rng.binomial(pops.astype(int), 0.01).astype(float)
    counts[0] = 0  # no events
    counts[1, :] = 0
    counts[1, 5] = 3  # below 10: no limits
    for conf in (0.95, 0.998):
        rate, lower, upper = dobson_dsrs(counts, pops, confidence=conf)
        for i in range(len(pops)):
            one = dobson_dsr(counts[i], pops[i], confidence=conf)
            np.testing.assert_allclose(
                [rate[i], lower[i], upper[i]], one, rtol=1e-12, equal_nan=True
            )


@pytest.mark.parametrize("statistic", ["proportion", "crude_rate"])
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_funnel_limits_are_the_interpolated_quantiles_and_meet_the_normal_limits(
    statistic: str, confidence: float
) -> None:
    """Checked against the distribution written out (scipy's pmf summed here, not the
    function's quantiles): at each limit, the distribution function interpolated linearly
    between whole counts (Spiegelhalter 2005, appendix) equals the tail probability; for large
    denominators the limits meet the normal approximation."""
    from partnerhub.indicators.statistics import funnel_limits

    target = 0.3 if statistic == "proportion" else 0.004
    ns = np.array([20, 50, 200, 1_000, 5_000])
    lo, hi = funnel_limits(target, ns, statistic, confidence)  # type: ignore[arg-type]
    assert np.all(lo <= target) and np.all(hi >= target)
    assert np.all(np.diff(hi) < 0) and np.all(np.diff(lo) >= 0)  # the funnel narrows
    tail = (1 - confidence) / 2
    for n, low, high in zip(ns, lo, hi, strict=True):
        k = np.arange(0, int(n * 10) + 50)
        pmf = (
            stats.binom.pmf(k, n, target)
            if statistic == "proportion"
            else stats.poisson.pmf(k, target * n)
        )
        cdf = np.cumsum(pmf)

        def interpolated(x: float, cdf: np.ndarray = cdf, pmf: np.ndarray = pmf) -> float:
            r = math.ceil(x - 1e-12)  # the whole count at or above x
            below = cdf[r - 1] if r >= 1 else 0.0
            return float(below + (x - (r - 1)) * pmf[r])

        if low > 0:  # not clipped at zero
            assert interpolated(low * n) == pytest.approx(tail, abs=1e-9)
        assert interpolated(high * n) == pytest.approx(1 - tail, abs=1e-9)
    big = np.array([1e6])
    lo, hi = funnel_limits(target, big, statistic, confidence)  # type: ignore[arg-type]
    var = target * (1 - target) if statistic == "proportion" else target
    half = z_value(confidence) * np.sqrt(var / big)
    assert np.allclose(lo, target - half, rtol=2e-3) and np.allclose(hi, target + half, rtol=2e-3)


# -- a DSR's rules for empty bands and its lower limit (issue 14, item 1) -------------------


@st.composite
def _age_bands(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Populations of small areas (empty bands, bands of a few people, larger ones) and
    events mostly below a tenth of the people, now and then where no one lives."""
    people = st.integers(0, 9).flatmap(
        lambda k: st.just(0) if k == 0 else st.integers(1, 5) if k < 4 else st.integers(6, 3_000)
    )
    n = draw(st.lists(people, min_size=19, max_size=19))
    x = [draw(st.integers(0, max(1, p // 10))) for p in n]
    return np.array(x, dtype=float), np.array(n, dtype=float)


@given(bands=_age_bands())
@settings(max_examples=300, deadline=None)
def test_a_dobson_lower_limit_is_never_negative(bands: tuple[np.ndarray, np.ndarray]) -> None:
    """Over random bands (empty ones, ones of a few people, events where no one lives): the
    limits are given or not, never negative, around the value, and only from 10 events."""
    x, n = bands
    for confidence in LEVELS:
        rate, lower, upper = dobson_dsr(x, n, confidence=confidence)
        assert math.isnan(lower) == math.isnan(upper)
        if not math.isnan(lower):
            assert 0 <= lower <= rate <= upper
            assert x.sum() >= EXACT_BELOW


@given(bands=_age_bands())
@settings(max_examples=200, deadline=None)
def test_a_dsr_exists_exactly_when_every_band_with_events_has_people(
    bands: tuple[np.ndarray, np.ndarray],
) -> None:
    x, n = bands
    rate = dobson_dsr(x, n)[0]
    computable = not ((x > 0) & (n == 0)).any() and (n > 0).any()
    assert math.isnan(rate) == (not computable)
    if computable:
        w = np.array(ESP_2013, dtype=float)
        by_hand = sum(wi * xi / ni for wi, xi, ni in zip(w, x, n, strict=True) if ni > 0)
        assert rate == pytest.approx(by_hand / w.sum() * 1e5, rel=1e-12)


def test_dobson_breaks_down_on_a_band_of_one_person_and_gives_no_limits() -> None:
    """NI 39 of one LSOA (synthetic partnership of 5,000 people, seed 5, 2022/23): ten
    admissions, one of them the only 85-89-year-old. Dobson's 99.8 % lower limit written out
    is -337 per 100,000: not an interval, so none is given (95 % limits still hold)."""
    x = np.zeros(19)
    n = np.full(19, 50.0)
    for band, count, people in [
        (4, 1, 39), (5, 1, 63), (6, 1, 69), (7, 3, 58), (11, 1, 19), (12, 1, 18),
        (15, 1, 6), (17, 1, 1),
    ]:  # fmt: skip
        x[band], n[band] = count, people
    written_out = _dobson_reference(list(x), list(n), ESP_2013, 0.998)
    assert written_out[1] < 0  # the method itself goes negative here
    rate, lower, upper = dobson_dsr(x, n, confidence=0.998)
    assert rate == pytest.approx(written_out[0]) and math.isnan(lower) and math.isnan(upper)
    rate95, lower95, upper95 = dobson_dsr(x, n, confidence=0.95)
    ref95 = _dobson_reference(list(x), list(n), ESP_2013, 0.95)
    assert ref95[1] > 0 and (rate95, lower95, upper95) == pytest.approx(ref95)


def test_a_band_without_people_or_events_adds_nothing_and_one_with_events_is_not_computable() -> (
    None
):
    x = np.zeros(19)
    n = np.full(19, 100.0)
    x[[3, 10, 16]] = [4, 5, 6]
    n[18] = 0  # no one aged 90+ and no event there
    rate, lower, upper = dobson_dsr(x, n)
    w = np.array(ESP_2013, dtype=float)
    assert rate == pytest.approx((w * x / 100).sum() / w.sum() * 1e5)
    by_hand = _dobson_reference(list(x), [*n[:18], 1.0], ESP_2013, 0.95)  # 90+ adds nothing
    assert (lower, upper) == pytest.approx(by_hand[1:])
    x[18] = 1  # an event where no one lives: no rate is made up
    assert all(math.isnan(v) for v in dobson_dsr(x, n))
    assert all(math.isnan(v) for v in dobson_dsr(np.zeros(19), np.zeros(19)))
