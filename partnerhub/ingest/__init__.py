"""Ingest: read an extract through its contract, validate, quarantine, pseudonymise, load.

Built so far: the pseudonymisation key and record keys, reading (encodings, BOM, delimiters,
ragged rows, disguised files) and row validation with quarantine reasons. Loading into the vault
comes with the vault.
"""

from partnerhub.ingest.keys import PseudonymisationKey, load_key
from partnerhub.ingest.quality import check_partnership, quality_report
from partnerhub.ingest.read import RawExtract, read_extract
from partnerhub.ingest.split import Split, split_identifiers
from partnerhub.ingest.validate import Checked, validate_extract

__all__ = [
    "Checked",
    "PseudonymisationKey",
    "RawExtract",
    "Split",
    "check_partnership",
    "load_key",
    "quality_report",
    "read_extract",
    "split_identifiers",
    "validate_extract",
]
