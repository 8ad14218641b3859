"""Geography: ONS area codes and levels, and the postcode lookup layout PartnerHub resolves with."""

from __future__ import annotations

from partnerhub.geography.areas import partnership_areas
from partnerhub.geography.codes import (
    AREA_LEVELS,
    COUNTRY,
    COUNTY,
    ENGLAND,
    IMD_N_LSOAS,
    LAD,
    LEVEL_PREFIXES,
    LSOA,
    MSOA,
    NSPL_COLUMN_MEANINGS,
    NSPL_COLUMNS,
    OA,
    PCON,
    REGION,
    SYNTHETIC_FIRST,
    SYNTHETIC_LAST,
    WARD,
    is_synthetic_code,
    synthetic_code,
)
from partnerhub.geography.lookup import AREA_FIELDS, PostcodeLookup, load_postcode_lookup

__all__ = [
    "AREA_FIELDS",
    "AREA_LEVELS",
    "COUNTRY",
    "COUNTY",
    "ENGLAND",
    "IMD_N_LSOAS",
    "LAD",
    "LEVEL_PREFIXES",
    "LSOA",
    "MSOA",
    "NSPL_COLUMNS",
    "NSPL_COLUMN_MEANINGS",
    "OA",
    "PCON",
    "REGION",
    "SYNTHETIC_FIRST",
    "SYNTHETIC_LAST",
    "WARD",
    "PostcodeLookup",
    "is_synthetic_code",
    "load_postcode_lookup",
    "partnership_areas",
    "synthetic_code",
]
