"""The release comparison script: identical control planes pass; any field of any release
(its content above all) that differs, a release on one side only, or a content hash that is
not its content's, is reported; when a release was made is not compared."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from tests.tools.compare_releases import FIELDS, compare, main


def _demo(folder: Path, contents: list[str], *, created: str = "2026-01-01") -> Path:
    (folder / "control").mkdir(parents=True)
    (folder / "charts").mkdir()
    con = sqlite3.connect(folder / "control" / "control.db")
    columns = ", ".join(["id INTEGER PRIMARY KEY", *(f"{f} TEXT" for f in FIELDS), "created_at"])
    con.execute(f"CREATE TABLE release ({columns})")  # test fixture: fixed names only
    for i, content in enumerate(contents, start=1):
        row = {f: f"{f}-{i}" for f in FIELDS}
        row["content"] = content
        row["content_sha256"] = hashlib.sha256(content.encode()).hexdigest()
        marks = ", ".join("?" for _ in range(len(FIELDS) + 2))
        con.execute(f"INSERT INTO release VALUES ({marks})", [i, *row.values(), created])
    con.commit()
    con.close()
    return folder


def test_identical_releases_pass_whatever_their_time(tmp_path: Path) -> None:
    before = _demo(tmp_path / "a", ["area,count\nE01900001,12\n", "x"])
    after = _demo(tmp_path / "b", ["area,count\nE01900001,12\n", "x"], created="2027-05-05")
    assert compare(before, after) == []
    assert main(["--dirs", str(before), str(after)]) == 0


def test_one_changed_count_is_reported(tmp_path: Path) -> None:
    before = _demo(tmp_path / "a", ["area,count\nE01900001,12\n", "x"])
    after = _demo(tmp_path / "b", ["area,count\nE01900001,13\n", "x"])
    problems = compare(before, after)
    assert "release 1 (title-1): content differs" in problems
    assert "release 1 (title-1): content_sha256 differs" in problems
    assert not any(p.startswith("release 2") for p in problems)
    assert main(["--dirs", str(before), str(after)]) == 1


def test_missing_release_and_wrong_hash_and_chart(tmp_path: Path) -> None:
    before = _demo(tmp_path / "a", ["a", "b"])
    after = _demo(tmp_path / "b", ["a"])
    con = sqlite3.connect(after / "control" / "control.db")
    con.execute("UPDATE release SET content_sha256 = ? WHERE id = 1", ["0" * 64])
    con.commit()
    con.close()
    (before / "charts" / "ni5.png").write_bytes(b"\x89PNG1")
    (after / "charts" / "ni5.png").write_bytes(b"\x89PNG2")
    problems = compare(before, after)
    assert "release 2 (title-2): only before" in problems
    assert "release 1 after: content_sha256 is not its content's" in problems
    assert "chart ni5.png differs (or is on one side only)" in problems


def test_no_releases_is_not_a_pass(tmp_path: Path) -> None:
    before, after = _demo(tmp_path / "a", []), _demo(tmp_path / "b", [])
    assert compare(before, after) == [f"{before}: no releases at all — nothing was compared"]
