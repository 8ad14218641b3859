"""`partnerhub synth --people 100000 --seed 1`: the files, and the planted truth, with numbers.

One 100,000-person partnership is generated once for the module (through the CLI, as a user
would) and every test reads what was written: extracts through their contracts, truth/ beside.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from partnerhub.config import load_partnership
from partnerhub.schema import builtin_contract
from partnerhub.schema.identifiers import is_valid_nhs_number, is_valid_postcode_format
from partnerhub.synth.records import NOISE_PROFILES

pytestmark = pytest.mark.e2e

PEOPLE = 100_000


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth") / "partnership"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "partnerhub.cli",
            "synth",
            "--people",
            str(PEOPLE),
            "--seed",
            "1",
            "--out",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return folder


@pytest.fixture(scope="module")
def truth(out: Path) -> dict[str, pd.DataFrame]:
    names = [
        "people",
        "source_records",
        "care_home_hazards",
        "care_home_admissions",
        "residences",
        "life_events",
        "reablement",
    ]
    return {n: pd.read_parquet(out / "truth" / f"{n}.parquet") for n in names}


def read_extract(out: Path, name: str) -> pd.DataFrame:
    c = builtin_contract(name)
    path = out / "extracts" / c.partner / f"{c.dataset}.csv"
    return pd.read_csv(
        path, sep=c.file.delimiter, encoding=c.file.encoding, dtype=str, keep_default_na=False
    )


def test_partnership_toml_lists_every_extract_and_all_files_exist(out: Path) -> None:
    settings = load_partnership(out / "partnership.toml")
    datasets = [(p.id, d) for p in settings.partners for d in p.datasets]
    assert len(settings.partners) == 11  # ten partners and the area-level returns
    assert len(datasets) >= 19
    assert [d.id for p, d in datasets if p == "areas"] == ["operations", "resources"]
    for partner, ds in datasets:
        csv = settings.resolve(ds.path)
        assert csv.exists(), csv
        assert csv.with_suffix(".parquet").exists()
        c = builtin_contract(ds.contract.removeprefix("builtin:"))
        assert c.partner == partner
        frame = read_extract(out, f"{c.partner}_{c.dataset}")
        assert list(frame.columns) == list(c.column_names)
        assert len(frame) > 0
        assert len(frame) == len(pd.read_parquet(csv.with_suffix(".parquet")))
    for level in ("oa", "lsoa", "msoa", "ward", "lad", "county"):
        gj = json.loads((out / "geography" / "boundaries" / f"{level}.geojson").read_text())
        assert gj["type"] == "FeatureCollection" and gj["features"]
    for name in ("operations", "resources"):
        assert (out / "extracts" / "areas" / f"{name}.csv").exists()


def test_postcode_lookup_has_the_nspl_layout_and_covers_the_extracts(out: Path) -> None:
    lookup = pd.read_csv(
        out / "geography" / "postcode_lookup.csv", dtype=str, keep_default_na=False
    )
    for col in (
        "pcd",
        "pcds",
        "dointr",
        "doterm",
        "oa21cd",
        "lsoa21cd",
        "msoa21cd",
        "laua",
        "ward",
        "lat",
        "long",
        "imd",
    ):
        assert col in lookup.columns
    gp = read_extract(out, "gp_registrations")
    known = set(lookup["pcds"])
    share = gp["POSTCODE"].isin(known).mean()
    assert share > 0.995  # GP addresses are current; only a handful are keyed wrongly


def test_population_structure(truth: dict[str, pd.DataFrame]) -> None:
    p = truth["people"]
    start = np.datetime64("2021-04-01")
    at_start = p["arrival_date"].isna() & ~p["born_in_timeline"]
    assert 0.85 * PEOPLE <= at_start.sum() <= 1.15 * PEOPLE
    age = (start - p.loc[at_start, "date_of_birth"].to_numpy().astype("datetime64[D]")).astype(
        int
    ) / 365.25
    assert 0.18 <= (age >= 65).mean() <= 0.24  # English shire county: ~21%
    assert 0.18 <= (age < 18).mean() <= 0.24
    assert 0.015 <= (age >= 85).mean() <= 0.04
    # Older people living alone (Census 2021: about a third of 65+).
    hh_size = p.loc[at_start].groupby("household_id")["person_id"].transform("size")
    older_alone = (hh_size[age >= 65] == 1).mean()
    assert 0.25 <= older_alone <= 0.45
    assert all(is_valid_nhs_number(x) for x in p["nhs_number"].sample(2000, random_state=1))
    assert p["nhs_number"].str.startswith("999").all()
    assert p["nhs_number"].is_unique


def test_care_home_hazard_gives_a_realistic_admission_rate(truth: dict[str, pd.DataFrame]) -> None:
    haz = truth["care_home_hazards"]
    adm = truth["care_home_admissions"]
    person_years_65 = len(haz) / 12
    rate = len(adm) / person_years_65
    assert 0.005 <= rate <= 0.015  # permanent admissions, 65+: roughly 0.5-1.5% a year
    expected = haz["care_home_hazard"].sum()
    assert abs(len(adm) - expected) / expected < 0.35  # realised events follow the hazard
    deaths_65 = haz["death_hazard"].sum() / person_years_65
    assert 0.03 <= deaths_65 <= 0.065


def test_hazard_is_driven_by_the_planted_risk_factors(
    out: Path, truth: dict[str, pd.DataFrame]
) -> None:
    manifest = json.loads((out / "truth" / "manifest.json").read_text())
    coef = manifest["care_home_hazard"]["coefficients"]
    assert coef["dementia"] > 1 and coef["living_alone"] > 0 and coef["carer_in_household"] < 0
    haz = truth["care_home_hazards"]
    p = truth["people"].set_index("person_id")
    month = haz["month"].to_numpy()
    day = (np.datetime64("2021-04-01", "M") + month).astype("datetime64[D]")
    onset = p.loc[haz["person_id"], "dementia_onset_date"].to_numpy().astype("datetime64[D]")
    dementia = ~np.isnat(onset) & (onset <= day)
    h = haz["care_home_hazard"].to_numpy()
    ratio = h[dementia & (h > 0)].mean() / h[~dementia & (h > 0)].mean()
    assert ratio > 2.5  # exp(1.35) ≈ 3.9 before confounding by age


def test_noise_rates_are_within_bands(truth: dict[str, pd.DataFrame]) -> None:
    src = truth["source_records"]
    rates = src.groupby("partner")[
        ["nhs_missing", "given_typo", "nickname", "duplicate", "dob_swap", "stale_address"]
    ].mean()
    for partner, prof in NOISE_PROFILES.items():
        n = int((src["partner"] == partner).sum())
        for flag in ("nhs_missing", "given_typo", "duplicate"):
            target = getattr(prof, flag)
            if flag == "duplicate":
                target = target / (1 + target)  # duplicates are extra records
            sd = np.sqrt(max(target * (1 - target), 1e-4) / max(n, 1))
            assert abs(rates.loc[partner, flag] - target) <= max(5 * sd, 0.01), (partner, flag)
    # Partner-specific missing NHS numbers: GP almost never, police almost always.
    assert rates.loc["gp", "nhs_missing"] == 0.0
    assert rates.loc["police", "nhs_missing"] > 0.9
    assert rates.loc["voluntary", "nhs_missing"] == 1.0
    # Nicknames and stale addresses actually happen where planted.
    assert rates.loc["voluntary", "nickname"] > 0.03
    assert rates.loc["police", "stale_address"] > 0.005
    assert rates.loc["police", "stale_address"] > rates.loc["gp", "stale_address"]


def test_noise_is_visible_in_the_extracts(out: Path, truth: dict[str, pd.DataFrame]) -> None:
    src = truth["source_records"].set_index("local_id")
    people = truth["people"].set_index("person_id")
    acute = read_extract(out, "acute_spells").drop_duplicates("HospitalNo").set_index("HospitalNo")
    flags = src.loc[acute.index]
    true_names = people.loc[flags["person_id"], "given_name"].to_numpy()
    shown = acute["Forename"].to_numpy()
    changed = flags["nickname"].to_numpy() | flags["given_typo"].to_numpy()
    assert (shown[changed] != true_names[changed]).all()
    assert (shown[~changed] == true_names[~changed]).mean() > 0.999
    # Swapped day/month: the shown DOB is the true one with day and month exchanged.
    swapped = flags["dob_swap"].to_numpy() & ~flags["dob_error"].to_numpy()
    assert swapped.sum() > 20
    true_dob = pd.to_datetime(people.loc[flags["person_id"][swapped], "date_of_birth"])
    shown_dob = pd.to_datetime(acute["DateOfBirth"][swapped], format="%Y-%m-%d")
    assert (shown_dob.dt.day.to_numpy() == true_dob.dt.month.to_numpy()).all()
    assert (shown_dob.dt.month.to_numpy() == true_dob.dt.day.to_numpy()).all()
    # Duplicates: some people hold two hospital numbers.
    per_person = src.loc[src["partner"] == "acute"].groupby("person_id").size()
    assert 0.01 < (per_person > 1).mean() < 0.04


def test_police_victims_and_repeat_domestic_abuse(out: Path) -> None:
    crimes = read_extract(out, "police_crimes")
    assert crimes["CRIME_REF"].is_unique
    personal = crimes["HO_CLASS"].isin(["AWI", "AWOI", "GBH18", "ROBP"])
    assert (crimes.loc[personal, "VICT_SURNAME"] != "").mean() > 0.8
    da = crimes.loc[crimes["DA_FLAG"] == "Y"]
    repeats = da.groupby("VICTIM_ID").size()
    assert (repeats > 1).mean() > 0.1  # NI 32 needs repeat victims
    assert all(is_valid_postcode_format(x) for x in crimes["LOCATION_POSTCODE"].head(500) if x)


def test_planted_causal_effects_defeat_the_naive_estimate(out: Path) -> None:
    effects = json.loads((out / "truth" / "manifest.json").read_text())["causal_effects"]
    assert set(effects) == {"reablement", "patrols", "safety_visits"}
    for name, info in effects.items():
        planted, naive = info["comparison"]["planted"], info["comparison"]["naive"]
        # Opposite sign, or less than half the size: the naive estimate misleads.
        assert planted * naive < 0 or abs(naive) < 0.5 * abs(planted), name


def test_reablement_outcomes_follow_the_planted_model(truth: dict[str, pd.DataFrame]) -> None:
    r = truth["reablement"]
    assert len(r) > 200
    at_home = (r["outcome_91_days"] == "at_home").mean()
    assert 0.7 <= at_home <= 0.9  # ASCOF 2B is about 82% nationally
    assert abs(at_home - r["p_at_home"].mean()) < 0.03


def test_life_events_timeline(truth: dict[str, pd.DataFrame]) -> None:
    ev = truth["life_events"]
    counts = ev["event"].value_counts()
    for event in ("death", "birth", "move", "hospital_discharge", "care_home_admission"):
        assert counts.get(event, 0) > 50, event
    assert ev["date"].min() >= pd.Timestamp("2021-04-01")
    assert ev["date"].max() < pd.Timestamp("2025-04-01")
    deaths_per_1000 = counts["death"] / 4 / PEOPLE * 1000
    assert 7 <= deaths_per_1000 <= 13  # England: about 10 per 1,000 a year


def test_area_tables_agree_with_person_level_extracts(out: Path) -> None:
    ops = pd.read_csv(out / "extracts" / "areas" / "operations.csv")
    visits = read_extract(out, "fire_safety_visits")
    planned = ops.loc[ops["measure"] == "home_safety_visits", "value"].sum()
    assert len(visits) == int(planned)
    assert set(ops["measure"]) >= {"reablement_hours", "patrol_hours", "home_safety_visits"}
    res = pd.read_csv(out / "extracts" / "areas" / "resources.csv")
    assert (res["spend"] >= 0).all() and res["spend"].sum() > 0 and res["partner"].nunique() >= 8
