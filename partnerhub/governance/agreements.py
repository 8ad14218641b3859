"""Data-sharing agreements as data: one TOML file per agreement, validated once.

An agreement says which partners' datasets (and which of their fields) may be used, for which
purposes, by which receiving partners, for which kinds of output, under which legal basis,
with which disclosure settings, between which dates. Every release and every person-level
flow is checked against them (:func:`authorise`); an expired or missing agreement stops the
flow with a message that names it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from partnerhub.config import parse_toml
from partnerhub.disclosure import DisclosureSettings
from partnerhub.errors import ConfigError, PolicyError, describe_validation_error

__all__ = [
    "OUTPUT_KINDS",
    "PURPOSES",
    "Agreement",
    "AgreementDataset",
    "OutputKind",
    "Purpose",
    "ReleaseRequest",
    "authorise",
    "load_agreements",
]

Purpose = Literal[
    "performance_management", "service_planning", "direct_care", "outreach", "research"
]
OutputKind = Literal[
    "aggregate", "model_summary", "person_notification", "outreach_list", "public_figure"
]
PURPOSES: tuple[str, ...] = Purpose.__args__  # type: ignore[attr-defined]
OUTPUT_KINDS: tuple[str, ...] = OutputKind.__args__  # type: ignore[attr-defined]
_ID = r"^[a-z][a-z0-9_-]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgreementDataset(_Frozen):
    partner: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    fields: tuple[str, ...] = Field(min_length=1)


class DisclosureBlock(_Frozen):
    threshold: int = Field(default=7, ge=0)
    rounding_base: int = Field(default=5, ge=1)
    cell_key: bool = True
    zeros_are_disclosive: bool = True
    dominance_n: int = Field(default=2, ge=1)
    dominance_k: float = Field(default=0.9, gt=0, le=1)


class Agreement(_Frozen):
    """One data-sharing agreement (one TOML file)."""

    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1)
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    output_kinds: tuple[OutputKind, ...] = Field(min_length=1)
    recipients: tuple[str, ...] = Field(min_length=1)
    start: date
    expiry: date
    review: date | None = None
    datasets: tuple[AgreementDataset, ...] = Field(alias="dataset", min_length=1)
    disclosure: DisclosureBlock = Field(default_factory=DisclosureBlock)
    source: Path | None = Field(default=None, exclude=True)
    sha256: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _dates(self) -> Agreement:
        if self.expiry < self.start:
            raise ValueError(f"expiry {self.expiry} is before start {self.start}")
        if self.review is not None and not self.start <= self.review <= self.expiry:
            raise ValueError(f"review {self.review} is not between start and expiry")
        return self

    def in_force(self, today: date) -> bool:
        return self.start <= today <= self.expiry

    @property
    def disclosure_settings(self) -> DisclosureSettings:
        d = self.disclosure
        return DisclosureSettings(
            threshold=d.threshold,
            rounding_base=d.rounding_base,
            cell_key=d.cell_key,
            zeros_are_disclosive=d.zeros_are_disclosive,
            dominance_n=d.dominance_n,
            dominance_k=d.dominance_k,
        )

    def fields_of(self, partner: str, dataset: str) -> frozenset[str]:
        return frozenset(
            f
            for d in self.datasets
            if (d.partner, d.dataset) == (partner, dataset)
            for f in d.fields
        )

    @property
    def parties(self) -> frozenset[str]:
        return frozenset(self.recipients) | {d.partner for d in self.datasets}


def _parse(path: Path) -> Agreement:
    raw = path.read_bytes()
    data = parse_toml(path, raw)
    try:
        agreement = Agreement.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(str(path), exc)) from None
    return agreement.model_copy(update={"source": path, "sha256": hashlib.sha256(raw).hexdigest()})


def load_agreements(
    folder: Path, partners: Iterable[str] | None = None, datasets: Iterable[tuple[str, str]] = ()
) -> list[Agreement]:
    """Read every ``*.toml`` in ``folder``. With the partnership's partners and datasets
    given, also check every agreement names only ones that exist."""
    if not folder.is_dir():
        raise ConfigError(
            f"{folder}: no agreements folder — create it and add one TOML file per "
            "data-sharing agreement (see docs/agreements.md)"
        )
    agreements = [_parse(p) for p in sorted(folder.glob("*.toml"))]
    seen: dict[str, Path | None] = {}
    known_partners = set(partners) if partners is not None else None
    known_datasets = set(datasets)
    for a in agreements:
        if a.id in seen:
            raise ConfigError(
                f"{a.source}: id {a.id!r} is also the id of {seen[a.id]} — rename one"
            )
        seen[a.id] = a.source
        if known_partners is not None:
            for partner in sorted(set(a.recipients) - known_partners):
                raise ConfigError(
                    f"{a.source}: recipients: no partner {partner!r} in partnership.toml — "
                    "fix the id or add the partner"
                )
            for d in a.datasets:
                if (d.partner, d.dataset) not in known_datasets:
                    raise ConfigError(
                        f"{a.source}: dataset: {d.partner}/{d.dataset} is not a dataset in "
                        "partnership.toml — fix the partner or dataset id"
                    )
    return agreements


@dataclass(frozen=True)
class ReleaseRequest:
    """What a requester wants to take out of the vault, for the policy check."""

    recipient: str  # the receiving partner
    purpose: str
    output_kind: str
    fields: Sequence[tuple[str, str, str]]  # (partner, dataset, field) used by the output


def authorise(agreements: Sequence[Agreement], request: ReleaseRequest, today: date) -> Agreement:
    """The agreement that permits ``request`` today, or a :class:`PolicyError` naming why not
    (and, when an agreement would permit it but has expired or not started, naming that one)."""
    needed = {(p, d) for p, d, _ in request.fields}
    wanted = ", ".join(sorted(f"{p}/{d}" for p, d in needed))

    def covers(a: Agreement) -> bool:
        return (
            request.recipient in a.recipients
            and request.purpose in a.purposes
            and request.output_kind in a.output_kinds
            and all(f in a.fields_of(p, d) for p, d, f in request.fields)
        )

    matching = [a for a in agreements if covers(a)]
    for a in matching:
        if a.in_force(today):
            return a
    if matching:
        a = matching[0]
        when = f"expired on {a.expiry}" if today > a.expiry else f"starts on {a.start}"
        raise PolicyError(
            f"agreement {a.id!r} ({a.source}) would permit this but {when} — "
            "ask the IG officer to renew it"
        )
    # say which condition failed, for the closest agreement
    reasons = []
    for a in agreements:
        if request.recipient not in a.recipients:
            continue
        if request.purpose not in a.purposes:
            reasons.append(f"{a.id!r} does not cover the purpose {request.purpose}")
        elif request.output_kind not in a.output_kinds:
            reasons.append(f"{a.id!r} does not permit {request.output_kind} outputs")
        else:
            missing = sorted(
                f"{p}/{d}.{f}" for p, d, f in request.fields if f not in a.fields_of(p, d)
            )
            reasons.append(f"{a.id!r} does not share {', '.join(missing)}")
    detail = "; ".join(reasons) if reasons else f"no agreement names {request.recipient!r}"
    raise PolicyError(
        f"no data-sharing agreement lets partner {request.recipient!r} receive "
        f"{request.output_kind} outputs for {request.purpose} from {wanted} ({detail}) — "
        "ask the IG officer for one"
    )
