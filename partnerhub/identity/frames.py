"""Sorting large frames of strings: pandas sorts object columns by comparing Python strings
one pair at a time (minutes at a million rows); Arrow sorts the same strings in C, in the same
order (by code point: UTF-8 byte order), stably, missing values last."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["sort_frame"]


def sort_frame(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` sorted by ``columns`` (string columns), stably, with a fresh index — what
    ``frame.sort_values(columns, kind="stable").reset_index(drop=True)`` gives."""
    keys = pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
    order = pc.sort_indices(keys, sort_keys=[(c, "ascending") for c in columns])
    return frame.take(order.to_numpy()).reset_index(drop=True)
