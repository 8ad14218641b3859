"""The cell rules, and agreement with an independent reference (SACRO's ``acro`` package)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from partnerhub.disclosure import (
    PERTURBATION_TABLE,
    DisclosureSettings,
    Suppressed,
    dominated,
    is_primary,
    perturbation,
    protect_counts,
    protect_sums,
    record_cell_key,
    release_count,
    round_to_base,
)

DEFAULT = DisclosureSettings()


def test_defaults_are_opensafely_threshold_and_rounding() -> None:
    assert [is_primary(n, DEFAULT) for n in (0, 1, 7, 8)] == [True, True, True, False]
    assert not is_primary(0, DisclosureSettings(zeros_are_disclosive=False))
    assert [round_to_base(n, 5) for n in (8, 10, 12, 13, 17, 18)] == [10, 10, 10, 15, 15, 20]
    assert str(Suppressed("primary")) == "[c]"


def test_perturbation_is_deterministic_and_follows_its_table() -> None:
    assert perturbation(0, 200, DEFAULT) == 0  # zeros are never perturbed
    draws = [perturbation(100, key, DEFAULT) for key in range(256)]
    assert draws == [perturbation(100, key, DEFAULT) for key in range(256)]
    for value, probability in PERTURBATION_TABLE:
        assert abs(draws.count(value) / 256 - probability) < 1 / 256 + 1e-9
    assert perturbation(1, 0, DEFAULT) >= -1  # never below zero
    assert perturbation(100, 0, DisclosureSettings(cell_key=False)) == 0
    assert release_count(23, 0, DEFAULT) == 20  # 23 - 2 = 21 → 20
    assert release_count(23, None, DEFAULT) == 25


def test_record_cell_keys_come_from_the_pseudonymous_key() -> None:
    assert record_cell_key("ff12ab") == 255
    assert record_cell_key("00aa") == 0


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="rounding_base"):
        DisclosureSettings(rounding_base=0)
    with pytest.raises(ValueError, match="dominance"):
        DisclosureSettings(dominance_k=1.5)


def test_dominance_and_sums() -> None:
    assert dominated(100.0, 95.0, DEFAULT)
    assert not dominated(100.0, 80.0, DEFAULT)
    table = pd.DataFrame(
        {
            "area": ["a", "b", "c", "W"],
            "total": [1000.0, 400.0, 600.0, 2000.0],
            "count": [20, 30, 40, 90],
            "top_n_sum": [950.0, 60.0, 100.0, 1010.0],
        }
    )
    protected = protect_sums(table, ["area"], hierarchies=[_ward()])
    # a is dominated; b, the smaller of the rest, is withheld so W − c does not give a away
    assert protected.data["suppressed"].tolist() == [True, True, False, False]
    assert protected.reasons.tolist() == ["dominance", "secondary", "", ""]
    assert protected.data["value"][3] == 2000.0
    few = table.assign(count=[20, 30, 3, 53], top_n_sum=[100.0, 60.0, 500.0, 1010.0])
    assert protect_sums(few, ["area"], hierarchies=[_ward()]).reasons[2] == "primary"


def _ward():  # type: ignore[no-untyped-def]
    from partnerhub.disclosure import Hierarchy

    return Hierarchy("area", {"a": "W", "b": "W", "c": "W"})


def test_released_table_uses_the_typed_marker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = pd.DataFrame({"area": ["a", "b", "c", "W"], "count": [3, 40, 50, 93]})
    protected = protect_counts(table, ["area"], hierarchies=[_ward()])
    path = tmp_path / "out.csv"
    protected.to_csv(str(path))
    text = path.read_text()
    assert "[c]" in text and ",3\n" not in text
    assert protected.reasons.tolist() == ["primary", "secondary", "", ""]
    assert protected.notes == {"primary": 1, "secondary": 1}


# -- the independent reference ------------------------------------------------------------
def _records(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    frame = pd.DataFrame(
        {
            "area": rng.choice(list("pqrstu"), n, p=[0.35, 0.25, 0.2, 0.1, 0.07, 0.03]),
            "group": rng.choice(list("xyz"), n, p=[0.6, 0.3, 0.1]),
            "amount": rng.exponential(10, n).round(2),
        }
    )
    frame.loc[rng.choice(n, 3, replace=False), "amount"] = 4000.0  # dominant contributors
    return frame


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_threshold_and_dominance_agree_with_acro(seed: int) -> None:
    """SACRO's acro flags cells with fewer than 10 records, zeros, (2, 0.9)-dominated sums and
    p%-rule failures. With the same settings our primary rules flag exactly the same cells."""
    acro_module = pytest.importorskip("acro")
    logging.getLogger("acro").setLevel(logging.ERROR)
    records = _records(seed)
    acro = acro_module.ACRO(suppress=True)
    counts_ref = acro.crosstab(records.area, records.group)
    sums_ref = acro.crosstab(records.area, records.group, values=records.amount, aggfunc="sum")

    ours = DisclosureSettings(threshold=9, zeros_are_disclosive=True)  # acro: count < 10
    grouped = records.groupby(["area", "group"])["amount"]
    grid = pd.MultiIndex.from_product([sorted(records.area.unique()), ["x", "y", "z"]])
    cells = pd.DataFrame(
        {
            "count": grouped.size().reindex(grid, fill_value=0),
            "total": grouped.sum().reindex(grid, fill_value=0.0),
            "top_n_sum": grouped.apply(lambda s: s.nlargest(2).sum()).reindex(grid, fill_value=0.0),
            "largest": grouped.max().reindex(grid, fill_value=0.0),
        }
    )
    cells.index.names = ["area", "group"]
    cells = cells.reset_index()
    counted = protect_counts(cells, ["area", "group"], settings=ours)
    summed = protect_sums(cells, ["area", "group"], largest="largest", settings=ours)
    for protected, reference in ((counted, counts_ref), (summed, sums_ref)):
        flagged = set(
            cells.loc[protected.reasons.to_numpy() != "", ["area", "group"]].itertuples(
                index=False, name=None
            )
        )
        expected = {
            (area, group)
            for area in reference.index
            for group in reference.columns
            if pd.isna(reference.loc[area, group])
        }
        assert flagged == expected
        assert len(expected) >= 2  # the tables do have cells to withhold
