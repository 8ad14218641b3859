"""Identifier rules: NHS number check digits and UK postcode format (pure functions).

NHS numbers are ten digits, written 3-3-4 ("943 476 5919"); the tenth is a modulus-11 check
digit over the first nine (weights 10 down to 2). A number whose check works out as 10 is never
issued, and numbers of one repeated digit (0000000000, 1111111111, ...) are rejected too.

Postcodes follow the Royal Mail format: an outward code (A9, A99, AA9, AA99, A9A, AA9A) and an
inward code 9AA whose letters are never C, I, K, M, O or V. The first letter may be X: no
geographic area uses it, which is why the synthetic county's postcodes start with X (and Royal
Mail uses it for a few non-geographic codes such as XM4 5HQ); Q and V never come first. GIR 0AA
is accepted.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "UK_POSTCODE_RE",
    "is_valid_nhs_number",
    "is_valid_postcode_format",
    "nhs_check_digits",
    "nhs_number_check_digit",
    "normalise_nhs_number",
    "normalise_postcode",
    "valid_nhs_numbers",
]

_NHS_WEIGHTS = tuple(range(10, 1, -1))
_NINE_DIGITS = re.compile(r"[0-9]{9}")
# Ten ASCII digits, optionally split 3-3-4 by a space or a hyphen; surrounding blanks ignored.
_NHS_LAYOUT = re.compile(r"\s*([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})\s*")

UK_POSTCODE_RE = re.compile(
    r"^(?:GIR 0AA|(?:"
    r"[A-PR-UW-Z][0-9]{1,2}"  # A9, A99
    r"|[A-PR-UW-Z][A-HK-Y][0-9]{1,2}"  # AA9, AA99 (second letter never I, J or Z)
    r"|[A-PR-UW-Z][0-9][A-HJKPSTUW]"  # A9A
    r"|[A-PR-UW-Z][A-HK-Y][0-9][ABEHMNPRVWXY]"  # AA9A
    r") [0-9][ABD-HJLNP-UW-Z]{2})$"  # inward 9AA, letters never C, I, K, M, O, V
)


def nhs_number_check_digit(first9: str) -> int | None:
    """The modulus-11 check digit of nine digits, or None where no valid check digit exists.

    ``11 - (sum of digit × weight) mod 11`` with weights 10..2; a result of 11 becomes 0 and a
    result of 10 means no NHS number starts with these nine digits. Raises ``ValueError``
    unless ``first9`` is exactly nine ASCII digits.
    """
    if not isinstance(first9, str) or not _NINE_DIGITS.fullmatch(first9):
        raise ValueError(f"need nine digits, got {first9!r}")
    total = sum(int(d) * w for d, w in zip(first9, _NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_check_digits(first9: np.ndarray) -> np.ndarray:
    """Vectorised check digits of nine-digit integers (int64); -1 where none is valid."""
    x = np.asarray(first9, dtype=np.int64)
    total = np.zeros(x.shape, dtype=np.int64)
    for i, w in enumerate(_NHS_WEIGHTS):
        total += (x // 10 ** (8 - i)) % 10 * w
    check = 11 - total % 11
    return np.where(check == 11, 0, np.where(check == 10, -1, check))


def normalise_nhs_number(value: str | None) -> str | None:
    """The ten digits of an NHS number written plainly or 3-3-4 with spaces or hyphens.

    Only the layout is checked: None for anything else (wrong length, letters, misplaced
    separators, None). Use :func:`is_valid_nhs_number` to check the check digit too.
    """
    if not isinstance(value, str):
        return None
    m = _NHS_LAYOUT.fullmatch(value)
    return "".join(m.groups()) if m else None


def is_valid_nhs_number(value: str | None) -> bool:
    """True for a well-laid-out NHS number whose tenth digit is the check digit of the rest.

    Numbers of a single repeated digit (0000000000, 1111111111, ...) are rejected even when
    their check digit works out.
    """
    digits = normalise_nhs_number(value)
    if digits is None or digits == digits[0] * 10:
        return False
    return nhs_number_check_digit(digits[:9]) == int(digits[9])


def valid_nhs_numbers(values: np.ndarray) -> np.ndarray:
    """:func:`is_valid_nhs_number` of every element, vectorised (a bool array)."""
    s = pd.Series(np.asarray(values, dtype=object), dtype=object)
    out = np.zeros(len(s), dtype=bool)
    is_str = s.map(type).eq(str).to_numpy()
    if not is_str.any():
        return out
    parts = s[is_str].str.extract(f"^{_NHS_LAYOUT.pattern}$")
    ok = parts.notna().all(axis=1).to_numpy()
    if not ok.any():
        return out
    digits10 = (parts[0] + parts[1] + parts[2]).to_numpy()[ok].astype("U10")
    d = digits10.view(np.uint32).reshape(-1, 10).astype(np.int64) - ord("0")
    first9 = (d[:, :9] * 10 ** np.arange(8, -1, -1, dtype=np.int64)).sum(axis=1)
    good = (nhs_check_digits(first9) == d[:, 9]) & (d != d[:, :1]).any(axis=1)
    rows = np.flatnonzero(is_str)[ok]
    out[rows] = good
    return out


def normalise_postcode(value: str | None) -> str | None:
    """Upper case with one space before the three-character inward code, or None if invalid.

    Case, a missing space and stray spaces are forgiven (``" sw1a1aa "`` → ``"SW1A 1AA"``).
    """
    if not isinstance(value, str):
        return None
    compact = "".join(value.split()).upper()
    if not 5 <= len(compact) <= 7:
        return None
    candidate = f"{compact[:-3]} {compact[-3:]}"
    return candidate if UK_POSTCODE_RE.match(candidate) else None


def is_valid_postcode_format(value: str | None) -> bool:
    """True when ``value`` is a well-formed UK postcode (spacing and case forgiven)."""
    return normalise_postcode(value) is not None
