"""Resolving postcodes at a date through an NSPL-layout lookup."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from partnerhub.errors import ConfigError
from partnerhub.geography import load_postcode_lookup
from partnerhub.synth.geography import build_geography, write_geography


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    geo = build_geography(30_000, np.random.default_rng(4))
    folder = tmp_path_factory.mktemp("geo")
    write_geography(geo, folder)
    return folder / "postcode_lookup.csv", geo.postcodes


def test_live_postcodes_resolve_to_their_areas(written: tuple[Path, pd.DataFrame]) -> None:
    path, postcodes = written
    lookup = load_postcode_lookup(path)
    live = postcodes.loc[postcodes["doterm"].isna()].head(200)
    # Spacing and case as partners type them.
    typed = live["pcds"].str.replace(" ", "").str.lower()
    out = lookup.resolve(
        typed.reset_index(drop=True), pd.Series([pd.Timestamp("2026-01-01")] * 200)
    )
    assert (out["postcode_status"] == "ok").all()
    assert out["lsoa_code"].tolist() == live["lsoa_code"].tolist()
    assert out["ward_code"].tolist() == live["ward_code"].tolist()
    assert out["oa_code"].tolist() == live["oa_code"].tolist()


def test_terminated_and_new_postcodes_depend_on_the_date(
    written: tuple[Path, pd.DataFrame],
) -> None:
    path, postcodes = written
    lookup = load_postcode_lookup(path)
    gone = postcodes.loc[postcodes["doterm"].notna()].iloc[0]
    y, m = divmod(int(gone["doterm"]), 100)
    before = pd.Timestamp(year=y, month=m, day=1) - pd.Timedelta(days=40)
    after = pd.Timestamp(year=y, month=m, day=1) + pd.Timedelta(days=40)
    out = lookup.resolve(pd.Series([gone["pcds"]] * 2), pd.Series([before, after]))
    assert out["postcode_status"].tolist() == ["ok", "not_in_use"]
    assert out["lsoa_code"].tolist() == [gone["lsoa_code"], None]
    new = postcodes.loc[postcodes["dointr"] >= 202104].iloc[0]
    y, m = divmod(int(new["dointr"]), 100)
    early = pd.Timestamp(year=y, month=m, day=1) - pd.Timedelta(days=40)
    out = lookup.resolve(pd.Series([new["pcds"], "ZZ99 9ZZ"]), pd.Series([early, early]))
    assert out["postcode_status"].tolist() == ["not_in_use", "unknown"]


def test_both_nspl_header_spellings_and_a_clear_error(
    written: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    path, _ = written
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    renamed = frame.rename(columns={"oa21cd": "oa21", "lsoa21cd": "lsoa21", "msoa21cd": "msoa21"})
    alt = tmp_path / "nspl_alt.csv"
    renamed.to_csv(alt, index=False)
    assert len(load_postcode_lookup(alt).table) == len(frame)
    broken = tmp_path / "broken.csv"
    frame.drop(columns=["laua"]).to_csv(broken, index=False)
    with pytest.raises(ConfigError, match=r"no lad_code column .*laua.*National Statistics"):
        load_postcode_lookup(broken)
