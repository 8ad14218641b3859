"""Build the :class:`World`: geography → households → area panel → timeline → identifiers.

Each stage draws from its own child of one ``numpy.random.SeedSequence(seed)``, so the same
seed gives the same county, and a change inside one stage does not reshuffle the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from partnerhub.synth.areas import AreaPanel, build_area_panel, reablement_baseline_logit
from partnerhub.synth.geography import SyntheticGeography, build_geography
from partnerhub.synth.identity import (
    draw_forenames,
    draw_middle_names,
    draw_nhs_numbers,
    draw_surnames,
)
from partnerhub.synth.population import build_population
from partnerhub.synth.timeline import simulate
from partnerhub.synth.world import World, day_to_date

__all__ = ["DEFAULT_MONTHS", "DEFAULT_START", "STAGES", "Built", "build_world", "stage_rngs"]

DEFAULT_START = np.datetime64("2021-04-01")
DEFAULT_MONTHS = 48
STAGES = (
    "geography",
    "population",
    "areas",
    "timeline",
    "identity",
    "records",
    "services",
    "benefits",
    "education",
    "housing",
    "police",
    "surveys",  # last: a stage's stream depends only on its position, so earlier ones stay
)

_CARE_HOME_NAMES = (
    "The Elms",
    "Oakwood House",
    "Beechcroft",
    "Willow Lodge",
    "Rosemary Court",
    "Ashdene",
    "Meadowbank",
    "The Laurels",
    "Hollybank",
    "Cedar Grange",
    "Fernlea",
    "Brookside House",
)


@dataclass(frozen=True)
class Built:
    """The world plus the pieces the extract writers need beside it."""

    world: World
    geography: SyntheticGeography
    areas: AreaPanel
    seed: int


def stage_rngs(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per stage, all from ``seed``."""
    children = np.random.SeedSequence(seed).spawn(len(STAGES))
    return {name: np.random.default_rng(s) for name, s in zip(STAGES, children, strict=True)}


def _live(postcodes: pd.DataFrame) -> np.ndarray:
    doterm = postcodes["doterm"]
    return (doterm.isna() | (doterm.astype(str).str.strip() == "")).to_numpy()


def build_world(
    n_people: int,
    seed: int,
    start: np.datetime64 = DEFAULT_START,
    months: int = DEFAULT_MONTHS,
) -> Built:
    """Simulate a county of about ``n_people`` over ``months`` from ``start``."""
    rngs = stage_rngs(seed)
    geo = build_geography(n_people, rngs["geography"])
    postcodes = geo.postcodes.reset_index(drop=True).copy()
    postcodes["doterm"] = np.where(_live(postcodes), None, postcodes["doterm"].astype(str))
    lsoas = geo.lsoas.reset_index(drop=True)
    pop = build_population(n_people, postcodes, lsoas, start, months, rngs["population"])

    score = postcodes["lsoa_code"].map(lsoas.set_index("lsoa_code")["imd_score"]).to_numpy(float)
    dep_z = (score - score.mean()) / (score.std() or 1.0)

    residents = _residents_by_lsoa(pop.people, pop.households, postcodes, lsoas, start)
    quarter_starts = (start.astype("datetime64[M]") + np.arange(0, months, 3)).astype(
        "datetime64[D]"
    )
    panel = build_area_panel(lsoas, residents, quarter_starts, rngs["areas"])

    wq = panel.ward_quarter.sort_values(["ward_code", "quarter_start"], kind="stable")
    wards = np.sort(wq["ward_code"].unique())
    ward_index = {w: i for i, w in enumerate(wards)}
    n_q = len(quarter_starts)
    need = wq["need_index"].to_numpy().reshape(len(wards), n_q)
    effect = wq["reablement_logit_effect"].to_numpy().reshape(len(wards), n_q)
    reab_logit = reablement_baseline_logit(need) + effect
    ward_of_pc = postcodes["ward_code"].map(ward_index).to_numpy()

    tl = simulate(
        pop.people,
        pop.households,
        postcodes,
        dep_z,
        ward_of_pc,
        reab_logit,
        start,
        months,
        rngs["timeline"],
    )
    people = _people_frame(tl.people, start, rngs["identity"])
    residences = _residence_frame(tl.residences, tl.care_homes, postcodes, dep_z, start)
    end = (start.astype("datetime64[M]") + months).astype("datetime64[D]")
    world = World(
        start=start,
        end=end,
        people=people,
        households=pop.households[["household_id", "household_type", "tenure"]].copy(),
        residences=residences,
        postcodes=postcodes,
        lsoas=lsoas,
        timeline=tl,
        ward_codes=tuple(wards.tolist()),
    )
    return Built(world=world, geography=geo, areas=panel, seed=seed)


def _residents_by_lsoa(
    people: pd.DataFrame,
    households: pd.DataFrame,
    postcodes: pd.DataFrame,
    lsoas: pd.DataFrame,
    start: np.datetime64,
) -> pd.DataFrame:
    at_start = people["arrival_month"].to_numpy() < 0
    p = people.loc[at_start]
    pc = households["postcode_index"].to_numpy()[p["household_id"].to_numpy()]
    lsoa = postcodes["lsoa_code"].to_numpy()[pc]
    dob = p["date_of_birth"].to_numpy().astype("datetime64[D]")
    age = (start - dob).astype(np.int64) / 365.25
    frame = pd.DataFrame(
        {"lsoa_code": lsoa, "pop_65plus": age >= 65, "pop_0_17": age < 18, "pop_total": 1}
    )
    out = frame.groupby("lsoa_code").sum().astype(np.int64)
    hh_start = households.loc[households["arrival_month"] < 0]
    hh_lsoa = postcodes["lsoa_code"].to_numpy()[hh_start["postcode_index"].to_numpy()]
    out["households"] = pd.Series(hh_lsoa).value_counts()
    out = out.reindex(lsoas["lsoa_code"]).fillna(0).astype(np.int64)
    return out.reset_index()[["lsoa_code", "pop_total", "pop_65plus", "pop_0_17", "households"]]


