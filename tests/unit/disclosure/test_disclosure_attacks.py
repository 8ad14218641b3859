"""The attack suite: each attack on a released table is stated as a property that must hold.

The attacker here is written apart from the library: from the *released* table only (values
and [c] markers), the public rules (threshold, rounding base, largest perturbation) and the
table's structure (which cells add up to which), it solves integer programmes (scipy's MILP)
for the smallest and largest value each withheld cell can have. The library's own audit uses
linear-programme relaxations; agreement between the two is part of what is tested.
"""

from __future__ import annotations

import math
from itertools import product

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from partnerhub.disclosure import (
    PERTURBATION_TABLE,
    SUPPRESSED_MARK,
    DisclosureSettings,
    Hierarchy,
    cell_key_of,
    protect_counts,
    protect_proportions,
    round_to_base,
)

DEFAULT = DisclosureSettings()
BIG = 10_000

small_or_any = st.one_of(st.integers(0, 9), st.integers(0, 60))


def attack(
    released: pd.DataFrame,
    dims: list[str],
    hierarchies: list[Hierarchy],
    settings: DisclosureSettings,
    *,
    perturbed: bool,
) -> dict[int, tuple[int, int]]:
    """For every [c] cell of ``released``: the integer interval its true value must lie in."""
    cells = {tuple(r): i for i, r in enumerate(released[dims].itertuples(index=False))}
    n = len(cells)
    half = settings.rounding_base // 2 + (2 if perturbed else 0)
    lower, upper = np.zeros(n), np.full(n, BIG, dtype=float)
    for i, value in enumerate(released["value"]):
        if value != SUPPRESSED_MARK:
            v = int(value)
            # a released non-zero count is above the threshold, or it would have been withheld
            floor = settings.threshold + 1 if v > 0 else 0
            lower[i], upper[i] = max(v - half, floor, 0), v + half
    rows = []
    for h in hierarchies:
        d = dims.index(h.dim)
        for key, i in cells.items():
            children = [c for c, p in h.parent_of.items() if p == key[d]]
            if not children:
                continue
            row = np.zeros(n)
            row[i] = 1
            for child in children:
                j = cells.get((*key[:d], child, *key[d + 1 :]))
                if j is not None:
                    row[j] = -1
            rows.append(row)
    constraints = [LinearConstraint(np.array(rows), 0, 0)] if rows else []
    out = {}
    for i, value in enumerate(released["value"]):
        if value != SUPPRESSED_MARK:
            continue
        ends = []
        for sign in (1, -1):
            c = np.zeros(n)
            c[i] = sign
            res = milp(
                c,
                constraints=constraints,
                integrality=np.ones(n),
                bounds=Bounds(lower, upper),
            )
            assert res.success, res.message
            ends.append(round(sign * res.fun))
        out[i] = (ends[0], ends[1])
    return out


def two_way(counts: list[list[int]]) -> tuple[pd.DataFrame, list[Hierarchy]]:
    """A rows × columns table with its row, column and grand totals."""
    rows, cols = len(counts), len(counts[0])
    data = []
    for r, c in product(range(rows), range(cols)):
        data.append((f"r{r}", f"c{c}", counts[r][c]))
    for r in range(rows):
        data.append((f"r{r}", "all", sum(counts[r])))
    for c in range(cols):
        data.append(("all", f"c{c}", sum(counts[r][c] for r in range(rows))))
    data.append(("all", "all", sum(map(sum, counts))))
    table = pd.DataFrame(data, columns=["row", "col", "count"])
    hierarchies = [
        Hierarchy("row", {f"r{r}": "all" for r in range(rows)}),
        Hierarchy("col", {f"c{c}": "all" for c in range(cols)}),
    ]
    return table, hierarchies


