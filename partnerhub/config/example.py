"""The commented example `partnership.toml` that `partnerhub init` writes."""

from __future__ import annotations

from pathlib import Path

from partnerhub.errors import UserError

__all__ = ["EXAMPLE_PARTNERSHIP_TOML", "write_example"]

EXAMPLE_PARTNERSHIP_TOML = """\
# partnership.toml — one file describes a PartnerHub partnership.
# Relative paths are relative to the folder this file is in.

[partnership]
name = "Partnershire Local Partnership"
description = "Council, NHS, police, fire, registrar and voluntary partners of Partnershire"

[geography]
# "nspl": an ONS National Statistics Postcode Lookup CSV (as published by ONS);
# "synthetic": the lookup written by `partnerhub synth` in the same column layout.
source = "nspl"
postcode_lookup = "geography/postcode_lookup.csv"
# Folder of GeoJSON boundaries, one file per area level (oa, lsoa, msoa, ward, lad, county).
boundaries = "geography/boundaries"
# Area names, parents and IMD deciles (CSV: level, code, name, parent_code, imd_decile, ...),
# used to name areas in indicator outputs and for IMD-decile breakdowns. Optional.
areas = "geography/areas.csv"

[vault]
# The record-level store. DuckDB file by default; postgresql://user@host/db for scale.
url = "duckdb:///vault/vault.duckdb"

[identity_store]
# Identifiers only (names, date of birth, NHS number, address), apart from the vault.
url = "duckdb:///identity/identity.duckdb"

[control_plane]
# Agreements, users, loads, releases, audit. SQLite by default; PostgreSQL in production.
url = "sqlite:///control/control.db"

[keys]
# Secret key for pseudonymising local ids (HMAC-SHA256). Never stored in the vault.
# Either a file readable only by the PartnerHub service account...
pseudonymisation_key_file = "keys/pseudonymisation.key"
# ...or an environment variable, used when it is set.
pseudonymisation_key_env = "PARTNERHUB_PSEUDONYMISATION_KEY"
# Key that signs the audit log's anchor (docs/audit.md), kept apart from the log: not in the
# control plane's folder nor the anchor's. Without it, it is derived from the audit key.
# audit_anchor_key_file = "/etc/partnerhub/audit-anchor.key"
audit_anchor_key_env = "PARTNERHUB_AUDIT_ANCHOR_KEY"

[governance]
# Folder of data-sharing agreements, one TOML file each (see docs/agreements.md).
agreements = "agreements"
# Where the audit log's head (its newest entry's number and hash, signed with the anchor key)
# is kept, outside the control-plane database, so deleting the newest entries is detected too.
audit_anchor = "control/audit.head"

[linkage]
# `partnerhub link` works in a DuckDB database of its own: at most this much memory (DuckDB's
# memory_limit, e.g. "4GB"); beyond it, it spills to this folder. The spill files hold
# identifiers: keep the folder as private as the identity store. Deleted after each run.
memory_limit = "4GB"
temp_directory = "identity/linkage-spill"

[ingest]
# An Excel (xlsx) extract is a zip: one that would expand to more than this many bytes is
# refused before it is opened (a defence against zip bombs). 536870912 = 512 MiB.
max_xlsx_uncompressed_bytes = 536870912

# One [[partner]] block per partner; one [[partner.dataset]] per extract it sends.
# `contract` is a contract TOML (see docs/contracts.md) or builtin:<name> for a shipped one.
[[partner]]
id = "asc"
name = "Partnershire County Council - Adult Social Care"
sector = "council"

[[partner.dataset]]
id = "episodes"
contract = "builtin:asc_episodes"
path = "extracts/asc/episodes.csv"

[[partner]]
id = "acute"
name = "Partnershire Hospitals NHS Foundation Trust"
sector = "nhs"

[[partner.dataset]]
id = "spells"
contract = "builtin:acute_spells"
path = "extracts/acute/spells.csv"
"""


def write_example(path: Path, *, force: bool = False) -> Path:
    """Write the example to ``path``; refuse to overwrite unless ``force``."""
    if path.exists() and not force:
        raise UserError(f"{path} already exists — pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXAMPLE_PARTNERSHIP_TOML, encoding="utf-8")
    return path
