"""The cohort nodes validate themselves once; indicator specs are written in them."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from partnerhub.cohort import Cohort, Condition, Exists, Periods, Population, Selection
from partnerhub.indicators import spec as indicator_spec
from partnerhub.schema.periods import Period


def test_a_condition_has_exactly_one_test() -> None:
    with pytest.raises(ValidationError, match="needs exactly one of in, not_in"):
        Condition.model_validate({"field": "age", "at_least": 65, "between": [0, 5]})
    with pytest.raises(ValidationError, match=r"\(has 0\)"):
        Condition(field="age")
    with pytest.raises(ValidationError, match=r"months are 1\.\.12"):
        Condition(field="admission_date", months=(0,))
    assert Condition.model_validate({"field": "sex", "in": ["F"]}).in_ == ("F",)


def test_an_exists_window_runs_forwards() -> None:
    with pytest.raises(ValidationError, match="from_days must be ≤ to_days"):
        Exists(table="death", from_days=10, to_days=0)
    assert Exists(table="death", from_days=-3, to_days=3).negate is False


def test_nodes_are_frozen_and_reject_unknown_fields() -> None:
    s = Selection(table="death")
    with pytest.raises(ValidationError):
        s.count = "people"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="value_days_between"):
        Selection.model_validate({"table": "death", "value_days_between": ["a", "b"]})


def test_periods_key_and_cohort_table() -> None:
    jan = Period("2024-01", date(2024, 1, 1), date(2024, 2, 1))
    assert Periods(periods=(jan,)).key() == (("2024-01", date(2024, 1, 16)),)
    assert Periods(periods=(jan,), reference="end").key() == (("2024-01", date(2024, 1, 31)),)
    p = Periods(periods=(jan,))
    assert Cohort(of=Population(), periods=p).table_name == "residence"
    assert Cohort(of=Selection(table="death"), periods=p).table_name == "death"
    assert Cohort(of=Selection(), table="crime", periods=p).table_name == "crime"
    # from plain data: a population says so, anything else is a selection
    assert isinstance(Cohort.model_validate({"of": {}, "periods": p}).of, Selection)
    of_population = {"of": {"population": "registered"}, "periods": p}
    assert isinstance(Cohort.model_validate(of_population).of, Population)
    with pytest.raises(ValueError, match="needs a table"):
        _ = Cohort(of=Selection(), periods=p).table_name


def test_indicator_specs_are_written_in_the_cohort_nodes() -> None:
    # re-exported, so `from partnerhub.indicators.spec import Condition` keeps working and a
    # spec's parts are cohort nodes; an indicator's selection adds only its measures
    assert indicator_spec.Condition is Condition
    assert indicator_spec.Exists is Exists
    assert indicator_spec.Population is Population
    assert issubclass(indicator_spec.Selection, Selection)
    added = set(indicator_spec.Selection.model_fields) - set(Selection.model_fields)
    assert added == {"value_days_between", "average_over_snapshots"}
    ni = {s.id: s for s in indicator_spec.load_library()}["NI 15"]
    assert isinstance(ni.denominator, Population)
    assert isinstance(ni.numerator, Selection)
