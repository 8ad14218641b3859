"""The audit log on SQLite: every kind of tampering is caught and named by entry number and kind;
an intact log verifies clean; signatures follow the documented formula; appenders racing from
threads make one unbroken chain; the anchor only moves forward over an unchanged entry."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import partnerhub.governance.audit as audit_module
from partnerhub.control import ControlPlane, LinkRun, open_control_plane
from partnerhub.errors import UserError
from partnerhub.governance import AuditLog, AuditProblem, audit_key

KEY = audit_key(b"k" * 32)
ZEROS = "0" * 64
FORGED = {
    "at": "2026-01-01 00:00:00.000000",
    "actor": "mallory",
    "action": "release",
    "subject": "release 99",
    "detail": "{}",
    "hash": "a" * 64,
}


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    p = open_control_plane("sqlite:///control.db", tmp_path)
    yield p
    p.close()


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verify reads 3 entries per query, so tampering straddles batch boundaries."""
    monkeypatch.setattr(audit_module, "_BATCH", 3)


def _log(plane: ControlPlane, tmp_path: Path, n: int = 10, anchored: bool = True) -> AuditLog:
    log = AuditLog(plane, KEY, tmp_path / "audit.head" if anchored else None)
    for i in range(1, n + 1):
        log.append(f"user{i % 3}", "release", f"release {i}", {"i": i, "cells": [1, 2]})
    return log


def _sql(plane: ControlPlane, sql: str, **params: Any) -> None:
    with plane.engine.begin() as c:
        c.execute(text(sql), params)


def _row(plane: ControlPlane, seq: int) -> dict[str, Any]:
    with plane.engine.connect() as c:
        return dict(
            c.execute(text("SELECT * FROM audit_entry WHERE seq = :s"), {"s": seq}).one()._mapping
        )


def _anchored(tmp_path: Path) -> tuple[int, str]:
    data = json.loads((tmp_path / "audit.head").read_text())
    return data["seq"], data["hash"]


def _found(log: AuditLog) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in log.verify()]


def _forge(plane: ControlPlane, seq: int, prev_hash: str) -> None:
    _sql(
        plane,
        "INSERT INTO audit_entry (seq, at, actor, action, subject, detail, prev_hash, hash) "
        "VALUES (:seq, :at, :actor, :action, :subject, :detail, :prev_hash, :hash)",
        **FORGED,
        seq=seq,
        prev_hash=prev_hash,
    )


def _swap_seq(plane: ControlPlane, a: int, b: int) -> None:
    _sql(plane, "UPDATE audit_entry SET seq = -1 WHERE seq = :a", a=a)
    _sql(plane, "UPDATE audit_entry SET seq = :a WHERE seq = :b", a=a, b=b)
    _sql(plane, "UPDATE audit_entry SET seq = :b WHERE seq = -1", b=b)


def _swap_content(plane: ControlPlane, a: int, b: int) -> None:
    """Swap what two entries say (time, actor, action, subject, detail), keeping number,
    link and hash in place."""
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
    """Renumber 6..10 as 7..11 and forge a 6 that links to 5."""
    _sql(plane, "UPDATE audit_entry SET seq = seq + 100 WHERE seq >= 6")
    _sql(plane, "UPDATE audit_entry SET seq = seq - 99 WHERE seq >= 100")
    _forge(plane, 6, _row(plane, 5)["hash"])


def _replay(plane: ControlPlane) -> None:
    """Append a verbatim copy of entry 3 as entry 11."""
    r = _row(plane, 3)
    r["seq"] = 11
    _sql(
        plane,
        "INSERT INTO audit_entry (seq, at, actor, action, subject, detail, prev_hash, hash) "
        "VALUES (:seq, :at, :actor, :action, :subject, :detail, :prev_hash, :hash)",
        **r,
    )


def _edit(column: str, value: str, seq: int = 4) -> Callable[[ControlPlane], None]:
    return lambda p: _sql(p, f"UPDATE audit_entry SET {column} = :v WHERE seq = :s", v=value, s=seq)


