"""Control-plane tables (SQLAlchemy): datasets' loads and their quarantined rows.

Agreements, users, releases, the outbox and the audit log join these with their issues; every
change to this file comes with an Alembic migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "LOAD_STATUSES",
    "ApiToken",
    "AuditEntry",
    "Base",
    "Dataset",
    "LinkRun",
    "Load",
    "QuarantineRow",
    "Release",
    "ReviewDecision",
    "User",
]

# pending: started, not committed (a crash leaves it; recovery removes it and its rows)
# loaded: committed; the newest loaded load of a dataset is its current one
# rejected: not loaded — the file could not be read, or held no valid row (the message says
#   why; the quarantine of a file with no valid row is kept)
# withdrawn: committed, then set aside by `partnerhub loads restore` of an earlier load (rows
#   kept; restoring it makes it current again)
LOAD_STATUSES = ("pending", "loaded", "rejected", "withdrawn")


class Base(DeclarativeBase):
    pass


class Dataset(Base):
    """A partner dataset as last loaded: which contract, which canonical table, and a
    fingerprint of the contract (a changed contract shows as a changed fingerprint)."""

    __tablename__ = "dataset"

    partner: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(64), primary_key=True)
    contract: Mapped[str] = mapped_column(String(128))
    table_name: Mapped[str] = mapped_column(String(64))
    contract_sha256: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Load(Base):
    """One attempt to load one extract file of one partner dataset."""

    __tablename__ = "load"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner: Mapped[str] = mapped_column(String(64))
    dataset: Mapped[str] = mapped_column(String(64))
    contract: Mapped[str] = mapped_column(String(128))
    table_name: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    received: Mapped[int | None] = mapped_column(BigInteger)
    loaded: Mapped[int | None] = mapped_column(BigInteger)
    quarantined: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str | None] = mapped_column(Text)
    report: Mapped[str | None] = mapped_column(Text)  # the data-quality report, JSON
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_load_dataset", "partner", "dataset", "status"),)


class QuarantineRow(Base):
    """One problem with one row of a load's file, for the partner to fix and re-send."""

    __tablename__ = "quarantine_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("load.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(BigInteger)
    column: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class User(Base):
    """A person (or a partner system) who uses PartnerHub, with one role. ``partner`` is the
    partner they act for (none for hub staff: IG officer, admin, identity steward)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    partner: Mapped[str | None] = mapped_column(String(64))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """An API token: ``ph_<token_id>_<secret>``; only the argon2 hash of the secret is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class Release(Base):
    """One output that left the vault through the gate, with what permitted it."""

    __tablename__ = "release"
    __table_args__ = (Index("ix_release_capability_subject", "capability", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    requester: Mapped[str] = mapped_column(String(128))
    recipient: Mapped[str] = mapped_column(String(64))  # the receiving partner
    purpose: Mapped[str] = mapped_column(String(32))
    output_kind: Mapped[str] = mapped_column(String(32))
    agreement_id: Mapped[str] = mapped_column(String(64))
    agreement_sha256: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(Text)  # what was computed, JSON
    disclosure: Mapped[str] = mapped_column(Text)  # settings and suppression counts, JSON
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # typed provenance (migration 0007; NULL for releases made before it)
    capability: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(128), nullable=True)  # indicator, dataset
    level: Mapped[str | None] = mapped_column(String(32), nullable=True)  # area level
    period_first: Mapped[str | None] = mapped_column(String(32), nullable=True)  # period label
    period_last: Mapped[str | None] = mapped_column(String(32), nullable=True)


class LinkRun(Base):
    """One run of record linkage; its id versions the model parameters it used or estimated."""

    __tablename__ = "link_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))  # full | incremental
    status: Mapped[str] = mapped_column(String(16))  # pending | done
    threshold: Mapped[float] = mapped_column(Float)
    records: Mapped[int | None] = mapped_column(BigInteger)
    people: Mapped[int | None] = mapped_column(BigInteger)
    model: Mapped[str | None] = mapped_column(Text)  # Splink settings with m and u, JSON
    summary: Mapped[str | None] = mapped_column(Text)  # blocking counts, warnings, changes
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log (see governance/audit.py). Nothing
    in PartnerHub updates or deletes these rows."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ReviewDecision(Base):
    """An identity steward's decision on a pair of identifier variants (clerical review).
    The newest decision on a pair stands; earlier ones stay in the audit log."""

    __tablename__ = "review_decision"

    unique_id_l: Mapped[str] = mapped_column(String(64), primary_key=True)
    unique_id_r: Mapped[str] = mapped_column(String(64), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))  # match | non_match
    steward: Mapped[str] = mapped_column(String(128))
    link_run: Mapped[int] = mapped_column(Integer)  # the run whose review band showed the pair
    match_probability: Mapped[float] = mapped_column(Float)
    decided_at: Mapped[datetime] = mapped_column(DateTime)
