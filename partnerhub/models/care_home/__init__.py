"""Care-home need: who is likely to be admitted to a care home within 6, 12 or 18 months.

The modelling and evaluation core: the landmark frame's outcome rules (``frame``), the
ceiling on synthetic data from the true hazards (``truth``), three model families predicting the
cumulative incidence of admission with death as a competing risk (``fit``) and their
performance per horizon (``evaluate``). The landmark dataset from the vault, the capacity
forecast, the model card and the interfaces are still to come (issue 16).
"""

from partnerhub.models.care_home.evaluate import (
    METRICS,
    auc,
    brier,
    calibration,
    calibration_table,
    evaluate,
    evaluate_by_group,
    evaluate_with_intervals,
)
from partnerhub.models.care_home.fit import (
    MIN_EVENTS,
    CareHomeModel,
    CauseSpecificCox,
    DiscreteTime,
    fit_age_only,
    fit_cause_specific_cox,
    fit_discrete_time,
)
from partnerhub.models.care_home.frame import (
    ADMISSION,
    CENSORED,
    DEATH,
    EVENT,
    EVENTS,
    HORIZONS,
    TIME,
    outcome_by,
)
from partnerhub.models.care_home.truth import bayes_auc, expected_auc, true_cif

__all__ = [
    "ADMISSION",
    "CENSORED",
    "DEATH",
    "EVENT",
    "EVENTS",
    "HORIZONS",
    "METRICS",
    "MIN_EVENTS",
    "TIME",
    "CareHomeModel",
    "CauseSpecificCox",
    "DiscreteTime",
    "auc",
    "bayes_auc",
    "brier",
    "calibration",
    "calibration_table",
    "evaluate",
    "evaluate_by_group",
    "evaluate_with_intervals",
    "expected_auc",
    "fit_age_only",
    "fit_cause_specific_cox",
    "fit_discrete_time",
    "outcome_by",
    "true_cif",
]
