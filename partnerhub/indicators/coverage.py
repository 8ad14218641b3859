"""The span a dataset really covers, for default indicator periods.

An extract's earliest date is a poor start: a benefit claim that began in 1997 and is still
open, or a legacy record migrated with a default date, would start every default period range
decades before the data is there. The rule, on the dates' monthly counts:

- a month is **present** when it holds at least :data:`PRESENT_SHARE` of a typical month's
  rows (the 90th percentile of the months that have any — robust to one busy month), and a
  year (the 12 months from, or up to, a month) when it holds at least :data:`YEAR_SHARE` of a
  typical year's (a service whose volume doubled over the years keeps its early years; twenty
  legacy rows a year before a system that records seventy does not);
- coverage **starts** at the first present month from which at least :data:`STAYS_PRESENT` of
  the years over the next :data:`HORIZON` months (or to the last date) are present, and
  **ends** at the last present month before which, over the same horizon back (not before
  the start), at least that share are present — so a stray far-future date (a default end
  date of 2099) is ignored the same way as an ancient one;
- its first and last days are the earliest and latest real dates inside those two months, or
  inside the month just before the first (just after the last) when that month has any rows.

So a thin tail of ancient (or far-future) dates is left out, while a dataset that is sparse
throughout (a small partnership's deaths) keeps its whole span — and one with fewer than
``1 / PRESENT_SHARE`` rows in a typical year (five youth-justice outcomes in four years), where
an empty year says nothing, keeps everything from its first date to its last.
"""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd

__all__ = [
    "HORIZON",
    "PRESENT_SHARE",
    "STAYS_PRESENT",
    "YEAR_SHARE",
    "coverage",
    "covered_months",
]

PRESENT_SHARE = 0.10  # of a typical month's rows: a month with data
YEAR_SHARE = 1 / 3  # of a typical year's rows: a year the data covers
STAYS_PRESENT = 0.80
HORIZON = 60  # months


def covered_months(counts: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last month (start timestamps) of the coverage, from rows per month (index:
    month starts, any order; months without rows may be missing)."""
    counts = counts[counts > 0]
    if counts.empty:
        return None
    counts = counts.sort_index()
    full = pd.date_range(counts.index[0], counts.index[-1], freq="MS")
    n = counts.reindex(full, fill_value=0).to_numpy(dtype=float)
    month_ok = n >= max(1.0, PRESENT_SHARE * float(np.percentile(counts.to_numpy(), 90)))
    # rows in the 12 months from each month on (for the start) and up to it (for the end)
    cum = np.concatenate([[0.0], np.cumsum(n)])
    i = np.arange(len(n))
    ahead = cum[np.minimum(i + 12, len(n))] - cum[i]
    behind = cum[i + 1] - cum[np.maximum(i - 11, 0)]
    typical_year = float(np.percentile(ahead[ahead > 0], 90))
    if typical_year * PRESENT_SHARE < 1:  # too few rows to tell a gap from chance: keep all
        return full[0], full[-1]
    year = YEAR_SHARE * typical_year
    year_ahead, year_behind = ahead >= year, behind >= year
    # share of present years in the next (for the start) or last (for the end) HORIZON months
    present = np.concatenate([[0], np.cumsum(year_ahead)])
    stop = np.minimum(i + HORIZON, len(n))
    share_after = (present[stop] - present[i]) / (stop - i)
    starts = np.flatnonzero(month_ok & (share_after >= STAYS_PRESENT))
    first = int(starts[0]) if starts.size else int(np.flatnonzero(month_ok)[0])
    present = np.concatenate([[0], np.cumsum(year_behind)])
    since = np.maximum(i + 1 - HORIZON, first)
    share_before = (present[i + 1] - present[since]) / np.maximum(i + 1 - since, 1)
    ends = np.flatnonzero(month_ok & (i >= first) & (share_before >= STAYS_PRESENT))
    last = int(ends[-1]) if ends.size else int(np.flatnonzero(month_ok)[-1])
    return full[first], full[last]


def coverage(table: ibis.Table, column: str) -> tuple[date, date] | None:
    """The real first and last dates of ``column`` within its covered months (aggregates only,
    computed in the vault)."""
    when = table[column]
    monthly = (
        table.filter(when.notnull())
        .group_by(month=when.cast("date").truncate("M"))
        .aggregate(rows=when.count(), lo=when.min(), hi=when.max())
        .to_pandas()
    )
    if monthly.empty:
        return None
    monthly["month"] = pd.to_datetime(monthly["month"])
    monthly = monthly.set_index("month").sort_index()
    months = covered_months(monthly["rows"])
    if months is None:
        return None
    # the month before the first (a service starting on 30 March) and after the last count too
    # when they hold any rows: coverage is judged by month, but periods need its real days
    before = months[0] - pd.DateOffset(months=1)
    after = months[1] + pd.DateOffset(months=1)
    lo = monthly.loc[before if before in monthly.index else months[0], "lo"]
    hi = monthly.loc[after if after in monthly.index else months[1], "hi"]
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()
