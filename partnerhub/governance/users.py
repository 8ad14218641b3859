"""Users, roles and API tokens.

A token is ``ph_<token id>_<secret>``: the token id finds the row, the secret is checked
against its argon2 hash (argon2-cffi's defaults, RFC 9106's second recommended option). The
plain token is shown once, when it is made; nobody — not the hub — can show it again.

argon2 costs about 135 ms and 64 MiB per check, on purpose. A server checks each token with it
once, then remembers for :data:`VERIFIED_TTL` seconds that this secret was right, as a keyed
digest (HMAC-SHA256 under a key that lives in the server's memory only): :class:`TokenCache`.
The token's row is still read on every request, so a revoked token, a disabled user or a
changed role takes effect at the next request, cache or not.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
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
    "VERIFIED_TTL",
    "Principal",
    "Role",
    "TokenCache",
    "add_user",
    "authenticate",
    "issue_token",
    "list_users",
    "operator",
    "revoke_tokens",
    "token_id_of",
]

Role = Literal["analyst", "partner_viewer", "identity_steward", "ig_officer", "admin"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
PARTNER_ROLES = ("analyst", "partner_viewer")  # act for one partner
HUB_ROLES = ("identity_steward", "ig_officer", "admin")  # hub staff, no partner
_hasher = PasswordHasher()
VERIFIED_TTL = 300.0  # seconds a server trusts a secret argon2 accepted before checking again
_CACHED_TOKENS = 10_000  # tokens remembered at most (least recently used forgotten first)
_BAD_TOKEN = "unknown or revoked token — ask an admin for a new one"  # noqa: S105


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


class TokenCache:
    """Which secrets argon2 has accepted lately, per token id, as a keyed digest.

    A hit spares argon2 only: :func:`authenticate` still reads the token's row and refuses a
    revoked token or a disabled user. An entry counts only while the stored argon2 hash is the
    one it was checked against and for ``ttl`` seconds; a failed check never enters it."""

    def __init__(
        self,
        ttl: float = VERIFIED_TTL,
        size: int = _CACHED_TOKENS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._size = size
        self._clock = clock
        self._key = secrets.token_bytes(32)  # this process's only: the digests mean nothing else
        self._entries: OrderedDict[str, tuple[bytes, str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode("utf-8"), hashlib.sha256).digest()

    def holds(self, token_id: str, secret: str, secret_hash: str) -> bool:
        with self._lock:
            entry = self._entries.get(token_id)
            if entry is None:
                return False
            digest, checked_hash, expires = entry
            if expires <= self._clock() or checked_hash != secret_hash:
                del self._entries[token_id]
                return False
            self._entries.move_to_end(token_id)
        return hmac.compare_digest(digest, self._digest(secret))

    def remember(self, token_id: str, secret: str, secret_hash: str) -> None:
        with self._lock:
            self._entries[token_id] = (self._digest(secret), secret_hash, self._clock() + self.ttl)
            self._entries.move_to_end(token_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def forget(self, token_id: str | None = None) -> None:
        """Forget one token (or every token)."""
        with self._lock:
            if token_id is None:
                self._entries.clear()
            else:
                self._entries.pop(token_id, None)


def token_id_of(token: str) -> str | None:
    """The token id part of something shaped like a token (for the audit), else None."""
    parts = token.split("_", 2)
    if len(parts) == 3 and parts[0] == "ph" and 0 < len(parts[1]) <= 32 and parts[1].isalnum():
        return parts[1]
    return None


def authenticate(
    plane: ControlPlane, token: str | None, cache: TokenCache | None = None
) -> Principal:
    """The user a token belongs to; no token → the public; a bad token → an error.

    With ``cache``, argon2 runs once per token per ``cache.ttl`` seconds; the token's row is
    read every time, so revocation takes effect at once."""
    if not token:
        return PUBLIC
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "ph" or not parts[1] or not parts[2]:
        raise AuthenticationError("that is not a PartnerHub token (they start ph_) — check it")
    token_id, secret = parts[1], parts[2]
    with plane.session() as s:
        row = s.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_id == token_id)
        ).first()
    if row is None:
        raise AuthenticationError(_BAD_TOKEN)
    api_token, user = row
    if cache is None or not cache.holds(token_id, secret, api_token.secret_hash):
        try:
            _hasher.verify(api_token.secret_hash, secret)
        except (VerificationError, InvalidHashError):
            raise AuthenticationError(_BAD_TOKEN) from None
        if cache is not None:
            cache.remember(token_id, secret, api_token.secret_hash)
    if api_token.revoked_at is not None or user.disabled:
        if cache is not None:
            cache.forget(token_id)
        raise AuthenticationError(_BAD_TOKEN)
    return Principal(user.name, user.role, user.partner)
