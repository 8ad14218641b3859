"""`partnerhub quarantine` writes rows of a partner's file — identifiers included: only that
partner's users or an identity steward may, with their token, and every export is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from partnerhub.cli import main
from partnerhub.config import load_partnership
from partnerhub.control import open_control_plane
from partnerhub.governance import add_user, issue_token

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    from partnerhub.synth.partnership import generate

    root = tmp_path_factory.mktemp("quarantine") / "p"
    generate(root, 2000, seed=3)
    # two rows with an impossible admission date: quarantined whatever the identifiers hold
    spells = root / "extracts" / "acute" / "spells.csv"
    rows = spells.read_bytes().split(b"\n")
    column = rows[0].split(b"|").index(b"AdmissionDate")
    for i in (2, 5):
        cells = rows[i].split(b"|")
        cells[column] = b"2021-13-45"
        rows[i] = b"|".join(cells)
    spells.write_bytes(b"\n".join(rows))
    config = str(root / "partnership.toml")
    assert main(["ingest", "-c", config, "--partner", "acute", "--dataset", "spells"]) == 0
    settings = load_partnership(root / "partnership.toml")
    plane = open_control_plane(settings.control_plane.url, settings.root)
    tokens = {}
    for name, role, partner in (
        ("acute_viewer", "partner_viewer", "acute"),
        ("police_analyst", "analyst", "police"),
        ("steward", "identity_steward", None),
        ("ig", "ig_officer", None),
    ):
        add_user(plane, name, role, partner)
        tokens[name] = issue_token(plane, name)
    plane.close()
    return root, tokens


def _export(root: Path, out: Path, token: str | None) -> int:
    args = ["quarantine", "1", "--out", str(out), "-c", str(root / "partnership.toml")]
    return main([*args, "--token", token] if token else args)


def _exports(root: Path) -> list[dict]:
    settings = load_partnership(root / "partnership.toml")
    plane = open_control_plane(settings.control_plane.url, settings.root)
    from partnerhub.control import AuditEntry

    with plane.session() as s:
        rows = s.query(AuditEntry).filter(AuditEntry.action == "quarantine_export").all()
        out = [{"actor": r.actor, "target": r.subject, **json.loads(r.detail)} for r in rows]
    plane.close()
    return out


def test_quarantine_needs_the_partners_or_a_stewards_token(
    loaded: tuple[Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, tokens = loaded
    refused = {
        None: "--token",
        tokens["police_analyst"]: "acute's",
        tokens["ig"]: "acute's",
    }
    for token, fragment in refused.items():
        out = tmp_path / "refused.csv"
        assert _export(root, out, token) == 2
        assert fragment in capsys.readouterr().err
        assert not out.exists()
    assert _exports(root) == []
    for name in ("acute_viewer", "steward"):
        out = tmp_path / f"{name}.csv"
        assert _export(root, out, tokens[name]) == 0
        assert out.read_text().startswith("line,column,value,reason")
    exports = _exports(root)
    assert [e["actor"] for e in exports] == ["acute_viewer", "steward"]
    lines = sorted({int(x.split(",")[0]) for x in out.read_text().splitlines()[1:]})
    assert lines == [3, 6]  # file lines of the two planted rows (line 1 is the header)
    assert all(e["lines"] == lines and e["target"] == "load 1" for e in exports)
