"""The dashboard's funnel plot is built from the released table only: a point per area with a
released value, the target is the released areas' pooled value, and the limits are the
funnel limits of that target."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from partnerhub.indicators.charts import funnel_chart
from partnerhub.indicators.statistics import funnel_limits


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
    funnel = funnel_chart(_released(), spec)
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
    assert funnel_chart(_released(), dsr) is None
    rate = SimpleNamespace(statistic="crude_rate", multiplier=1000.0, unit="per 1,000")
    assert funnel_chart(_released().iloc[:3], rate) is None  # two released areas
    assert funnel_chart(_released(), rate) is not None


def test_map_rings_are_wound_for_d3_and_withheld_areas_kept() -> None:
    from partnerhub.indicators.charts import _signed_area, map_chart

    square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]  # anticlockwise
    hole = [[0.2, 0.2], [0.2, 0.8], [0.8, 0.8], [0.8, 0.2], [0.2, 0.2]]  # clockwise
    boundaries = {
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "A", "name": "Abbey"},
                "geometry": {"type": "Polygon", "coordinates": [square, hole]},
            },
            {
                "type": "Feature",
                "properties": {"code": "B", "name": "Brook"},
                "geometry": {"type": "MultiPolygon", "coordinates": [[square[::-1]]]},
            },
        ]
    }
    rows = pd.DataFrame({"area_code": ["A", "B"], "value": [12.5, None]})
    chart = map_chart(rows, boundaries, "NI 5 by ward, 2008/09", "%")
    a, b = chart["data"]["values"]["features"]
    outer, inner = a["geometry"]["coordinates"]
    assert _signed_area(outer) < 0 < _signed_area(inner)  # outer clockwise, hole not
    assert _signed_area(b["geometry"]["coordinates"][0][0]) < 0
    assert a["properties"]["value"] == 12.5 and b["properties"]["value"] is None
    assert boundaries["features"][0]["geometry"]["coordinates"][0] == square  # not mutated


def test_chart_for_release_says_what_to_pick() -> None:
    from partnerhub.errors import UserError
    from partnerhub.indicators.charts import chart_for_release

    released = _released().assign(
        **{
            "Area Code": ["A", "B", "C", "D", "E"],
            "Time period": "2023/24",
            "Lower CI 95.0 limit": "",
            "Upper CI 95.0 limit": "",
        }
    )
    content = released.to_csv(index=False)
    query = '{"indicator": "NI 16", "level": "ward"}'
    assert chart_for_release(content, query, "compare")["layer"]
    assert chart_for_release(content, query, "funnel")["layer"]
    assert chart_for_release(content, query, "trend", area="A")["layer"]
    with pytest.raises(UserError, match="not an indicator release"):
        chart_for_release(content, "{}", "compare")
    with pytest.raises(UserError, match="the release has 2023/24"):
        chart_for_release(content, query, "compare", period="1999/00")
    with pytest.raises(UserError, match="--area"):
        chart_for_release(content, query, "trend")
    with pytest.raises(UserError, match="no boundaries"):
        chart_for_release(content, query, "map")


def test_spine_rows_place_the_area_among_its_level_by_polarity() -> None:
    from partnerhub.indicators.charts import spine_chart, spine_rows

    def table(values: dict[str, dict[str, str]]) -> pd.DataFrame:
        rows = [
            (code, code.lower(), period, v, "similar")
            for period, by_area in values.items()
            for code, v in by_area.items()
        ]
        frame = pd.DataFrame(
            rows, columns=["Area Code", "Area Name", "Time period", "Value", "Compared to parent"]
        )
        return frame.assign(**{"Lower CI 95.0 limit": "", "Upper CI 95.0 limit": ""})

    five = {"A": "10", "B": "20", "C": "30", "D": "40", "E": "50"}
    crime = table({"2022/23": five, "2023/24": {**five, "C": "[c]"}})
    survey = table({"2023/24": five})
    rows = spine_rows(
        [("NI 16", "Crime", "low_is_good", crime), ("NI 5", "Survey", "high_is_good", survey)],
        "C",
    )
    by = {r["indicator"]: r for r in rows}
    # C was withheld in 2023/24, so its crime row is the latest period with a value
    assert by["NI 16"]["period"] == "2022/23" and by["NI 5"]["period"] == "2023/24"
    assert by["NI 5"]["position"] == 0.5 and by["NI 5"]["median"] == 30.0
    rows = spine_rows(
        [("NI 16", "Crime", "low_is_good", crime), ("NI 5", "Survey", "high_is_good", survey)],
        "B",
    )
    by = {r["indicator"]: r for r in rows}
    # B is the second lowest of five: a quarter of the way up. In 2023/24's crime figures C
    # was withheld, so B is second lowest of four (a third of the way up); low crime is good,
    # so it stands two thirds of the way to the best
    assert by["NI 5"]["position"] == 0.25
    assert by["NI 16"]["position"] == pytest.approx(2 / 3) and by["NI 16"]["areas"] == 4
    assert (by["NI 5"]["lowest"], by["NI 5"]["q25"], by["NI 5"]["highest"]) == (10, 20, 50)
    assert spine_rows([("NI 5", "Survey", "high_is_good", survey)], "Z") == []
    assert len(spine_chart(rows)["data"]["values"]) == 2
