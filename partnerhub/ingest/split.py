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

__all__ = ["AreaJoin", "Split", "area_join", "identity_table", "split_staged", "stage_lookup"]

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
    for name, kind in vault_columns(identity_table(contract)):
        if name in ("partner", "dataset", "record_key", "load_id"):
            continue
        source = f"pprl_{name}" if contract.encoded and name != "pprl_version" else name
        ident_cols.append(_field(source, kind, fields, "v") + f" AS {quote(name)}")
    identifiers = con.sql(
        f"SELECT DISTINCT {partner} AS partner, k.record_key, {dataset} AS dataset, "
        f"{', '.join(ident_cols)}, CAST({int(load_id)} AS BIGINT) AS load_id "
        "FROM valid v JOIN _keys k ON k.local_id = CAST(v.local_id AS VARCHAR)"
    ).to_arrow_table()

    areas = area_join(contract, fields)
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
        elif name in AREA_FIELDS and contract.encoded:  # resolved on the partner's machine
            select.append(_field(name, kind, fields, "v") + f" AS {name}")
        elif name in AREA_FIELDS:
            select.append(f"{areas.columns[name]} AS {name}")
        else:
            select.append(_field(name, kind, fields, "v") + f" AS {quote(name)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _attributes AS SELECT {', '.join(select)}, "
        f"{areas.unresolved} AS _unresolved FROM valid v "
        f"JOIN _keys k ON k.local_id = CAST(v.local_id AS VARCHAR) {areas.join} "
        "ORDER BY v._line"
    )
    row = con.execute("SELECT count(*) FILTER (_unresolved) FROM _attributes").fetchall()[0]
    unresolved = int(row[0]) if row else 0
    attributes = con.sql("SELECT * EXCLUDE (_unresolved) FROM _attributes").to_arrow_table()
    con.execute("DROP TABLE _attributes")
    return Split(identifiers, attributes, unresolved)


@dataclass(frozen=True)
class AreaJoin:
    """SQL that places each ``valid`` row (alias ``v``) in areas: the postcode looked up in
    the staged lookup at the fact's date (for a residence, its end date if it has one)."""

    join: str  # LEFT JOIN clause (alias ``l``)
    columns: dict[str, str]  # area field → expression
    unresolved: str  # expression: a postcode was given but not known at the date


def area_join(contract: DatasetContract, fields: set[str]) -> AreaJoin:
    canonical = table(contract.table)
    located = any(c.name == "postcode" for c in canonical.columns)
    if not located or contract.encoded:
        return AreaJoin("", {a: "CAST(NULL AS VARCHAR)" for a in AREA_FIELDS}, "false")
    date_col = "to_date" if contract.table == "residence" else canonical.date_column
    when = f"v.{quote(date_col)}" if date_col in fields else "CAST(NULL AS DATE)"
    postcode = "v.postcode" if "postcode" in fields else "CAST(NULL AS VARCHAR)"
    yyyymm = f"(year({when}) * 100 + month({when}))"
    return AreaJoin(
        f"LEFT JOIN {LOOKUP} l ON l.key = replace({postcode}, ' ', '') AND ({when} IS NULL OR "
        f"({yyyymm} >= coalesce(l.dointr, 0) AND {yyyymm} < coalesce(l.doterm, 999999)))",
        {a: f"l.{quote(a)}" for a in AREA_FIELDS},
        f"({postcode} IS NOT NULL AND l.key IS NULL)",
    )


def _fields(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("DESCRIBE valid").fetchall()}


def _field(name: str, kind: str, fields: set[str], alias: str) -> str:
    sql_type = SQL_TYPES[kind].replace("DOUBLE PRECISION", "DOUBLE")
    if name in fields:
        return f"CAST({alias}.{quote(name)} AS {sql_type})"
    return f"CAST(NULL AS {sql_type})"


def identity_table(contract: DatasetContract) -> str:
    """Where a contract's identifiers go in the identity store."""
    return "encoded_record" if contract.encoded else "source_record"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
