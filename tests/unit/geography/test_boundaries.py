"""A level's boundaries are found in one place (the map chart, `partnerhub indicators chart` and
the dashboard's boundaries route all use it): the file, and a clear error when there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from partnerhub.errors import NotFoundError
from partnerhub.geography import boundaries_folder, boundary_file, read_boundaries

WARDS = {"type": "FeatureCollection", "features": [{"properties": {"code": "E05999001"}}]}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "boundaries"
    out.mkdir()
    (out / "ward.geojson").write_text(json.dumps(WARDS), encoding="utf-8")
    (out / "secret.geojson").write_text("{}", encoding="utf-8")
    (out / "lsoa.geojson").mkdir()  # not a file
    return out


def test_a_levels_file_is_found_and_read(folder: Path) -> None:
    assert boundary_file(folder, "ward") == folder / "ward.geojson"
    assert read_boundaries(folder, "ward") == WARDS


@pytest.mark.parametrize("level", ["lad", "lsoa", "secret", "../boundaries/ward"])
def test_no_file_or_no_area_level_is_no_boundaries(folder: Path, level: str) -> None:
    assert boundary_file(folder, level) is None
    with pytest.raises(NotFoundError, match=rf"no boundaries for level '{level}' \(geography"):
        read_boundaries(folder, level)


def test_no_folder_configured_is_no_boundaries() -> None:
    assert boundary_file(None, "ward") is None
    message = r"^no boundaries for level 'ward' \(geography\.boundaries\)$"
    with pytest.raises(NotFoundError, match=message):
        read_boundaries(None, "ward")


def test_the_folder_is_resolved_against_the_partnership(tmp_path: Path) -> None:
    from partnerhub.config import load_partnership, write_example

    toml = tmp_path / "partnership.toml"
    write_example(toml)
    settings = load_partnership(toml)
    assert boundaries_folder(settings) == tmp_path / "geography" / "boundaries"
    unset = settings.model_copy(
        update={"geography": settings.geography.model_copy(update={"boundaries": None})}
    )
    assert boundaries_folder(unset) is None
