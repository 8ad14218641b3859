"""Disclosure control of whole tables: primary and secondary suppression, rounding and
cell-key perturbation, proven by an attacker's linear programme.

A table is a complete grid of cells over its dimensions. Some dimensions have a
*hierarchy* — LSOAs add up to their ward, categories add up to an "all" row — and every
parent cell present in the table is the sum of its children: those sums are what an attacker
uses to recover a suppressed cell ("the ward minus its other LSOAs", "the row total minus the
other columns"). So after primary suppression (:func:`~partnerhub.disclosure.rules.is_primary`)
the gate:

1. suppresses more cells until every sum with a suppressed member has at least two;
2. *audits* the result as the attacker would: for every suppressed count it solves two linear
   programmes (smallest and largest value consistent with every released number, its rounding
   and perturbation bounds, and every sum) — the interval must be at least
   ``settings.required_width`` wide; when it is not, the smallest released member of one of the
   cell's sums is suppressed too, and the audit runs again.

What the attacker is assumed to know: the released values, the rules (threshold, rounding
base, largest perturbation), the table's structure. Missing children are treated as known
zeros, so callers pass complete grids.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from partnerhub.disclosure.rules import (
    SUPPRESSED_MARK,
    DisclosureSettings,
    dominated,
    is_primary,
    p_ratio_fails,
    release_count,
    round_to_base,
)

__all__ = [
    "Hierarchy",
    "ProtectedTable",
    "attacker_interval",
    "protect_counts",
    "protect_proportions",
    "protect_published_rows",
    "protect_sums",
]

_MAX_ROUNDS = 10_000
_VALUE_COLUMNS = ("value", "numerator", "denominator")


@dataclass(frozen=True)
class Hierarchy:
    """Within dimension ``dim``, each child value adds up to its parent value
    (e.g. LSOA code → ward code, or each category → "all")."""

    dim: str
    parent_of: Mapping[str, str]


@dataclass
class ProtectedTable:
    """A table after disclosure control. ``data`` holds the dimensions, ``value`` (nullable:
    ``<NA>`` where suppressed) and ``suppressed`` (bool). ``reasons`` (primary, secondary,
    dominance, complement) is for the audit log only and is never released with the table."""

    data: pd.DataFrame
    reasons: pd.Series
    settings: DisclosureSettings
    notes: dict[str, int] = field(default_factory=dict)

    def for_release(self) -> pd.DataFrame:
        """The table as it may leave: suppressed values become the ``[c]`` marker."""
        out = self.data.drop(columns=["suppressed"]).astype(object)
        for column in _VALUE_COLUMNS:
            if column in out.columns:
                out[column] = [SUPPRESSED_MARK if pd.isna(v) else v for v in out[column]]
        return out

    def to_csv(self, path: str) -> None:
        self.for_release().to_csv(path, index=False)

    @property
    def suppressed_count(self) -> int:
        return int(self.data["suppressed"].sum())


def _relations(
    table: pd.DataFrame, dims: Sequence[str], hierarchies: Sequence[Hierarchy]
) -> list[tuple[int, list[int]]]:
    """(parent cell, child cells) for every parent present in the table."""
    index = {tuple(row): i for i, row in enumerate(table[list(dims)].itertuples(index=False))}
    relations: list[tuple[int, list[int]]] = []
    for hierarchy in hierarchies:
        if hierarchy.dim not in dims:
            raise ValueError(f"hierarchy over {hierarchy.dim!r}, which is not a dimension")
        d = list(dims).index(hierarchy.dim)
        children_of: dict[str, list[str]] = defaultdict(list)
        for child, parent in hierarchy.parent_of.items():
            children_of[parent].append(child)
        for key, i in index.items():
            children = children_of.get(key[d])
            if not children:
                continue
            parts = []
            for child in children:
                j = index.get((*key[:d], child, *key[d + 1 :]))
                if j is not None:
                    parts.append(j)
            relations.append((i, parts))
    return relations


def _bounds(
    released: np.ndarray,
    suppressed: np.ndarray,
    half_width: int,
    floor: np.ndarray,
) -> list[tuple[float, float | None]]:
    bounds: list[tuple[float, float | None]] = []
    for r, s, f in zip(released, suppressed, floor, strict=True):
        if s:
            bounds.append((0.0, None))
        else:
            bounds.append((float(max(r - half_width, f, 0)), float(r + half_width)))
    return bounds


def attacker_interval(
    cells: int,
    relations: Sequence[tuple[int, Sequence[int]]],
    bounds: Sequence[tuple[float, float | None]],
    target: int,
) -> tuple[float, float]:
    """The smallest and largest value of cell ``target`` consistent with the bounds of every
    cell and every sum (parent = Σ children): the attacker's best linear inference."""
    rows, cols, data = [], [], []
    for r, (parent, children) in enumerate(relations):
        rows.append(r)
        cols.append(parent)
        data.append(1.0)
        for child in children:
            rows.append(r)
            cols.append(child)
            data.append(-1.0)
    a_eq = coo_matrix((data, (rows, cols)), shape=(len(relations), cells)).tocsr()
    b_eq = np.zeros(len(relations))
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(cells)
        c[target] = sign
        res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=list(bounds), method="highs")
        if res.status == 3:  # unbounded: no upper limit on the cell
            out.append(-math.inf if sign > 0 else math.inf)
            continue
        if res.status != 0:
            raise RuntimeError(f"disclosure audit: linear programme failed ({res.message})")
        out.append(sign * res.fun)
    return out[0], out[1]


