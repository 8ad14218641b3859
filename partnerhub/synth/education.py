"""Education facts: the January school census, NCMP measurements and 16-18 NEET snapshots.

* **census** — every resident of compulsory school age (reception to year 11) and about 85% of
  16-17-year-olds, each January, with a school in their ward (primary or secondary) and free
  school meals (more likely in deprived areas, lone-parent and social-rent households);
* **NCMP** — reception and year 6 children measured between October and June; obesity (BMI
  centile ≥ 95) about 10% in reception and 22% in year 6, roughly doubling from the least to
  the most deprived areas; height and weight agree with the centile (NI 55, NI 56);
* **NEET** — young people in years 12-13 in the November, December and January snapshots:
  NEET about 5%, higher with deprivation, mostly persistent across the three months (NI 117).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partnerhub.synth.facts import Facts
from partnerhub.synth.world import World

__all__ = ["build_education", "year_group"]


def year_group(dob: np.ndarray, on: np.datetime64) -> np.ndarray:
    """National curriculum year on ``on`` (reception = 0): age on the previous 31 August − 4."""
    on_y = on.astype("datetime64[Y]").astype(int) + 1970
    aug31_year = np.where(on >= np.datetime64(f"{on_y}-09-01"), on_y, on_y - 1)
    dob = np.asarray(dob, dtype="datetime64[D]")
    by = dob.astype("datetime64[Y]").astype(int) + 1970
    after_aug = dob >= (dob.astype("datetime64[Y]") + np.timedelta64(8, "M")).astype(
        "datetime64[D]"
    )
    # Age on 31 August of the school year's start.
    age = aug31_year - by - after_aug.astype(int)
    return np.asarray(age - 4)


def _schools(res: pd.DataFrame) -> dict[str, np.ndarray]:
    wards = np.sort(res["ward_code"].unique())
    return {
        "ward": wards,
        "primary": np.array([f"{990001 + 2 * i}" for i in range(len(wards))], dtype=object),
        "secondary": np.array([f"{990002 + 2 * i}" for i in range(len(wards))], dtype=object),
    }


def build_education(world: World, rng: np.random.Generator) -> list[Facts]:
    tenure = world.households.set_index("household_id")["tenure"]
    hh_type = world.households.set_index("household_id")["household_type"]
    start_y = world.start.astype("datetime64[Y]").astype(int) + 1970
    census, ncmp, neet = [], [], []
    fsm_of: dict[int, bool] = {}
    for y in range(start_y + 1, start_y + 5):
        census_day = np.datetime64(f"{y}-01-20")
        if census_day >= world.end:
            break
        res = world.residents_at(census_day)
        yg = year_group(res["date_of_birth"].to_numpy(), census_day)
        pupils = res.loc[(yg >= 0) & (yg <= 13)].copy()
        pupils["year_group"] = yg[(yg >= 0) & (yg <= 13)]
        pupils = pupils.loc[(pupils["year_group"] <= 11) | (rng.random(len(pupils)) < 0.85)]
        schools = _schools(res)
        w = np.searchsorted(schools["ward"], pupils["ward_code"].to_numpy())
        pupils["school_urn"] = np.where(
            pupils["year_group"].to_numpy() <= 6, schools["primary"][w], schools["secondary"][w]
        )
        dep = pupils["deprivation_z"].to_numpy()
        hh = pupils["household_id"].to_numpy()
        logit = (
            -1.7
            + 0.7 * dep
            + 1.0 * (tenure.reindex(hh).to_numpy() == "social_rent")
            + 0.8 * (hh_type.reindex(hh).to_numpy() == "lone_parent")
        )
        u = np.array([fsm_of.get(int(p), -1) for p in pupils["person_id"]], dtype=float)
        fsm = np.where(u >= 0, u > 0, rng.random(len(pupils)) < 1 / (1 + np.exp(-logit)))
        fsm_of.update(zip(pupils["person_id"].astype(int).tolist(), fsm.tolist(), strict=True))
        pupils["free_school_meals"] = fsm
        pupils["snapshot_date"] = census_day
        census.append(pupils)

        # NCMP in the school year that contains this census.
        for yr, obese_base in ((0, 0.095), (6, 0.22)):
            kids = pupils.loc[(pupils["year_group"] == yr) & (rng.random(len(pupils)) < 0.95)]
            n = len(kids)
            kd = kids["deprivation_z"].to_numpy()
            p_obese = obese_base * np.exp(0.3 * kd) / np.exp(0.3 * kd).mean()
            obese = rng.random(n) < p_obese
            centile = np.where(obese, rng.uniform(95, 99.9, n), rng.uniform(1, 94.9, n))
            height = rng.normal(108 if yr == 0 else 145, 4.5 if yr == 0 else 6.5, n)
            bmi_median = 15.6 if yr == 0 else 17.5
            bmi = bmi_median * np.exp(0.12 * _probit(centile / 100))
            weight = bmi * (height / 100) ** 2
            measured = np.datetime64(f"{y - 1}-10-01") + rng.integers(0, 250, n).astype(
                "timedelta64[D]"
            )
            ncmp.append(
                pd.DataFrame(
                    {
                        "person_id": kids["person_id"].to_numpy(),
                        "snapshot_date": measured.astype("datetime64[D]"),
                        "school_urn": kids["school_urn"].to_numpy(),
                        "year_group": yr,
                        "height_cm": np.round(height, 1),
                        "weight_kg": np.round(weight, 1),
                        "bmi_centile": np.round(centile, 1),
                    }
                )
            )

        # NEET snapshots: November, December (of y-1) and January (of y).
        sixth = pupils.loc[pupils["year_group"].isin([12, 13])]
        older = res.loc[np.isin(yg, [12, 13]) & ~res["person_id"].isin(sixth["person_id"])]
        cohort = pd.concat([sixth, older], ignore_index=True).drop_duplicates("person_id")
        cd = cohort["deprivation_z"].to_numpy()
        base = rng.random(len(cohort)) < 0.05 * np.exp(0.5 * cd) / np.exp(0.5 * cd).mean()
        unknown = rng.random(len(cohort)) < 0.04
        for month_end in (f"{y - 1}-11-30", f"{y - 1}-12-31", f"{y}-01-31"):
            flip = rng.random(len(cohort)) < 0.015  # a few change status from month to month
            status = np.where(unknown, "not_known", np.where(base ^ flip, "neet", "eet"))
            neet.append(
                pd.DataFrame(
                    {
                        "person_id": cohort["person_id"].to_numpy(),
                        "snapshot_date": np.datetime64(month_end),
                        "neet_status": status.astype(object),
                    }
                )
            )
    keep = ["person_id", "snapshot_date", "school_urn", "year_group", "free_school_meals"]
    out = []
    for name, parts, cols in (
        ("census", census, keep),
        ("ncmp", ncmp, None),
        ("neet", neet, None),
    ):
        frame = pd.concat(parts, ignore_index=True)
        if cols is not None:
            frame = frame[cols]
        frame["snapshot_date"] = frame["snapshot_date"].to_numpy().astype("datetime64[D]")
        frame = frame.loc[frame["snapshot_date"] < world.end]
        frame.insert(1, "seen_date", frame["snapshot_date"].to_numpy())
        frame = frame.sort_values(["snapshot_date", "person_id"], kind="stable")
        out.append(Facts("education", name, frame.reset_index(drop=True)))
    return out


def _probit(p: np.ndarray) -> np.ndarray:
    """Inverse standard normal CDF (Abramowitz and Stegun 26.2.23; error < 4.5e-4)."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    t = np.sqrt(-2 * np.log(np.minimum(p, 1 - p)))
    z = t - (2.515517 + 0.802853 * t + 0.010328 * t**2) / (
        1 + 1.432788 * t + 0.189269 * t**2 + 0.001308 * t**3
    )
    return np.where(p < 0.5, -z, z)
