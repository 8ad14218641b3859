"""Spec tests: selections by period, the population at a reference date, people rather than
records, rows with no person, and which sources are read — on DuckDB and PostgreSQL, against
the reference engine (see conftest.py)."""

from __future__ import annotations

from datetime import date

from partnerhub.cohort import Cohort, Condition, Periods, Population, Selection
from tests.spec.tables import FEB, JAN, JAN_FEB, Load, counted, run_both


def test_period_start_inclusive_end_exclusive(load: Load) -> None:
    spells = """
    record_key | admission_date | discharge_date
    aa01       | 2023-12-31     | 2024-01-01
    aa02       | 2024-01-01     | 2024-02-01
    aa03       | 2024-01-31     | 2024-01-31
    aa04       | 2024-02-01     | 2024-03-01
    aa05       | 2024-03-01     |
    """
    v = load(hospital_spell=spells)
    by_admission = Cohort(of=Selection(table="hospital_spell"), periods=JAN_FEB)
    assert counted(v, by_admission) == [
        (JAN.label, "aa02"),
        (JAN.label, "aa03"),
        (FEB.label, "aa04"),
    ]
    by_discharge = Cohort(
        of=Selection(table="hospital_spell", date="discharge_date"), periods=JAN_FEB
    )
    assert counted(v, by_discharge) == [
        (JAN.label, "aa01"),
        (JAN.label, "aa03"),
        (FEB.label, "aa02"),
    ]
    rows = run_both(v, by_admission)
    assert list(rows["anchor"]) == [date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 1)]


REGISTRATIONS = """
record_key | source          | from_date  | to_date    | practice_code
aa01       | gp_registration | 2020-01-01 |            | G1
aa02       | gp_registration | 2023-06-01 |            | G2
aa09       | gp_registration | 2024-02-01 |            | G3
aa03       | gp_registration | 2023-06-01 |            | G1
aa04       | gp_registration | 2023-06-01 |            | G2
aa05       | gp_registration | 2024-01-16 |            | G1
aa06       | gp_registration | 2020-01-01 | 2024-01-16 | G1
aa07       | council_tax     | 2020-01-01 |            |
aa08       | gp_registration | 2024-01-20 | 2024-02-01 | G1
"""
REGISTERED = """
partner | record_key | person_id
gp      | aa01       | P1
gp      | aa02       | P1
gp      | aa09       | P1
gp      | aa03       | P2
gp      | aa04       | P2
gp      | aa05       | P3
gp      | aa06       | P4
gp      | aa07       | P5
gp      | aa08       | P6
"""


def test_population_one_registration_per_person_at_the_reference_date(load: Load) -> None:
    # P1: the most recent registration active then (aa02 in January, aa09 from February);
    # P2: two from the same day, the lowest record key; P3 registered on the reference date
    # counts, P4's registration ending then does not; P5 is not a GP registration; P6 is
    # registered between the two reference dates only
    v = load(person=REGISTERED, residence=REGISTRATIONS)
    cohort = Cohort(of=Population(), periods=JAN_FEB)
    assert counted(v, cohort) == [
        (JAN.label, "aa02"),
        (JAN.label, "aa03"),
        (JAN.label, "aa05"),
        (FEB.label, "aa03"),
        (FEB.label, "aa05"),
        (FEB.label, "aa09"),
    ]
    rows = run_both(v, cohort)
    assert set(rows["anchor"]) == {date(2024, 1, 16), date(2024, 2, 15)}
    assert rows.groupby("period")["person"].nunique().to_dict() == {JAN.label: 3, FEB.label: 3}


def test_population_at_the_period_end_and_with_a_condition(load: Load) -> None:
    v = load(person=REGISTERED, residence=REGISTRATIONS)
    at_end = Periods(periods=(JAN,), reference="end")  # 31 January: P6 is registered
    assert counted(v, Cohort(of=Population(), periods=at_end)) == [
        (JAN.label, "aa02"),
        (JAN.label, "aa03"),
        (JAN.label, "aa05"),
        (JAN.label, "aa08"),
    ]
    g1 = Condition.model_validate({"field": "practice_code", "in": ["G1"]})
    # the condition tests the registration chosen: P1's chosen one is at G2
    got = counted(v, Cohort(of=Population(where=(g1,)), periods=at_end))
    assert got == [(JAN.label, "aa03"), (JAN.label, "aa05"), (JAN.label, "aa08")]


SPELLS = """
partner | record_key | admission_date
acute   | aa01       | 2024-01-10
acute   | aa02       | 2024-01-05
mental  | aa03       | 2024-01-05
acute   | aa04       | 2024-02-03
acute   | aa05       | 2024-01-07
"""
LINKED = """
partner | record_key | person_id
acute   | aa01       | P1
acute   | aa02       | P1
mental  | aa03       | P1
acute   | aa04       | P1
acute   | aa05       | P2
"""


def test_rows_or_people(load: Load) -> None:
    v = load(person=LINKED, hospital_spell=SPELLS)
    rows = Cohort(of=Selection(table="hospital_spell"), periods=JAN_FEB)
    assert len(counted(v, rows)) == 5
    people = Cohort(of=Selection(table="hospital_spell", count="people"), periods=JAN_FEB)
    # each person once a period, at their first row (ties: the lowest record key)
    assert counted(v, people) == [(JAN.label, "aa02"), (JAN.label, "aa05"), (FEB.label, "aa04")]
    assert sorted(run_both(v, people)["person"]) == ["P1", "P1", "P2"]


def test_a_row_with_no_person_is_a_person_of_its_own(load: Load) -> None:
    # no person table rows at all: R + record key, so no two records are one person
    v = load(hospital_spell=SPELLS)
    people = Cohort(of=Selection(table="hospital_spell", count="people"), periods=JAN_FEB)
    rows = run_both(v, people)
    assert sorted(rows["person"]) == ["Raa01", "Raa02", "Raa03", "Raa04", "Raa05"]
    # half linked: the linked rows are their person, the others their own
    partly = """
    partner | record_key | person_id
    acute   | aa01       | P1
    acute   | aa02       | P1
    """
    v = load(person=partly, hospital_spell=SPELLS)
    rows = run_both(v, people)
    assert sorted(zip(rows["period"], rows["person"], strict=True)) == [
        (JAN.label, "P1"),
        (JAN.label, "Raa03"),
        (JAN.label, "Raa05"),
        (FEB.label, "Raa04"),
    ]


def test_only_the_named_sources_are_read(load: Load) -> None:
    spells = """
    partner | dataset     | record_key | admission_date
    acute   | spells      | aa01       | 2024-01-10
    private | admissions  | aa02       | 2024-01-11
    """
    v = load(hospital_spell=spells)
    base = Cohort(of=Selection(table="hospital_spell"), periods=JAN_FEB)
    assert counted(v, base) == [(JAN.label, "aa01"), (JAN.label, "aa02")]  # no sources: all
    named = base.model_copy(update={"sources": ("acute/spells",)})
    assert counted(v, named) == [(JAN.label, "aa01")]
