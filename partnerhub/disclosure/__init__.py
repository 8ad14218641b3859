"""Statistical disclosure control, applied by the gate to every release.

The rules are constants plus pure functions (:mod:`.rules`); whole tables — with their sums
over hierarchies and margins — are protected by :mod:`.tables`, which also audits the result
the way an attacker would. See docs/disclosure.md.
"""

from partnerhub.disclosure.rules import (
    CELL_KEY_MODULUS,
    DOMINANCE_K,
    DOMINANCE_N,
    P_RATIO,
    PERTURBATION_TABLE,
    ROUNDING_BASE,
    SUPPRESSED_MARK,
    THRESHOLD,
    DisclosureSettings,
    Suppressed,
    cell_key_of,
    dominated,
    is_primary,
    p_ratio_fails,
    perturbation,
    record_cell_key,
    release_count,
    round_to_base,
)
from partnerhub.disclosure.tables import (
    Hierarchy,
    ProtectedTable,
    attacker_interval,
    protect_counts,
    protect_proportions,
    protect_published_rows,
    protect_sums,
)

__all__ = [
    "CELL_KEY_MODULUS",
    "DOMINANCE_K",
    "DOMINANCE_N",
    "PERTURBATION_TABLE",
    "P_RATIO",
    "ROUNDING_BASE",
    "SUPPRESSED_MARK",
    "THRESHOLD",
    "DisclosureSettings",
    "Hierarchy",
    "ProtectedTable",
    "Suppressed",
    "attacker_interval",
    "cell_key_of",
    "dominated",
    "is_primary",
    "p_ratio_fails",
    "perturbation",
    "protect_counts",
    "protect_proportions",
    "protect_published_rows",
    "protect_sums",
    "record_cell_key",
    "release_count",
    "round_to_base",
]
