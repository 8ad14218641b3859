"""Which rules the linkage model uses, chosen from the identifier columns the records carry.

Partners differ in what they send: the NHS carries NHS numbers, a council's housing and
revenues systems do not; council tax often has no date of birth. A rule (or comparison) on a
column that is empty in every record finds nothing — and the prior worse: estimated from no
pairs at all it is zero, and the model cannot be trained. So each rule here names the columns
it needs and is used only when they are *populated* (non-missing in at least one record):

* **blocking** (which pairs are scored): :data:`BLOCKING_RULES`;
* **the prior** (λ, the probability that two random records match): counted from exact
  deterministic rules (:data:`PRIOR_RULES`) and scaled up by their assumed recall
  (:data:`PRIOR_RECALL`);
* **EM passes** (which blocked pairs train m): :data:`EM_PASSES`, enough of them that every
  comparison is trained in one pass that does not block on its columns.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from splink import block_on
from splink.blocking_rule_library import CustomRule

__all__ = [
    "BLOCKING_RULES",
    "EM_PASSES",
    "PRIOR_RECALL",
    "PRIOR_RULES",
    "BlockingRule",
    "blocking_rules_for",
    "em_passes_for",
    "populated_columns",
    "prior_rules_for",
]


@dataclass(frozen=True)
class BlockingRule:
    """Pairs of records to score: those that agree on ``keys`` (columns or expressions of
    one column, all non-missing) — or, with ``sql``, those that meet that condition (``l.``
    and ``r.`` for the two records). ``needs``: the columns that must be populated for the
    rule to find anything (default: the keys)."""

    keys: tuple[str, ...]
    sql: str | None = None
    plain_only: bool = False  # a condition on text (a prefix): meaningless on encodings
    needs: tuple[str, ...] = ()

    def creator(self) -> Any:
        """The Splink rule."""
        return CustomRule(self.sql) if self.sql else block_on(*self.keys)

    def columns(self) -> set[str]:
        return set(self.needs or self.keys)


# Namesakes where one record has no date of birth (and neither an NHS number: a record that
# has one is found through it, and scoring its namesakes only added false links — pairwise
# precision 0.9929 against 0.9952 on a synthetic partnership of 5,000 people).
_NAMES_WITHOUT_DOB = (
    "l.given_metaphone = r.given_metaphone AND l.family_metaphone = r.family_metaphone "
    "AND (l.dob IS NULL OR r.dob IS NULL) AND l.nhs_number IS NULL AND r.nhs_number IS NULL"
)

# In order (Splink counts each rule's pairs net of the rules before it). The first six are the
# model's original rules; the last three find the pairs they miss when there is no NHS number
# (measured on synthetic partnerships, see docs/linkage.md): a record without a date of birth
# at an address the other record no longer holds; a nickname with a surname typo; both names
# changed or misspelt at the same address.
BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(("nhs_number",)),
    BlockingRule(("dob", "family_metaphone")),
    BlockingRule(("dob", "given_metaphone")),
    BlockingRule(("postcode", "family_metaphone")),
    BlockingRule(("postcode", "given_metaphone")),
    BlockingRule(("family_metaphone", "given_metaphone", "birth_year")),
    BlockingRule(("given_metaphone", "family_metaphone"), _NAMES_WITHOUT_DOB),
    BlockingRule(
        ("dob", "substr(family_name, 1, 2)"), plain_only=True, needs=("dob", "family_name")
    ),
    BlockingRule(("dob", "postcode")),
)

# Deterministic rules for the prior, with few false matches; each used if its columns are
# populated. The later ones only stand in when no earlier one can be used.
PRIOR_RULES: tuple[tuple[str, ...], ...] = (
    ("nhs_number", "dob"),
    ("given_name", "family_name", "dob"),
)
_PRIOR_FALLBACKS: tuple[tuple[str, ...], ...] = (
    ("given_name", "family_name", "postcode"),
    ("given_name", "family_name"),
    ("nhs_number",),
)
# The share of true matches the prior rules find. On synthetic partnerships exact name and
# date of birth (with or without NHS number) finds 0.76-0.82 of them.
PRIOR_RECALL = 0.8

# Training passes for m, in order of preference: date of birth (trains everything else), then
# postcode and surname (trains date of birth); the others stand in when the date of birth or
# postcode is missing everywhere. Postcode and surname rather than the wider postcode district
# and surname: without NHS numbers to tell them apart, EM took namesakes in a district for
# matches with a wrong date of birth (m of "dates differ" 0.03 instead of 0.003 on a synthetic
# partnership of 10,000 people; pairwise F1 0.989 against 0.993); with NHS numbers both give the
# same links.
EM_PASSES: tuple[tuple[str, ...], ...] = (
    ("dob",),
    ("postcode", "family_metaphone"),
    ("nhs_number",),
    ("given_metaphone", "family_metaphone"),
    ("postcode",),
)


def populated_columns(records: pd.DataFrame) -> frozenset[str]:
    """Columns of ``records`` with a value in at least one row."""
    return frozenset(c for c in records.columns if records[c].notna().any())


def blocking_rules_for(populated: Collection[str], encoded: bool = False) -> list[BlockingRule]:
    return [
        r
        for r in BLOCKING_RULES
        if r.columns() <= set(populated) and not (encoded and r.plain_only)
    ]


def prior_rules_for(populated: Collection[str]) -> list[tuple[str, ...]]:
    """The deterministic rules to count λ from (empty: nothing to count from)."""
    rules = [r for r in PRIOR_RULES if set(r) <= set(populated)]
    if rules:
        return rules
    return [r for r in _PRIOR_FALLBACKS if set(r) <= set(populated)][:1]


def em_passes_for(
    comparisons: Mapping[str, Iterable[str]], populated: Collection[str]
) -> list[tuple[str, ...]]:
    """EM passes (blocking columns) such that each comparison (name → the columns it reads)
    is trained in at least one pass that does not block on any of its columns."""
    untrained = set(comparisons)
    passes: list[tuple[str, ...]] = []
    for columns in EM_PASSES:
        if not untrained:
            break
        if not set(columns) <= set(populated):
            continue
        trains = {name for name in untrained if not set(columns) & set(comparisons[name])}
        if trains:
            passes.append(columns)
            untrained -= trains
    return passes
