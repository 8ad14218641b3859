"""Every area of the partnership, level by level, with the district (LAD) each lies in — so that
a count table lists every area, the empty ones too (an area left out of a table says "nobody
here" as loudly as a zero)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from partnerhub.errors import ConfigError
from partnerhub.geography.lookup import AREA_FIELDS, load_postcode_lookup

__all__ = ["partnership_areas"]

_LEVELS = tuple(f.removesuffix("_code") for f in AREA_FIELDS)  # oa, lsoa, msoa, ward, lad


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
        key = f"{level}_code"
        pairs = table[[key, "lad_code"]].dropna()
        if level == "lad":
            g = pd.DataFrame({"code": pairs[key].unique()})
            g["lad_code"] = g["code"]
        else:
            g = (
                pairs.groupby([key, "lad_code"], as_index=False)
                .size()
                .sort_values([key, "size", "lad_code"], ascending=[True, False, True])
                .drop_duplicates(key)
                .rename(columns={key: "code"})[["code", "lad_code"]]
            )
        g.insert(0, "level", level)
        frames.append(g)
    return pd.concat(frames, ignore_index=True)
