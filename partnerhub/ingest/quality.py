"""The data-quality report of one extract: counts, completeness and validity per column,
duplicates, date coverage, code shares, and drift against the dataset's previous load.

Aggregates only — it never contains a value from the file, so it can be shown to anyone who may
see the load's existence (the partner, the IG officer).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from partnerhub.config import Partnership
from partnerhub.config.settings import DEFAULT_MAX_XLSX_BYTES, DatasetSettings
from partnerhub.geography import partnership_areas
from partnerhub.ingest.stage import Staged, stage_extract
from partnerhub.ingest.validate import EXACT_DUPLICATE, CheckCounts, validate_staged
from partnerhub.schema import DatasetContract, builtin_contract, load_contract
from partnerhub.vault.backend import quote

__all__ = [
    "DRIFT_THRESHOLD",
    "areas_of",
    "check_file",
    "check_partnership",
    "contract_of",
    "drift",
    "quality_report",
]

DRIFT_THRESHOLD = 0.05  # a share moving by more than 5 percentage points is reported


def areas_of(settings: Partnership, contract: DatasetContract) -> pd.DataFrame | None:
    """The partnership's areas (level, code) an area-level dataset is checked against (the
    areas file when configured, else every area the postcode lookup resolves to); None for a
    dataset of people, which needs none."""
    if not contract.is_area_level:
        return None
    geo = settings.geography
    return partnership_areas(
        settings.resolve(geo.postcode_lookup),
        settings.resolve(geo.areas) if geo.areas is not None else None,
    )


def contract_of(settings: Partnership, ds: DatasetSettings) -> DatasetContract:
    """The contract a dataset of `partnership.toml` names (``builtin:`` or a TOML path)."""
    if ds.contract.startswith("builtin:"):
        return builtin_contract(ds.contract.removeprefix("builtin:"))
    return load_contract(settings.resolve(Path(ds.contract)))


def quality_report(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    counts: CheckCounts,
    contract: DatasetContract,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of the ``raw``/``valid``/``quarantine`` tables staged in ``con``."""
    n = staged.rows
    filled = ", ".join(f"count(_t{i})" for i in range(len(contract.columns)))
    row = con.execute(f"SELECT {filled} FROM _typed").fetchall()[0]
    by_reason: dict[str, dict[str, int]] = {}
    for column, reason, k in con.execute(
        'SELECT "column", reason, count(*) FROM quarantine GROUP BY ALL ORDER BY ALL'
    ).fetchall():
        by_reason.setdefault(column, {})[reason] = int(k)
    by_dropped: dict[str, dict[str, int]] = {}
    for column, reason, k in con.execute(
        'SELECT "column", reason, count(*) FROM dropped GROUP BY ALL ORDER BY ALL'
    ).fetchall():
        by_dropped.setdefault(column, {})[reason] = int(k)
    columns = []
    for c, k in zip(contract.columns, row, strict=True):
        reasons = by_reason.get(c.name, {})
        dropped = by_dropped.get(c.name, {})
        columns.append(
            {
                "column": c.name,
                "maps_to": c.maps_to,
                "required": c.required,
                "on_invalid": "drop" if contract.drops_invalid(c) else "quarantine",
                "completeness": round(int(k) / n, 4) if n else None,
                "invalid": sum(reasons.values()) + sum(dropped.values()),
                "reasons": reasons,  # problems in quarantined rows
                "dropped": dropped,  # invalid identifiers dropped from rows that loaded
            }
        )
    duplicates = sum(
        v for reasons in by_reason.values() for r, v in reasons.items() if r.startswith("duplicate")
    )
    exact = sum(v for r, v in by_reason.get("", {}).items() if r.startswith(EXACT_DUPLICATE))
    dropped_rows = _count(con, "SELECT count(DISTINCT line) FROM dropped")
    coverage: dict[str, str | None] = {"field": None, "from": None, "to": None}
    dates = [c.maps_to for c in contract.columns if c.type == "date" and c.required]
    if dates and counts.valid:
        lo, hi = con.execute(
            f"SELECT min({quote(dates[0])}), max({quote(dates[0])}) FROM valid"
        ).fetchall()[0]
        coverage = {"field": dates[0], "from": str(lo), "to": str(hi)}
    codes: dict[str, dict[str, float]] = {}
    for c in contract.columns:
        if c.type == "code" and counts.valid:
            shares = con.execute(
                f"SELECT CAST({quote(c.maps_to)} AS VARCHAR), count(*) / sum(count(*)) OVER () "
                f"FROM valid GROUP BY 1 ORDER BY 1 NULLS LAST"
            ).fetchall()
            codes[c.maps_to] = {str(k): round(float(v), 4) for k, v in shares}
    report: dict[str, Any] = {
        "contract": contract.name,
        "file": str(staged.path),
        "reader": staged.reader,
        "received": counts.received,
        "valid": counts.valid,
        "quarantined": counts.quarantined,
        "duplicates": duplicates,
        "exact_duplicate_rows": exact,
        "dropped_identifiers": {
            "values": sum(sum(d.values()) for d in by_dropped.values()),
            "rows": dropped_rows,  # rows loaded with at least one identifier dropped
            "by_column": by_dropped,
        },
        "warnings": list(staged.warnings),
        "date_coverage": coverage,
        "columns": columns,
        "codes": codes,
    }
    report["drift"] = drift(previous, report) if previous else None
    return report


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row is not None else 0


