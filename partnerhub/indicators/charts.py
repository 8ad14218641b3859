"""Indicator charts as Vega-Lite specifications, built from a release's table only (never
from the vault): the comparison of areas with their parent, the trend of one area, the funnel
plot, and a choropleth map. The dashboard embeds them (vega-embed, served by the app); `partnerhub
indicators chart` renders them to SVG or PNG with vl-convert, offline.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from partnerhub.indicators.statistics import funnel_limits

__all__ = [
    "CHART_KINDS",
    "chart_for_release",
    "chart_rows",
    "compare_chart",
    "funnel_chart",
    "map_chart",
    "number",
    "render_chart",
    "spine_chart",
    "spine_rows",
    "trend_chart",
]

CHART_KINDS = ("compare", "trend", "funnel", "map")
COMPARISON_COLOURS = {  # GOV.UK colours, as Fingertips colours its comparisons
    "better": "#00703c",
    "similar": "#b1b4b6",
    "worse": "#d4351c",
    "higher": "#1d70b8",
    "lower": "#f47738",
    "not compared": "#505a5f",
}
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def chart_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A released table in the Fingertips layout → one row per area and period, values as
    numbers (None where withheld), ready for the charts."""
    rows = pd.DataFrame(
        {
            "area_code": frame["Area Code"],
            "area_name": frame["Area Name"],
            "period": frame["Time period"],
            "value": frame["Value"].map(number),
            "lower": frame["Lower CI 95.0 limit"].map(number),
            "upper": frame["Upper CI 95.0 limit"].map(number),
            "compared": frame["Compared to parent"],
        }
    )
    return rows.astype(object).where(rows.notna(), None)  # no NaN in a page's JSON


def trend_chart(rows: pd.DataFrame, area: str, parent: str | None) -> dict[str, Any]:
    data = []
    for r in rows.itertuples(index=False):
        if r.area_code not in (area, parent):
            continue
        data.append(
            {
                "period": r.period,
                "area": r.area_name,
                "value": r.value,
                "lower": r.lower,
                "upper": r.upper,
            }
        )
    base = {"field": "period", "type": "ordinal", "title": "Period"}
    return {
        "$schema": SCHEMA,
        "description": "Trend of the indicator for the selected area and its parent",
        "width": "container",
        "height": 220,
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "errorband", "opacity": 0.25, "aria": False},
                "encoding": {
                    "x": base,
                    "y": {"field": "lower", "type": "quantitative", "title": "Value"},
                    "y2": {"field": "upper"},
                    "color": {"field": "area", "type": "nominal", "title": "Area"},
                },
            },
            {
                "mark": {"type": "line", "point": {"aria": False}, "aria": False},
                "encoding": {
                    "x": base,
                    "y": {"field": "value", "type": "quantitative"},
                    "color": {"field": "area", "type": "nominal"},
                    "tooltip": [
                        {"field": "area"},
                        {"field": "period"},
                        {"field": "value", "format": ".2f"},
                    ],
                },
            },
        ],
    }


def compare_chart(rows: pd.DataFrame, parent_value: float | None, unit: str) -> dict[str, Any]:
    data = [
        {"area": r.area_name, "value": r.value, "comparison": r.compared}
        for r in rows.itertuples(index=False)
        if r.value is not None
    ]
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "aria": False},
            "encoding": {
                "y": {"field": "area", "type": "nominal", "sort": "-x", "title": None},
                "x": {"field": "value", "type": "quantitative", "title": unit or "Value"},
                "color": {
                    "field": "comparison",
                    "type": "nominal",
                    "title": "Compared to parent",
                    "scale": {
                        "domain": list(COMPARISON_COLOURS),
                        "range": list(COMPARISON_COLOURS.values()),
                    },
                },
                "tooltip": [{"field": "area"}, {"field": "value", "format": ".2f"}],
            },
        }
    ]
    if parent_value is not None:
        layers.append(
            {
                "data": {"values": [{"parent": parent_value}]},
                "mark": {"type": "rule", "color": "#0b0c0c", "strokeDash": [4, 4], "aria": False},
                "encoding": {"x": {"field": "parent", "type": "quantitative"}},
            }
        )
    return {
        "$schema": SCHEMA,
        "description": "Areas compared with their parent for the selected period",
        "width": "container",
        "height": {"step": 16},
        "data": {"values": data},
        "layer": layers,
    }


