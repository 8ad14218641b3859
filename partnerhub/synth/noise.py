"""Identifier noise as partners really make it. Each function returns ``(values, changed)``.

``changed`` is exact — a row is marked only if its value differs afterwards — because it is
kept as ground truth. Rows are selected with vectorised draws; only the selected few are edited
one by one. Missing values (None) are never edited except by :func:`blank`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from partnerhub.synth.name_data import NICKNAMES, SURNAMES

__all__ = [
    "blank",
    "format_variation",
    "nhs_number_error",
    "nickname",
    "postcode_error",
    "shift_date",
    "surname_change",
    "swap_day_month",
    "typo",
]

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for r, row in enumerate(_ROWS):
    for c, ch in enumerate(row):
        near = [row[j] for j in (c - 1, c + 1) if 0 <= j < len(row)]
        for rr in (r - 1, r + 1):
            if 0 <= rr < len(_ROWS):
                near += [_ROWS[rr][j] for j in (c - 1, c) if 0 <= j < len(_ROWS[rr])]
        _NEIGHBOURS[ch] = "".join(sorted(set(near)))


def _select(values: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    present = pd.notna(values)
    return np.flatnonzero(present & (rng.random(len(values)) < rate))


def _finish(old: np.ndarray, new: np.ndarray, touched: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mark exactly the touched rows whose value really changed."""
    changed = np.zeros(len(new), dtype=bool)
    if touched.size:
        changed[touched] = old[touched] != new[touched]
    return new, changed


def _edit_each(
    values: np.ndarray,
    rng: np.random.Generator,
    rate: float,
    edit: Callable[[str, np.random.Generator], str],
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``edit`` to a ``rate`` share of the present values; mark the ones that changed."""
    old = np.asarray(values, dtype=object)
    out = old.copy()
    touched = _select(out, rng, rate)
    for i in touched:
        out[i] = edit(str(out[i]), rng)
    return _finish(old, out, touched)


def _keep_case(template: str, ch: str) -> str:
    return ch.upper() if template.isupper() else ch


def typo(
    values: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """One keyboard slip: a neighbouring key, a dropped or doubled letter, two letters swapped."""

    def edit(s: str, rng: np.random.Generator) -> str:
        if len(s) < 3:
            return s
        kind = rng.integers(0, 4)
        pos = int(rng.integers(1, len(s)))  # keep the first letter, as most slips do
        ch = s[pos]
        if kind == 0 and ch.lower() in _NEIGHBOURS:
            near = _NEIGHBOURS[ch.lower()]
            return s[:pos] + _keep_case(ch, near[int(rng.integers(0, len(near)))]) + s[pos + 1 :]
        if kind == 1:
            return s[:pos] + s[pos + 1 :]
        if kind == 2:
            return s[:pos] + ch + s[pos:]
        if pos < len(s) - 1:
            return s[:pos] + s[pos + 1] + s[pos] + s[pos + 2 :]
        return s[: pos - 1] + s[pos] + s[pos - 1]

    return _edit_each(values, rng, rate, edit)


def nickname(
    values: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """A formal forename replaced by a familiar form (Robert → Bob)."""

    def edit(s: str, rng: np.random.Generator) -> str:
        forms = NICKNAMES.get(s)
        return forms[int(rng.integers(0, len(forms)))] if forms else s

    return _edit_each(values, rng, rate, edit)


def swap_day_month(
    dates: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Day and month exchanged (only possible where the day is 12 or less and ≠ month)."""
    d = np.asarray(dates, dtype="datetime64[D]")
    out = d.copy()
    ok = ~np.isnat(d)
    years = d.astype("datetime64[Y]")
    month = (d.astype("datetime64[M]") - years).astype(np.int64) + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    eligible = ok & (day <= 12) & (day != month)
    pick = eligible & (rng.random(d.size) < rate)
    swapped = (years[pick] + (day[pick] - 1).astype("timedelta64[M]")).astype("datetime64[D]") + (
        month[pick] - 1
    ).astype("timedelta64[D]")
    out[pick] = swapped
    return out, pick


def shift_date(
    dates: np.ndarray, rng: np.random.Generator, rate: float, max_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """A small keying error: a day out, or a year out."""
    d = np.asarray(dates, dtype="datetime64[D]")
    pick = ~np.isnat(d) & (rng.random(d.size) < rate)
    delta = np.where(
        rng.random(d.size) < 0.6, rng.choice([-1, 1], d.size), rng.choice([-365, 365], d.size)
    )
    delta = np.clip(delta, -max_days, max_days)
    out = d.copy()
    out[pick] = d[pick] + delta[pick].astype("timedelta64[D]")
    return out, pick


def blank(
    values: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Value not recorded."""
    out = np.array(values, dtype=object)
    idx = _select(out, rng, rate)
    out[idx] = None
    changed = np.zeros(len(out), dtype=bool)
    changed[idx] = True
    return out, changed


def nhs_number_error(
    values: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two neighbouring digits transposed, or one digit mistyped."""

    def edit(s: str, rng: np.random.Generator) -> str:
        pos = int(rng.integers(0, len(s) - 1))
        if rng.random() < 0.5 and s[pos] != s[pos + 1]:
            return s[:pos] + s[pos + 1] + s[pos] + s[pos + 2 :]
        return s[:pos] + str((int(s[pos]) + int(rng.integers(1, 10))) % 10) + s[pos + 1 :]

    return _edit_each(values, rng, rate, edit)


def postcode_error(
    values: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Space dropped, O/0 or I/1 confused, or one inward letter wrong."""
    letters = "ABDEFGHJLNPQRSTUWXYZ"

    def edit(s: str, rng: np.random.Generator) -> str:
        kind = rng.integers(0, 3)
        if kind == 0:
            return s.replace(" ", "")
        if kind == 1 and any(c in s for c in "O0I1"):
            return s.translate(str.maketrans("O0I1", "0O1I"))
        return s[:-1] + letters[int(rng.integers(0, len(letters)))]

    return _edit_each(values, rng, rate, edit)


def surname_change(
    surnames: np.ndarray,
    sex: np.ndarray,
    age_years: np.ndarray,
    rng: np.random.Generator,
    rate: float,
) -> tuple[np.ndarray, np.ndarray]:
    """A new surname, as after marriage or divorce: mostly women aged 20-60."""
    out = np.array(surnames, dtype=object)
    weight = np.where((np.asarray(sex) == "F") & (age_years >= 20) & (age_years < 60), 3.0, 0.3)
    pick = np.flatnonzero(pd.notna(out) & (rng.random(len(out)) < rate * weight))
    pool = np.array([s for s, _ in SURNAMES], dtype=object)
    for i in pick:
        new = pool[int(rng.integers(0, pool.size))]
        out[i] = f"{out[i]}-{new}" if rng.random() < 0.1 else new
    return _finish(np.asarray(surnames, dtype=object), out, pick)


def format_variation(
    values: np.ndarray, rng: np.random.Generator, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Changes a normaliser can undo: UPPER CASE, stray spaces, O'Brien → OBrien, hyphen → space."""

    def edit(s: str, rng: np.random.Generator) -> str:
        kind = rng.integers(0, 4)
        if kind == 0:
            return s.upper()
        if kind == 1:
            return s + " "
        if "'" in s:
            return s.replace("'", "")
        if "-" in s:
            return s.replace("-", " ")
        return s.upper()

    return _edit_each(values, rng, rate, edit)
