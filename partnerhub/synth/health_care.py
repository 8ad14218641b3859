"""Facts behind the NHS, adult social care and registrar extracts, read off the timeline.

* ``gp/registrations`` (residence) and ``gp/conditions`` (dementia, learning disability,
  diabetes and COPD registers — a register holds the *diagnosis*, not the truth);
* ``acute/spells`` (hospital_spell);
* ``asc/episodes`` (social_care_episode): reablement after discharge with its 91-day outcome,
  care-home placements, home care after dementia or a fall (contact → assessment → service,
  with realistic waits for NI 132/133), self-directed support (NI 130), carers' assessments
  (NI 135), annual reviews of adults with a learning disability (NI 145/146);
* ``registrar/deaths`` and ``registrar/births``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from partnerhub.synth.facts import Facts
from partnerhub.synth.world import World, day_to_date

__all__ = ["build_health_and_care"]


def _days(n: np.ndarray | int, rng: np.random.Generator, lo: int, hi: int) -> np.ndarray:
    return rng.integers(lo, hi, size=n).astype("timedelta64[D]")


def _icd_dot(codes: np.ndarray) -> np.ndarray:
    s = pd.Series(codes, dtype=object).fillna("")
    return np.where(s.str.len() > 3, s.str[:3] + "." + s.str[3:], s).astype(object)


def build_health_and_care(world: World, rng: np.random.Generator) -> list[Facts]:
    """All health, care and registrar facts of the world."""
    return [
        _gp_registrations(world, rng),
        _gp_conditions(world, rng),
        _acute_spells(world),
        _asc_episodes(world, rng),
        _deaths(world, rng),
        _births(world, rng),
    ]


def _gp_registrations(world: World, rng: np.random.Generator) -> Facts:
    r = world.residences
    n = len(r)
    people = world.people.set_index("person_id")
    dob = people.loc[r["person_id"], "date_of_birth"].to_numpy().astype("datetime64[D]")
    from_date = r["from_date"].to_numpy().astype("datetime64[D]")
    # Registrations in force at the start began earlier: between birth and the start.
    before = from_date <= world.start
    span = np.maximum((world.start - dob).astype(np.int64), 1)
    back = (rng.random(n) * np.minimum(span, 25 * 365)).astype(np.int64)
    reg = np.where(before, world.start - back.astype("timedelta64[D]"), from_date)
    # Newborns are registered a few weeks after birth.
    reg = np.maximum(reg, dob + _days(n, rng, 7, 42)).astype("datetime64[D]")
    practice = "X9" + pd.Series(r["ward_code"].to_numpy()).str[-4:].to_numpy().astype(object)
    frame = pd.DataFrame(
        {
            "person_id": r["person_id"].to_numpy(),
            "seen_date": reg,
            "from_date": reg,
            "to_date": r["to_date"].to_numpy(),
            "postcode": r["postcode"].to_numpy(),
            "practice_code": practice,
        }
    )
    frame = frame.loc[frame["to_date"].isna() | (frame["to_date"] > frame["from_date"])]
    # The extract is taken at the end of the timeline: nothing after it is known yet.
    frame = frame.loc[frame["from_date"] < world.end].copy()
    frame.loc[frame["to_date"] >= world.end, "to_date"] = pd.NaT
    return Facts("gp", "registrations", frame.reset_index(drop=True))


def _gp_conditions(world: World, rng: np.random.Generator) -> Facts:
    p = world.people
    end = world.end
    dob = p["date_of_birth"].to_numpy().astype("datetime64[D]")
    parts = []
    dem = p["dementia_diagnosed_date"].to_numpy() < end
    parts.append(
        pd.DataFrame(
            {
                "person_id": p.loc[dem, "person_id"].to_numpy(),
                "condition": "dementia",
                "diagnosed_date": p.loc[dem, "dementia_diagnosed_date"].to_numpy(),
            }
        )
    )
    ld = p["learning_disability"].to_numpy()
    parts.append(
        pd.DataFrame(
            {
                "person_id": p.loc[ld, "person_id"].to_numpy(),
                "condition": "learning_disability",
                "diagnosed_date": dob[ld] + _days(int(ld.sum()), rng, 700, 3000),
            }
        )
    )
    age_end = (end - dob).astype(np.int64) / 365.25
    for condition, p_have in (
        ("diabetes", np.clip(0.002 * (age_end - 20), 0, 0.16)),
        ("copd", np.clip(0.0012 * (age_end - 40), 0, 0.07)),
    ):
        has = rng.random(len(p)) < p_have
        onset_age = rng.uniform(0.5, 1.0, size=int(has.sum())) * age_end[has]
        parts.append(
            pd.DataFrame(
                {
                    "person_id": p.loc[has, "person_id"].to_numpy(),
                    "condition": condition,
                    "diagnosed_date": dob[has]
                    + np.round(onset_age * 365.25).astype("timedelta64[D]"),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame["diagnosed_date"] = frame["diagnosed_date"].to_numpy().astype("datetime64[D]")
    frame = frame.loc[frame["diagnosed_date"] < end]
    # Only people registered at some point during the timeline are on a register here.
    known = np.isin(frame["person_id"], world.residences["person_id"].unique())
    frame = frame.loc[known].copy()
    last_seen = np.minimum(
        world.end - np.timedelta64(1, "D"), _leaving_date(world, frame["person_id"])
    )
    frame["seen_date"] = np.maximum(frame["diagnosed_date"].to_numpy(), world.start)
    frame["seen_date"] = np.minimum(frame["seen_date"].to_numpy(), last_seen)
    frame = frame.sort_values(["person_id", "condition"], kind="stable")
    return Facts("gp", "conditions", frame.reset_index(drop=True))


def _leaving_date(world: World, person_ids: pd.Series) -> np.ndarray:
    p = world.people.set_index("person_id").loc[person_ids.to_numpy()]
    death = p["death_date"].to_numpy().astype("datetime64[D]")
    gone = p["departure_date"].to_numpy().astype("datetime64[D]")
    far = world.end
    death = np.where(np.isnat(death), far, death)
    gone = np.where(np.isnat(gone), far, gone)
    return np.minimum(death, gone).astype("datetime64[D]")


def _acute_spells(world: World) -> Facts:
    s = world.timeline.spells
    adm = day_to_date(world.start, s["admission_day"])
    dis = day_to_date(world.start, s["discharge_day"])
    keep = adm < world.end
    dis = np.where(dis >= world.end, np.datetime64("NaT"), dis).astype("datetime64[D]")
    frame = pd.DataFrame(
        {
            "person_id": s["person_id"].to_numpy(),
            "seen_date": adm,
            "spell_id": np.char.add("SP", (s["spell_id"].to_numpy() + 1_000_000).astype(str)),
            "admission_date": adm,
            "discharge_date": dis,
            "admission_method": s["method"].to_numpy(),
            "primary_diagnosis": _icd_dot(s["primary_diagnosis"].to_numpy()),
            "discharge_destination": np.where(
                np.isnat(dis), None, s["discharge_destination"].to_numpy()
            ),
            "delayed_days": s["delayed_days"].to_numpy(),
            "delay_responsibility": s["delay_responsibility"].to_numpy(),
        }
    )
    frame["spell_id"] = frame["spell_id"].astype(object)
    frame = frame.loc[keep].sort_values(["admission_date", "spell_id"], kind="stable")
    return Facts("acute", "spells", frame.reset_index(drop=True))


def _asc_episodes(world: World, rng: np.random.Generator) -> Facts:
    tl = world.timeline
    start = world.start
    people = world.people.set_index("person_id")
    rows: list[pd.DataFrame] = []

    def episode(
        person: np.ndarray,
        start_date: np.ndarray,
        episode_type: str,
        *,
        service: np.ndarray | str | None = None,
        end_date: np.ndarray | None = None,
        client: str = "service_user",
        reason: np.ndarray | str = "physical_support",
        referral: str | None = None,
        outcome: np.ndarray | None = None,
        self_directed: np.ndarray | None = None,
        settled: np.ndarray | None = None,
        employed: np.ndarray | None = None,
    ) -> None:
        n = len(person)
        rows.append(
            pd.DataFrame(
                {
                    "person_id": person,
                    "start_date": np.asarray(start_date, dtype="datetime64[D]"),
                    "end_date": (
                        np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
                        if end_date is None
                        else np.asarray(end_date, dtype="datetime64[D]")
                    ),
                    "client_type": client,
                    "episode_type": episode_type,
                    "service_type": service,
                    "support_reason": reason,
                    "referral_source": referral,
                    "outcome_91_days": outcome,
                    "self_directed": self_directed,
                    "settled_accommodation": settled,
                    "in_paid_employment": employed,
                }
            )
        )

    # Reablement after hospital discharge (ASCOF 2B / NI 125 cohort).
    rb = tl.reablement
    rp = rb["person_id"].to_numpy()
    r_start = day_to_date(start, rb["start_day"])
    diag = people.loc[rp, "dementia_diagnosed_date"].to_numpy().astype("datetime64[D]")
    reason = np.where(diag <= r_start, "memory_cognition", "physical_support").astype(object)
    episode(
        rp,
        r_start - _days(len(rp), rng, 0, 3),
        "contact",
        referral="hospital_discharge",
        reason=reason,
    )
    # At extract date an outcome is known only once its 91 days have passed.
    outcome_known = rb["outcome_91_days"].to_numpy().astype(object)
    outcome_known[r_start + np.timedelta64(91, "D") >= world.end] = None
    episode(
        rp,
        r_start,
        "service",
        service="reablement",
        end_date=day_to_date(start, rb["end_day"]),
        referral="hospital_discharge",
        reason=reason,
        outcome=outcome_known,
    )

    # Council-funded permanent care-home placements.
    ch = tl.care_home_admissions
    ch = ch.loc[ch["council_funded"].to_numpy()]
    cp = ch["person_id"].to_numpy()
    c_day = day_to_date(start, ch["day"])
    death = people.loc[cp, "death_date"].to_numpy().astype("datetime64[D]")
    c_reason = np.where(
        people.loc[cp, "dementia_diagnosed_date"].to_numpy() <= c_day,
        "memory_cognition",
        "physical_support",
    ).astype(object)
    episode(
        cp, c_day - _days(len(cp), rng, 14, 60), "contact", reason=c_reason, referral="community"
    )
    episode(cp, c_day - _days(len(cp), rng, 1, 14), "assessment", reason=c_reason)
    episode(
        cp, c_day, "service", service=ch["care_type"].to_numpy(), end_date=death, reason=c_reason
    )

    # Home care after a dementia diagnosis or a fall admission, for people living at home.
    p = world.people
    dem_date = p["dementia_diagnosed_date"].to_numpy().astype("datetime64[D]")
    dob = p["date_of_birth"].to_numpy().astype("datetime64[D]")
    cand = (dem_date < world.end) & ((dem_date - dob).astype(np.int64) > 65 * 365)
    cand &= rng.random(len(p)) < 0.4
    trig_person = [p.loc[cand, "person_id"].to_numpy()]
    trig_date = [np.maximum(dem_date[cand], start) + _days(int(cand.sum()), rng, 30, 400)]
    s = tl.spells
    falls = (
        s["primary_diagnosis"].isin(["W19", "W01", "W10", "W18", "S720", "S721", "S722"]).to_numpy()
    )
    falls &= rng.random(len(s)) < 0.25
    trig_person.append(s.loc[falls, "person_id"].to_numpy())
    trig_date.append(
        day_to_date(start, s.loc[falls, "discharge_day"]) + _days(int(falls.sum()), rng, 3, 60)
    )
    hp = np.concatenate(trig_person)
    contact = np.concatenate(trig_date).astype("datetime64[D]")
    hp, first = np.unique(hp, return_index=True)
    contact = contact[first]
    leaving = _leaving_date(world, pd.Series(hp))
    care_adm = ch.set_index("person_id")["day"] if len(ch) else pd.Series(dtype=np.int64)
    in_care_from = day_to_date(
        start, care_adm.reindex(hp).fillna(np.iinfo(np.int32).max).to_numpy()
    )
    ok = (contact < leaving) & (contact < in_care_from) & (contact < world.end)
    hp, contact, leaving = hp[ok], contact[ok], leaving[ok]
    n = hp.size
    wait_a = np.where(rng.random(n) < 0.8, rng.integers(1, 28, n), rng.integers(28, 90, n))
    assess = contact + wait_a.astype("timedelta64[D]")
    wait_s = np.where(rng.random(n) < 0.88, rng.integers(1, 28, n), rng.integers(28, 80, n))
    service_start = assess + wait_s.astype("timedelta64[D]")
    sds = rng.random(n) < 0.35
    service = np.where(sds & (rng.random(n) < 0.6), "direct_payment", "home_care").astype(object)
    reason_h = np.where(dem_date[hp] <= contact, "memory_cognition", "physical_support").astype(
        object
    )
    end_h = np.minimum(leaving, in_care_from[ok])
    end_h = np.where(end_h >= world.end, np.datetime64("NaT"), end_h).astype("datetime64[D]")
    episode(hp, contact, "contact", reason=reason_h, referral="community")
    assessed = assess < world.end
    episode(hp[assessed], assess[assessed], "assessment", reason=reason_h[assessed])
    served = service_start < np.minimum(leaving, world.end)
    episode(
        hp[served],
        service_start[served],
        "service",
        service=service[served],
        end_date=end_h[served],
        reason=reason_h[served],
        self_directed=sds[served],
    )

    # Carers of home-care clients living with them: carers' assessment (NI 135).
    client_hh = people.loc[hp[served], "household_id"].to_numpy()
    adults = world.residents_at(world.start + np.timedelta64(365, "D"))
    adults = adults.loc[(adults["age"] >= 18) & ~adults["in_care_home"]]
    carer_pool = adults.drop_duplicates("household_id").set_index("household_id")["person_id"]
    carer = carer_pool.reindex(client_hh).to_numpy()
    has_carer = ~pd.isna(carer) & (carer != hp[served]) & (rng.random(carer.size) < 0.55)
    carers = carer[has_carer].astype(np.int64)
    c_date = service_start[served][has_carer] + _days(int(has_carer.sum()), rng, 5, 90)
    c_ok = c_date < world.end
    episode(carers[c_ok], c_date[c_ok], "assessment", client="carer", reason="social_support")
    svc = c_ok & (rng.random(c_ok.size) < 0.5)
    episode(
        carers[svc],
        c_date[svc] + _days(int(svc.sum()), rng, 7, 40),
        "service",
        service="carer_service",
        client="carer",
        reason="social_support",
    )

    # Annual reviews of adults with a learning disability (NI 145, NI 146).
    for year in range(int(world.quarter_starts.size // 4)):
        when = (world.start.astype("datetime64[Y]") + year).astype(
            "datetime64[D]"
        ) + np.timedelta64(200, "D")
        res = world.residents_at(when)
        ld = res.loc[
            people.loc[res["person_id"], "learning_disability"].to_numpy()
            & (res["age"] >= 18)
            & (res["age"] < 65)
        ]
        m = len(ld)
        settled = rng.random(m) < np.where(ld["deprivation_z"].to_numpy() > 1, 0.6, 0.75)
        employed = rng.random(m) < 0.07
        episode(
            ld["person_id"].to_numpy(),
            when + _days(m, rng, 0, 150),
            "review",
            reason="learning_disability",
            settled=settled,
            employed=employed,
            self_directed=rng.random(m) < 0.45,
        )

    frame = pd.concat(rows, ignore_index=True)
    frame = frame.loc[
        (frame["start_date"] < world.end)
        & (frame["start_date"] >= world.start - np.timedelta64(30, "D"))
    ]
    frame = frame.sort_values(
        ["start_date", "person_id", "episode_type"], kind="stable"
    ).reset_index(drop=True)
    frame.loc[frame["end_date"] >= world.end, "end_date"] = pd.NaT
    frame.insert(1, "seen_date", frame["start_date"].to_numpy())
    frame.insert(
        2,
        "episode_id",
        np.char.add("EP", (np.arange(len(frame)) + 5_000_000).astype(str)).astype(object),
    )
    return Facts("asc", "episodes", frame)


_CAUSES = {
    "circulatory": ("I21.9", "I25.1", "I64"),
    "cancer": ("C34.9", "C18.9", "C50.9", "C61"),
    "respiratory": ("J18.9", "J44.9"),
    "dementia": ("F03", "G30.9"),
    "other": ("N18.9", "E11.9", "K70.3", "R54"),
}


def _deaths(world: World, rng: np.random.Generator) -> Facts:
    p = world.people
    died = (p["death_date"].to_numpy() < world.end) & ~p["death_date"].isna().to_numpy()
    d = p.loc[died]
    n = len(d)
    dod = d["death_date"].to_numpy().astype("datetime64[D]")
    age = (dod - d["date_of_birth"].to_numpy().astype("datetime64[D]")).astype(np.int64) / 365.25
    dementia = d["dementia_onset_date"].to_numpy() <= dod
    w = np.tile(np.array([0.25, 0.27, 0.13, 0.0, 0.35]), (n, 1))
    w[:, 1] *= np.where(age < 75, 1.6, 1.0)
    w[:, 3] = np.where(dementia, 0.35, 0.0)
    w /= w.sum(axis=1, keepdims=True)
    group = (rng.random(n)[:, None] > np.cumsum(w, axis=1)).sum(axis=1)
    names = ("circulatory", "cancer", "respiratory", "dementia", "other")
    cause = np.empty(n, dtype=object)
    for i, name in enumerate(names):
        sel = np.flatnonzero(group == i)
        opts = np.asarray(_CAUSES[name], dtype=object)
        cause[sel] = opts[rng.integers(0, len(opts), size=sel.size)]
    frame = pd.DataFrame(
        {
            "person_id": d["person_id"].to_numpy(),
            "seen_date": dod,
            "date_of_death": dod,
            "date_registered": dod + _days(n, rng, 1, 9),
            "place_of_death": d["death_place"].to_numpy(),
            "underlying_cause": cause,
        }
    )
    # Usual address at death (the care home for residents).
    addr = world.address_at(frame["person_id"].to_numpy(), dod - np.timedelta64(1, "D"))
    frame["postcode"] = addr["postcode"].to_numpy()
    frame = frame.sort_values(["date_registered", "person_id"], kind="stable")
    return Facts("registrar", "deaths", frame.reset_index(drop=True))


def _births(world: World, rng: np.random.Generator) -> Facts:
    p = world.people
    b = p.loc[p["born_in_timeline"].to_numpy()]
    n = len(b)
    dob = b["date_of_birth"].to_numpy().astype("datetime64[D]")
    mothers = world.people.set_index("person_id").loc[b["mother_id"].to_numpy()]
    mother_age = (dob - mothers["date_of_birth"].to_numpy().astype("datetime64[D]")).astype(
        np.int64
    ) // 365
    frame = pd.DataFrame(
        {
            "person_id": b["person_id"].to_numpy(),
            "seen_date": dob,
            "date_of_birth": dob,
            "date_registered": dob + _days(n, rng, 3, 42),
            "birth_weight_g": np.clip(np.round(rng.normal(3350, 560, n)), 500, 5500).astype(
                np.int64
            ),
            "mother_age": mother_age.astype(np.int64),
        }
    )
    frame = frame.sort_values(["date_registered", "person_id"], kind="stable")
    return Facts("registrar", "births", frame.reset_index(drop=True))