grids = st.integers(2, 4).flatmap(
    lambda rows: st.integers(2, 3).flatmap(
        lambda cols: st.lists(
            st.lists(small_or_any, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )
)
hypothesis_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# -- small cells and zero cells -----------------------------------------------------------
@hypothesis_settings
@given(grids)
def test_no_small_or_zero_count_is_ever_released(counts: list[list[int]]) -> None:
    table, hierarchies = two_way(counts)
    released = protect_counts(table, ["row", "col"], hierarchies=hierarchies).for_release()
    for true, value in zip(table["count"], released["value"], strict=True):
        if true <= DEFAULT.threshold:  # 0..7: withheld, whatever else happens
            assert value == SUPPRESSED_MARK
        else:
            assert value == SUPPRESSED_MARK or (int(value) % 5 == 0 and abs(int(value) - true) <= 2)


# -- row/column totals --------------------------------------------------------------------
@hypothesis_settings
@given(grids)
def test_a_withheld_cell_cannot_be_recovered_from_row_and_column_totals(
    counts: list[list[int]],
) -> None:
    table, hierarchies = two_way(counts)
    protected = protect_counts(table, ["row", "col"], hierarchies=hierarchies)
    intervals = attack(
        protected.for_release(), ["row", "col"], hierarchies, DEFAULT, perturbed=False
    )
    for i, (lo, hi) in intervals.items():
        true = int(table["count"][i])
        assert lo <= true <= hi  # the attacker's model is right...
        if true <= DEFAULT.threshold:  # ...but cannot narrow a small cell below the threshold
            assert hi - lo >= DEFAULT.threshold, (i, true, lo, hi)


# -- a ward minus its other LSOAs -----------------------------------------------------------
@hypothesis_settings
@given(
    st.lists(small_or_any, min_size=2, max_size=6),
    st.lists(small_or_any, min_size=2, max_size=6),
)
def test_a_withheld_lsoa_cannot_be_recovered_from_its_ward_and_district(
    ward_a: list[int], ward_b: list[int]
) -> None:
    lsoas = {f"A{i}": ("WA", v) for i, v in enumerate(ward_a)} | {
        f"B{i}": ("WB", v) for i, v in enumerate(ward_b)
    }
    rows = [(code, v) for code, (_, v) in lsoas.items()]
    rows += [("WA", sum(ward_a)), ("WB", sum(ward_b)), ("LAD", sum(ward_a) + sum(ward_b))]
    table = pd.DataFrame(rows, columns=["area", "count"])
    parent = {code: ward for code, (ward, _) in lsoas.items()}
    hierarchies = [Hierarchy("area", parent), Hierarchy("area", {"WA": "LAD", "WB": "LAD"})]
    released = protect_counts(table, ["area"], hierarchies=hierarchies).for_release()
    for i, (lo, hi) in attack(released, ["area"], hierarchies, DEFAULT, perturbed=False).items():
        true = int(table["count"][i])
        assert lo <= true <= hi
        if true <= DEFAULT.threshold:
            assert hi - lo >= DEFAULT.threshold, (table["area"][i], true, lo, hi)


# -- proportions: tiny denominators, zero and complement cells ------------------------------
@hypothesis_settings
@given(st.lists(st.tuples(small_or_any, small_or_any), min_size=2, max_size=5))
def test_proportions_withhold_tiny_denominators_small_numerators_and_small_complements(
    pairs: list[tuple[int, int]],
) -> None:
    areas = [(f"L{i}", min(a, b), max(a, b)) for i, (a, b) in enumerate(pairs)]
    table = pd.DataFrame(areas, columns=["area", "numerator", "denominator"])
    total = ("W", int(table["numerator"].sum()), int(table["denominator"].sum()))
    table = pd.concat([table, pd.DataFrame([total], columns=table.columns)], ignore_index=True)
    hierarchy = Hierarchy("area", {f"L{i}": "W" for i in range(len(pairs))})
    out = protect_proportions(table, ["area"], hierarchies=[hierarchy]).data
    for row, result in zip(table.itertuples(), out.itertuples(), strict=True):
        small = (
            row.denominator <= DEFAULT.threshold
            or row.numerator <= DEFAULT.threshold
            or row.denominator - row.numerator <= DEFAULT.threshold
        )
        if small:
            assert pd.isna(result.value)
        else:
            assert (
                pd.isna(result.value)
                or abs(result.value - 100 * result.numerator / result.denominator) < 1e-9
            )


# -- repeating the same query, and two overlapping periods ----------------------------------
people = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 255)),  # (month of the event, record key)
    min_size=10,
    max_size=120,
)


