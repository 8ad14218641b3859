"""Helpers of the cohort spec tests: ASCII tables, periods, and both engines run on one
cohort (see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa

from partnerhub.cohort import Cohort, Periods, cohort_rows
from partnerhub.cohort.reference import ReferenceEngine, cohort_frame
from partnerhub.schema.periods import Period
from partnerhub.vault import Vault

# two short periods with easy reference dates: mid-January is 2024-01-16, mid-February
# 2024-02-15; at their end, 2024-01-31 and 2024-02-29
JAN = Period("2024-01", date(2024, 1, 1), date(2024, 2, 1))
FEB = Period("2024-02", date(2024, 2, 1), date(2024, 3, 1))
JAN_FEB = Periods(periods=(JAN, FEB))


ARROW = {
    "string": pa.string(),
    "code": pa.string(),
    "date": pa.date32(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
}


def _value(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "integer":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "boolean":
        return {"true": True, "false": False}[text]
    return text


def parse_table(text: str, columns: list[tuple[str, str]]) -> pa.Table:
    """An ASCII table → an Arrow table with every one of ``columns`` (missing ones null)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    lines = [line for line in lines if set(line) - set("-+| ")]
    header = [h.strip() for h in lines[0].split("|")]
    types = dict(columns)
    unknown = set(header) - set(types)
    assert not unknown, f"no columns {sorted(unknown)}"
    rows = [[c.strip() for c in line.split("|")] for line in lines[1:]]
    assert all(len(r) == len(header) for r in rows), "a row has the wrong number of cells"
    data: dict[str, list[Any]] = {}
    for name, kind in columns:
        if name in header:
            i = header.index(name)
            data[name] = [_value(r[i], kind) for r in rows]
        else:
            data[name] = [None] * len(rows)
    schema = pa.schema([(name, ARROW[kind]) for name, kind in columns])
    return pa.table(data, schema=schema)


@dataclass
class Loaded:
    vault: Vault
    tables: list[str]


Load = Callable[..., Loaded]  # the ``load`` fixture: load(person=..., <table>=...)


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = [None if pd.isna(v) else v.date() for v in frame[column]]
    return frame


def reference_engine(loaded: Loaded) -> ReferenceEngine:
    """The reference engine over what the vault's reader methods give (dates as dates)."""
    vault = loaded.vault
    tables = {n: _dates(vault.current(n).to_pandas()) for n in loaded.tables}
    person = _dates(vault.person().to_pandas())
    return ReferenceEngine(tables, person, vault.current_loads())


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    frame = _dates(frame.copy())
    frame = frame.sort_values(["period", "person", "partner", "record_key", "anchor"])
    return frame.reset_index(drop=True).astype(object)


def run_both(loaded: Loaded, cohort: Cohort) -> pd.DataFrame:
    """The cohort's rows from the planner, checked equal to the reference engine's."""
    planned = _canonical(cohort_rows(loaded.vault, cohort).to_pandas())
    expected = _canonical(cohort_frame(reference_engine(loaded), cohort))
    pd.testing.assert_frame_equal(planned, expected)
    return planned


def counted(loaded: Loaded, cohort: Cohort) -> list[tuple[str, str]]:
    """(period, record key) of each row of the cohort — both engines agreeing."""
    rows = run_both(loaded, cohort)
    return sorted(zip(rows["period"], rows["record_key"], strict=True))
