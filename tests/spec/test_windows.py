"""Spec tests: exists within a window (after, before, edges inclusive, negated, with
conditions on the other rows) and active at a date (open-ended end date) — on DuckDB and
PostgreSQL, against the reference engine (see conftest.py)."""

from __future__ import annotations

from partnerhub.cohort import Cohort, Condition, Exists, Selection
from tests.spec.tables import FEB, JAN, JAN_FEB, Load, counted

# three people admitted on 10 January; P1 and P2 also have a care record at the council
PEOPLE = """
partner | record_key | person_id
acute   | aa01       | P1
council | bb01       | P1
acute   | aa02       | P2
council | bb02       | P2
acute   | aa03       | P3
"""
SPELLS = """
partner | record_key | admission_date
acute   | aa01       | 2024-01-10
acute   | aa02       | 2024-01-10
acute   | aa03       | 2024-01-10
"""
# P1's care starts 10 days after the admission (open-ended), P2's 5 days before and ends on
# the day of the admission; bb09 is a record no one is linked to
CARE = """
partner | record_key | service_type | start_date | end_date
council | bb01       | reablement   | 2024-01-20 |
council | bb02       | home_care    | 2024-01-05 | 2024-01-10
council | bb09       | home_care    | 2024-01-10 |
"""


def admitted(*exists: Exists) -> Cohort:
    return Cohort(of=Selection(table="hospital_spell", exists=exists), periods=JAN_FEB)


def care(**window: object) -> Exists:
    return Exists.model_validate({"table": "social_care_episode", **window})


def test_exists_after_the_row_date(load: Load) -> None:
    v = load(person=PEOPLE, hospital_spell=SPELLS, social_care_episode=CARE)
    assert counted(v, admitted(care(from_days=0, to_days=14))) == [(JAN.label, "aa01")]


def test_the_window_edges_are_inclusive(load: Load) -> None:
    v = load(person=PEOPLE, hospital_spell=SPELLS, social_care_episode=CARE)
    assert counted(v, admitted(care(from_days=10, to_days=10))) == [(JAN.label, "aa01")]
    assert counted(v, admitted(care(from_days=0, to_days=9))) == []
    assert counted(v, admitted(care(from_days=-5, to_days=-5))) == [(JAN.label, "aa02")]


def test_exists_before_the_row_date(load: Load) -> None:
    v = load(person=PEOPLE, hospital_spell=SPELLS, social_care_episode=CARE)
    assert counted(v, admitted(care(from_days=-7, to_days=-1))) == [(JAN.label, "aa02")]
    assert counted(v, admitted(care(from_days=-4, to_days=-1))) == []


def test_negate_keeps_the_people_without_such_a_row(load: Load) -> None:
    v = load(person=PEOPLE, hospital_spell=SPELLS, social_care_episode=CARE)
    got = counted(v, admitted(care(from_days=0, to_days=14, negate=True)))
    assert got == [(JAN.label, "aa02"), (JAN.label, "aa03")]


def test_conditions_on_the_other_rows(load: Load) -> None:
    v = load(person=PEOPLE, hospital_spell=SPELLS, social_care_episode=CARE)
    home_care = (Condition.model_validate({"field": "service_type", "in": ["home_care"]}),)
    assert counted(v, admitted(care(from_days=-30, to_days=30, where=home_care))) == [
        (JAN.label, "aa02")
    ]
    # all tests must hold: care within 30 days, and none of it home care
    both = admitted(
        care(from_days=-30, to_days=30),
        care(from_days=-30, to_days=30, where=home_care, negate=True),
    )
    assert counted(v, both) == [(JAN.label, "aa01")]


def test_exists_active_at_the_row_date(load: Load) -> None:
    # in care on the day of admission: P2's care ended that day (end exclusive), P1's has
    # not started
    v = load(person=PEOPLE, hospital_spell=SPELLS, social_care_episode=CARE)
    active = care(active=("start_date", "end_date"))
    assert counted(v, admitted(active)) == []
    later = SPELLS.replace("2024-01-10", "2024-02-01")  # P1 in open-ended care by then
    v = load(person=PEOPLE, hospital_spell=later, social_care_episode=CARE)
    assert counted(v, admitted(active)) == [(FEB.label, "aa01")]


# claims active at mid-January (16th) and mid-February (15th)
CLAIMS = """
record_key | benefit        | start_date | end_date
aa01       | pension_credit | 2023-06-01 |
aa02       | pension_credit | 2024-01-16 | 2024-02-15
aa03       | pension_credit | 2023-01-01 | 2024-01-16
aa04       | pension_credit | 2024-01-17 |
"""


def test_selection_active_at_the_reference_date(load: Load) -> None:
    # start inclusive, end exclusive, no end: still active; anchored at the reference date
    v = load(benefit_claim=CLAIMS)
    cohort = Cohort(
        of=Selection(table="benefit_claim", active=("start_date", "end_date")), periods=JAN_FEB
    )
    assert counted(v, cohort) == [
        (JAN.label, "aa01"),
        (JAN.label, "aa02"),
        (FEB.label, "aa01"),
        (FEB.label, "aa04"),
    ]
