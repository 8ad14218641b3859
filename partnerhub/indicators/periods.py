"""Reporting periods: the partnership's period calendar lives in :mod:`partnerhub.schema.periods`
(low in the layers, so the gate can hold ad-hoc counts to it too); re-exported here."""

from partnerhub.schema.periods import Period, PeriodType, parse_period, periods_between

__all__ = ["Period", "PeriodType", "parse_period", "periods_between"]
