"""The control plane: datasets, loads and quarantine, link runs, users and tokens, releases and
the audit log. SQLAlchemy models, Alembic migrations; SQLite default, PostgreSQL supported."""

from partnerhub.control.models import (
    LOAD_STATUSES,
    ApiToken,
    AuditEntry,
    Dataset,
    LinkRun,
    Load,
    QuarantineRow,
    Release,
    ReviewDecision,
    User,
)
from partnerhub.control.plane import ControlPlane, open_control_plane, sqlalchemy_url

__all__ = [
    "LOAD_STATUSES",
    "ApiToken",
    "AuditEntry",
    "ControlPlane",
    "Dataset",
    "LinkRun",
    "Load",
    "QuarantineRow",
    "Release",
    "ReviewDecision",
    "User",
    "open_control_plane",
    "sqlalchemy_url",
]