def funnel_chart(current: pd.DataFrame, spec: Any) -> dict[str, Any] | None:
    """A funnel plot of the released areas of one period (proportions and crude rates): each
    area's value against its denominator, with the 95 % and 99.8 % limits around the value of
    all the released areas together (Spiegelhalter 2005). From released counts only."""
    if getattr(spec, "statistic", None) not in ("proportion", "crude_rate"):
        return None
    count = current["Count"].map(number)
    den = current["Denominator"].map(number)
    ok = count.notna() & den.notna() & (den > 0)
    if ok.sum() < 3 or den[ok].sum() <= 0:
        return None
    target = float(count[ok].sum() / den[ok].sum())
    grid = np.geomspace(max(float(den[ok].min()) * 0.8, 1.0), float(den[ok].max()) * 1.2, 80)
    limits = []
    for confidence, label in ((0.95, "95 % limits"), (0.998, "99.8 % limits")):
        lo, hi = funnel_limits(target, grid, spec.statistic, confidence)
        for n, a, b in zip(grid, lo, hi, strict=True):
            limits += [
                {
                    "denominator": float(n),
                    "limit": float(a) * spec.multiplier,
                    "band": label,
                    "side": "lower",
                },
                {
                    "denominator": float(n),
                    "limit": float(b) * spec.multiplier,
                    "band": label,
                    "side": "upper",
                },
            ]
    points = [
        {
            "area": name,
            "denominator": float(d),
            "value": number(v),
            "comparison": c,
        }
        for name, d, v, c, keep in zip(
            current["Area Name"],
            den,
            current["Value"],
            current["Compared to parent"],
            ok,
            strict=True,
        )
        if keep and number(v) is not None
    ]
    x = {
        "field": "denominator",
        "type": "quantitative",
        "title": "Denominator",
        "scale": {"type": "log"},
    }
    return {
        "$schema": SCHEMA,
        "description": "Funnel plot: each area's value against its denominator, with the 95 % "
        "and 99.8 % control limits around the value of all areas together",
        "width": "container",
        "height": 260,
        "layer": [
            {
                "data": {"values": limits},
                "mark": {"type": "line", "aria": False},
                "encoding": {
                    "x": x,
                    "y": {"field": "limit", "type": "quantitative", "title": spec.unit or "Value"},
                    "detail": {"field": "side"},
                    "strokeDash": {"field": "band", "type": "nominal", "title": "Control limits"},
                    "color": {"value": "#505a5f"},
                },
            },
            {
                "data": {"values": [{"target": target * spec.multiplier}]},
                "mark": {"type": "rule", "color": "#0b0c0c", "aria": False},
                "encoding": {"y": {"field": "target", "type": "quantitative"}},
            },
            {
                "data": {"values": points},
                "mark": {"type": "point", "filled": True, "aria": False},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "color": {"value": "#1d70b8"},
                    "tooltip": [
                        {"field": "area"},
                        {"field": "value", "format": ".2f"},
                        {"field": "denominator", "format": ",.0f"},
                    ],
                },
            },
        ],
    }


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def map_chart(
    rows: pd.DataFrame, boundaries: dict[str, Any], title: str, unit: str
) -> dict[str, Any]:
    """A choropleth of one period's values (``rows`` as :func:`chart_rows` gives them, one
    period) over the level's GeoJSON boundaries (each feature's ``properties.code``)."""
    values = {
        r.area_code: None if r.value is None or r.value != r.value else float(r.value)
        for r in rows.itertuples(index=False)
    }  # a withheld value is None (JSON has no NaN)
    features = [
        {
            "type": "Feature",
            "geometry": _d3_winding(f["geometry"]),
            "properties": {**f["properties"], "value": values.get(f["properties"]["code"])},
        }
        for f in boundaries["features"]
    ]
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": title,
        "width": 500,
        "height": 500,
        "projection": {"type": "mercator"},
        "data": {
            "values": {"type": "FeatureCollection", "features": features},
            "format": {"type": "json", "property": "features"},
        },
        "mark": {"type": "geoshape", "stroke": "#505a5f", "strokeWidth": 0.5, "invalid": None},
        "encoding": {
            "color": {
                # a withheld value ([c]) is drawn white, not left out
                "condition": {"test": "datum.properties.value === null", "value": "#ffffff"},
                "field": "properties.value",
                "type": "quantitative",
                "title": unit or "Value",
                "scale": {"scheme": "blues"},
            },
            "tooltip": [
                {"field": "properties.name", "title": "Area"},
                {"field": "properties.value", "title": "Value", "format": ".2f"},
            ],
        },
    }


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in itertools.pairwise(ring))