def drift(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What changed since the previous extract: row count, and every completeness or code share
    that moved by more than :data:`DRIFT_THRESHOLD`; a new or vanished column; date coverage."""
    before, after = previous.get("received") or 0, current["received"]
    out: dict[str, Any] = {
        "previous_received": before,
        "received_change": round((after - before) / before, 4) if before else None,
        "completeness": {},
        "codes": {},
        "date_coverage": {
            "previous": previous.get("date_coverage"),
            "now": current["date_coverage"],
        },
    }
    old = {c["column"]: c["completeness"] for c in previous.get("columns", [])}
    for c in current["columns"]:
        was, now = old.get(c["column"]), c["completeness"]
        if was is not None and now is not None and abs(now - was) > DRIFT_THRESHOLD:
            out["completeness"][c["column"]] = {"previous": was, "now": now}
    for field, shares in current.get("codes", {}).items():
        was_shares = previous.get("codes", {}).get(field, {})
        for code in sorted(set(shares) | set(was_shares)):
            a, b = was_shares.get(code, 0.0), shares.get(code, 0.0)
            if abs(b - a) > DRIFT_THRESHOLD:
                out["codes"].setdefault(field, {})[code] = {"previous": a, "now": b}
    return out


def check_partnership(settings: Partnership, today: date) -> list[dict[str, Any]]:
    """Read and validate every dataset listed in `partnership.toml` (nothing is loaded)."""
    reports = []
    for partner in settings.partners:
        for ds in partner.datasets:
            contract = contract_of(settings, ds)
            reports.append(
                check_file(
                    settings.resolve(ds.path),
                    contract,
                    today,
                    max_xlsx_bytes=settings.ingest.max_xlsx_uncompressed_bytes,
                    areas=areas_of(settings, contract),
                )
            )
    return reports


def check_file(
    path: Path,
    contract: DatasetContract,
    today: date,
    *,
    max_xlsx_bytes: int = DEFAULT_MAX_XLSX_BYTES,
    areas: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Stage and validate one file in a throw-away database; return its quality report
    (``areas``: see :func:`areas_of`, for an area-level dataset)."""
    con = duckdb.connect()
    try:
        staged = stage_extract(con, path, contract, max_xlsx_bytes=max_xlsx_bytes)
        counts = validate_staged(con, contract, today, staged.ragged, areas)
        return quality_report(con, staged, counts, contract)
    finally:
        con.close()
