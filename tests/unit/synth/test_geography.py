"""The synthetic county geography: nesting, codes, postcodes, deprivation, boundaries, bytes."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from partnerhub.geography import (
    AREA_LEVELS,
    IMD_N_LSOAS,
    LEVEL_PREFIXES,
    NSPL_COLUMNS,
    is_synthetic_code,
    synthetic_code,
)
from partnerhub.synth.geography import (
    LAD_NAMES,
    SyntheticGeography,
    build_geography,
    write_geography,
)

# Outward code, space, inward code (digit + two letters never C I K M O V).
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")
N_PEOPLE = 100_000


@pytest.fixture(scope="module")
def geo() -> SyntheticGeography:
    return build_geography(N_PEOPLE, np.random.default_rng(7))


@pytest.fixture(scope="module")
def polys(geo: SyntheticGeography) -> dict[str, tuple[list[str], np.ndarray]]:
    out = {}
    for level, fc in geo.boundaries.items():
        codes = [f["properties"]["code"] for f in fc["features"]]
        out[level] = (codes, np.array([shape(f["geometry"]) for f in fc["features"]]))
    return out


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- codes ---------------------------------------------------------------------------------


def test_synthetic_codes_are_in_the_reserved_range() -> None:
    assert synthetic_code("E01", 1) == "E01900001"
    assert synthetic_code("E07", 4) == "E07900004"
    assert is_synthetic_code("E01900001")
    assert is_synthetic_code("E00999998")
    assert not is_synthetic_code("E01000001")  # a real LSOA code
    assert not is_synthetic_code("E01035000")
    assert not is_synthetic_code("E99999999")  # ONS pseudo code
    assert not is_synthetic_code("E0190001")
    assert not is_synthetic_code("e01900001")
    with pytest.raises(ValueError):
        synthetic_code("E1", 1)
    with pytest.raises(ValueError):
        synthetic_code("E01", 0)
    with pytest.raises(ValueError):
        synthetic_code("E01", 99_999)


def test_nspl_layout() -> None:
    assert NSPL_COLUMNS == (
        "pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m",
        "osgrdind", "oa21cd", "cty", "ced", "laua", "ward", "ctry", "rgn", "pcon", "lsoa21cd",
        "msoa21cd", "ruc21ind", "lat", "long", "imd",
    )  # fmt: skip
    assert AREA_LEVELS == ("oa", "lsoa", "msoa", "ward", "lad", "county")


def test_rejects_bad_size() -> None:
    with pytest.raises(ValueError):
        build_geography(0, np.random.default_rng(0))


# --- areas and nesting ---------------------------------------------------------------------


def test_sizes(geo: SyntheticGeography) -> None:
    assert geo.county["county_code"].tolist() == ["E10900001"]
    assert geo.county["county_name"].tolist() == ["Partnershire"]
    assert geo.lads["lad_code"].tolist() == [f"E0790000{i}" for i in range(1, 5)]
    assert geo.lads["lad_name"].tolist() == list(LAD_NAMES)
    n_lsoa = len(geo.lsoas)
    assert abs(n_lsoa - N_PEOPLE / 1600) <= 0.12 * N_PEOPLE / 1600
    oas_per_lsoa = geo.oas.groupby("lsoa_code").size()
    assert oas_per_lsoa.median() == 5
    assert oas_per_lsoa.between(3, 10).all()
    lsoas_per_msoa = geo.lsoas.groupby("msoa_code").size()
    assert 4 <= lsoas_per_msoa.median() <= 6
    people = geo.oas["target_households"].sum() * 2.36
    assert people == pytest.approx(N_PEOPLE, rel=0.01)
    assert geo.oas["target_households"].between(100, 170).all()
    # The county-town district has the most people.
    hh = geo.oas.groupby("lad_code")["target_households"].sum()
    assert hh.idxmax() == "E07900001"
    assert hh.iloc[0] > 1.3 * hh.iloc[1:].max()


def test_small_county_still_has_eight_lsoas() -> None:
    g = build_geography(2_000, np.random.default_rng(1))
    assert len(g.lsoas) >= 7  # 40 OAs in 4 districts, LSOAs of 4-7 OAs
    assert len(g.oas) == 40
    assert set(g.lsoas["lad_code"]) == set(g.lads["lad_code"])


def test_hierarchy_nests(geo: SyntheticGeography) -> None:
    oas, lsoas, msoas, wards = geo.oas, geo.lsoas, geo.msoas, geo.wards
    lsoa = lsoas.set_index("lsoa_code")
    assert oas["lsoa_code"].isin(lsoa.index).all()
    assert (oas["msoa_code"].to_numpy() == lsoa.loc[oas["lsoa_code"], "msoa_code"].to_numpy()).all()
    assert (oas["lad_code"].to_numpy() == lsoa.loc[oas["lsoa_code"], "lad_code"].to_numpy()).all()
    msoa_lad = msoas.set_index("msoa_code")["lad_code"]
    assert (lsoas["lad_code"].to_numpy() == msoa_lad.loc[lsoas["msoa_code"]].to_numpy()).all()
    ward_lad = wards.set_index("ward_code")["lad_code"]
    assert (oas["lad_code"].to_numpy() == ward_lad.loc[oas["ward_code"]].to_numpy()).all()
    assert set(msoas["lad_code"]) == set(geo.lads["lad_code"])
    for frame, col in ((oas, "oa_code"), (lsoas, "lsoa_code"), (msoas, "msoa_code")):
        assert frame[col].is_unique
        assert frame[col].is_monotonic_increasing


def test_codes_are_synthetic_with_right_prefix(geo: SyntheticGeography) -> None:
    frames = {
        "oa": geo.oas["oa_code"],
        "lsoa": geo.lsoas["lsoa_code"],
        "msoa": geo.msoas["msoa_code"],
        "ward": geo.wards["ward_code"],
        "lad": geo.lads["lad_code"],
        "county": geo.county["county_code"],
    }
    for level, codes in frames.items():
        assert codes.str.len().eq(9).all()
        assert codes.str.startswith(LEVEL_PREFIXES[level]).all()
        assert codes.map(is_synthetic_code).all()
        # numbered 900001, 900002, ... without gaps
        assert sorted(int(c[3:]) for c in codes) == list(range(900001, 900001 + len(codes)))
    for col in ("oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code", "county_code"):
        assert geo.postcodes[col].map(is_synthetic_code).all()


def test_names(geo: SyntheticGeography) -> None:
    lsoa_re = re.compile(r"^(Ashworth|Brambleford|Castlemere|Dunmoor) \d{3}[A-Z]$")
    assert geo.lsoas["lsoa_name"].str.match(lsoa_re).all()
    assert geo.lsoas["lsoa_name"].is_unique
    msoa = geo.msoas.set_index("msoa_code")["msoa_name"]
    assert (geo.lsoas["lsoa_name"].str[:-1] == msoa.loc[geo.lsoas["msoa_code"]].to_numpy()).all()
    lad_name = geo.lads.set_index("lad_code")["lad_name"]
    assert (geo.msoas["msoa_name"].str[:-4] == lad_name.loc[geo.msoas["lad_code"]].to_numpy()).all()
    for lad, grp in geo.msoas.groupby("lad_code"):
        numbers = sorted(int(n[-3:]) for n in grp["msoa_name"])
        assert numbers == list(range(1, len(grp) + 1)), lad
    assert geo.wards["ward_name"].is_unique
    assert geo.wards["ward_name"].str.len().gt(2).all()


def test_wards_do_not_nest_with_lsoas_but_best_fit_holds_majority(geo: SyntheticGeography) -> None:
    oas = geo.oas
    n_wards = oas.groupby("lsoa_code")["ward_code"].nunique()
    assert (n_wards > 1).sum() >= 0.1 * len(n_wards)  # some LSOAs straddle two wards
    assert n_wards.max() <= 2
    best = geo.lsoas.set_index("lsoa_code")["ward_code"]
    in_best = oas["ward_code"].to_numpy() == best.loc[oas["lsoa_code"]].to_numpy()
    share_oas = pd.Series(in_best).groupby(oas["lsoa_code"].to_numpy()).mean()
    hh = oas["target_households"].where(in_best, 0).groupby(oas["lsoa_code"]).sum()
    share_hh = hh / oas.groupby("lsoa_code")["target_households"].sum()
    assert (share_oas > 0.5).all()
    assert (share_hh > 0.5).all()
    # Wards hold 2-4 LSOAs' worth of OAs (a little more where a ward took a stray OA).
    oas_per_ward = oas.groupby("ward_code").size()
    assert 10 <= oas_per_ward.median() <= 20
    assert oas_per_ward.between(4, 30).all()


# --- deprivation and rural-urban -----------------------------------------------------------


def test_imd(geo: SyntheticGeography, polys: dict[str, tuple[list[str], np.ndarray]]) -> None:
    ls = geo.lsoas
    assert ls["imd_rank"].between(1, IMD_N_LSOAS).all()
    assert ls["imd_rank"].is_unique
    expected = np.ceil(ls["imd_rank"] / (IMD_N_LSOAS / 10)).astype(int)
    assert (ls["imd_decile"] == expected).all()
    assert ls["imd_decile"].nunique() >= 5
    assert 1 in set(ls["imd_decile"])
    # Fewer deprived areas than nationally, but some.
    assert (ls["imd_decile"] <= 2).mean() < 0.4
    assert (ls["imd_decile"] >= 6).mean() > 0.4
    # Higher score = more deprived = smaller rank.
    by_score = ls.sort_values(["imd_score", "imd_rank"], ascending=[False, True])
    assert by_score["imd_rank"].is_monotonic_increasing
    # Spatially correlated: an LSOA's score is like its neighbours'.
    codes, geoms = polys["lsoa"]
    score = ls.set_index("lsoa_code")["imd_score"].loc[codes].to_numpy()
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    shared = shapely.length(shapely.intersection(geoms[a], geoms[b])) > 0
    a, b = a[shared & (a != b)], b[shared & (a != b)]
    neighbour_mean = pd.Series(np.log(score[b])).groupby(a).mean()
    own = np.log(score[neighbour_mean.index.to_numpy()])
    assert np.corrcoef(own, neighbour_mean.to_numpy())[0, 1] > 0.4


def test_rural_urban(geo: SyntheticGeography) -> None:
    ls = geo.lsoas
    assert ls["ruc21ind"].isin(["UN1", "UF1", "RLN1", "RLF1", "RSN1", "RSF1"]).all()
    assert (ls["urban"] == ls["ruc21ind"].str.startswith("U")).all()
    urban_share = ls.groupby("lad_code")["urban"].mean()
    assert urban_share["E07900001"] > 0.7  # the county town
    assert urban_share["E07900001"] > urban_share.drop("E07900001").max()
    assert (~ls["urban"]).sum() > 0


# --- postcodes -----------------------------------------------------------------------------


def test_postcode_format_and_uniqueness(geo: SyntheticGeography) -> None:
    pc = geo.postcodes
    assert pc["pcds"].is_unique
    assert pc["pcds"].str.match(POSTCODE).all()
    assert pc["pcds"].str.startswith("XP").all()  # a postcode area that does not exist
    outward = pc["pcds"].str.split(" ").str[0]
    sector = pc["pcds"].str[:-2]
    assert 4 <= outward.nunique() <= 40
    # A postcode district and a sector lie in one district council area.
    assert (pc.groupby(outward)["lad_code"].nunique() == 1).all()
    assert (pc.groupby(sector)["lad_code"].nunique() == 1).all()
    assert pc.groupby(sector).size().max() <= 400
    assert pc["oa_code"].isin(geo.oas["oa_code"]).all()
    # Every OA has several postcodes of ~15 addresses, enough for its households.
    per_oa = pc.groupby("oa_code").agg(n=("pcds", "size"), addr=("n_addresses", "sum"))
    assert per_oa.index.equals(pd.Index(geo.oas["oa_code"]))
    assert 6 <= per_oa["n"].mean() <= 14
    assert (per_oa["addr"] >= geo.oas.set_index("oa_code")["target_households"]).all()
    assert pc["n_addresses"].ge(1).all()
    assert 10 <= pc["n_addresses"].mean() <= 20
    # The postcode's areas agree with its OA.
    oa = geo.oas.set_index("oa_code")
    for col in ("lsoa_code", "msoa_code", "ward_code", "lad_code"):
        assert (pc[col].to_numpy() == oa.loc[pc["oa_code"], col].to_numpy()).all()


def test_postcode_dates(geo: SyntheticGeography) -> None:
    pc = geo.postcodes
    assert pc["dointr"].dtype == np.int64
    assert str(pc["doterm"].dtype) == "Int64"
    months = pc["dointr"] % 100
    assert months.between(1, 12).all()
    assert pc["dointr"].between(198001, 202512).all()
    terminated = pc["doterm"].notna()
    new = pc["dointr"] >= 202101
    assert 0.01 <= terminated.mean() <= 0.03
    assert 0.01 <= new.mean() <= 0.03
    assert not (terminated & new).any()
    assert pc.loc[terminated, "doterm"].between(202101, 202512).all()
    assert (pc.loc[terminated, "doterm"] > pc.loc[terminated, "dointr"]).all()


def test_streets(geo: SyntheticGeography) -> None:
    pc = geo.postcodes
    assert not pc.duplicated(["lad_code", "street"]).any()
    assert pc["street"].str.match(r"^[A-Z][A-Za-z' ]+ [A-Z][a-z]+$").all()
    # A locality (town or village) belongs to one district; the county town is the largest.
    assert (pc.groupby("locality")["lad_code"].nunique() == 1).all()
    assert pc["locality"].value_counts().index[0] == "Ashworth"
    assert pc["locality"].nunique() >= 8


def test_postcodes_lie_inside_their_oa(
    geo: SyntheticGeography, polys: dict[str, tuple[list[str], np.ndarray]]
) -> None:
    codes, geoms = polys["oa"]
    idx = pd.Index(codes).get_indexer(geo.postcodes["oa_code"])
    inside = shapely.contains_xy(geoms[idx], geo.postcodes["long"], geo.postcodes["lat"])
    assert inside.all()
    pc = geo.postcodes
    assert pc["lat"].between(52.0, 52.8).all() and pc["long"].between(-2.6, -1.4).all()
    # Eastings/northings go with longitude/latitude.
    assert np.corrcoef(pc["oseast1m"], pc["long"])[0, 1] > 0.999
    assert np.corrcoef(pc["osnrth1m"], pc["lat"])[0, 1] > 0.999
    assert pc["oseast1m"].between(300_000, 500_000).all()


# --- boundaries ----------------------------------------------------------------------------


def test_boundaries_match_frames(geo: SyntheticGeography) -> None:
    frames = {
        "oa": geo.oas["oa_code"],
        "lsoa": geo.lsoas["lsoa_code"],
        "msoa": geo.msoas["msoa_code"],
        "ward": geo.wards["ward_code"],
        "lad": geo.lads["lad_code"],
        "county": geo.county["county_code"],
    }
    assert set(geo.boundaries) == set(AREA_LEVELS)
    for level, codes in frames.items():
        fc = geo.boundaries[level]
        assert fc["type"] == "FeatureCollection"
        assert [f["properties"]["code"] for f in fc["features"]] == codes.tolist()
        for f in fc["features"]:
            assert f["type"] == "Feature"
            assert f["geometry"]["type"] == "Polygon"  # every area is one contiguous piece
            assert f["properties"]["name"]
    oa_props = pd.DataFrame([f["properties"] for f in geo.boundaries["oa"]["features"]])
    for col in ("lsoa_code", "msoa_code", "ward_code", "lad_code"):
        assert oa_props[col].tolist() == geo.oas[col].tolist()
    lsoa_props = pd.DataFrame([f["properties"] for f in geo.boundaries["lsoa"]["features"]])
    assert lsoa_props["ward_code"].tolist() == geo.lsoas["ward_code"].tolist()
    assert lsoa_props["name"].tolist() == geo.lsoas["lsoa_name"].tolist()


def test_polygons_tile_and_nest(
    geo: SyntheticGeography, polys: dict[str, tuple[list[str], np.ndarray]]
) -> None:
    oa = polys["oa"][1]
    assert shapely.is_valid(oa).all()
    assert shapely.coverage_is_valid(oa)
    county = polys["county"][1][0]
    area = county.area
    assert len(county.interiors) == 0
    assert shapely.union_all(oa).area == pytest.approx(area, rel=1e-9)
    assert shapely.area(oa).sum() == pytest.approx(area, rel=1e-9)  # no overlaps
    for level in ("lsoa", "msoa", "ward", "lad"):
        assert shapely.area(polys[level][1]).sum() == pytest.approx(area, rel=1e-9)
    # Each parent is exactly the union of its children.
    children = {
        ("oa", "lsoa"): geo.oas["lsoa_code"],
        ("oa", "ward"): geo.oas["ward_code"],
        ("lsoa", "msoa"): geo.lsoas["msoa_code"],
        ("msoa", "lad"): geo.msoas["lad_code"],
        ("ward", "lad"): geo.wards["lad_code"],
    }
    for (child, parent), parent_of_child in children.items():
        child_area = pd.Series(shapely.area(polys[child][1])).groupby(parent_of_child.to_numpy())
        parent_codes, parent_geoms = polys[parent]
        parent_area = pd.Series(shapely.area(parent_geoms), index=parent_codes)
        np.testing.assert_allclose(child_area.sum().loc[parent_codes], parent_area, rtol=1e-9)
        # and lies inside it
        parent_idx = pd.Index(parent_codes).get_indexer(parent_of_child)
        pts = shapely.point_on_surface(polys[child][1])
        assert shapely.contains(parent_geoms[parent_idx], pts).all()
    # The county sits in the English Midlands, about 50 km across.
    minx, miny, maxx, maxy = county.bounds
    assert -2.6 < minx < maxx < -1.4 and 52.0 < miny < maxy < 52.8


def test_geojson_is_rfc7946(geo: SyntheticGeography) -> None:
    for fc in geo.boundaries.values():
        for f in fc["features"]:
            rings = f["geometry"]["coordinates"]
            ext = shapely.LinearRing(rings[0])
            assert ext.is_ccw  # exterior rings counter-clockwise
            coords = np.asarray(rings[0])
            assert np.allclose(coords * 1e6, np.round(coords * 1e6), atol=1e-6)  # 6 decimals


# --- determinism and files -----------------------------------------------------------------


def test_same_seed_same_geography_and_bytes(tmp_path: Path) -> None:
    a = build_geography(20_000, np.random.default_rng(11))
    b = build_geography(20_000, np.random.default_rng(11))
    for name in ("county", "lads", "wards", "msoas", "lsoas", "oas", "postcodes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.boundaries == b.boundaries
    write_geography(a, tmp_path / "a")
    write_geography(b, tmp_path / "b")
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")

    c = build_geography(20_000, np.random.default_rng(12))
    assert not c.postcodes["pcds"].equals(a.postcodes["pcds"]) or not c.postcodes["lat"].equals(
        a.postcodes["lat"]
    )
    assert a.boundaries["oa"] != c.boundaries["oa"]


def test_written_files(geo: SyntheticGeography, tmp_path: Path) -> None:
    write_geography(geo, tmp_path)
    names = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert names == sorted(
        ["postcode_lookup.csv", "areas.csv", "streets.csv"]
        + [f"boundaries/{level}.geojson" for level in AREA_LEVELS]
    )
    raw = (tmp_path / "postcode_lookup.csv").read_bytes()
    assert b"\r" not in raw
    assert raw.split(b"\n", 1)[0].decode() == ",".join(NSPL_COLUMNS)

    lookup = pd.read_csv(tmp_path / "postcode_lookup.csv", dtype=str, keep_default_na=False)
    pc = geo.postcodes
    assert list(lookup.columns) == list(NSPL_COLUMNS)
    assert lookup["pcds"].tolist() == pc["pcds"].tolist()
    assert lookup["pcd"].str.len().eq(7).all()
    assert lookup["pcd2"].str.len().eq(8).all()
    assert (lookup["pcd"].str.replace(" ", "") == lookup["pcds"].str.replace(" ", "")).all()
    assert (lookup["pcd2"].str.replace(" ", "") == lookup["pcds"].str.replace(" ", "")).all()
    short = lookup["pcds"].str.split(" ").str[0].str.len() == 3
    assert (lookup.loc[short, "pcd"].str[3] == " ").all()
    assert (lookup.loc[short, "pcd2"].str[3:5] == "  ").all()
    assert ((lookup["doterm"] == "") == pc["doterm"].isna().to_numpy()).all()
    assert lookup["doterm"][lookup["doterm"] != ""].str.fullmatch(r"202[1-5](0[1-9]|1[0-2])").all()
    assert lookup["usertype"].eq("0").all() and lookup["osgrdind"].eq("1").all()
    assert lookup["cty"].eq("E10900001").all() and lookup["ctry"].eq("E92000001").all()
    assert lookup["laua"].tolist() == pc["lad_code"].tolist()
    assert lookup["oa21cd"].tolist() == pc["oa_code"].tolist()
    assert lookup["pcon"].map(is_synthetic_code).all()
    assert lookup["pcon"].nunique() == 4
    rank = geo.lsoas.set_index("lsoa_code")["imd_rank"]
    assert (lookup["imd"].astype(int).to_numpy() == rank.loc[pc["lsoa_code"]].to_numpy()).all()
    assert lookup["lat"].str.fullmatch(r"52\.\d{6}").all()
    assert np.allclose(lookup["lat"].astype(float), pc["lat"], atol=5e-7)

    areas = pd.read_csv(tmp_path / "areas.csv", dtype=str, keep_default_na=False)
    counts = areas["level"].value_counts()
    assert counts["oa"] == len(geo.oas) and counts["lsoa"] == len(geo.lsoas)
    assert counts["ward"] == len(geo.wards) and counts["county"] == 1 and counts["lad"] == 4
    lsoa_rows = areas[areas["level"] == "lsoa"]
    assert lsoa_rows["imd_decile"].astype(int).tolist() == geo.lsoas["imd_decile"].tolist()
    assert (lsoa_rows["parent_code"].to_numpy() == geo.lsoas["msoa_code"].to_numpy()).all()

    streets = pd.read_csv(tmp_path / "streets.csv")
    assert list(streets.columns) == ["pcds", "street", "locality", "n_addresses"]
    assert len(streets) == len(pc)

    for level in AREA_LEVELS:
        text = (tmp_path / "boundaries" / f"{level}.geojson").read_text()
        assert json.loads(text) == geo.boundaries[level]


def test_decile_formula_edges() -> None:
    # The documented decile rule, on the national edges.
    for rank, decile in ((1, 1), (3284, 1), (3285, 2), (32844, 10)):
        assert math.ceil(rank / 3284.4) == decile


def test_the_place_survey_adds_up_and_follows_deprivation(geo: SyntheticGeography) -> None:
    from partnerhub.synth.surveys import place_survey

    published, truth = place_survey(geo, np.random.default_rng(3))
    again, _ = place_survey(geo, np.random.default_rng(3))
    pd.testing.assert_frame_equal(published, again)  # same seed, same table
    rows = published.set_index("Area Code")
    wards = rows.loc[geo.wards["ward_code"]]
    by_lad = wards.groupby(geo.wards.set_index("ward_code")["lad_code"])[["Count", "Denominator"]]
    for lad, sums in by_lad.sum().iterrows():  # a district is the sum of its wards
        assert rows.loc[lad, ["Count", "Denominator"]].tolist() == sums.tolist()
    county = rows.loc[geo.county["county_code"].iloc[0]]
    assert county["Denominator"] == wards["Denominator"].sum()
    assert (published["Lower CI 95.0 limit"] <= published["Value"]).all()
    assert (published["Value"] <= published["Upper CI 95.0 limit"]).all()
    decile = geo.lsoas.groupby("ward_code")["imd_decile"].mean()
    true = truth.set_index("ward_code")["true_satisfaction"]
    assert np.corrcoef(decile.loc[true.index], true)[0, 1] > 0.8  # less deprived, happier
