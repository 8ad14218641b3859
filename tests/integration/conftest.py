"""Fixtures for tests against real stores: a small synthetic partnership (generated once), a
fresh copy of it per test, and PostgreSQL databases created and dropped per test."""

from __future__ import annotations

import re
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from partnerhub.synth.partnership import generate

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture(scope="session")
def synthetic_partnership(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("partnership") / "p"
    generate(out, 3000, seed=5)
    return out


@pytest.fixture
def partnership(synthetic_partnership: Path, tmp_path: Path) -> Path:
    """A private copy (stores are created inside it by the first ingest)."""
    out = tmp_path / "p"
    shutil.copytree(synthetic_partnership, out)
    return out


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the local server; dropped afterwards."""
    name = f"partnerhub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def use_postgres(partnership: Path, database: str) -> None:
    """Point a partnership's vault, identity store and control plane at PostgreSQL."""
    toml = partnership / "partnership.toml"
    text = toml.read_text()
    for section, url in (
        ("vault", f"{database}?schema=vault"),
        ("identity_store", f"{database}?schema=identity"),
        ("control_plane", database),
    ):
        text = re.sub(
            rf'(\[{section}\]\nurl = )"[^"]*"', lambda m, u=url: f'{m.group(1)}"{u}"', text
        )
    toml.write_text(text)


def duckdb_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a DuckDB file, rows sorted."""
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def sqlite_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    if not path.exists():
        return {}
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(con.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        con.close()


def snapshot(partnership: Path) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """The whole state of a partnership's default (DuckDB + SQLite) stores."""
    return {
        "vault": duckdb_snapshot(partnership / "vault" / "vault.duckdb"),
        "identity": duckdb_snapshot(partnership / "identity" / "identity.duckdb"),
        "control": sqlite_snapshot(partnership / "control" / "control.db"),
    }


def duckdb_text(path: Path) -> str:
    """The text of every value, one per line, then the file's raw bytes (a planted string
    stored uncompressed would show there even if no query returned it)."""
    raw = path.read_bytes().decode("latin-1")
    con = duckdb.connect(str(path), read_only=True)
    try:
        values: list[str] = []
        for (name,) in con.execute("SHOW TABLES").fetchall():
            described = con.execute(f'DESCRIBE "{name}"').fetchall()
            values += [f"column:{name}.{r[0]}" for r in described]
            for row in con.execute(f'SELECT * FROM "{name}"').fetchall():
                values.extend(str(v) for v in row)
    finally:
        con.close()
    return "\n".join(values) + "\n" + raw
