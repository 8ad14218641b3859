"""Governance for one partnership: agreements, users, the audit log and the gate, opened
together from `partnership.toml` (used by the CLI and the API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from partnerhub.config import Partnership
from partnerhub.control import AuditEntry, ControlPlane, Dataset, Load
from partnerhub.geography import partnership_areas
from partnerhub.governance.agreements import Agreement, load_agreements
from partnerhub.governance.audit import AuditLog, audit_key
from partnerhub.governance.gate import Gate
from partnerhub.governance.users import Principal
from partnerhub.vault import Vault, connect_backend

__all__ = ["Governance", "open_governance", "record_agreement_changes"]


class Governance:
    def __init__(
        self,
        settings: Partnership,
        plane: ControlPlane,
        agreements: list[Agreement],
        audit: AuditLog,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.settings = settings
        self.plane = plane
        self.agreements = agreements
        self.audit = audit
        self.today = today
        tables = {(d.partner, d.dataset): d.table_name for d in plane.datasets()}
        self.gate = Gate(
            plane,
            agreements,
            audit,
            vault=self._open_vault,
            dataset_tables=tables,
            today=today,
            areas=self._areas,
        )
        self._area_list: pd.DataFrame | None = None

    def _areas(self) -> pd.DataFrame:
        """Every area of the partnership (read once, on the first count released)."""
        if self._area_list is None:
            geography = self.settings.geography
            self._area_list = partnership_areas(
                self.settings.resolve(geography.postcode_lookup),
                self.settings.resolve(geography.areas) if geography.areas else None,
            )
        return self._area_list

    def _open_vault(self) -> Vault:
        return Vault(connect_backend(self.settings.vault.url, self.settings.root))

    def visible_agreements(self, who: Principal) -> list[Agreement]:
        if who.role in ("ig_officer", "admin", "identity_steward"):
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


def open_governance(
    settings: Partnership,
    plane: ControlPlane,
    key: bytes,
    today: Callable[[], date] = date.today,
) -> Governance:
    """Agreements checked against the partnership, the audit log keyed from ``key`` (the
    pseudonymisation key), and the gate."""
    partners = [p.id for p in settings.partners]
    datasets = [(p.id, d.id) for p in settings.partners for d in p.datasets]
    agreements = load_agreements(agreements_folder(settings), partners, datasets)
    audit = AuditLog(plane, audit_key(key), settings.resolve(settings.governance.audit_anchor))
    return Governance(settings, plane, agreements, audit, today)


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
