"""Facts behind the police, fire and voluntary-sector extracts.

Crimes and fires are generated per area by :mod:`partnerhub.synth.areas` (with the planted
effects of patrols and safety visits); here they get their people: victims of personal and
household crimes are residents of the crime's LSOA (domestic-abuse victims are mostly women,
and about a quarter of them are victimised again within a year — NI 32), a dwelling fire has
an address, and every home fire safety visit counted in the area table is a visit to a real
household (older people living alone first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partnerhub.synth.areas import AreaPanel
from partnerhub.synth.facts import Facts
from partnerhub.synth.world import World

__all__ = ["build_community"]

_PERSONAL = frozenset(
    {
        "homicide",
        "attempted_murder",
        "wounding_gbh_s18",
        "assault_with_injury",
        "assault_without_injury",
        "robbery_personal",
        "sexual_offence",
    }
)
_HOUSEHOLD = frozenset(
    {
        "burglary_dwelling",
        "theft_of_vehicle",
        "theft_from_vehicle",
        "criminal_damage",
        "arson_criminal_damage",
    }
)


def build_community(world: World, panel: AreaPanel, rng: np.random.Generator) -> list[Facts]:
    snapshots = _snapshots(world)
    return [
        _crimes(world, panel, snapshots, rng),
        _fire_incidents(world, panel, snapshots, rng),
        _safety_visits(world, panel, snapshots, rng),
        _voluntary(world, rng),
    ]


def _snapshots(world: World) -> list[pd.DataFrame]:
    """Residents at the middle of each quarter, sorted by LSOA (for drawing people by area)."""
    out = []
    for q in world.quarter_starts:
        res = world.residents_at(q + np.timedelta64(45, "D"))
        res = res.loc[~res["in_care_home"]]
        out.append(
            res.sort_values(["lsoa_code", "person_id"], kind="stable").reset_index(drop=True)
        )
    return out


def _quarter_of(world: World, dates: np.ndarray) -> np.ndarray:
    q = np.searchsorted(world.quarter_starts, dates.astype("datetime64[D]"), side="right") - 1
    return np.clip(q, 0, len(world.quarter_starts) - 1)


def _draw_in_area(
    pool: pd.DataFrame, area_col: str, areas: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Row index into ``pool`` of one random member per requested area (-1 if none)."""
    codes = pool[area_col].to_numpy()
    lo = np.searchsorted(codes, areas, side="left")
    hi = np.searchsorted(codes, areas, side="right")
    size = hi - lo
    pick = lo + (rng.random(areas.size) * np.maximum(size, 1)).astype(np.int64)
    return np.where(size > 0, pick, -1)


