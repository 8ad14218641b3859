"""The cohort room: who is counted. Frozen query nodes (a population at a date, a selection of
rows in a period, exists-within-a-window and active-at tests, conditions, periods), a pure
planner that compiles them to Ibis over a vault reader, and a pandas reference engine that
computes the same rows apart from it (for tests and tiny partnerships). Every capability's
denominators, features and panels compile through it."""

from partnerhub.cohort.nodes import (
    PERSON_FIELDS,
    Cohort,
    Condition,
    Exists,
    Periods,
    Population,
    Selection,
)
from partnerhub.cohort.planner import (
    AREA_KEYS,
    Planner,
    PopulationCache,
    Reader,
    cohort_rows,
    missing_sources,
)

__all__ = [
    "AREA_KEYS",
    "PERSON_FIELDS",
    "Cohort",
    "Condition",
    "Exists",
    "Periods",
    "Planner",
    "Population",
    "PopulationCache",
    "Reader",
    "Selection",
    "cohort_rows",
    "missing_sources",
]
