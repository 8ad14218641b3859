"""Records to link: one row per distinct identifier variant of a partner's record, with the
standardised features the linkage model compares.

Standardisation: names upper-cased with punctuation and spaces removed; each forename's
*aliases* (itself plus its canonical forms from the `nicknames` dataset: BOB → ROBERT, LIZ →
ELIZABETH) so nicknames can agree; Metaphone codes of both names (Smith/Smyth); postcode sector
and district for partial agreement. **Garbage** is set to missing with a warning: placeholder
names (UNKNOWN, NOT KNOWN, BABY, …), placeholder dates of birth (1900-01-01, 1800-01-01), and
repeated-digit NHS numbers — so that they never pull unrelated people together.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache

import jellyfish
import pandas as pd
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
)
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


def standardise(source: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The features of each row of ``source`` (identifier columns of ``source_record``), row
    for row, and warnings about garbage set to missing. The same code runs at the hub (standard
    mode) and on a partner's machine before encoding (privacy-preserving mode)."""
    frame = source.copy()
    warnings: list[str] = []
    for col in ("given_name", "family_name"):
        cleaned = frame[col].map(_clean)
        placeholder = cleaned.isin(PLACEHOLDER_NAMES)
        if placeholder.any():
            warnings.append(f"{int(placeholder.sum()):,} placeholder {col} value(s) ignored")
        frame[col] = cleaned.where(~placeholder, None)
    dob = pd.to_datetime(frame["date_of_birth"], errors="coerce")
    placeholder_dob = dob.dt.strftime("%Y-%m-%d").isin(PLACEHOLDER_DOBS)
    if placeholder_dob.any():
        warnings.append(f"{int(placeholder_dob.sum()):,} placeholder date(s) of birth ignored")
    frame["dob"] = dob.where(~placeholder_dob).dt.strftime("%Y-%m-%d")
    frame["birth_year"] = frame["dob"].str[:4]
    nhs = frame["nhs_number"].where(frame["nhs_number"].notna(), None)
    frame["nhs_number"] = nhs
    postcode = frame["postcode"].where(frame["postcode"].notna(), None)
    frame["postcode"] = postcode
    frame["postcode_sector"] = postcode.str[:-2]
    frame["postcode_district"] = postcode.str.split(" ").str[0]
    frame["given_aliases"] = frame["given_name"].map(
        lambda n: list(_aliases(n)) if isinstance(n, str) else None
    )
    frame["given_metaphone"] = frame["given_name"].map(
        lambda n: _metaphone(n) if isinstance(n, str) else None
    )
    frame["family_metaphone"] = frame["family_name"].map(
        lambda n: _metaphone(n) if isinstance(n, str) else None
    )
    for col in ("given_name", "family_name", "dob", "postcode", "sex", "nhs_number"):
        if frame[col].isna().all() and len(frame):
            warnings.append(f"{col} is missing in every record: it cannot help linkage")
    return frame, tuple(warnings)


def with_variant_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct identifier variant, sorted, with a ``unique_id`` that is a digest of
    its content — the same variant has the same id in every run (incremental linking reuses
    earlier links by these ids)."""
    key = list(VARIANT_KEY)
    out = (
        frame.drop_duplicates(subset=key)
        .sort_values(key, na_position="last", kind="stable")
        .reset_index(drop=True)
    )
    text = out[key].astype(str).agg("\x1f".join, axis=1)
    out.insert(0, "unique_id", [hashlib.sha256(t.encode()).hexdigest()[:24] for t in text])
    return out


def prepare_records(source: pd.DataFrame) -> Prepared:
    """``source``: rows of ``source_record`` (partner, record_key, identifier columns)."""
    frame, warnings = standardise(source)
    return Prepared(with_variant_ids(frame[["partner", "record_key", *FEATURES]]), warnings)
