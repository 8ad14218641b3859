"""Housing events, recorded against the household's lead person.

* social-housing tenancies (start/end) of social-rent households;
* eviction notices (about 1% of renting households a year, more in deprived areas), a third of
  which lead to a homelessness application within three months; other applications arise
  anyway (4-6 per 1,000 households a year in all);
* about half of applications are accepted a month or two later, and most accepted households
  spend 1-18 months in temporary accommodation (NI 156);
* housing-related support ("Supporting People") for vulnerable adults, ending in a planned
  (about 70%) or unplanned exit (NI 141/142).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partnerhub.synth.facts import Facts
from partnerhub.synth.world import World

__all__ = ["build_housing"]


def _days(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    return rng.integers(lo, hi, n).astype("timedelta64[D]")


def build_housing(world: World, rng: np.random.Generator) -> list[Facts]:
    tenure = world.households.set_index("household_id")["tenure"]
    events: list[pd.DataFrame] = []

    def add(frame: pd.DataFrame, kind: str, date: np.ndarray) -> None:
        events.append(
            pd.DataFrame(
                {
                    "person_id": frame["person_id"].to_numpy(),
                    "household_id": frame["household_id"].to_numpy(),
                    "event_type": kind,
                    "event_date": np.asarray(date, dtype="datetime64[D]"),
                    "household_size": frame["household_size"].to_numpy(),
                    "postcode": frame["postcode"].to_numpy(),
                }
            )
        )

    for qi, q in enumerate(world.quarter_starts):
        res = world.residents_at(q + np.timedelta64(45, "D"))
        res = res.loc[~res["in_care_home"]]
        size = res.groupby("household_id")["person_id"].transform("size")
        res = res.assign(household_size=size.to_numpy())
        leads = res.loc[res["age"] >= 18].sort_values(
            ["household_id", "age"], ascending=[True, False]
        )
        leads = leads.drop_duplicates("household_id").reset_index(drop=True)
        ten = tenure.reindex(leads["household_id"]).to_numpy()
        dep = leads["deprivation_z"].to_numpy()
        renting = np.isin(ten, ["private_rent", "social_rent"])
        if qi == 0:
            social = leads.loc[ten == "social_rent"]
            add(social, "tenancy_start", q - _days(rng, len(social), 30, 20 * 365))
        notice = renting & (rng.random(len(leads)) < 0.01 / 4 * np.exp(0.5 * dep))
        n_df = leads.loc[notice]
        n_date = q + _days(rng, len(n_df), 0, 90)
        add(n_df, "eviction_notice", n_date)
        follow = rng.random(len(n_df)) < 0.35
        apply_a = n_df.loc[follow]
        a_date_a = n_date[follow] + _days(rng, len(apply_a), 5, 90)
        other = ~notice & (rng.random(len(leads)) < 0.004 / 4 * np.exp(0.5 * dep))
        apply_b = leads.loc[other]
        a_date_b = q + _days(rng, len(apply_b), 0, 90)
        apps = pd.concat([apply_a, apply_b], ignore_index=True)
        a_date = np.concatenate([a_date_a, a_date_b])
        add(apps, "homelessness_application", a_date)
        acc = rng.random(len(apps)) < 0.5
        acc_df = apps.loc[acc]
        acc_date = a_date[acc] + _days(rng, len(acc_df), 20, 70)
        add(acc_df, "homelessness_acceptance", acc_date)
        ta = rng.random(len(acc_df)) < 0.8
        ta_df = acc_df.loc[ta]
        ta_start = acc_date[ta] - _days(rng, len(ta_df), 0, 20)
        add(ta_df, "temporary_accommodation_start", ta_start)
        ta_end = ta_start + _days(rng, len(ta_df), 30, 540)
        add(ta_df, "temporary_accommodation_end", ta_end)
        # Housing-related support for vulnerable adults.
        ld = world.people.set_index("person_id")["learning_disability"]
        vulnerable = ld.reindex(leads["person_id"]).fillna(False).to_numpy().astype(bool)
        vulnerable |= (leads["age"].to_numpy() < 25) & (dep > 1.0) & (rng.random(len(leads)) < 0.1)
        sp = leads.loc[vulnerable & (rng.random(len(leads)) < 0.05)]
        sp_start = q + _days(rng, len(sp), 0, 90)
        add(sp, "supporting_people_start", sp_start)
        planned = rng.random(len(sp)) < 0.7
        sp_end = sp_start + _days(rng, len(sp), 60, 500)
        add(sp.loc[planned], "supporting_people_planned_exit", sp_end[planned])
        add(sp.loc[~planned], "supporting_people_unplanned_exit", sp_end[~planned])
    frame = pd.concat(events, ignore_index=True)
    frame = frame.drop_duplicates(["person_id", "event_type", "event_date"])
    # Nothing happens after the lead person died or left, or after the extract date.
    p = world.people.set_index("person_id")
    gone = np.fmin(
        p["death_date"].to_numpy().astype("datetime64[D]"),
        p["departure_date"].to_numpy().astype("datetime64[D]"),
    )
    gone = pd.Series(gone, index=p.index).reindex(frame["person_id"]).to_numpy()
    keep = (frame["event_date"].to_numpy() < world.end) & (
        np.isnat(gone) | (frame["event_date"].to_numpy() <= gone)
    )
    frame = frame.loc[keep].sort_values(["event_date", "person_id", "event_type"], kind="stable")
    frame.insert(1, "seen_date", np.maximum(frame["event_date"].to_numpy(), world.start))
    truth = frame.loc[
        frame["event_type"].isin(["eviction_notice", "temporary_accommodation_start"]),
        ["person_id", "household_id", "event_type", "event_date"],
    ].reset_index(drop=True)
    frame = frame.drop(columns=["household_id"]).reset_index(drop=True)
    return [Facts("housing", "events", frame, {"housing_life_events": truth})]