# name → (tampering of a 10-entry anchored log, what verify must report)
TAMPERING: dict[str, tuple[Callable[[ControlPlane], None], list[tuple[int, str]]]] = {
    "edit actor": (_edit("actor", "mallory"), [(4, "edited")]),
    "edit action": (_edit("action", "login"), [(4, "edited")]),
    "edit subject": (_edit("subject", "release 99"), [(4, "edited")]),
    "edit detail": (_edit("detail", '{"cells":[1,3],"i":4}'), [(4, "edited")]),
    "edit detail, not JSON": (_edit("detail", "{oops"), [(4, "edited")]),
    "edit at": (_edit("at", "2026-01-01 00:00:00.000000"), [(4, "edited")]),
    "edit prev_hash": (_edit("prev_hash", "1" * 64), [(4, "edited")]),
    "edit hash": (_edit("hash", "2" * 64), [(4, "edited")]),
    "edit the first": (_edit("actor", "mallory", 1), [(1, "edited")]),
    "edit the newest": (_edit("actor", "mallory", 10), [(10, "edited")]),
    "edit the newest hash": (_edit("hash", "2" * 64, 10), [(10, "edited")]),
    "edit two": (
        lambda p: (_edit("actor", "m", 3)(p), _edit("detail", "{}", 8)(p)),
        [(3, "edited"), (8, "edited")],
    ),
    "delete the first": (
        lambda p: _sql(p, "DELETE FROM audit_entry WHERE seq = 1"),
        [(1, "deleted")],
    ),
    "delete a middle one": (
        lambda p: _sql(p, "DELETE FROM audit_entry WHERE seq = 5"),
        [(5, "deleted")],
    ),
    "delete two in the middle": (
        lambda p: _sql(p, "DELETE FROM audit_entry WHERE seq IN (4, 5)"),
        [(4, "deleted")],
    ),
    "delete the newest": (
        lambda p: _sql(p, "DELETE FROM audit_entry WHERE seq = 10"),
        [(10, "truncated")],
    ),
    "truncate the newest four": (
        lambda p: _sql(p, "DELETE FROM audit_entry WHERE seq >= 7"),
        [(7, "truncated")],
    ),
    "delete everything": (lambda p: _sql(p, "DELETE FROM audit_entry"), [(1, "truncated")]),
    "replace one": (
        lambda p: (
            _sql(p, "DELETE FROM audit_entry WHERE seq = 6"),
            _forge(p, 6, _row(p, 5)["hash"]),
        ),
        [(6, "edited")],
    ),
    "insert at the end": (lambda p: _forge(p, 11, _row(p, 10)["hash"]), [(11, "inserted")]),
    "insert at the end, bad link": (lambda p: _forge(p, 11, ZEROS), [(11, "inserted")]),
    "insert in the middle": (
        _insert_in_middle,
        [(6, "inserted"), *[(s, "reordered") for s in range(7, 12)]],
    ),
    "insert at the start": (
        lambda p: (
            _sql(p, "UPDATE audit_entry SET seq = seq + 100"),
            _sql(p, "UPDATE audit_entry SET seq = seq - 99"),
            _forge(p, 1, ZEROS),
        ),
        [(1, "inserted"), *[(s, "reordered") for s in range(2, 12)]],
    ),
    "replay a copy": (_replay, [(11, "inserted")]),
    "swap numbers": (lambda p: _swap_seq(p, 5, 6), [(5, "reordered"), (6, "reordered")]),
    "swap numbers apart": (lambda p: _swap_seq(p, 2, 7), [(2, "reordered"), (7, "reordered")]),
    "swap the newest": (lambda p: _swap_seq(p, 9, 10), [(9, "reordered"), (10, "reordered")]),
    "swap contents": (lambda p: _swap_content(p, 5, 6), [(5, "reordered"), (6, "reordered")]),
    "move past the end": (
        lambda p: _sql(p, "UPDATE audit_entry SET seq = 12 WHERE seq = 4"),
        [(4, "deleted"), (12, "reordered")],
    ),
    "insert far past the end": (
        lambda p: _forge(p, 1_000_000_000, _row(p, 10)["hash"]),
        [(1_000_000_000, "inserted")],
    ),
}


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_is_named(plane: ControlPlane, tmp_path: Path, name: str) -> None:
    log = _log(plane, tmp_path)
    assert log.verify() == []
    tamper, expected = TAMPERING[name]
    tamper(plane)
    problems = log.verify()
    assert [(p.seq, p.kind) for p in problems] == expected
    for p in problems:
        assert p.message.startswith(f"entry {p.seq}") or p.message.startswith(f"entries {p.seq}")


