"""Check every row of an extract against its contract, in SQL; quarantine bad rows with reasons.

A row is loaded only if every value in it is valid; otherwise it goes to quarantine with one
line per problem (file line, column, value, reason) for the partner to fix and re-send. Nothing
is dropped silently: received = valid + quarantined.

The one exception is an *optional identifier* (see
:meth:`~partnerhub.schema.DatasetContract.drops_invalid`): an NHS number failing its check
digit, or an impossible date of birth, only helps to link the row to a person, so the value is
dropped, the row loads without it, and the quality report counts it per column and reason
(table ``dropped``). A row quarantined for another reason still lists every problem.

Exact duplicate rows of a dataset without a row id (every value the same as an earlier row)
are quarantined after the first copy, with the first copy's line: the fact loads once, the
copies are kept for the partner, and received = valid + quarantined still holds.

:func:`validate_staged` works on the ``raw`` table in DuckDB (see :mod:`.stage`) and leaves
beside it ``valid`` (typed values named by canonical field, plus ``_line``), ``quarantine``
and ``dropped`` (line, column, value, reason). The checks are SQL expressions, so a million
rows validate in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from partnerhub.identity.pprl import BLOOM_BITS, ENCODING_VERSION
from partnerhub.ingest.read import RawExtract
from partnerhub.ingest.stage import RAW, stage_frame
from partnerhub.schema import DatasetContract
from partnerhub.schema.contracts import ContractColumn
from partnerhub.schema.identifiers import UK_POSTCODE_RE
from partnerhub.schema.tables import ENCODED_FILTERS, ENCODED_TOKENS, table
from partnerhub.vault.backend import quote

__all__ = [
    "EARLIEST_DATE",
    "EXACT_DUPLICATE",
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
NHS_REASON = "NHS number fails the modulus-11 check (or is not 10 digits)"
EXACT_DUPLICATE = "duplicate row: every value the same as line "
_HEX16 = "[0-9a-f]{16}"
_ENCODING_PATTERNS = {
    "pprl_version": ENCODING_VERSION,
    **{f"pprl_{n}": _HEX16 for n in ENCODED_TOKENS},
    "pprl_given_aliases": f"{_HEX16}( {_HEX16})*",
    **{f"pprl_{n}": f"[0-9a-f]{{{BLOOM_BITS // 4}}}" for n in ENCODED_FILTERS},
}


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
    dropped: pd.DataFrame = field(  # line, column, value, reason: identifiers dropped
        default_factory=lambda: pd.DataFrame(columns=_QUARANTINE_COLUMNS)
    )

    @property
    def quarantined_rows(self) -> int:
        return int(self.quarantine["line"].nunique()) if len(self.quarantine) else 0


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _trimmed(x: str) -> str:
    """Blanks (space, tab, CR, LF and other control characters) trimmed; '' → NULL. Most
    values need no trimming, and testing the first and last character first is cheap (``x <
    '!'``: the first byte is a blank or a control character)."""
    return (
        f"CASE WHEN {x} < '!' OR ascii(right({x}, 1)) <= 32 "
        f"THEN NULLIF(trim({x}, ' \t\r\n\f\v'), '') ELSE NULLIF({x}, '') END"
    )


def _nhs_digits(t: str) -> str:
    """The ten digits of an NHS number written plainly or 3-3-4 with spaces or hyphens."""
    return (
        f"CASE WHEN regexp_full_match({t}, '([0-9]{{3}})[ -]?([0-9]{{3}})[ -]?([0-9]{{4}})') "
        f"THEN replace(replace({t}, ' ', ''), '-', '') END"
    )


def _typed(col: ContractColumn, contract: DatasetContract, t: str, n: str, d: str) -> str:
    """SQL for the typed value of text column ``t`` (NULL where invalid); ``n`` is the NHS
    digits column where the field is an NHS number, ``d`` those digits as a BIGINT."""
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
        # ``d`` is the ten digits as a number: digit k (1 = leftmost) is d // 10^(10-k) % 10.
        # Integer arithmetic, not ten substrings: the same check, several times faster.
        digit = [f"({d} // {10 ** (10 - k)} % 10)" for k in range(1, 10)] + [f"({d} % 10)"]
        total = " + ".join(f"{digit[i]} * {10 - i}" for i in range(9))
        # check digit 11 - (sum mod 11), where 11 → 0 and 10 → no valid number; ten equal
        # digits (a multiple of 1111111111) are not a number
        return (
            f"CASE WHEN {d} % 1111111111 <> 0 "
            f"AND (11 - ({total}) % 11) % 11 = {digit[9]} THEN {n} END"
        )
    if col.maps_to in _ENCODING_PATTERNS:
        pattern = _lit(_ENCODING_PATTERNS[col.maps_to])
        return f"CASE WHEN regexp_full_match({t}, {pattern}) THEN {t} END"
    if col.maps_to == "postcode":
        # A postcode already written canonically (the usual case) is its own canonical form;
        # only the others are compacted, upper-cased and re-spaced.
        compact = f"upper(regexp_replace({t}, '\\s', '', 'g'))"
        candidate = f"(left({compact}, length({compact}) - 3) || ' ' || right({compact}, 3))"
        pattern = _lit(UK_POSTCODE_RE.pattern)
        return (
            f"CASE WHEN regexp_full_match({t}, {pattern}) THEN {t} "
            f"WHEN length({compact}) BETWEEN 5 AND 7 AND "
            f"regexp_full_match({candidate}, {pattern}) THEN {candidate} END"
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
    if col.maps_to == "pprl_version":
        return f"unknown encoding version (this hub reads {ENCODING_VERSION}): re-encode the file"
    if col.maps_to in _ENCODING_PATTERNS:
        return "not an encoding written by `partnerhub encode` (damaged or edited?)"
    return "not a UK postcode"


def _reason(
    col: ContractColumn, contract: DatasetContract, i: int, today: date, rules: tuple[str, ...]
) -> str:
    """SQL for the first problem of column ``i`` (NULL if none); ``rules`` are further
    ``WHEN`` clauses checked once the value has its type (see :func:`_row_rules`)."""
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
    if col.minimum is not None:
        m = float(col.minimum)
        parts.append(f"WHEN {v} < {m!r} THEN {_lit(f'less than {m:g}: must be {m:g} or more')}")
    parts.extend(rules)
    return "CASE " + " ".join(parts) + " END"


KNOWN_AREAS = "_known_areas"


def _row_rules(contract: DatasetContract) -> dict[int, tuple[str, ...]]:
    """Checks that read two columns of a row, by the column whose problem they are: for an
    area-level table, the level is one of the partnership's, the area code a known area of
    that level (table ``_known_areas``: level, code), and the period does not end before it
    starts."""
    if not contract.is_area_level:
        return {}
    index = {c.maps_to: i for i, c in enumerate(contract.columns)}
    rules: dict[int, tuple[str, ...]] = {}
    levels = f"(SELECT level FROM {KNOWN_AREAS})"
    allowed = (
        f"coalesce((SELECT string_agg(DISTINCT level, ', ' ORDER BY level) FROM {KNOWN_AREAS}), "
        "'none: the partnership has no areas')"
    )
    if "area_type" in index:
        lv = f"_v{index['area_type']}"
        rules[index["area_type"]] = (
            f"WHEN {lv} NOT IN {levels} THEN 'unknown area level (allowed: ' || {allowed} || ')'",
        )
        if "area_code" in index:
            code = f"_v{index['area_code']}"
            rules[index["area_code"]] = (
                f"WHEN {lv} IN {levels} AND NOT EXISTS (SELECT 1 FROM {KNOWN_AREAS} k "
                f"WHERE k.level = {lv} AND k.code = {code}) THEN 'unknown area: not a ' || "
                f"{lv} || ' of the partnership''s geography (geography.areas, else the "
                "postcode lookup)'",
            )
    if "period_start" in index and "period_end" in index:
        start, end = f"_v{index['period_start']}", f"_v{index['period_end']}"
        rules[index["period_end"]] = (
            f"WHEN {end} < {start} THEN 'period ends before it starts (period_start is ' || "
            f"CAST({start} AS VARCHAR) || ')'",
        )
    return rules


def _stage_areas(
    con: duckdb.DuckDBPyConnection, contract: DatasetContract, areas: pd.DataFrame | None
) -> None:
    """Put the partnership's areas (level, code) in ``_known_areas`` for an area-level table."""
    if not contract.is_area_level:
        return
    if areas is None:
        raise ValueError(f"{contract.name}: an area-level dataset is checked against the areas")
    con.register("_areas_frame", areas.loc[:, ["level", "code"]].astype(str))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {KNOWN_AREAS} AS SELECT DISTINCT level, code "
        "FROM _areas_frame"
    )
    con.unregister("_areas_frame")