def _component(target: int, relations: Sequence[tuple[int, Sequence[int]]]) -> list[int]:
    """The relations connected to ``target`` through any shared cell. Released cells count
    too: sums among released cells narrow their rounding intervals, which the attacker uses."""
    by_cell: dict[int, list[int]] = defaultdict(list)
    for r, (parent, children) in enumerate(relations):
        for cell in (parent, *children):
            by_cell[cell].append(r)
    seen_cells, seen_rel, stack = {target}, set(), [target]
    while stack:
        cell = stack.pop()
        for r in by_cell[cell]:
            if r in seen_rel:
                continue
            seen_rel.add(r)
            parent, children = relations[r]
            for other in (parent, *children):
                if other not in seen_cells:
                    seen_cells.add(other)
                    stack.append(other)
    return sorted(seen_rel)


def _protect(
    values: np.ndarray,
    primary: np.ndarray,
    released_of: np.ndarray,
    relations: list[tuple[int, list[int]]],
    settings: DisclosureSettings,
    half_width: int,
    floor: np.ndarray,
    width_of: np.ndarray,
) -> np.ndarray:
    """Secondary suppression until the attacker's audit passes. Returns the suppressed mask."""
    suppressed = primary.copy()
    members_of: dict[int, list[int]] = defaultdict(list)
    for r, (parent, children) in enumerate(relations):
        for cell in (parent, *children):
            members_of[cell].append(r)

    def cheapest(candidates: Sequence[int]) -> int | None:
        open_ = [c for c in candidates if not suppressed[c]]
        if not open_:
            return None
        return min(open_, key=lambda c: (values[c] == 0, values[c], c))

    for _ in range(_MAX_ROUNDS):
        changed = False
        # 1. no sum may have exactly one suppressed member
        for parent, children in relations:
            members = [parent, *children]
            if sum(bool(suppressed[m]) for m in members) == 1:
                pick = cheapest(children) if not suppressed[parent] else None
                pick = pick if pick is not None else cheapest(members)
                if pick is not None:
                    suppressed[pick] = True
                    changed = True
        if changed:
            continue
        # 2. the attacker's audit
        for target in np.flatnonzero(primary):
            rels = _component(int(target), relations)
            if not rels:
                continue
            sub = [relations[r] for r in rels]
            cells = sorted({c for p, ch in sub for c in (p, *ch)})
            local = {c: i for i, c in enumerate(cells)}
            sub_local = [(local[p], [local[c] for c in ch]) for p, ch in sub]
            bounds = _bounds(released_of[cells], suppressed[cells], half_width, floor[cells])
            lo, hi = attacker_interval(len(cells), sub_local, bounds, local[int(target)])
            if math.isinf(hi) or math.floor(hi + 1e-9) - math.ceil(lo - 1e-9) >= width_of[target]:
                continue
            pick = cheapest([c for r in members_of[int(target)] for c in _members(relations[r])])
            if pick is None:
                continue
            suppressed[pick] = True
            changed = True
            break
        if not changed:
            return suppressed
    raise RuntimeError("disclosure: secondary suppression did not settle")


def _members(relation: tuple[int, Sequence[int]]) -> list[int]:
    return [relation[0], *relation[1]]


def _check_grid(table: pd.DataFrame, dims: Sequence[str], columns: Sequence[str]) -> None:
    missing = [c for c in (*dims, *columns) if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}")
    if table.duplicated(list(dims)).any():
        raise ValueError(f"table has more than one row for some {list(dims)}")


