"""Survey and published indicators, imported as aggregate values (issue 6, item 4).

Most of the 198 National Indicators come from surveys (the Place Survey, Active People, the
Tellus survey …) or from other bodies' publications: nobody holds them at person level, so
PartnerHub cannot compute them — it accepts them as values by area and period, in the
Fingertips column layout, and releases them beside the computed ones (same table, same
dashboard, same gate).

:func:`read_imported` reads and checks such a file completely before anything is stored: a
file with any bad row is refused with one line naming the file, the row and the column, and
what to fix (nothing is half-loaded). The result is one table per area level, ready for
:meth:`partnerhub.governance.Gate.release` (a :class:`~partnerhub.governance.PublishedTable`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from partnerhub.errors import ContractError, NotFoundError
from partnerhub.geography import LEVELS, listed_parents
from partnerhub.indicators.national_set import NationalIndicator
from partnerhub.indicators.statistics import compare_with_parent

__all__ = [
    "AREA_TYPES",
    "IMPORT_COLUMNS",
    "POLARITIES",
    "ImportedIndicator",
    "read_imported",
]

REQUIRED = ("Area Code", "Time period", "Value")
OPTIONAL = (
    "Lower CI 95.0 limit",
    "Upper CI 95.0 limit",
    "Count",
    "Denominator",
    "Value note",
)
IMPORT_COLUMNS = REQUIRED + OPTIONAL
POLARITIES = ("high_is_good", "low_is_good", "none")
# Fingertips' area types, by the level of the partnership's geography
AREA_TYPES = {code: lvl.fingertips for code, lvl in LEVELS.items() if lvl.fingertips}
# how a publisher writes a value it withheld: kept as a missing value, not an error
_WITHHELD = {"", "[c]", "[x]", "x", "c", ":", "*", ".."}


@dataclass(frozen=True)
class ImportedIndicator:
    """A checked import: per area level, the rows in the Fingertips layout (values as
    numbers; a withheld value is NaN), and the counts the gate must protect."""

    indicator: NationalIndicator
    source: str
    file: Path
    levels: Mapping[str, pd.DataFrame]

    @property
    def rows(self) -> int:
        return sum(len(t) for t in self.levels.values())


def _problem(path: Path, row: int, column: str, message: str) -> str:
    # row 1 is the header, so data row i (0-based) is row i + 2 of the file, as a spreadsheet
    return f"{path}: row {row + 2}, column {column!r}: {message}"


def _numbers(
    frame: pd.DataFrame, column: str, path: Path, problems: list[str], *, whole: bool = False
) -> pd.Series:
    text = frame[column].str.strip()
    out = pd.to_numeric(text.where(~text.isin(_WITHHELD)), errors="coerce")
    bad = out.isna() & ~text.isin(_WITHHELD)
    if whole:
        bad |= out.notna() & ((out < 0) | (out != np.floor(out)))
    bad |= out.notna() & ~np.isfinite(out.astype(float))
    for i in np.flatnonzero(bad.to_numpy())[:3]:
        kind = "a whole number of 0 or more" if whole else "a number"
        problems.append(
            _problem(
                path,
                int(i),
                column,
                f"{frame[column].iloc[i]!r} is not {kind} — write "
                f"{'e.g. 1250' if whole else 'e.g. 72.4 (no % sign or thousands separator)'}, "
                "or leave it empty if the publisher withheld it",
            )
        )
    return out.astype(float)


def read_imported(
    path: Path,
    indicator: NationalIndicator,
    source: str,
    areas_file: Path | None,
    polarity: str = "none",
) -> ImportedIndicator:
    """Read and check an import file (CSV, UTF-8, Fingertips column names)."""
    if polarity not in POLARITIES:
        raise ContractError(f"polarity {polarity!r}: use one of {', '.join(POLARITIES)}")
    if not source.strip():
        raise ContractError("say where the values come from (--source, e.g. 'Place Survey 2008')")
    if not path.is_file():
        raise NotFoundError(f"{path}: file not found — check the path")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContractError(
            f"{path}: not UTF-8 text (byte {exc.start}) — save it as CSV UTF-8 and import again"
        ) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ContractError(f"{path}: cannot be read as CSV ({exc}) — export it as CSV") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ContractError(
            f"{path}: column(s) missing: {', '.join(missing)} — an import file has the "
            f"Fingertips columns {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})"
        )
    if frame.empty:
        raise ContractError(f"{path}: no rows under the header — nothing to import")
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = ""
    levels, names, parent_of = _geography(areas_file)
    problems: list[str] = []
    codes = frame["Area Code"].str.strip()
    for i in np.flatnonzero((~codes.isin(levels)).to_numpy())[:3]:
        problems.append(
            _problem(
                path,
                int(i),
                "Area Code",
                f"{codes.iloc[i]!r} is not an area of this "
                "partnership (OA, LSOA, MSOA, ward, district or county code) — check the code",
            )
        )
    periods = frame["Time period"].str.strip()
    for i in np.flatnonzero((periods == "").to_numpy())[:3]:
        problems.append(_problem(path, int(i), "Time period", "empty — e.g. 2008/09"))
    value = _numbers(frame, "Value", path, problems)
    lower = _numbers(frame, "Lower CI 95.0 limit", path, problems)
    upper = _numbers(frame, "Upper CI 95.0 limit", path, problems)
    count = _numbers(frame, "Count", path, problems, whole=True)
    denominator = _numbers(frame, "Denominator", path, problems, whole=True)
    outside = (lower > value) | (upper < value) | (lower > upper)
    for i in np.flatnonzero(outside.to_numpy())[:3]:
        problems.append(
            _problem(
                path,
                int(i),
                "Lower CI 95.0 limit",
                "the interval does not contain the "
                "value (lower ≤ value ≤ upper) — check the columns are not swapped",
            )
        )
    for i in np.flatnonzero((count > denominator).to_numpy())[:3]:
        problems.append(
            _problem(path, int(i), "Count", "larger than the Denominator — check the columns")
        )
    repeated = pd.Series(list(zip(codes, periods, strict=True))).duplicated()
    for i in np.flatnonzero(repeated.to_numpy())[:3]:
        problems.append(
            _problem(
                path,
                int(i),
                "Area Code",
                f"{codes.iloc[i]} has a second row for "
                f"{periods.iloc[i]} — keep one row per area and period",
            )
        )
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ContractError(problems[0] + more + "; nothing was imported")
    table = pd.DataFrame(
        {
            "Indicator ID": indicator.id,
            "Indicator Name": indicator.title,
            "Area Code": codes,
            "Area Name": [names.get(c, c) for c in codes],
            "Area Type": [AREA_TYPES[levels[c]] for c in codes],
            "Time period": periods,
            "Value": value,
            "Lower CI 95.0 limit": lower,
            "Upper CI 95.0 limit": upper,
            "Lower CI 99.8 limit": math.nan,
            "Upper CI 99.8 limit": math.nan,
            "Count": count,
            "Denominator": denominator,
            "Value note": [
                f"{n.strip()}; source: {source.strip()}"
                if n.strip()
                else f"source: {source.strip()}"
                for n in frame["Value note"]
            ],
        }
    )
    parent_value = _parent_values(table, parent_of)
    table["Compared to parent"] = compare_with_parent(
        table["Value"],
        table["Lower CI 95.0 limit"],
        table["Upper CI 95.0 limit"],
        parent_value,
        polarity,  # type: ignore[arg-type]
    )
    by_level = {
        level: table[[levels[c] == level for c in table["Area Code"]]].reset_index(drop=True)
        for level in AREA_TYPES
    }
    return ImportedIndicator(
        indicator, source.strip(), path, {k: v for k, v in by_level.items() if len(v)}
    )


def _parent_values(table: pd.DataFrame, parent_of: Mapping[str, str]) -> np.ndarray:
    own = dict(
        zip(zip(table["Area Code"], table["Time period"], strict=True), table["Value"], strict=True)
    )
    return np.array(
        [
            own.get((parent_of.get(code, ""), period), math.nan)
            for code, period in zip(table["Area Code"], table["Time period"], strict=True)
        ],
        dtype=float,
    )


def _geography(areas_file: Path | None) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Area code → level, → name, → parent code (a ward's and smaller areas' parent is their
    district, as in the computed indicators; a district's is the county)."""
    if areas_file is None or not areas_file.is_file():
        raise ContractError(
            "this partnership has no area list (geography.areas in partnership.toml): imported "
            "values cannot be placed in its areas — add it, then import again"
        )
    areas = pd.read_csv(areas_file, dtype=str, keep_default_na=False)
    levels = dict(zip(areas["code"], areas["level"], strict=True))
    names = dict(zip(areas["code"], areas["name"], strict=True))
    return {c: lvl for c, lvl in levels.items() if lvl in AREA_TYPES}, names, listed_parents(areas)