def test_messages_name_the_entry_and_what_happened(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path)
    at = _row(plane, 4)["at"]
    _edit("actor", "mallory")(plane)
    (edited,) = log.verify()
    assert edited.message == (
        f"entry 4 (release by mallory at {at[:19]}) was edited: its content no longer matches "
        "its signature"
    )
    _sql(plane, "DELETE FROM audit_entry WHERE seq >= 7")
    truncated = log.verify()[-1]
    assert truncated.message.startswith("entries 7 to 10 are missing from the end of the log")
    assert "the log ends at entry 6" in truncated.message


def test_a_swap_says_where_each_entry_belongs(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path)
    _swap_seq(plane, 5, 6)
    assert [p.message.split(": ")[1] for p in log.verify()] == [
        "it was signed as entry 6",
        "it was signed as entry 5",
    ]
    _replay(plane)
    assert log.verify()[-1].message.endswith("(it is a copy of entry 3)")


def test_deleting_the_newest_entry_needs_the_anchor(plane: ControlPlane, tmp_path: Path) -> None:
    """Without an anchor configured a missing newest entry cannot be told from one never
    written; with one configured, a missing anchor file is itself reported."""
    log = _log(plane, tmp_path, anchored=False)
    _sql(plane, "DELETE FROM audit_entry WHERE seq = 10")
    assert log.verify() == []
    (problem,) = AuditLog(plane, KEY, tmp_path / "missing.head").verify()
    assert (problem.seq, problem.kind) == (0, "anchor")
    assert "missing.head is missing but the log has entries (up to entry 9)" in problem.message


