"""The area levels, defined once in geography, and the parents and roll-ups built on them."""

from __future__ import annotations

import pandas as pd
import pytest

from partnerhub import geography
from partnerhub.geography import (
    AREA_LEVELS,
    COUNT_LEVELS,
    INDICATOR_LEVELS,
    LEVELS,
    POSTCODE_LEVELS,
    area_field,
    area_parents,
    best_fit,
    decile_code,
    level_names,
    listed_parents,
    one_of,
    roll_up,
    with_comparators,
)


def test_levels_in_order_with_their_uses() -> None:
    assert tuple(LEVELS) == ("oa", "lsoa", "msoa", "ward", "lad", "county", "imd_decile")
    assert AREA_LEVELS == ("oa", "lsoa", "msoa", "ward", "lad", "county")
    assert POSTCODE_LEVELS == COUNT_LEVELS == ("oa", "lsoa", "msoa", "ward", "lad")
    assert INDICATOR_LEVELS == ("oa", "lsoa", "msoa", "ward", "lad", "county", "imd_decile")
    kinds = {code: lvl.kind for code, lvl in LEVELS.items()}
    assert [c for c, k in kinds.items() if k == "statistical"] == ["oa", "lsoa", "msoa"]
    assert [c for c, k in kinds.items() if k == "derived"] == ["imd_decile"]
    assert dict(geography.LEVEL_PREFIXES)["lsoa"] == "E01"
    assert level_names()["lad"] == "District"


def test_parents_nest_up_to_the_county() -> None:
    chain, level = [], "oa"
    while level is not None:
        chain.append(level)
        level = LEVELS[level].parent
    assert chain == ["oa", "lsoa", "msoa", "lad", "county"]
    assert LEVELS["ward"].parent == "lad"  # by best fit: wards do not nest with LSOAs


@pytest.mark.parametrize(
    ("level", "chain"),
    [
        ("oa", ["oa", "lad", "county"]),
        ("ward", ["ward", "lad", "county"]),
        ("lad", ["lad", "county"]),
        ("imd_decile", ["imd_decile", "county"]),
        ("county", ["county"]),
    ],
)
def test_with_comparators(level: str, chain: list[str]) -> None:
    assert with_comparators(level) == chain


def test_area_field_and_messages() -> None:
    assert area_field("ward") == "ward_code"
    with pytest.raises(ValueError, match="county"):
        area_field("county")
    assert one_of(("a", "b", "c"), " or ") == "a, b or c"
    assert one_of(COUNT_LEVELS) == "oa, lsoa, msoa, ward, lad"


def test_best_fit_takes_the_heaviest_parent_and_breaks_ties_by_code() -> None:
    frame = pd.DataFrame(
        {
            "ward": ["w1", "w1", "w1", "w2", "w2", "w3"],
            "lad": ["B", "A", "B", "B", "A", "C"],
            "n": [1, 5, 1, 2, 2, 0],
        }
    )
    by_rows = best_fit(frame, "ward", "lad")
    assert dict(zip(by_rows["ward"], by_rows["lad"], strict=True)) == {
        "w1": "B",
        "w2": "A",
        "w3": "C",
    }
    by_weight = best_fit(frame, "ward", "lad", "n")
    assert dict(zip(by_weight["ward"], by_weight["lad"], strict=True)) == {
        "w1": "A",
        "w2": "A",
        "w3": "C",
    }


def _parts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "oa_code": ["o1", "o2", "o3"],
            "lsoa_code": ["l1", "l1", "l2"],
            "msoa_code": ["m1", "m1", "m1"],
            "ward_code": ["w1", "w1", "w1"],
            "lad_code": ["A", "A", "B"],
            "period": ["2024/25"] * 3,
            "numerator": [1, 2, 4],
            "denominator": [10, 20, 5],
        }
    )


def test_roll_up_sums_every_level_and_imd_decile() -> None:
    out = roll_up(_parts(), ["numerator", "denominator"], ["period"], "C1", {"l1": 3})
    got = {(r.area_type, r.area_code): (r.numerator, r.denominator) for r in out.itertuples()}
    assert got[("lsoa", "l1")] == (3, 30)
    assert got[("msoa", "m1")] == (7, 35)
    assert got[("lad", "B")] == (4, 5)
    assert got[("county", "C1")] == (7, 35)
    assert got[("imd_decile", decile_code(3))] == (3, 30)  # l2 has no decile
    assert len(got) == 3 + 2 + 1 + 1 + 2 + 1 + 1


def test_area_parents_by_weight() -> None:
    parts = _parts()
    parents = area_parents(parts, parts["denominator"], "C1")
    assert parents["m1"] == "A"  # 30 of its 35 in A
    assert parents["l2"] == "B"
    assert parents["A"] == parents["B"] == parents[decile_code(10)] == "C1"
    weighted = area_parents(parts, parts["numerator"], "C1")
    assert weighted["m1"] == "B"  # 4 of its 7 events in B


def test_listed_parents_from_the_area_list() -> None:
    """The same rule as area_parents, read from the partnership's area list: a district's
    parent is the county, a smaller area's its district (as listed), the county has none."""
    areas = pd.DataFrame(
        {
            "level": ["county", "lad", "lad", "ward", "lsoa", "oa", "msoa", "parish"],
            "code": ["C1", "A", "B", "w1", "l1", "o1", "m1", "p1"],
            "lad_code": ["", "A", "B", "B", "A", "A", "B", "A"],
        }
    )
    assert listed_parents(areas) == {
        "A": "C1",
        "B": "C1",
        "w1": "B",
        "l1": "A",
        "o1": "A",
        "m1": "B",
        "p1": "A",  # a level not known to PartnerHub: compared with its district
    }


def test_gate_indicators_and_web_take_their_levels_from_geography() -> None:
    from typing import get_args

    from partnerhub.governance import AREA_LEVELS as GATE_LEVELS
    from partnerhub.indicators.imported import AREA_TYPES
    from partnerhub.indicators.release import RELEASE_LEVELS
    from partnerhub.web.app import CountRequest
    from partnerhub.web.dashboard import LEVEL_NAMES, LEVEL_PHRASES, LEVEL_PLURALS

    assert GATE_LEVELS is COUNT_LEVELS
    assert RELEASE_LEVELS is INDICATOR_LEVELS
    annotation = CountRequest.model_fields["area_level"].annotation
    assert get_args(annotation) == COUNT_LEVELS
    assert list(LEVEL_NAMES) == list(LEVEL_PHRASES) == list(LEVEL_PLURALS) == list(LEVELS)
    assert LEVEL_PLURALS["lsoa"] == "LSOAs (neighbourhoods)"
    assert AREA_TYPES == {
        "oa": "Output area",
        "lsoa": "LSOA",
        "msoa": "MSOA",
        "ward": "Ward",
        "lad": "District & UA",
        "county": "County & UA",
    }
