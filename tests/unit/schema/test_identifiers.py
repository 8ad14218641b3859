"""NHS number check digits and UK postcode format."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerhub.schema.identifiers import (
    is_valid_nhs_number,
    is_valid_postcode_format,
    nhs_check_digits,
    nhs_number_check_digit,
    normalise_postcode,
)


def test_known_numbers() -> None:
    # 943 476 591: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 % 11 = 2; 11 - 2 = 9.
    assert nhs_number_check_digit("943476591") == 9
    assert is_valid_nhs_number("943 476 5919")
    assert is_valid_nhs_number("943-476-5919")
    assert not is_valid_nhs_number("9434765918")
    assert not is_valid_nhs_number("1111111111")  # same digit throughout
    assert not is_valid_nhs_number("94347659")
    assert not is_valid_nhs_number(None)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_any_nine_digits_with_their_check_digit_validate(first9: str) -> None:
    check = nhs_number_check_digit(first9)
    if check is None or len(set(first9 + str(check))) == 1:
        return
    assert is_valid_nhs_number(first9 + str(check))
    assert nhs_check_digits(np.array([int(first9)]))[0] == check


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_a_single_wrong_digit_is_always_caught(first9: str, pos: int, shift: int) -> None:
    check = nhs_number_check_digit(first9)
    if check is None:
        return
    number = first9 + str(check)
    wrong = number[:pos] + str((int(number[pos]) + shift) % 10) + number[pos + 1 :]
    assert not is_valid_nhs_number(wrong)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("sw1a 1aa", "SW1A 1AA"),
        ("XP14DJ", "XP1 4DJ"),
        ("  xp12   4dj ", "XP12 4DJ"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("XP1 4CJ", None),  # C is not used in an inward code
        ("XP1 44J", None),
        ("12345", None),
        ("", None),
    ],
)
def test_postcodes(raw: str, normal: str | None) -> None:
    assert normalise_postcode(raw) == normal
    assert is_valid_postcode_format(raw) == (normal is not None)