def test_a_signed_entry_linked_to_the_wrong_entry_is_a_broken_link(
    plane: ControlPlane, tmp_path: Path
) -> None:
    """Only a key holder can sign an entry; one that links elsewhere is still caught."""
    log = _log(plane, tmp_path)
    at = "2026-03-01T09:00:00.000000"
    message = json.dumps(
        [11, at, "eve", "login", "api", "{}", ZEROS],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    digest = hmac.new(KEY, message.encode(), hashlib.sha256).hexdigest()
    _sql(
        plane,
        "INSERT INTO audit_entry VALUES (11, :at, 'eve', 'login', 'api', '{}', :z, :h)",
        at=at.replace("T", " "),
        z=ZEROS,
        h=digest,
    )
    assert _found(log) == [(11, "broken_link")]


@pytest.mark.usefixtures("small_batches")
def test_an_intact_log_of_200_verifies_clean(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path, 200)
    assert log.verify() == []
    newest = log.entries(limit=1)[0]
    assert newest["seq"] == 200
    assert _anchored(tmp_path) == (200, newest["hash"])
    _edit("subject", "nothing to see", 150)(plane)
    assert _found(log) == [(150, "edited")]


def test_signatures_follow_the_documented_formula(plane: ControlPlane, tmp_path: Path) -> None:
    """hash = HMAC-SHA256(key, canonical JSON of [seq, at, actor, action, subject, detail,
    prev_hash]): the same content under the same key always signs the same."""
    assert (
        audit_key(b"k" * 32) == hmac.new(b"k" * 32, b"partnerhub audit chain v1", "sha256").digest()
    )
    log = AuditLog(plane, KEY, None)
    first = log.append("alice", "release", "release 1", {"b": "ü", "a": [1, 2]})
    second = log.append("bob", "login", "api")
    for entry, prev in ((first, ZEROS), (second, first.hash)):
        assert entry.prev_hash == prev
        message = json.dumps(
            [
                entry.seq,
                entry.at.isoformat(timespec="microseconds"),
                entry.actor,
                entry.action,
                entry.subject,
                entry.detail,
                prev,
            ],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert entry.hash == hmac.new(KEY, message.encode(), hashlib.sha256).hexdigest()
    assert (first.seq, second.seq) == (1, 2)
    assert first.detail == '{"a":[1,2],"b":"ü"}'
    assert second.detail == "{}"


def test_a_wrong_key_reports_every_entry(plane: ControlPlane, tmp_path: Path) -> None:
    _log(plane, tmp_path, 200)
    for anchor in (tmp_path / "audit.head", None):
        wrong = AuditLog(plane, audit_key(b"x" * 32), anchor)
        anchor_problem = [(200, "anchor")] if anchor else []  # its key derives from the key
        assert sorted(_found(wrong)) == sorted(
            [(s, "edited") for s in range(1, 201)] + anchor_problem
        )


def test_concurrent_appends_make_one_unbroken_chain(plane: ControlPlane, tmp_path: Path) -> None:
    errors: list[BaseException] = []

    def work(who: str) -> None:
        mine = AuditLog(plane, KEY, tmp_path / "audit.head")
        try:
            for i in range(25):
                mine.append(who, "login", "api", {"i": i})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    log = AuditLog(plane, KEY, tmp_path / "audit.head")
    assert sorted(e["seq"] for e in log.entries(limit=1000)) == list(range(1, 101))
    assert sorted(e["actor"] for e in log.entries(limit=1000)).count("t3") == 25
    assert log.verify() == []
    assert json.loads((tmp_path / "audit.head").read_text())["seq"] == 100


def test_an_entry_commits_with_the_callers_transaction(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path, 3)
    with pytest.raises(RuntimeError), plane.session() as s:
        log.append("alice", "link_run", "link run 1", {}, session=s)
        raise RuntimeError("the link run failed")
    log.write_anchor()
    assert [e["seq"] for e in log.entries()] == [3, 2, 1]
    assert json.loads((tmp_path / "audit.head").read_text())["seq"] == 3

    run_id = plane.begin_link_run(mode="splink", threshold=0.9)
    with plane.session() as s:
        s.get_one(LinkRun, run_id).status = "done"
        entry = log.append("alice", "link_run", f"link run {run_id}", {"ok": True}, session=s)
    assert json.loads((tmp_path / "audit.head").read_text())["seq"] == 3  # not yet
    log.write_anchor()
    assert _anchored(tmp_path) == (4, entry.hash)
    assert log.verify() == []


def test_the_anchor_stays_as_evidence(plane: ControlPlane, tmp_path: Path) -> None:
    """After the newest entries are deleted, new entries do not move the anchor: the entry it
    records is gone, so verify keeps reporting it."""
    log = _log(plane, tmp_path)
    head = (tmp_path / "audit.head").read_text()
    _sql(plane, "DELETE FROM audit_entry WHERE seq >= 8")
    for i in range(4):
        log.append("bob", "login", "api", {"i": i})  # 8, 9, 10, 11
    assert (tmp_path / "audit.head").read_text() == head
    problems = log.verify()
    assert [(p.seq, p.kind) for p in problems] == [(10, "truncated")]
    assert "not the entry the anchor records" in problems[0].message


def test_an_unsigned_head_is_not_anchored(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path, 5)
    _forge(plane, 6, _row(plane, 5)["hash"])
    log.write_anchor()
    assert json.loads((tmp_path / "audit.head").read_text())["seq"] == 5


def test_an_unreadable_anchor_is_a_user_error(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path, 2)
    (tmp_path / "audit.head").write_text("{not json")
    log.append("bob", "login", "api")  # the entry is kept; the anchor is left alone
    assert (tmp_path / "audit.head").read_text() == "{not json"
    with pytest.raises(UserError, match=r"audit anchor .*audit\.head is not readable"):
        log.verify()


def test_entries_newest_first_filtered_and_paged(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path, 5)
    log.append("carol", "login_failed", "api", {"token_id": "x"})
    assert [e["seq"] for e in log.entries(limit=3)] == [6, 5, 4]
    assert [e["seq"] for e in log.entries(limit=2, offset=2)] == [4, 3]
    (failed,) = log.entries(action="login_failed")
    assert failed["detail"] == {"token_id": "x"}
    assert set(failed) == {"seq", "at", "actor", "action", "subject", "detail", "prev_hash", "hash"}
    _sql(plane, "UPDATE audit_entry SET detail = '{oops' WHERE seq = 2")
    assert log.entries(limit=1, offset=4)[0]["detail"] == "{oops"  # listed as stored


def test_export_writes_every_entry_atomically(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path, 25)
    out = tmp_path / "exports" / "audit.jsonl"
    assert log.export_jsonl(out) == 25
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["seq"] for x in lines] == list(range(1, 26))
    assert lines[3]["detail"] == {"i": 4, "cells": [1, 2]}
    assert lines[0]["prev_hash"] == ZEROS
    assert lines[24]["hash"] == log.entries(limit=1)[0]["hash"]
    assert [p.name for p in out.parent.iterdir()] == ["audit.jsonl"]


def test_nothing_in_the_api_changes_an_entry() -> None:
    public = {n for n in dir(AuditLog) if not n.startswith("_")}
    assert public == {
        "append",
        "entries",
        "export_jsonl",
        "reanchor",
        "verify",
        "verify_export",
        "write_anchor",
    }


def test_bad_arguments_are_refused(plane: ControlPlane) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        AuditLog(plane, b"short", None)
    with pytest.raises(ValueError, match="16 bytes"):
        AuditLog(plane, KEY, None, b"short")
    with pytest.raises(ValueError, match="too long"):
        AuditLog(plane, KEY, None).append("alice", "x" * 65, "api")
    with pytest.raises(ValueError, match="unknown audit problem kind"):
        AuditProblem(1, "lost", "entry 1 was lost")


def test_appends_from_many_threads_commit_in_groups(
    plane: ControlPlane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One log shared by a server's threads: entries waiting at the same moment commit
    together, each caller gets its own entry back, and the chain is unbroken."""
    log = AuditLog(plane, KEY, tmp_path / "audit.head")
    groups = []
    real = log._commit

    def slow_commit(batch: list[Any]) -> None:  # one call per group; slow, so others queue
        groups.append(len(batch))
        threading.Event().wait(0.01)
        real(batch)

    monkeypatch.setattr(log, "_commit", slow_commit)
    returned: list[tuple[str, int, str]] = []
    errors: list[BaseException] = []

    def work(who: str) -> None:
        try:
            for i in range(25):
                entry = log.append(who, "login", "api", {"i": i})
                returned.append((entry.actor, json.loads(entry.detail)["i"], entry.hash))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted((a, i) for a, i, _ in returned) == sorted(
        (f"t{n}", i) for n in range(8) for i in range(25)
    )
    stored = {e["hash"]: (e["actor"], e["detail"]["i"]) for e in log.entries(limit=1000)}
    assert {h: (a, i) for a, i, h in returned} == stored  # each caller got its own entry
    assert sum(groups) == 200
    assert len(groups) < 100  # fewer commits than entries
    assert log.verify() == []
    assert _anchored(tmp_path)[0] == 200


def test_a_failed_group_commit_is_raised_and_the_next_append_works(
    plane: ControlPlane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _log(plane, tmp_path, 2)
    real = log._append

    def failing(s: Any, actor: str, *args: Any, **kwargs: Any) -> Any:
        if actor == "mallory":
            raise RuntimeError("disk full")
        return real(s, actor, *args, **kwargs)

    monkeypatch.setattr(log, "_append", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        log.append("mallory", "login", "api")
    assert log.append("bob", "login", "api").seq == 3
    assert log.verify() == []
