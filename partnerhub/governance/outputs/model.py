"""Model summaries: a fitted model's coefficients and model-level figures — never a row.

The rule (SACRO/ACRO, :mod:`partnerhub.disclosure.outputs`): the whole summary is refused with
fewer than :data:`~partnerhub.disclosure.MODEL_DOF_THRESHOLD` residual degrees of freedom or
too few observations; a coefficient resting on no more people than the agreement's threshold
is withheld. Minimisation: only the columns of
:data:`~partnerhub.disclosure.MODEL_COLUMNS` and the figures of
:data:`~partnerhub.disclosure.MODEL_METRICS` leave; the people behind each term are used for
the rule and never released; the number of observations is released rounded."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from partnerhub.disclosure import (
    MODEL_COLUMNS,
    MODEL_DOF_THRESHOLD,
    MODEL_METRICS,
    SUPPRESSED_MARK,
    dof_is_safe,
    is_primary,
    round_to_base,
    term_is_safe,
)
from partnerhub.errors import DisclosureError
from partnerhub.governance.outputs.base import BuildContext, FieldQuery, Output, Provenance
from partnerhub.vault import Vault

__all__ = ["ModelFit", "ModelSummary"]


@dataclass(frozen=True)
class ModelFit:
    """What a model builder returns: one row per term (``term``, its statistics, and
    ``people`` — how many people the term rests on), the residual degrees of freedom, the
    number of observations and model-level figures."""

    coefficients: pd.DataFrame
    residual_dof: int
    observations: int
    metrics: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = {"term", "people"} - set(self.coefficients.columns)
        if missing:
            raise ValueError(f"a model fit's coefficients need the columns {sorted(missing)}")


@dataclass(frozen=True)
class ModelSummary:
    """A model summary release: ``build`` fits the model in the vault scoped to the fields of
    ``source`` and returns a :class:`ModelFit`."""

    kind: ClassVar[str] = "model_summary"
    authorised_as: ClassVar[str] = "model_summary"
    source: FieldQuery
    build: Callable[[Vault], ModelFit]
    purpose: str
    title: str
    query: dict[str, Any]
    provenance: Provenance

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return self.source.fields(dataset_tables)

    def produce(self, context: BuildContext) -> Output:
        fit: ModelFit = context.build(self.build)
        summary, notes = summarise(fit, context)
        content = json.dumps(summary, sort_keys=True)
        return Output(
            title=self.title,
            query=self.query,
            provenance=self.provenance,
            content=content,
            media_type="application/json",
            notes=notes,
            cells=len(summary["coefficients"]),
            released_rows=len(summary["coefficients"]) - notes["primary"],
        )


def summarise(fit: ModelFit, context: BuildContext) -> tuple[dict[str, Any], dict[str, int]]:
    """The released summary of ``fit`` (refused whole when unsafe) and what was withheld."""
    settings = context.settings
    if not dof_is_safe(fit.residual_dof):
        raise DisclosureError(
            f"the model has {fit.residual_dof} residual degrees of freedom; a summary needs at "
            f"least {MODEL_DOF_THRESHOLD} — use fewer terms or more people"
        )
    if is_primary(fit.observations, settings):
        raise DisclosureError(
            f"the model rests on {fit.observations} observations, no more than the "
            f"agreement's threshold of {settings.threshold} — it cannot be released"
        )
    columns = [c for c in MODEL_COLUMNS if c in fit.coefficients.columns]
    rows = []
    withheld = 0
    for record in fit.coefficients.to_dict("records"):
        safe = term_is_safe(int(record["people"]), settings)
        withheld += not safe
        rows.append(
            {c: (_number(record[c]) if safe or c == "term" else SUPPRESSED_MARK) for c in columns}
        )
    metrics = {k: _number(v) for k, v in sorted(fit.metrics.items()) if k in MODEL_METRICS}
    summary = {
        "coefficients": rows,
        "metrics": metrics,
        "observations": round_to_base(fit.observations, settings.rounding_base),
        "residual_dof_at_least": MODEL_DOF_THRESHOLD,
    }
    dropped = len(fit.metrics) - len(metrics)
    return summary, {"primary": withheld, "secondary": 0, "dropped_metrics": dropped}


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
