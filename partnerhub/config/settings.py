"""`partnership.toml` → typed, validated, frozen settings.

Relative paths in the file are relative to the file's own folder, so a partnership directory can
be moved as a whole. A mistake raises :class:`~partnerhub.errors.ConfigError` naming the file, the
key and the fix.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from partnerhub.errors import ConfigError, describe_validation_error

__all__ = [
    "DEFAULT_MAX_XLSX_BYTES",
    "ControlPlaneSettings",
    "DatasetSettings",
    "GeographySettings",
    "GovernanceSettings",
    "IdentityStoreSettings",
    "IngestSettings",
    "KeySettings",
    "LinkageSettings",
    "PartnerSettings",
    "Partnership",
    "PartnershipSettings",
    "VaultSettings",
    "load_partnership",
    "parse_toml",
]

_ID = r"^[a-z][a-z0-9_]*$"
DEFAULT_MAX_XLSX_BYTES = 512 * 1024 * 1024  # an Excel extract expands to at most 512 MiB


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartnershipSettings(_Frozen):
    name: str = Field(min_length=1)
    description: str = ""


class GeographySettings(_Frozen):
    source: Literal["nspl", "synthetic"] = "nspl"
    postcode_lookup: Path
    boundaries: Path | None = None
    areas: Path | None = None


class VaultSettings(_Frozen):
    url: str = "duckdb:///vault/vault.duckdb"

    @model_validator(mode="after")
    def _check(self) -> VaultSettings:
        scheme = self.url.split("://", 1)[0]
        if scheme not in {"duckdb", "postgresql", "postgres"}:
            raise ValueError(f"url must start duckdb:// or postgresql://, got {self.url!r}")
        return self


class IdentityStoreSettings(VaultSettings):
    url: str = "duckdb:///identity/identity.duckdb"


class ControlPlaneSettings(_Frozen):
    url: str = "sqlite:///control/control.db"

    @model_validator(mode="after")
    def _check(self) -> ControlPlaneSettings:
        scheme = self.url.split("://", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(
                f"control_plane url must start sqlite:// or postgresql://, got {self.url!r}"
            )
        return self


class KeySettings(_Frozen):
    pseudonymisation_key_file: Path | None = None
    pseudonymisation_key_env: str = "PARTNERHUB_PSEUDONYMISATION_KEY"
    # signs the audit anchor; kept apart from the log (docs/audit.md)
    audit_anchor_key_file: Path | None = None
    audit_anchor_key_env: str = "PARTNERHUB_AUDIT_ANCHOR_KEY"


class GovernanceSettings(_Frozen):
    agreements: Path = Path("agreements")
    audit_anchor: Path = Path("control/audit.head")


class LinkageSettings(_Frozen):
    """The linkage engine's resources (`partnerhub link`: a DuckDB database of its own)."""

    memory_limit: str = Field(
        default="4GB",
        pattern=r"^\s*\d+(\.\d+)?\s*([KMGT]i?B)\s*$",
        description="DuckDB's memory limit, e.g. 4GB or 3.5GiB",
    )
    temp_directory: Path = Path("identity/linkage-spill")


class IngestSettings(_Frozen):
    """Limits on what `partnerhub ingest` (and `validate`) will open."""

    max_xlsx_uncompressed_bytes: int = Field(
        default=DEFAULT_MAX_XLSX_BYTES,
        gt=0,
        description="an xlsx workbook expanding to more bytes is refused before it is opened",
    )


class DatasetSettings(_Frozen):
    id: str = Field(pattern=_ID)
    contract: str = Field(
        min_length=1, description="a contract TOML path, or builtin:<name> for a shipped one"
    )
    path: Path


class PartnerSettings(_Frozen):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    sector: Literal[
        "council", "nhs", "police", "fire", "registrar", "benefits", "education", "voluntary"
    ]
    datasets: tuple[DatasetSettings, ...] = Field(default=(), alias="dataset")

    @model_validator(mode="after")
    def _unique(self) -> PartnerSettings:
        ids = [d.id for d in self.datasets]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"partner {self.id}: dataset id(s) {dupes} appear more than once")
        return self


class Partnership(_Frozen):
    """The whole of `partnership.toml`."""

    partnership: PartnershipSettings
    geography: GeographySettings
    vault: VaultSettings = Field(default_factory=VaultSettings)
    identity_store: IdentityStoreSettings = Field(default_factory=IdentityStoreSettings)
    control_plane: ControlPlaneSettings = Field(default_factory=ControlPlaneSettings)
    keys: KeySettings = Field(default_factory=KeySettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)
    linkage: LinkageSettings = Field(default_factory=LinkageSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    partners: tuple[PartnerSettings, ...] = Field(alias="partner", min_length=1)
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> Partnership:
        ids = [p.id for p in self.partners]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"partner id(s) {dupes} appear more than once")
        return self

    @property
    def root(self) -> Path:
        """The folder relative paths are resolved against."""
        return self.source.parent if self.source is not None else Path.cwd()

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.root / path

    def partner(self, partner_id: str) -> PartnerSettings:
        for p in self.partners:
            if p.id == partner_id:
                return p
        known = ", ".join(p.id for p in self.partners)
        raise ConfigError(f"no partner {partner_id!r} in {self.source}; partners are: {known}")


def parse_toml(path: Path, raw: bytes) -> dict[str, Any]:
    """The TOML document ``raw`` read from ``path``, or a ConfigError naming the file and fix."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text — save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}) — fix the syntax there") from None


def load_partnership(path: Path) -> Partnership:
    """Read and validate `partnership.toml`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file — run `partnerhub init` to write an example, "
            "or pass --config PATH"
        ) from None
    data = parse_toml(path, raw)
    try:
        settings = Partnership.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(str(path), exc)) from None
    return settings.model_copy(update={"source": path.resolve()})
