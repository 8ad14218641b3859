"""Control-plane tables (SQLAlchemy): datasets' loads and their quarantined rows.

Agreements, users, releases, the outbox and the audit log join these with their issues; every
change to this file comes with an Alembic migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["LOAD_STATUSES", "Base", "Dataset", "LinkRun", "Load", "QuarantineRow"]

# pending: started, not committed (a crash leaves it; recovery removes it and its rows)
# loaded: committed; the newest loaded load of a dataset is its current one
# rejected: the file could not be read at all (nothing loaded; the message says why)
LOAD_STATUSES = ("pending", "loaded", "rejected")


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