def _d3_winding(geometry: dict[str, Any]) -> dict[str, Any]:
    """GeoJSON (RFC 7946) winds outer rings anticlockwise; Vega's d3-geo reads that as "the
    whole globe except this area". Outer rings clockwise, holes anticlockwise, for d3."""

    def polygon(rings: list[list[list[float]]]) -> list[list[list[float]]]:
        out = []
        for i, ring in enumerate(rings):
            clockwise = _signed_area(ring) < 0
            out.append(ring if clockwise == (i == 0) else ring[::-1])
        return out

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": polygon(geometry["coordinates"])}
    if geometry["type"] == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": [polygon(p) for p in geometry["coordinates"]],
        }
    return geometry


def render_chart(spec: dict[str, Any], out: Path) -> None:
    """Write ``spec`` as SVG or PNG (by the suffix of ``out``) with vl-convert (offline)."""
    import vl_convert

    static = {**spec, "width": 600} if spec.get("width") == "container" else spec
    if out.suffix.lower() == ".png":
        out.write_bytes(vl_convert.vegalite_to_png(static, scale=2))
    else:
        out.write_text(vl_convert.vegalite_to_svg(static), encoding="utf-8")


def chart_for_release(
    content: str,
    query: str,
    kind: str,
    *,
    period: str | None = None,
    area: str | None = None,
    boundaries: Path | None = None,
) -> dict[str, Any]:
    """The ``kind`` chart of an indicator release (its CSV ``content`` and JSON ``query``),
    for one period (default: the latest) — or a UserError saying what to pick instead."""
    import io
    import json

    from partnerhub.errors import UserError
    from partnerhub.indicators.spec import load_library

    meta = json.loads(query)
    if "indicator" not in meta or "level" not in meta:
        raise UserError(
            "this release is not an indicator release — pick one made by "
            "`partnerhub indicators compute` or `indicators import`"
        )
    frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
    rows = chart_rows(frame)
    periods = list(dict.fromkeys(frame["Time period"]))
    if period is not None and period not in periods:
        raise UserError(f"--period {period!r}: the release has {', '.join(periods)}")
    period = period or periods[-1]
    spec = next((s for s in load_library() if s.id == meta["indicator"]), None)
    unit = spec.unit if spec is not None else ""
    selected = rows[rows["period"] == period]
    if kind == "compare":
        return compare_chart(selected, None, unit)
    if kind == "trend":
        codes = set(frame["Area Code"])
        if area is None or area not in codes:
            raise UserError(f"--area: give one of the release's area codes, e.g. {min(codes)}")
        return trend_chart(rows, area, None)
    if kind == "funnel":
        chart = funnel_chart(frame[frame["Time period"] == period], spec)
        if chart is None:
            raise UserError(
                f"no funnel plot for {meta['indicator']} in {period}: funnels are drawn for "
                "proportions and crude rates with at least 3 areas released"
            )
        return chart
    if kind == "map":
        from partnerhub.geography import read_boundaries

        title = f"{meta['indicator']} by {meta['level']}, {period}"
        return map_chart(selected, read_boundaries(boundaries, meta["level"]), title, unit)
    raise UserError(f"--kind {kind!r}: use one of {', '.join(CHART_KINDS)}")


