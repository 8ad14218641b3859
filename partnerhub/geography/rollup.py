"""Parents and roll-ups of areas: which district an area lies in (wards and other areas split
across districts go by best fit: the district holding most of them), the IMD decile of an LSOA,
and the sum of additive parts from the finest grain to every level.

Rates are never averaged: parts (counts, sums) are summed to a level first and a rate taken
after, by the caller."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import pandas as pd

from partnerhub.geography.levels import AREA_LEVELS, LEVELS, area_field

__all__ = [
    "TOTAL",
    "UNRESOLVED",
    "area_parents",
    "areas_in_order",
    "best_fit",
    "decile_code",
    "district_parents",
    "is_decile_code",
    "listed_parents",
    "roll_up",
    "sum_to_parents",
]

_DECILE = "IMD decile "
TOTAL = "total"  # the whole partnership, in a count table's hierarchy
UNRESOLVED = "unresolved"  # rows whose postcode resolved to no area


def decile_code(decile: int | str) -> str:
    """The area code of an IMD decile in a table: 1 → "IMD decile 1"."""
    return f"{_DECILE}{decile}"


def is_decile_code(code: str) -> bool:
    """True for the area code of an IMD decile (it has no name of its own)."""
    return code.startswith(_DECILE.rstrip())


def best_fit(
    frame: pd.DataFrame, child: str, parent: str, weight: str | None = None
) -> pd.DataFrame:
    """Each ``child`` with the one ``parent`` holding most of it — most rows, or the largest
    sum of ``weight`` — ties to the first parent code; columns ``child``, ``parent``, sorted by
    child. This is how a ward split across districts is given one district (ONS best fit)."""
    pairs = frame.groupby([child, parent], as_index=False)
    if weight is None:
        g = pairs.size().rename(columns={"size": "_weight"})
    else:
        g = pairs[weight].sum().rename(columns={weight: "_weight"})
    g = g.sort_values([child, "_weight", parent], ascending=[True, False, True])
    return g.drop_duplicates(child)[[child, parent]]


def area_parents(parts: pd.DataFrame, weight: pd.Series, county: str) -> dict[str, str]:
    """Each area's parent to compare with: its district (the one holding most ``weight`` of its
    parts) for areas below a district; a district's, and an IMD decile's, the county."""
    out: dict[str, str] = {}
    weighted = parts.assign(_w=weight)
    for level in (lvl for lvl in AREA_LEVELS if LEVELS[lvl].compared_with == "lad"):
        key = area_field(level)
        g = best_fit(weighted, key, "lad_code", "_w")
        out.update(zip(g[key], g["lad_code"], strict=True))
    out.update({lad: county for lad in parts["lad_code"].unique()})
    out.update({decile_code(d): county for d in range(1, 11)})
    return out


def listed_parents(areas: pd.DataFrame) -> dict[str, str]:
    """Each area's parent to compare with, read from the partnership's area list (columns
    level, code, lad_code: ``geography.areas``) instead of fitted from parts as in
    :func:`area_parents`: the county for an area of a level compared with the county (a
    district), else its district (a level not known here too); the county has none."""
    levels = dict(zip(areas["code"], areas["level"], strict=True))
    county = next((c for c, lvl in levels.items() if lvl == "county"), "")
    return {
        code: (county if _compared_with(level) == "county" else lad)
        for code, level, lad in zip(areas["code"], areas["level"], areas["lad_code"], strict=True)
        if level != "county"
    }


def _compared_with(level: str) -> str | None:
    return LEVELS[level].compared_with if level in LEVELS else "lad"


def roll_up(
    parts: pd.DataFrame,
    values: Sequence[str],
    by: Sequence[str],
    county: str,
    imd_decile: Mapping[str, int],
) -> pd.DataFrame:
    """Sum the ``values`` of parts at the finest grain (each row carrying its ``<level>_code``
    fields) to every area level, and to IMD deciles when ``imd_decile`` (LSOA → decile) is
    given; one row per (``area_type``, ``area_code``, ``by``...)."""
    frames = []
    for level in AREA_LEVELS:
        if not LEVELS[level].postcode:  # the county: the whole partnership
            g = parts.groupby(list(by), as_index=False)[list(values)].sum()
            g["area_code"] = county
        else:
            key = area_field(level)
            g = parts.groupby([key, *by], as_index=False)[list(values)].sum()
            g = g.rename(columns={key: "area_code"})
        g["area_type"] = level
        frames.append(g)
    if imd_decile:
        decile = parts["lsoa_code"].map(imd_decile)
        known = parts[decile.notna()].assign(_decile=decile[decile.notna()].astype(int))
        g = known.groupby(["_decile", *by], as_index=False)[list(values)].sum()
        g["area_code"] = _DECILE + g["_decile"].astype(str)
        g["area_type"] = "imd_decile"
        frames.append(g.drop(columns="_decile"))
    return pd.concat(frames, ignore_index=True)


def district_parents(
    pairs: pd.DataFrame,
    area: str,
    district: str,
    weight: str,
    level: str,
    every_area: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Each area of ``level`` in ``pairs`` (rows of ``area``, ``district``, ``weight``) → its
    district by best fit, or :data:`TOTAL` when the level is the district itself or either
    code is :data:`UNRESOLVED`; then every area of ``every_area`` (code → district) not seen,
    so a table lists the empty areas too."""
    majority = best_fit(pairs, area, district, weight)
    parent_of = {
        a: (d if level != "lad" and UNRESOLVED not in (a, d) else TOTAL)
        for a, d in zip(majority[area], majority[district], strict=True)
    }
    for code, d in (every_area or {}).items():
        parent_of.setdefault(code, d if level != "lad" else TOTAL)
    return parent_of


def sum_to_parents(
    rows: Iterable[tuple[str, Hashable, Sequence[int]]], parent_of: Mapping[str, str]
) -> dict[tuple[str, Hashable], list[int]]:
    """Additive values (counts, cell-key sums) of (area, category, values) rows summed to the
    area, its district (unless its parent is the total) and the total, per category."""
    cells: dict[tuple[str, Hashable], list[int]] = {}

    def add(area: str, category: Hashable, values: Sequence[int]) -> None:
        c = cells.setdefault((area, category), [0] * len(values))
        for i, v in enumerate(values):
            c[i] += v

    for area, category, values in rows:
        parent = parent_of[area]
        add(area, category, values)
        if parent != TOTAL:
            add(parent, category, values)
        add(TOTAL, category, values)
    return cells


def areas_in_order(parent_of: Mapping[str, str]) -> list[str]:
    """The areas of a count table in their order: the areas, the districts above them, the
    total."""
    districts = set(parent_of.values()) - {TOTAL}
    return sorted(parent_of) + sorted(districts - set(parent_of)) + [TOTAL]
