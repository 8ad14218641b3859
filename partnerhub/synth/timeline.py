"""The monthly life course of every person: the planted truth behind all partner extracts.

Each month, for everyone alive and living in the county:

* **death** — Gompertz mortality by age and sex, raised by dementia, a recent hip fracture,
  living in a care home and deprivation;
* **care-home admission** (aged 65+) — a monthly hazard ``exp(lp)`` whose linear predictor is
  :data:`CARE_HOME_COEFFICIENTS` applied to age, (true) dementia, a fall or hip fracture in the
  last 12 months, living alone, having a carer in the household and deprivation. Death is the
  competing risk. Both monthly probabilities of every person aged 65+ are kept as truth;
* **hospital admissions** — emergency and elective, with an ICD-10 primary diagnosis whose group
  depends on age (falls and hip fractures among older people), length of stay, discharge
  destination (home, care home, died) and delayed transfers of care;
* **reablement** — older people discharged home after an emergency admission may start
  reablement; whether they are still at home 91 days later follows the planted causal model of
  :mod:`partnerhub.synth.areas` (ward need lowers it, the ward's reablement capacity raises it),
  and the events that follow (death, care-home admission, readmission) are made to agree;
* **dementia** onset (only about two thirds are ever diagnosed, after a lag — the GP register
  sees the diagnosis, not the truth), **births**, household **moves** within or out of the county
  and **arrivals** of in-migrant households.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from partnerhub.synth.hospital import HospitalSteps
from partnerhub.synth.simkit import NEVER as _NEVER
from partnerhub.synth.simkit import Recorder, monthly

__all__ = ["CARE_HOME_COEFFICIENTS", "Timeline", "simulate"]

# Log-hazard coefficients of monthly care-home admission (aged 65+).
CARE_HOME_COEFFICIENTS: dict[str, float] = {
    "intercept": float(np.log(0.0032 / 12)),  # a person of 80 with no risk factors: 0.32%/yr
    "emergency_admission_this_month": 1.6,
    "age_per_year_over_80": 0.085,
    "dementia": 1.35,
    "fall_last_12_months": 0.6,
    "hip_fracture_last_12_months": 1.0,
    "living_alone": 0.55,
    "carer_in_household": -0.45,
    "deprivation_per_sd": 0.12,
}

_FERTILITY = (
    (15, 20, 0.009),
    (20, 25, 0.04),
    (25, 30, 0.07),
    (30, 35, 0.075),
    (35, 40, 0.04),
    (40, 45, 0.009),
)
_MOVE_MONTHLY = {
    "older_single": 0.002,
    "older_couple": 0.002,
    "adult_single": 0.014,
    "adult_couple": 0.008,
    "family_couple": 0.006,
    "lone_parent": 0.01,
    "family_adult_children": 0.004,
    "sharers": 0.018,
}


@dataclass(frozen=True)
class Timeline:
    """Everything that happened, person by person (days are counted from ``start``)."""

    start: np.datetime64
    months: int
    people: pd.DataFrame
    residences: pd.DataFrame
    spells: pd.DataFrame
    reablement: pd.DataFrame
    care_home_admissions: pd.DataFrame
    hazards: pd.DataFrame
    care_homes: pd.DataFrame
    moves: pd.DataFrame


def _month_starts(start: np.datetime64, months: int) -> np.ndarray:
    m0 = start.astype("datetime64[M]")
    return (m0 + np.arange(months + 1)).astype("datetime64[D]")


def _gompertz(age: np.ndarray, female: np.ndarray) -> np.ndarray:
    q = 0.0002 + np.exp(-11.3 + 0.1 * age)
    return np.minimum(np.where(female, 0.8 * q, q), 0.6)


def simulate(
    people: pd.DataFrame,
    households: pd.DataFrame,
    postcodes: pd.DataFrame,
    deprivation_z: np.ndarray,
    ward_of_postcode: np.ndarray,
    reablement_logit: np.ndarray,
    start: np.datetime64,
    months: int,
    rng: np.random.Generator,
) -> Timeline:
    """Run the monthly simulation.

    ``deprivation_z`` and ``ward_of_postcode`` are per postcode (index aligned with
    ``postcodes``); ``reablement_logit[ward, quarter]`` is the planted log-odds of being at home
    91 days after discharge into reablement (baseline from need plus the causal effect).
    """
    sim = _Simulation(people, households, postcodes, deprivation_z, start, months, rng)
    for m in range(months):
        sim.step(m, ward_of_postcode, reablement_logit)
    return sim.result()


class _Simulation(HospitalSteps):
    def __init__(
        self,
        people: pd.DataFrame,
        households: pd.DataFrame,
        postcodes: pd.DataFrame,
        deprivation_z: np.ndarray,
        start: np.datetime64,
        months: int,
        rng: np.random.Generator,
    ) -> None:
        self.rng = rng
        self.start = start
        self.months = months
        self.month_starts = _month_starts(start, months)
        self.dep_pc = deprivation_z
        self.postcodes = postcodes
        n = len(people)
        self.hh_type = households["household_type"].to_numpy()
        self.hh_postcode = households["postcode_index"].to_numpy().copy()
        self.hh_arrival = households["arrival_month"].to_numpy()
        self.hh_present = self.hh_arrival < 0
        self.capacity = postcodes["n_addresses"].to_numpy(dtype=np.int64)
        self.next_number = np.ones(len(postcodes), dtype=np.int64)
        self.hh_number = np.zeros(len(households), dtype=np.int64)
        self._number_households(np.flatnonzero(self.hh_present))
        self.live_pc = postcodes["doterm"].isna().to_numpy()

        self.hh = people["household_id"].to_numpy().copy()
        self.sex = people["sex"].to_numpy()
        self.role = people["role"].to_numpy()
        dob = people["date_of_birth"].to_numpy().astype("datetime64[D]")
        self.dob_day = (dob - start).astype(np.int64)
        self.arrival = people["arrival_month"].to_numpy()
        self.present = self.arrival < 0
        self.alive = np.ones(n, dtype=bool)
        self.in_care = np.zeros(n, dtype=bool)
        self.death_day = np.full(n, _NEVER, dtype=np.int64)
        self.depart_day = np.full(n, _NEVER, dtype=np.int64)
        self.death_place = np.full(n, None, dtype=object)
        self.mother = np.full(n, -1, dtype=np.int64)
        self.birth_month = np.full(n, -1, dtype=np.int32)
        self.last_fall = np.full(n, -999, dtype=np.int32)
        self.last_hip = np.full(n, -999, dtype=np.int32)
        self.sched_death = np.full(n, _NEVER, dtype=np.int64)
        self.sched_care = np.full(n, _NEVER, dtype=np.int64)
        self.protected_until = np.full(n, -1, dtype=np.int64)
        self.busy_until = np.full(n, -1, dtype=np.int64)  # last day of a recorded event
        self.external_carer = rng.random(n) < 0.25
        self.learning_disability = rng.random(n) < 0.0045
        age0 = -self.dob_day / 365.25
        self.dementia_onset, self.dementia_diag = self._initial_dementia(age0)
        self.care_home_pc = self._care_homes()
        self.person_care_home = np.full(n, -1, dtype=np.int64)
        self.rec = Recorder()
        self.spell_counter = 0
        # Residence spells of people present at the start.
        idx = np.flatnonzero(self.present)
        self.res_from = np.full(n, -1, dtype=np.int64)
        self.res_from[idx] = 0

    # -- set-up -----------------------------------------------------------------------------
    def _number_households(self, hh_idx: np.ndarray) -> None:
        """Give each household in ``hh_idx`` the next free house number at its postcode."""
        pcs = self.hh_postcode[hh_idx]
        order = np.argsort(pcs, kind="stable")
        pcs_sorted = pcs[order]
        first = np.searchsorted(pcs_sorted, pcs_sorted, side="left")
        rank = np.arange(len(pcs_sorted)) - first
        numbers = self.next_number[pcs_sorted] + rank
        self.hh_number[hh_idx[order]] = numbers
        np.add.at(self.next_number, pcs_sorted, 1)

    def _initial_dementia(self, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = age.size
        prevalence = np.select(
            [age >= 90, age >= 85, age >= 80, age >= 75, age >= 70, age >= 65],
            [0.33, 0.2, 0.11, 0.06, 0.03, 0.015],
            0.0,
        )
        has = self.rng.random(n) < prevalence
        onset = np.full(n, _NEVER, dtype=np.int64)
        onset[has] = -self.rng.integers(30, 5 * 365, size=int(has.sum()))
        diag = np.full(n, _NEVER, dtype=np.int64)
        diagnosed = has & (self.rng.random(n) < 0.65)
        lag = self.rng.geometric(1 / 365, size=n)
        diag[diagnosed] = onset[diagnosed] + lag[diagnosed]
        return onset, diag

    def _care_homes(self) -> np.ndarray:
        """Postcode indices of the county's care homes (about one per 2,400 people)."""
        n_homes = max(2, round(len(self.hh) / 2400))
        live = np.flatnonzero(self.postcodes["doterm"].isna().to_numpy())
        return np.sort(self.rng.choice(live, size=n_homes, replace=False))

    # -- one month ---------------------------------------------------------------------------
    def step(self, m: int, ward_of_postcode: np.ndarray, reab_logit: np.ndarray) -> None:
        rng = self.rng
        d0 = int((self.month_starts[m] - self.start).astype(np.int64))
        d1 = int((self.month_starts[m + 1] - self.start).astype(np.int64))
        ndays = d1 - d0
        self._arrivals(m, d0, ndays)

        active = np.flatnonzero(self.alive & self.present)
        age = (d0 - self.dob_day[active]) / 365.25
        female = self.sex[active] == "F"
        dementia = self.dementia_onset[active] <= d0
        pc = np.where(
            self.in_care[active],
            self.care_home_pc[np.maximum(self.person_care_home[active], 0)],
            self.hh_postcode[self.hh[active]],
        )
        dep = self.dep_pc[pc]

        # Household composition: living alone / carer present.
        at_home = ~self.in_care[active]
        hh_count = np.bincount(self.hh[active][at_home], minlength=len(self.hh_type))
        adults_count = np.bincount(
            self.hh[active][at_home & (age >= 18)], minlength=len(self.hh_type)
        )
        living_alone = at_home & (hh_count[self.hh[active]] == 1)
        carer = at_home & ((adults_count[self.hh[active]] - (age >= 18)) > 0)
        carer |= at_home & living_alone & self.external_carer[active]

        # Dementia onset (truth) and diagnosis.
        inc = np.where(age >= 60, np.exp(-15.8 + 0.15 * age), 0.0)
        new_dem = (~dementia) & (rng.random(active.size) < monthly(inc))
        onset_day = d0 + rng.integers(0, ndays, size=active.size)
        nd = active[new_dem]
        self.dementia_onset[nd] = onset_day[new_dem]
        diag = rng.random(nd.size) < 0.65
        self.dementia_diag[nd[diag]] = onset_day[new_dem][diag] + rng.geometric(
            1 / 365, size=int(diag.sum())
        )

        # Hospital admissions.
        em_rate = (
            (0.045 + 0.5 * np.exp((age - 90) / 10))
            * np.exp(0.2 * dep)
            * np.where(dementia, 1.5, 1.0)
        )
        dying = self.sched_death[active] < _NEVER  # their 91-day outcome is already death
        emergency = (rng.random(active.size) < monthly(em_rate)) & ~dying
        el_rate = 0.05 + 0.15 * np.clip((age - 20) / 60, 0, 1.2)
        elective = (~emergency) & (rng.random(active.size) < monthly(el_rate)) & at_home
        groups = self._emergency_groups(age, dementia, dep, emergency)
        fall_now = emergency & (groups == "fall")
        hip_now = emergency & (groups == "hip_fracture")
        self.last_fall[active[fall_now]] = m
        self.last_hip[active[hip_now]] = m
        recent_fall = (m - self.last_fall[active]) < 12
        recent_hip = (m - self.last_hip[active]) < 12

        # Care-home hazard (65+, living at home).
        c = CARE_HOME_COEFFICIENTS
        lp = (
            c["intercept"]
            + c["age_per_year_over_80"] * (age - 80)
            + c["dementia"] * dementia
            + c["emergency_admission_this_month"] * emergency
            + c["fall_last_12_months"] * recent_fall
            + c["hip_fracture_last_12_months"] * recent_hip
            + c["living_alone"] * living_alone
            + c["carer_in_household"] * carer
            + c["deprivation_per_sd"] * dep
        )
        eligible_care = (age >= 65) & at_home
        h_care = np.where(eligible_care, 1 - np.exp(-np.exp(lp)), 0.0)
        q_death = monthly(
            _gompertz(age, female)
            * np.where(dementia, 1.8, 1.0)
            * np.where(recent_hip, 2.0, 1.0)
            * np.where(self.in_care[active], 2.0, 1.0)
            * np.exp(0.15 * dep)
        )
        older = age >= 65
        self.rec.add(
            "hazards",
            person_id=active[older].astype(np.int64),
            month=np.full(int(older.sum()), m, dtype=np.int16),
            care_home_hazard=h_care[older].astype(np.float32),
            death_hazard=q_death[older].astype(np.float32),
        )
        protected = self.protected_until[active] >= d0
        dies = (rng.random(active.size) < q_death) & ~protected
        to_care = (rng.random(active.size) < h_care) & ~protected & ~dies

        # Scheduled outcomes from reablement windows.
        sched_d = self.sched_death[active] < d1  # includes any that fell due last month
        sched_c = self.sched_care[active] < d1
        dies |= sched_d
        to_care = (to_care | sched_c) & ~dies

        death_day = np.where(
            sched_d, self.sched_death[active], d0 + rng.integers(0, ndays, size=active.size)
        )
        # Many deaths follow a final emergency admission (England: ~45% die in hospital).
        terminal = (
            dies
            & ~sched_d
            & ~emergency
            & ~elective
            & (self.busy_until[active] < d0)
            & (rng.random(active.size) < np.where(self.in_care[active], 0.3, 0.5))
        )
        if terminal.any():
            groups = np.where(
                terminal, self._emergency_groups(age, dementia, dep, terminal), groups
            )
            emergency = emergency | terminal
        spells = self._spells(
            m,
            d0,
            ndays,
            active,
            age,
            dementia,
            groups,
            emergency,
            elective,
            dies,
            to_care,
            death_day,
        )
        self._reablement(
            m, d0, active, age, dementia, pc, ward_of_postcode, reab_logit, spells, dies | to_care
        )
        self._care_admissions(active, to_care, spells, d0, ndays, m)
        self._deaths(active, dies, death_day, spells)
        self._births(m, d0, ndays, active, age, female)
        self._moves(m, d0, ndays)

    def _care_admissions(
        self,
        active: np.ndarray,
        to_care: np.ndarray,
        spells: dict[str, np.ndarray],
        d0: int,
        ndays: int,
        m: int,
    ) -> None:
        rng = self.rng
        idx = np.flatnonzero(to_care)
        if idx.size == 0:
            return
        persons = active[idx]
        day = np.where(
            self.sched_care[persons] < _NEVER,
            self.sched_care[persons],
            d0 + rng.integers(0, ndays, size=idx.size),
        )
        via = np.full(idx.size, "community", dtype=object)
        hosp_pos = spells["pos"][spells["dest"] == "care_home"]
        hosp_day = spells["discharge"][spells["dest"] == "care_home"]
        match = np.isin(idx, hosp_pos)
        if match.any():
            lookup = dict(zip(hosp_pos.tolist(), hosp_day.tolist(), strict=True))
            day[match] = [lookup[i] for i in idx[match].tolist()]
            via[match] = "hospital"
        self.sched_care[persons] = _NEVER
        day = np.maximum(day, self.busy_until[persons])
        self.busy_until[persons] = np.maximum(self.busy_until[persons], day)
        # A care home in the same district where possible: nearest by postcode order.
        home_pc = self.hh_postcode[self.hh[persons]]
        home = np.searchsorted(self.care_home_pc, home_pc).clip(0, len(self.care_home_pc) - 1)
        home = (home + rng.integers(-1, 2, size=idx.size)).clip(0, len(self.care_home_pc) - 1)
        self._end_residence(persons, day)
        self.in_care[persons] = True
        self.person_care_home[persons] = home
        self.res_from[persons] = day
        self.rec.add(
            "care_home_admissions",
            person_id=persons,
            day=day,
            via=via,
            care_type=np.where(
                rng.random(idx.size) < 0.62, "residential_care", "nursing_care"
            ).astype(object),
            council_funded=rng.random(idx.size) < 0.6,
            care_home_index=home,
        )

    def _deaths(
        self, active: np.ndarray, dies: np.ndarray, day: np.ndarray, spells: dict[str, np.ndarray]
    ) -> None:
        idx = np.flatnonzero(dies)
        persons = active[idx]
        in_hosp = np.isin(idx, spells["pos"][spells["dest"] == "died"])
        place = np.where(
            in_hosp,
            "hospital",
            np.where(
                self.in_care[persons],
                "care_home",
                np.where(self.rng.random(idx.size) < 0.12, "hospice", "home"),
            ),
        ).astype(object)
        # Nobody dies before an event already recorded for them (a discharge, an admission).
        when = np.where(in_hosp, day[idx], np.maximum(day[idx], self.busy_until[persons]))
        self.alive[persons] = False
        self.death_day[persons] = when
        self.death_place[persons] = place
        self._end_residence(persons, when)

    def _births(
        self, m: int, d0: int, ndays: int, active: np.ndarray, age: np.ndarray, female: np.ndarray
    ) -> None:
        rng = self.rng
        p = np.zeros(active.size)
        for lo, hi, rate in _FERTILITY:
            p[(age >= lo) & (age < hi) & female] = rate
        mothers = active[
            (rng.random(active.size) < monthly(p)) & ~self.in_care[active] & self.alive[active]
        ]
        n = mothers.size
        if n == 0:
            return
        day = d0 + rng.integers(0, ndays, size=n)
        self._append_people(
            hh=self.hh[mothers],
            sex=np.where(rng.random(n) < 0.512, "M", "F").astype(object),
            dob_day=day,
            role="child",
            mother=mothers,
            birth_month=m,
        )
        new = np.arange(len(self.hh) - n, len(self.hh))
        self.present[new] = True
        self.res_from[new] = day
        self.busy_until[new] = day

    def _append_people(
        self,
        hh: np.ndarray,
        sex: np.ndarray,
        dob_day: np.ndarray,
        role: str,
        mother: np.ndarray,
        birth_month: int,
    ) -> None:
        n = hh.size

        def grow(arr: np.ndarray, fill: object) -> np.ndarray:
            return np.concatenate([arr, np.full(n, fill, dtype=arr.dtype)])

        self.hh = np.concatenate([self.hh, hh])
        self.sex = np.concatenate([self.sex, sex])
        self.role = grow(self.role, role)
        self.dob_day = np.concatenate([self.dob_day, dob_day])
        self.arrival = grow(self.arrival, -1)
        self.present = grow(self.present, False)
        self.alive = grow(self.alive, True)
        self.in_care = grow(self.in_care, False)
        self.death_day = grow(self.death_day, _NEVER)
        self.depart_day = grow(self.depart_day, _NEVER)
        self.death_place = grow(self.death_place, None)
        self.mother = np.concatenate([self.mother, mother])
        self.birth_month = grow(self.birth_month, birth_month)
        self.last_fall = grow(self.last_fall, -999)
        self.last_hip = grow(self.last_hip, -999)
        self.sched_death = grow(self.sched_death, _NEVER)
        self.sched_care = grow(self.sched_care, _NEVER)
        self.protected_until = grow(self.protected_until, -1)
        self.busy_until = grow(self.busy_until, -1)
        self.external_carer = grow(self.external_carer, False)
        self.learning_disability = np.concatenate(
            [self.learning_disability, self.rng.random(n) < 0.0045]
        )
        self.dementia_onset = grow(self.dementia_onset, _NEVER)
        self.dementia_diag = grow(self.dementia_diag, _NEVER)
        self.person_care_home = grow(self.person_care_home, -1)
        self.res_from = grow(self.res_from, -1)

    def _arrivals(self, m: int, d0: int, ndays: int) -> None:
        new_hh = np.flatnonzero(self.hh_arrival == m)
        if new_hh.size == 0:
            return
        self.hh_present[new_hh] = True
        self._number_households(new_hh)
        hh_day = d0 + self.rng.integers(0, ndays, size=new_hh.size)
        day_of = np.full(len(self.hh_type), -1, dtype=np.int64)
        day_of[new_hh] = hh_day
        persons = np.flatnonzero((self.arrival == m) & ~self.present)
        self.present[persons] = True
        self.res_from[persons] = day_of[self.hh[persons]]
        self.busy_until[persons] = day_of[self.hh[persons]]
        self.rec.add(
            "moves",
            person_id=persons,
            day=day_of[self.hh[persons]],
            kind=np.full(persons.size, "arrived", dtype=object),
        )

    def _moves(self, m: int, d0: int, ndays: int) -> None:
        rng = self.rng
        p = np.array([_MOVE_MONTHLY[t] for t in self.hh_type])
        movers = np.flatnonzero(self.hh_present & (rng.random(len(p)) < p))
        # Only households with someone alive and at home move.
        at_home = self.alive & self.present & ~self.in_care
        occupied = np.bincount(self.hh[at_home], minlength=len(p)) > 0
        movers = movers[occupied[movers]]
        # Households waiting on a planted 91-day outcome (death, care home) stay put.
        pending = at_home & ((self.sched_death < _NEVER) | (self.sched_care < _NEVER))
        blocked = np.bincount(self.hh[pending], minlength=len(p)) > 0
        movers = movers[~blocked[movers]]
        if movers.size == 0:
            return
        day = d0 + rng.integers(0, ndays, size=movers.size)
        leaves = rng.random(movers.size) < 0.22
        hh_day = np.full(len(p), -1, dtype=np.int64)
        hh_day[movers] = day
        members = np.flatnonzero(at_home & np.isin(self.hh, movers))
        # Nobody moves before their current spell began or while an event is still open.
        mday = np.maximum(hh_day[self.hh[members]], self.res_from[members])
        mday = np.maximum(mday, self.busy_until[members])
        self.busy_until[members] = np.maximum(self.busy_until[members], mday)
        self._end_residence(members, mday)
        gone_hh = movers[leaves]
        gone = members[np.isin(self.hh[members], gone_hh)]
        self.present[gone] = False
        self.depart_day[gone] = mday[np.isin(self.hh[members], gone_hh)]
        self.hh_present[gone_hh] = False
        stay_hh = movers[~leaves]
        w = np.where(self.live_pc, self.capacity, 0).astype(float)
        self.hh_postcode[stay_hh] = rng.choice(len(w), size=stay_hh.size, p=w / w.sum())
        self._number_households(stay_hh)
        staying = members[np.isin(self.hh[members], stay_hh)]
        self._start_residence(staying, mday[np.isin(self.hh[members], stay_hh)])
        kind = np.where(np.isin(self.hh[members], gone_hh), "left_county", "moved").astype(object)
        self.rec.add("moves", person_id=members, day=mday, kind=kind)

    def _end_residence(self, persons: np.ndarray, day: np.ndarray) -> None:
        """Close the open residence spell of ``persons`` (a care home if they live in one)."""
        open_ = self.res_from[persons] >= 0
        p = persons[open_]
        self.rec.add("residences", **self._spell_rows(p, np.asarray(day)[open_]))
        self.res_from[p] = -1

    def _start_residence(self, persons: np.ndarray, day: np.ndarray) -> None:
        self.res_from[persons] = day

    def _spell_rows(self, p: np.ndarray, to_day: np.ndarray) -> dict[str, np.ndarray]:
        care = self.in_care[p]
        return {
            "person_id": p,
            "from_day": self.res_from[p],
            "to_day": to_day.astype(np.int64),
            "postcode_index": np.where(
                care,
                self.care_home_pc[np.maximum(self.person_care_home[p], 0)],
                self.hh_postcode[self.hh[p]],
            ),
            "house_number": np.where(care, 0, self.hh_number[self.hh[p]]),
            "care_home_index": np.where(care, self.person_care_home[p], -1),
        }

    # -- result ------------------------------------------------------------------------------
    def result(self) -> Timeline:
        open_ = np.flatnonzero(self.res_from >= 0)
        self.rec.add(
            "residences", **self._spell_rows(open_, np.full(open_.size, _NEVER, dtype=np.int64))
        )
        n = len(self.hh)
        people = pd.DataFrame(
            {
                "person_id": np.arange(n, dtype=np.int64),
                "household_id": self.hh,
                "role": self.role,
                "sex": self.sex,
                "dob_day": self.dob_day,
                "arrival_month": self.arrival,
                "birth_month": self.birth_month,
                "mother_id": self.mother,
                "death_day": self.death_day,
                "death_place": self.death_place,
                "depart_day": self.depart_day,
                "dementia_onset_day": self.dementia_onset,
                "dementia_diagnosed_day": self.dementia_diag,
                "learning_disability": self.learning_disability,
                "in_care_home_at_end": self.in_care,
            }
        )
        residences = self.rec.frame(
            "residences",
            [
                "person_id",
                "from_day",
                "to_day",
                "postcode_index",
                "house_number",
                "care_home_index",
            ],
        )
        residences = residences.sort_values(["person_id", "from_day"], kind="stable").reset_index(
            drop=True
        )
        spells = self.rec.frame(
            "spells",
            [
                "spell_id",
                "person_id",
                "admission_day",
                "discharge_day",
                "method",
                "primary_diagnosis",
                "discharge_destination",
                "delayed_days",
                "delay_responsibility",
            ],
        )
        reablement = self.rec.frame(
            "reablement",
            [
                "person_id",
                "start_day",
                "end_day",
                "ward_index",
                "quarter",
                "p_at_home",
                "outcome_91_days",
            ],
        )
        care = self.rec.frame(
            "care_home_admissions",
            ["person_id", "day", "via", "care_type", "council_funded", "care_home_index"],
        )
        hazards = self.rec.frame(
            "hazards", ["person_id", "month", "care_home_hazard", "death_hazard"]
        )
        moves = self.rec.frame("moves", ["person_id", "day", "kind"])
        care_homes = pd.DataFrame(
            {
                "care_home_index": np.arange(len(self.care_home_pc)),
                "postcode_index": self.care_home_pc,
            }
        )
        return Timeline(
            start=self.start,
            months=self.months,
            people=people,
            residences=residences,
            spells=spells,
            reablement=reablement,
            care_home_admissions=care,
            hazards=hazards,
            care_homes=care_homes,
            moves=moves,
        )
