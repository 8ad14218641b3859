"""Bad area-level files (``operation``, ``resource``): each row with a problem is quarantined
with its line, column, value and reason; a file missing a column is rejected naming it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from partnerhub.errors import ContractError
from partnerhub.ingest import read_extract, validate_extract
from partnerhub.schema import builtin_contract

AREAS = Path(__file__).resolve().parents[2] / "data" / "bad_extracts" / "areas"
TODAY = date(2025, 4, 1)
# The partnership's areas as `partnership_areas` gives them (level, code, lad_code).
KNOWN = pd.DataFrame(
    {
        "level": ["ward", "ward", "lad"],
        "code": ["E05900001", "E05900002", "E07900001"],
        "lad_code": ["E07900001", "E07900001", "E07900001"],
    }
)
OPERATIONS = builtin_contract("areas_operations")
RESOURCES = builtin_contract("areas_resources")
UNKNOWN_WARD = "unknown area: not a ward of the partnership's geography"

# file → (contract, valid rows, [(line, column, value, reason fragment)])
CASES = {
    "operations_good.csv": (OPERATIONS, 3, []),
    "resources_good.csv": (RESOURCES, 2, []),
    "unknown_area.csv": (
        OPERATIONS,
        1,
        [
            (3, "area_code", "E05999999", UNKNOWN_WARD),
            (4, "area_code", "E07900001", UNKNOWN_WARD),  # a district, said to be a ward
            (5, "area_type", "region", "unknown area level (allowed: lad, ward)"),
        ],
    ),
    "negative_spend.csv": (
        RESOURCES,
        1,
        [
            (3, "spend", "-150", "less than 0: must be 0 or more"),
            (4, "fte", "-0.2", "less than 0: must be 0 or more"),
        ],
    ),
    "non_numeric_value.csv": (
        OPERATIONS,
        1,
        [
            (2, "value", "lots", "not a number (float expected)"),
            (4, "value", "inf", "not a number (float expected)"),
        ],
    ),
    "bad_period.csv": (
        OPERATIONS,
        1,
        [
            (
                3,
                "period_end",
                "2024-06-30",
                "period ends before it starts (period_start is 2024-07-01)",
            ),
            (4, "period_start", "2024-13-01", "not a date in the format %Y-%m-%d"),
            (5, "period_end", "", "required value missing"),
        ],
    ),
    "unknown_measure.csv": (OPERATIONS, 1, [(3, "measure", "bed_days", "unknown code")]),
    # the same figure twice (a different value, or the very same row) would count twice
    "duplicate_figure.csv": (
        OPERATIONS,
        2,
        [
            (
                3,
                "",
                "",
                "duplicate partner, area_code, area_type, period_start, period_end, "
                "measure: first on line 2",
            ),
            (
                5,
                "",
                "",
                "duplicate partner, area_code, area_type, period_start, period_end, "
                "measure: first on line 2",
            ),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_area_rows_are_quarantined_with_reasons(name: str) -> None:
    contract, valid, problems = CASES[name]
    checked = validate_extract(read_extract(AREAS / name, contract), contract, TODAY, KNOWN)
    assert len(checked.valid) == valid
    assert checked.received == valid + len({line for line, *_ in problems})
    got = [(int(r.line), r.column, r.value, r.reason) for r in checked.quarantine.itertuples()]
    assert len(got) == len(problems), got
    for (line, column, value, reason), expected in zip(got, problems, strict=True):
        assert (line, column, value) == expected[:3]
        assert reason.startswith(expected[3]), reason


def test_valid_area_rows_are_typed_and_keep_the_files_partner() -> None:
    checked = validate_extract(
        read_extract(AREAS / "resources_good.csv", RESOURCES), RESOURCES, TODAY, KNOWN
    )
    rows = checked.valid
    assert list(rows["partner"]) == ["asc", "nhs"]
    assert list(rows["spend"]) == [3200.0, 100000.0]
    assert rows["fte"].isna().tolist() == [True, False]
    assert list(rows["period_start"]) == [date(2024, 4, 1)] * 2


def test_a_missing_area_column_rejects_the_file() -> None:
    with pytest.raises(ContractError, match="required column") as info:
        read_extract(AREAS / "missing_column.csv", OPERATIONS)
    message = str(info.value)
    assert message.startswith(str(AREAS / "missing_column.csv")) and "area_type" in message


def test_an_area_file_is_never_checked_without_the_areas() -> None:
    with pytest.raises(ValueError, match="checked against the areas"):
        validate_extract(read_extract(AREAS / "operations_good.csv", OPERATIONS), OPERATIONS, TODAY)


def test_with_no_known_areas_every_row_is_quarantined() -> None:
    """An empty area list (a lookup with no areas) checks every row, never waves it through."""
    empty = KNOWN.iloc[0:0]
    checked = validate_extract(
        read_extract(AREAS / "operations_good.csv", OPERATIONS), OPERATIONS, TODAY, empty
    )
    assert len(checked.valid) == 0
    assert set(checked.quarantine["reason"]) == {
        "unknown area level (allowed: none: the partnership has no areas)"
    }
    assert checked.quarantined_rows == 3
