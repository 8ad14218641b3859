"""Computing indicators for a partnership: the steps the CLI and the dashboard share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from partnerhub.config import Partnership
from partnerhub.errors import UserError
from partnerhub.geography import Areas
from partnerhub.governance import Gate, Principal
from partnerhub.governance.outputs import Provenance, PublishedTable
from partnerhub.indicators.imported import read_imported
from partnerhub.indicators.national_set import importable_indicator
from partnerhub.indicators.periods import Period
from partnerhub.indicators.release import data_extent, default_periods, release_indicator
from partnerhub.indicators.spec import IndicatorSpec
from partnerhub.vault import Vault

__all__ = ["areas_of", "import_indicator", "plan_periods", "release_indicators"]


def areas_of(settings: Partnership) -> Areas:
    where = settings.geography.areas
    return Areas.load(settings.resolve(where) if where else None)


def plan_periods(
    vault: Vault,
    specs: Sequence[IndicatorSpec],
    first: date | None = None,
    last: date | None = None,
) -> tuple[list[tuple[IndicatorSpec, list[Period]]], dict[str, str]]:
    """Each spec's whole periods between ``first`` and ``last`` (default: the span of its
    facts in the vault). Specs with no whole period are left out, with the reason (an error
    when that leaves nothing). A read of ``vault``, whose person table the caller has checked
    is up to date (``with hub.reader() as vault:``; `partnerhub link` rebuilds it)."""
    plans = []
    skipped: dict[str, str] = {}
    for spec in specs:
        extent = data_extent(vault, spec) if not (first and last) else None
        lo = first or (extent[0] if extent else None)
        hi = last or (extent[1] if extent else None)
        if lo is None or hi is None:
            skipped[spec.id] = "no facts in the vault to compute it from"
            continue
        periods = default_periods(spec, lo, hi)
        if not periods:
            skipped[spec.id] = f"no whole {spec.period.replace('_', ' ')} between {lo} and {hi}"
            continue
        plans.append((spec, periods))
    if not plans:
        detail = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        raise UserError(f"nothing to compute — {detail} (widen --from/--to or load more data)")
    return plans, skipped


def release_indicators(
    settings: Partnership,
    gate: Gate,
    principal: Principal,
    plans: Sequence[tuple[IndicatorSpec, list[Period]]],
    level: str,
    purpose: str,
) -> list[dict[str, Any]]:
    """Release each planned indicator at ``level`` through the gate; their summaries."""
    areas = areas_of(settings)
    out = []
    for spec, periods in plans:
        release = release_indicator(gate, principal, spec, level, purpose, periods, areas)
        summary = gate.summary(release)  # type: ignore[arg-type]
        summary["indicator"] = spec.id
        summary["periods"] = [periods[0].label, periods[-1].label]
        out.append(summary)
    return out


def import_indicator(
    settings: Partnership,
    gate: Gate,
    principal: Principal,
    indicator: str,
    path: Path,
    source: str,
    purpose: str,
    polarity: str = "none",
) -> list[dict[str, Any]]:
    """Check an import file of a survey indicator completely, then release it through the
    gate, one release per area level it has (like a computed indicator's); their summaries."""
    ni = importable_indicator(indicator)
    where = settings.geography.areas
    imported = read_imported(path, ni, source, settings.resolve(where) if where else None, polarity)
    out = []
    for level, table in imported.levels.items():
        periods = list(dict.fromkeys(table["Time period"]))
        request = PublishedTable(
            table,
            counts=("Count", "Denominator"),
            dependent=(
                "Value",
                "Lower CI 95.0 limit",
                "Upper CI 95.0 limit",
                "Compared to parent",
            ),
            purpose=purpose,
            title=f"{ni.id} {ni.title}: by {level} (imported: {imported.source})",
            query={
                "indicator": ni.id,
                "level": level,
                "imported": imported.source,
                "file": path.name,
                "polarity": polarity,
            },
            provenance=Provenance("indicators", ni.id, level, (str(periods[0]), str(periods[-1]))),
        )
        release = gate.release(principal, request)
        summary = gate.summary(release)
        summary.update(indicator=ni.id, level=level, periods=[periods[0], periods[-1]])
        out.append(summary)
    return out