def validate_staged(
    con: duckdb.DuckDBPyConnection,
    contract: DatasetContract,
    today: date,
    ragged: pd.DataFrame | None = None,
    areas: pd.DataFrame | None = None,
) -> CheckCounts:
    """Validate ``raw``; leave the view ``valid`` (typed rows named by canonical field, with
    ``_line``), the tables ``quarantine`` and ``dropped`` (line, column, value, reason), and
    the ``checked`` view over ``_typed`` (trimmed text ``_t<i>`` of every contract column).
    An area-level dataset needs ``areas``: the partnership's areas (level, code; see
    :func:`~partnerhub.geography.partnership_areas`)."""
    cols = contract.columns
    _stage_areas(con, contract, areas)
    rules = _row_rules(contract)
    texts = ", ".join(f"{_trimmed(quote(c.name))} AS _t{i}" for i, c in enumerate(cols))
    nhs = [i for i, c in enumerate(cols) if c.maps_to == "nhs_number"]
    digits = "".join(f", {_nhs_digits(f'_t{i}')} AS _n{i}" for i in nhs)
    numbers = "".join(f", CAST(_n{i} AS BIGINT) AS _d{i}" for i in nhs)
    # Text columns that need no conversion are not copied: ``_v`` is then ``_t`` itself.
    exprs = {i: _typed(c, contract, f"_t{i}", f"_n{i}", f"_d{i}") for i, c in enumerate(cols)}
    typed = ", ".join(f"{e} AS _v{i}" for i, e in exprs.items() if e != f"_t{i}")
    same = "".join(f", _t{i} AS _v{i}" for i, e in exprs.items() if e == f"_t{i}")
    text_cols = ", ".join(f"_t{i}" for i in range(len(cols)))
    reasons = ", ".join(
        f"{_reason(c, contract, i, today, rules.get(i, ()))} AS _r{i}" for i, c in enumerate(cols)
    )
    # One materialised pass computes every typed value once (``_typed``); reasons are cheap
    # CASE expressions over it, read through the ``checked`` view. Duplicate ids need a window
    # over the whole file, so they are found once, into a small table.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT _line, {text_cols}, {typed} "
        f"FROM (SELECT *{numbers} FROM (SELECT *{digits} FROM (SELECT _line, {texts} FROM {RAW})))"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW _values AS SELECT *{same} FROM _typed")
    con.execute("DROP VIEW IF EXISTS checked")
    con.execute(f"CREATE TEMP VIEW checked AS SELECT *, {reasons} FROM _values")
    dups = []
    for i, c in enumerate(cols):
        if c.maps_to in ROW_ID_FIELDS:
            dups.append(
                f'SELECT _line AS line, {_lit(c.name)} AS "column", _v{i} AS value, '
                f"'duplicate {c.maps_to}: first on line ' || CAST(first_line AS VARCHAR) AS reason "
                f"FROM (SELECT _line, _v{i}, min(_line) OVER (PARTITION BY _v{i}) AS first_line, "
                f"count(*) OVER (PARTITION BY _v{i}) AS n FROM _values WHERE _v{i} IS NOT NULL) "
                "WHERE n > 1 AND _line > first_line"
            )
    key = [f for f in table(contract.table).row_key if contract.column_for(f) is not None]
    if key:
        # An area-level figure is given once: a second row for the same partner, area, period
        # and measure (or programme) would be counted twice.
        index = {c.maps_to: i for i, c in enumerate(cols)}
        part = ", ".join(f"_v{index[f]}" for f in key)
        reason = _lit("duplicate " + ", ".join(key) + ": first on line ")
        dups.append(
            "SELECT _line AS line, '' AS \"column\", '' AS value, "
            f"{reason} || "
            "CAST(first_line AS VARCHAR) AS reason "
            f"FROM (SELECT _line, min(_line) OVER (PARTITION BY {part}) AS first_line "
            "FROM _values) WHERE _line > first_line"
        )
    if not dups:
        # No row id: a row whose every value (trimmed) equals an earlier row's is a copy.
        # Rows are hashed first; only rows whose hash repeats are compared value by value.
        repeated = (
            f"SELECT h FROM (SELECT hash({text_cols}) AS h FROM _typed) "
            "GROUP BY h HAVING count(*) > 1"
        )
        dups.append(
            "SELECT _line AS line, '' AS \"column\", '' AS value, "
            f"{_lit(EXACT_DUPLICATE)} || CAST(first_line AS VARCHAR) AS reason "
            f"FROM (SELECT _line, min(_line) OVER (PARTITION BY {text_cols}) AS first_line "
            f"FROM _typed WHERE hash({text_cols}) IN ({repeated})) WHERE _line > first_line"
        )
    con.execute("CREATE OR REPLACE TEMP TABLE _duplicates AS " + " UNION ALL ".join(dups))
    # An invalid optional identifier does not stop its row: the value is dropped instead.
    drop = {i for i, c in enumerate(cols) if contract.drops_invalid(c)}
    ok = " AND ".join(f"_r{i} IS NULL" for i in range(len(cols)) if i not in drop) or "true"
    fields = [
        f"CASE WHEN _r{i} IS NULL THEN _v{i} END AS {quote(c.maps_to)}"
        if i in drop
        else f"_v{i} AS {quote(c.maps_to)}"
        for i, c in enumerate(cols)
    ]
    fields += [f"{_lit(v)} AS {quote(k)}" for k, v in contract.constants.items()]
    # ``valid`` is a view, not a copy: the checks are cheap over the materialised ``_typed``,
    # and its readers (counts, the report, the split) each read it once. Readers that need the
    # file's order ask for it (ORDER BY _line).
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW valid AS SELECT _line, {', '.join(fields)} FROM checked "
        f"WHERE {ok} AND _line NOT IN (SELECT line FROM _duplicates)"
    )
    problems = ", ".join(
        f"({_lit(c.name)}, coalesce(_t{i}, ''), _r{i})" for i, c in enumerate(cols)
    )
    ragged = ragged if ragged is not None else pd.DataFrame(columns=["line", "reason"])
    con.register("_ragged", ragged.loc[:, ["line", "reason"]].astype({"line": "int64"}))
    con.execute("DROP TABLE IF EXISTS quarantine")
    con.execute(
        "CREATE TEMP TABLE quarantine AS SELECT * FROM ("
        f'SELECT _line AS line, p[1] AS "column", p[2] AS value, p[3] AS reason FROM ('
        f"SELECT _line, unnest([{problems}]) AS p FROM checked WHERE NOT ({ok})) "
        "WHERE p[3] IS NOT NULL "
        'UNION ALL SELECT line, "column", value, reason FROM _duplicates '
        "UNION ALL SELECT CAST(line AS BIGINT), '', '', CAST(reason AS VARCHAR) FROM _ragged"
        ') ORDER BY line, "column", reason'
    )
    con.unregister("_ragged")
    # The identifiers dropped from rows that load (a quarantined row lists them above).
    con.execute("DROP TABLE IF EXISTS dropped")
    if drop:
        dropped = ", ".join(
            f"({_lit(c.name)}, coalesce(_t{i}, ''), _r{i})" for i, c in enumerate(cols) if i in drop
        )
        con.execute(
            "CREATE TEMP TABLE dropped AS "
            'SELECT _line AS line, p[1] AS "column", p[2] AS value, p[3] AS reason FROM ('
            f"SELECT _line, unnest([{dropped}]) AS p FROM checked WHERE {ok} "
            "AND _line NOT IN (SELECT line FROM _duplicates)) "
            'WHERE p[3] IS NOT NULL ORDER BY line, "column"'
        )
    else:
        con.execute(
            'CREATE TEMP TABLE dropped (line BIGINT, "column" VARCHAR, value VARCHAR, '
            "reason VARCHAR)"
        )
    rows = _scalar(con, f"SELECT count(*) FROM {RAW}")
    valid = _scalar(con, "SELECT count(*) FROM valid")
    quarantined = _scalar(con, "SELECT count(DISTINCT line) FROM quarantine")
    return CheckCounts(rows + len(ragged), valid, quarantined)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row is not None else 0


def validate_extract(
    raw: RawExtract,
    contract: DatasetContract,
    today: date,
    areas: pd.DataFrame | None = None,
) -> Checked:
    """Validate an extract read by :func:`~partnerhub.ingest.read.read_extract` (the checks
    ingest runs, returned as data frames — the partner's own rows, not vault rows)."""
    con = duckdb.connect()
    try:
        stage_frame(con, raw.rows, contract)
        counts = validate_staged(con, contract, today, raw.ragged, areas)
        valid = con.execute("SELECT * FROM valid ORDER BY _line").fetchdf()
        for c in contract.columns:
            if c.type == "date":
                s = valid[c.maps_to]
                valid[c.maps_to] = s.dt.date.astype(object).where(s.notna(), None)
        quarantine = con.execute("SELECT * FROM quarantine").fetchdf()
        dropped = con.execute("SELECT * FROM dropped").fetchdf()
    finally:
        con.close()
    return Checked(valid=valid, quarantine=quarantine, received=counts.received, dropped=dropped)
