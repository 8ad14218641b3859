"""True identifiers of synthetic people: NHS numbers and names with realistic frequencies."""

from __future__ import annotations

import numpy as np

from partnerhub.schema.identifiers import nhs_check_digits
from partnerhub.synth.name_data import FORENAMES, MIDDLE_NAMES, SURNAMES

__all__ = ["draw_forenames", "draw_middle_names", "draw_nhs_numbers", "draw_surnames"]


def draw_nhs_numbers(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct valid NHS numbers that can never be a real patient's.

    They come from the range NHS England reserves for test data (999 000 0000 - 999 999 9999)
    and, when more than its ~909,000 valid numbers are needed, from the next blocks down
    (998..., 997...), which are not issued to patients either. Each has a valid modulus-11
    check digit.
    """
    blocks = int(np.ceil(n / 850_000)) if n else 1
    first9 = np.concatenate(
        [
            np.arange(b * 1_000_000, (b + 1) * 1_000_000, dtype=np.int64)
            for b in range(999, 999 - blocks, -1)
        ]
    )
    check = nhs_check_digits(first9)
    valid = first9[check >= 0] * 10 + check[check >= 0]
    chosen = rng.choice(valid, size=n, replace=False)
    return chosen.astype(str).astype(object)


_STEMS = (
    "Ash",
    "Brad",
    "Crom",
    "Hol",
    "Whit",
    "Bar",
    "Thorn",
    "Black",
    "Wake",
    "Stan",
    "Hart",
    "Brom",
    "Clay",
    "Fair",
    "Hay",
    "Lang",
    "Mar",
    "Nor",
    "Pen",
    "Rad",
    "Shel",
    "Stock",
    "Tal",
    "Thur",
    "Wal",
    "Wes",
    "Win",
    "Yar",
    "Ald",
    "Bick",
    "Cal",
    "Dun",
    "Elm",
    "Gar",
    "Kin",
)
_SUFFIXES = (
    "ley",
    "ton",
    "ford",
    "well",
    "wood",
    "field",
    "by",
    "ham",
    "worth",
    "croft",
    "more",
    "son",
    "er",
    "bury",
    "combe",
    "dale",
    "hurst",
    "stone",
)
TAIL_SURNAMES: tuple[str, ...] = tuple(a + b for a in _STEMS for b in _SUFFIXES)


def draw_surnames(n: int, rng: np.random.Generator) -> np.ndarray:
    """Surnames: the listed common names by their weights (Smith ≈ 1.2% of people), the rest
    from a long tail of rarer names."""
    names = np.array([s for s, _ in SURNAMES], dtype=object)
    w = np.array([f for _, f in SURNAMES], dtype=float)
    p_common = 0.012 * w.sum() / w.max()  # so that the commonest name is 1.2% of people
    common = rng.random(n) < p_common
    out = np.empty(n, dtype=object)
    out[common] = names[rng.choice(names.size, size=int(common.sum()), p=w / w.sum())]
    tail = np.flatnonzero(~common)
    pool = np.concatenate([np.asarray(TAIL_SURNAMES, dtype=object), names[60:]])
    out[tail] = pool[rng.integers(0, pool.size, size=tail.size)]
    return out


def _zipf(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 0.9
    return w / w.sum()


def draw_forenames(sex: np.ndarray, birth_year: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A forename per person, from the names of their sex and birth cohort."""
    n = len(sex)
    out = np.empty(n, dtype=object)
    starts = [c[0] for c in FORENAMES]
    cohort = np.searchsorted(starts, np.asarray(birth_year), side="right") - 1
    female = np.asarray(sex) == "F"
    for i, (_, women, men) in enumerate(FORENAMES):
        for mask, names in ((female, women), (~female, men)):
            idx = np.flatnonzero((cohort == i) & mask)
            arr = np.asarray(names, dtype=object)
            out[idx] = arr[rng.choice(arr.size, size=idx.size, p=_zipf(arr.size))]
    return out


def draw_middle_names(
    sex: np.ndarray, birth_year: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """About 60% of people have a middle name; the rest get None."""
    n = len(sex)
    female = np.asarray(sex) == "F"
    women, men = (np.asarray(m, dtype=object) for m in MIDDLE_NAMES)
    out = np.where(
        female, women[rng.integers(0, women.size, n)], men[rng.integers(0, men.size, n)]
    ).astype(object)
    out[rng.random(n) >= 0.6] = None
    del birth_year
    return out
