"""Youth-justice outcomes (police): first-time entrants aged 10-17 and their later outcomes.

About 200 per 100,000 young people aged 10-17 enter the youth justice system each year (NI 111),
boys about three times as often as girls, more in deprived areas; about 30% have a further
outcome later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partnerhub.synth.facts import Facts
from partnerhub.synth.world import World

__all__ = ["build_youth_justice"]

_OUTCOMES = (
    "reprimand",
    "final_warning",
    "youth_caution",
    "youth_conditional_caution",
    "conviction",
)
_OUTCOME_P = (0.3, 0.2, 0.25, 0.1, 0.15)
_OFFENCES = (
    "theft_other",
    "assault_without_injury",
    "criminal_damage",
    "drugs",
    "burglary_dwelling",
    "public_order",
    "assault_with_injury",
)
_OFFENCE_P = (0.3, 0.18, 0.15, 0.12, 0.08, 0.1, 0.07)


def build_youth_justice(world: World, rng: np.random.Generator) -> list[Facts]:
    rows = []
    entered: set[int] = set()
    for q in world.quarter_starts:
        res = world.residents_at(q + np.timedelta64(45, "D"))
        young = res.loc[(res["age"] >= 10) & (res["age"] < 18) & ~res["person_id"].isin(entered)]
        rate = 0.0021 / 4 * np.where(young["sex"].to_numpy() == "M", 1.5, 0.5)
        rate = rate * np.exp(0.45 * young["deprivation_z"].to_numpy())
        new = young.loc[rng.random(len(young)) < rate]
        entered.update(new["person_id"].tolist())
        n = len(new)
        rows.append(
            pd.DataFrame(
                {
                    "person_id": new["person_id"].to_numpy(),
                    "outcome_date": q + rng.integers(0, 90, n).astype("timedelta64[D]"),
                    "outcome": rng.choice(np.array(_OUTCOMES, dtype=object), n, p=_OUTCOME_P),
                    "offence_group": rng.choice(np.array(_OFFENCES, dtype=object), n, p=_OFFENCE_P),
                }
            )
        )
    first = pd.concat(rows, ignore_index=True)
    first["outcome_date"] = first["outcome_date"].to_numpy().astype("datetime64[D]")
    again = first.loc[rng.random(len(first)) < 0.3].copy()
    again["outcome_date"] = again["outcome_date"].to_numpy() + rng.integers(
        30, 500, len(again)
    ).astype("timedelta64[D]")
    again["outcome"] = rng.choice(
        np.array(["youth_conditional_caution", "conviction"], dtype=object), len(again)
    )
    frame = pd.concat([first, again], ignore_index=True)
    frame = frame.loc[frame["outcome_date"] < world.end]
    frame.insert(1, "seen_date", frame["outcome_date"].to_numpy())
    frame = frame.sort_values(["outcome_date", "person_id"], kind="stable").reset_index(drop=True)
    truth = first[["person_id", "outcome_date"]].rename(
        columns={"outcome_date": "first_outcome_date"}
    )
    return [Facts("police", "youth_outcomes", frame, {"first_time_entrants": truth})]
