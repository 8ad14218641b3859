"""Records to link: one row per distinct identifier variant of a partner's record, with the
standardised features the linkage model compares.

Standardisation: names upper-cased with punctuation and spaces removed; each forename's
*aliases* (itself plus its canonical forms from the `nicknames` dataset: BOB → ROBERT, LIZ →
ELIZABETH) so nicknames can agree; Metaphone codes of both names (Smith/Smyth); postcode sector
and district for partial agreement; the first address line and the town upper-cased with
punctuation removed and spaces collapsed ("1 St Andrew's Close" → "1 ST ANDREWS CLOSE").
**Garbage** is set to missing with a warning: placeholder
names (UNKNOWN, NOT KNOWN, BABY, …), placeholder dates of birth (1900-01-01, 1800-01-01), and
repeated-digit NHS numbers — so that they never pull unrelated people together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import duckdb
import jellyfish
import numpy as np
import pandas as pd
import pyarrow as pa
from nicknames import NickNamer

__all__ = [
    "FEATURES",
    "PLACEHOLDER_DOBS",
    "PLACEHOLDER_NAMES",
    "Prepared",
    "prepare_records",
    "standardise",
    "with_variant_ids",
]

PLACEHOLDER_NAMES = frozenset(
    {
        "UNKNOWN",
        "NOTKNOWN",
        "NK",
        "UNK",
        "NONE",
        "NULL",
        "NA",
        "TEST",
        "XXX",
        "BABY",
        "BABYOF",
        "INFANT",
        "ANON",
        "ANONYMOUS",
        "REFUSED",
        "WITHHELD",
    }
)
PLACEHOLDER_DOBS = frozenset({"1900-01-01", "1800-01-01"})  # system defaults for "unknown"
_NOT_LETTERS = re.compile(r"[^A-Z]")
_APOSTROPHES = re.compile(r"['’.]")
_NOT_WORDS = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True)
class Prepared:
    records: pd.DataFrame  # unique_id + features, one row per identifier variant
    warnings: tuple[str, ...] = field(default=())


@cache
def _namer() -> NickNamer:
    return NickNamer()


def _clean(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    text = _NOT_LETTERS.sub("", name.upper())
    return text or None


def _clean_address(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    words = _NOT_WORDS.sub(" ", _APOSTROPHES.sub("", text.upper())).strip()
    return words or None


@cache
def _aliases(name: str) -> tuple[str, ...]:
    canon = {c.upper() for c in _namer().canonicals_of(name.lower())}
    return tuple(sorted({name} | {_NOT_LETTERS.sub("", c) for c in canon} - {""}))


@cache
def _metaphone(name: str) -> str:
    return str(jellyfish.metaphone(name))


# The standardised features the model compares (after partner and record_key).
FEATURES = (
    "nhs_number",
    "given_name",
    "given_aliases",
    "given_metaphone",
    "family_name",
    "family_metaphone",
    "dob",
    "birth_year",
    "sex",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "address",
    "town",
)
# Features that are not part of a variant's key: a variant takes the least of its rows' values
# (rows of one record with the same postcode hold the same address, up to its spelling).
CARRIED = ("address", "town")
# What makes two rows the same identifier variant of a record.
VARIANT_KEY = (
    "partner",
    "record_key",
    "nhs_number",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
)


_WITHOUT = {
    "nhs_number": "names, date of birth and address only",
    "dob": "names and address only: expect more missed and false links",
    "given_name": "expect more false links within households",
    "family_name": "expect more false links",
    "postcode": "no address agreement: expect more missed links of people who moved",
}


def _by_value(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """``fn`` of each value, computed once per distinct value (missing values stay None):
    names, dates and postcodes repeat many times over a partnership's records."""
    codes, uniques = pd.factorize(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [fn(u) for u in uniques]
    mapped[-1] = None  # code -1: missing
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _dobs(values: pd.Series) -> pd.Series:
    """Dates of birth as YYYY-MM-DD strings (NaN: missing or unreadable), parsed once per
    distinct value — as one column, so pandas infers the format as it always did."""
    codes, uniques = pd.factorize(values)
    parsed = pd.to_datetime(pd.Series(uniques), errors="coerce").dt.strftime("%Y-%m-%d")
    text = np.append(parsed.to_numpy(dtype=object), np.nan)
    return pd.Series(text[codes], index=values.index, dtype=object)


def standardise(source: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The features of each row of ``source`` (identifier columns of ``source_record``), row
    for row, and warnings about garbage set to missing. The same code runs at the hub (standard
    mode) and on a partner's machine before encoding (privacy-preserving mode)."""
    frame = source.copy()
    warnings: list[str] = []
    for col in ("given_name", "family_name"):
        cleaned = _by_value(frame[col], _clean)
        placeholder = cleaned.isin(PLACEHOLDER_NAMES)
        if placeholder.any():
            warnings.append(f"{int(placeholder.sum()):,} placeholder {col} value(s) ignored")
        frame[col] = cleaned.where(~placeholder, None)
    dob = _dobs(frame["date_of_birth"])
    placeholder_dob = dob.isin(PLACEHOLDER_DOBS)
    if placeholder_dob.any():
        warnings.append(f"{int(placeholder_dob.sum()):,} placeholder date(s) of birth ignored")
    # a missing date is NaN, as it always was: the variant ids (digests) depend on it
    frame["dob"] = dob.where(~placeholder_dob, np.nan)
    frame["birth_year"] = frame["dob"].str[:4]
    frame["nhs_number"] = frame["nhs_number"].where(frame["nhs_number"].notna(), None)
    postcode = frame["postcode"].where(frame["postcode"].notna(), None)
    frame["postcode"] = postcode
    frame["postcode_sector"] = _by_value(postcode, lambda p: p[:-2])
    frame["postcode_district"] = _by_value(postcode, lambda p: p.split(" ")[0])
    for col, raw in (("address", "address_line_1"), ("town", "town")):
        frame[col] = _by_value(frame[raw], _clean_address) if raw in frame else None
    frame["given_aliases"] = _by_value(frame["given_name"], lambda n: list(_aliases(n)))
    frame["given_metaphone"] = _by_value(frame["given_name"], _metaphone)
    frame["family_metaphone"] = _by_value(frame["family_name"], _metaphone)
    for col in ("given_name", "family_name", "dob", "postcode", "sex", "nhs_number"):
        if frame[col].isna().all() and len(frame):
            warnings.append(
                f"{col} is missing in every record: linkage goes on without it "
                f"({_WITHOUT.get(col, 'one identifier fewer')})"
            )
    return frame, tuple(warnings)


def with_variant_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct identifier variant, sorted, with a ``unique_id`` that is a digest of
    its content — the same variant has the same id in every run (incremental linking reuses
    earlier links by these ids).

    The digest is SHA-256 of the variant key's values as text (``str`` of each: a missing
    value is ``None``, or ``nan`` where it was NaN) joined by U+001F. DuckDB finds the first
    row of each variant, sorts them (missing last) and computes the digests over an Arrow
    copy of the key; pandas keeps the rows. A :data:`CARRIED` column of ``frame`` (not part of
    the key) takes the least of the variant's values, whatever the order of the rows."""
    key = list(VARIANT_KEY)
    columns: dict[str, pa.Array] = {}
    texts: list[str] = []
    carried: list[str] = []  # text columns (where str() is not the value): the first row's
    params: list[str] = []
    for i, col in enumerate(key):
        values = frame[col]
        arrow = _string_array(values)
        missing = _missing_texts(values, arrow)
        if arrow is not None and len(missing) <= 1:
            columns[f"k{i}"] = arrow
            texts.append(f"coalesce(k{i}, ?)")  # str(value) is the value itself
            params.append(missing[0] if missing else "None")
        else:
            columns[f"k{i}"] = pa.array(values, from_pandas=True)
            columns[f"t{i}"] = pa.array(values.astype(str).to_numpy(dtype=object))
            texts.append(f"t{i}")
            carried.append(f", arg_min(t{i}, row_) AS t{i}")
    least = [c for c in CARRIED if c in frame.columns]
    for j, col in enumerate(least):
        columns[f"c{j}"] = pa.array(frame[col].to_numpy(dtype=object), type=pa.string())
        carried.append(f", min(c{j}) AS c{j}")
    columns["row_"] = pa.array(np.arange(len(frame), dtype=np.int64))
    keys = pa.table(columns)
    by = ", ".join(f"k{i}" for i in range(len(key)))
    least_out = "".join(f", c{j}" for j in range(len(least)))
    with duckdb.connect() as con:
        con.register("variant_keys", keys)
        first = con.execute(
            f"SELECT row_, substr(sha256(concat_ws(chr(31), {', '.join(texts)})), 1, 24) "
            f"AS unique_id{least_out} FROM (SELECT {by}, min(row_) AS row_{''.join(carried)} "
            f"FROM variant_keys GROUP BY {by}) "
            f"ORDER BY {', '.join(f'k{i} NULLS LAST' for i in range(len(key)))}",
            params,
        ).fetchnumpy()
    rows = np.asarray(first["row_"])
    # column by column: a frame-wide take would first consolidate every column into one block
    out = {"unique_id": pd.Series(np.asarray(first["unique_id"], dtype=object))}
    out.update({c: frame[c].take(rows).reset_index(drop=True) for c in frame.columns})
    for j, col in enumerate(least):
        values = np.ma.asarray(first[f"c{j}"])
        text = values.data.astype(object)
        text[np.ma.getmaskarray(values)] = None
        out[col] = pd.Series(text, dtype=object)
    return pd.DataFrame(out)


def _string_array(values: pd.Series) -> pa.Array | None:
    """``values`` as Arrow strings (missing → null), or None if some value is not a string."""
    try:
        return pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _missing_texts(values: pd.Series, arrow: pa.Array | None) -> list[str]:
    """The distinct ``str()`` of ``values``' missing values (None → "None", NaN → "nan")."""
    if arrow is not None:
        if not arrow.null_count:
            return []
        mask = arrow.is_null().to_numpy(zero_copy_only=False)
    else:
        mask = values.isna().to_numpy()
    return sorted({str(v) for v in values.to_numpy(dtype=object)[mask]})


def prepare_records(source: pd.DataFrame) -> Prepared:
    """``source``: rows of ``source_record`` (partner, record_key, identifier columns)."""
    frame, warnings = standardise(source)
    return Prepared(with_variant_ids(frame[["partner", "record_key", *FEATURES]]), warnings)
