"""Boundaries for maps: one GeoJSON FeatureCollection (WGS84) per area level, each feature's
``properties.code`` an area code, in the folder `partnership.toml` names
(``[geography] boundaries``) as ``<level>.geojson`` (``lsoa.geojson``, ``ward.geojson``, ...).

The map chart (:mod:`partnerhub.indicators.charts`), `partnerhub indicators chart` and the
dashboard's boundaries route all find a level's file here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partnerhub.errors import NotFoundError
from partnerhub.geography.levels import LEVELS

if TYPE_CHECKING:
    from partnerhub.config import Partnership

__all__ = ["boundaries_folder", "boundary_file", "read_boundaries"]


def boundaries_folder(settings: Partnership) -> Path | None:
    """The configured boundaries folder, resolved against `partnership.toml`'s folder (None
    when none is configured)."""
    folder = settings.geography.boundaries
    return settings.resolve(folder) if folder else None


def boundary_file(folder: Path | None, level: str) -> Path | None:
    """The GeoJSON file of ``level`` in ``folder``; None when there is none: no folder, a name
    that is not an area level (so no other file of the folder is ever named), or no file."""
    if folder is None or level not in LEVELS:
        return None
    path = folder / f"{level}.geojson"
    return path if path.is_file() else None


def read_boundaries(folder: Path | None, level: str) -> dict[str, Any]:
    """The GeoJSON FeatureCollection of ``level`` in ``folder``, or a NotFoundError that says
    which setting to fill in."""
    path = boundary_file(folder, level)
    if path is None:
        raise NotFoundError(f"no boundaries for level {level!r} (geography.boundaries)")
    boundaries: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return boundaries
