"""Identifiers leave the attributes; record keys replace local ids; areas resolve at the date.

The split runs in SQL; it is checked here against independent Python references: the record
key against Python's ``hmac``, the areas against :meth:`PostcodeLookup.resolve` (pandas).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerhub.geography import load_postcode_lookup
from partnerhub.ingest import (
    split_staged,
    stage_extract,
    stage_lookup,
    validate_staged,
)
from partnerhub.keys import PseudonymisationKey
from partnerhub.schema import builtin_contract
from partnerhub.synth.partnership import generate

KEY = PseudonymisationKey(bytes.fromhex("5a" * 32), "test")


@pytest.fixture(scope="module")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("split") / "p"
    generate(out, 4000, seed=3)
    return out


@settings(max_examples=60, deadline=None)
@given(
    secret=st.binary(min_size=32, max_size=100),
    partner=st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    local=st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s),
)
def test_sql_hmac_equals_python_hmac(secret: bytes, partner: str, local: str) -> None:
    key = PseudonymisationKey(secret, "test")
    inner, outer = key.hmac_pads()
    con = duckdb.connect()
    got = con.execute(
        "SELECT sha256(? || unhex(sha256(? || encode(? || chr(31) || ?))))",
        [outer, inner, partner, local],
    ).fetchall()[0][0]
    message = partner.encode() + b"\x1f" + local.encode()
    assert (
        got
        == hmac.new(secret, message, hashlib.sha256).hexdigest()
        == key.record_key(partner, local)
    )


@pytest.mark.parametrize("name", ["acute_spells", "asc_episodes", "gp_registrations"])
def test_no_identifier_reaches_the_attributes(partnership: Path, name: str) -> None:
    c = builtin_contract(name)
    con = duckdb.connect()
    staged = stage_extract(con, partnership / "extracts" / c.partner / f"{c.dataset}.csv", c)
    counts = validate_staged(con, c, date(2025, 4, 1), staged.ragged)
    lookup = load_postcode_lookup(partnership / "geography" / "postcode_lookup.csv")
    stage_lookup(con, lookup)
    valid = con.execute("SELECT * FROM valid ORDER BY _line").fetchdf()
    split = split_staged(con, c, KEY, load_id=7)
    attrs = split.attributes.to_pandas()
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
    assert len(attrs) == counts.valid == len(valid)
    assert (attrs["load_id"] == 7).all()
    # No raw identifier value appears anywhere in the attributes.
    people = pd.read_parquet(partnership / "truth" / "people.parquet")
    text = set(attrs.astype(str).to_numpy().ravel())
    assert not text & set(people["nhs_number"])
    assert not text & set(valid["local_id"])
    # Record keys are Python's HMAC of the local id, row by row.
    expected = [KEY.record_key(c.partner, str(x)) for x in valid["local_id"]]
    assert attrs["record_key"].tolist() == expected
    # Identifiers are kept apart, keyed the same way.
    assert set(split.identifiers.column("record_key").to_pylist()) == set(expected)
    # Areas equal the pandas resolution at the fact's date (residence: at the end of the stay).
    date_col = (
        "to_date"
        if c.table == "residence"
        else {
            "hospital_spell": "admission_date",
            "social_care_episode": "start_date",
        }[c.table]
    )
    areas = lookup.resolve(valid["postcode"], pd.to_datetime(valid[date_col]))
    for field in ("oa_code", "lsoa_code", "ward_code", "lad_code"):
        got = attrs[field].fillna("-").tolist()
        assert got == areas[field].fillna("-").tolist(), field
    assert split.unresolved_postcodes == int(
        ((areas["postcode_status"] != "ok") & valid["postcode"].notna()).sum()
    )
