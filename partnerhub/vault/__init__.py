"""The vault: record-level attributes keyed by pseudonymous ids, behind an Ibis connection
(DuckDB file by default, PostgreSQL through the same code); and the separate identity store."""

from partnerhub.vault.backend import Backend, DuckDBBackend, PostgresBackend, connect_backend
from partnerhub.vault.scoped import ScopedVault
from partnerhub.vault.stores import CURRENT_TABLE, IdentityStore, TableCount, Vault, vault_columns

__all__ = [
    "CURRENT_TABLE",
    "Backend",
    "DuckDBBackend",
    "IdentityStore",
    "PostgresBackend",
    "ScopedVault",
    "TableCount",
    "Vault",
    "connect_backend",
    "vault_columns",
]
