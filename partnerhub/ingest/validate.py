"""Check every row of an extract against its contract, in SQL; quarantine bad rows with reasons.

A row is loaded only if every value in it is valid; otherwise it goes to quarantine with one
line per problem (file line, column, value, reason) for the partner to fix and re-send. Nothing
is dropped silently: received = valid + quarantined.

:func:`validate_staged` works on the ``raw`` table in DuckDB (see :mod:`.stage`) and leaves two
relations beside it: ``valid`` (typed values named by canonical field, plus ``_line``) and
``quarantine``. The checks are SQL expressions, so a million rows validate in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from partnerhub.ingest.read import RawExtract
from partnerhub.ingest.stage import RAW, stage_frame
from partnerhub.schema import DatasetContract
from partnerhub.schema.contracts import ContractColumn
from partnerhub.schema.identifiers import UK_POSTCODE_RE
from partnerhub.vault.backend import quote

__all__ = [
    "EARLIEST_DATE",
    "ROW_ID_FIELDS",
    "CheckCounts",
    "Checked",
    "validate_extract",
    "validate_staged",
]

EARLIEST_DATE = date(1880, 1, 1)
# Canonical fields that identify a row: a repeat within one extract is a duplicate.
ROW_ID_FIELDS = frozenset({"spell_id", "episode_id", "crime_ref", "incident_ref"})
_QUARANTINE_COLUMNS = ["line", "column", "value", "reason"]
_BLANKS = "chr(32) || chr(9) || chr(10) || chr(13)"
NHS_REASON = "NHS number fails the modulus-11 check (or is not 10 digits)"


@dataclass(frozen=True)
class CheckCounts:
    received: int
    valid: int
    quarantined: int  # rows (a row with three problems counts once)


@dataclass(frozen=True)
class Checked:
    """The valid rows, typed and named by canonical field, and the quarantine (for tests and
    for a partner checking their own file; ingest keeps both inside DuckDB)."""

    valid: pd.DataFrame  # canonical field → typed values; ``_line`` = file line
    quarantine: pd.DataFrame  # line, column, value, reason (one row per problem)
    received: int

    @property
    def quarantined_rows(self) -> int:
        return int(self.quarantine["line"].nunique()) if len(self.quarantine) else 0


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed(col: ContractColumn, contract: DatasetContract, t: str) -> str:
    """SQL for the typed value of text expression ``t`` (NULL where invalid)."""
    if col.type == "date":
        return f"CAST(try_strptime({t}, {_lit(contract.date_format_of(col))}) AS DATE)"
    if col.type == "integer":
        num = f"TRY_CAST({t} AS DOUBLE)"
        return f"CASE WHEN isfinite({num}) AND {num} = floor({num}) THEN CAST({num} AS BIGINT) END"
    if col.type == "float":
        return f"CASE WHEN isfinite(TRY_CAST({t} AS DOUBLE)) THEN TRY_CAST({t} AS DOUBLE) END"
    if col.type == "boolean":
        yes = ", ".join(_lit(v) for v in col.true_values)
        no = ", ".join(_lit(v) for v in col.false_values)
        return f"CASE WHEN {t} IN ({yes}) THEN true WHEN {t} IN ({no}) THEN false END"
    if col.type == "code":
        whens = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in (col.codes or {}).items())
        return f"CASE {t} {whens} END"
    if col.maps_to == "nhs_number":
        d = f"regexp_replace({t}, '[^0-9]', '', 'g')"
        digit = [f"(ascii(substr({d}, {i}, 1)) - 48)" for i in range(1, 11)]
        total = " + ".join(f"{digit[i]} * {10 - i}" for i in range(9))
        check = f"(11 - ({total}) % 11)"
        return (
            f"CASE WHEN regexp_full_match({t}, '([0-9]{{3}})[ -]?([0-9]{{3}})[ -]?([0-9]{{4}})') "
            f"AND {d} <> repeat(substr({d}, 1, 1), 10) "
            f"AND (CASE {check} WHEN 11 THEN 0 ELSE {check} END) = {digit[9]} THEN {d} END"
        )
    if col.maps_to == "postcode":
        compact = f"upper(regexp_replace({t}, '\\s', '', 'g'))"
        candidate = f"(left({compact}, length({compact}) - 3) || ' ' || right({compact}, 3))"
        return (
            f"CASE WHEN length({compact}) BETWEEN 5 AND 7 AND "
            f"regexp_full_match({candidate}, {_lit(UK_POSTCODE_RE.pattern)}) THEN {candidate} END"
        )
    return t


def _invalid_reason(col: ContractColumn, contract: DatasetContract) -> str:
    if col.type == "date":
        return f"not a date in the format {contract.date_format_of(col)} (or an impossible date)"
    if col.type == "integer":
        return "not a number (integer expected)"
    if col.type == "float":
        return "not a number (float expected)"
    if col.type == "boolean":
        return f"not a yes/no value (use {'/'.join((*col.true_values[:1], *col.false_values[:1]))})"
    if col.type == "code":
        return f"unknown code (allowed: {', '.join(sorted(col.codes or {}))})"
    if col.maps_to == "nhs_number":
        return NHS_REASON
    return "not a UK postcode"


def _reason(col: ContractColumn, contract: DatasetContract, i: int, today: date) -> str:
    t, v = f"_t{i}", f"_v{i}"
    required = col.required or col.maps_to == "local_id"
    parts = [f"WHEN {t} IS NULL THEN {_lit('required value missing') if required else 'NULL'}"]
    if col.type == "integer":
        parts.append(
            f"WHEN {v} IS NULL AND isfinite(TRY_CAST({t} AS DOUBLE)) THEN 'not a whole number'"
        )
    parts.append(f"WHEN {v} IS NULL THEN {_lit(_invalid_reason(col, contract))}")
    if col.type == "date":
        parts.append(
            f"WHEN {v} > DATE '{today.isoformat()}' THEN "
            f"'date is in the future (after {today.isoformat()})'"
        )
        parts.append(f"WHEN {v} < DATE '{EARLIEST_DATE}' THEN 'date before 1880: implausible'")
    return "CASE " + " ".join(parts) + " END"


def validate_staged(
    con: duckdb.DuckDBPyConnection,
    contract: DatasetContract,
    today: date,
    ragged: pd.DataFrame | None = None,
) -> CheckCounts:
    """Validate ``raw``; create ``checked`` and ``quarantine`` tables and the ``valid`` view."""
    cols = contract.columns
    texts = ", ".join(
        f"NULLIF(trim({quote(c.name)}, {_BLANKS}), '') AS _t{i}" for i, c in enumerate(cols)
    )
    typed = ", ".join(f"{_typed(c, contract, f'_t{i}')} AS _v{i}" for i, c in enumerate(cols))
    reasons = ", ".join(f"{_reason(c, contract, i, today)} AS _r{i}" for i, c in enumerate(cols))
    dups = []
    for i, c in enumerate(cols):
        if c.maps_to in ROW_ID_FIELDS:
            window = f"OVER (PARTITION BY _v{i} ORDER BY _line)"
            dups.append(
                f"CASE WHEN _v{i} IS NOT NULL AND row_number() {window} > 1 THEN "
                f"'duplicate {c.maps_to}: first on line ' || CAST(first(_line) {window} AS VARCHAR)"
                f" END AS _d{i}"
            )
    con.execute("DROP TABLE IF EXISTS checked")
    con.execute(
        f"CREATE TEMP TABLE checked AS "
        f"WITH t AS (SELECT _line, {texts} FROM {RAW}), "
        f"v AS (SELECT *, {typed} FROM t), "
        f"r AS (SELECT *, {reasons} FROM v) "
        f"SELECT *{''.join(', ' + d for d in dups)} FROM r"
    )
    problem_cols = [f"_r{i}" for i in range(len(cols))] + [
        f"_d{i}" for i, c in enumerate(cols) if c.maps_to in ROW_ID_FIELDS
    ]
    ok = " AND ".join(f"{p} IS NULL" for p in problem_cols)
    fields = [f"_v{i} AS {quote(c.maps_to)}" for i, c in enumerate(cols)]
    fields += [f"{_lit(v)} AS {quote(k)}" for k, v in contract.constants.items()]
    con.execute("DROP VIEW IF EXISTS valid")
    con.execute(
        f"CREATE TEMP VIEW valid AS SELECT _line, {', '.join(fields)} FROM checked WHERE {ok}"
    )

    parts = []
    for i, c in enumerate(cols):
        parts.append(
            f"SELECT _line AS line, {_lit(c.name)} AS \"column\", coalesce(_t{i}, '') AS value, "
            f"_r{i} AS reason FROM checked WHERE _r{i} IS NOT NULL"
        )
        if c.maps_to in ROW_ID_FIELDS:
            parts.append(
                f"SELECT _line, {_lit(c.name)}, CAST(_v{i} AS VARCHAR), _d{i} FROM checked "
                f"WHERE _d{i} IS NOT NULL"
            )
    ragged = ragged if ragged is not None else pd.DataFrame(columns=["line", "reason"])
    con.register("_ragged", ragged.loc[:, ["line", "reason"]].astype({"line": "int64"}))
    parts.append("SELECT CAST(line AS BIGINT), '', '', CAST(reason AS VARCHAR) FROM _ragged")
    con.execute("DROP TABLE IF EXISTS quarantine")
    con.execute(
        "CREATE TEMP TABLE quarantine AS SELECT * FROM ("
        + " UNION ALL ".join(parts)
        + ') ORDER BY line, "column", reason'
    )
    con.unregister("_ragged")
    rows = _scalar(con, f"SELECT count(*) FROM {RAW}")
    valid = _scalar(con, "SELECT count(*) FROM valid")
    quarantined = _scalar(con, "SELECT count(DISTINCT line) FROM quarantine")
    return CheckCounts(rows + len(ragged), valid, quarantined)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row is not None else 0


def validate_extract(raw: RawExtract, contract: DatasetContract, today: date) -> Checked:
    """Validate an extract read by :func:`~partnerhub.ingest.read.read_extract` (the checks
    ingest runs, returned as data frames — the partner's own rows, not vault rows)."""
    con = duckdb.connect()
    try:
        stage_frame(con, raw.rows, contract)
        counts = validate_staged(con, contract, today, raw.ragged)
        valid = con.execute("SELECT * FROM valid ORDER BY _line").fetchdf()
        for c in contract.columns:
            if c.type == "date":
                s = valid[c.maps_to]
                valid[c.maps_to] = s.dt.date.astype(object).where(s.notna(), None)
        quarantine = con.execute("SELECT * FROM quarantine").fetchdf()
    finally:
        con.close()
    return Checked(valid=valid, quarantine=quarantine, received=counts.received)
