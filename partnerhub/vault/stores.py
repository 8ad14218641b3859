"""The vault (attributes, keyed by pseudonymous record keys) and the identity store
(identifiers only): two databases, each behind a :class:`~partnerhub.vault.backend.Backend`.

Rows are never updated. Every row carries the ``load_id`` of the extract it came from, and a
newer extract of a dataset *supersedes* the older one rather than overwriting it: history stays
for event detection. Which load of each dataset is current is decided by the control plane; the
vault keeps a copy in ``_current_load`` (re-synced after every load and at recovery) so that
capabilities can read current rows through Ibis alone.

Nothing here returns rows: the public methods give counts, and :meth:`Vault.current` gives an
Ibis expression for capabilities to aggregate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
from ibis.expr.types import Table as IbisTable

from partnerhub.errors import NotFoundError
from partnerhub.schema import CANONICAL_TABLES, table
from partnerhub.vault.backend import Backend, StagedRows, quote

__all__ = ["CURRENT_TABLE", "PERSON_TABLE", "IdentityStore", "Vault", "vault_columns"]

CURRENT_TABLE = "_current_load"
PERSON_TABLE = "person"  # written by partnerhub.identity.people after each link run
_BOOKKEEPING = (("dataset", "string"), ("load_id", "integer"))


def vault_columns(table_name: str) -> list[tuple[str, str]]:
    """(name, type) of a vault table: the canonical columns without the postcode (only its
    areas are kept), plus the dataset and load it came from."""
    canonical = table(table_name)
    keep = [
        (c.name, c.type)
        for c in canonical.columns
        if not (canonical.kind == "attribute" and c.name == "postcode")
    ]
    names = {name for name, _ in keep}
    return keep + [c for c in _BOOKKEEPING if c[0] not in names]


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int
    current_rows: int


class _Store:
    kind: str
    loaded_tables: tuple[str, ...] = ()  # tables whose rows carry a load_id

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def _create(self, names: Iterable[str]) -> None:
        for name in names:
            self.backend.create_table(name, vault_columns(name))

    def append(self, table_name: str, data: pa.Table | StagedRows) -> None:
        """Append rows (call inside ``backend.transaction()``, or for rows staged in this
        store's own database, inside the staging connection's transaction)."""
        if isinstance(data, StagedRows):
            self.backend.insert_staged(table_name, data)
        else:
            self.backend.append_arrow(table_name, data)

    def discard_loads(self, load_ids: Iterable[int]) -> int:
        """Delete every row of the given loads (for loads that never committed)."""
        ids = sorted(set(load_ids))
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        removed = 0
        with self.backend.transaction():
            for name in self.loaded_tables:
                removed += self.backend.count(name, f"load_id IN ({marks})", ids)
                self.backend.execute(
                    f"DELETE FROM {self.backend.qualified(name)} WHERE load_id IN ({marks})", ids
                )
        return removed

    def load_ids(self) -> set[int]:
        """Every load with rows here."""
        out: set[int] = set()
        for name in self.loaded_tables:
            sql = f"SELECT DISTINCT load_id FROM {self.backend.qualified(name)}"
            out.update(int(r[0]) for r in self.backend.query(sql))
        return out

    def close(self) -> None:
        self.backend.close()


class Vault(_Store):
    """Record-level attributes: one table per canonical attribute table; and the area-level
    tables partners submit as aggregates (``operation``, ``resource``), loaded and versioned
    the same way."""

    kind = "vault"
    # tables of facts about people (keyed by record_key), and area-level aggregates
    attribute_tables = tuple(sorted(n for n in CANONICAL_TABLES if table(n).kind == "attribute"))
    area_tables = tuple(sorted(n for n in CANONICAL_TABLES if table(n).kind == "area"))
    loaded_tables = attribute_tables + area_tables

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self._create(self.loaded_tables)
        backend.create_table(
            CURRENT_TABLE,
            [
                ("partner", "string"),
                ("dataset", "string"),
                ("table_name", "string"),
                ("load_id", "integer"),
            ],
        )

    def sync_current(self, current: Mapping[tuple[str, str], tuple[str, int]]) -> None:
        """Make ``_current_load`` say: (partner, dataset) → (table, load id)."""
        with self.backend.transaction():
            self.backend.execute(f"DELETE FROM {self.backend.qualified(CURRENT_TABLE)}")
            for (partner, dataset), (table_name, load_id) in sorted(current.items()):
                self.backend.execute(
                    f"INSERT INTO {self.backend.qualified(CURRENT_TABLE)} VALUES (?, ?, ?, ?)",
                    [partner, dataset, table_name, load_id],
                )

    def current(self, table_name: str) -> IbisTable:
        """The current rows of ``table_name`` as an Ibis expression (for aggregation)."""
        con = self.backend.ibis
        database = getattr(self.backend, "schema", None)
        rows = con.table(table_name, database=database)
        loads = con.table(CURRENT_TABLE, database=database)
        return rows.semi_join(loads, rows.load_id == loads.load_id)

    def current_loads(self) -> pd.DataFrame:
        """Which load of each dataset is current: partner, dataset, table_name (no rows)."""
        con = self.backend.ibis
        database = getattr(self.backend, "schema", None)
        loads = con.table(CURRENT_TABLE, database=database)
        frame: pd.DataFrame = loads.select("partner", "dataset", "table_name").to_pandas()
        return frame

    def person(self) -> IbisTable:
        """The person table (:mod:`partnerhub.identity.people`) as an Ibis expression: each
        linked record's person id, birth month and sex."""
        if PERSON_TABLE not in set(self.backend.table_names()):
            raise NotFoundError(
                "the vault has no person table yet — run `partnerhub link` (indicators count "
                "people and need their ages)"
            )
        con = self.backend.ibis
        database = getattr(self.backend, "schema", None)
        return con.table(PERSON_TABLE, database=database).select(
            "partner", "record_key", "person_id", "birth_month", "sex"
        )

    def temporary(self, expression: IbisTable) -> IbisTable:
        """``expression`` computed once into a temporary table of this connection (a cache
        for a part many queries share); gone when the connection closes."""
        # a fresh name, so no overwrite: ibis would write the table twice (a temporary
        # table cannot be renamed, so it copies it)
        name = f"_cache_{uuid.uuid4().hex[:16]}"
        return self.backend.ibis.create_table(name, expression, temp=True)

    def counts(self) -> list[TableCount]:
        """Rows per table, all loads and current loads only."""
        out = []
        current = self.backend.qualified(CURRENT_TABLE)
        for name in self.backend.table_names():
            if name not in self.loaded_tables:  # bookkeeping and derived tables
                continue
            total = self.backend.count(name)
            live = self.backend.count(
                name, f"load_id IN (SELECT load_id FROM {current} WHERE table_name = ?)", [name]
            )
            out.append(TableCount(name, total, live))
        return out


