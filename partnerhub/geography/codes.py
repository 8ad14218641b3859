"""ONS geography codes, area levels and the NSPL column layout used by PartnerHub.

ONS GSS entity codes are nine characters: a three-character entity prefix (a country letter and
two digits, e.g. ``E01`` for an English LSOA) followed by six digits. ONS numbers the areas of an
entity from ``000001`` upward (E01000001, E01000002, ...), and no entity has come anywhere near
900,000 areas. ONS does use ``999999`` as a *pseudo code* ("not applicable", e.g. E99999999).

Synthetic areas made by :mod:`partnerhub.synth` use the reserved range ``900001``-``999998``
after the prefix: the first synthetic LSOA is ``E01900001``. ONS has never issued a code in
that range, and the pseudo code ``999999`` is left out of it, so a synthetic code can never be
mistaken for a real one and real and synthetic data can never be joined by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "COUNTRY",
    "COUNTY",
    "ENGLAND",
    "IMD_N_LSOAS",
    "LAD",
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
    "is_synthetic_code",
    "synthetic_code",
]

# Entity prefixes (England).
OA = "E00"  # 2021 Census Output Area
LSOA = "E01"  # 2021 Lower layer Super Output Area
MSOA = "E02"  # 2021 Middle layer Super Output Area
WARD = "E05"  # electoral ward
LAD = "E07"  # shire (non-metropolitan) district
COUNTY = "E10"  # shire county
REGION = "E12"  # region (former Government Office Region)
COUNTRY = "E92"  # country
PCON = "E14"  # Westminster parliamentary constituency

ENGLAND = "E92000001"  # the real country code of England (not synthetic)

# The area levels and the prefix of each are defined in :mod:`partnerhub.geography.levels`.

# Number of English LSOAs ranked by the Index of Multiple Deprivation (IMD 2019, 2011 LSOAs);
# the NSPL ``imd`` column is a rank in 1..IMD_N_LSOAS with 1 the most deprived.
IMD_N_LSOAS = 32_844

SYNTHETIC_FIRST = 900_001
SYNTHETIC_LAST = 999_998  # 999999 is an ONS pseudo code, never synthetic

_PREFIX = re.compile(r"[A-Z][0-9]{2}")
_CODE = re.compile(r"[A-Z][0-9]{8}")


def synthetic_code(prefix: str, n: int) -> str:
    """The ``n``-th synthetic code of an entity, counting from 1: ``("E01", 1)`` -> E01900001."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"entity prefix must be a letter and two digits like 'E01', got {prefix!r}"
        )
    number = SYNTHETIC_FIRST - 1 + n
    if not SYNTHETIC_FIRST <= number <= SYNTHETIC_LAST:
        limit = SYNTHETIC_LAST - SYNTHETIC_FIRST + 1
        raise ValueError(f"synthetic area number must be in 1..{limit}, got {n}")
    return f"{prefix}{number:06d}"


def is_synthetic_code(code: str) -> bool:
    """True if ``code`` is a nine-character GSS code in the reserved synthetic range."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return False
    return SYNTHETIC_FIRST <= int(code[3:]) <= SYNTHETIC_LAST


# ONS National Statistics Postcode Lookup, 2021-census-based editions: the columns PartnerHub
# reads and `partnerhub synth` writes, in the NSPL's own order. Some NSPL editions head the
# census-area columns ``oa21``, ``lsoa21`` and ``msoa21``; a loader should accept either spelling.
NSPL_COLUMN_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        "pcd": "unit postcode, 7-character form: outward code left-justified in 4 + inward code",
        "pcd2": "unit postcode, 8-character form: outward code left-justified in 5 + inward code",
        "pcds": "unit postcode, variable length with one space (e.g. 'XP1 4DJ')",
        "dointr": "date of introduction, yyyymm",
        "doterm": "date of termination, yyyymm; empty while the postcode is live",
        "usertype": "0 = small user (ordinary addresses), 1 = large user (one big mail receiver)",
        "oseast1m": "Ordnance Survey grid easting, metres",
        "osnrth1m": "Ordnance Survey grid northing, metres",
        "osgrdind": "grid reference quality; 1 = within the building of the matched address",
        "oa21cd": "2021 Census Output Area",
        "cty": "county (shire county; pseudo code elsewhere)",
        "ced": "county electoral division (may be empty)",
        "laua": "local authority district",
        "ward": "electoral ward",
        "ctry": "country",
        "rgn": "region",
        "pcon": "Westminster parliamentary constituency",
        "lsoa21cd": "2021 Census Lower layer Super Output Area",
        "msoa21cd": "2021 Census Middle layer Super Output Area",
        "ruc21ind": "2021 Rural-Urban Classification (UN1, UF1, RLN1, RLF1, RSN1, RSF1)",
        "lat": "latitude, WGS84 decimal degrees",
        "long": "longitude, WGS84 decimal degrees",
        "imd": "Index of Multiple Deprivation rank of the LSOA, 1 = most deprived of 32,844",
    }
)
NSPL_COLUMNS: tuple[str, ...] = tuple(NSPL_COLUMN_MEANINGS)
