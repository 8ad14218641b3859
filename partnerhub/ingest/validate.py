"""Check every row of an extract against its contract; quarantine bad rows with reasons.

A row is loaded only if every value in it is valid; otherwise it goes to quarantine with one
line per problem (file line, column, value, reason) for the partner to fix and re-send. Nothing
is dropped silently: received = valid + quarantined (+ rows that could not be split at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from partnerhub.ingest.read import RawExtract
from partnerhub.schema import DatasetContract
from partnerhub.schema.contracts import ContractColumn
from partnerhub.schema.identifiers import is_valid_nhs_number, normalise_postcode

__all__ = ["EARLIEST_DATE", "ROW_ID_FIELDS", "Checked", "validate_extract"]

EARLIEST_DATE = pd.Timestamp("1880-01-01")
# Canonical fields that identify a row: a repeat within one extract is a duplicate.
ROW_ID_FIELDS = frozenset({"spell_id", "episode_id", "crime_ref", "incident_ref"})
_QUARANTINE_COLUMNS = ["line", "column", "value", "reason"]


@dataclass(frozen=True)
class Checked:
    """The valid rows, typed and named by canonical field, and the quarantine."""

    valid: pd.DataFrame  # canonical field → typed values; ``_line`` = file line
    quarantine: pd.DataFrame  # line, column, value, reason (one row per problem)
    received: int

    @property
    def quarantined_rows(self) -> int:
        return int(self.quarantine["line"].nunique()) if len(self.quarantine) else 0


def validate_extract(raw: RawExtract, contract: DatasetContract, today: date) -> Checked:
    """Type and check every value; ``today`` bounds dates (no future events)."""
    rows = raw.rows
    lines = rows["_line"].to_numpy(dtype=np.int64)
    problems: list[pd.DataFrame] = []
    typed: dict[str, object] = {}
    for col in contract.columns:
        text = rows[col.name].astype(str).str.strip()
        values, bad, reason = _convert(col, contract, text, pd.Timestamp(today))
        bad = np.asarray(bad, dtype=bool)
        missing = text.eq("").to_numpy(dtype=bool)
        if col.required:
            bad = bad | missing
            reason = np.where(missing, "required value missing", reason)
        if bad.any():
            problems.append(
                pd.DataFrame(
                    {
                        "line": lines[bad],
                        "column": col.name,
                        "value": text.to_numpy()[bad],
                        "reason": np.asarray(reason, dtype=object)[bad],
                    }
                )
            )
        typed[col.maps_to] = values
    frame = pd.DataFrame(typed, index=rows.index)
    for field, value in contract.constants.items():
        frame[field] = value
    frame["_line"] = lines
    for field in sorted(ROW_ID_FIELDS & set(frame.columns)):
        id_column = contract.column_for(field)
        ids = frame[field]
        dup = ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy()
        if dup.any():
            first = pd.Series(lines, index=ids.to_numpy()).groupby(level=0).first()
            problems.append(
                pd.DataFrame(
                    {
                        "line": lines[dup],
                        "column": id_column.name if id_column else field,
                        "value": ids.to_numpy()[dup],
                        "reason": [
                            f"duplicate {field}: first on line {first[v]}" for v in ids[dup]
                        ],
                    }
                )
            )
    if len(raw.ragged):
        problems.append(
            pd.DataFrame(
                {
                    "line": raw.ragged["line"],
                    "column": "",
                    "value": "",
                    "reason": raw.ragged["reason"],
                }
            )
        )
    quarantine = (
        pd.concat(problems, ignore_index=True).sort_values(["line", "column"], kind="stable")
        if problems
        else pd.DataFrame(columns=_QUARANTINE_COLUMNS)
    ).reset_index(drop=True)
    bad_lines = set(quarantine["line"].tolist())
    valid = frame.loc[~frame["_line"].isin(bad_lines)].reset_index(drop=True)
    return Checked(valid=valid, quarantine=quarantine, received=len(rows) + len(raw.ragged))


def _convert(
    col: ContractColumn, contract: DatasetContract, text: pd.Series, today: pd.Timestamp
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Typed values, a mask of invalid non-empty values, and the reason for each."""
    present = text.ne("").to_numpy(dtype=bool)
    reason = np.full(len(text), "", dtype=object)
    if col.type == "date":
        fmt = contract.date_format_of(col)
        values = pd.to_datetime(text.where(text.ne("")), format=fmt, errors="coerce")
        unparsed = present & values.isna().to_numpy(dtype=bool)
        reason[unparsed] = f"not a date in the format {fmt} (or an impossible date)"
        future = values.gt(today).to_numpy(dtype=bool)
        reason[future] = f"date is in the future (after {today.date()})"
        early = values.lt(EARLIEST_DATE).to_numpy(dtype=bool)
        reason[early] = "date before 1880: implausible"
        bad = unparsed | future | early
        return values.dt.date.where(values.notna(), None), bad, reason
    if col.type in ("integer", "float"):
        values = pd.to_numeric(text.where(text.ne("")), errors="coerce")
        bad = present & values.isna().to_numpy()
        reason[bad] = f"not a number ({col.type} expected)"
        if col.type == "integer":
            fractional = values.notna().to_numpy() & (values.fillna(0) % 1 != 0).to_numpy()
            reason[fractional] = "not a whole number"
            bad = bad | fractional
            return values.where(~fractional).astype("Int64"), bad, reason
        return values, bad, reason
    if col.type == "boolean":
        truth = {v: True for v in col.true_values} | {v: False for v in col.false_values}
        values = text.map(truth)
        bad = present & values.isna().to_numpy()
        allowed = "/".join((*col.true_values[:1], *col.false_values[:1]))
        reason[bad] = f"not a yes/no value (use {allowed})"
        return values.astype(object).where(values.notna(), None), bad, reason
    if col.type == "code":
        codes = col.codes or {}
        values = text.map(codes)
        bad = present & values.isna().to_numpy()
        reason[bad] = f"unknown code (allowed: {', '.join(sorted(codes))})"
        return values.astype(object).where(values.notna(), None), bad, reason
    values = text.where(text.ne(""), None).astype(object)
    bad = np.zeros(len(text), dtype=bool)
    if col.maps_to == "nhs_number":
        checks = np.array([v is None or is_valid_nhs_number(v) for v in values], dtype=bool)
        bad = ~checks
        reason[bad] = "NHS number fails the modulus-11 check (or is not 10 digits)"
    elif col.maps_to == "postcode":
        normal = [None if v is None else normalise_postcode(v) for v in values]
        bad = np.array(
            [v is not None and n is None for v, n in zip(values, normal, strict=True)], dtype=bool
        )
        reason[bad] = "not a UK postcode"
        values = pd.Series(normal, index=text.index, dtype=object)
    return values, bad, reason
