"""Ingest: read an extract through its contract, validate, quarantine, pseudonymise, load.

Staging, validation and the identifier split run in DuckDB temporary tables — in a private
connection to the vault's database when the vault is DuckDB, else in memory — (:mod:`.stage`,
:mod:`.validate`, :mod:`.split`); :mod:`.load` writes the identity store, the vault and the
control plane so that a load lands completely or not at all.
"""

from partnerhub.ingest.load import (
    LoadResult,
    Restored,
    Stores,
    ingest_all,
    ingest_directory,
    ingest_file,
    restore_load,
)
from partnerhub.ingest.quality import check_file, check_partnership, contract_of, quality_report
from partnerhub.ingest.read import RawExtract, read_extract
from partnerhub.ingest.split import Split, split_staged, stage_lookup
from partnerhub.ingest.stage import Staged, stage_extract
from partnerhub.ingest.validate import CheckCounts, Checked, validate_extract, validate_staged

__all__ = [
    "CheckCounts",
    "Checked",
    "LoadResult",
    "RawExtract",
    "Restored",
    "Split",
    "Staged",
    "Stores",
    "check_file",
    "check_partnership",
    "contract_of",
    "ingest_all",
    "ingest_directory",
    "ingest_file",
    "quality_report",
    "read_extract",
    "restore_load",
    "split_staged",
    "stage_extract",
    "stage_lookup",
    "validate_extract",
    "validate_staged",
]
