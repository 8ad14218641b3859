"""Which linkage rules apply to the identifier columns the records carry."""

from __future__ import annotations

import pandas as pd
import pytest

from partnerhub.errors import UserError
from partnerhub.identity import link_records, prepare_records
from partnerhub.identity.model import compared
from partnerhub.identity.rules import (
    blocking_rules_for,
    em_passes_for,
    populated_columns,
    prior_rules_for,
)

EVERYTHING = {
    "nhs_number",
    "given_name",
    "given_aliases",
    "given_metaphone",
    "family_name",
    "family_metaphone",
    "dob",
    "birth_year",
    "sex",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "address",
}
NO_NHS = EVERYTHING - {"nhs_number"}
NO_NHS_NO_DOB = NO_NHS - {"dob", "birth_year"}


def test_the_prior_is_counted_from_rules_whose_columns_are_populated() -> None:
    assert prior_rules_for(EVERYTHING) == [
        ("nhs_number", "dob"),
        ("given_name", "family_name", "dob"),
    ]
    assert prior_rules_for(NO_NHS) == [("given_name", "family_name", "dob")]
    assert prior_rules_for(NO_NHS_NO_DOB) == [("given_name", "family_name", "postcode")]
    assert prior_rules_for({"nhs_number", "sex"}) == [("nhs_number",)]


def test_blocking_leaves_out_rules_on_empty_columns() -> None:
    def keys(populated: set[str], encoded: bool = False) -> list[tuple[str, ...]]:
        return [r.keys for r in blocking_rules_for(populated, encoded)]

    assert ("nhs_number",) in keys(EVERYTHING)
    assert ("nhs_number",) not in keys(NO_NHS)
    assert all("dob" not in k for k in keys(NO_NHS_NO_DOB))
    # namesakes where one record lacks a date of birth are still put up for scoring
    assert ("given_metaphone", "family_metaphone") in keys(NO_NHS_NO_DOB)
    # a prefix of an encoding means nothing
    assert ("dob", "substr(family_name, 1, 2)") in keys(EVERYTHING)
    assert ("dob", "substr(family_name, 1, 2)") not in keys(EVERYTHING, encoded=True)


@pytest.mark.parametrize("populated", [EVERYTHING, NO_NHS, NO_NHS_NO_DOB])
def test_em_trains_every_comparison_in_a_pass_that_does_not_block_on_it(
    populated: set[str],
) -> None:
    comparisons = compared(populated)
    passes = em_passes_for(comparisons, populated)
    for name, reads in comparisons.items():
        assert any(not set(p) & set(reads) for p in passes), (name, passes)
    if populated is EVERYTHING:  # the passes the model always had, first one unchanged
        assert passes == [("dob",), ("postcode", "family_metaphone")]


def _source(rows: list[tuple[str, str, str | None, str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "partner": partner,
                "record_key": key,
                "nhs_number": None,
                "given_name": given,
                "family_name": family,
                "date_of_birth": None,
                "sex": None,
                "postcode": postcode,
            }
            for partner, key, given, family, postcode in rows
        ]
    )


def test_no_agreeing_pair_is_a_warning_not_a_crash() -> None:
    """Names and postcodes only, and no two records agree on them: the prior cannot be
    counted (it was 0, and Splink failed with `math domain error`); one match is assumed."""
    source = _source(
        [
            ("housing", f"h{i}", given, family, f"XP1 {i}AB")
            for i, (given, family) in enumerate(
                [("ANN", "LEE"), ("BOB", "SMITH"), ("CY", "JONES"), ("DI", "BROWN")]
            )
        ]
        + [
            ("revenues", f"r{i}", given, family, f"XP2 {i}CD")
            for i, (given, family) in enumerate(
                [("EVE", "GREEN"), ("FAY", "WHITE"), ("GUS", "BLACK"), ("HAL", "GREY")]
            )
        ]
    )
    records = prepare_records(source).records
    assert {"nhs_number", "dob"}.isdisjoint(populated_columns(records))
    result = link_records(records)
    assert result.clusters["cluster_id"].nunique() == len(records)  # nobody linked
    assert any("no two records agree exactly" in w for w in result.warnings)
    assert 0 < result.model["probability_two_random_records_match"] <= 1 / 28


def test_records_without_names_or_nhs_numbers_cannot_be_linked() -> None:
    source = _source([("fire", "f1", None, None, "XP1 1AB"), ("fire", "f2", None, None, None)])
    with pytest.raises(UserError, match="no names and no NHS numbers"):
        link_records(prepare_records(source).records)


def test_a_blocking_rule_that_explodes_is_a_users_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """One line and exit code 2 (it was a PartnerHubError, shown with a traceback)."""
    from partnerhub.identity import model

    monkeypatch.setattr(model, "MAX_COMPARISONS", 0)
    source = _source([("gp", "a", "ANN", "LEE", "XP1 1AB"), ("gp", "b", "ANN", "LEE", "XP1 1AB")])
    with pytest.raises(UserError, match="would generate 1 comparisons"):
        link_records(prepare_records(source).records)
