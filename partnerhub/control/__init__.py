"""The control plane: loads and quarantine now; agreements, users, releases, outbox and audit
with their issues. SQLAlchemy models, Alembic migrations; SQLite default, PostgreSQL supported."""

from partnerhub.control.models import LOAD_STATUSES, Dataset, LinkRun, Load, QuarantineRow
from partnerhub.control.plane import ControlPlane, open_control_plane, sqlalchemy_url

__all__ = [
    "LOAD_STATUSES",
    "ControlPlane",
    "Dataset",
    "LinkRun",
    "Load",
    "QuarantineRow",
    "open_control_plane",
    "sqlalchemy_url",
]