def protect_counts(
    table: pd.DataFrame,
    dims: Sequence[str],
    *,
    count: str = "count",
    cell_key: str | None = None,
    hierarchies: Sequence[Hierarchy] = (),
    settings: DisclosureSettings | None = None,
) -> ProtectedTable:
    """Disclosure control of a table of counts of people (or records).

    ``cell_key`` names a column holding each cell's key (sum of its records' cell keys mod
    256); with it the released counts are perturbed by the cell-key method before rounding.
    """
    settings = settings or DisclosureSettings()
    _check_grid(table, dims, [count] + ([cell_key] if cell_key else []))
    data = table.reset_index(drop=True)
    values = data[count].to_numpy(dtype=np.int64)
    if (values < 0).any():
        raise ValueError("counts cannot be negative")
    keys = data[cell_key].to_numpy(dtype=np.int64) if cell_key else None
    primary = np.array([is_primary(int(v), settings) for v in values], dtype=bool)
    released = np.array(
        [
            release_count(int(v), int(keys[i]) if keys is not None else None, settings)
            for i, v in enumerate(values)
        ],
        dtype=np.int64,
    )
    half_width = settings.rounding_base // 2 + (settings.max_perturbation if cell_key else 0)
    # a released cell is known to be above the threshold (or exactly 0 if zeros may be shown)
    floor = np.where(values > 0, settings.threshold + 1, 0)
    width = np.full(len(values), settings.required_width)
    relations = _relations(data, dims, hierarchies)
    suppressed = _protect(values, primary, released, relations, settings, half_width, floor, width)
    out = data[list(dims)].copy()
    out["value"] = pd.array(np.where(suppressed, 0, released), dtype="Int64")
    out.loc[suppressed, "value"] = pd.NA
    out["suppressed"] = suppressed
    reasons = pd.Series(
        np.where(primary, "primary", np.where(suppressed, "secondary", "")), name="reason"
    )
    return ProtectedTable(
        out,
        reasons,
        settings,
        {"primary": int(primary.sum()), "secondary": int((suppressed & ~primary).sum())},
    )


def protect_sums(
    table: pd.DataFrame,
    dims: Sequence[str],
    *,
    total: str = "total",
    count: str = "count",
    top_n: str = "top_n_sum",
    largest: str | None = None,
    hierarchies: Sequence[Hierarchy] = (),
    settings: DisclosureSettings | None = None,
    decimals: int = 0,
) -> ProtectedTable:
    """Disclosure control of a table of sums (spend, hours, amounts): a cell is withheld when
    it has too few contributors or is dominated by its ``n`` largest (the (n, k) rule, and
    with ``largest`` given, the p% rule — ``top_n`` is then the sum of the two largest); then
    secondary suppression as for counts, requiring that no withheld sum can be narrowed to
    within ±(1 − k) of itself."""
    settings = settings or DisclosureSettings()
    _check_grid(table, dims, [total, count, top_n])
    data = table.reset_index(drop=True)
    values = data[total].to_numpy(dtype=float)
    counts = data[count].to_numpy(dtype=np.int64)
    tops = data[top_n].to_numpy(dtype=float)
    few = np.array([is_primary(int(n), settings) for n in counts], dtype=bool)
    dom = np.array([dominated(v, t, settings) for v, t in zip(values, tops, strict=True)])
    if largest is not None:  # the p% rule needs the largest contribution (and the top 2)
        top1 = data[largest].to_numpy(dtype=float)
        dom |= np.array(
            [
                p_ratio_fails(v, t1, t2, settings)
                for v, t1, t2 in zip(values, top1, tops, strict=True)
            ]
        )
    primary = few | (dom & (counts > 0))
    released = np.round(values, decimals)
    relations = _relations(data, dims, hierarchies)
    width = np.maximum(np.abs(values) * (1 - settings.dominance_k) * 2, 1.0)
    suppressed = _protect(
        values,
        primary,
        released,
        relations,
        settings,
        0,
        np.zeros(len(values)),
        width,
    )
    out = data[list(dims)].copy()
    out["value"] = pd.array(np.where(suppressed, np.nan, released), dtype="Float64")
    out["suppressed"] = suppressed
    reasons = pd.Series(
        np.where(few, "primary", np.where(dom, "dominance", np.where(suppressed, "secondary", ""))),
        name="reason",
    )
    return ProtectedTable(
        out,
        reasons,
        settings,
        {
            "primary": int(few.sum()),
            "dominance": int((dom & ~few).sum()),
            "secondary": int((suppressed & ~primary).sum()),
        },
    )


