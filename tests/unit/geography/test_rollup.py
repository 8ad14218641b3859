"""Count-table roll-ups (:mod:`partnerhub.geography.rollup`): each area's district by best fit,
every area listed, and values summed to area, district and total."""

from __future__ import annotations

import pandas as pd

from partnerhub.geography import TOTAL, areas_in_order, district_parents, sum_to_parents


def test_a_split_ward_goes_to_the_district_with_most_rows_and_empty_areas_are_listed() -> None:
    pairs = pd.DataFrame(
        {
            "area": ["w1", "w1", "w2", "unresolved"],
            "lad": ["L1", "L2", "L2", "unresolved"],
            "count": [3, 5, 2, 1],
        }
    )
    parents = district_parents(pairs, "area", "lad", "count", "ward", {"w3": "L1", "w1": "L1"})
    assert parents == {"w1": "L2", "w2": "L2", "unresolved": TOTAL, "w3": "L1"}
    assert areas_in_order(parents) == ["unresolved", "w1", "w2", "w3", "L1", "L2", TOTAL]
    districts = pairs.assign(area=pairs["lad"])
    at_lad = district_parents(districts, "area", "lad", "count", "lad", {"L3": "L3"})
    assert at_lad == {"L1": TOTAL, "L2": TOTAL, "unresolved": TOTAL, "L3": TOTAL}


def test_values_add_up_to_area_district_and_total() -> None:
    parents = {"w1": "L2", "w2": "L2", "unresolved": TOTAL}
    cells = sum_to_parents(
        [("w1", "a", (3, 10)), ("w2", "a", (2, 250)), ("unresolved", "a", (1, 7))], parents
    )
    assert cells == {
        ("w1", "a"): [3, 10],
        ("w2", "a"): [2, 250],
        ("L2", "a"): [5, 260],
        ("unresolved", "a"): [1, 7],
        (TOTAL, "a"): [6, 267],
    }