def _period_count(records: list[tuple[int, int]], months: range) -> pd.DataFrame:
    chosen = [key for month, key in records if month in months]
    return pd.DataFrame(
        {"area": ["E01"], "count": [len(chosen)], "cell_key": [cell_key_of(chosen)]}
    )


@hypothesis_settings
@given(people, st.randoms(use_true_random=False))
def test_repeating_a_query_gives_the_same_numbers_whatever_the_record_order(
    records: list[tuple[int, int]], rnd: object
) -> None:
    first = protect_counts(_period_count(records, range(1, 7)), ["area"], cell_key="cell_key")
    shuffled = list(records)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = protect_counts(_period_count(shuffled, range(1, 7)), ["area"], cell_key="cell_key")
    pd.testing.assert_frame_equal(first.for_release(), again.for_release())


def _january_candidates(a: int, b: int, rules: DisclosureSettings) -> set[int]:
    """The attacker's answer: every January count (0..threshold — it was withheld as small)
    for which some true Feb–Jun count and some perturbations of the two cells (the table is
    public; the cell keys are not) give exactly the two released values."""
    noise = [p for p, _ in PERTURBATION_TABLE] if rules.cell_key else [0]
    candidates = set()
    for rest in range(max(b - rules.half_width - 1, 0), b + rules.half_width + 2):
        if not any(max(round_to_base(rest + p, rules.rounding_base), 0) == b for p in noise):
            continue
        for jan in range(rules.threshold + 1):
            total = rest + jan
            if any(max(round_to_base(total + p, rules.rounding_base), 0) == a for p in noise):
                candidates.add(jan)
    return candidates


def _overlap_attack(records: list[tuple[int, int]], rules: DisclosureSettings) -> set[int] | None:
    first = protect_counts(
        _period_count(records, range(1, 7)), ["area"], cell_key="cell_key", settings=rules
    )
    second = protect_counts(
        _period_count(records, range(2, 7)), ["area"], cell_key="cell_key", settings=rules
    )
    a, b = first.for_release()["value"][0], second.for_release()["value"][0]
    if SUPPRESSED_MARK in (a, b):
        return None
    return _january_candidates(int(a), int(b), rules)


@hypothesis_settings
@given(people)
def test_two_overlapping_periods_do_not_reveal_the_month_between_them(
    records: list[tuple[int, int]],
) -> None:
    """Jan–Jun and Feb–Jun are both released; January alone is small. Differencing the two
    releases must leave January's count uncertain: the attacker, who knows every rule, is left
    with several possible values, the true one among them."""
    january = sum(1 for month, _ in records if month == 1)
    if january > DEFAULT.threshold:
        return
    candidates = _overlap_attack(records, DEFAULT)
    if candidates is None:
        return
    assert january in candidates
    assert len(candidates) >= 3, candidates


def test_the_overlap_attack_works_when_there_is_no_rounding_or_noise() -> None:
    """Positive control: without rounding and perturbation the same attacker recovers
    January exactly — so the property above is a real test."""
    bare = DisclosureSettings(rounding_base=1, cell_key=False)
    records = [(1, k) for k in range(3)] + [(m, k) for m in range(2, 7) for k in range(10, 40)]
    assert _overlap_attack(records, bare) == {3}
    assert len(_overlap_attack(records, DEFAULT) or set()) >= 3


def test_the_cell_key_method_gives_the_same_cell_the_same_noise_and_other_cells_other_noise() -> (
    None
):
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 256, 500)
    same = [
        protect_counts(
            pd.DataFrame({"a": [1], "count": [200], "cell_key": [cell_key_of(keys[:200])]}),
            ["a"],
            cell_key="cell_key",
        ).data["value"][0]
        for _ in range(3)
    ]
    assert len(set(same)) == 1
    # different sets of 200 people: released values differ across cells (noise is real)
    values = {
        int(
            protect_counts(
                pd.DataFrame(
                    {"a": [1], "count": [52], "cell_key": [cell_key_of(keys[s : s + 52])]}
                ),
                ["a"],
                cell_key="cell_key",
            ).data["value"][0]
        )
        for s in range(0, 440, 4)
    }
    assert values >= {50, 55}
    assert all(math.isclose(v % 5, 0) for v in values)
