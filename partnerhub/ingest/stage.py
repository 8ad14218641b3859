"""Stage an extract in DuckDB as text, ready for validation in SQL.

Two readers give the same staged table ``raw`` (one text column per contract column, ``_line``
= the line of the file the row starts on):

* the **fast reader** hands a CSV to DuckDB's ``read_csv`` — used when the file is plainly laid
  out: a header without quotes, and exactly one physical line per record (so line numbers are
  exact). Non-UTF-8 encodings are transcoded to UTF-8 first.
* the **careful reader** (:func:`~partnerhub.ingest.read.read_extract`) handles everything else
  (ragged rows, embedded newlines, huge fields, Parquet, Excel) and explains any file it cannot
  read. It runs whenever the fast reader has any doubt, so the fast reader never decides what a
  malformed file means.
"""

from __future__ import annotations

import codecs
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from partnerhub.config.settings import DEFAULT_MAX_XLSX_BYTES
from partnerhub.ingest.read import MAGIC_BYTES, check_header, header_warnings, read_extract
from partnerhub.schema import DatasetContract
from partnerhub.vault.backend import quote

__all__ = ["RAW", "Staged", "stage_extract", "stage_frame"]

RAW = "raw"
_FAST_MAX_FIELD = 1 << 20  # DuckDB's default line limit is 2 MB; longer lines go the careful way


@dataclass(frozen=True)
class Staged:
    """What :func:`stage_extract` put in the ``raw`` table."""

    path: Path
    rows: int  # rows in ``raw``
    ragged: pd.DataFrame  # line, fields, reason: rows that could not be split into columns
    warnings: tuple[str, ...] = field(default=())
    reader: str = "careful"

    @property
    def received(self) -> int:
        return self.rows + len(self.ragged)


def stage_extract(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    contract: DatasetContract,
    *,
    max_xlsx_bytes: int = DEFAULT_MAX_XLSX_BYTES,
) -> Staged:
    """Put ``path`` in ``con`` as table ``raw``; raise a ContractError if it cannot be read
    (``max_xlsx_bytes``: see :func:`~partnerhub.ingest.read.check_xlsx_size`)."""
    if contract.file.format == "csv" and path.is_file():
        staged = _fast_csv(con, path, contract)
        if staged is not None:
            return staged
    raw = read_extract(path, contract, max_xlsx_bytes=max_xlsx_bytes)
    stage_frame(con, raw.rows, contract)
    return Staged(path, len(raw.rows), raw.ragged, raw.warnings, "careful")


def stage_frame(
    con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, contract: DatasetContract
) -> None:
    """Stage text rows (contract column names + ``_line``) as ``raw``."""
    con.execute(f"DROP TABLE IF EXISTS {RAW}")
    frame = rows.loc[:, [*contract.column_names, "_line"]]
    con.register("_staged_frame", frame)
    cols = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" for c in contract.column_names)
    con.execute(
        f"CREATE TEMP TABLE {RAW} AS SELECT {cols}, CAST(_line AS BIGINT) AS _line "
        "FROM _staged_frame"
    )
    con.unregister("_staged_frame")


def _fast_csv(
    con: duckdb.DuckDBPyConnection, path: Path, contract: DatasetContract
) -> Staged | None:
    """Stage with DuckDB's CSV reader, or return None to leave the file to the careful one."""
    data = path.read_bytes()
    if data[:4096].isspace() or not data or any(data.startswith(m) for m in MAGIC_BYTES):
        return None
    encoding = codecs.lookup(contract.file.encoding).name
    had_bom = data.startswith(codecs.BOM_UTF8) and encoding == "utf-8"
    if had_bom:
        data = data[len(codecs.BOM_UTF8) :]
    end = data.find(b"\n")
    if end < 0:
        return None
    try:
        head = data[:end].decode(encoding).rstrip("\r")
    except UnicodeDecodeError:
        return None
    if '"' in head:
        return None
    header = [h.strip() for h in head.split(contract.file.delimiter)]
    if len(set(header)) != len(header) or "" in header:
        return None
    check_header(path, header, list(contract.column_names), contract)
    with tempfile.TemporaryDirectory(prefix="partnerhub-stage-") as tmp:
        source = path
        if encoding != "utf-8" or had_bom:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            source = Path(tmp) / "extract.csv"
            source.write_bytes(text.encode("utf-8"))
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        # the file's own header names every column, in its order: a bound STRUCT parameter
        columns = dict.fromkeys(header, "VARCHAR")
        try:
            con.execute("DROP TABLE IF EXISTS _raw_file")
            con.execute(
                "CREATE TEMP TABLE _raw_file AS SELECT * FROM read_csv($path, delim = $delim, "
                "quote = '\"', escape = '\"', header = true, columns = $columns, "
                "auto_detect = false, strict_mode = true, null_padding = false, "
                "max_line_size = $max_line_size)",
                {
                    "path": str(source),
                    "delim": contract.file.delimiter,
                    "columns": columns,
                    "max_line_size": _FAST_MAX_FIELD * 2,
                },
            )
        except duckdb.Error:
            con.execute("DROP TABLE IF EXISTS _raw_file")
            return None
    n = int(con.execute("SELECT count(*) FROM _raw_file").fetchall()[0][0])
    if n != lines - 1:  # blank lines, embedded newlines: line numbers would be wrong
        con.execute("DROP TABLE _raw_file")
        return None
    present = set(header)
    cols = ", ".join(
        f"{quote(c)}" if c in present else f"CAST(NULL AS VARCHAR) AS {quote(c)}"
        for c in contract.column_names
    )
    con.execute(f"DROP VIEW IF EXISTS {RAW}")
    con.execute(f"DROP TABLE IF EXISTS {RAW}")
    con.execute(f"CREATE TEMP VIEW {RAW} AS SELECT {cols}, rowid + 2 AS _line FROM _raw_file")
    empty = pd.DataFrame(columns=["line", "fields", "reason"])
    warnings = header_warnings(header, list(contract.column_names))
    return Staged(path, n, empty, warnings, "fast")
