"""Loads and quarantined rows.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "load",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("partner", sa.String(64), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("contract", sa.String(128), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=True),
        sa.Column("loaded", sa.BigInteger(), nullable=True),
        sa.Column("quarantined", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_load_dataset", "load", ["partner", "dataset", "status"])
    op.create_table(
        "quarantine_row",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "load_id",
            sa.Integer(),
            sa.ForeignKey("load.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("column", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_quarantine_row_load_id", "quarantine_row", ["load_id"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_row_load_id", "quarantine_row")
    op.drop_table("quarantine_row")
    op.drop_index("ix_load_dataset", "load")
    op.drop_table("load")
