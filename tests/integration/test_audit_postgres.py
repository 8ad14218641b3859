"""The audit log on a PostgreSQL control plane: the same tampering as the SQLite unit tests is
named with the same entry numbers and kinds; concurrent appenders (serialised by an advisory
lock) make one unbroken chain; an entry commits or rolls back with the caller's transaction."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from partnerhub.control import ControlPlane, open_control_plane
from partnerhub.governance import AuditLog, audit_key

KEY = audit_key(b"p" * 32)
ZEROS = "0" * 64
FORGED = {
    "at": "2026-01-01 00:00:00.000000",
    "actor": "mallory",
    "action": "release",
    "subject": "release 99",
    "detail": "{}",
    "hash": "a" * 64,
}
INSERT = (
    "INSERT INTO audit_entry (seq, at, actor, action, subject, detail, prev_hash, hash) "
    "VALUES (:seq, :at, :actor, :action, :subject, :detail, :prev_hash, :hash)"
)


@pytest.fixture
def plane(pg_database: str, tmp_path: Path) -> Iterator[ControlPlane]:
    p = open_control_plane(pg_database, tmp_path)
    yield p
    p.close()


def _log(plane: ControlPlane, tmp_path: Path, n: int = 10) -> AuditLog:
    log = AuditLog(plane, KEY, tmp_path / "audit.head")
    for i in range(1, n + 1):
        log.append(f"user{i % 3}", "release", f"release {i}", {"i": i, "note": "ü"})
    return log


def _sql(plane: ControlPlane, sql: str, **params: Any) -> None:
    with plane.engine.begin() as c:
        c.execute(text(sql), params)


def _row(plane: ControlPlane, seq: int) -> dict[str, Any]:
    with plane.engine.connect() as c:
        found = c.execute(text("SELECT * FROM audit_entry WHERE seq = :s"), {"s": seq}).one()
    return dict(found._mapping)


def _forge(plane: ControlPlane, seq: int, prev_hash: str) -> None:
    _sql(plane, INSERT, **FORGED, seq=seq, prev_hash=prev_hash)


def _swap_seq(plane: ControlPlane, a: int, b: int) -> None:
    _sql(plane, "UPDATE audit_entry SET seq = -1 WHERE seq = :a", a=a)
    _sql(plane, "UPDATE audit_entry SET seq = :a WHERE seq = :b", a=a, b=b)
    _sql(plane, "UPDATE audit_entry SET seq = :b WHERE seq = -1", b=b)


def _swap_content(plane: ControlPlane, a: int, b: int) -> None:
    ra, rb = _row(plane, a), _row(plane, b)
    for seq, r in ((a, rb), (b, ra)):
        _sql(
            plane,
            "UPDATE audit_entry SET at = :at, actor = :actor, action = :action, "
            "subject = :subject, detail = :detail WHERE seq = :seq",
            **{k: r[k] for k in ("at", "actor", "action", "subject", "detail")},
            seq=seq,
        )


def _insert_in_middle(plane: ControlPlane) -> None:
    _sql(plane, "UPDATE audit_entry SET seq = seq + 100 WHERE seq >= 6")
    _sql(plane, "UPDATE audit_entry SET seq = seq - 99 WHERE seq >= 100")
    _forge(plane, 6, _row(plane, 5)["hash"])


def _replay(plane: ControlPlane) -> None:
    _sql(plane, INSERT, **{**_row(plane, 3), "seq": 11})


def _edit(column: str, value: str, seq: int = 4) -> Callable[[ControlPlane], None]:
    return lambda p: _sql(p, f"UPDATE audit_entry SET {column} = :v WHERE seq = :s", v=value, s=seq)


def _delete(where: str) -> Callable[[ControlPlane], None]:
    return lambda p: _sql(p, f"DELETE FROM audit_entry WHERE {where}")


TAMPERING: dict[str, tuple[Callable[[ControlPlane], None], list[tuple[int, str]]]] = {
    "edit actor": (_edit("actor", "mallory"), [(4, "edited")]),
    "edit detail": (_edit("detail", '{"i":5,"note":"ü"}'), [(4, "edited")]),
    "edit at": (_edit("at", "2026-01-01 00:00:00.000001"), [(4, "edited")]),
    "edit prev_hash": (_edit("prev_hash", "1" * 64), [(4, "edited")]),
    "edit hash": (_edit("hash", "2" * 64), [(4, "edited")]),
    "edit the newest": (_edit("actor", "mallory", 10), [(10, "edited")]),
    "delete the first": (_delete("seq = 1"), [(1, "deleted")]),
    "delete a middle one": (_delete("seq = 5"), [(5, "deleted")]),
    "delete the newest": (_delete("seq = 10"), [(10, "truncated")]),
    "truncate the newest four": (_delete("seq >= 7"), [(7, "truncated")]),
    "insert at the end": (lambda p: _forge(p, 11, _row(p, 10)["hash"]), [(11, "inserted")]),
    "insert in the middle": (
        _insert_in_middle,
        [(6, "inserted"), *[(s, "reordered") for s in range(7, 12)]],
    ),
    "replay a copy": (_replay, [(11, "inserted")]),
    "swap numbers": (lambda p: _swap_seq(p, 5, 6), [(5, "reordered"), (6, "reordered")]),
    "swap contents": (lambda p: _swap_content(p, 5, 6), [(5, "reordered"), (6, "reordered")]),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_on_postgres_is_named(plane: ControlPlane, tmp_path: Path, name: str) -> None:
    log = _log(plane, tmp_path)
    assert log.verify() == []
    tamper, expected = TAMPERING[name]
    tamper(plane)
    assert [(p.seq, p.kind) for p in log.verify()] == expected


def test_an_intact_log_of_200_verifies_and_a_wrong_key_fails_all(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = _log(plane, tmp_path, 200)
    assert log.verify() == []
    assert [e["seq"] for e in log.entries(limit=2)] == [200, 199]
    wrong = AuditLog(plane, audit_key(b"q" * 32), tmp_path / "audit.head")
    found = sorted((p.seq, p.kind) for p in wrong.verify())  # the anchor's key derives from it
    assert found == sorted([(s, "edited") for s in range(1, 201)] + [(200, "anchor")])


def test_concurrent_appends_on_postgres(plane: ControlPlane, tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def work(who: str) -> None:
        log = AuditLog(plane, KEY, tmp_path / "audit.head")
        try:
            for i in range(40):
                log.append(who, "login", "api", {"i": i})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    log = AuditLog(plane, KEY, tmp_path / "audit.head")
    entries = log.entries(limit=1000)
    assert sorted(e["seq"] for e in entries) == list(range(1, 161))
    assert {a: [e["actor"] for e in entries].count(a) for a in ("t0", "t3")} == {"t0": 40, "t3": 40}
    assert log.verify() == []
    anchor = json.loads((tmp_path / "audit.head").read_text())
    assert (anchor["seq"], anchor["hash"]) == (160, entries[0]["hash"])


def test_an_entry_commits_with_the_callers_transaction_on_postgres(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = _log(plane, tmp_path, 3)
    with pytest.raises(RuntimeError), plane.session() as s:
        log.append("alice", "release", "release 4", {}, session=s)
        raise RuntimeError("the release failed")
    log.write_anchor()
    assert [e["seq"] for e in log.entries()] == [3, 2, 1]
    with plane.session() as s:
        entry = log.append("alice", "release", "release 4", {"ok": True}, session=s)
    log.write_anchor()
    anchor = json.loads((tmp_path / "audit.head").read_text())
    assert (anchor["seq"], anchor["hash"]) == (4, entry.hash)
    assert log.verify() == []
