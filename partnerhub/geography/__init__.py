"""Geography: ONS area codes, the area levels (defined once, in :mod:`.levels`), parents and
roll-ups of areas, the postcode lookup layout PartnerHub resolves with, and the boundaries of
each level for maps (:mod:`.boundaries`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from partnerhub.geography.codes import (
    COUNTRY,
    COUNTY,
    ENGLAND,
    IMD_N_LSOAS,
    LAD,
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
from partnerhub.geography.levels import (
    AREA_LEVELS,
    COUNT_LEVELS,
    INDICATOR_LEVELS,
    LEVEL_PREFIXES,
    LEVELS,
    POSTCODE_LEVELS,
    CountLevel,
    Level,
    area_field,
    level_names,
    level_phrases,
    level_plurals,
    one_of,
    with_comparators,
)

# Codes and levels are plain Python; the lookup, the areas and the roll-ups need pandas, so they
# load on first use (the CLI starts without pandas: tests/unit/test_architecture.py); the
# boundaries too, as only maps read them.
_LAZY = {
    "Areas": "areas",
    "partnership_areas": "areas",
    "AREA_FIELDS": "lookup",
    "PostcodeLookup": "lookup",
    "load_postcode_lookup": "lookup",
    "TOTAL": "rollup",
    "UNRESOLVED": "rollup",
    "area_parents": "rollup",
    "boundaries_folder": "boundaries",
    "boundary_file": "boundaries",
    "read_boundaries": "boundaries",
    "areas_in_order": "rollup",
    "district_parents": "rollup",
    "sum_to_parents": "rollup",
    "best_fit": "rollup",
    "decile_code": "rollup",
    "is_decile_code": "rollup",
    "listed_parents": "rollup",
    "roll_up": "rollup",
}

if TYPE_CHECKING:
    from partnerhub.geography.areas import Areas, partnership_areas
    from partnerhub.geography.boundaries import boundaries_folder, boundary_file, read_boundaries
    from partnerhub.geography.lookup import AREA_FIELDS, PostcodeLookup, load_postcode_lookup
    from partnerhub.geography.rollup import (
        TOTAL,
        UNRESOLVED,
        area_parents,
        areas_in_order,
        best_fit,
        decile_code,
        district_parents,
        is_decile_code,
        listed_parents,
        roll_up,
        sum_to_parents,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "AREA_FIELDS",
    "AREA_LEVELS",
    "COUNTRY",
    "COUNTY",
    "COUNT_LEVELS",
    "ENGLAND",
    "IMD_N_LSOAS",
    "INDICATOR_LEVELS",
    "LAD",
    "LEVELS",
    "LEVEL_PREFIXES",
    "LSOA",
    "MSOA",
    "NSPL_COLUMNS",
    "NSPL_COLUMN_MEANINGS",
    "OA",
    "PCON",
    "POSTCODE_LEVELS",
    "REGION",
    "SYNTHETIC_FIRST",
    "SYNTHETIC_LAST",
    "TOTAL",
    "UNRESOLVED",
    "WARD",
    "Areas",
    "CountLevel",
    "Level",
    "PostcodeLookup",
    "area_field",
    "area_parents",
    "areas_in_order",
    "best_fit",
    "boundaries_folder",
    "boundary_file",
    "decile_code",
    "district_parents",
    "is_decile_code",
    "is_synthetic_code",
    "level_names",
    "level_phrases",
    "level_plurals",
    "listed_parents",
    "load_postcode_lookup",
    "one_of",
    "partnership_areas",
    "read_boundaries",
    "roll_up",
    "sum_to_parents",
    "synthetic_code",
    "with_comparators",
]
