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
from partnerhub.keys import PseudonymisationKey
from partnerhub.schema import DatasetContract, table
from partnerhub.vault.backend import SQL_TYPES, quote
from partnerhub.vault.stores import vault_columns

__all__ = [
    "AreaJoin",
    "Split",
    "StagedRowsQuery",
    "StagedSplit",
    "area_join",
    "area_level_rows",
    "identity_table",
    "split_staged",
    "stage_lookup",
    "stage_split",
]

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
    staged = stage_split(con, contract, key, load_id)
    try:
        identifiers = con.sql(staged.identifiers).to_arrow_table()
        attributes = con.sql(staged.attributes).to_arrow_table()
    finally:
        staged.drop(con)
    return Split(identifiers, attributes, staged.unresolved_postcodes)


@dataclass(frozen=True)
class StagedSplit:
    """The split of the ``valid`` rows, staged in the connection as table ``_split``: two
    queries over it give the identifiers and the attributes (columns named as the target
    tables'), so a store in the same database can insert them without leaving SQL."""

    identifiers: str  # SELECT of the identity store's rows
    attributes: str  # SELECT of the vault table's rows, in file order
    identifier_columns: tuple[str, ...]
    attribute_columns: tuple[str, ...]
    unresolved_postcodes: int  # rows whose postcode was unknown or not in use at the date

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"DROP TABLE IF EXISTS {SPLIT}")


SPLIT = "_split"


def stage_split(
    con: duckdb.DuckDBPyConnection,
    contract: DatasetContract,
    key: PseudonymisationKey,
    load_id: int,
) -> StagedSplit:
    """Stage the split of ``valid`` as ``_split``: one pass computes every row's record key
    (HMAC once per row, no join back) and its areas, in file order."""
    inner, outer = key.hmac_pads()
    fields = _fields(con)
    partner, dataset = _lit(contract.partner), _lit(contract.dataset)
    record_key = (
        "sha256(? || unhex(sha256(? || encode(? || chr(31) || CAST(v.local_id AS VARCHAR)))))"
    )

    ident_names, ident_exprs = [], []
    for name, kind in vault_columns(identity_table(contract)):
        if name in ("partner", "dataset", "record_key", "load_id"):
            continue
        source = f"pprl_{name}" if contract.encoded and name != "pprl_version" else name
        ident_names.append(name)
        ident_exprs.append(_field(source, kind, fields, "v"))

    areas = area_join(contract, fields)
    attr_names, attr_exprs = [], []
    for name, kind in vault_columns(contract.table):
        attr_names.append(name)
        if name == "partner":
            attr_exprs.append(partner)
        elif name == "record_key":
            attr_exprs.append("record_key")
        elif name == "dataset":
            attr_exprs.append(dataset)
        elif name == "load_id":
            attr_exprs.append(f"CAST({int(load_id)} AS BIGINT)")
        elif name in AREA_FIELDS and contract.encoded:  # resolved on the partner's machine
            attr_exprs.append(_field(name, kind, fields, "v"))
        elif name in AREA_FIELDS:
            attr_exprs.append(areas.columns[name])
        else:
            attr_exprs.append(_field(name, kind, fields, "v"))
    # ``_split`` holds, in file order, the record key, _i<j> (identifiers) and _a<j>
    # (attributes other than the constants and the areas), so that names shared by both sides
    # cannot clash, and the postcode and date the areas are found with.
    staged = ["v._line", f"{record_key} AS record_key"]
    staged += [f"{e} AS _i{j}" for j, e in enumerate(ident_exprs)]
    staged += [f"v.{quote(f)}" for f in areas.needs if f in fields]
    attr_cols = []
    for j, (name, e) in enumerate(zip(attr_names, attr_exprs, strict=True)):
        if name in ("partner", "dataset", "load_id") or (
            name in AREA_FIELDS and not contract.encoded
        ):
            attr_cols.append(f"{e} AS {quote(name)}")
        elif name == "record_key":
            attr_cols.append("v.record_key")
        else:
            staged.append(f"{e} AS _a{j}")
            attr_cols.append(f"v._a{j} AS {quote(name)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {SPLIT} AS SELECT {', '.join(staged)} FROM valid v",
        [outer, inner, contract.partner],
    )
    # A postcode given but not known at the date (the same left join the attributes make).
    row = con.execute(
        f"SELECT count(*) FILTER ({areas.unresolved}) FROM {SPLIT} v {areas.join}"
    ).fetchall()[0]
    unresolved = int(row[0]) if row else 0
    ident_cols = ", ".join(f"_i{j} AS {quote(n)}" for j, n in enumerate(ident_names))
    # Rows with different record keys are different rows: DISTINCT only has work to do (and
    # is only run) when some record key repeats.
    keys, distinct_keys = con.execute(
        f"SELECT count(*), count(DISTINCT record_key) FROM {SPLIT}"
    ).fetchall()[0]
    distinct = "DISTINCT " if keys != distinct_keys else ""
    identifiers = (
        f"SELECT {distinct}{partner} AS partner, record_key, {dataset} AS dataset, "
        f"{ident_cols}, CAST({int(load_id)} AS BIGINT) AS load_id FROM {SPLIT}"
    )
    attributes = f"SELECT {', '.join(attr_cols)} FROM {SPLIT} v {areas.join} ORDER BY v._line"
    return StagedSplit(
        identifiers,
        attributes,
        ("partner", "record_key", "dataset", *ident_names, "load_id"),
        tuple(attr_names),
        unresolved,
    )


