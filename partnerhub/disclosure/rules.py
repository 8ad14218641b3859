"""Statistical disclosure control: the constants and the pure rules applied to every cell.

The defaults follow OpenSAFELY's output rules (counts of 7 or fewer are redacted, everything
else is rounded to the nearest 5) and the ONS cell-key method (each cell gets the same small
perturbation every time it is computed from the same people, so repeating or overlapping a
query gives nothing away). The dominance rule is SACRO/ACRO's (n, k) rule. The table-level
rules (secondary suppression, the audit that proves no suppressed cell can be recovered) live
in :mod:`partnerhub.disclosure.tables`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

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
    "Suppressed",
    "cell_key_of",
    "dominated",
    "is_primary",
    "p_ratio_fails",
    "perturbation",
    "record_cell_key",
    "release_count",
    "round_to_base",
]

# -- the constants ------------------------------------------------------------------------
THRESHOLD = 7  # counts 0..7 are suppressed (OpenSAFELY: "≤ 7 redacted")
ROUNDING_BASE = 5  # every released count is rounded to the nearest 5
DOMINANCE_N, DOMINANCE_K = 2, 0.9  # a sum is dominated when its 2 largest give ≥ 90 % of it
P_RATIO = 0.10  # p% rule: the rest (all but the 2 largest) must be ≥ 10 % of the largest
CELL_KEY_MODULUS = 256  # record keys are 0..255; a cell key is their sum modulo 256
# The cell-key perturbation (ONS): the cell key picks a perturbation with these
# probabilities. Symmetric, mean zero; a cell of 0 is never perturbed.
PERTURBATION_TABLE: tuple[tuple[int, float], ...] = (
    (-2, 0.05),
    (-1, 0.15),
    (0, 0.60),
    (1, 0.15),
    (2, 0.05),
)
SUPPRESSED_MARK = "[c]"  # ONS's marker for a confidential cell, in CSV and on pages


@dataclass(frozen=True)
class DisclosureSettings:
    """The disclosure settings of one agreement (the defaults are the constants above)."""

    threshold: int = THRESHOLD
    rounding_base: int = ROUNDING_BASE
    cell_key: bool = True
    zeros_are_disclosive: bool = True
    dominance_n: int = DOMINANCE_N
    dominance_k: float = DOMINANCE_K
    p_ratio: float = P_RATIO
    # the smallest width of the interval an attacker can narrow a suppressed count to,
    # from everything released in the same table; None → the threshold
    protection: int | None = None

    def __post_init__(self) -> None:
        if self.threshold < 0:
            raise ValueError("threshold must be 0 or more")
        if self.rounding_base < 1:
            raise ValueError("rounding_base must be 1 (no rounding) or more")
        if self.dominance_n < 1 or not 0 < self.dominance_k <= 1:
            raise ValueError("dominance needs n ≥ 1 and 0 < k ≤ 1")
        if self.protection is not None and self.protection < 1:
            raise ValueError("protection must be 1 or more")

    @property
    def required_width(self) -> int:
        return self.protection if self.protection is not None else max(self.threshold, 1)

    @property
    def max_perturbation(self) -> int:
        return max(abs(p) for p, _ in PERTURBATION_TABLE) if self.cell_key else 0

    @property
    def half_width(self) -> int:
        """How far a released count can be from the true one (rounding + perturbation)."""
        return self.rounding_base // 2 + self.max_perturbation


@dataclass(frozen=True)
class Suppressed:
    """A value withheld by disclosure control. ``reason`` is for the audit log and the IG
    officer; it is never published beside the cell (the pattern of reasons is disclosive)."""

    reason: str = "suppressed"

    def __str__(self) -> str:
        return SUPPRESSED_MARK


def is_primary(count: int, settings: DisclosureSettings) -> bool:
    """A count that may not be released on its own: 1..threshold (and 0 when zeros are
    disclosive — a released 0 says "nobody here", which can be as revealing as a 1)."""
    if count == 0:
        return settings.zeros_are_disclosive
    return count <= settings.threshold


def round_to_base(value: float, base: int) -> int:
    """Round to the nearest multiple of ``base`` (halves away from zero)."""
    if base == 1:
        return math.floor(value + 0.5)
    return int(math.floor(value / base + 0.5) * base)


def record_cell_key(record_key: str) -> int:
    """A record's cell key, 0..255: the first byte of its (keyed, uniformly distributed)
    pseudonymous key. The same record always has the same cell key."""
    return int(record_key[:2], 16)


def cell_key_of(record_keys: Iterable[int]) -> int:
    """A cell's key: the sum of its records' keys modulo 256. The same set of people gives
    the same key, so the same cell is perturbed the same way in every release."""
    return sum(record_keys) % CELL_KEY_MODULUS


def perturbation(count: int, cell_key: int, settings: DisclosureSettings) -> int:
    """The cell-key perturbation of a count: a deterministic function of (count, key)."""
    if count == 0 or not settings.cell_key:
        return 0
    position = (cell_key % CELL_KEY_MODULUS + 0.5) / CELL_KEY_MODULUS
    cumulative = 0.0
    for value, probability in PERTURBATION_TABLE:
        cumulative += probability
        if position < cumulative:
            return max(value, -count)  # never below zero
    return max(PERTURBATION_TABLE[-1][0], -count)


def release_count(count: int, cell_key: int | None, settings: DisclosureSettings) -> int:
    """The released value of a count that passed primary and secondary suppression."""
    noise = perturbation(count, cell_key, settings) if cell_key is not None else 0
    return max(round_to_base(count + noise, settings.rounding_base), 0)


def dominated(total: float, top_n_sum: float, settings: DisclosureSettings) -> bool:
    """The (n, k) rule: the n largest contributions make up at least k of the cell's sum
    (as SACRO/ACRO's ``check_nk_dominance``)."""
    if total <= 0:
        return top_n_sum > 0
    return top_n_sum >= settings.dominance_k * total


def p_ratio_fails(
    total: float, largest: float, top_2_sum: float, settings: DisclosureSettings
) -> bool:
    """The p% rule (SACRO/ACRO's p-ratio): what is left after the two largest contributions
    is less than p of the largest, so the second largest could estimate the largest too well."""
    if largest == 0:
        return total - top_2_sum < settings.p_ratio
    return (total - top_2_sum) / largest < settings.p_ratio
