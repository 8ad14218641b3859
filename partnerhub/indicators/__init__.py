"""Indicators: statistics now; declarative specs, the compiler to Ibis and the National
Indicator library with the rest of issue 6."""

from partnerhub.indicators.statistics import (
    CONFIDENCE_LEVELS,
    ESP_2013,
    ESP_2013_BANDS,
    EXACT_BELOW,
    byar_interval,
    compare_with_parent,
    dobson_dsr,
    dobson_dsrs,
    exact_poisson_interval,
    rate_interval,
    wilson_interval,
    z_value,
)

__all__ = [
    "CONFIDENCE_LEVELS",
    "ESP_2013",
    "ESP_2013_BANDS",
    "EXACT_BELOW",
    "byar_interval",
    "compare_with_parent",
    "dobson_dsr",
    "dobson_dsrs",
    "exact_poisson_interval",
    "rate_interval",
    "wilson_interval",
    "z_value",
]
