"""The control plane on SQLite and PostgreSQL: Alembic migrations match the models; loads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from partnerhub.control import open_control_plane
from partnerhub.control.models import Base


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return "sqlite:///control/control.db"
    return str(request.getfixturevalue("pg_database"))


def test_migrations_build_exactly_the_models(url: str, tmp_path: Path) -> None:
    plane = open_control_plane(url, tmp_path)
    try:
        with plane.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            version = MigrationContext.configure(connection).get_current_revision()
        assert diff == []
        assert version == "0007"
        plane.migrate()  # idempotent
    finally:
        plane.close()


def test_release_provenance_migration_keeps_earlier_releases(url: str, tmp_path: Path) -> None:
    """0006 → 0007 on a control plane holding a release: the release survives untouched, its
    provenance columns empty; a release made after it carries its provenance."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from partnerhub.control.plane import _MIGRATIONS, sqlalchemy_url

    engine = create_engine(sqlalchemy_url(url, tmp_path))
    (tmp_path / "control").mkdir(exist_ok=True)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    row = {
        "title": "t",
        "requester": "a",
        "recipient": "acute",
        "purpose": "research",
        "output_kind": "aggregate",
        "agreement_id": "x",
        "agreement_sha256": "0" * 64,
        "query": "{}",
        "disclosure": "{}",
        "media_type": "text/csv",
        "content": "a,b\n",
        "content_sha256": "1" * 64,
        "created_at": pd.Timestamp("2026-01-01").to_pydatetime(),
    }
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        names = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        connection.execute(text(f"INSERT INTO release ({names}) VALUES ({marks})"), row)
    engine.dispose()
    plane = open_control_plane(url, tmp_path)  # migrates to the newest
    try:
        with plane.engine.connect() as connection:
            got = connection.execute(
                text(
                    "SELECT title, content, capability, subject, level, period_first, "
                    "period_last FROM release"
                )
            ).one()
        assert tuple(got) == ("t", "a,b\n", None, None, None, None, None)
        with plane.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")  # and back, for an operator who must
            command.upgrade(config, "head")
    finally:
        plane.close()


def test_loads_current_superseded_and_removed(url: str, tmp_path: Path) -> None:
    plane = open_control_plane(url, tmp_path)
    meta = {
        "partner": "acute",
        "dataset": "spells",
        "contract": "acute/spells",
        "table_name": "hospital_spell",
        "file_name": "spells.csv",
        "file_bytes": 10,
    }
    try:
        problems = pd.DataFrame(
            {"line": [3, 3], "column": ["A", "B"], "value": ["x", ""], "reason": ["r1", "r2"]}
        )
        first = plane.begin_load(file_sha256="a" * 64, **meta)
        plane.finish_load(
            first,
            received=3,
            loaded=2,
            quarantined=1,
            report={},
            quarantine=problems,
            contract_sha256="f" * 64,
        )
        second = plane.begin_load(file_sha256="b" * 64, **meta)
        assert plane.pending_loads() == [second]
        assert plane.current_loads()[("acute", "spells")].id == first  # pending is not current
        plane.finish_load(
            second,
            received=1,
            loaded=1,
            quarantined=0,
            report={},
            quarantine=problems[:0],
            contract_sha256="e" * 64,
        )
        assert plane.current_loads()[("acute", "spells")].id == second
        assert plane.committed_load_ids() == {first, second}
        found = plane.loaded_with_hash("acute", "spells", "a" * 64)
        assert found is not None and found.id == first
        assert plane.quarantine_of(first).to_dict("list") == problems.to_dict("list")
        rejected = plane.reject_load(file_sha256="c" * 64, message="not a CSV", **meta)
        assert plane.current_loads()[("acute", "spells")].id == second
        assert [ld.status for ld in plane.history()] == ["rejected", "loaded", "loaded"]
        plane.remove_load(rejected)
        assert len(plane.history()) == 2
        (only,) = plane.datasets()
        assert only.contract_sha256 == "e" * 64 and only.updated_at >= only.registered_at
    finally:
        plane.close()


def test_upgrading_from_0001_keeps_the_load_history(url: str, tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from partnerhub.control.plane import _MIGRATIONS, sqlalchemy_url

    engine = create_engine(sqlalchemy_url(url, tmp_path))
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO load (partner, dataset, contract, table_name, file_name, "
                "file_sha256, file_bytes, status, started_at) VALUES ('gp', 'registrations', "
                "'gp/registrations', 'residence', 'r.csv', 'x', 1, 'loaded', "
                "'2026-01-02 03:04:05')"
            )
        )
    engine.dispose()
    plane = open_control_plane(url, tmp_path)  # migrates to head
    try:
        (dataset,) = plane.datasets()
        assert (dataset.partner, dataset.dataset, dataset.table_name) == (
            "gp",
            "registrations",
            "residence",
        )
        assert len(plane.history()) == 1
    finally:
        plane.close()
