"""The partnership's period calendar: quarters and financial years (April to March), each with
the reference date at which populations and snapshots are taken. Indicators are computed for
these periods, and the gate releases ad-hoc counts only for one whole period of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from partnerhub.errors import UserError

__all__ = [
    "PERIOD_TYPES",
    "Period",
    "PeriodType",
    "parse_period",
    "period_of",
    "periods_between",
    "whole_period",
]

PeriodType = Literal["quarter", "financial_year"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("financial_year", "quarter")


@dataclass(frozen=True)
class Period:
    """[start, end) with a label as Fingertips writes it (``2023/24``, ``2023/24 Q1``)."""

    label: str
    start: date
    end: date  # exclusive

    def reference(self, where: Literal["mid", "end"] = "mid") -> date:
        """The mid-point (populations, as ONS mid-year estimates) or the last day."""
        if where == "end":
            return self.end - timedelta(days=1)
        return self.start + (self.end - self.start) // 2


def _fy_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _period_of(kind: PeriodType, day: date) -> Period:
    fy = day.year if day.month >= 4 else day.year - 1
    if kind == "financial_year":
        return Period(_fy_label(fy), date(fy, 4, 1), date(fy + 1, 4, 1))
    q = ((day.month - 4) % 12) // 3  # 0..3 within the financial year
    start_month = 4 + 3 * q
    start = date(fy + (start_month - 1) // 12, (start_month - 1) % 12 + 1, 1)
    end_month = start_month + 3
    end = date(fy + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return Period(f"{_fy_label(fy)} Q{q + 1}", start, end)


def periods_between(kind: PeriodType, first: date, last: date) -> list[Period]:
    """Every period of ``kind`` that lies wholly within [first, last]."""
    out: list[Period] = []
    p = _period_of(kind, first)
    if p.start < first:
        p = _period_of(kind, p.end)
    while p.end - timedelta(days=1) <= last:
        out.append(p)
        p = _period_of(kind, p.end)
    return out


def parse_period(kind: PeriodType, text: str) -> Period:
    """``2023/24`` or ``2023/24 Q2`` (or a date within the period)."""
    try:
        if len(text) == 10:
            return _period_of(kind, date.fromisoformat(text))
        year = int(text[:4])
        p = _period_of(kind, date(year, 4, 1))
        if kind == "quarter":
            q = int(text.rsplit("Q", 1)[1]) if "Q" in text else 1
            for _ in range(q - 1):
                p = _period_of(kind, p.end)
        if p.label != text and kind == "financial_year" and text != str(year):
            raise ValueError(text)
        return p
    except (ValueError, IndexError):
        example = "2023/24" if kind == "financial_year" else "2023/24 Q1"
        raise UserError(f"period {text!r}: write it like {example!r} or as a date") from None


def period_of(kind: PeriodType, day: date) -> Period:
    """The period of ``kind`` that ``day`` falls in."""
    return _period_of(kind, day)


def whole_period(first: date, last: date) -> Period | None:
    """The one published period (a financial year or a quarter) that is exactly
    [``first``, ``last``] (both days included), else None."""
    for kind in PERIOD_TYPES:
        p = _period_of(kind, first)
        if p.start == first and p.end - timedelta(days=1) == last:
            return p
    return None
