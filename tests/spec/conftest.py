"""Spec tests of the cohort room (the ehrQL habit): each feature has a tiny vault written
inline as ASCII tables, and its cohort is computed by the planner on DuckDB and on PostgreSQL
(127.0.0.1, trust auth) and by the pandas reference engine. Both engines must give the rows the
test states.

A table is written as::

    record_key | source          | from_date  | to_date
    aa01       | gp_registration | 2023-01-01 |

— an empty cell is null; columns left out are null, except ``partner`` (default ``gp``) and
``dataset`` (default: the table's name), which say which load a row belongs to.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest

from partnerhub.identity.people import PERSON_COLUMNS
from partnerhub.vault import Vault, connect_backend, vault_columns
from partnerhub.vault.stores import PERSON_TABLE
from tests.integration.conftest import PG_SERVER
from tests.spec.tables import Load, Loaded, parse_table


@pytest.fixture(scope="session")
def pg_server_database() -> Iterator[str]:
    """One PostgreSQL database for the session; each test gets a schema of its own."""
    name = f"partnerhub_spec_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_vault_url(request: pytest.FixtureRequest) -> Callable[[], str]:
    """A URL of a new, empty vault at each call (a DuckDB file, or a PostgreSQL schema)."""
    if request.param == "duckdb":
        return lambda: f"duckdb:///vault/{uuid.uuid4().hex[:12]}.duckdb"
    database = request.getfixturevalue("pg_server_database")
    return lambda: f"{database}?schema=s_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def load(new_vault_url: Callable[[], str], tmp_path: Path) -> Iterator[Load]:
    """``load(person=..., residence=..., ...)``: a new vault holding these tables (each
    (partner, dataset) one current load) and this person table."""
    opened: list[Vault] = []

    def make(person: str = "", **tables: str) -> Loaded:
        vault = Vault(connect_backend(new_vault_url(), tmp_path))
        opened.append(vault)
        current: dict[tuple[str, str], tuple[str, int]] = {}
        with vault.backend.transaction():
            for name, text in tables.items():
                data = parse_table(text, vault_columns(name))
                partners = [p or "gp" for p in data.column("partner").to_pylist()]
                datasets = [d or name for d in data.column("dataset").to_pylist()]
                loads = []
                for key in zip(partners, datasets, strict=True):
                    if key not in current:
                        current[key] = (name, len(current) + 1)
                    loads.append(current[key][1])
                data = data.set_column(
                    data.schema.get_field_index("partner"), "partner", pa.array(partners)
                )
                data = data.set_column(
                    data.schema.get_field_index("dataset"), "dataset", pa.array(datasets)
                )
                data = data.set_column(
                    data.schema.get_field_index("load_id"), "load_id", pa.array(loads, pa.int64())
                )
                vault.append(name, data)
        vault.sync_current(current)
        people = parse_table(person or "partner | record_key", list(PERSON_COLUMNS))
        vault.backend.create_table(PERSON_TABLE, list(PERSON_COLUMNS))
        with vault.backend.transaction():
            vault.backend.append_arrow(PERSON_TABLE, people)
        return Loaded(vault, list(tables))

    yield make
    for vault in opened:
        vault.close()
