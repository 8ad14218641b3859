"""Token checks at the API: argon2 once per token (then a keyed digest for a few minutes), off
the event loop; revocation at the next request; failed logins counted into a bounded number of
audit entries."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import partnerhub.governance.users as users_module
from partnerhub.config import load_partnership
from partnerhub.control import ControlPlane, User, open_control_plane
from partnerhub.errors import AuthenticationError
from partnerhub.governance import (
    FailedLogins,
    TokenCache,
    add_user,
    authenticate,
    issue_token,
    revoke_tokens,
)
from partnerhub.governance.audit import AuditLog, audit_key
from partnerhub.hub import Hub
from partnerhub.keys import PseudonymisationKey
from partnerhub.web import create_app

KEY = PseudonymisationKey(b"p" * 32, "test key")


class CountingHasher:
    """argon2's verify, counted, noting whether it ran on an event loop's thread."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0
        self.on_loop = 0

    def verify(self, stored: str, secret: str) -> bool:
        self.calls += 1
        try:
            asyncio.get_running_loop()
            self.on_loop += 1
        except RuntimeError:
            pass
        result: bool = self.real.verify(stored, secret)
        return result

    def hash(self, secret: str) -> str:
        value: str = self.real.hash(secret)
        return value


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(users_module._hasher)
    monkeypatch.setattr(users_module, "_hasher", counting)
    return counting


@pytest.fixture
def plane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ControlPlane]:
    monkeypatch.delenv("PARTNERHUB_AUDIT_ANCHOR_KEY", raising=False)
    (tmp_path / "agreements").mkdir()
    (tmp_path / "partnership.toml").write_text(
        '[partnership]\nname = "Test"\n[geography]\nsource = "synthetic"\n'
        'postcode_lookup = "geography/postcode_lookup.csv"\n'
        '[[partner]]\nid = "asc"\nname = "Adult social care"\nsector = "council"\n'
    )
    settings = load_partnership(tmp_path / "partnership.toml")
    p = open_control_plane(settings.control_plane.url, settings.root)
    yield p
    p.close()


@pytest.fixture
def client(plane: ControlPlane, tmp_path: Path) -> Iterator[TestClient]:
    settings = load_partnership(tmp_path / "partnership.toml")
    with TestClient(create_app(Hub(settings, key=KEY))) as c:
        yield c


def _token(plane: ControlPlane, name: str = "alice", role: str = "ig_officer") -> str:
    add_user(plane, name, role, None)
    return issue_token(plane, name)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_argon2_runs_once_per_token_not_per_request(
    plane: ControlPlane, client: TestClient, hasher: CountingHasher
) -> None:
    token = _token(plane)
    for _ in range(20):
        r = client.get("/api/me", headers=_bearer(token))
        assert r.status_code == 200
        assert r.json() == {"name": "alice", "role": "ig_officer", "partner": None}
    assert hasher.calls == 1
    assert hasher.on_loop == 0  # in the thread pool, never on the event loop


def test_the_dashboard_sign_in_checks_the_token_off_the_event_loop(
    plane: ControlPlane, client: TestClient, hasher: CountingHasher
) -> None:
    token = _token(plane)
    r = client.post(
        "/dashboard/sign-in",
        content=f"token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (hasher.calls, hasher.on_loop) == (1, 0)


def test_revocation_takes_effect_at_the_next_request(
    plane: ControlPlane, client: TestClient, hasher: CountingHasher
) -> None:
    token = _token(plane)
    other = _token(plane, "bob")
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    assert client.get("/api/me", headers=_bearer(other)).status_code == 200
    assert revoke_tokens(plane, "alice") == 1  # as `partnerhub users revoke` does
    r = client.get("/api/me", headers=_bearer(token))
    assert r.status_code == 401
    assert "unknown or revoked token" in r.json()["detail"]
    with plane.session() as s:  # a disabled user too
        s.query(User).filter(User.name == "bob").one().disabled = True
    assert client.get("/api/me", headers=_bearer(other)).status_code == 401
    assert hasher.calls == 2  # the refusals needed no argon2: the row said no


def test_a_wrong_secret_for_a_cached_token_is_refused(
    plane: ControlPlane, client: TestClient, hasher: CountingHasher
) -> None:
    token = _token(plane)
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get("/api/me", headers=_bearer(wrong)).status_code == 401
    assert hasher.calls == 2  # the wrong secret was checked by argon2, and refused
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200
    assert hasher.calls == 2  # the right one is still remembered


def test_the_cache_forgets_a_token_after_its_time(
    plane: ControlPlane, hasher: CountingHasher
) -> None:
    now = [0.0]
    cache = TokenCache(ttl=300.0, clock=lambda: now[0])
    token = _token(plane)
    for t in (0.0, 100.0, 299.0):
        now[0] = t
        assert authenticate(plane, token, cache).name == "alice"
    assert hasher.calls == 1
    now[0] = 300.0
    assert authenticate(plane, token, cache).name == "alice"
    assert hasher.calls == 2
    with pytest.raises(AuthenticationError):
        authenticate(plane, token[:-2] + "zz", cache)
    assert hasher.calls == 3


# -- failed logins ------------------------------------------------------------------------------
def _failed(log: AuditLog) -> list[dict[str, Any]]:
    return log.entries(limit=100_000, action="login_failed")


def test_failed_logins_at_the_api_add_a_bounded_number_of_entries(
    plane: ControlPlane, tmp_path: Path
) -> None:
    settings = load_partnership(tmp_path / "partnership.toml")
    governance = Hub(settings, key=KEY)
    with TestClient(create_app(governance)) as c:
        for i in range(1_000):
            token = f"ph_{secrets.token_hex(8)}_nope" if i % 2 else "Basic abc"
            auth = {"Authorization": token if i % 2 == 0 else f"Bearer {token}"}
            assert c.get("/api/me", headers=auth).status_code == 401
        entries = _failed(governance.audit)
        assert len(entries) == 1  # the first; the rest are being counted
    entries = _failed(governance.audit)  # the server stopped: the count was written
    assert len(entries) == 2
    assert sum(e["detail"]["count"] for e in entries) == 1_000
    assert {e["detail"]["source"] for e in entries} == {"testclient"}
    assert len(entries[0]["detail"]["token_ids"]) == 5
    assert entries[0]["detail"]["more_token_ids"] == 500 - 5
    assert governance.audit.verify() == []


def test_ten_thousand_failed_logins_add_a_bounded_number_of_entries(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = AuditLog(plane, audit_key(b"p" * 32), tmp_path / "audit.head")
    now = [0.0]
    failed = FailedLogins(log, window=60.0, sources=100, clock=lambda: now[0])
    for i in range(10_000):  # one address, 100 a second for 100 s
        now[0] = i / 100
        failed.record("api", "10.0.0.1", f"t{i}")
    assert len(_failed(log)) == 2  # at 0 s and at 60 s
    failed.flush(force=True)
    entries = _failed(log)
    assert len(entries) == 3
    assert sorted(e["detail"]["count"] for e in entries) == [1, 3_999, 6_000]
    # 10,000 addresses at once: 100 told apart, the rest counted as "other sources"
    now[0] = 1_000.0
    for i in range(10_000):
        failed.record("api", f"10.1.{i // 256}.{i % 256}")
    failed.flush(force=True)
    wave = _failed(log)[: -len(entries)]
    assert len(wave) == 102  # 100 sources, "other sources" at once and at the flush
    assert sum(e["detail"]["count"] for e in wave) == 10_000
    assert {e["detail"]["source"] for e in wave} >= {"other sources", "10.1.0.0"}
    assert log.verify() == []
