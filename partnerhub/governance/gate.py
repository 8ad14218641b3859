"""The gate: the only way an output leaves the vault.

:meth:`Gate.release` takes one typed request (:mod:`partnerhub.governance.outputs`: an
aggregate table, a model summary, a chart, a person notification, an outreach list, a public
figure). It checks the requester's role, derives the fields the output reads from the
request's declarative query and checks the data-sharing agreement for (recipient, purpose,
fields, output kind); the request then builds *inside* the gate on a vault scoped to those
fields, applies its disclosure rule and minimisation with the agreement's settings, and the
output is stored with its metadata and provenance in the control plane and written to the
audit log — in one transaction. Reading a release back (:meth:`Gate.download`) checks the
role, the recipient and that the agreement is still in force, and is audited too. Nothing
here returns a vault row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select

from partnerhub.control import ControlPlane, Release
from partnerhub.errors import NotFoundError, PermissionDeniedError
from partnerhub.governance.agreements import Agreement, ReleaseRequest, authorise
from partnerhub.governance.audit import AuditLog
from partnerhub.governance.outputs import (
    AREA_LEVELS,
    AggregateTable,
    BuildContext,
    CountQuery,
    Output,
    OutputRequest,
)
from partnerhub.governance.roles import may
from partnerhub.governance.users import Principal
from partnerhub.vault import Vault

__all__ = ["AREA_LEVELS", "AggregateTable", "CountQuery", "Gate", "can_see_release"]


def _check_releaser(principal: Principal) -> None:
    if not may(principal.role, "request_release"):
        raise PermissionDeniedError(
            f"only analysts can request releases; you are {principal.role or 'not signed in'}"
        )


def _check_reader(principal: Principal) -> None:
    if not may(principal.role, "list_releases"):
        raise PermissionDeniedError(
            f"your role ({principal.role or 'not signed in'}) cannot see releases"
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def can_see_release(principal: Principal, release: Release) -> bool:
    if may(principal.role, "see_every_release"):
        return True
    return may(principal.role, "see_partner_releases") and principal.partner == release.recipient


class Gate:
    """Every output passes here."""

    def __init__(
        self,
        plane: ControlPlane,
        agreements: Sequence[Agreement],
        audit: AuditLog,
        *,
        vault: Callable[[], Vault] | None = None,
        dataset_tables: dict[tuple[str, str], str] | None = None,
        today: Callable[[], date] = date.today,
        areas: Callable[[], pd.DataFrame] | None = None,
    ) -> None:
        """``areas``: every area of the partnership (level, code, lad_code — see
        :func:`partnerhub.geography.partnership_areas`), so count tables list empty areas."""
        self.plane = plane
        self.agreements = list(agreements)
        self.audit = audit
        self._vault = vault
        self._tables = dataset_tables or {}
        self._today = today
        self._areas = areas

    @property
    def dataset_tables(self) -> dict[tuple[str, str], str]:
        """(partner, dataset) → canonical table, for every registered dataset."""
        return dict(self._tables)

    # -- making a release -----------------------------------------------------------------
    def release(self, principal: Principal, request: OutputRequest) -> Release:
        """Release ``request`` for the requester's partner: role check → the fields its query
        reads → the agreement permitting them → built on a vault scoped to those fields,
        disclosure rule and minimisation of its kind → stored and audited."""
        _check_releaser(principal)
        assert principal.partner is not None
        fields = request.fields(self._tables)
        agreement = authorise(
            self.agreements,
            ReleaseRequest(
                recipient=principal.partner,
                purpose=request.purpose,
                output_kind=request.authorised_as,
                fields=fields,
            ),
            self._today(),
        )
        context = BuildContext(
            agreement.disclosure_settings,
            fields,
            self._tables,
            self._vault,
            self._level_areas,
            recipient=principal.partner,
        )
        output = request.produce(context)
        return self._store(principal, agreement, request.purpose, request.kind, output)

    def _store(
        self,
        principal: Principal,
        agreement: Agreement,
        purpose: str,
        output_kind: str,
        output: Output,
    ) -> Release:
        """Store ``output`` and its audit entry in one transaction. The disclosure JSON's
        ``released_rows`` (rows whose counts were all released, so their values could be
        derived) lets a reader skip a release in which everything was withheld."""
        settings = output.settings or agreement.disclosure_settings
        disclosure: dict[str, Any] = {
            "settings": asdict(settings),
            "suppressed": output.notes,
            "cells": output.cells,
        }
        if output.released_rows is not None:
            disclosure["released_rows"] = output.released_rows
        provenance = output.provenance
        periods = provenance.periods or (None, None)
        assert principal.partner is not None
        with self.plane.session() as s:
            release = Release(
                title=output.title,
                requester=principal.name,
                recipient=principal.partner,
                purpose=purpose,
                output_kind=output_kind,
                agreement_id=agreement.id,
                agreement_sha256=agreement.sha256,
                query=json.dumps(output.query, default=str, sort_keys=True),
                disclosure=json.dumps(disclosure, sort_keys=True),
                media_type=output.media_type,
                content=output.content,
                content_sha256=hashlib.sha256(output.content.encode()).hexdigest(),
                created_at=_now(),
                capability=provenance.capability,
                subject=provenance.subject,
                level=provenance.level,
                period_first=periods[0],
                period_last=periods[1],
            )
            s.add(release)
            s.flush()
            self.audit.append(
                principal.name,
                "release",
                f"release {release.id}",
                {
                    "agreement": agreement.id,
                    "recipient": release.recipient,
                    "purpose": purpose,
                    "query": output.query,
                    "content_sha256": release.content_sha256,
                    "suppressed": output.notes,
                    **output.audit,
                },
                session=s,
            )
        self.audit.write_anchor()
        return release

    def _level_areas(self, level: str) -> dict[str, str]:
        """Every area of ``level`` in the partnership → its LAD (empty without an area list)."""
        if self._areas is None:
            return {}
        frame = self._areas()
        chosen = frame[frame["level"] == level]
        return dict(zip(chosen["code"].astype(str), chosen["lad_code"].astype(str), strict=True))

    # -- reading releases -----------------------------------------------------------------
    def releases(self, principal: Principal) -> list[Release]:
        _check_reader(principal)
        with self.plane.session() as s:
            rows = list(s.scalars(select(Release).order_by(Release.id.desc())))
        return [r for r in rows if can_see_release(principal, r)]

    def read_release(self, principal: Principal, release_id: int) -> Release:
        """One release's record (metadata and content), if the reader may see it."""
        _check_reader(principal)
        with self.plane.session() as s:
            release = s.get(Release, release_id)
        if release is None or not can_see_release(principal, release):
            raise NotFoundError(f"no release {release_id} that you can see")
        return release

    def download(self, principal: Principal, release_id: int) -> Release:
        """A release's content, if the reader's partner received it, their role may read
        content (admins manage users, not data) and its agreement is still in force (the IG
        officer may read any, for oversight). Audited."""
        release = self.read_release(principal, release_id)
        if not may(principal.role, "read_release_content"):
            raise PermissionDeniedError("admins manage users and settings, not outputs")
        if not may(principal.role, "oversee_releases"):
            agreement = next((a for a in self.agreements if a.id == release.agreement_id), None)
            today = self._today()
            if agreement is None or not agreement.in_force(today):
                state = "no longer exists" if agreement is None else f"ended on {agreement.expiry}"
                raise PermissionDeniedError(
                    f"release {release_id} was made under agreement {release.agreement_id!r}, "
                    f"which {state} — ask the IG officer"
                )
        self.audit.append(principal.name, "release_download", f"release {release_id}", {})
        return release

    def summary(self, release: Release) -> dict[str, Any]:
        """Metadata of a release (no content)."""
        return {
            "id": release.id,
            "title": release.title,
            "requester": release.requester,
            "recipient": release.recipient,
            "purpose": release.purpose,
            "output_kind": release.output_kind,
            "agreement_id": release.agreement_id,
            "created_at": release.created_at.isoformat(),
            "media_type": release.media_type,
            "content_sha256": release.content_sha256,
            "disclosure": json.loads(release.disclosure),
        }