def protect_proportions(
    table: pd.DataFrame,
    dims: Sequence[str],
    *,
    numerator: str = "numerator",
    denominator: str = "denominator",
    numerator_key: str | None = None,
    denominator_key: str | None = None,
    hierarchies: Sequence[Hierarchy] = (),
    settings: DisclosureSettings | None = None,
    multiplier: float = 100.0,
) -> ProtectedTable:
    """Disclosure control of proportions (numerator of denominator, per cell).

    The numerator, its complement (denominator − numerator) and the denominator are protected
    together as one table — so a small numerator, a small complement ("all but 3 of them"),
    a zero and a tiny denominator are all withheld, and none can be recovered from the others
    or from parent areas. The proportion is computed *after* suppression, from the released
    (rounded) counts, and is withheld when either is."""
    settings = settings or DisclosureSettings()
    _check_grid(table, dims, [numerator, denominator])
    data = table.reset_index(drop=True)
    if (data[numerator] > data[denominator]).any():
        raise ValueError("a numerator is larger than its denominator")
    long = []
    for part, column, key in (
        ("numerator", numerator, numerator_key),
        ("complement", None, None),
        ("denominator", denominator, denominator_key),
    ):
        block = data[list(dims)].copy()
        block["_part"] = part
        block["count"] = (
            data[column] if column else data[denominator] - data[numerator]
        ).to_numpy()
        if numerator_key and denominator_key:
            if key:
                block["_key"] = data[key].to_numpy()
            else:  # the complement's key: the difference of the keys (mod 256)
                block["_key"] = (data[denominator_key] - data[numerator_key]) % 256
        long.append(block)
    stacked = pd.concat(long, ignore_index=True)
    parts = Hierarchy("_part", {"numerator": "denominator", "complement": "denominator"})
    protected = protect_counts(
        stacked,
        [*dims, "_part"],
        cell_key="_key" if numerator_key and denominator_key else None,
        hierarchies=[*hierarchies, parts],
        settings=settings,
    )
    cells = protected.data
    num = cells[cells["_part"] == "numerator"].reset_index(drop=True)
    den = cells[cells["_part"] == "denominator"].reset_index(drop=True)
    out = data[list(dims)].copy()
    suppressed = (num["suppressed"] | den["suppressed"]).to_numpy()
    out["numerator"] = num["value"]
    out["denominator"] = den["value"]
    value = num["value"].astype("Float64") / den["value"].astype("Float64") * multiplier
    value[suppressed | (den["value"].fillna(0) == 0).to_numpy()] = pd.NA
    out["value"] = value
    out["suppressed"] = suppressed
    out.loc[num["suppressed"].to_numpy(), "numerator"] = pd.NA
    out.loc[den["suppressed"].to_numpy(), "denominator"] = pd.NA
    reasons = protected.reasons[: len(data)].reset_index(drop=True)
    return ProtectedTable(out, reasons, settings, protected.notes)


def protect_published_rows(
    table: pd.DataFrame,
    counts: Sequence[str],
    dependent: Sequence[str],
    settings: DisclosureSettings,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Protect a table of already-aggregated rows from outside the vault (an imported survey
    indicator): no record keys, no grid. A row with any primary count (``is_primary``) has every
    count and every ``dependent`` column (the value and limits derived from them) withheld;
    other counts are rounded to the base. Missing counts (NaN) stay missing. Returns the table
    with withheld cells as :data:`SUPPRESSED_MARK` (object columns) and the notes."""
    out = table.copy()
    primary = np.zeros(len(out), dtype=bool)
    for column in counts:
        values = out[column].to_numpy(dtype=float)
        present = ~np.isnan(values)
        pairs = zip(values, present, strict=True)
        flags = [bool(ok) and is_primary(int(v), settings) for v, ok in pairs]
        primary |= np.array(flags, dtype=bool)
    for column in counts:
        values = out[column].to_numpy(dtype=float)
        shown: list[object] = [
            None if math.isnan(v) else round_to_base(v, settings.rounding_base) for v in values
        ]
        out[column] = pd.Series(shown, index=out.index, dtype=object)
    for column in (*counts, *dependent):
        out[column] = out[column].astype(object)
        out.loc[primary, column] = SUPPRESSED_MARK
    return out, {"primary": int(primary.sum()), "secondary": 0}
