"""The signed anchor and the export check: deleting the newest entries and rewinding the anchor
is caught without the anchor key, and by `verify --against` an earlier export even with it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from partnerhub.cli import main
from partnerhub.config import load_partnership
from partnerhub.control import ControlPlane, open_control_plane
from partnerhub.errors import ConfigError, UserError
from partnerhub.governance import AuditLog, add_user, audit_key, issue_token
from partnerhub.governance.service import load_anchor_key, open_audit_log

KEY = audit_key(b"k" * 32)
ANCHOR_KEY = b"a" * 32


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[ControlPlane]:
    p = open_control_plane("sqlite:///control.db", tmp_path)
    yield p
    p.close()


def _log(plane: ControlPlane, tmp_path: Path, n: int = 10) -> AuditLog:
    log = AuditLog(plane, KEY, tmp_path / "audit.head", ANCHOR_KEY)
    for i in range(1, n + 1):
        log.append(f"user{i % 3}", "release", f"release {i}", {"i": i})
    return log


def _sql(plane: ControlPlane, sql: str, **params: Any) -> None:
    with plane.engine.begin() as c:
        c.execute(text(sql), params)


def _hash(plane: ControlPlane, seq: int) -> str:
    with plane.engine.connect() as c:
        return str(
            c.execute(text("SELECT hash FROM audit_entry WHERE seq = :s"), {"s": seq}).one()[0]
        )


def _found(problems: list[Any]) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in problems]


def _anchor(tmp_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp_path / "audit.head").read_text())
    return data


# -- the attack of issue 14, item 7 ----------------------------------------------------------
def test_truncation_with_a_rewound_anchor_is_detected(plane: ControlPlane, tmp_path: Path) -> None:
    """Delete the newest three entries and rewind the anchor to the new newest one, as someone
    who can write the database and the anchor file (but lacks the anchor key) would."""
    log = _log(plane, tmp_path)
    assert _anchor(tmp_path)["seq"] == 10
    _sql(plane, "DELETE FROM audit_entry WHERE seq >= 8")
    (tmp_path / "audit.head").write_text(json.dumps({"seq": 7, "hash": _hash(plane, 7)}))
    problems = log.verify()
    assert _found(problems) == [(7, "anchor")]
    assert "records entry 7 but is not signed with the anchor key" in problems[0].message
    # a signature copied from the old anchor does not fit the rewound one either
    old = {"seq": 7, "hash": _hash(plane, 7), "signature": "0" * 64}
    (tmp_path / "audit.head").write_text(json.dumps(old))
    assert _found(log.verify()) == [(7, "anchor")]
    # later appends do not adopt the forged anchor: it stays as evidence
    log.append("bob", "login", "api")
    assert json.loads((tmp_path / "audit.head").read_text()) == old
    assert _found(log.verify()) == [(7, "anchor")]


def test_an_anchor_signed_with_another_key_is_refused(plane: ControlPlane, tmp_path: Path) -> None:
    _log(plane, tmp_path)
    assert _found(AuditLog(plane, KEY, tmp_path / "audit.head", ANCHOR_KEY).verify()) == []
    other = AuditLog(plane, KEY, tmp_path / "audit.head", b"b" * 32)
    assert _found(other.verify()) == [(10, "anchor")]
    # a signature made with the right key over other content fails too
    data = _anchor(tmp_path)
    data["seq"] = 9
    (tmp_path / "audit.head").write_text(json.dumps(data))
    assert _found(_log(plane, tmp_path, 0).verify()) == [(9, "anchor")]


def test_truncation_under_a_signed_anchor_is_still_caught(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = _log(plane, tmp_path)
    _sql(plane, "DELETE FROM audit_entry WHERE seq >= 8")
    problems = log.verify()
    assert _found(problems) == [(8, "truncated")]
    assert "entries 8 to 10 are missing from the end of the log" in problems[0].message


def test_a_deleted_anchor_is_reported_and_not_silently_restarted(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = _log(plane, tmp_path)
    _sql(plane, "DELETE FROM audit_entry WHERE seq >= 8")
    (tmp_path / "audit.head").unlink()
    log.append("bob", "login", "api")  # entry 8: the anchor is not written again by itself
    assert not (tmp_path / "audit.head").exists()
    assert _found(log.verify()) == [(0, "anchor")]
    # after review, the IG officer starts it again; that is audited
    assert log.reanchor("ig") == (-1, 9)
    assert _anchor(tmp_path)["seq"] == 9
    assert log.verify() == []
    (entry,) = log.entries(limit=1)
    assert (entry["action"], entry["detail"]) == (
        "audit_reanchor",
        {"previous": {"state": "missing"}},
    )


def test_a_new_log_starts_its_anchor_before_the_first_entry(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = AuditLog(plane, KEY, tmp_path / "audit.head", ANCHOR_KEY)
    assert log.verify() == []  # no log, no anchor: nothing to report
    with pytest.raises(RuntimeError), plane.session() as s:
        log.append("alice", "load", "load 1", session=s)
        raise RuntimeError("the load failed")
    assert _anchor(tmp_path)["seq"] == 0  # entry 1 never committed: "the log may be empty"
    assert log.verify() == []
    with plane.session() as s:
        log.append("alice", "load", "load 1", session=s)
    log.write_anchor()
    assert _anchor(tmp_path)["seq"] == 1
    assert log.verify() == []


def test_an_unsigned_anchor_of_an_older_version_is_reported_until_reanchored(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = _log(plane, tmp_path, 3)
    (tmp_path / "audit.head").write_text(json.dumps({"seq": 3, "hash": _hash(plane, 3)}))
    assert _found(log.verify()) == [(3, "anchor")]
    assert log.reanchor("ig") == (3, 4)
    assert log.verify() == []
    (entry,) = log.entries(limit=1)
    assert entry["detail"]["previous"]["state"] == "not signed by the anchor key"


# -- verify --against an export --------------------------------------------------------------
def test_an_earlier_export_is_a_prefix_of_the_log(plane: ControlPlane, tmp_path: Path) -> None:
    log = _log(plane, tmp_path)
    export = tmp_path / "export.jsonl"
    assert log.export_jsonl(export) == 10
    log.append("bob", "login", "api")
    assert log.verify_export(export) == []


def test_a_truncation_after_the_export_is_named_even_with_a_re_signed_anchor(
    plane: ControlPlane, tmp_path: Path
) -> None:
    """An attacker who holds the anchor key can rewind the anchor (the anchor alone then sees
    nothing), but not an export kept elsewhere."""
    log = _log(plane, tmp_path)
    export = tmp_path / "export.jsonl"
    log.export_jsonl(export)
    _sql(plane, "DELETE FROM audit_entry WHERE seq >= 8")
    log._put_anchor(7, _hash(plane, 7))  # the attacker re-signs a rewound anchor
    assert log.verify() == []
    problems = log.verify_export(export)
    assert _found(problems) == [(8, "truncated")]
    message = problems[0].message
    assert "entries 8 to 10 are in the export export.jsonl (from line 8)" in message
    assert "the first missing is entry 8 (release by user2 at " in message
    assert "the log ends at entry 7" in message


def test_the_export_check_names_deleted_and_changed_entries(
    plane: ControlPlane, tmp_path: Path
) -> None:
    log = _log(plane, tmp_path)
    export = tmp_path / "export.jsonl"
    log.export_jsonl(export)
    _sql(plane, "DELETE FROM audit_entry WHERE seq = 4")
    _sql(plane, "UPDATE audit_entry SET subject = 'nothing' WHERE seq = 6")
    problems = log.verify_export(export)
    assert _found(problems) == [(4, "deleted"), (6, "edited")]
    assert "the log goes on at entry 5" in problems[0].message


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json\n", r"line 1: .* is it a file written by `partnerhub audit export`"),
        ('{"seq": 1}\n', r"line 1: not an audit entry"),
        (None, r"line 2 \(entry 2\) is not signed with this partnership's audit key"),
        ("reversed", r"line 2: entry 1 comes after entry 2"),
    ],
)
def test_a_file_that_is_not_an_export_is_a_user_error(
    plane: ControlPlane, tmp_path: Path, content: str | None, match: str
) -> None:
    log = _log(plane, tmp_path, 3)
    export = tmp_path / "export.jsonl"
    log.export_jsonl(export)
    lines = export.read_text().splitlines()
    if content is None:
        lines[1] = lines[1].replace('"actor":"user2"', '"actor":"mallory"')
        export.write_text("\n".join(lines) + "\n")
    elif content == "reversed":
        export.write_text("\n".join([lines[1], lines[0]]) + "\n")
    else:
        export.write_text(content)
    with pytest.raises(UserError, match=match):
        log.verify_export(export)
    with pytest.raises(UserError, match="cannot read it"):
        log.verify_export(tmp_path / "nope.jsonl")


# -- where the anchor key comes from ---------------------------------------------------------
def _partnership(tmp_path: Path, keys: str) -> Path:
    (tmp_path / "agreements").mkdir(exist_ok=True)
    (tmp_path / "keys").mkdir(exist_ok=True)
    (tmp_path / "keys" / "pseudonymisation.key").write_text("ab" * 32)
    config = tmp_path / "partnership.toml"
    config.write_text(
        '[partnership]\nname = "Test"\n[geography]\nsource = "synthetic"\n'
        'postcode_lookup = "geography/postcode_lookup.csv"\n'
        f'[keys]\npseudonymisation_key_file = "keys/pseudonymisation.key"\n{keys}\n'
        '[[partner]]\nid = "asc"\nname = "Adult social care"\nsector = "council"\n'
    )
    return config


def test_the_anchor_key_is_read_from_its_own_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTNERHUB_AUDIT_ANCHOR_KEY", raising=False)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "anchor.key").write_text("cd" * 32 + "\n")
    settings = load_partnership(
        _partnership(tmp_path, 'audit_anchor_key_file = "elsewhere/anchor.key"')
    )
    assert load_anchor_key(settings) == bytes.fromhex("cd" * 32)
    monkeypatch.setenv("PARTNERHUB_AUDIT_ANCHOR_KEY", "ef" * 32)
    assert load_anchor_key(settings) == bytes.fromhex("ef" * 32)
    monkeypatch.setenv("PARTNERHUB_AUDIT_ANCHOR_KEY", "ef" * 8)
    with pytest.raises(ConfigError, match="at least 64 hex characters"):
        load_anchor_key(settings)
    monkeypatch.delenv("PARTNERHUB_AUDIT_ANCHOR_KEY")
    # the log written with that key verifies with it, and not with the default key
    plane = open_control_plane(settings.control_plane.url, settings.root)
    try:
        open_audit_log(settings, plane, b"p" * 32).append("alice", "login", "api")
        assert open_audit_log(settings, plane, b"p" * 32).verify() == []
        default = AuditLog(plane, audit_key(b"p" * 32), tmp_path / "control" / "audit.head")
        assert _found(default.verify()) == [(1, "anchor")]
    finally:
        plane.close()


@pytest.mark.parametrize("where", ["control/anchor.key", "missing/anchor.key"])
def test_an_anchor_key_beside_the_log_or_missing_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.delenv("PARTNERHUB_AUDIT_ANCHOR_KEY", raising=False)
    (tmp_path / "control").mkdir()
    (tmp_path / "control" / "anchor.key").write_text("cd" * 32)
    settings = load_partnership(_partnership(tmp_path, f'audit_anchor_key_file = "{where}"'))
    match = "is beside the audit log" if where.startswith("control") else "key file not found"
    with pytest.raises(ConfigError, match=match):
        load_anchor_key(settings)


# -- the command ------------------------------------------------------------------------------
def test_the_verify_command_checks_an_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PARTNERHUB_PSEUDONYMISATION_KEY", raising=False)
    monkeypatch.delenv("PARTNERHUB_AUDIT_ANCHOR_KEY", raising=False)
    config = _partnership(tmp_path, "")
    settings = load_partnership(config)
    plane = open_control_plane(settings.control_plane.url, settings.root)
    try:
        add_user(plane, "ig", "ig_officer", None)
        token = issue_token(plane, "ig")
    finally:
        plane.close()
    os.environ.pop("PARTNERHUB_TOKEN", None)
    base = ["-c", str(config), "--token", token]
    export = tmp_path / "export.jsonl"
    assert main(["audit", "export", "--out", str(export), *base]) == 0
    assert main(["audit", "verify", "--against", str(export), *base]) == 0
    assert "is a prefix of it" in " ".join(capsys.readouterr().out.split())
    plane = open_control_plane(settings.control_plane.url, settings.root)
    try:
        _sql(plane, "DELETE FROM audit_entry WHERE seq >= 1")
    finally:
        plane.close()
    assert main(["audit", "verify", "--against", str(export), *base]) == 1
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert "entry 1: truncated: entries 1 to 2 are missing from the end of the log" in out
    assert "entry 1: truncated: entry 1 is in the export export.jsonl" in out
    export.write_text("{oops\n")
    assert main(["audit", "verify", "--against", str(export), *base]) == 2
