"""Who may do what: the one table of roles and their permissions.

Every role check — the gate's, the agreements a user sees, the API's and the dashboard's route
tables, the CLI's quarantine export, linkage diagnostics and clerical review — is a lookup here,
so a role's reach is read in one place."""

from __future__ import annotations

from typing import Literal

from partnerhub.governance.users import ROLES

__all__ = [
    "PERMISSIONS",
    "ROLE_PERMISSIONS",
    "Permission",
    "may",
    "roles_with",
]

Permission = Literal[
    "request_release",  # ask the gate for an output (for the user's own partner)
    "list_releases",  # see releases' metadata
    "see_partner_releases",  # … those made for the user's partner
    "see_every_release",  # … every release
    "read_release_content",  # download a release's content (indicator pages show content)
    "oversee_releases",  # read a release even after its agreement ended (oversight)
    "read_agreements",  # read the agreements the user's partner is party to
    "see_every_agreement",  # … every agreement
    "view_status",  # datasets and their loads (counts only)
    "read_audit",  # the audit log and its verification
    "review_pairs",  # clerical review of uncertain record pairs
    "read_identifiers",  # linkage diagnostics, which show identifier values
    "read_partner_quarantine",  # export quarantined rows of the user's partner's loads
    "read_any_quarantine",  # … of any partner's loads
]
PERMISSIONS: tuple[str, ...] = Permission.__args__  # type: ignore[attr-defined]

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "analyst": frozenset(
        {
            "request_release",
            "list_releases",
            "see_partner_releases",
            "read_release_content",
            "read_agreements",
            "view_status",
            "read_partner_quarantine",
        }
    ),
    "partner_viewer": frozenset(
        {
            "list_releases",
            "see_partner_releases",
            "read_release_content",
            "read_agreements",
            "read_partner_quarantine",
        }
    ),
    "identity_steward": frozenset(
        {
            "read_agreements",
            "see_every_agreement",
            "review_pairs",
            "read_identifiers",
            "read_any_quarantine",
        }
    ),
    "ig_officer": frozenset(
        {
            "list_releases",
            "see_every_release",
            "read_release_content",
            "oversee_releases",
            "read_agreements",
            "see_every_agreement",
            "view_status",
            "read_audit",
        }
    ),
    "admin": frozenset(
        {
            "list_releases",
            "see_every_release",
            "read_agreements",
            "see_every_agreement",
            "view_status",
        }
    ),
}
assert set(ROLE_PERMISSIONS) == set(ROLES), "every role has a row, and only roles"
assert all(p <= set(PERMISSIONS) for p in ROLE_PERMISSIONS.values()), "unknown permission"


def may(role: str | None, permission: Permission) -> bool:
    """Whether ``role`` (None: not signed in) has ``permission``."""
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


def roles_with(permission: Permission) -> tuple[str, ...]:
    """The roles that have ``permission``, in the order of :data:`ROLES`."""
    if permission not in PERMISSIONS:
        raise ValueError(f"no permission {permission!r}")
    return tuple(r for r in ROLES if permission in ROLE_PERMISSIONS[r])
