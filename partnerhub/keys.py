"""The pseudonymisation key and the record keys made with it.

A partner's local id becomes ``record_key = HMAC-SHA256(key, partner + "\\x1f" + local_id)``
(hex). The key never enters the vault: it is read from the environment variable named in
`partnership.toml` (``keys.pseudonymisation_key_env``, used when set) or from the key file
(``keys.pseudonymisation_key_file``), as 64 hex characters (32 bytes) or more.

Rotation: local ids are stored nowhere, so record keys cannot be recomputed in place; a new key
means re-ingesting every dataset's extracts into new stores (docs/ingest.md, "Rotation"). Never
load with a new key into stores built with the old one: one person would get two record keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from partnerhub.config import Partnership
from partnerhub.errors import ConfigError

__all__ = ["MIN_KEY_BYTES", "PseudonymisationKey", "load_key"]

MIN_KEY_BYTES = 32
_SEPARATOR = b"\x1f"  # ASCII unit separator: cannot occur in a partner id
_BLOCK = 64  # SHA-256 block size in bytes


@dataclass(frozen=True, repr=False)
class PseudonymisationKey:
    """A secret HMAC key; its repr never shows the secret."""

    secret: bytes
    source: str

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise ConfigError(
                f"{self.source}: the pseudonymisation key has {len(self.secret)} bytes; it needs "
                f"at least {MIN_KEY_BYTES} — generate one with "
                '`python -c "import secrets; print(secrets.token_hex(32))"`'
            )

    def __repr__(self) -> str:
        return f"PseudonymisationKey(source={self.source!r})"

    def record_key(self, partner: str, local_id: str) -> str:
        """The pseudonymous key of ``local_id`` at ``partner`` (64 hex characters)."""
        message = partner.encode("utf-8") + _SEPARATOR + local_id.encode("utf-8")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def hmac_pads(self) -> tuple[bytes, bytes]:
        """The inner and outer HMAC-SHA256 pads (RFC 2104) of this key, so the database can
        compute ``sha256(outer || sha256(inner || message))`` — the same HMAC, vectorised.
        Used in memory by ingest's staging database only; never stored."""
        k = hashlib.sha256(self.secret).digest() if len(self.secret) > _BLOCK else self.secret
        k = k.ljust(_BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)

    def record_keys(self, partner: str, local_ids: list[str]) -> list[str]:
        prefix = partner.encode("utf-8") + _SEPARATOR
        return [
            hmac.new(self.secret, prefix + x.encode("utf-8"), hashlib.sha256).hexdigest()
            for x in local_ids
        ]


def _parse(text: str, source: str) -> bytes:
    value = text.strip()
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ConfigError(
            f"{source}: the pseudonymisation key is not hexadecimal — write it as 64 hex "
            "characters (e.g. from secrets.token_hex(32))"
        ) from None


def load_key(settings: Partnership) -> PseudonymisationKey:
    """The key from the environment variable if set, else from the key file."""
    env = settings.keys.pseudonymisation_key_env
    if os.environ.get(env):
        source = f"environment variable {env}"
        return PseudonymisationKey(_parse(os.environ[env], source), source)
    if settings.keys.pseudonymisation_key_file is None:
        raise ConfigError(
            f"{settings.source}: no pseudonymisation key — set {env} or "
            "keys.pseudonymisation_key_file"
        )
    path: Path = settings.resolve(settings.keys.pseudonymisation_key_file)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: key file not found — create it with "
            f'`python -c "import secrets; print(secrets.token_hex(32))" > {path}` '
            f"(readable by the PartnerHub service only), or set {env}"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the key file must hold hex text only") from None
    return PseudonymisationKey(_parse(text, str(path)), str(path))
