"""Partner facts built from one 30,000-person world: rates in realistic bands, with numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from partnerhub.synth.benefits import build_benefits, pension_credit_entitlement
from partnerhub.synth.education import build_education, year_group
from partnerhub.synth.facts import Facts
from partnerhub.synth.health_care import build_health_and_care
from partnerhub.synth.housing import build_housing
from partnerhub.synth.justice import build_youth_justice
from partnerhub.synth.world_build import Built, build_world, stage_rngs


@pytest.fixture(scope="module")
def built() -> Built:
    return build_world(30_000, seed=5)


@pytest.fixture(scope="module")
def facts(built: Built) -> dict[str, Facts]:
    rngs = stage_rngs(5)
    w = built.world
    out = (
        build_health_and_care(w, rngs["services"])
        + build_benefits(w, rngs["benefits"])
        + build_education(w, rngs["education"])
        + build_housing(w, rngs["housing"])
        + build_youth_justice(w, rngs["police"])
    )
    return {f"{f.partner}_{f.dataset}": f for f in out}


def test_pension_credit_rule_by_hand() -> None:
    income = np.array([150.0, 182.60, 100.0, 200.0, 150.0])
    capital = np.array([0.0, 0.0, 10_250.0, 0.0, 10_000.0])
    couple = np.array([False, False, False, True, False])
    # 182.60-150 = 32.60; nothing; 182.60-100-ceil(250/500)=81.60; 278.70-200; at the disregard.
    expected = [32.60, 0.0, 81.60, 78.70, 32.60]
    assert pension_credit_entitlement(income, capital, couple).tolist() == expected


def test_take_up_and_the_randomised_campaign(facts: dict[str, Facts]) -> None:
    units = facts["revenues_claims"].truth["benefit_units"]
    entitled = units.loc[units["entitled_pension_credit"]]
    assert 0.06 <= units["entitled_pension_credit"].mean() <= 0.3
    take_up = entitled["claimed_before_campaign"].mean()
    assert 0.55 <= take_up <= 0.72  # DWP estimate: about 63%
    by_isolation = entitled.groupby("isolated")["claimed_before_campaign"].mean()
    assert by_isolation[True] < by_isolation[False] - 0.1
    c = facts["revenues_claims"].truth["outreach_campaign"]
    assert 0.45 <= c["assigned"].mean() <= 0.55
    ent = c.loc[c["entitled_pension_credit"]]
    ate = ent.groupby("assigned")["claimed_within_6_months"].mean()
    assert ate[True] - ate[False] > 0.1
    iso = ent.loc[ent["isolated"]].groupby("assigned")["claimed_within_6_months"].mean()
    not_iso = ent.loc[~ent["isolated"]].groupby("assigned")["claimed_within_6_months"].mean()
    assert (iso[True] - iso[False]) > (not_iso[True] - not_iso[False])
    assert c.loc[~c["entitled_pension_credit"], "claimed_within_6_months"].sum() == 0


def test_out_of_work_benefits_and_processing_times(built: Built, facts: dict[str, Facts]) -> None:
    claims = facts["revenues_claims"].frame
    assert (claims["decision_date"] > claims["claim_received_date"]).all()
    oow = claims.loc[
        claims["benefit"].isin(
            [
                "universal_credit",
                "employment_support_allowance",
                "jobseekers_allowance",
                "income_support",
            ]
        )
    ]
    res = built.world.residents_at(np.datetime64("2022-04-01"))
    wa = res.loc[(res["age"] >= 18) & (res["age"] < 65)]
    on = wa["person_id"].isin(oow["person_id"])
    assert 0.05 <= on.mean() <= 0.14
    q = pd.qcut(wa["deprivation_z"], 5, labels=False)
    assert on[q == 4].mean() > on[q == 0].mean() * 1.5


def test_council_tax_spells_do_not_overlap(facts: dict[str, Facts]) -> None:
    ct = facts["revenues_council_tax"].frame.sort_values(["person_id", "from_date"])
    same = ct["person_id"].to_numpy()[1:] == ct["person_id"].to_numpy()[:-1]
    prev_to = ct["to_date"].to_numpy()[:-1][same]
    nxt_from = ct["from_date"].to_numpy()[1:][same]
    assert (np.isnat(prev_to) | (prev_to <= nxt_from)).all()
    assert 0.25 <= ct["single_occupier"].mean() <= 0.5


def test_education_rates(facts: dict[str, Facts]) -> None:
    ncmp = facts["education_ncmp"].frame
    obese = ncmp.assign(obese=ncmp["bmi_centile"] >= 95).groupby("year_group")["obese"].mean()
    assert 0.06 <= obese[0] <= 0.13 and 0.17 <= obese[6] <= 0.27
    bmi = ncmp["weight_kg"] / (ncmp["height_cm"] / 100) ** 2
    assert np.corrcoef(bmi, ncmp["bmi_centile"])[0, 1] > 0.5
    neet = facts["education_neet"].frame
    share = (neet["neet_status"] == "neet").mean()
    assert 0.03 <= share <= 0.09
    census = facts["education_census"].frame
    assert 0.12 <= census["free_school_meals"].mean() <= 0.3
    dob = np.array(["2017-08-31", "2017-09-01", "2010-01-15"], dtype="datetime64[D]")
    assert year_group(dob, np.datetime64("2023-01-19")).tolist() == [1, 0, 8]


def test_housing_and_youth_justice(built: Built, facts: dict[str, Facts]) -> None:
    ev = facts["housing_events"].frame
    counts = ev["event_type"].value_counts()
    households = built.world.households.shape[0]
    apps = counts["homelessness_application"] / 4 / households * 1000
    assert 2 <= apps <= 9
    sp_exits = counts["supporting_people_planned_exit"] + counts["supporting_people_unplanned_exit"]
    assert 0.5 <= counts["supporting_people_planned_exit"] / sp_exits <= 0.85
    fte = facts["police_youth_outcomes"].truth["first_time_entrants"]
    res = built.world.residents_at(np.datetime64("2023-04-01"))
    young = ((res["age"] >= 10) & (res["age"] < 18)).sum()
    rate = len(fte) / 4 / young * 100_000
    assert 100 <= rate <= 350
    sexes = built.world.people.set_index("person_id").loc[fte["person_id"], "sex"]
    assert (sexes == "M").mean() > 0.65


def test_health_and_care_facts(facts: dict[str, Facts]) -> None:
    asc = facts["asc_episodes"].frame
    reab = asc.loc[asc["service_type"] == "reablement"]
    known = reab["outcome_91_days"].notna()
    assert (reab.loc[known, "outcome_91_days"] == "at_home").mean() > 0.6
    deaths = facts["registrar_deaths"].frame
    assert set(deaths["place_of_death"]) <= {"home", "care_home", "hospital", "hospice", "other"}
    assert 0.3 <= (deaths["place_of_death"] == "hospital").mean() <= 0.6
