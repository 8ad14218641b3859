"""Users, roles and API tokens.

A token is ``ph_<token id>_<secret>``: the token id finds the row, the secret is checked
against its argon2 hash (argon2-cffi's defaults, RFC 9106's second recommended option). The
plain token is shown once, when it is made; nobody — not the hub — can show it again.
"""

from __future__ import annotations

import getpass
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from partnerhub.control import ApiToken, ControlPlane, User
from partnerhub.errors import AuthenticationError, NotFoundError, UserError

__all__ = [
    "HUB_ROLES",
    "PARTNER_ROLES",
    "ROLES",
    "Principal",
    "Role",
    "add_user",
    "authenticate",
    "issue_token",
    "list_users",
    "operator",
    "revoke_tokens",
]

Role = Literal["analyst", "partner_viewer", "identity_steward", "ig_officer", "admin"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
PARTNER_ROLES = ("analyst", "partner_viewer")  # act for one partner
HUB_ROLES = ("identity_steward", "ig_officer", "admin")  # hub staff, no partner
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user, or the public (``name`` "public", no role)."""

    name: str
    role: str | None
    partner: str | None

    @property
    def is_public(self) -> bool:
        return self.role is None


PUBLIC = Principal("public", None, None)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def operator() -> str:
    """The audit actor for work done on the hub machine itself (ingest, link, user admin)."""
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):
        return "operator"


def add_user(plane: ControlPlane, name: str, role: str, partner: str | None) -> User:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} — use one of: {', '.join(ROLES)}")
    if role in PARTNER_ROLES and not partner:
        raise UserError(f"a {role} acts for a partner — pass --partner")
    if role in HUB_ROLES and partner:
        raise UserError(f"a {role} is hub staff, not a partner's — leave out --partner")
    try:
        with plane.session() as s:
            user = User(name=name, role=role, partner=partner, disabled=False, created_at=_now())
            s.add(user)
            s.flush()
            return user
    except IntegrityError:
        raise UserError(f"a user called {name!r} already exists — pick another name") from None


def list_users(plane: ControlPlane) -> list[User]:
    with plane.session() as s:
        return list(s.scalars(select(User).order_by(User.name)))


def issue_token(plane: ControlPlane, name: str) -> str:
    """A new token for user ``name``; returned once, stored only as an argon2 hash."""
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    with plane.session() as s:
        user = s.scalars(select(User).where(User.name == name)).first()
        if user is None:
            raise NotFoundError(f"no user {name!r} — add them with `partnerhub users add`")
        s.add(
            ApiToken(
                token_id=token_id,
                user_id=user.id,
                secret_hash=_hasher.hash(secret),
                created_at=_now(),
            )
        )
    return f"ph_{token_id}_{secret}"


def revoke_tokens(plane: ControlPlane, name: str) -> int:
    with plane.session() as s:
        user = s.scalars(select(User).where(User.name == name)).first()
        if user is None:
            raise NotFoundError(f"no user {name!r}")
        tokens = s.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for t in tokens:
            t.revoked_at = _now()
        return len(tokens)


def authenticate(plane: ControlPlane, token: str | None) -> Principal:
    """The user a token belongs to; no token → the public; a bad token → an error."""
    if not token:
        return PUBLIC
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "ph" or not parts[1] or not parts[2]:
        raise AuthenticationError("that is not a PartnerHub token (they start ph_) — check it")
    with plane.session() as s:
        row = s.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_id == parts[1])
        ).first()
    if row is None:
        raise AuthenticationError("unknown or revoked token — ask an admin for a new one")
    api_token, user = row
    try:
        _hasher.verify(api_token.secret_hash, parts[2])
    except (VerificationError, InvalidHashError):
        raise AuthenticationError("unknown or revoked token — ask an admin for a new one") from None
    if api_token.revoked_at is not None or user.disabled:
        raise AuthenticationError("unknown or revoked token — ask an admin for a new one")
    return Principal(user.name, user.role, user.partner)