def _crimes(
    world: World, panel: AreaPanel, snaps: list[pd.DataFrame], rng: np.random.Generator
) -> Facts:
    c = panel.crimes.sort_values(["occurred_date", "crime_ref"], kind="stable").reset_index(
        drop=True
    )
    n = len(c)
    dates = c["occurred_date"].to_numpy().astype("datetime64[D]")
    q = _quarter_of(world, dates)
    group = c["offence_group"].to_numpy()
    da = c["domestic_abuse"].to_numpy().astype(bool)
    lsoa = c["lsoa_code"].to_numpy()
    person = np.full(n, -1, dtype=np.int64)
    postcode = np.full(n, None, dtype=object)
    known = (np.isin(group, list(_PERSONAL)) & (rng.random(n) < 0.9)) | np.isin(
        group, list(_HOUSEHOLD)
    )
    for qi, snap in enumerate(snaps):
        adults = snap.loc[(snap["age"] >= 16) & (snap["age"] < 80)]
        young = adults.loc[rng.random(len(adults)) < np.exp(-(adults["age"].to_numpy() - 16) / 30)]
        women = adults.loc[(adults["sex"].to_numpy() == "F") & (adults["age"].to_numpy() < 60)]
        heads = snap.loc[snap["age"] >= 18].drop_duplicates("household_id")
        heads = heads.sort_values(["lsoa_code", "person_id"], kind="stable")
        for pool, mask in (
            (
                young.reset_index(drop=True),
                known & (q == qi) & np.isin(group, list(_PERSONAL)) & ~da,
            ),
            (women.reset_index(drop=True), known & (q == qi) & da),
            (heads.reset_index(drop=True), known & (q == qi) & np.isin(group, list(_HOUSEHOLD))),
        ):
            idx = np.flatnonzero(mask)
            row = _draw_in_area(pool, "lsoa_code", lsoa[idx], rng)
            ok = row >= 0
            person[idx[ok]] = pool["person_id"].to_numpy()[row[ok]]
            household = np.isin(group[idx[ok]], list(_HOUSEHOLD))
            pcs = pool["postcode"].to_numpy()[row[ok]]
            postcode[idx[ok][household]] = pcs[household]
    # Repeat domestic abuse: ~30% of DA incidents are against an earlier victim in the LSOA.
    da_idx = np.flatnonzero(da & (person >= 0))
    last_victim: dict[str, tuple[int, np.datetime64]] = {}
    repeat = rng.random(da_idx.size) < 0.3
    for k, i in enumerate(da_idx.tolist()):
        prev = last_victim.get(lsoa[i])
        if repeat[k] and prev is not None and (dates[i] - prev[1]).astype(int) < 365:
            person[i] = prev[0]
        last_victim[lsoa[i]] = (int(person[i]), dates[i])
    # Location postcode of non-household crimes: a postcode of the LSOA.
    pcs = world.postcodes.sort_values(["lsoa_code", "pcds"], kind="stable").reset_index(drop=True)
    need = np.flatnonzero(pd.isna(postcode))
    row = _draw_in_area(pcs, "lsoa_code", lsoa[need], rng)
    postcode[need[row >= 0]] = pcs["pcds"].to_numpy()[row[row >= 0]]
    frame = pd.DataFrame(
        {
            "person_id": person,
            "seen_date": dates,
            "row_id": c["crime_ref"].to_numpy(),
            "crime_ref": c["crime_ref"].to_numpy(),
            "occurred_date": dates,
            "offence_group": group,
            "domestic_abuse": da,
            "postcode": postcode,
        }
    )
    truth = frame.loc[frame["domestic_abuse"], ["person_id", "crime_ref", "occurred_date"]]
    return Facts(
        "police", "crimes", frame, {"domestic_abuse_victims": truth.reset_index(drop=True)}
    )


def _fire_incidents(
    world: World, panel: AreaPanel, snaps: list[pd.DataFrame], rng: np.random.Generator
) -> Facts:
    f = panel.fires.sort_values(["incident_date", "incident_ref"], kind="stable").reset_index(
        drop=True
    )
    n = len(f)
    dates = f["incident_date"].to_numpy().astype("datetime64[D]")
    q = _quarter_of(world, dates)
    postcode = np.full(n, None, dtype=object)
    address = np.full(n, None, dtype=object)
    dwelling = f["property_type"].to_numpy() == "dwelling"
    for qi, snap in enumerate(snaps):
        homes = snap.drop_duplicates("household_id").reset_index(drop=True)
        idx = np.flatnonzero(dwelling & (q == qi))
        row = _draw_in_area(homes, "lsoa_code", f["lsoa_code"].to_numpy()[idx], rng)
        ok = row >= 0
        postcode[idx[ok]] = homes["postcode"].to_numpy()[row[ok]]
        address[idx[ok]] = homes["address_line_1"].to_numpy()[row[ok]]
    pcs = world.postcodes.sort_values(["lsoa_code", "pcds"], kind="stable").reset_index(drop=True)
    need = np.flatnonzero(pd.isna(postcode))
    row = _draw_in_area(pcs, "lsoa_code", f["lsoa_code"].to_numpy()[need], rng)
    postcode[need[row >= 0]] = pcs["pcds"].to_numpy()[row[row >= 0]]
    frame = pd.DataFrame(
        {
            "person_id": np.full(n, -1, dtype=np.int64),
            "seen_date": dates,
            "row_id": f["incident_ref"].to_numpy(),
            "incident_ref": f["incident_ref"].to_numpy(),
            "incident_date": dates,
            "fire_type": f["fire_type"].to_numpy(),
            "property_type": f["property_type"].to_numpy(),
            "deliberate": f["deliberate"].to_numpy().astype(bool),
            "fatalities": f["fatalities"].to_numpy().astype(np.int64),
            "non_fatal_casualties": f["non_fatal_casualties"].to_numpy().astype(np.int64),
            "postcode": postcode,
            "address_line_1": address,
        }
    )
    return Facts("fire", "incidents", frame)


