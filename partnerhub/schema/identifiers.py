"""Identifier rules: NHS number check digits and UK postcode format (pure functions)."""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "UK_POSTCODE_RE",
    "is_valid_nhs_number",
    "is_valid_postcode_format",
    "nhs_check_digits",
    "nhs_number_check_digit",
    "normalise_nhs_number",
    "normalise_postcode",
]

_WEIGHTS = np.arange(10, 1, -1)

# Outward code A9, A99, AA9, AA99, A9A, AA9A; inward 9AA with no C, I, K, M, O or V.
UK_POSTCODE_RE = re.compile(
    r"^(?:GIR 0AA|(?:[A-Z][0-9]{1,2}|[A-Z][A-HJ-Y][0-9]{1,2}|[A-Z][0-9][A-Z]"
    r"|[A-Z][A-HJ-Y][0-9][A-Z]) [0-9][ABD-HJLNP-UW-Z]{2})$"
)


def nhs_number_check_digit(first9: str) -> int | None:
    """The modulus-11 check digit of nine digits; None when the remainder makes it invalid."""
    if len(first9) != 9 or not first9.isdigit():
        raise ValueError(f"need nine digits, got {first9!r}")
    total = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_check_digits(first9: np.ndarray) -> np.ndarray:
    """Vectorised check digits of int64 nine-digit numbers; -1 where no valid digit exists."""
    digits = (np.asarray(first9, dtype=np.int64)[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = 11 - (digits * _WEIGHTS).sum(axis=1) % 11
    return np.where(check == 11, 0, np.where(check == 10, -1, check))


def normalise_nhs_number(value: str | None) -> str | None:
    """Ten digits (spaces and hyphens removed) or None."""
    if value is None:
        return None
    digits = re.sub(r"[\s-]", "", str(value))
    return digits if len(digits) == 10 and digits.isdigit() else None


def is_valid_nhs_number(value: str | None) -> bool:
    """True for ten digits whose tenth is the modulus-11 check digit of the first nine."""
    digits = normalise_nhs_number(value)
    if digits is None or len(set(digits)) == 1:
        return False
    return nhs_number_check_digit(digits[:9]) == int(digits[9])


def normalise_postcode(value: str | None) -> str | None:
    """Upper case with one space before the inward code, or None if not a valid format."""
    if value is None:
        return None
    compact = re.sub(r"\s+", "", str(value)).upper()
    if len(compact) < 5 or len(compact) > 7:
        return None
    candidate = f"{compact[:-3]} {compact[-3:]}"
    return candidate if UK_POSTCODE_RE.match(candidate) else None


def is_valid_postcode_format(value: str | None) -> bool:
    """True when ``value`` is a well-formed UK postcode (spacing and case forgiven)."""
    return normalise_postcode(value) is not None