def area_level_rows(
    con: duckdb.DuckDBPyConnection, contract: DatasetContract, load_id: int
) -> StagedRowsQuery:
    """The vault rows of an area-level dataset (``operation``, ``resource``): the ``valid``
    rows as they are, tagged with the dataset and load, in file order. There is no person in
    them, so nothing is split off for the identity store and no record key is made; the
    ``partner`` is the file's column where it has one, else the contract's partner."""
    fields = _fields(con)
    names, exprs = [], []
    for name, kind in vault_columns(contract.table):
        names.append(name)
        if name == "dataset":
            exprs.append(f"{_lit(contract.dataset)} AS {quote(name)}")
        elif name == "load_id":
            exprs.append(f"CAST({int(load_id)} AS BIGINT) AS {quote(name)}")
        elif name == "partner" and name not in fields:
            exprs.append(f"{_lit(contract.partner)} AS {quote(name)}")
        else:
            exprs.append(f"{_field(name, kind, fields, 'v')} AS {quote(name)}")
    sql = f"SELECT {', '.join(exprs)} FROM valid v ORDER BY v._line"
    return StagedRowsQuery(sql, tuple(names))


@dataclass(frozen=True)
class StagedRowsQuery:
    """A SELECT over the staging connection giving a vault table's rows, and their columns."""

    sql: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class AreaJoin:
    """SQL that places each ``valid`` row (alias ``v``) in areas: the postcode looked up in
    the staged lookup at the fact's date (for a residence, its end date if it has one)."""

    join: str  # LEFT JOIN clause (alias ``l``)
    columns: dict[str, str]  # area field → expression
    unresolved: str  # expression: a postcode was given but not known at the date
    needs: tuple[str, ...] = ()  # the fields of ``v`` the join reads


def area_join(contract: DatasetContract, fields: set[str]) -> AreaJoin:
    canonical = table(contract.table)
    located = any(c.name == "postcode" for c in canonical.columns)
    if not located or contract.encoded:
        return AreaJoin("", {a: "CAST(NULL AS VARCHAR)" for a in AREA_FIELDS}, "false", ())
    date_col = "to_date" if contract.table == "residence" else canonical.date_column
    when = f"v.{quote(date_col)}" if date_col in fields else "CAST(NULL AS DATE)"
    postcode = "v.postcode" if "postcode" in fields else "CAST(NULL AS VARCHAR)"
    yyyymm = f"(year({when}) * 100 + month({when}))"
    return AreaJoin(
        f"LEFT JOIN {LOOKUP} l ON l.key = replace({postcode}, ' ', '') AND ({when} IS NULL OR "
        f"({yyyymm} >= coalesce(l.dointr, 0) AND {yyyymm} < coalesce(l.doterm, 999999)))",
        {a: f"l.{quote(a)}" for a in AREA_FIELDS},
        f"({postcode} IS NOT NULL AND l.key IS NULL)",
        tuple(f for f in ("postcode", date_col) if f is not None),
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
