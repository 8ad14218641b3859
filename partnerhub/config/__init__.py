"""`partnership.toml` → typed settings."""

from partnerhub.config.example import EXAMPLE_PARTNERSHIP_TOML, write_example
from partnerhub.config.settings import (
    ControlPlaneSettings,
    DatasetSettings,
    GeographySettings,
    GovernanceSettings,
    IngestSettings,
    KeySettings,
    LinkageSettings,
    PartnerSettings,
    Partnership,
    PartnershipSettings,
    VaultSettings,
    load_partnership,
    parse_toml,
)

__all__ = [
    "EXAMPLE_PARTNERSHIP_TOML",
    "ControlPlaneSettings",
    "DatasetSettings",
    "GeographySettings",
    "GovernanceSettings",
    "IngestSettings",
    "KeySettings",
    "LinkageSettings",
    "PartnerSettings",
    "Partnership",
    "PartnershipSettings",
    "VaultSettings",
    "load_partnership",
    "parse_toml",
    "write_example",
]
