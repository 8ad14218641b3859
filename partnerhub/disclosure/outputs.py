"""Disclosure rules of the output kinds beyond count tables: model summaries and figures for
the public. Constants plus pure functions, like :mod:`.rules`.

Model summaries follow SACRO/ACRO's rules for analytical outputs: a model needs at least
:data:`MODEL_DOF_THRESHOLD` residual degrees of freedom (ACRO's ``safe_dof_threshold``), and
each reported coefficient or group must rest on more people than the agreement's threshold
(ACRO's ``safe_threshold``, applied to the people behind a term — a coefficient of a category
of three people describes those three). No row-level quantity (residuals, fitted values,
influence) is ever part of a summary.

A public figure is a single aggregate for anyone to read, so it takes the strictest rule: the
larger of the agreement's and the public threshold and rounding base, and it is refused whole
for a population smaller than :data:`PUBLIC_MIN_POPULATION`.
"""

from __future__ import annotations

from dataclasses import replace

from partnerhub.disclosure.rules import DisclosureSettings, is_primary, release_count

__all__ = [
    "MODEL_COLUMNS",
    "MODEL_DOF_THRESHOLD",
    "MODEL_METRICS",
    "PUBLIC_MIN_POPULATION",
    "PUBLIC_POPULATION_BASE",
    "PUBLIC_ROUNDING_BASE",
    "PUBLIC_THRESHOLD",
    "dof_is_safe",
    "public_count",
    "public_settings",
    "term_is_safe",
]

MODEL_DOF_THRESHOLD = 10  # ACRO default.yaml: safe_dof_threshold
# the only columns a coefficient table may carry (no residuals, fitted values, leverages)
MODEL_COLUMNS = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "ci_lower",
    "ci_upper",
)
# the only model-level figures a summary may carry
MODEL_METRICS = (
    "r_squared",
    "adj_r_squared",
    "aic",
    "bic",
    "log_likelihood",
    "c_index",
    "auc",
    "brier_score",
)
PUBLIC_THRESHOLD = 10  # ACRO default.yaml: safe_threshold — the public gets at least this
PUBLIC_ROUNDING_BASE = 10
PUBLIC_MIN_POPULATION = 1000  # no figure about fewer people than this goes to the public
PUBLIC_POPULATION_BASE = 100  # a population is published to the nearest hundred


def dof_is_safe(residual_dof: int) -> bool:
    """Enough residual degrees of freedom that the model does not (nearly) interpolate its
    data."""
    return residual_dof >= MODEL_DOF_THRESHOLD


def term_is_safe(people: int, settings: DisclosureSettings) -> bool:
    """A coefficient (or group) may be reported: the people behind it are more than the
    threshold (none at all is not safe either: the term says "nobody here")."""
    return people > 0 and not is_primary(people, settings)


def public_settings(settings: DisclosureSettings) -> DisclosureSettings:
    """The strictest of the agreement's settings and the public ones."""
    return replace(
        settings,
        threshold=max(settings.threshold, PUBLIC_THRESHOLD),
        rounding_base=max(settings.rounding_base, PUBLIC_ROUNDING_BASE),
        zeros_are_disclosive=True,
    )


def public_count(count: int, cell_key: int | None, settings: DisclosureSettings) -> int | None:
    """The published value of a count for the public (None: suppressed), under
    :func:`public_settings` of the agreement's ``settings``."""
    strict = public_settings(settings)
    if is_primary(count, strict):
        return None
    return release_count(count, cell_key, strict)
