"""The postcode lookup: an ONS National Statistics Postcode Lookup (NSPL) file, or the synthetic
one `partnerhub synth` writes in the same layout, resolving a postcode *at a date* to its areas.

A postcode is used only between its introduction (``dointr``) and termination (``doterm``,
empty while live), both ``yyyymm``. NSPL editions spell the 2021 area columns either ``oa21``
or ``oa21cd`` (and likewise for LSOA and MSOA); both are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from partnerhub.errors import ConfigError, NotFoundError

__all__ = ["AREA_FIELDS", "PostcodeLookup", "load_postcode_lookup"]

# canonical area field → accepted NSPL column names, in order of preference
_COLUMNS: dict[str, tuple[str, ...]] = {
    "oa_code": ("oa21cd", "oa21", "oa11cd", "oa11"),
    "lsoa_code": ("lsoa21cd", "lsoa21", "lsoa11cd", "lsoa11"),
    "msoa_code": ("msoa21cd", "msoa21", "msoa11cd", "msoa11"),
    "ward_code": ("ward", "osward"),
    "lad_code": ("laua", "oslaua"),
}
AREA_FIELDS: tuple[str, ...] = tuple(_COLUMNS)


def _compact(values: pd.Series) -> pd.Series:
    return values.astype(str).str.replace(r"\s+", "", regex=True).str.upper()


@dataclass(frozen=True)
class PostcodeLookup:
    """Postcode → areas, with the months each postcode was in use."""

    table: pd.DataFrame  # key (postcode without spaces), dointr, doterm (yyyymm ints), areas

    def resolve(self, postcodes: pd.Series, dates: pd.Series) -> pd.DataFrame:
        """Areas of each (postcode, date); all-missing where the postcode is unknown or was
        not in use on that date. Returned in the same order, with a ``postcode_status`` of
        ``ok``, ``unknown`` or ``not_in_use``."""
        key = _compact(postcodes.fillna(""))
        when = pd.to_datetime(dates, errors="coerce")
        yyyymm = (when.dt.year * 100 + when.dt.month).fillna(0).astype(np.int64).to_numpy()
        t = self.table.set_index("key")
        found = key.isin(t.index).to_numpy()
        rows = t.reindex(key.to_numpy())
        start = rows["dointr"].fillna(0).to_numpy(dtype=np.int64)
        end = rows["doterm"].fillna(999999).to_numpy(dtype=np.int64)
        undated = yyyymm == 0
        in_use = found & (undated | ((yyyymm >= start) & (yyyymm < end)))
        out = pd.DataFrame(index=postcodes.index)
        for field in AREA_FIELDS:
            out[field] = np.where(in_use, rows[field].to_numpy(), None)
        out["postcode_status"] = np.where(in_use, "ok", np.where(found, "not_in_use", "unknown"))
        return out


def load_postcode_lookup(path: Path) -> PostcodeLookup:
    """Read an NSPL-layout CSV; a missing column is named with the fix."""
    if not path.exists():
        raise NotFoundError(f"{path}: postcode lookup not found — set geography.postcode_lookup")
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns.str.lower().tolist()
    chosen: dict[str, str] = {}
    for field, names in _COLUMNS.items():
        name = next((n for n in names if n in header), None)
        if name is None:
            raise ConfigError(
                f"{path}: no {field} column (looked for {', '.join(names)}) — is this an ONS "
                "National Statistics Postcode Lookup file?"
            )
        chosen[field] = name
    for required in ("pcds", "dointr", "doterm"):
        if required not in header:
            raise ConfigError(f"{path}: no {required} column — use an NSPL-layout file")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = frame.columns.str.lower()
    table = pd.DataFrame({"key": _compact(frame["pcds"])})
    for col in ("dointr", "doterm"):
        table[col] = pd.to_numeric(frame[col].replace("", np.nan), errors="coerce").astype("Int64")
    for field, name in chosen.items():
        table[field] = frame[name].replace("", None)
    return PostcodeLookup(table.drop_duplicates("key", keep="last").reset_index(drop=True))