PERSON_INDEX = "person_index"
PERSON_CHANGE = "person_change"
LINK_NODE = "link_node"
LINK_EDGE = "link_edge"
REVIEW_PAIR = "review_pair"


class IdentityStore(_Store):
    """Identifiers only (``source_record``): names, date of birth, NHS number, address; and
    the person index linkage builds over them (record → stable ``person_id``)."""

    kind = "identity store"
    loaded_tables = ("source_record", "encoded_record")

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend)
        self._create(self.loaded_tables)
        backend.create_table(
            PERSON_INDEX,
            [
                ("partner", "string"),
                ("record_key", "string"),
                ("person_id", "string"),
                ("link_run", "integer"),
            ],
        )
        backend.create_table(
            LINK_NODE,
            [
                ("unique_id", "string"),
                ("partner", "string"),
                ("record_key", "string"),
                ("link_run", "integer"),
            ],
        )
        backend.create_table(
            LINK_EDGE,
            [("unique_id_l", "string"), ("unique_id_r", "string"), ("link_run", "integer")],
        )
        backend.create_table(
            REVIEW_PAIR,
            [
                ("unique_id_l", "string"),
                ("unique_id_r", "string"),
                ("match_probability", "float"),
                ("link_run", "integer"),
            ],
        )
        backend.create_table(
            PERSON_CHANGE,
            [
                ("link_run", "integer"),
                ("kind", "string"),
                ("person_id", "string"),
                ("other_person_id", "string"),
                ("records", "integer"),
            ],
        )

    def counts(self) -> list[TableCount]:
        return [
            TableCount("source_record", self.backend.count("source_record"), 0),
            TableCount("encoded_record", self.backend.count("encoded_record"), 0),
            TableCount(
                PERSON_INDEX,
                self.backend.count(PERSON_INDEX),
                0,
            ),
        ]

    def records_for_linkage(
        self, load_ids: Iterable[int], table_name: str = "source_record"
    ) -> pd.DataFrame:
        """Identifier rows (``source_record``, or ``encoded_record`` in privacy-preserving
        mode) of the given (current) loads — for the linkage engine only; never shown to a
        person."""
        ids = sorted(set(load_ids))
        cols = [c for c, _ in vault_columns(table_name)]
        if not ids:
            return pd.DataFrame(columns=cols)
        marks = ", ".join("?" for _ in ids)
        return self.backend.query_frame(
            f"SELECT {quoted_columns(cols)} FROM {self.backend.qualified(table_name)} "
            f"WHERE load_id IN ({marks})",
            cols,
            ids,
        )

    def person_index(self, link_run: int | None) -> pd.DataFrame:
        """The index written by ``link_run`` (the control plane says which run is current)."""
        rows = (
            self.backend.query(
                f"SELECT partner, record_key, person_id FROM "
                f"{self.backend.qualified(PERSON_INDEX)} WHERE link_run = ?",
                [link_run],
            )
            if link_run is not None
            else []
        )
        return pd.DataFrame(rows, columns=["partner", "record_key", "person_id"])

    def link_graph(self, link_run: int | None) -> tuple[pd.DataFrame, set[str]]:
        """A run's links (unique_id_l, unique_id_r) and the ids of the records it linked."""
        if link_run is None:
            return pd.DataFrame(columns=["unique_id_l", "unique_id_r"]), set()
        edges = self.backend.query(
            f"SELECT unique_id_l, unique_id_r FROM {self.backend.qualified(LINK_EDGE)} "
            "WHERE link_run = ?",
            [link_run],
        )
        nodes = self.backend.query(
            f"SELECT unique_id FROM {self.backend.qualified(LINK_NODE)} WHERE link_run = ?",
            [link_run],
        )
        frame = pd.DataFrame(edges, columns=["unique_id_l", "unique_id_r"])
        return frame, {r[0] for r in nodes}

    def review_pairs(self, link_run: int | None) -> pd.DataFrame:
        """A run's clerical-review pairs (identifier-variant ids and match probability)."""
        cols = ["unique_id_l", "unique_id_r", "match_probability"]
        if link_run is None:
            return pd.DataFrame(columns=cols)
        rows = self.backend.query(
            f"SELECT unique_id_l, unique_id_r, match_probability FROM "
            f"{self.backend.qualified(REVIEW_PAIR)} WHERE link_run = ? "
            "ORDER BY match_probability DESC, unique_id_l, unique_id_r",
            [link_run],
        )
        return pd.DataFrame(rows, columns=cols)

    def write_person_index(
        self,
        index: pd.DataFrame,
        changes: pd.DataFrame,
        link_run: int,
        nodes: pd.DataFrame,
        edges: pd.DataFrame,
        review: pd.DataFrame | None = None,
    ) -> None:
        """Add a run's index, its changes, its link graph and its clerical-review pairs, in one
        transaction (the previous run's stay until the new run has committed in the control
        plane)."""
        review = (
            review
            if review is not None
            else pd.DataFrame(
                {"unique_id_l": [], "unique_id_r": [], "match_probability": []}
            ).astype({"unique_id_l": object, "unique_id_r": object, "match_probability": float})
        )
        with self.backend.transaction():
            for name, frame in ((LINK_NODE, nodes), (LINK_EDGE, edges), (REVIEW_PAIR, review)):
                self.append(
                    name,
                    pa.Table.from_pandas(frame.assign(link_run=link_run), preserve_index=False),
                )
            self.append(
                PERSON_INDEX,
                pa.Table.from_pandas(index.assign(link_run=link_run), preserve_index=False),
            )
            if len(changes):
                self.append(
                    PERSON_CHANGE,
                    pa.Table.from_pandas(changes.assign(link_run=link_run), preserve_index=False),
                )

    def prune_person_index(self, keep: int) -> None:
        """Drop every index and link graph but run ``keep``'s (after ``keep`` committed)."""
        with self.backend.transaction():
            for name in (PERSON_INDEX, LINK_NODE, LINK_EDGE, REVIEW_PAIR):
                self.backend.execute(
                    f"DELETE FROM {self.backend.qualified(name)} WHERE link_run <> ?", [keep]
                )

    def discard_link_run(self, link_run: int) -> None:
        """Undo a link run that never committed (its index rows and changes)."""
        with self.backend.transaction():
            for name in (PERSON_INDEX, PERSON_CHANGE, LINK_NODE, LINK_EDGE, REVIEW_PAIR):
                self.backend.execute(
                    f"DELETE FROM {self.backend.qualified(name)} WHERE link_run = ?", [link_run]
                )


def quoted_columns(names: Iterable[str]) -> str:
    return ", ".join(quote(n) for n in names)