def _people_frame(tp: pd.DataFrame, start: np.datetime64, rng: np.random.Generator) -> pd.DataFrame:
    n = len(tp)
    dob = day_to_date(start, tp["dob_day"])
    birth_year = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    sex = tp["sex"].to_numpy()
    nhs = draw_nhs_numbers(n, rng)
    given = draw_forenames(sex, birth_year, rng)
    middle = draw_middle_names(sex, birth_year, rng)
    # Surnames: one per household, shared by most partners and all children.
    hh = tp["household_id"].to_numpy()
    n_hh = int(hh.max()) + 1 if n else 0
    hh_surname = draw_surnames(n_hh, rng)
    own = draw_surnames(n, rng)
    role = tp["role"].to_numpy()
    keeps = np.where(role == "partner", rng.random(n) < 0.85, role != "sharer")
    family = np.where(keeps, hh_surname[hh], own).astype(object)
    # Babies take their mother's surname.
    mother = tp["mother_id"].to_numpy()
    babies = np.flatnonzero(mother >= 0)
    family[babies] = family[mother[babies]]
    out = pd.DataFrame(
        {
            "person_id": tp["person_id"].to_numpy(),
            "household_id": hh,
            "role": role,
            "sex": sex,
            "date_of_birth": dob,
            "nhs_number": nhs,
            "given_name": given,
            "middle_names": middle,
            "family_name": family,
            "arrival_date": np.where(
                tp["arrival_month"].to_numpy() >= 0,
                (start.astype("datetime64[M]") + tp["arrival_month"].to_numpy()).astype(
                    "datetime64[D]"
                ),
                np.datetime64("NaT"),
            ).astype("datetime64[D]"),
            "born_in_timeline": tp["birth_month"].to_numpy() >= 0,
            "mother_id": mother,
            "death_date": day_to_date(start, tp["death_day"]),
            "death_place": tp["death_place"].to_numpy(),
            "departure_date": day_to_date(start, tp["depart_day"]),
            "dementia_onset_date": day_to_date(start, tp["dementia_onset_day"]),
            "dementia_diagnosed_date": day_to_date(start, tp["dementia_diagnosed_day"]),
            "learning_disability": tp["learning_disability"].to_numpy(),
        }
    )
    return out


def _residence_frame(
    res: pd.DataFrame,
    care_homes: pd.DataFrame,
    postcodes: pd.DataFrame,
    dep_z: np.ndarray,
    start: np.datetime64,
) -> pd.DataFrame:
    pc = res["postcode_index"].to_numpy()
    number = res["house_number"].to_numpy()
    care = res["care_home_index"].to_numpy()
    street = postcodes["street"].to_numpy()[pc]
    home_names = np.asarray(_CARE_HOME_NAMES, dtype=object)[
        np.maximum(care, 0) % len(_CARE_HOME_NAMES)
    ]
    line1 = np.where(
        care >= 0,
        np.char.add(home_names.astype(str), " Care Home"),
        np.char.add(np.char.add(number.astype(str), " "), street.astype(str)),
    ).astype(object)
    uprn = (100_000_000_000 + pc.astype(np.int64) * 1000 + number).astype(str)
    from_date = day_to_date(start, res["from_day"].clip(lower=0))
    out = pd.DataFrame(
        {
            "person_id": res["person_id"].to_numpy(),
            "from_date": from_date,
            "to_date": day_to_date(start, res["to_day"]),
            "postcode": postcodes["pcds"].to_numpy()[pc],
            "house_number": number,
            "address_line_1": line1,
            "town": postcodes["locality"].to_numpy()[pc],
            "uprn": uprn,
            "care_home_index": care,
            "oa_code": postcodes["oa_code"].to_numpy()[pc],
            "lsoa_code": postcodes["lsoa_code"].to_numpy()[pc],
            "msoa_code": postcodes["msoa_code"].to_numpy()[pc],
            "ward_code": postcodes["ward_code"].to_numpy()[pc],
            "lad_code": postcodes["lad_code"].to_numpy()[pc],
            "deprivation_z": dep_z[pc],
        }
    )
    # Spells that started and ended on the same day carry no information.
    keep = out["to_date"].isna() | (out["to_date"] > out["from_date"])
    out = out.loc[keep].reset_index(drop=True)
    # Repeated strings as categories (sorted, so sorting by them is sorting by the text):
    # a fraction of the memory, and far cheaper to filter and copy.
    for col in _CATEGORICAL:
        out[col] = pd.Categorical(out[col], categories=np.sort(out[col].unique()))
    return out


_CATEGORICAL = (
    "postcode",
    "address_line_1",
    "town",
    "uprn",
    "oa_code",
    "lsoa_code",
    "msoa_code",
    "ward_code",
    "lad_code",
)
