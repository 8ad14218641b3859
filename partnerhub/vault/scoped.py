"""A read-only view of the vault limited to the fields an output is authorised to use.

The gate derives the fields a release may read from the declarative query the capability hands
over ((partner, dataset, field) triples, checked against the data-sharing agreement) and gives
the builder a :class:`ScopedVault`, not the vault: :meth:`ScopedVault.current` returns only the
rows of the authorised datasets and only the authorised columns, plus the bookkeeping every
aggregation needs (partner, dataset, load, record key) and the area codes when the postcode is
authorised (the vault keeps only the areas resolved from it). Reading another column fails
(Ibis raises: the column does not exist in the view); reading a table with no authorised
field raises :class:`~partnerhub.errors.PermissionDeniedError`; nothing can be written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ibis
import pandas as pd
from ibis.expr.types import Table as IbisTable

from partnerhub.errors import PermissionDeniedError
from partnerhub.schema import AREA_COLUMNS
from partnerhub.vault.stores import Vault

__all__ = ["BOOKKEEPING_COLUMNS", "ScopedVault", "scope_of"]

# every row keeps these: whose row it is, which load it came from, the key of the record
BOOKKEEPING_COLUMNS = ("partner", "dataset", "load_id", "record_key")
_AREA_CODES = tuple(c.name for c in AREA_COLUMNS)  # resolved from the postcode at ingest

Scope = dict[str, tuple[tuple[tuple[str, str], ...], frozenset[str]]]


def scope_of(
    fields: Iterable[tuple[str, str, str]], dataset_tables: Mapping[tuple[str, str], str]
) -> Scope:
    """Vault table → (its authorised datasets, the columns readable in it). A column is
    readable only when it is authorised for *every* dataset of the table in scope, so no
    dataset's field shows through another's authorisation."""
    by_dataset: dict[tuple[str, str], set[str]] = {}
    for partner, dataset, field in fields:
        by_dataset.setdefault((partner, dataset), set()).add(field)
    tables: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(by_dataset):
        table_name = dataset_tables.get(key)
        if table_name is not None:
            tables.setdefault(table_name, []).append(key)
    scope: Scope = {}
    for table_name, datasets in tables.items():
        shared = set.intersection(*(by_dataset[d] for d in datasets))
        columns = set(BOOKKEEPING_COLUMNS) | shared
        if "postcode" in shared:
            columns |= set(_AREA_CODES)
        scope[table_name] = (tuple(datasets), frozenset(columns))
    return scope


class ScopedVault(Vault):
    """The vault's read methods (those the indicator compiler uses), limited to ``fields``.

    A subclass of :class:`Vault` only so that code typed for a vault reader accepts it; it
    holds no backend of its own and every write method refuses."""

    def __init__(  # no Vault.__init__: it would create tables
        self,
        vault: Vault,
        fields: Iterable[tuple[str, str, str]],
        dataset_tables: Mapping[tuple[str, str], str],
    ) -> None:
        self._vault = vault
        self._scope = scope_of(fields, dataset_tables)

    @property
    def table_names(self) -> tuple[str, ...]:
        """The vault tables this view can read."""
        return tuple(sorted(self._scope))

    def columns(self, table_name: str) -> frozenset[str]:
        """The columns readable in ``table_name``."""
        return self._entry(table_name)[1]

    def _entry(self, table_name: str) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
        entry = self._scope.get(table_name)
        if entry is None:
            raise PermissionDeniedError(
                f"this output is not authorised to read table {table_name!r} (it may read: "
                f"{', '.join(sorted(self._scope)) or 'no table'})"
            )
        return entry

    def current(self, table_name: str) -> IbisTable:
        """The current rows of the authorised datasets of ``table_name``, authorised columns
        only (in the vault's column order)."""
        datasets, columns = self._entry(table_name)
        rows = self._vault.current(table_name)
        rows = rows.filter(
            ibis.or_(*[(rows.partner == p) & (rows.dataset == d) for p, d in datasets])
        )
        return rows.select(*[c for c in rows.columns if c in columns])

    def current_loads(self) -> pd.DataFrame:
        """Which load of each dataset is current (no rows: what a builder checks its sources
        against)."""
        return self._vault.current_loads()

    def person(self) -> IbisTable:
        """The person table (person id, birth month, sex of each linked record) of the
        partners in scope: people are counted, aged and banded by it."""
        partners = sorted({p for datasets, _ in self._scope.values() for p, _ in datasets})
        people = self._vault.person()
        return people.filter(people.partner.isin(partners))

    def temporary(self, expression: IbisTable) -> IbisTable:
        return self._vault.temporary(expression)

    # -- nothing is written through a view -------------------------------------------------
    def _refuse(self, *_args: object, **_kwargs: object) -> None:
        raise PermissionDeniedError("a scoped view of the vault is read-only")

    append = _refuse
    discard_loads = _refuse  # type: ignore[assignment]
    sync_current = _refuse
    load_ids = _refuse  # type: ignore[assignment]
    counts = _refuse  # type: ignore[assignment]

    def close(self) -> None:
        """The gate closes the vault it opened; closing a view does nothing."""
