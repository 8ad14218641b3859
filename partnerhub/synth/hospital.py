"""Hospital admissions and reablement: the part of each simulated month that happens in hospital.

Emergency admissions get an ICD-10 primary diagnosis whose group depends on age (falls and hip
fractures among older people, alcohol-specific admissions rising with deprivation), a length of
stay, a discharge destination and sometimes a delayed transfer of care. Older people discharged
home may start reablement; whether they are still at home 91 days later follows the planted
causal model (:mod:`partnerhub.synth.areas`), and the events that follow are made to agree.
"""

from __future__ import annotations

import numpy as np

from partnerhub.synth.simkit import Recorder, logistic, pick

__all__ = ["HospitalSteps"]

_EMERGENCY_GROUPS_OLDER = (
    ("fall", 0.13, ("W19", "W01", "W10", "W18")),
    ("hip_fracture", 0.035, ("S720", "S721", "S722")),
    ("dementia", 0.0, ("F03", "F01", "G30")),  # set per person from dementia
    ("circulatory", 0.19, ("I21", "I50", "I63", "I64")),
    ("respiratory", 0.18, ("J18", "J44", "J22")),
    ("cancer", 0.05, ("C34", "C18", "C50")),
    ("alcohol_specific", 0.006, ("F10", "K70")),
    ("alcohol_related", 0.05, ("I10", "I48")),
    ("other", 0.359, ("N39", "R10", "K57", "L03")),
)
_EMERGENCY_GROUPS_ADULT = (
    ("fall", 0.04, ("W19", "W01")),
    ("alcohol_specific", 0.04, ("F10", "K70", "X45")),
    ("alcohol_related", 0.04, ("K85", "I48")),
    ("self_harm", 0.03, ("X78", "X61", "X64")),
    ("circulatory", 0.08, ("I21", "I20")),
    ("respiratory", 0.1, ("J18", "J45")),
    ("cancer", 0.03, ("C50", "C18")),
    ("other", 0.64, ("R10", "K35", "N39", "S52", "L03")),
)
_EMERGENCY_GROUPS_CHILD = (
    ("respiratory", 0.3, ("J21", "J45", "J06")),
    ("other", 0.7, ("R50", "A09", "S52", "K35")),
)
_ELECTIVE_CODES = ("H25", "M17", "K80", "C44", "Z51", "M16", "K40")


