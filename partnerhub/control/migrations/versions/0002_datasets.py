"""Datasets: each partner dataset the partnership has loaded, with its contract's fingerprint.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("dataset", sa.String(64), primary_key=True),
        sa.Column("contract", sa.String(128), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("contract_sha256", sa.String(64), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    # every existing load's dataset, so that the history keeps its datasets
    op.execute(
        "INSERT INTO dataset (partner, dataset, contract, table_name, contract_sha256, "
        "registered_at, updated_at) SELECT partner, dataset, max(contract), max(table_name), "
        "'', min(started_at), max(started_at) FROM load GROUP BY partner, dataset"
    )


def downgrade() -> None:
    op.drop_table("dataset")