def _safety_visits(
    world: World, panel: AreaPanel, snaps: list[pd.DataFrame], rng: np.random.Generator
) -> Facts:
    wq = panel.ward_quarter
    q_index = {np.datetime64(d, "D"): i for i, d in enumerate(world.quarter_starts)}
    rows = []
    for qi, snap in enumerate(snaps):
        heads = snap.sort_values(["household_id", "age"], ascending=[True, False], kind="stable")
        heads = heads.drop_duplicates("household_id")
        alone = heads["household_id"].map(snap["household_id"].value_counts()).to_numpy() == 1
        weight = np.where(heads["age"].to_numpy() >= 65, 3.0, 1.0) * np.where(alone, 2.0, 1.0)
        this_q = wq.loc[
            wq["quarter_start"].to_numpy().astype("datetime64[D]") == world.quarter_starts[qi]
        ]
        # Weighted sampling without replacement within each ward, in one pass: give every
        # household an exponential key (Efraimidis-Spirakis) and keep each ward's k smallest.
        visits = this_q.set_index("ward_code")["safety_visits"]
        k = visits.reindex(heads["ward_code"]).fillna(0).to_numpy().astype(np.int64)
        key = rng.exponential(size=len(heads)) / weight
        order = np.lexsort((key, heads["ward_code"].to_numpy()))
        ward_sorted = heads["ward_code"].to_numpy()[order]
        first = np.searchsorted(ward_sorted, ward_sorted, side="left")
        rank = np.arange(order.size) - first
        chosen = order[rank < k[order]]
        rows.append(
            pd.DataFrame(
                {
                    "person_id": heads["person_id"].to_numpy()[chosen],
                    "contact_date": world.quarter_starts[qi]
                    + rng.integers(0, 90, size=chosen.size).astype("timedelta64[D]"),
                }
            )
        )
    del q_index
    frame = pd.concat(rows, ignore_index=True)
    frame["contact_date"] = frame["contact_date"].to_numpy().astype("datetime64[D]")
    frame.insert(1, "seen_date", frame["contact_date"].to_numpy())
    frame = frame.sort_values(["contact_date", "person_id"], kind="stable").reset_index(drop=True)
    return Facts("fire", "safety_visits", frame)


def _voluntary(world: World, rng: np.random.Generator) -> Facts:
    rows = []
    for year in range(len(world.quarter_starts) // 4):
        when = world.quarter_starts[year * 4] + np.timedelta64(120, "D")
        res = world.residents_at(when)
        res = res.loc[~res["in_care_home"]]
        hh_size = res["household_id"].map(res["household_id"].value_counts()).to_numpy()
        older = res["age"].to_numpy() >= 65
        for service, mask, rate, visits in (
            ("befriending", older & (hh_size == 1), 0.04, 6),
            ("falls_prevention", older & (res["age"].to_numpy() >= 75), 0.015, 4),
            ("carers_support", (res["age"].to_numpy() >= 40) & (hh_size == 2), 0.006, 3),
            ("benefits_advice", res["deprivation_z"].to_numpy() > 0.8, 0.01, 1),
        ):
            chosen = res["person_id"].to_numpy()[mask & (rng.random(len(res)) < rate)]
            reps = np.repeat(chosen, visits)
            offsets = np.tile(np.arange(visits) * 30, chosen.size) + rng.integers(0, 25, reps.size)
            rows.append(
                pd.DataFrame(
                    {
                        "person_id": reps,
                        "service": service,
                        "contact_date": (when + offsets.astype("timedelta64[D]")).astype(
                            "datetime64[D]"
                        ),
                    }
                )
            )
    frame = pd.concat(rows, ignore_index=True)
    frame = frame.loc[frame["contact_date"] < world.end]
    frame.insert(1, "seen_date", frame["contact_date"].to_numpy())
    frame = frame.sort_values(["contact_date", "person_id", "service"], kind="stable")
    return Facts("voluntary", "contacts", frame.reset_index(drop=True))
