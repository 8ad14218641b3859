"""Identifiers leave the attributes; record keys replace local ids; areas resolve at the date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from partnerhub.geography import load_postcode_lookup
from partnerhub.ingest import PseudonymisationKey, read_extract, split_identifiers, validate_extract
from partnerhub.schema import builtin_contract
from partnerhub.synth.partnership import generate

KEY = PseudonymisationKey(bytes.fromhex("5a" * 32), "test")


@pytest.fixture(scope="module")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("split") / "p"
    generate(out, 4000, seed=3)
    return out


@pytest.mark.parametrize("name", ["acute_spells", "asc_episodes", "gp_registrations"])
def test_no_identifier_reaches_the_attributes(partnership: Path, name: str) -> None:
    c = builtin_contract(name)
    raw = read_extract(partnership / "extracts" / c.partner / f"{c.dataset}.csv", c)
    checked = validate_extract(raw, c, date(2025, 4, 1))
    lookup = load_postcode_lookup(partnership / "geography" / "postcode_lookup.csv")
    split = split_identifiers(checked, c, KEY, lookup)
    attrs = split.attributes
    forbidden = {
        "local_id",
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode",
        "address_line_1",
        "uprn",
    }
    assert not forbidden & set(attrs.columns)
    # No raw identifier value appears anywhere in the attributes.
    people = pd.read_parquet(partnership / "truth" / "people.parquet")
    text = set(attrs.astype(str).to_numpy().ravel())
    assert not text & set(people["nhs_number"])
    assert not text & set(checked.valid["local_id"])
    assert attrs["record_key"].str.fullmatch("[0-9a-f]{64}").all()
    assert len(attrs) == len(checked.valid)
    # Same local id, same record key; identifiers are kept apart, keyed the same way.
    assert set(split.identifiers["record_key"]) == set(attrs["record_key"])
    resolved = attrs["lsoa_code"].notna().mean()
    assert resolved > 0.98
    assert split.unresolved_postcodes == int(
        (attrs["lsoa_code"].isna() & checked.valid["postcode"].notna().to_numpy()).sum()
    )
