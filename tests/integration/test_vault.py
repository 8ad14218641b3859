"""Spec tests of the vault and identity store, run on DuckDB and on the local PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from partnerhub.schema import CANONICAL_TABLES, table
from partnerhub.vault import IdentityStore, Vault, connect_backend, vault_columns


@pytest.fixture(params=["duckdb", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "duckdb":
        yield "duckdb:///vault/vault.duckdb"
    else:
        yield request.getfixturevalue("pg_database") + "?schema=vault"


def spells(load_id: int, n: int, start: int = 0) -> pa.Table:
    return pa.table(
        {
            "partner": ["acute"] * n,
            "record_key": [f"{i:064x}" for i in range(start, start + n)],
            "spell_id": [f"S{i}" for i in range(start, start + n)],
            "admission_date": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)],
            "delayed_days": list(range(n)),
            "lsoa_code": ["E01900001"] * n,
            "dataset": ["spells"] * n,
            "load_id": [load_id] * n,
        }
    )


def test_tables_and_types(url: str, tmp_path: Path) -> None:
    vault = Vault(connect_backend(url, tmp_path))
    try:
        # the attribute tables and the area-level ones (operation, resource)
        loaded = sorted(n for n in CANONICAL_TABLES if table(n).kind in ("attribute", "area"))
        assert "operation" in loaded and "resource" in loaded
        assert [n for n in vault.backend.table_names() if not n.startswith("_")] == loaded
        area = vault.backend.ibis.table(
            "operation", database=getattr(vault.backend, "schema", None)
        ).schema()
        assert list(area.names) == [c for c, _ in vault_columns("operation")]
        assert "record_key" not in area.names and area["value"].is_floating()
        assert area["period_start"].is_date() and list(area.names)[-2:] == ["dataset", "load_id"]
        cols = vault.backend.ibis.table(
            "hospital_spell", database=getattr(vault.backend, "schema", None)
        ).schema()
        assert list(cols.names) == [c for c, _ in vault_columns("hospital_spell")]
        assert "postcode" not in cols.names  # only its areas are kept
        assert cols["admission_date"].is_date() and cols["delayed_days"].is_integer()
    finally:
        vault.close()


def test_a_transaction_commits_all_or_nothing(url: str, tmp_path: Path) -> None:
    vault = Vault(connect_backend(url, tmp_path))
    try:
        with vault.backend.transaction():
            vault.append("hospital_spell", spells(1, 5))
        with pytest.raises(RuntimeError, match="boom"), vault.backend.transaction():
            vault.append("hospital_spell", spells(2, 7, start=100))
            raise RuntimeError("boom")
        assert vault.backend.count("hospital_spell") == 5
        assert vault.load_ids() == {1}
    finally:
        vault.close()


def test_current_loads_supersede_and_keep_history(url: str, tmp_path: Path) -> None:
    vault = Vault(connect_backend(url, tmp_path))
    try:
        for load_id, n in ((1, 5), (2, 3)):
            with vault.backend.transaction():
                vault.append("hospital_spell", spells(load_id, n, start=10 * load_id))
        vault.sync_current({("acute", "spells"): ("hospital_spell", 2)})
        assert vault.current("hospital_spell").count().execute() == 3
        counts = {c.table: c for c in vault.counts()}
        assert (counts["hospital_spell"].rows, counts["hospital_spell"].current_rows) == (8, 3)
        # aggregation through Ibis, on the current load only
        expr = vault.current("hospital_spell").delayed_days.sum()
        assert expr.execute() == 0 + 1 + 2
        vault.sync_current({})
        assert vault.current("hospital_spell").count().execute() == 0
        assert vault.discard_loads([2]) == 3
        assert vault.load_ids() == {1}
    finally:
        vault.close()


def test_identity_store_is_a_separate_store(url: str, tmp_path: Path) -> None:
    identity_url = url.replace("schema=vault", "schema=identity").replace(
        "vault/vault.duckdb", "identity/identity.duckdb"
    )
    vault = Vault(connect_backend(url, tmp_path))
    identity = IdentityStore(connect_backend(identity_url, tmp_path))
    try:
        assert "source_record" not in vault.backend.table_names()
        assert "encoded_record" not in vault.backend.table_names()
        assert identity.backend.table_names() == [
            "encoded_record",
            "link_edge",
            "link_node",
            "person_change",
            "person_index",
            "review_pair",
            "source_record",
        ]
        row = pa.table(
            {
                "partner": ["acute"],
                "record_key": ["k" * 64],
                "dataset": ["spells"],
                "given_name": ["Robert"],
                "date_of_birth": [dt.date(1941, 3, 12)],
                "load_id": [1],
            }
        )
        with identity.backend.transaction():
            identity.append("source_record", row)
        assert identity.counts()[0].rows == 1
        assert all(c.rows == 0 for c in vault.counts())
    finally:
        vault.close()
        identity.close()
