"""The dashboard's funnel plot is built from the released table only: a point per area with a
released value, the target is the released areas' pooled value, and the limits are the
funnel limits of that target."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from partnerhub.indicators.statistics import funnel_limits
from partnerhub.web.dashboard import _funnel_spec


def _released() -> pd.DataFrame:
    rows = [
        ("Abbey", "45.0", "450", "1000", "better"),
        ("Brook", "30.0", "60", "200", "similar"),
        ("Chase", "[c]", "[c]", "[c]", "not compared"),
        ("Dell", "20.0", "100", "500", "worse"),
        ("Eden", "35.0", "1050", "3000", "similar"),
    ]
    return pd.DataFrame(
        rows, columns=["Area Name", "Value", "Count", "Denominator", "Compared to parent"]
    )


def test_funnel_points_target_and_limits_come_from_released_counts() -> None:
    spec = SimpleNamespace(statistic="proportion", multiplier=100.0, unit="%")
    funnel = _funnel_spec(_released(), spec)
    assert funnel is not None
    lines, rule, points = (layer["data"]["values"] for layer in funnel["layer"])
    assert [p["area"] for p in points] == ["Abbey", "Brook", "Dell", "Eden"]  # not Chase
    target = (450 + 60 + 100 + 1050) / (1000 + 200 + 500 + 3000)
    assert rule == [{"target": pytest.approx(100 * target)}]
    for band, confidence in (("95 % limits", 0.95), ("99.8 % limits", 0.998)):
        lower = [r for r in lines if r["band"] == band and r["side"] == "lower"]
        upper = [r for r in lines if r["band"] == band and r["side"] == "upper"]
        grid = np.array([r["denominator"] for r in lower])
        assert grid[0] == pytest.approx(200 * 0.8) and grid[-1] == pytest.approx(3000 * 1.2)
        lo, hi = funnel_limits(target, grid, "proportion", confidence)
        assert [r["limit"] for r in lower] == pytest.approx(list(100 * lo))
        assert [r["limit"] for r in upper] == pytest.approx(list(100 * hi))


def test_no_funnel_for_other_statistics_or_too_few_areas() -> None:
    dsr = SimpleNamespace(statistic="dsr", multiplier=100_000.0, unit="per 100,000")
    assert _funnel_spec(_released(), dsr) is None
    rate = SimpleNamespace(statistic="crude_rate", multiplier=1000.0, unit="per 1,000")
    assert _funnel_spec(_released().iloc[:3], rate) is None  # two released areas
    assert _funnel_spec(_released(), rate) is not None
