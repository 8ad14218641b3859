"""Area panel: rates, allocation to need, and the planted effects behind the confounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partnerhub.synth.areas import BETA_PATROL, build_area_panel

QUARTERS = (np.datetime64("2021-04", "M") + np.arange(0, 48, 3)).astype("datetime64[D]")


def fake_county(n_wards: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = n_wards * 3
    lsoas = pd.DataFrame(
        {
            "lsoa_code": [f"E01{900001 + i}" for i in range(n)],
            "ward_code": [f"E05{900001 + i // 3}" for i in range(n)],
            "lad_code": "E07900001",
            "imd_score": np.repeat(rng.lognormal(np.log(17), 0.6, n_wards), 3),
        }
    )
    residents = pd.DataFrame(
        {
            "lsoa_code": lsoas["lsoa_code"],
            "pop_total": 1600,
            "pop_65plus": 340,
            "pop_0_17": 330,
            "households": 680,
        }
    )
    return lsoas, residents


@pytest.fixture(scope="module")
def panel() -> object:
    lsoas, residents = fake_county(300, 1)
    return build_area_panel(lsoas, residents, QUARTERS, np.random.default_rng(2))


def test_shapes_and_rates(panel: object) -> None:
    wq = panel.ward_quarter  # type: ignore[attr-defined]
    assert len(wq) == 300 * 16
    assert (wq[["reablement_hours", "patrol_hours", "safety_visits"]] >= 0).all().all()
    crimes = panel.crimes  # type: ignore[attr-defined]
    per_1000 = crimes["offence_group"].value_counts() / 4 / (900 * 1600) * 1000
    assert 4 <= per_1000["assault_with_injury"] <= 15
    assert 60 <= per_1000.sum() <= 120  # England: about 90 recorded crimes per 1,000 a year
    assert crimes["crime_ref"].is_unique and crimes["crime_ref"].str.startswith("PC/21/").any()
    da = crimes.loc[crimes["offence_group"] == "assault_with_injury", "domestic_abuse"].mean()
    assert 0.25 <= da <= 0.35
    fires = panel.fires  # type: ignore[attr-defined]
    dwelling = (fires["property_type"] == "dwelling").sum() / 4 / (900 * 680) * 1000
    assert 0.5 <= dwelling <= 1.3


def test_resources_follow_need(panel: object) -> None:
    wq = panel.ward_quarter  # type: ignore[attr-defined]
    for col in ("reablement_hours", "patrol_hours", "safety_visits"):
        assert np.corrcoef(wq["need_index"], wq[col])[0, 1] > 0.3, col
    adoption = panel.truth["reablement"]["programme_adoption_quarter"]  # type: ignore[attr-defined]
    quarters = {q for q in adoption.values() if q is not None}
    assert len(quarters) >= 3
    assert 0.5 <= sum(q is not None for q in adoption.values()) / len(adoption) <= 0.7


def test_naive_estimates_are_biased_but_adjustment_recovers_the_effect(panel: object) -> None:
    truth = panel.truth  # type: ignore[attr-defined]
    assert truth["patrols"]["naive_slope_log_rate_per_sd"] > 0 > BETA_PATROL
    for name in ("patrols", "safety_visits"):
        cmp = truth[name]["comparison"]
        assert cmp["planted"] < 0 < cmp["naive"], name  # confounding flips the sign
    naive = truth["reablement"]["naive_slope_probability_per_sd"]
    planted = truth["reablement"]["effect_of_one_sd_probability"]
    assert naive < 0.5 * planted
    # Two-way fixed effects on log burglary recover the planted patrol effect.
    wq = panel.ward_quarter  # type: ignore[attr-defined]
    crimes = panel.crimes  # type: ignore[attr-defined]
    burg = crimes.loc[crimes["offence_group"] == "burglary_dwelling"]
    q = (
        (
            burg["occurred_date"].to_numpy().astype("datetime64[M]")
            - QUARTERS[0].astype("datetime64[M]")
        ).astype(int)
    ) // 3
    counts = burg.groupby([burg["ward_code"].to_numpy(), q]).size()
    wq = wq.assign(q=np.tile(np.arange(16), 300))
    y = counts.reindex(pd.MultiIndex.from_arrays([wq["ward_code"], wq["q"]])).fillna(0).to_numpy()
    patrol = wq["patrol_hours"] / (wq["households"] / 1000)
    pz = (patrol - patrol.mean()) / patrol.std()
    frame = pd.DataFrame(
        {
            "y": np.log(y + 0.5),
            "pz": pz,
            "need": wq["need_index"],
            "w": wq["ward_code"],
            "q": wq["q"],
        }
    )
    demeaned = frame[["y", "pz", "need"]] - frame.groupby("w")[["y", "pz", "need"]].transform(
        "mean"
    )
    demeaned = demeaned - demeaned.groupby(frame["q"]).transform("mean")
    x = demeaned[["pz", "need"]].to_numpy()
    beta = np.linalg.lstsq(x, demeaned["y"].to_numpy(), rcond=None)[0]
    assert abs(beta[0] - BETA_PATROL) < 0.06


def test_same_seed_same_panel() -> None:
    lsoas, residents = fake_county(20, 3)
    a = build_area_panel(lsoas, residents, QUARTERS, np.random.default_rng(9))
    b = build_area_panel(lsoas, residents, QUARTERS, np.random.default_rng(9))
    pd.testing.assert_frame_equal(a.crimes, b.crimes)
    pd.testing.assert_frame_equal(a.ward_quarter, b.ward_quarter)
