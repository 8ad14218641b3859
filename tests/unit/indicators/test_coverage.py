"""Default periods start where the data is really there: a thin tail of ancient dates (a benefit
claim open since 1997, a legacy record migrated with a default date) does not drag them back."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from partnerhub.indicators.release import data_extent, default_periods
from partnerhub.indicators.spec import load_library


class _Vault:
    """Just enough of a vault: ``current(table)`` is an in-memory table."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = tables

    def current(self, name: str) -> ibis.Table:
        return ibis.memtable(self.tables[name])


def _days(first: date, last: date, per_month: int, rng: np.random.Generator) -> list[date]:
    span = (last - first).days + 1
    n = per_month * span // 30
    return sorted(first + timedelta(days=int(d)) for d in rng.integers(0, span, n))


def _claims(starts: list[date], ends: list[date] | None = None) -> _Vault:
    """Benefit claims starting on ``starts``; GP registrations of people registered for
    decades (NI 152's population — their dates say nothing of the claims' coverage)."""
    registered = pd.to_datetime([date(1960 + k % 65, 1 + k % 12, 1) for k in range(2000)])
    return _Vault(
        {
            "benefit_claim": pd.DataFrame(
                {
                    "start_date": pd.to_datetime(starts),
                    "end_date": pd.to_datetime(ends or [None] * len(starts)),
                }
            ),
            "residence": pd.DataFrame({"from_date": registered}),
        }
    )


NI_152 = next(s for s in load_library() if s.id == "NI 152")  # claims active in the period


def test_one_ancient_start_date_does_not_start_the_periods_in_1997() -> None:
    rng = np.random.default_rng(1)
    bulk = _days(date(2014, 4, 3), date(2025, 3, 28), 200, rng)
    tail = [date(year, 6, 1) for year in range(1997, 2014)]  # one old claim a year
    extent = data_extent(_claims(tail + bulk), NI_152)  # type: ignore[arg-type]
    assert extent is not None
    assert extent[0] == min(bulk) and extent[1] == max(bulk)
    periods = default_periods(NI_152, *extent)
    assert [periods[0].label, periods[-1].label] == ["2015/16", "2023/24"]


def test_a_migration_spike_and_a_far_future_typo_are_left_out() -> None:
    rng = np.random.default_rng(2)
    bulk = _days(date(2019, 4, 1), date(2025, 3, 31), 80, rng)
    spike = [date(2005, 1, 1)] * 500  # legacy records migrated with a default date
    typo = [date(2099, 1, 1)] + [date(2099, 12, 31)] * 300  # a default "open" end date
    extent = data_extent(_claims(spike + bulk + typo), NI_152)  # type: ignore[arg-type]
    assert extent == (min(bulk), max(bulk))


def test_claims_open_until_their_end_cover_the_years_of_their_ends() -> None:
    """Claims mostly started in 2018-2020 and ran to 2025: NI 152 counts claims active in a
    year, so the years after the last start are covered too."""
    rng = np.random.default_rng(3)
    starts = _days(date(2018, 4, 1), date(2020, 3, 31), 100, rng)
    span = (date(2025, 3, 31) - date(2020, 4, 1)).days
    ends = [date(2020, 4, 1) + timedelta(days=int(d)) for d in rng.integers(0, span, len(starts))]
    ends[-1] = date(2025, 3, 31)  # the extract's last day
    extent = data_extent(_claims(starts, ends), NI_152)  # type: ignore[arg-type]
    assert extent is not None
    periods = default_periods(NI_152, *extent)
    assert [periods[0].label, periods[-1].label] == ["2018/19", "2024/25"]


def test_data_sparse_throughout_keeps_its_whole_span() -> None:
    from partnerhub.indicators.coverage import covered_months

    # a small partnership: a death every month or two, from April 2021
    months = pd.date_range("2021-04-01", "2025-03-01", freq="MS")
    counts = pd.Series([1 if i % 3 else 2 for i in range(len(months))], index=months)
    counts = counts[[i % 4 != 1 for i in range(len(months))]]  # a quarter of months empty
    assert covered_months(counts) == (months[0], months[-1])


def test_a_handful_of_rows_keeps_its_whole_span() -> None:
    """Five outcomes in four years: an empty year is chance, not a gap in the data."""
    from partnerhub.indicators.coverage import covered_months

    months = pd.to_datetime(["2021-07-01", "2022-10-01", "2024-06-01", "2024-07-01", "2025-01-01"])
    assert covered_months(pd.Series(1, index=months)) == (months[0], months[-1])


def test_no_dates_no_coverage() -> None:
    from partnerhub.indicators.coverage import covered_months

    assert covered_months(pd.Series([], dtype="int64")) is None
