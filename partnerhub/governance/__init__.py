"""Governance: data-sharing agreements, users and roles, the gate every output passes, and
the tamper-evident audit log."""

from partnerhub.governance.agreements import (
    OUTPUT_KINDS,
    PURPOSES,
    Agreement,
    AgreementDataset,
    ReleaseRequest,
    authorise,
    load_agreements,
)
from partnerhub.governance.audit import AuditLog, AuditProblem, audit_key
from partnerhub.governance.gate import AREA_LEVELS, CountQuery, Gate, can_see_release
from partnerhub.governance.logins import FailedLogins
from partnerhub.governance.service import (
    Governance,
    partnership_agreements,
    record_agreement_changes,
)
from partnerhub.governance.users import (
    HUB_ROLES,
    PARTNER_ROLES,
    PUBLIC,
    ROLES,
    Principal,
    TokenCache,
    add_user,
    authenticate,
    issue_token,
    list_users,
    revoke_tokens,
    token_id_of,
)

__all__ = [
    "AREA_LEVELS",
    "HUB_ROLES",
    "OUTPUT_KINDS",
    "PARTNER_ROLES",
    "PUBLIC",
    "PURPOSES",
    "ROLES",
    "Agreement",
    "AgreementDataset",
    "AuditLog",
    "AuditProblem",
    "CountQuery",
    "FailedLogins",
    "Gate",
    "Governance",
    "Principal",
    "ReleaseRequest",
    "TokenCache",
    "add_user",
    "audit_key",
    "authenticate",
    "authorise",
    "can_see_release",
    "issue_token",
    "list_users",
    "load_agreements",
    "partnership_agreements",
    "record_agreement_changes",
    "revoke_tokens",
    "token_id_of",
]
