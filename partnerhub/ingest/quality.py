"""The data-quality report of one checked extract: counts, and completeness and validity per
column. Aggregates only — it never contains a value from the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from partnerhub.config import Partnership
from partnerhub.ingest.read import RawExtract, read_extract
from partnerhub.ingest.validate import Checked, validate_extract
from partnerhub.schema import DatasetContract, builtin_contract, load_contract

__all__ = ["check_partnership", "quality_report"]


def quality_report(raw: RawExtract, checked: Checked, contract: DatasetContract) -> dict[str, Any]:
    """Counts received / valid / quarantined, and per column: share filled, problems by reason."""
    rows = raw.rows
    n = len(rows)
    problems = checked.quarantine
    columns = []
    for col in contract.columns:
        filled = int(rows[col.name].astype(str).str.strip().ne("").sum()) if n else 0
        mine = problems.loc[problems["column"] == col.name]
        columns.append(
            {
                "column": col.name,
                "maps_to": col.maps_to,
                "required": col.required,
                "completeness": round(filled / n, 4) if n else None,
                "invalid": len(mine),
                "reasons": {str(k): int(v) for k, v in mine["reason"].value_counts().items()},
            }
        )
    dates = [c.maps_to for c in contract.columns if c.type == "date" and c.required]
    coverage: dict[str, str | None] = {"from": None, "to": None}
    if dates and len(checked.valid):
        values = pd.to_datetime(checked.valid[dates[0]])
        coverage = {"from": str(values.min().date()), "to": str(values.max().date())}
    return {
        "contract": contract.name,
        "file": str(raw.path),
        "received": checked.received,
        "valid": len(checked.valid),
        "quarantined": checked.quarantined_rows,
        "warnings": list(raw.warnings),
        "date_coverage": coverage,
        "columns": columns,
    }


def check_partnership(settings: Partnership, today: date) -> list[dict[str, Any]]:
    """Read and validate every dataset listed in `partnership.toml` (nothing is loaded)."""
    reports = []
    for partner in settings.partners:
        for ds in partner.datasets:
            contract = (
                builtin_contract(ds.contract.removeprefix("builtin:"))
                if ds.contract.startswith("builtin:")
                else load_contract(settings.resolve(Path(ds.contract)))
            )
            raw = read_extract(settings.resolve(ds.path), contract)
            reports.append(quality_report(raw, validate_extract(raw, contract, today), contract))
    return reports
