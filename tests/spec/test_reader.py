"""The planner reads only through the four methods of a reader (what a scoped read-only view
of the vault offers), and its cached population base gives the same people."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from partnerhub.cohort import Cohort, Exists, Planner, Population, PopulationCache, cohort_rows
from partnerhub.vault import Vault
from tests.spec.tables import FEB, JAN, JAN_FEB, Load, run_both
from tests.spec.test_selections import REGISTERED, REGISTRATIONS


class OnlyReader:
    """A vault's current, person, current_loads and temporary — and nothing else."""

    __slots__ = ("_vault",)

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def current(self, table_name: str) -> ir.Table:
        return self._vault.current(table_name)

    def person(self) -> ir.Table:
        return self._vault.person()

    def current_loads(self) -> pd.DataFrame:
        return self._vault.current_loads()

    def temporary(self, expression: ir.Table) -> ir.Table:
        return self._vault.temporary(expression)


DEATHS = """
record_key | date_of_death
aa05       | 2024-01-30
"""


def test_the_planner_needs_only_the_reader_methods(load: Load) -> None:
    v = load(person=REGISTERED, residence=REGISTRATIONS, death=DEATHS)
    # registered people with no death in the 30 days up to the reference date: P3 (aa05)
    # died on 30 January, after mid-January and before mid-February
    cohort = Cohort(
        of=Population(exists=(Exists(table="death", from_days=-30, to_days=0, negate=True),)),
        periods=JAN_FEB,
    )
    through_reader = cohort_rows(OnlyReader(v.vault), cohort).to_pandas()
    keys = sorted(zip(through_reader["period"], through_reader["record_key"], strict=True))
    assert keys == [
        (JAN.label, "aa02"),
        (JAN.label, "aa03"),
        (JAN.label, "aa05"),
        (FEB.label, "aa03"),
        (FEB.label, "aa09"),
    ]
    assert len(run_both(v, cohort)) == 5  # and the reference engine agrees


def test_a_cached_population_base_gives_the_same_people(load: Load) -> None:
    v = load(person=REGISTERED, residence=REGISTRATIONS)
    reader = OnlyReader(v.vault)
    cache: PopulationCache = {}
    cached = Planner(reader, (), JAN_FEB, cache).population(Population())
    plain = Planner(reader, (), JAN_FEB).population(Population())

    def per_period(t: ir.Table) -> dict[str, int]:
        frame = t.group_by("period").aggregate(n=t.count()).to_pandas()
        return dict(zip(frame["period"], frame["n"], strict=True))

    assert per_period(cached) == per_period(plain) == {JAN.label: 3, FEB.label: 3}
    assert sorted(str(k[0]) for k in cache) == ["areas", "population", "registrations"]
    Planner(reader, (), JAN_FEB, cache).population(Population())
    assert len(cache) == 3  # a second planner on the same connection reuses them
