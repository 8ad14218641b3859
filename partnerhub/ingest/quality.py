"""The data-quality report of one checked extract: counts, and completeness and validity per
column. Aggregates only — it never contains a value from the file."""

from __future__ import annotations

from typing import Any

import pandas as pd

from partnerhub.ingest.read import RawExtract
from partnerhub.ingest.validate import Checked
from partnerhub.schema import DatasetContract

__all__ = ["quality_report"]


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
