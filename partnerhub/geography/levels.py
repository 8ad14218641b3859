"""The area levels of PartnerHub, defined once: their codes, the names people read, their order,
the parent of each, what kind of area each is and which outputs may be broken down by it.

Every other package (the gate, the indicators, the web pages, the CLI) takes its levels from
here. Output areas, LSOAs and MSOAs are *statistical* areas built for the census, which nest
(OA → LSOA → MSOA → district); wards, districts and the county are *administrative* areas
(wards are built from OAs and fitted to a district by best fit, they do not nest with LSOAs);
an IMD decile is *derived*: the LSOAs of one tenth of the national deprivation ranking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

from partnerhub.geography.codes import COUNTY, LAD, LSOA, MSOA, OA, WARD

__all__ = [
    "AREA_LEVELS",
    "COUNT_LEVELS",
    "INDICATOR_LEVELS",
    "LEVELS",
    "LEVEL_PREFIXES",
    "POSTCODE_LEVELS",
    "CountLevel",
    "Level",
    "area_field",
    "level_names",
    "level_phrases",
    "level_plurals",
    "one_of",
    "with_comparators",
]

# The levels the gate's count tables may be broken down by (a request body is checked against
# this type; COUNT_LEVELS below is derived from it and checked against the table).
CountLevel = Literal["oa", "lsoa", "msoa", "ward", "lad"]

Kind = Literal["statistical", "administrative", "derived"]
Output = Literal["count", "indicator"]


@dataclass(frozen=True)
class Level:
    """One area level: ``code`` is the internal name ("lsoa"), ``name`` what a picker shows,
    ``phrase`` what a sentence says ("by district"), ``plural`` "among the districts".
    ``parent`` is the level an area of this one lies in (wards by best fit), ``compared_with``
    the level an indicator value is compared to, ``prefix`` the ONS entity prefix of its codes
    (None for IMD deciles), ``postcode`` whether the postcode lookup resolves to it (so a vault
    row carries its ``<code>_code``), ``outputs`` the outputs that may be broken down by it,
    and ``fingertips`` the area type Fingertips (OHID's indicator tables) calls it.
    """

    code: str
    name: str
    phrase: str
    plural: str
    parent: str | None
    compared_with: str | None
    kind: Kind
    prefix: str | None
    postcode: bool
    outputs: frozenset[Output]
    fingertips: str | None


_BOTH: frozenset[Output] = frozenset({"count", "indicator"})
_INDICATOR: frozenset[Output] = frozenset({"indicator"})

# smallest to largest; the order pages list them in
# fmt: off
_TABLE = (
    Level("oa", "Output area", "output area", "output areas", "lsoa", "lad", "statistical", OA, True, _BOTH, "Output area"),  # noqa: E501
    Level("lsoa", "LSOA (neighbourhood)", "LSOA (neighbourhood)", "LSOAs (neighbourhoods)", "msoa", "lad", "statistical", LSOA, True, _BOTH, "LSOA"),  # noqa: E501
    Level("msoa", "MSOA (local area)", "MSOA (local area)", "MSOAs (local areas)", "lad", "lad", "statistical", MSOA, True, _BOTH, "MSOA"),  # noqa: E501
    Level("ward", "Ward", "ward", "wards", "lad", "lad", "administrative", WARD, True, _BOTH, "Ward"),  # noqa: E501
    Level("lad", "District", "district", "districts", "county", "county", "administrative", LAD, True, _BOTH, "District & UA"),  # noqa: E501
    Level("county", "County", "county", "counties", None, None, "administrative", COUNTY, False, _INDICATOR, "County & UA"),  # noqa: E501
    Level("imd_decile", "IMD decile", "IMD decile", "IMD deciles", "county", "county", "derived", None, False, _INDICATOR, None),  # noqa: E501
)
# fmt: on

LEVELS: Mapping[str, Level] = MappingProxyType({lvl.code: lvl for lvl in _TABLE})

# the geographic hierarchy (no IMD deciles): oa, lsoa, msoa, ward, lad, county
AREA_LEVELS: tuple[str, ...] = tuple(lvl.code for lvl in _TABLE if lvl.prefix is not None)
# the levels the postcode lookup resolves to, each a ``<level>_code`` field of a vault row
POSTCODE_LEVELS: tuple[str, ...] = tuple(lvl.code for lvl in _TABLE if lvl.postcode)
# what the gate counts by, and what indicators are released by
COUNT_LEVELS: tuple[str, ...] = tuple(lvl.code for lvl in _TABLE if "count" in lvl.outputs)
INDICATOR_LEVELS: tuple[str, ...] = tuple(lvl.code for lvl in _TABLE if "indicator" in lvl.outputs)

LEVEL_PREFIXES: Mapping[str, str] = MappingProxyType(
    {lvl.code: lvl.prefix for lvl in _TABLE if lvl.prefix is not None}
)

if get_args(CountLevel) != COUNT_LEVELS:  # pragma: no cover - a mistake in this file
    raise AssertionError(f"CountLevel {get_args(CountLevel)} differs from {COUNT_LEVELS}")


def area_field(level: str) -> str:
    """The vault column holding an area of ``level`` ("lsoa" → "lsoa_code")."""
    if not LEVELS[level].postcode:
        raise ValueError(f"no vault column holds areas of level {level!r}")
    return f"{level}_code"


def with_comparators(level: str) -> list[str]:
    """``level`` and the levels its areas are compared with, up to the county:
    "lsoa" → lsoa, lad, county; "imd_decile" → imd_decile, county."""
    chain = [level]
    while (up := LEVELS[chain[-1]].compared_with) is not None:
        chain.append(up)
    return chain


def level_names() -> dict[str, str]:
    """Level → the name a picker shows, in page order."""
    return {lvl.code: lvl.name for lvl in _TABLE}


def level_phrases() -> dict[str, str]:
    """Level → how a sentence names it ("by district")."""
    return {lvl.code: lvl.phrase for lvl in _TABLE}


def level_plurals() -> dict[str, str]:
    """Level → its plural ("among the districts")."""
    return {lvl.code: lvl.plural for lvl in _TABLE}


def one_of(levels: tuple[str, ...], last: str = ", ") -> str:
    """The levels as a list for a message: ``one_of(COUNT_LEVELS)`` → "oa, lsoa, ..., lad"."""
    if last == ", " or len(levels) < 2:
        return ", ".join(levels)
    return f"{', '.join(levels[:-1])}{last}{levels[-1]}"
