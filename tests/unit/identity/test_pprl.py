"""Encodings for privacy-preserving linkage: keyed, deterministic, similarity-preserving."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerhub.errors import UserError
from partnerhub.identity.pprl import (
    BLOOM_BITS,
    ENCODED_COLUMNS,
    EncodingSecret,
    bloom_filter,
    dice,
    encode_identifiers,
    prepare_encoded,
)
from partnerhub.ingest.validate import _ENCODING_PATTERNS

SECRET = EncodingSecret(b"k" * 32)
OTHER = EncodingSecret(b"j" * 32)


def people(**overrides: list[object]) -> pd.DataFrame:
    data: dict[str, list[object]] = {
        "partner": ["a", "b", "c"],
        "record_key": ["1", "2", "3"],
        "nhs_number": ["9434765919", None, "9434765919"],
        "given_name": ["Robert", "Bob", "Roberta"],
        "family_name": ["Smith", "Smyth", "Smith"],
        "date_of_birth": ["1941-03-12", "1941-12-03", "1941-03-13"],
        "sex": ["M", "M", "F"],
        "postcode": ["BS1 4DJ", None, "BS1 4DJ"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_encodings_are_keyed_and_deterministic() -> None:
    a, _ = encode_identifiers(people(), SECRET)
    again, _ = encode_identifiers(people(), SECRET)
    other, _ = encode_identifiers(people(), OTHER)
    pd.testing.assert_frame_equal(a, again)
    for col in ENCODED_COLUMNS[1:]:
        assert a[col][0] != other[col][0], col  # another secret: nothing in common
    assert list(a.columns) == list(ENCODED_COLUMNS)


def test_each_feature_has_its_own_key() -> None:
    a, _ = encode_identifiers(people(given_name=["Smith", "x", "y"]), SECRET)
    assert a["given_name"][0] != a["family_name"][0]
    assert dice(a["given_bf"][0], a["family_bf"][0]) < 0.3


def test_what_agrees_in_clear_agrees_in_code() -> None:
    a, _ = encode_identifiers(people(), SECRET)
    assert a["family_name"][0] == a["family_name"][2]  # SMITH = SMITH
    assert a["family_metaphone"][0] == a["family_metaphone"][1]  # SMITH ~ SMYTH
    assert a["nhs_number"][0] == a["nhs_number"][2]
    assert a["postcode"][1] is None and a["nhs_number"][1] is None
    # BOB is an alias of ROBERT: the alias token sets intersect
    assert set(a["given_aliases"][0].split()) & set(a["given_aliases"][1].split())
    # day and month transposed: 1941-12-03 swapped is 1941-03-12
    assert a["dob_swapped"][1] == a["dob"][0]
    # one digit off in the date of birth is close; a name typo is closer than another name
    assert dice(a["dob_bf"][0], a["dob_bf"][2]) > 0.8
    assert dice(a["given_bf"][0], a["given_bf"][2]) > dice(a["given_bf"][0], a["given_bf"][1])


def test_placeholders_are_not_encoded() -> None:
    a, warnings = encode_identifiers(
        people(given_name=["UNKNOWN", "Bob", "x"], date_of_birth=["1900-01-01", None, None]),
        SECRET,
    )
    assert a["given_name"][0] is None and a["given_bf"][0] is None and a["dob"][0] is None
    assert any("placeholder" in w for w in warnings)


def test_no_value_survives_encoding() -> None:
    a, _ = encode_identifiers(people(), SECRET)
    text = a.to_csv().upper()
    for value in ("ROBERT", "SMITH", "9434765919", "1941", "BS1", "4DJ"):
        assert value not in text


def test_encodings_match_what_the_hub_accepts() -> None:
    a, _ = encode_identifiers(people(), SECRET)
    for col in ENCODED_COLUMNS:
        pattern = _ENCODING_PATTERNS[col if col == "pprl_version" else f"pprl_{col}"]
        for value in a[col].dropna():
            assert re.fullmatch(pattern, value), (col, value)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(UserError, match="at least 32"):
        EncodingSecret(b"too short")
    assert "k" not in repr(SECRET)


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_dice_is_a_similarity(x: str, y: str) -> None:
    key = SECRET.key("t")
    fx, fy = bloom_filter(key, "family_name", x), bloom_filter(key, "family_name", y)
    assert len(fx) == BLOOM_BITS // 4
    assert dice(fx, fx) == 1.0
    assert dice(fx, fy) == dice(fy, fx)
    assert 0.0 <= dice(fx, fy) <= 1.0


def test_the_hub_refuses_another_encoding_version() -> None:
    a, _ = encode_identifiers(people(), SECRET)
    frame = pd.concat([people()[["partner", "record_key"]], a], axis=1)
    assert len(prepare_encoded(frame).records) == 3
    frame.loc[0, "pprl_version"] = "pprl-v9"
    with pytest.raises(UserError, match="re-encode"):
        prepare_encoded(frame)
