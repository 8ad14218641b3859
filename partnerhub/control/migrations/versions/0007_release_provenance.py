"""Typed provenance of a release: capability, subject, area level, first and last period.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("capability", 32),
    ("subject", 128),
    ("level", 32),
    ("period_first", 32),
    ("period_last", 32),
)


def upgrade() -> None:
    with op.batch_alter_table("release") as batch:
        for name, length in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))
        batch.create_index("ix_release_capability_subject", ["capability", "subject"])


def downgrade() -> None:
    with op.batch_alter_table("release") as batch:
        batch.drop_index("ix_release_capability_subject")
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