class HospitalSteps:
    """Mixin of the simulation: needs the attributes annotated here."""

    rng: np.random.Generator
    rec: Recorder
    spell_counter: int
    in_care: np.ndarray
    sched_death: np.ndarray
    sched_care: np.ndarray
    protected_until: np.ndarray
    busy_until: np.ndarray

    def _emergency_groups(
        self, age: np.ndarray, dementia: np.ndarray, dep: np.ndarray, emergency: np.ndarray
    ) -> np.ndarray:
        rng = self.rng
        out = np.full(age.size, "", dtype=object)
        for mask, table in (
            (emergency & (age >= 65), _EMERGENCY_GROUPS_OLDER),
            (emergency & (age >= 16) & (age < 65), _EMERGENCY_GROUPS_ADULT),
            (emergency & (age < 16), _EMERGENCY_GROUPS_CHILD),
        ):
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                continue
            names = [t[0] for t in table]
            w = np.tile(np.array([t[1] for t in table]), (idx.size, 1))
            if "dementia" in names:
                w[:, names.index("dementia")] = np.where(dementia[idx], 0.12, 0.0)
            if "hip_fracture" in names:
                w[:, names.index("hip_fracture")] *= np.exp((age[idx] - 80) / 10)
            if "alcohol_specific" in names:
                w[:, names.index("alcohol_specific")] *= np.exp(0.4 * dep[idx])
            w /= w.sum(axis=1, keepdims=True)
            u = rng.random(idx.size)[:, None]
            choice = (u > np.cumsum(w, axis=1)).sum(axis=1)
            out[idx] = np.asarray(names, dtype=object)[np.minimum(choice, len(names) - 1)]
        return out

    def _spells(
        self,
        m: int,
        d0: int,
        ndays: int,
        active: np.ndarray,
        age: np.ndarray,
        dementia: np.ndarray,
        groups: np.ndarray,
        emergency: np.ndarray,
        elective: np.ndarray,
        dies: np.ndarray,
        to_care: np.ndarray,
        death_day: np.ndarray,
    ) -> dict[str, np.ndarray]:
        rng = self.rng
        admitted = emergency | elective
        idx = np.flatnonzero(admitted)
        n = idx.size
        adm = d0 + rng.integers(0, ndays, size=n)
        older = age[idx] >= 65
        los = np.where(
            emergency[idx],
            np.where(older, rng.geometric(1 / 8.0, size=n), rng.geometric(1 / 3.5, size=n)),
            rng.geometric(1 / 1.8, size=n) - 1,
        )
        los = np.where(groups[idx] == "hip_fracture", los + rng.integers(6, 16, size=n), los)
        dis = adm + los
        dest = np.full(n, "usual_residence", dtype=object)
        dest[rng.random(n) < 0.02] = "other_hospital"
        # Deaths among those admitted this month: most happen in hospital.
        die_in_hosp = dies[idx] & emergency[idx] & (rng.random(n) < 0.85)
        # Not while an event recorded earlier (e.g. a care-home move) is still to come.
        die_in_hosp &= self.busy_until[active[idx]] <= adm
        dis = np.where(die_in_hosp, np.minimum(dis, adm + rng.integers(0, 20, size=n)), dis)
        death_day[idx[die_in_hosp]] = dis[die_in_hosp]
        dest[die_in_hosp] = "died"
        care_via_hosp = to_care[idx] & emergency[idx] & ~die_in_hosp
        dest[care_via_hosp] = "care_home"
        delayed = np.where(
            emergency[idx] & older & (dest != "died") & (rng.random(n) < 0.1),
            rng.geometric(1 / 6.0, size=n),
            0,
        )
        dis = dis + delayed
        resp = np.full(n, None, dtype=object)
        has_delay = delayed > 0
        resp[has_delay] = pick(rng, ("nhs", "nhs", "social_care", "both"), n)[has_delay]
        codes = np.empty(n, dtype=object)
        grp = groups[idx].copy()
        grp[elective[idx]] = "elective"
        for table in (_EMERGENCY_GROUPS_OLDER, _EMERGENCY_GROUPS_ADULT, _EMERGENCY_GROUPS_CHILD):
            for name, _, options in table:
                sel = np.flatnonzero((grp == name) & (codes == None))  # noqa: E711
                if sel.size:
                    codes[sel] = pick(rng, options, sel.size)
        sel = np.flatnonzero(grp == "elective")
        codes[sel] = pick(rng, _ELECTIVE_CODES, sel.size)
        np.maximum.at(self.busy_until, active[idx], dis)
        spell_ids = np.arange(self.spell_counter, self.spell_counter + n, dtype=np.int64)
        self.spell_counter += n
        self.rec.add(
            "spells",
            spell_id=spell_ids,
            person_id=active[idx],
            admission_day=adm,
            discharge_day=dis,
            method=np.where(emergency[idx], "emergency", "elective").astype(object),
            primary_diagnosis=codes,
            discharge_destination=dest,
            delayed_days=delayed.astype(np.int64),
            delay_responsibility=resp,
        )
        return {
            "pos": idx,
            "discharge": dis,
            "dest": dest,
            "emergency": emergency[idx],
            "group": grp,
        }

    def _reablement(
        self,
        m: int,
        d0: int,
        active: np.ndarray,
        age: np.ndarray,
        dementia: np.ndarray,
        pc: np.ndarray,
        ward_of_postcode: np.ndarray,
        reab_logit: np.ndarray,
        spells: dict[str, np.ndarray],
        leaving: np.ndarray,
    ) -> None:
        rng = self.rng
        pos = spells["pos"]
        ok = (
            ~leaving[pos]
            & spells["emergency"]
            & (spells["dest"] == "usual_residence")
            & (age[pos] >= 65)
            & ~self.in_care[active[pos]]
        )
        p_ref = np.where(np.isin(spells["group"], ["fall", "hip_fracture"]), 0.2, 0.06)
        ref = ok & (rng.random(pos.size) < p_ref)
        sel = pos[ref]
        if sel.size == 0:
            return
        persons = active[sel]
        start_day = spells["discharge"][ref]
        ward = ward_of_postcode[pc[sel]]
        quarter = np.minimum(m // 3, reab_logit.shape[1] - 1)
        logit = reab_logit[ward, quarter] - 0.4 * dementia[sel] - 0.02 * (age[sel] - 80)
        p_home = logistic(logit)
        u = rng.random(sel.size)
        at_home = u < p_home
        v = rng.random(sel.size)
        outcome = np.where(
            at_home,
            "at_home",
            np.where(v < 0.45, "care_home", np.where(v < 0.65, "hospital", "died")),
        ).astype(object)
        end91 = start_day + 91
        when = start_day + rng.integers(7, 88, size=sel.size)
        died = outcome == "died"
        care = outcome == "care_home"
        self.sched_death[persons[died]] = when[died]
        self.sched_care[persons[care]] = when[care]
        self.protected_until[persons] = end91
        hosp = np.flatnonzero(outcome == "hospital")
        if hosp.size:
            adm = end91[hosp] - rng.integers(1, 10, size=hosp.size)
            n = hosp.size
            readmit_end = end91[hosp] + rng.integers(2, 15, size=n)
            np.maximum.at(self.busy_until, persons[hosp], readmit_end)
            self.rec.add(
                "spells",
                spell_id=np.arange(self.spell_counter, self.spell_counter + n, dtype=np.int64),
                person_id=persons[hosp],
                admission_day=adm,
                discharge_day=readmit_end,
                method=np.full(n, "emergency", dtype=object),
                primary_diagnosis=pick(rng, ("J18", "N39", "R54", "I50"), n),
                discharge_destination=np.full(n, "usual_residence", dtype=object),
                delayed_days=np.zeros(n, dtype=np.int64),
                delay_responsibility=np.full(n, None, dtype=object),
            )
            self.spell_counter += n
        self.rec.add(
            "reablement",
            person_id=persons,
            start_day=start_day,
            end_day=start_day + rng.integers(14, 43, size=sel.size),
            ward_index=ward.astype(np.int64),
            quarter=np.full(sel.size, quarter, dtype=np.int64),
            p_at_home=p_home,
            outcome_91_days=outcome,
        )
