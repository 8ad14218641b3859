"""Split validated rows into identifiers (for the identity store) and attributes (for the vault).

Runs in the staging DuckDB on the ``valid`` view. The partner's local id becomes a pseudonymous
``record_key`` (HMAC-SHA256 computed in SQL from the key's pads — equal to Python's ``hmac``, a
test checks); names, date of birth, NHS number, address lines and postcode go only to the
identifiers; the attributes keep the canonical fields of the contract's table plus the areas the
postcode resolved to *at the fact's date* — never the postcode itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from partnerhub.geography import AREA_FIELDS, PostcodeLookup
from partnerhub.ingest.keys import PseudonymisationKey
from partnerhub.schema import DatasetContract, table
from partnerhub.vault.backend import SQL_TYPES, quote
from partnerhub.vault.stores import vault_columns

__all__ = ["Split", "split_staged", "stage_lookup"]

LOOKUP = "_postcode_lookup"


@dataclass(frozen=True)
class Split:
    identifiers: pa.Table  # source_record columns + load_id
    attributes: pa.Table  # the vault table's columns
    unresolved_postcodes: int  # rows whose postcode was unknown or not in use at the date


def stage_lookup(con: duckdb.DuckDBPyConnection, lookup: PostcodeLookup) -> None:
    """Put the postcode lookup in the staging database (once per connection)."""
    con.register("_lookup_frame", lookup.table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LOOKUP} AS SELECT * FROM _lookup_frame")
    con.unregister("_lookup_frame")


def split_staged(
    con: duckdb.DuckDBPyConnection,
    contract: DatasetContract,
    key: PseudonymisationKey,
    load_id: int,
) -> Split:
    """Identifiers and attributes of the ``valid`` rows, as Arrow tables ready to load."""
    inner, outer = key.hmac_pads()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _keys AS SELECT local_id, "
        "sha256(? || unhex(sha256(? || encode(? || chr(31) || local_id)))) AS record_key "
        "FROM (SELECT DISTINCT CAST(local_id AS VARCHAR) AS local_id FROM valid)",
        [outer, inner, contract.partner],
    )
    fields = _fields(con)
    partner, dataset = _lit(contract.partner), _lit(contract.dataset)

    ident_cols = []
    for name, kind in vault_columns("source_record"):
        if name in ("partner", "dataset", "record_key", "load_id"):
            continue
        ident_cols.append(_field(name, kind, fields, "v"))
    identifiers = con.sql(
        f"SELECT DISTINCT {partner} AS partner, k.record_key, {dataset} AS dataset, "
        f"{', '.join(ident_cols)}, CAST({int(load_id)} AS BIGINT) AS load_id "
        "FROM valid v JOIN _keys k ON k.local_id = CAST(v.local_id AS VARCHAR)"
    ).to_arrow_table()

    canonical = table(contract.table)
    date_col = "to_date" if contract.table == "residence" else canonical.date_column
    when = f"v.{quote(date_col)}" if date_col in fields else "CAST(NULL AS DATE)"
    postcode = "v.postcode" if "postcode" in fields else "CAST(NULL AS VARCHAR)"
    located = any(c.name == "postcode" for c in canonical.columns)
    select = []
    for name, kind in vault_columns(contract.table):
        if name == "partner":
            select.append(f"{partner} AS partner")
        elif name == "record_key":
            select.append("k.record_key")
        elif name == "dataset":
            select.append(f"{dataset} AS dataset")
        elif name == "load_id":
            select.append(f"CAST({int(load_id)} AS BIGINT) AS load_id")
        elif name in AREA_FIELDS:
            select.append(f"l.{quote(name)}" if located else f"CAST(NULL AS VARCHAR) AS {name}")
        else:
            select.append(_field(name, kind, fields, "v"))
    yyyymm = f"(year({when}) * 100 + month({when}))"
    unknown = f"({postcode} IS NOT NULL AND l.key IS NULL)" if located else "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _attributes AS SELECT {', '.join(select)}, "
        f"{unknown} AS _unresolved FROM valid v "
        "JOIN _keys k ON k.local_id = CAST(v.local_id AS VARCHAR) "
        f"LEFT JOIN {LOOKUP} l ON l.key = replace({postcode}, ' ', '') AND ({when} IS NULL OR "
        f"({yyyymm} >= coalesce(l.dointr, 0) AND {yyyymm} < coalesce(l.doterm, 999999))) "
        "ORDER BY v._line"
    )
    row = con.execute("SELECT count(*) FILTER (_unresolved) FROM _attributes").fetchall()[0]
    unresolved = int(row[0]) if row else 0
    attributes = con.sql("SELECT * EXCLUDE (_unresolved) FROM _attributes").to_arrow_table()
    con.execute("DROP TABLE _attributes")
    return Split(identifiers, attributes, unresolved)


def _fields(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("DESCRIBE valid").fetchall()}


def _field(name: str, kind: str, fields: set[str], alias: str) -> str:
    sql_type = SQL_TYPES[kind].replace("DOUBLE PRECISION", "DOUBLE")
    if name in fields:
        return f"CAST({alias}.{quote(name)} AS {sql_type}) AS {quote(name)}"
    return f"CAST(NULL AS {sql_type}) AS {quote(name)}"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
