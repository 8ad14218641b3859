"""Every area of the partnership, level by level, with the district (LAD) each lies in — so that
a count table lists every area, the empty ones too (an area left out of a table says "nobody
here" as loudly as a zero)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from partnerhub.errors import ConfigError
from partnerhub.geography.levels import POSTCODE_LEVELS, area_field
from partnerhub.geography.lookup import load_postcode_lookup
from partnerhub.geography.rollup import best_fit, is_decile_code

__all__ = ["Areas", "partnership_areas"]

_LEVELS = POSTCODE_LEVELS  # oa, lsoa, msoa, ward, lad


@dataclass(frozen=True)
class Areas:
    """Names, county code and LSOA IMD deciles (from ``geography.areas``; codes otherwise)."""

    names: dict[str, str]
    county: str
    imd_decile: dict[str, int]

    @classmethod
    def load(cls, path: Path | None) -> Areas:
        if path is None or not path.exists():
            return cls({}, "county", {})
        frame = pd.read_csv(path, dtype=str)
        names = dict(zip(frame["code"], frame["name"], strict=True))
        county = frame.loc[frame["level"] == "county", "code"]
        lsoas = frame[(frame["level"] == "lsoa") & frame["imd_decile"].notna()]
        deciles = {
            c: int(float(d)) for c, d in zip(lsoas["code"], lsoas["imd_decile"], strict=True)
        }
        return cls(names, str(county.iloc[0]) if len(county) else "county", deciles)

    def name(self, code: str) -> str:
        if is_decile_code(code):
            return code
        return self.names.get(code, code)


def partnership_areas(postcode_lookup: Path, areas: Path | None = None) -> pd.DataFrame:
    """One row per (level, code) with its ``lad_code``: from the areas file (``geography.areas``:
    the partnership's own list) when it is configured, else from every area the postcode lookup
    can resolve to (a ward split across districts goes to the one holding most postcodes)."""
    if areas is not None and areas.exists():
        frame = pd.read_csv(areas, dtype=str, keep_default_na=False)
        missing = {"level", "code", "lad_code"} - set(frame.columns)
        if missing:
            raise ConfigError(
                f"{areas}: no {', '.join(sorted(missing))} column — the areas file needs "
                "level, code and lad_code (see docs/configuration.md)"
            )
        chosen = frame[frame["level"].isin(_LEVELS)]
        lad = chosen["lad_code"].where(chosen["level"] != "lad", chosen["code"])
        out = pd.DataFrame({"level": chosen["level"], "code": chosen["code"], "lad_code": lad})
        return out.drop_duplicates(["level", "code"]).reset_index(drop=True)
    table = load_postcode_lookup(postcode_lookup).table
    frames = []
    for level in _LEVELS:
        key = area_field(level)
        pairs = table[[key, "lad_code"]].dropna()
        if level == "lad":
            g = pd.DataFrame({"code": pairs[key].unique()})
            g["lad_code"] = g["code"]
        else:
            g = best_fit(pairs, key, "lad_code").rename(columns={key: "code"})
        g.insert(0, "level", level)
        frames.append(g)
    return pd.concat(frames, ignore_index=True)