def spine_rows(
    releases: list[tuple[str, str, str, pd.DataFrame]], area: str
) -> list[dict[str, Any]]:
    """One row per indicator for the area profile: ``releases`` are (indicator id, title,
    polarity, released Fingertips table) at one level. For each, the latest period in which
    the area has a released value: the area's value and comparison, and the spread of the
    values of all the level's areas then (lowest, 25th, median, 75th percentile, highest).
    ``position`` places the area in that spread from 0 (worst) to 1 (best), by polarity
    (lowest to highest when an indicator has none)."""
    out = []
    for ident, title, polarity, frame in releases:
        rows = chart_rows(frame)
        mine = rows[(rows["area_code"] == area) & rows["value"].notna()]
        if mine.empty:
            continue
        period = mine["period"].iloc[-1]
        values = np.array(
            [v for v in rows.loc[rows["period"] == period, "value"] if v is not None], dtype=float
        )
        value = float(mine["value"].iloc[-1])
        rank = float((values < value).sum() + 0.5 * ((values == value).sum() - 1))
        position = rank / (len(values) - 1) if len(values) > 1 else 0.5
        if polarity == "low_is_good":
            position = 1 - position
        q = np.quantile(values, [0, 0.25, 0.5, 0.75, 1])
        out.append(
            {
                "indicator": ident,
                "title": title,
                "period": period,
                "value": value,
                "compared": mine["compared"].iloc[-1],
                "areas": len(values),
                "lowest": float(q[0]),
                "q25": float(q[1]),
                "median": float(q[2]),
                "q75": float(q[3]),
                "highest": float(q[4]),
                "position": position,
                "polarity": polarity,
            }
        )
    return out


def spine_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fingertips' spine chart: for each indicator, where the area stands among the level's
    areas (worst on the left, best on the right), over a bar of the whole spread whose darker
    middle is the 25th to 75th percentile. Positions are percentile ranks among the areas (so
    the middle band is always 0.25–0.75 and the tick the median), not distances in value."""
    data = [
        {
            **r,
            "label": f"{r['indicator']} {r['title']}"[:60],
            "band_lo": 0.25,
            "band_hi": 0.75,
        }
        for r in rows
    ]
    y = {"field": "label", "type": "nominal", "title": None, "sort": None}
    x = {"type": "quantitative", "scale": {"domain": [0, 1]}, "axis": None}
    return {
        "$schema": SCHEMA,
        "description": "Spine chart: where the area stands among the areas of its level, "
        "indicator by indicator (worst left, best right)",
        "width": "container",
        "height": {"step": 22},
        "data": {"values": data},
        "layer": [
            {
                "mark": {"type": "bar", "color": "#dbe5ef", "aria": False, "height": 14},
                "encoding": {"y": y, "x": {**x, "datum": 0}, "x2": {"datum": 1}},
            },
            {
                "mark": {"type": "bar", "color": "#8eb8dc", "aria": False, "height": 14},
                "encoding": {"y": y, "x": {**x, "field": "band_lo"}, "x2": {"field": "band_hi"}},
            },
            {
                "mark": {"type": "tick", "color": "#0b0c0c", "aria": False, "thickness": 2},
                "encoding": {"y": y, "x": {**x, "datum": 0.5}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 90, "aria": False},
                "encoding": {
                    "y": y,
                    "x": {**x, "field": "position"},
                    "color": {
                        "field": "compared",
                        "type": "nominal",
                        "title": "Compared to parent",
                        "legend": {"orient": "bottom", "direction": "horizontal"},
                        "scale": {
                            "domain": list(COMPARISON_COLOURS),
                            "range": list(COMPARISON_COLOURS.values()),
                        },
                    },
                    "tooltip": [
                        {"field": "indicator"},
                        {"field": "period"},
                        {"field": "value", "format": ".2f"},
                        {"field": "lowest", "format": ".2f"},
                        {"field": "median", "format": ".2f"},
                        {"field": "highest", "format": ".2f"},
                    ],
                },
            },
        ],
    }
