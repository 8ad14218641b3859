"""Indicator statistics as public health in England computes them (PHE/OHID's Technical Guide
and the PHEindicatormethods R package): Wilson score intervals for proportions, Byar's method
for rates (the exact Poisson interval for small counts), Dobson's method for directly
standardised rates with the 2013 European Standard Population, and the comparison of an area
with its parent ("better / similar / worse", by polarity).

Every function is vectorised over NumPy arrays and returns NaN where a value is undefined
(for example a proportion with a zero denominator).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "CONFIDENCE_LEVELS",
    "ESP_2013",
    "ESP_2013_BANDS",
    "EXACT_BELOW",
    "Polarity",
    "byar_interval",
    "compare_with_parent",
    "dobson_dsr",
    "dobson_dsrs",
    "dsr_computable",
    "exact_poisson_interval",
    "funnel_limits",
    "rate_interval",
    "wilson_interval",
    "z_value",
]

CONFIDENCE_LEVELS = (0.95, 0.998)  # Fingertips shows 95 % and 99.8 % limits
EXACT_BELOW = 10  # counts below this use the exact Poisson interval instead of Byar's
# The 2013 European Standard Population (Eurostat), 5-year bands to 90+, per 100,000.
ESP_2013_BANDS = (
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
    "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
)  # fmt: skip
ESP_2013 = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip
Polarity = Literal["high_is_good", "low_is_good", "no_judgement"]
Floats = NDArray[np.float64]


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for a confidence level (0.95 → 1.95996…)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(
    numerator: ArrayLike, denominator: ArrayLike, confidence: float = 0.95
) -> tuple[Floats, Floats]:
    """Wilson score interval of the proportion numerator / denominator (as a fraction)."""
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = 2 * x + z**2
        spread = z * np.sqrt(z**2 + 4 * x * (1 - p))
        scale = 2 * (n + z**2)
        lower, upper = (centre - spread) / scale, (centre + spread) / scale
    bad = ~(n > 0) | (x < 0) | (x > n)
    lower = np.where(bad, np.nan, np.clip(lower, 0, 1))
    upper = np.where(bad, np.nan, np.clip(upper, 0, 1))
    return lower, upper


def exact_poisson_interval(count: ArrayLike, confidence: float = 0.95) -> tuple[Floats, Floats]:
    """Exact (Garwood) interval for a Poisson count, from the chi-squared distribution."""
    o = np.asarray(count, dtype=float)
    a = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(o > 0, stats.chi2.ppf(a / 2, 2 * o) / 2, 0.0)
        upper = stats.chi2.ppf(1 - a / 2, 2 * o + 2) / 2
    bad = o < 0
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def byar_interval(count: ArrayLike, confidence: float = 0.95) -> tuple[Floats, Floats]:
    """Byar's approximation to the exact Poisson interval of a count."""
    o = np.asarray(count, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    lower = np.where(o > 0, lower, 0.0)
    bad = o < 0
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def rate_interval(count: ArrayLike, confidence: float = 0.95) -> tuple[Floats, Floats]:
    """Limits of a count for a crude rate: exact below :data:`EXACT_BELOW`, Byar's above
    (divide by the denominator and multiply by the rate's multiplier)."""
    o = np.asarray(count, dtype=float)
    exact = exact_poisson_interval(o, confidence)
    byar = byar_interval(o, confidence)
    small = o < EXACT_BELOW
    return np.where(small, exact[0], byar[0]), np.where(small, exact[1], byar[1])


def dobson_dsr(
    counts: ArrayLike,
    populations: ArrayLike,
    standard: Sequence[float] = ESP_2013,
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """A directly standardised rate with Dobson's confidence limits.

    ``counts`` and ``populations`` are per age band, in the order of ``standard`` (default the
    2013 European Standard Population). Returns (rate, lower, upper) per ``multiplier``, with
    the rules of :func:`dobson_dsrs`.
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(populations, dtype=float)
    w = np.asarray(standard, dtype=float)
    if not x.shape == n.shape == w.shape:
        raise ValueError("counts, populations and the standard need one value per age band")
    rate, lower, upper = dobson_dsrs(x[None, :], n[None, :], standard, multiplier, confidence)
    return float(rate[0]), float(lower[0]), float(upper[0])


def dobson_dsrs(
    counts: ArrayLike,
    populations: ArrayLike,
    standard: Sequence[float] = ESP_2013,
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> tuple[Floats, Floats, Floats]:
    """:func:`dobson_dsr` for many areas at once: ``counts`` and ``populations`` are
    (areas × age bands); returns (rate, lower, upper) arrays.

    The rate is NaN (not computable, :func:`dsr_computable`) when a band has events but
    no population — its age-specific rate is undefined, and no population is ever made up —
    or when there is no population at all. A band with neither events nor population
    contributes nothing. The limits use Byar's interval of the total count, as
    PHEindicatormethods does, and are NaN below :data:`EXACT_BELOW` events (PHE does not
    publish a DSR's limits from fewer than 10 events) and where Dobson's approximation
    breaks down: it scales the interval of the *unweighted* count by sqrt(variance / count),
    which puts the lower limit below zero when the variance is dominated by a band with very
    few people (one 85-89-year-old with one admission among ten). Such an interval is not
    a valid one, so it is not given (never clipped to zero).
    """
    x = np.asarray(counts, dtype=float)
    n = np.asarray(populations, dtype=float)
    w = np.asarray(standard, dtype=float)
    if x.shape != n.shape or x.ndim != 2 or x.shape[1] != w.shape[0]:
        raise ValueError("counts and populations need one row per area, one column per band")
    computable = dsr_computable(x, n)
    total_w = w.sum()
    populated = n > 0
    safe_n = np.where(populated, n, 1.0)  # bands without population have no events here
    ratio = np.where(populated, w / safe_n, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dsr = (ratio * x).sum(axis=1) / total_w
        variance = (ratio**2 * x).sum(axis=1) / total_w**2
        observed = x.sum(axis=1)
        lo, hi = byar_interval(observed, confidence)
        factor = np.sqrt(variance / observed)
        lower = dsr + factor * (lo - observed)
        upper = dsr + factor * (hi - observed)
    # one band alone gives lower = ratio * lo >= 0: allow its rounding error
    valid = lower >= -1e-12 * dsr
    limits = computable & (observed >= EXACT_BELOW) & valid
    rate = np.where(computable, dsr * multiplier, np.nan)
    lower = np.where(limits, np.maximum(lower, 0.0) * multiplier, np.nan)
    upper = np.where(limits, upper * multiplier, np.nan)
    return rate, lower, upper


def dsr_computable(counts: ArrayLike, populations: ArrayLike) -> NDArray[np.bool_]:
    """Per area (row of age bands): False when a band has events but no population, there
    is no population at all, or a count or population is negative or missing."""
    x = np.asarray(counts, dtype=float)
    n = np.asarray(populations, dtype=float)
    broken = ((x > 0) & ~(n > 0)).any(axis=1) | ~(n > 0).any(axis=1)
    broken |= (x < 0).any(axis=1) | (n < 0).any(axis=1)
    broken |= np.isnan(x).any(axis=1) | np.isnan(n).any(axis=1)
    return ~broken


def compare_with_parent(
    value: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    parent_value: ArrayLike,
    polarity: Polarity,
) -> NDArray[np.str_]:
    """Fingertips' comparison: an area is significantly different from its parent when the
    parent's value lies outside the area's confidence interval; "better" or "worse" by the
    indicator's polarity ("higher" / "lower" when it has none)."""
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    parent = np.asarray(parent_value, dtype=float)
    del value
    above, below = lo > parent, hi < parent
    if polarity == "high_is_good":
        good, bad = "better", "worse"
    elif polarity == "low_is_good":
        good, bad = "worse", "better"
    else:
        good, bad = "higher", "lower"
    undefined = np.isnan(lo) | np.isnan(hi) | np.isnan(parent)
    out = np.where(above, good, np.where(below, bad, "similar"))
    return np.where(undefined, "not compared", out)


def funnel_limits(
    target: float,
    denominators: ArrayLike,
    statistic: Literal["proportion", "crude_rate"],
    confidence: float = 0.95,
) -> tuple[Floats, Floats]:
    """Control limits of a funnel plot (Spiegelhalter, *Funnel plots for comparing
    institutional performance*, Stat Med 2005): the range an area's value would fall in
    ``confidence`` of the time if its true value were ``target``, for each denominator.

    ``proportion``: binomial (``target`` a proportion, 0–1); ``crude_rate``: Poisson
    (``target`` events per unit of denominator). Exact quantiles, interpolated between the
    discrete steps as Spiegelhalter's appendix does, so the limits are smooth in the
    denominator. Multiply by the indicator's multiplier to plot."""
    n = np.asarray(denominators, dtype=float)
    tail = (1 - confidence) / 2
    out = []
    for p in (tail, 1 - tail):
        if statistic == "proportion":
            dist = stats.binom(np.maximum(n, 0).astype(np.int64), target)
        elif statistic == "crude_rate":
            dist = stats.poisson(target * n)
        else:
            raise ValueError(f"no funnel for statistic {statistic!r}")
        r = dist.ppf(p)
        at, below = dist.cdf(r), dist.cdf(r - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(at > below, (at - p) / (at - below), 0.0)
            limit = (r - alpha) / n
        if statistic == "proportion":
            limit = np.clip(limit, 0.0, 1.0)
        out.append(np.where(n > 0, np.maximum(limit, 0.0), np.nan))
    return out[0], out[1]
