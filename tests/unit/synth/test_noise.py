"""Identifier noise: rates as asked, masks exact, edits of the stated kind."""

from __future__ import annotations

import numpy as np

from partnerhub.schema.identifiers import is_valid_nhs_number
from partnerhub.synth import noise
from partnerhub.synth.identity import draw_forenames, draw_nhs_numbers, draw_surnames


def _edit_distance_one_or_swap(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def test_nhs_numbers_valid_unique_and_in_the_test_range() -> None:
    numbers = draw_nhs_numbers(50_000, np.random.default_rng(1))
    assert len(set(numbers)) == 50_000
    assert all(n.startswith("999") for n in numbers)
    assert all(is_valid_nhs_number(n) for n in numbers[:5000])
    big = draw_nhs_numbers(1_200_000, np.random.default_rng(2))
    assert len(np.unique(big)) == 1_200_000 and all(n.startswith("99") for n in big[:1000])


def test_name_frequencies_and_cohorts() -> None:
    rng = np.random.default_rng(3)
    surnames = draw_surnames(200_000, rng)
    assert 0.008 <= (surnames == "Smith").mean() <= 0.016
    women = np.full(20_000, "F")
    old = draw_forenames(women, np.full(20_000, 1935), rng)
    young = draw_forenames(women, np.full(20_000, 2015), rng)
    assert (old == "Margaret").mean() > 0.03
    assert (young == "Margaret").mean() == 0
    assert (young == "Olivia").mean() > 0.03


def test_typo_rate_mask_and_shape() -> None:
    rng = np.random.default_rng(4)
    names = draw_surnames(100_000, rng)
    noisy, changed = noise.typo(names, rng, 0.05)
    assert 0.04 <= changed.mean() <= 0.06
    assert (changed == (noisy != names)).all()
    assert all(
        _edit_distance_one_or_swap(a, b)
        for a, b in zip(names[changed], noisy[changed], strict=True)
    )


def test_nickname_and_day_month_swap() -> None:
    rng = np.random.default_rng(5)
    names = np.array(["Robert"] * 1000 + ["Zebedee"] * 1000, dtype=object)
    noisy, changed = noise.nickname(names, rng, 0.5)
    assert set(noisy[changed]) <= {"Bob", "Rob", "Bobby", "Bert"}
    assert not changed[1000:].any()
    assert 0.4 <= changed[:1000].mean() <= 0.6
    dates = np.array(
        ["1941-03-12", "1941-12-03", "1950-05-20", "1960-07-07"] * 500, dtype="datetime64[D]"
    )
    swapped, mask = noise.swap_day_month(dates, rng, 1.0)
    assert str(swapped[0]) == "1941-12-03" and str(swapped[1]) == "1941-03-12"
    assert not mask[2::4].any() and not mask[3::4].any()  # day > 12, and day == month
    assert (mask == (swapped != dates)).all()


def test_blank_nhs_and_postcode_errors_are_exact() -> None:
    rng = np.random.default_rng(6)
    nhs = draw_nhs_numbers(20_000, rng)
    wrong, changed = noise.nhs_number_error(nhs, rng, 0.1)
    assert (changed == (wrong != nhs)).all()
    assert np.mean([not is_valid_nhs_number(x) for x in wrong[changed]]) > 0.85
    blanked, gone = noise.blank(nhs, rng, 0.3)
    assert 0.27 <= gone.mean() <= 0.33 and all(x is None for x in blanked[gone])
    pcs = np.array(["XP1 4DJ", "XP12 0AB"] * 5000, dtype=object)
    out, changed = noise.postcode_error(pcs, rng, 0.2)
    assert (changed == (out != pcs)).all() and 0.1 < changed.mean() < 0.25


def test_noise_is_deterministic() -> None:
    names = draw_surnames(10_000, np.random.default_rng(7))
    a = noise.typo(names, np.random.default_rng(8), 0.1)[0]
    b = noise.typo(names, np.random.default_rng(8), 0.1)[0]
    assert (a == b).all()
