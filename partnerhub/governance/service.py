"""Governance for one partnership: agreements, users, the audit log and the gate — the part of
the hub (:class:`partnerhub.hub.Hub`) that decides what may leave. The hub opens it; the CLI and
the API reach it through the hub."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from partnerhub.config import Partnership
from partnerhub.control import AuditEntry, ControlPlane, Dataset, Load
from partnerhub.errors import ConfigError
from partnerhub.governance.agreements import Agreement, load_agreements
from partnerhub.governance.audit import AuditLog, audit_key
from partnerhub.governance.gate import Gate
from partnerhub.governance.logins import FailedLogins
from partnerhub.governance.roles import may
from partnerhub.governance.users import Principal, TokenCache, authenticate
from partnerhub.vault import Vault

__all__ = [
    "Governance",
    "load_anchor_key",
    "open_audit_log",
    "partnership_agreements",
    "record_agreement_changes",
]


class Governance:
    """Agreements, authentication and the gate over one control plane. ``vault`` opens the
    vault for the gate to compute in (a reader's: closed after each release); ``areas`` gives
    every area of the partnership (read once, on the first count released)."""

    def __init__(
        self,
        settings: Partnership,
        plane: ControlPlane,
        agreements: list[Agreement],
        audit: AuditLog,
        today: Callable[[], date] = date.today,
        *,
        vault: Callable[[], Vault] | None = None,
        areas: Callable[[], pd.DataFrame] | None = None,
    ) -> None:
        self.settings = settings
        self.plane = plane
        self.agreements = agreements
        self.audit = audit
        self.today = today
        self.tokens = TokenCache()  # argon2 once per token per few minutes (users.py)
        self.failed_logins = FailedLogins(audit)
        tables = {(d.partner, d.dataset): d.table_name for d in plane.datasets()}
        self.gate = Gate(
            plane,
            agreements,
            audit,
            vault=vault,
            dataset_tables=tables,
            today=today,
            areas=areas,
        )

    def authenticate(self, token: str | None) -> Principal:
        """The user a token belongs to (argon2 checked once per token per few minutes; the
        token's row read every time, so a revocation takes effect at the next request)."""
        return authenticate(self.plane, token, self.tokens)

    def visible_agreements(self, who: Principal) -> list[Agreement]:
        if may(who.role, "see_every_agreement"):
            return list(self.agreements)
        return [a for a in self.agreements if who.partner in a.parties]

    def describe(self, a: Agreement) -> dict[str, Any]:
        today = self.today()
        return {
            "id": a.id,
            "title": a.title,
            "legal_basis": a.legal_basis,
            "purposes": list(a.purposes),
            "output_kinds": list(a.output_kinds),
            "recipients": list(a.recipients),
            "datasets": [
                {"partner": d.partner, "dataset": d.dataset, "fields": list(d.fields)}
                for d in a.datasets
            ],
            "start": a.start.isoformat(),
            "expiry": a.expiry.isoformat(),
            "review": a.review.isoformat() if a.review else None,
            "in_force": a.in_force(today),
            "disclosure": a.disclosure.model_dump(),
        }

    def status(self) -> dict[str, Any]:
        """Counts only: datasets and their loads — never a row."""
        with self.plane.session() as s:
            datasets = list(s.scalars(select(Dataset).order_by(Dataset.partner, Dataset.dataset)))
            loads = dict(
                s.execute(
                    select(Load.partner + "/" + Load.dataset, func.count())
                    .where(Load.status == "loaded")
                    .group_by(Load.partner, Load.dataset)
                ).all()
            )
        current = self.plane.current_loads()
        return {
            "datasets": [
                {
                    "partner": d.partner,
                    "dataset": d.dataset,
                    "table": d.table_name,
                    "loads": int(loads.get(f"{d.partner}/{d.dataset}", 0)),
                    "current_rows": (
                        current[(d.partner, d.dataset)].loaded
                        if (d.partner, d.dataset) in current
                        else None
                    ),
                }
                for d in datasets
            ]
        }


def agreements_folder(settings: Partnership) -> Path:
    return settings.resolve(settings.governance.agreements)


def partnership_agreements(settings: Partnership) -> list[Agreement]:
    """The partnership's agreements, checked against its partners and datasets."""
    partners = [p.id for p in settings.partners]
    datasets = [(p.id, d.id) for p in settings.partners for d in p.datasets]
    return load_agreements(agreements_folder(settings), partners, datasets)


def open_audit_log(settings: Partnership, plane: ControlPlane, key: bytes) -> AuditLog:
    """The partnership's audit log: signed with the audit key derived from ``key`` (the
    pseudonymisation key), its anchor signed with the anchor key (:func:`load_anchor_key`)."""
    anchor = settings.resolve(settings.governance.audit_anchor)
    return AuditLog(plane, audit_key(key), anchor, load_anchor_key(settings))


def load_anchor_key(settings: Partnership) -> bytes | None:
    """The audit anchor key: from the environment variable ``keys.audit_anchor_key_env`` if
    set, else from ``keys.audit_anchor_key_file``; None if neither (then it is derived from the
    audit key). Hex, at least 32 bytes. The file may not sit beside the log: not in the
    anchor's folder, nor in the folder of a SQLite control plane."""
    env = settings.keys.audit_anchor_key_env
    if os.environ.get(env):
        return _hex_key(os.environ[env], f"environment variable {env}")
    if settings.keys.audit_anchor_key_file is None:
        return None
    path = settings.resolve(settings.keys.audit_anchor_key_file)
    beside = {settings.resolve(settings.governance.audit_anchor).parent.resolve()}
    url = settings.control_plane.url
    if url.startswith("sqlite:///"):
        beside.add(settings.resolve(Path(url.removeprefix("sqlite:///"))).parent.resolve())
    if path.parent.resolve() in beside:
        raise ConfigError(
            f"{settings.source}: keys.audit_anchor_key_file {path} is beside the audit log "
            "(the anchor's or the control plane's folder) — keep it elsewhere, so that whoever "
            "can change the log cannot also re-sign the anchor"
        )
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: audit anchor key file not found (keys.audit_anchor_key_file) — create it "
            f'with `python -c "import secrets; print(secrets.token_hex(32))" > {path}`, '
            f"readable by the PartnerHub service only, or set {env}"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the audit anchor key file must hold hex text only") from None
    return _hex_key(text, str(path))


def _hex_key(text: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ConfigError(
            f"{source}: the audit anchor key must be at least 64 hex characters (32 bytes) — "
            'generate one with `python -c "import secrets; print(secrets.token_hex(32))"`'
        )
    return key


def record_agreement_changes(governance: Governance, actor: str) -> list[str]:
    """Write an ``agreement_change`` audit entry for every agreement whose file is new or
    changed since the last one recorded (by its SHA-256); returns what changed."""
    import json

    recorded: dict[str, str] = {}
    with governance.plane.session() as s:
        for subject, detail in s.execute(
            select(AuditEntry.subject, AuditEntry.detail)
            .where(AuditEntry.action == "agreement_change")
            .order_by(AuditEntry.seq)
        ):
            recorded[subject] = json.loads(detail).get("sha256", "")
    changed = []
    for a in governance.agreements:
        subject = f"agreement {a.id}"
        if recorded.get(subject) == a.sha256:
            continue
        state = "new" if subject not in recorded else "changed"
        governance.audit.append(
            actor,
            "agreement_change",
            subject,
            {"sha256": a.sha256, "state": state, "file": str(a.source), "expiry": str(a.expiry)},
        )
        changed.append(f"{a.id}: {state}")
    return changed
