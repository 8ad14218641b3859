"""Spec tests: each kind of condition, and age and sex from the person table — on DuckDB and
PostgreSQL, against the reference engine (see conftest.py)."""

from __future__ import annotations

from partnerhub.cohort import Cohort, Condition, Selection
from tests.spec.tables import FEB, JAN, JAN_FEB, Load, counted

# four admissions: three in January, one in February (the header runs on over a backslash)
SPELLS = """
record_key | admission_date | discharge_date | admission_method | primary_diagnosis | \
diagnosis_group | delayed_days
aa01 | 2024-01-05 | 2024-01-09 | emergency | S72.0 | hip_fracture | 0
aa02 | 2024-01-06 |            | elective  | s72.1 | fall         | 3
aa03 | 2024-01-07 | 2024-01-20 |           | F10.2 |              |
aa04 | 2024-02-10 | 2024-02-11 | emergency | W19   | fall         | 10
"""
PEOPLE = """
partner | record_key | person_id | birth_month | sex
gp      | aa01       | P1        | 1950-01-01  | F
gp      | aa02       | P2        | 1950-02-01  | M
gp      | aa03       | P3        |             |
"""  # aa04 has no person row


def spells(*where: Condition) -> Cohort:
    return Cohort(of=Selection(table="hospital_spell", where=where), periods=JAN_FEB)


def c(field: str, **test: object) -> Condition:
    return Condition.model_validate({"field": field, **test})


def test_in(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    assert counted(v, spells(c("admission_method", **{"in": ["emergency"]}))) == [
        (JAN.label, "aa01"),
        (FEB.label, "aa04"),
    ]


def test_not_in_keeps_a_missing_value(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    got = counted(v, spells(c("admission_method", not_in=["elective"])))
    assert got == [(JAN.label, "aa01"), (JAN.label, "aa03"), (FEB.label, "aa04")]


def test_equals_a_code_and_a_number(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    assert counted(v, spells(c("diagnosis_group", equals="fall"))) == [
        (JAN.label, "aa02"),
        (FEB.label, "aa04"),
    ]
    assert counted(v, spells(c("delayed_days", equals=3))) == [(JAN.label, "aa02")]


def test_between_is_inclusive_and_skips_missing(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    got = counted(v, spells(c("delayed_days", between=[0, 3])))
    assert got == [(JAN.label, "aa01"), (JAN.label, "aa02")]


def test_at_least(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    got = counted(v, spells(c("delayed_days", at_least=3)))
    assert got == [(JAN.label, "aa02"), (FEB.label, "aa04")]


def test_months_of_a_date_field(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    got = counted(v, spells(c("discharge_date", months=[1])))
    assert got == [(JAN.label, "aa01"), (JAN.label, "aa03")]  # aa02: no discharge date


def test_starts_with_ignores_case(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    got = counted(v, spells(c("primary_diagnosis", starts_with=["S72", "w1"])))
    assert got == [(JAN.label, "aa01"), (JAN.label, "aa02"), (FEB.label, "aa04")]


def test_is_null_and_not_null(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    assert counted(v, spells(c("discharge_date", is_null=True))) == [(JAN.label, "aa02")]
    got = counted(v, spells(c("discharge_date", is_null=False)))
    assert got == [(JAN.label, "aa01"), (JAN.label, "aa03"), (FEB.label, "aa04")]


def test_all_conditions_must_hold(load: Load) -> None:
    v = load(hospital_spell=SPELLS)
    both = spells(c("diagnosis_group", equals="fall"), c("delayed_days", at_least=5))
    assert counted(v, both) == [(FEB.label, "aa04")]


def test_age_at_the_row_date_from_the_birth_month(load: Load) -> None:
    # aa01: born January 1950, admitted 5 January 2024 — 74 (the birth month counts as
    # the birthday); aa02: born February 1950, admitted 6 January 2024 — still 73; aa03 has
    # no birth month, aa04 no person row: no age, never in an age band
    v = load(person=PEOPLE, hospital_spell=SPELLS)
    assert counted(v, spells(c("age", between=[74, 120]))) == [(JAN.label, "aa01")]
    got = counted(v, spells(c("age", at_least=73)))
    assert got == [(JAN.label, "aa01"), (JAN.label, "aa02")]


def test_sex_from_the_person_table_unknown_as_u(load: Load) -> None:
    v = load(person=PEOPLE, hospital_spell=SPELLS)
    assert counted(v, spells(c("sex", equals="F"))) == [(JAN.label, "aa01")]
    # no sex on the person row, or no person row at all: U
    got = counted(v, spells(c("sex", **{"in": ["U"]})))
    assert got == [(JAN.label, "aa03"), (FEB.label, "aa04")]
