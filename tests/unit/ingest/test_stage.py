"""Staging binds every value taken from the partner's file: the header names reach DuckDB's
CSV reader as a bound parameter, never as text in the SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb

from partnerhub.ingest import stage_extract
from partnerhub.schema import builtin_contract

EXTRA = "o'brien_note_5e1f"  # a column the contract does not know, with a quote in its name


def test_the_partners_header_is_a_bound_parameter(tmp_path: Path) -> None:
    c = builtin_contract("acute_spells")
    header = [*c.column_names, EXTRA]
    rows = [[f"{name}-{i}" for name in header] for i in range(3)]
    path = tmp_path / "acute_spells.csv"
    sep = c.file.delimiter
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    con = duckdb.connect()
    con.execute("CALL enable_logging('QueryLog')")

    staged = stage_extract(con, path, c)

    assert staged.reader == "fast"
    assert staged.rows == 3
    assert any(EXTRA in w for w in staged.warnings)  # ignored, and said so
    first = c.column_names[0]
    got = con.execute(f'SELECT "{first}", _line FROM raw ORDER BY _line').fetchall()
    assert got == [(f"{first}-{i}", i + 2) for i in range(3)]
    queries = [
        q
        for (q,) in con.execute(
            "SELECT message FROM duckdb_logs WHERE type = 'QueryLog'"
        ).fetchall()
    ]
    assert any("read_csv" in q for q in queries)
    assert not [q for q in queries if "5e1f" in q]
