"""The simulated county as one object: people, households, where they lived, what happened.

Builders of partner extracts read a :class:`World`; nothing in it is what a partner would see
(that is made, with its noise, in :mod:`partnerhub.synth.records`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from partnerhub.synth.timeline import Timeline

__all__ = ["NEVER_DAY", "World", "day_to_date"]

NEVER_DAY = np.iinfo(np.int32).max


def day_to_date(start: np.datetime64, days: np.ndarray | pd.Series) -> np.ndarray:
    """Day offsets from ``start`` → datetime64[D]; the NEVER sentinel becomes NaT."""
    d = np.asarray(days, dtype=np.int64)
    out = start + d.astype("timedelta64[D]")
    return np.where(d >= NEVER_DAY, np.datetime64("NaT"), out).astype("datetime64[D]")


@dataclass(frozen=True)
class World:
    """Everything true about the synthetic county.

    * ``people``: ``person_id, household_id, role, sex, date_of_birth, arrival_date, death_date,
      death_place, departure_date, mother_id, dementia_onset_date, dementia_diagnosed_date,
      learning_disability`` plus the true identifiers once drawn (``nhs_number, given_name,
      middle_names, family_name``);
    * ``households``: ``household_id, household_type, tenure``;
    * ``residences``: one row per spell at an address: ``person_id, from_date, to_date`` (NaT =
      still there at the end), ``postcode, house_number, address_line_1, town, uprn,
      care_home_index, oa_code, lsoa_code, msoa_code, ward_code, lad_code, deprivation_z``;
    * ``timeline``: the raw simulation (spells, reablement, care-home admissions, hazards).
    """

    start: np.datetime64
    end: np.datetime64  # exclusive: the day after the last day of the timeline
    people: pd.DataFrame
    households: pd.DataFrame
    residences: pd.DataFrame
    postcodes: pd.DataFrame
    lsoas: pd.DataFrame
    timeline: Timeline
    ward_codes: tuple[str, ...]  # ward order of the timeline's ``ward_index``
    _snapshots: dict[np.datetime64, np.ndarray] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def quarter_starts(self) -> np.ndarray:
        months = int(
            (self.end.astype("datetime64[M]") - self.start.astype("datetime64[M]")).astype(int)
        )
        return (self.start.astype("datetime64[M]") + np.arange(0, months, 3)).astype(
            "datetime64[D]"
        )

    def residents_at(self, date: np.datetime64 | str) -> pd.DataFrame:
        """Everyone alive and living in the county on ``date``, with age and areas.

        Which spells are live is cached per date (many builders ask for the same quarter
        days); the frame itself is rebuilt each call, so callers may change it.
        """
        when = np.datetime64(str(date), "D")
        rows = self._snapshots.get(when)
        r = self.residences
        if rows is None:
            to = r["to_date"].to_numpy()
            live = (r["from_date"].to_numpy() <= when) & (np.isnat(to) | (to > when))
            pos = np.flatnonzero(live)
            # One spell per person: the latest (residences are sorted by person, then date).
            pid_live = r["person_id"].to_numpy()[pos]
            last = np.ones(pos.size, dtype=bool)
            last[:-1] = pid_live[1:] != pid_live[:-1]
            rows = pos[last]
            self._snapshots[when] = rows
        res = r.take(rows).reset_index(drop=True)
        pid = res["person_id"].to_numpy()  # person_id is the row number of ``people``
        res["household_id"] = self.people["household_id"].to_numpy()[pid]
        res["sex"] = self.people["sex"].to_numpy()[pid]
        dob = self.people["date_of_birth"].to_numpy().astype("datetime64[D]")[pid]
        res["date_of_birth"] = dob
        res["age"] = (when - dob).astype(np.int64) / 365.25
        res["in_care_home"] = res["care_home_index"].to_numpy() >= 0
        return res

    def address_at(self, person_ids: np.ndarray, dates: np.ndarray) -> pd.DataFrame:
        """The residence row of each (person, date); the latest spell started on or before it.

        People not yet resident on the date get their first known address.
        """
        q = pd.DataFrame(
            {
                "_row": np.arange(len(person_ids)),
                "person_id": np.asarray(person_ids, dtype=np.int64),
                "date": np.asarray(dates, dtype="datetime64[ns]"),
            }
        ).sort_values("date", kind="stable")
        r = self.residences.copy()
        r["date"] = r["from_date"].astype("datetime64[ns]")
        r = r.sort_values("date", kind="stable")
        m = pd.merge_asof(q, r.drop(columns=["from_date"]), on="date", by="person_id")
        missing = m["postcode"].isna().to_numpy()
        if missing.any():
            first = self.residences.drop_duplicates("person_id", keep="first").set_index(
                "person_id"
            )
            fill = first.reindex(m.loc[missing, "person_id"].to_numpy())
            for col in fill.columns:
                if col in m.columns:
                    m.loc[missing, col] = fill[col].to_numpy()
        return m.sort_values("_row").drop(columns=["_row"]).reset_index(drop=True)
