"""The vault as a builder sees it through the gate (:class:`ScopedVault`): the rows of the
authorised datasets only, the authorised columns plus bookkeeping (and the areas when the
postcode is authorised), nothing else readable and nothing writable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from ibis.common.exceptions import IbisError

from partnerhub.errors import PermissionDeniedError
from partnerhub.vault import ScopedVault, Vault, connect_backend
from partnerhub.vault.scoped import scope_of

TABLES = {("fire", "visits"): "service_contact", ("vcs", "support"): "service_contact"}
AREAS = ("oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code")


def _contacts(partner: str, dataset: str, n: int, load_id: int) -> pa.Table:
    return pa.table(
        {
            "partner": [partner] * n,
            "record_key": [f"{i:02x}{partner}" for i in range(n)],
            "service": ["home_safety_visit"] * n,
            "contact_date": [dt.date(2024, 1, 1 + i) for i in range(n)],
            **{a: [f"{a}-{i % 2}"] * 1 * n for i, a in enumerate(AREAS)},
            "dataset": [dataset] * n,
            "load_id": [load_id] * n,
        }
    )


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    v = Vault(connect_backend("duckdb:///vault.duckdb", tmp_path))
    with v.backend.transaction():
        v.append("service_contact", _contacts("fire", "visits", 5, 1))
        v.append("service_contact", _contacts("vcs", "support", 3, 2))
    v.sync_current(
        {("fire", "visits"): ("service_contact", 1), ("vcs", "support"): ("service_contact", 2)}
    )
    yield v
    v.close()


def test_only_the_authorised_datasets_rows_and_columns_are_readable(vault: Vault) -> None:
    scoped = ScopedVault(vault, [("fire", "visits", "contact_date")], TABLES)
    rows = scoped.current("service_contact").to_pandas()
    assert list(rows.columns) == ["partner", "record_key", "contact_date", "dataset", "load_id"]
    assert set(rows["partner"]) == {"fire"} and len(rows) == 5
    assert scoped.table_names == ("service_contact",)


def test_the_postcode_authorises_the_areas_resolved_from_it(vault: Vault) -> None:
    scoped = ScopedVault(vault, [("fire", "visits", "postcode")], TABLES)
    columns = scoped.current("service_contact").columns
    assert [c for c in columns if c.endswith("_code")] == list(AREAS)
    assert "service" not in columns and "contact_date" not in columns


def test_reading_an_unauthorised_field_or_table_fails(vault: Vault) -> None:
    scoped = ScopedVault(vault, [("fire", "visits", "contact_date")], TABLES)
    t = scoped.current("service_contact")
    with pytest.raises((AttributeError, IbisError)):
        t.service.value_counts().to_pandas()
    with pytest.raises((AttributeError, IbisError)):
        t["lsoa_code"]  # no postcode authorised: no areas either
    with pytest.raises(PermissionDeniedError, match="not authorised to read table 'death'"):
        scoped.current("death")


def test_a_field_shows_only_when_every_dataset_of_the_table_shares_it(vault: Vault) -> None:
    fields = [
        ("fire", "visits", "service"),
        ("fire", "visits", "contact_date"),
        ("vcs", "support", "service"),
    ]
    scoped = ScopedVault(vault, fields, TABLES)
    rows = scoped.current("service_contact").to_pandas()
    assert "service" in rows.columns and "contact_date" not in rows.columns
    assert sorted(set(rows["partner"])) == ["fire", "vcs"] and len(rows) == 8
    datasets, _ = scope_of(fields, TABLES)["service_contact"]
    assert datasets == (("fire", "visits"), ("vcs", "support"))


def test_nothing_is_written_through_a_view(vault: Vault) -> None:
    scoped = ScopedVault(vault, [("fire", "visits", "service")], TABLES)
    with pytest.raises(PermissionDeniedError, match="read-only"):
        scoped.append("service_contact", _contacts("fire", "visits", 1, 1))
    with pytest.raises(PermissionDeniedError, match="read-only"):
        scoped.discard_loads([1])
    assert vault.current("service_contact").count().execute() == 8
