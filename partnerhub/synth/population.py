"""Households and people at the start of the timeline (plus future in-migrants).

Households are drawn first by type (older person alone, older couple, adults, families, lone
parents, sharers), then their members' ages and sexes follow from the type, so the county's age
structure, household sizes and the share of older people living alone come out together, as in a
real English shire county (Census 2021: about 22% aged 65+, 30% one-person households).
Household types are placed where they are more likely: families and social renters more often in
deprived areas, older people more often in rural and less deprived ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["HOUSEHOLD_TYPES", "Population", "build_population"]

# type: (share of households, tenure-deprivation affinity, older-people affinity)
HOUSEHOLD_TYPES: dict[str, float] = {
    "older_single": 0.15,
    "older_couple": 0.135,
    "adult_single": 0.15,
    "adult_couple": 0.165,
    "family_couple": 0.19,
    "lone_parent": 0.075,
    "family_adult_children": 0.08,
    "sharers": 0.05,
}
_TYPE_NAMES = tuple(HOUSEHOLD_TYPES)
_AVG_SIZE = {
    "older_single": 1.0,
    "older_couple": 2.0,
    "adult_single": 1.0,
    "adult_couple": 2.0,
    "family_couple": 3.8,
    "lone_parent": 2.7,
    "family_adult_children": 3.3,
    "sharers": 2.8,
}
_DEPRIVATION_AFFINITY = {  # log-weight per SD of deprivation when placing the household
    "older_single": 0.0,
    "older_couple": -0.45,
    "adult_single": 0.25,
    "adult_couple": 0.0,
    "family_couple": -0.05,
    "lone_parent": 0.8,
    "family_adult_children": 0.1,
    "sharers": 0.4,
}


@dataclass(frozen=True)
class Population:
    """People and households; ``arrival_month`` is -1 for residents at the start."""

    people: pd.DataFrame
    households: pd.DataFrame


def _older_ages(rng: np.random.Generator, n: int) -> np.ndarray:
    # 65+ ages with the English shape: many 65-79, a thinning tail to 100.
    x = 65 + rng.gamma(shape=1.25, scale=9.0, size=n)
    return np.minimum(x, 103.0)


def build_population(
    n_people: int,
    postcodes: pd.DataFrame,
    lsoas: pd.DataFrame,
    start: np.datetime64,
    months: int,
    rng: np.random.Generator,
    in_migration_rate: float = 0.022,
) -> Population:
    """Draw households and people for a county of about ``n_people`` residents.

    ``postcodes`` needs ``pcds, lsoa_code, n_addresses, doterm, dointr``; ``lsoas`` needs
    ``lsoa_code, imd_score``. In-migrant households (``in_migration_rate`` of the population a
    year) are drawn now with an ``arrival_month`` so every identifier is made in one pass.
    """
    n_start_households = max(8, round(n_people / _mean_size()))
    n_arrivals = round(n_start_households * in_migration_rate * months / 12)
    n_households = n_start_households + n_arrivals
    types = rng.choice(len(_TYPE_NAMES), size=n_households, p=_type_probs())
    arrival = np.full(n_households, -1, dtype=np.int32)
    arrival[n_start_households:] = rng.integers(0, months, size=n_arrivals)
    # Arrivals skew young: redraw the type of arriving households from a younger mix.
    young_mix = np.array([0.04, 0.03, 0.32, 0.25, 0.18, 0.06, 0.02, 0.10])
    types[n_start_households:] = rng.choice(len(_TYPE_NAMES), size=n_arrivals, p=young_mix)

    hh_postcode = _place_households(types, postcodes, lsoas, rng)
    members = _members(types, rng)
    hh_index = members["household"]
    people = pd.DataFrame(
        {
            "household_id": hh_index.astype(np.int64),
            "role": members["role"],
            "sex": members["sex"],
            "age_at_start": members["age"],
        }
    )
    # Arriving households' ages are at arrival; shift back to the timeline start.
    arr_month = arrival[hh_index]
    age = people["age_at_start"].to_numpy() - np.where(arr_month >= 0, arr_month / 12.0, 0.0)
    days_old = np.round(age * 365.25).astype(np.int64)
    dob = start - days_old.astype("timedelta64[D]")
    people["date_of_birth"] = dob
    people["arrival_month"] = arr_month
    people = people.drop(columns=["age_at_start"])
    people.insert(0, "person_id", np.arange(len(people), dtype=np.int64))

    deprivation = _deprivation_z(postcodes, lsoas)[hh_postcode]
    tenure = _tenure(types, deprivation, rng)
    households = pd.DataFrame(
        {
            "household_id": np.arange(n_households, dtype=np.int64),
            "household_type": np.asarray(_TYPE_NAMES, dtype=object)[types],
            "tenure": tenure,
            "postcode_index": hh_postcode,
            "arrival_month": arrival,
        }
    )
    return Population(people=people, households=households)


def _mean_size() -> float:
    return float(sum(HOUSEHOLD_TYPES[t] * _AVG_SIZE[t] for t in _TYPE_NAMES))


def _type_probs() -> np.ndarray:
    p = np.array([HOUSEHOLD_TYPES[t] for t in _TYPE_NAMES])
    return p / p.sum()


def _deprivation_z(postcodes: pd.DataFrame, lsoas: pd.DataFrame) -> np.ndarray:
    score = lsoas.set_index("lsoa_code")["imd_score"]
    s = postcodes["lsoa_code"].map(score).to_numpy(dtype=float)
    return (s - s.mean()) / (s.std() or 1.0)


def _place_households(
    types: np.ndarray, postcodes: pd.DataFrame, lsoas: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """Postcode index of each household; weights by capacity and deprivation affinity."""
    capacity = postcodes["n_addresses"].to_numpy(dtype=float)
    live = (
        postcodes["doterm"].isna().to_numpy() if "doterm" in postcodes else np.ones(len(capacity))
    )
    capacity = np.where(live, capacity, 0.0)
    dep = _deprivation_z(postcodes, lsoas)
    out = np.empty(len(types), dtype=np.int64)
    for t, name in enumerate(_TYPE_NAMES):
        idx = np.flatnonzero(types == t)
        if idx.size == 0:
            continue
        w = capacity * np.exp(_DEPRIVATION_AFFINITY[name] * dep)
        out[idx] = rng.choice(len(w), size=idx.size, p=w / w.sum())
    return out


def _tenure(types: np.ndarray, dep: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    social = 1 / (
        1 + np.exp(-(-2.2 + 0.9 * dep + 0.9 * (types == _TYPE_NAMES.index("lone_parent"))))
    )
    private = np.full(len(types), 0.18)
    private[np.isin(types, [_TYPE_NAMES.index("sharers"), _TYPE_NAMES.index("adult_single")])] = 0.4
    u = rng.random(len(types))
    return np.where(
        u < social, "social_rent", np.where(u < social + private, "private_rent", "owner")
    ).astype(object)


def _members(types: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Ages, sexes and roles of every household's members, vectorised per type."""
    hh_parts: list[np.ndarray] = []
    role_parts: list[np.ndarray] = []
    sex_parts: list[np.ndarray] = []
    age_parts: list[np.ndarray] = []

    def add(hh: np.ndarray, role: str, sex: np.ndarray, age: np.ndarray) -> None:
        hh_parts.append(hh)
        role_parts.append(np.full(hh.size, role, dtype=object))
        sex_parts.append(sex)
        age_parts.append(age)

    def sexes(n: int, p_female: float) -> np.ndarray:
        return np.where(rng.random(n) < p_female, "F", "M").astype(object)

    def kids(parents_hh: np.ndarray, parent_age: np.ndarray, lo: int, hi: int) -> None:
        n_kids = rng.choice([1, 2, 3, 4], size=parents_hh.size, p=[0.42, 0.4, 0.14, 0.04])
        hh = np.repeat(parents_hh, n_kids)
        page = np.repeat(parent_age, n_kids)
        gap = rng.uniform(20, 42, size=hh.size)
        age = np.clip(page - gap, lo, hi) + rng.uniform(0, 0.99, size=hh.size)
        age = np.minimum(age, hi + 0.99)
        add(hh, "child", sexes(hh.size, 0.488), age)

    idx = {name: np.flatnonzero(types == t) for t, name in enumerate(_TYPE_NAMES)}

    hh = idx["older_single"]
    add(hh, "head", sexes(hh.size, 0.66), _older_ages(rng, hh.size) + 2.0)

    hh = idx["older_couple"]
    a = _older_ages(rng, hh.size)
    add(hh, "head", np.full(hh.size, "M", dtype=object), a)
    add(
        hh,
        "partner",
        np.full(hh.size, "F", dtype=object),
        np.maximum(a - rng.normal(2, 3, hh.size), 58),
    )

    hh = idx["adult_single"]
    a = np.where(
        rng.random(hh.size) < 0.55, rng.uniform(18, 40, hh.size), rng.uniform(40, 65, hh.size)
    )
    add(hh, "head", sexes(hh.size, 0.47), a)

    hh = idx["adult_couple"]
    a = np.where(
        rng.random(hh.size) < 0.45, rng.uniform(20, 38, hh.size), rng.uniform(45, 68, hh.size)
    )
    add(hh, "head", np.full(hh.size, "M", dtype=object), a)
    add(hh, "partner", sexes(hh.size, 0.97), np.maximum(a - rng.normal(2, 3, hh.size), 18))

    hh = idx["family_couple"]
    a = rng.uniform(25, 56, hh.size)
    add(hh, "head", np.full(hh.size, "M", dtype=object), a)
    add(hh, "partner", sexes(hh.size, 0.98), np.maximum(a - rng.normal(2, 3, hh.size), 19))
    kids(hh, a, 0, 17)

    hh = idx["lone_parent"]
    a = rng.uniform(19, 52, hh.size)
    add(hh, "head", sexes(hh.size, 0.9), a)
    kids(hh, a, 0, 17)

    hh = idx["family_adult_children"]
    a = rng.uniform(44, 72, hh.size)
    add(hh, "head", np.full(hh.size, "M", dtype=object), a)
    add(hh, "partner", sexes(hh.size, 0.98), np.maximum(a - rng.normal(2, 3, hh.size), 38))
    n_adult_kids = rng.choice([1, 2], size=hh.size, p=[0.7, 0.3])
    khh = np.repeat(hh, n_adult_kids)
    kage = np.clip(np.repeat(a, n_adult_kids) - rng.uniform(22, 36, khh.size), 16, 45)
    add(khh, "adult_child", sexes(khh.size, 0.45), kage)

    hh = idx["sharers"]
    n = rng.choice([2, 3, 4], size=hh.size, p=[0.5, 0.35, 0.15])
    shh = np.repeat(hh, n)
    add(shh, "sharer", sexes(shh.size, 0.48), rng.uniform(18, 38, shh.size))

    order = np.argsort(np.concatenate(hh_parts), kind="stable")
    return {
        "household": np.concatenate(hh_parts)[order],
        "role": np.concatenate(role_parts)[order],
        "sex": np.concatenate(sex_parts)[order],
        "age": np.concatenate(age_parts)[order],
    }
