"""Split checked rows into identifiers (for the identity store) and attributes (for the vault).

The partner's local id becomes a pseudonymous ``record_key``; names, date of birth, NHS number
and address lines go only to the identifiers frame; the attributes frame keeps the canonical
fields of the contract's table plus the areas its postcode resolved to *at the fact's date*.
The postcode itself stays in the attributes only as areas — never as text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from partnerhub.geography import AREA_FIELDS, PostcodeLookup
from partnerhub.ingest.keys import PseudonymisationKey
from partnerhub.ingest.validate import Checked
from partnerhub.schema import IDENTIFIER_FIELDS, DatasetContract, table

__all__ = ["Split", "split_identifiers"]


@dataclass(frozen=True)
class Split:
    identifiers: pd.DataFrame  # source_record: partner, dataset, record_key, identifier fields
    attributes: pd.DataFrame  # partner, record_key, canonical fields, area codes
    unresolved_postcodes: int  # rows whose postcode was unknown or not in use at the date


def split_identifiers(
    checked: Checked, contract: DatasetContract, key: PseudonymisationKey, lookup: PostcodeLookup
) -> Split:
    rows = checked.valid
    local = rows["local_id"].astype(str).tolist()
    record_key = key.record_keys(contract.partner, local)
    canonical = table(contract.table)

    ident = pd.DataFrame(
        {"partner": contract.partner, "dataset": contract.dataset, "record_key": record_key}
    )
    for field in sorted(IDENTIFIER_FIELDS):
        ident[field] = rows[field].to_numpy() if field in rows.columns else None
    ident = ident.drop_duplicates().reset_index(drop=True)

    attrs = pd.DataFrame({"partner": contract.partner, "record_key": record_key})
    for col in canonical.columns:
        if col.name in ("partner", "record_key", "postcode") or col.name in AREA_FIELDS:
            continue
        attrs[col.name] = rows[col.name].to_numpy() if col.name in rows.columns else None
    # A residence row carries the address *as it is now* with the date the stay began (a GP
    # registration of 1996, say): resolve it at the end of the stay, or undated if still open.
    date_col = "to_date" if contract.table == "residence" else canonical.date_column
    dates = (
        pd.Series(pd.to_datetime(rows[date_col]).to_numpy())
        if date_col is not None and date_col in rows.columns
        else pd.Series([pd.NaT] * len(rows))
    )
    postcodes = rows["postcode"] if "postcode" in rows.columns else pd.Series([None] * len(rows))
    areas = lookup.resolve(postcodes.reset_index(drop=True), dates)
    for field in AREA_FIELDS:
        attrs[field] = areas[field].to_numpy()
    unresolved = int(((areas["postcode_status"] != "ok") & postcodes.notna().to_numpy()).sum())
    return Split(identifiers=ident, attributes=attrs, unresolved_postcodes=unresolved)
