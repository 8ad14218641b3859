"""The comparisons of the linkage model: how two records are compared on each identifier,
and the Splink settings built from them.

Forename (exact with term frequencies, nickname/alias, Jaro–Winkler, Metaphone), surname (the
same, without aliases), date of birth (exact, day/month transposed, one character off, within a
year), where they live (postcode; the first address line when the postcodes differ or one is
missing; sector; district; town), sex and NHS number. In privacy-preserving mode names and dates
are compared by the Dice coefficient of their Bloom filters (see :mod:`.pprl`). Comparisons and
blocking rules are those whose columns are populated (:mod:`.rules`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator

from partnerhub.identity.rules import blocking_rules_for

__all__ = ["blocking_rules", "compared", "settings"]

_SPLINK_PRIOR = 0.0001  # Splink's default λ, before it is estimated


def _name(col: str, aliases: bool, encoded: bool = False) -> cl.CustomComparison:
    """Exact (with term frequencies), nickname/alias, close, same Metaphone, similar, else.
    Close and similar are Jaro–Winkler on names, or Dice on their Bloom filters (encoded)."""
    close: Any
    similar: Any
    if encoded:
        bloom = col.replace("_name", "_bf")
        close, similar = _dice(bloom, 0.75), _dice(bloom, 0.55)
    else:
        close, similar = cll.JaroWinklerLevel(col, 0.92), cll.JaroWinklerLevel(col, 0.80)
    levels: list[Any] = [
        cll.NullLevel(col),
        cll.ExactMatchLevel(col).configure(tf_adjustment_column=col),
    ]
    if aliases:
        levels.append(
            cll.CustomLevel(
                "len(list_intersect(given_aliases_l, given_aliases_r)) > 0",
                label_for_charts="nickname or alias",
            )
        )
    metaphone = col.replace("_name", "_metaphone")
    levels += [
        close,
        cll.ExactMatchLevel(metaphone).configure(label_for_charts="same Metaphone code"),
        similar,
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=col)


def _dice(col: str, threshold: float) -> cll.CustomLevel:
    """Dice coefficient of two Bloom filters (BIT columns) at least ``threshold``."""
    return cll.CustomLevel(
        f"2.0 * bit_count({col}_l & {col}_r) / (bit_count({col}_l) + bit_count({col}_r)) "
        f">= {threshold}",
        label_for_charts=f"Bloom-filter Dice >= {threshold}",
    )


def _encoded_dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel("dob_l = dob_swapped_r", label_for_charts="day and month transposed"),
            _dice("dob_bf", 0.85),
            _dice("dob_bf", 0.7),
            cll.ElseLevel(),
        ],
    )


def _dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = "
                "substr(dob_r, 9, 2) AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
                label_for_charts="day and month transposed",
            ),
            cll.DamerauLevenshteinLevel("dob", 1),
            cll.CustomLevel(
                "abs(date_diff('day', CAST(dob_l AS DATE), CAST(dob_r AS DATE))) <= 366",
                label_for_charts="within a year",
            ),
            cll.ElseLevel(),
        ],
    )


def _postcode(address: bool = False, town: bool = False) -> cl.CustomComparison:
    """Where the two records live: the same postcode, sector or district — and, where the
    records carry them, the same first address line though the postcodes differ or one is
    missing (a mistyped or unrecorded postcode), or the same town. The address line does not
    add to an agreeing postcode: at one address it tells a person from the rest of their
    household no better than the postcode does, and counting both would count it twice."""
    levels: list[Any] = []
    if address:
        levels.append(
            cll.CustomLevel(
                "(postcode_l IS NULL OR postcode_r IS NULL) AND "
                "(address_l IS NULL OR address_r IS NULL OR address_l <> address_r)",
                label_for_charts="postcode missing",
            ).configure(is_null_level=True)
        )
    else:
        levels.append(cll.NullLevel("postcode"))
    levels.append(cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"))
    if address:
        levels.append(
            cll.ExactMatchLevel("address").configure(
                label_for_charts="same address line, postcode differs or missing"
            )
        )
    levels += [cll.ExactMatchLevel("postcode_sector"), cll.ExactMatchLevel("postcode_district")]
    if town:
        levels.append(cll.ExactMatchLevel("town").configure(label_for_charts="same town"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name="postcode", comparison_levels=levels)


# The columns each comparison reads (an EM pass blocked on one of them cannot train it).
_READS = {
    "given_name": ("given_name", "given_aliases", "given_metaphone", "given_bf"),
    "family_name": ("family_name", "family_metaphone", "family_bf"),
    "dob": ("dob", "dob_swapped", "dob_bf"),
    "postcode": ("postcode", "postcode_sector", "postcode_district", "address", "town"),
    "sex": ("sex",),
    "nhs_number": ("nhs_number",),
}
_EVERY_COLUMN = frozenset(c for cols in _READS.values() for c in cols)


def blocking_rules(populated: Collection[str] = _EVERY_COLUMN, encoded: bool = False) -> list[Any]:
    """Splink's blocking rules for records whose ``populated`` columns are those given
    (see :mod:`.rules`)."""
    return [r.creator() for r in blocking_rules_for(populated, encoded)]


def compared(populated: Collection[str]) -> dict[str, tuple[str, ...]]:
    """The comparisons the model makes (name → the columns it reads): those whose main
    column is populated."""
    return {name: cols for name, cols in _READS.items() if name in populated}


def settings(
    encoded: bool = False,
    populated: Collection[str] = _EVERY_COLUMN,
    prior: float | None = None,
) -> SettingsCreator:
    """The model's settings; ``encoded``: for privacy-preserving mode (see :mod:`.pprl`);
    ``populated``: the columns with a value in some record (a comparison or blocking rule on
    an empty column is left out); ``prior``: λ, if known."""
    use = compared(populated)
    comparisons: list[Any] = []
    if "given_name" in use:
        comparisons.append(_name("given_name", True, encoded))
    if "family_name" in use:
        comparisons.append(_name("family_name", False, encoded))
    if "dob" in use:
        comparisons.append(_encoded_dob() if encoded else _dob())
    if "postcode" in use:
        comparisons.append(_postcode("address" in populated, "town" in populated))
    comparisons += [cl.ExactMatch(c) for c in ("sex", "nhs_number") if c in use]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking_rules(populated, encoded),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        probability_two_random_records_match=_SPLINK_PRIOR if prior is None else prior,
    )
