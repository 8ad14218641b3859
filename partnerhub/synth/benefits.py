"""Revenues and benefits: council tax, benefit claims, and the truth about Pension Credit.

**Pension Credit truth.** Each pensioner benefit unit (a household's head and partner, the
older aged 66+ on 2022-04-01) gets a weekly income and capital; its entitlement follows the
guarantee-credit rule at 2022/23 rates: standard minimum guarantee £182.60 a week (single) or
£278.70 (couple), capital over £10,000 counted as £1 a week per £500 or part, entitlement =
max(0, guarantee − income − tariff income). This simplified rule (no savings credit, no
additional amounts for disability, caring or housing costs) is the truth of the synthetic world.
**Take-up** among the entitled is about 63% (DWP's estimate): higher for larger entitlements,
lower with age and much lower for isolated people (living alone, no hospital admission).
**A randomised outreach campaign** in October 2022 visited half (at random) of the entitled
non-claimants and of a sample of the not entitled in half the wards; the visit raises the chance
of claiming within six months, more for isolated people and larger entitlements, and not at all
for those not entitled. Visits appear as voluntary-sector contacts; resulting claims as Pension
Credit claims.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from partnerhub.synth.facts import Facts
from partnerhub.synth.world import World

__all__ = ["GUARANTEE_COUPLE", "GUARANTEE_SINGLE", "build_benefits", "pension_credit_entitlement"]

GUARANTEE_SINGLE = 182.60
GUARANTEE_COUPLE = 278.70
CAPITAL_DISREGARD = 10_000.0
CAMPAIGN_DATE = np.datetime64("2022-10-01")


def pension_credit_entitlement(
    weekly_income: np.ndarray, capital: np.ndarray, couple: np.ndarray
) -> np.ndarray:
    """Weekly guarantee credit (GBP) under the simplified 2022/23 rule stated above."""
    excess = np.maximum(np.asarray(capital, dtype=float) - CAPITAL_DISREGARD, 0.0)
    tariff = np.ceil(excess / 500.0)
    guarantee = np.where(couple, GUARANTEE_COUPLE, GUARANTEE_SINGLE)
    return np.round(np.maximum(guarantee - weekly_income - tariff, 0.0), 2)


def _days(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    return rng.integers(lo, hi, n).astype("timedelta64[D]")


def build_benefits(world: World, rng: np.random.Generator) -> list[Facts]:
    claims: list[pd.DataFrame] = []

    def claim(
        person: np.ndarray,
        benefit: str,
        start: np.ndarray,
        amount: np.ndarray,
        end: np.ndarray | None = None,
    ) -> None:
        n = len(person)
        start = np.asarray(start, dtype="datetime64[D]")
        received = start - _days(rng, n, 0, 10)
        wait = np.clip(np.round(rng.lognormal(np.log(18), 0.5, n)), 2, 150).astype(int)
        claims.append(
            pd.DataFrame(
                {
                    "person_id": np.asarray(person, dtype=np.int64),
                    "benefit": benefit,
                    "claim_received_date": received,
                    "decision_date": received + wait.astype("timedelta64[D]"),
                    "start_date": start,
                    "end_date": (
                        np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
                        if end is None
                        else np.asarray(end, dtype="datetime64[D]")
                    ),
                    "weekly_amount": np.round(np.asarray(amount, dtype=float), 2),
                }
            )
        )

    snap = world.residents_at(np.datetime64("2022-04-01"))
    snap = snap.loc[~snap["in_care_home"]]
    hh_size = snap.groupby("household_id")["person_id"].transform("size").to_numpy()
    snap = snap.assign(hh_size=hh_size)
    people = world.people.set_index("person_id")
    role = people["role"].reindex(snap["person_id"]).to_numpy()
    units, truth_units = _pension_credit(world, snap, role, rng, claim)
    _other_benefits(world, snap, role, rng, claim)

    frame = pd.concat(claims, ignore_index=True)
    leaving = np.fmin(
        people["death_date"].to_numpy().astype("datetime64[D]"),
        people["departure_date"].to_numpy().astype("datetime64[D]"),
    )
    leave = pd.Series(leaving, index=people.index).reindex(frame["person_id"]).to_numpy()
    end = frame["end_date"].to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(end), leave, np.where(np.isnat(leave), end, np.minimum(end, leave)))
    end = np.where(end >= world.end, np.datetime64("NaT"), end).astype("datetime64[D]")
    frame["end_date"] = end
    ok = (frame["claim_received_date"].to_numpy() < world.end) & (
        np.isnat(leave) | (frame["start_date"].to_numpy() < leave)
    )
    frame = frame.loc[ok].copy()
    frame.insert(1, "seen_date", np.maximum(frame["claim_received_date"].to_numpy(), world.start))
    frame = frame.sort_values(["seen_date", "person_id", "benefit"], kind="stable")
    council_tax = _council_tax(world, rng)
    outreach = units.loc[units["assigned"]]
    contacts = pd.DataFrame(
        {
            "person_id": outreach["person_id"].to_numpy(),
            "seen_date": outreach["visit_date"].to_numpy(),
            "service": "outreach_letter",
            "contact_date": outreach["visit_date"].to_numpy(),
        }
    )
    return [
        Facts(
            "revenues",
            "claims",
            frame.reset_index(drop=True),
            {"benefit_units": truth_units, "outreach_campaign": units},
        ),
        council_tax,
        Facts("voluntary", "contacts", contacts),
    ]


def _pension_credit(
    world: World,
    snap: pd.DataFrame,
    role: np.ndarray,
    rng: np.random.Generator,
    claim: Callable[..., None],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    heads = snap.loc[(role == "head")]
    partners = snap.loc[role == "partner"].drop_duplicates("household_id").set_index("household_id")
    p_age = partners["age"].reindex(heads["household_id"]).to_numpy()
    p_id = (
        partners["person_id"].reindex(heads["household_id"]).fillna(-1).to_numpy().astype(np.int64)
    )
    older = np.fmax(heads["age"].to_numpy(), np.nan_to_num(p_age, nan=0.0))
    heads = heads.loc[older >= 66]
    p_id = p_id[older >= 66]
    older = older[older >= 66]
    n = len(heads)
    couple = p_id >= 0
    dep = heads["deprivation_z"].to_numpy()
    income = rng.lognormal(np.log(np.where(couple, 420, 270)) - 0.12 * dep, 0.45, n)
    capital = rng.lognormal(np.log(9_000) - 0.3 * dep, 1.3, n)
    entitlement = pension_credit_entitlement(income, capital, couple)
    entitled = entitlement > 0
    alone = heads["hh_size"].to_numpy() == 1
    spells = world.timeline.spells
    admitted = np.isin(heads["person_id"].to_numpy(), spells["person_id"].to_numpy())
    isolated = alone & ~admitted
    logit = 0.75 + 0.012 * (entitlement - 40) - 0.03 * (older - 75) - 1.3 * isolated
    claimed = entitled & (rng.random(n) < 1 / (1 + np.exp(-logit)))
    # The campaign: half the wards, entitled non-claimants and a sample of the not entitled.
    wards = np.sort(heads["ward_code"].unique())
    in_ward = np.isin(heads["ward_code"].to_numpy(), wards[rng.random(wards.size) < 0.5])
    eligible_for_campaign = in_ward & ~claimed & (entitled | (rng.random(n) < 0.2))
    assigned = eligible_for_campaign & (rng.random(n) < 0.5)
    effect = np.where(entitled, np.clip(0.1 + 0.2 * isolated + 0.0015 * entitlement, 0, 0.6), 0.0)
    base6 = np.where(entitled, 0.04, 0.0)
    claimed_after = eligible_for_campaign & (rng.random(n) < base6 + effect * assigned)
    pid = heads["person_id"].to_numpy()
    before = claimed
    start_b = world.start - _days(rng, int(before.sum()), 0, 6 * 365)
    claim(pid[before], "pension_credit", start_b, entitlement[before])
    visit = (CAMPAIGN_DATE + _days(rng, n, 0, 60)).astype("datetime64[D]")
    after = claimed_after
    start_a = visit[after] + _days(rng, int(after.sum()), 7, 180)
    claim(pid[after], "pension_credit", start_a, entitlement[after])
    units = pd.DataFrame(
        {
            "benefit_unit_id": np.arange(n, dtype=np.int64),
            "household_id": heads["household_id"].to_numpy(),
            "person_id": pid,
            "partner_person_id": p_id,
            "ward_code": heads["ward_code"].to_numpy(),
            "age_older_member": np.round(older, 1),
            "living_alone": alone,
            "isolated": isolated,
            "weekly_income": np.round(income, 2),
            "capital": np.round(capital, 2),
            "entitled_pension_credit": entitled,
            "weekly_entitlement": entitlement,
            "claimed_before_campaign": claimed,
            "in_campaign": eligible_for_campaign,
            "assigned": assigned,
            "treatment_effect": effect,
            "claimed_within_6_months": claimed_after,
            "visit_date": np.where(assigned, visit, np.datetime64("NaT")).astype("datetime64[D]"),
        }
    )
    campaign = units.loc[units["in_campaign"]].reset_index(drop=True)
    return campaign, units.drop(columns=["visit_date"])


def _other_benefits(
    world: World,
    snap: pd.DataFrame,
    role: np.ndarray,
    rng: np.random.Generator,
    claim: Callable[..., None],
) -> None:
    add = claim
    people = world.people.set_index("person_id")
    age = snap["age"].to_numpy()
    dep = snap["deprivation_z"].to_numpy()
    pid = snap["person_id"].to_numpy()
    # Working-age out-of-work benefits (NI 152/153).
    wa = (age >= 18) & (age < 65)
    p = 0.075 * np.exp(0.55 * dep) / np.exp(0.55 * dep[wa]).mean()
    out_of_work = wa & (rng.random(len(snap)) < p)
    kind = rng.choice(
        np.array(
            [
                "universal_credit",
                "employment_support_allowance",
                "jobseekers_allowance",
                "income_support",
            ],
            dtype=object,
        ),
        len(snap),
        p=[0.65, 0.2, 0.08, 0.07],
    )
    amounts = {
        "universal_credit": (90, 400),
        "employment_support_allowance": (84.8, 129.5),
        "jobseekers_allowance": (84.8, 84.8),
        "income_support": (84.8, 84.8),
    }
    for b, (lo, hi) in amounts.items():
        sel = out_of_work & (kind == b)
        k = int(sel.sum())
        start = np.datetime64("2022-04-01") - _days(rng, k, 0, 4 * 365)
        end = start + np.round(rng.exponential(700, k)).astype("timedelta64[D]")
        add(pid[sel], b, start, rng.uniform(lo, hi, k), end)
        ctr = sel & (rng.random(len(snap)) < 0.6)
        add(
            pid[ctr],
            "council_tax_reduction",
            start[ctr[sel]],
            rng.uniform(8, 25, int(ctr.sum())),
            end[ctr[sel]],
        )
    # Attendance Allowance for older people with a dementia diagnosis.
    diag = people["dementia_diagnosed_date"].to_numpy().astype("datetime64[D]")
    dob = people["date_of_birth"].to_numpy().astype("datetime64[D]")
    aa = ~np.isnat(diag) & (diag < world.end) & ((diag - dob).astype(np.int64) > 65 * 365)
    aa &= rng.random(len(people)) < 0.6
    k = int(aa.sum())
    add(
        people.index.to_numpy()[aa],
        "attendance_allowance",
        np.maximum(diag[aa], world.start - np.timedelta64(3 * 365, "D")) + _days(rng, k, 30, 200),
        np.where(rng.random(k) < 0.5, 72.65, 108.55),
    )
    # Carer's Allowance for working-age adults living with someone with dementia.
    dem_hh = people.loc[aa, "household_id"].to_numpy()
    carers = snap.loc[
        np.isin(snap["household_id"], dem_hh)
        & (age >= 18)
        & (age < 66)
        & ~np.isin(pid, people.index.to_numpy()[aa])
    ]
    carers = carers.loc[rng.random(len(carers)) < 0.4]
    add(
        carers["person_id"].to_numpy(),
        "carers_allowance",
        np.datetime64("2022-04-01") + _days(rng, len(carers), 0, 700),
        np.full(len(carers), 76.75),
    )
    # PIP for working-age adults with a learning disability.
    ld = people["learning_disability"].reindex(pid).fillna(False).to_numpy().astype(bool) & wa
    ld &= rng.random(len(snap)) < 0.6
    add(
        pid[ld],
        "personal_independence_payment",
        np.datetime64("2022-04-01") - _days(rng, int(ld.sum()), 0, 5 * 365),
        rng.uniform(68.1, 172.75, int(ld.sum())),
    )
    # Housing Benefit for low-income older renters.
    ten = (
        world.households.set_index("household_id")["tenure"]
        .reindex(snap["household_id"])
        .to_numpy()
    )
    hb = (role == "head") & (age >= 66) & (ten != "owner") & (rng.random(len(snap)) < 0.55)
    add(
        pid[hb],
        "housing_benefit",
        np.datetime64("2022-04-01") - _days(rng, int(hb.sum()), 0, 8 * 365),
        rng.uniform(70, 160, int(hb.sum())),
    )


def _council_tax(world: World, rng: np.random.Generator) -> Facts:
    """Liability spells of each household's lead person, split when they start living alone."""
    rows = []
    for q in world.quarter_starts:
        res = world.residents_at(q)
        res = res.loc[~res["in_care_home"]]
        size = res.groupby("household_id")["person_id"].transform("size").to_numpy()
        adults = res.assign(size=size).loc[res["age"] >= 18]
        lead = adults.sort_values(["household_id", "age"], ascending=[True, False]).drop_duplicates(
            "household_id"
        )
        rows.append(
            pd.DataFrame(
                {
                    "person_id": lead["person_id"].to_numpy(),
                    "q": q,
                    "uprn": lead["uprn"].to_numpy(),
                    "single": lead["size"].to_numpy() == 1,
                    "postcode": lead["postcode"].to_numpy(),
                }
            )
        )
    s = pd.concat(rows, ignore_index=True).sort_values(["person_id", "q"], kind="stable")
    s = s.reset_index(drop=True)
    pid = s["person_id"].to_numpy()
    qs = s["q"].to_numpy().astype("datetime64[D]")
    new = np.ones(len(s), dtype=bool)
    same = pid[1:] == pid[:-1]
    contiguous = (qs[1:] - qs[:-1]).astype(int) <= 92
    new[1:] = ~(
        same
        & contiguous
        & (s["uprn"].to_numpy()[1:] == s["uprn"].to_numpy()[:-1])
        & (s["single"].to_numpy()[1:] == s["single"].to_numpy()[:-1])
    )
    seg = np.cumsum(new) - 1
    g = s.groupby(seg)
    seg_df = pd.DataFrame(
        {
            "person_id": g["person_id"].first().to_numpy(),
            "from_q": g["q"].first().to_numpy().astype("datetime64[D]"),
            "last_q": g["q"].last().to_numpy().astype("datetime64[D]"),
            "single_occupier": g["single"].first().to_numpy(),
            "postcode": g["postcode"].first().to_numpy(),
        }
    )
    n = len(seg_df)
    first = seg_df["from_q"].to_numpy() == world.quarter_starts[0]
    from_date = np.where(
        first,
        seg_df["from_q"].to_numpy() - _days(rng, n, 30, 15 * 365),
        seg_df["from_q"].to_numpy() - _days(rng, n, 0, 90),
    ).astype("datetime64[D]")
    to_date = (seg_df["last_q"].to_numpy() + _days(rng, n, 0, 90)).astype("datetime64[D]")
    open_end = seg_df["last_q"].to_numpy() == world.quarter_starts[-1]
    to_date = np.where(open_end, np.datetime64("NaT"), to_date).astype("datetime64[D]")
    # Consecutive segments of one person join up without a gap or an overlap.
    nxt_same = np.zeros(n, dtype=bool)
    nxt_same[:-1] = seg_df["person_id"].to_numpy()[1:] == seg_df["person_id"].to_numpy()[:-1]
    nxt_from = np.roll(from_date, -1)
    to_date = np.where(nxt_same, nxt_from, to_date).astype("datetime64[D]")
    frame = pd.DataFrame(
        {
            "person_id": seg_df["person_id"].to_numpy(),
            "seen_date": np.maximum(from_date, world.start),
            "from_date": from_date,
            "to_date": to_date,
            "single_occupier": seg_df["single_occupier"].to_numpy(),
            "postcode": seg_df["postcode"].to_numpy(),
        }
    )
    frame = frame.sort_values(["seen_date", "person_id"], kind="stable").reset_index(drop=True)
    return Facts("revenues", "council_tax", frame)
