"""The `partnerhub` command as a user runs it: errors are one line and exit code 2."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.e2e


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partnerhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("partnerhub: error: ")
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_version_and_help() -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("partnerhub ")
    done = run("synth", "--help")
    assert done.returncode == 0 and "--people" in done.stdout and "--seed" in done.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ("synth", "--out", "x", "--people", "abc"),
            ("Invalid value for '--people'", "valid integer", "partnerhub synth --help"),
        ),
        (("synth", "--out", "x", "--people", "10"), ("--people 10 is out of range", "2,000")),
        (("synth", "--out", "x", "--seed", "-3"), ("--seed -3 is negative",)),
        (("synth",), ("Missing option '--out'",)),
        (("synth", "--out", "x", "--peple", "5"), ("No such option: --peple",)),
        (("nonsense",), ("No such command 'nonsense'",)),
        (("check", "--config", "missing.toml"), ("missing.toml: no such file", "partnerhub init")),
    ],
)
def test_user_mistakes_give_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    one_line_error(run(*args, cwd=tmp_path), *fragments)


def test_bad_partnership_toml_names_the_key(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    toml = tmp_path / "partnership.toml"
    toml.write_text(toml.read_text().replace('sector = "nhs"', 'sector = "hospital"'))
    one_line_error(run("check", cwd=tmp_path), "partner.1.sector", "partnership.toml")
    one_line_error(run("init", cwd=tmp_path), "already exists", "--force")


def test_synth_refuses_a_file_as_output_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    one_line_error(run("synth", "--out", "taken", "--people", "2000", cwd=tmp_path), "is a file")


def test_synth_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    one_line_error(run("synth", "--out", "out", "--people", "2000", cwd=tmp_path), "not empty")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_same_seed_same_bytes_different_seed_different(tmp_path: Path) -> None:
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        done = run("synth", "--out", name, "--people", "3000", "--seed", seed, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    a, b, c = (tree_digest(tmp_path / n) for n in "abc")
    assert a == b
    assert a != c
    done = run("check", "--config", "a/partnership.toml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_extracts"


def _partnership_for_corpus(tmp_path: Path) -> Path:
    toml = tmp_path / "partnership.toml"
    toml.write_text(
        "[partnership]\nname = 'Test'\n[geography]\npostcode_lookup = 'x.csv'\n"
        "[[partner]]\nid = 'acute'\nname = 'Acute'\nsector = 'nhs'\n"
        f"[[partner.dataset]]\nid = 'spells'\ncontract = '{CORPUS / 'contract.toml'}'\n"
        "path = 'spells.csv'\n"
    )
    return toml


def test_validate_reports_and_quarantines_without_values_on_screen(tmp_path: Path) -> None:
    _partnership_for_corpus(tmp_path)
    done = run(
        "validate",
        str(CORPUS / "invalid_nhs_number.csv"),
        "--partner",
        "acute",
        "--dataset",
        "spells",
        "--quarantine",
        "q.csv",
        "--report",
        "r.json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "modulus-11" in out and "(dropped, row kept)" in out
    assert "2 invalid optional identifier(s) dropped from 2 row(s)" in out
    assert "9434765918" not in done.stdout  # no value from the file on screen
    quarantine = (tmp_path / "q.csv").read_text().splitlines()
    assert quarantine == ["line,column,value,reason"]  # the rows load: the NHS number is dropped
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["valid"], report["quarantined"]) == (2, 0)
    assert report["dropped_identifiers"]["by_column"] == {
        "NHS_NO": {"NHS number fails the modulus-11 check (or is not 10 digits)": 2}
    }


def test_validate_file_level_errors_are_one_line(tmp_path: Path) -> None:
    _partnership_for_corpus(tmp_path)
    done = run(
        "validate",
        str(CORPUS / "wrong_delimiter.csv"),
        "--partner",
        "acute",
        "--dataset",
        "spells",
        cwd=tmp_path,
    )
    one_line_error(done, "looks ';'-delimited")
    done = run(
        "validate",
        str(CORPUS / "good.csv"),
        "--partner",
        "acute",
        "--dataset",
        "nope",
        cwd=tmp_path,
    )
    one_line_error(done, "has no dataset 'nope'", "spells")


def test_demo_runs_the_chain_built_so_far(tmp_path: Path) -> None:
    done = run("demo", "--out", "demo", "--people", "3000", "--no-serve", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for step in (
        "1. Synthetic partnership",
        "2. Configuration",
        "3. Ingest",
        "4. Identity",
        "5. Governance",
        "6. Indicators",
        "7. What the synthetic partnership planted",
    ):
        assert step in done.stdout
    out = " ".join(done.stdout.split())
    done_n = re.search(
        r"(\d+) of (\d+) indicators computed in the vault and released by district", out
    )
    assert done_n and int(done_n.group(2)) >= 30 and int(done_n.group(1)) >= 28
    assert "NI 125 by district, as released" in out
    assert "release 1 to asc under partnershire-performance" in out
    assert "a research request is refused" in out and "expired on 2025-03-31" in out
    assert re.search(r"audit log: \d+ entries .* intact\.", out)
    assert "modulus-11" in done.stdout  # the planted keying errors are found (and dropped)
    assert "Linkage quality against the synthetic truth" in done.stdout
    assert "NI 5 (a survey indicator) imported as published values" in out
    assert (tmp_path / "demo" / "charts" / "ni5-by-ward.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "demo" / "partnership.toml").exists()
    # Everything was loaded, and loading it again changes nothing.
    again = run("ingest", "--all", cwd=tmp_path / "demo")
    assert again.returncode == 0, again.stderr[-2000:]
    # 17 extracts of people and the 2 area-level returns (operations, resources)
    assert again.stdout.count("already loaded as load") == 19
    status = run("status", cwd=tmp_path / "demo")
    assert status.returncode == 0 and "hospital_spell" in status.stdout
    shown = " ".join(status.stdout.split())
    for table, file in (("operation", "operations.csv"), ("resource", "resources.csv")):
        text = (tmp_path / "demo" / "extracts" / "areas" / file).read_text(encoding="utf-8")
        rows = len(text.splitlines()) - 1  # every row of the generator's file, all current
        assert f"│ {table} │ {rows:,} │ {rows:,} │" in shown, table
    assert "current" in status.stdout and "superseded" not in status.stdout


def test_ingest_status_and_quarantine_commands(tmp_path: Path) -> None:
    assert run("synth", "--out", "p", "--people", "2000", cwd=tmp_path).returncode == 0
    p = tmp_path / "p"
    spells = ("--partner", "acute", "--dataset", "spells")
    done = run("ingest", *spells, "extracts/acute/spells.csv", cwd=p)
    assert done.returncode == 0, done.stderr
    assert "loaded" in done.stdout
    # a bad file: one error line naming it, exit 2, nothing loaded
    (p / "spells.csv").write_bytes(b"%PDF-1.4 not a csv")
    one_line_error(run("ingest", *spells, "spells.csv", cwd=p), "spells.csv", "is a PDF")
    one_line_error(run("ingest", cwd=p), "say what to load")
    one_line_error(run("ingest", "--partner", "acute", "nowhere.csv", cwd=p), "--dataset")
    # a folder: matched by dataset id; the same file again is recognised
    done = run("ingest", "--partner", "acute", "extracts/acute", cwd=p)
    assert done.returncode == 0 and "already loaded as load 1" in done.stdout
    # the quarantine goes back to the partner as CSV (it carries identifiers: their token)
    assert (
        run("users", "add", "al", "--role", "analyst", "--partner", "acute", cwd=p).returncode == 0
    )
    token = run("users", "token", "al", cwd=p).stdout.strip().splitlines()[-1]
    done = run("quarantine", "1", "--out", "q.csv", "--token", token, cwd=p)
    assert done.returncode == 0, done.stderr
    header = (p / "q.csv").read_text().splitlines()[0]
    assert header == "line,column,value,reason"
    one_line_error(run("quarantine", "1", "--out", "q2.csv", cwd=p), "--token")
    one_line_error(run("quarantine", "99", "--out", "q.csv", "--token", token, cwd=p), "no load 99")
    # status: counts and history, never a value from the vault
    done = run("status", "--history", "5", cwd=p)
    assert done.returncode == 0
    assert "hospital_spell" in done.stdout and "rejected" in done.stdout
    people = pd.read_parquet(p / "truth" / "people.parquet")
    for column in ("family_name", "nhs_number"):
        assert not any(str(v) in done.stdout for v in people[column].head(500))


def test_audit_verify_names_an_edited_entry_and_exits_1(tmp_path: Path) -> None:
    """The IG officer's command, end to end: an intact log verifies (exit 0); after someone
    edits one entry in the database, `audit verify` names it and exits 1."""
    import sqlite3

    assert (
        run("synth", "--people", "2000", "--seed", "4", "--out", "p", cwd=tmp_path).returncode == 0
    )
    root = tmp_path / "p"
    assert run("agreements", "validate", cwd=root).returncode == 0
    assert run("users", "add", "ig", "--role", "ig_officer", cwd=root).returncode == 0
    issued = run("users", "token", "ig", cwd=root)
    token = re.search(r"ph_[A-Za-z0-9_-]+", issued.stdout)
    assert token
    ok = run("audit", "verify", "--token", token.group(0), cwd=root)
    assert ok.returncode == 0 and "intact" in ok.stdout
    with sqlite3.connect(root / "control" / "control.db") as con:
        seq = con.execute(
            "SELECT min(seq) FROM audit_entry WHERE action = 'user_change'"
        ).fetchone()
        assert seq[0] is not None
        con.execute("UPDATE audit_entry SET actor = 'someone else' WHERE seq = ?", (seq[0],))
    bad = run("audit", "verify", "--token", token.group(0), cwd=root)
    assert bad.returncode == 1
    assert f"entry {seq[0]}: edited" in bad.stdout


def test_indicator_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    bad_level = run("indicators", "compute", "NI 15", "--level", "parish", cwd=tmp_path)
    assert bad_level.returncode == 2
    assert bad_level.stderr.startswith("partnerhub: error: --level 'parish': use one of")
    assert bad_level.stderr.count("\n") == 1
    unknown = run("indicators", "show", "NI 999", cwd=tmp_path)
    assert unknown.returncode == 2 and "no indicator 'NI 999'" in unknown.stderr
    spec = tmp_path / "ni_998.toml"
    spec.write_text('id = "NI 998"\ntitle = "x"\n')
    invalid = run("indicators", "validate", str(spec), cwd=tmp_path)
    assert invalid.returncode == 2 and str(spec) in invalid.stderr
    assert "Traceback" not in bad_level.stderr + unknown.stderr + invalid.stderr


def test_indicators_import_refuses_a_bad_file_whole_then_releases_a_good_one(
    tmp_path: Path,
) -> None:
    """An analyst imports a survey indicator (NI 5) for the partnership's wards: a file with
    one bad row is refused in one line (exit 2) and nothing is released; the corrected file
    becomes one release per level, small counts withheld."""
    assert (
        run("synth", "--people", "2000", "--seed", "4", "--out", "p", cwd=tmp_path).returncode == 0
    )
    root = tmp_path / "p"
    assert run("agreements", "validate", cwd=root).returncode == 0
    assert (
        run("users", "add", "ann", "--role", "analyst", "--partner", "asc", cwd=root).returncode
        == 0
    )
    token = re.search(r"ph_[A-Za-z0-9_-]+", run("users", "token", "ann", cwd=root).stdout)
    assert token
    areas = pd.read_csv(root / "geography" / "areas.csv", dtype=str)
    wards = areas.loc[areas["level"] == "ward", "code"].tolist()
    lad = areas.loc[areas["level"] == "lad", "code"].iloc[0]
    rows = [(w, "2008/09", "80.0", "75.0", "85.0", "400", "500") for w in wards]
    rows[0] = (wards[0], "2008/09", "50.0", "10.0", "90.0", "3", "6")  # a small count
    rows.append((lad, "2008/09", "79.0", "78.0", "80.0", "4000", "5000"))
    header = "Area Code,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Count,Denominator"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join([header, *(",".join(r) for r in rows), "E99999999,2008/09,1,,,,"]) + "\n"
    )
    args = ["indicators", "import", "--indicator", "NI 5", "--source", "Place Survey 2008"]
    refused = run(*args, str(bad), "--token", token.group(0), cwd=root)
    one_line_error(refused, str(bad), f"row {len(rows) + 2}", "'Area Code'", "nothing was imported")
    listed = run("releases", "list", "--token", token.group(0), cwd=root)
    assert "NI 5" not in listed.stdout
    good = tmp_path / "good.csv"
    good.write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n")
    done = run(*args, str(good), "--token", token.group(0), cwd=root)
    assert done.returncode == 0, done.stderr
    release = re.search(r"│ (\d+)\s+│ NI 5\s+│ ward", done.stdout)
    assert release, done.stdout
    out = tmp_path / "ni5.csv"
    got = run(
        "releases",
        "download",
        release.group(1),
        "--out",
        str(out),
        "--token",
        token.group(0),
        cwd=root,
    )
    assert got.returncode == 0, got.stderr
    table = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("Area Code")
    assert len(table) == len(wards)
    assert (
        table.loc[wards[0], ["Value", "Count", "Denominator", "Compared to parent"]].tolist()
        == ["[c]"] * 4
    )
    assert table.loc[wards[1], "Value"] == "80.0" and table.loc[wards[1], "Count"] == "400"
    assert table.loc[wards[1], "Compared to parent"] == "similar"  # 79 is inside 75–85
    computed = run(
        *args[:2],
        "--indicator",
        "NI 15",
        "--source",
        "x",
        str(good),
        "--token",
        token.group(0),
        cwd=root,
    )
    one_line_error(computed, "NI 15 is computed")
    # the dashboard lists the imported indicator beside the computed ones, with its source,
    # and offers no "compute" button for it
    from fastapi.testclient import TestClient

    from partnerhub.cli.governance import _hub
    from partnerhub.web import create_app

    with _hub(root / "partnership.toml") as hub:
        client = TestClient(create_app(hub))
        client.cookies.set("partnerhub_token", token.group(0))
        page = client.get("/dashboard/indicators", params={"indicator": "NI 5", "level": "ward"})
        assert page.status_code == 200
        assert "NI 5: Overall/general satisfaction with local area" in page.text
        assert "Place Survey 2008" in page.text and 'id="compute"' not in page.text
        assert page.text.count('class="govuk-table__row') >= len(wards)
    # the same release as JSON and Parquet: the same cells, numbers as numbers in JSON and
    # a withheld cell still "[c]"
    import json

    as_json = tmp_path / "ni5.json"
    assert (
        run(
            "releases",
            "download",
            release.group(1),
            "--out",
            str(as_json),
            "--token",
            token.group(0),
            cwd=root,
        ).returncode
        == 0
    )
    records = {r["Area Code"]: r for r in json.loads(as_json.read_text())}
    assert records[wards[1]]["Value"] == 80.0 and records[wards[1]]["Count"] == 400
    assert records[wards[0]]["Value"] == "[c]"
    as_parquet = tmp_path / "ni5.parquet"
    assert (
        run(
            "releases",
            "download",
            release.group(1),
            "--out",
            str(as_parquet),
            "--token",
            token.group(0),
            cwd=root,
        ).returncode
        == 0
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(as_parquet), pd.read_csv(out, dtype=str, keep_default_na=False)
    )
    # a chart of the release for a report: the map of its wards, as SVG (vl-convert, offline)
    svg = tmp_path / "ni5-map.svg"
    drawn = run(
        "indicators",
        "chart",
        release.group(1),
        "--kind",
        "map",
        "--out",
        str(svg),
        "--token",
        token.group(0),
        cwd=root,
    )
    assert drawn.returncode == 0, drawn.stderr
    assert svg.read_text().startswith("<svg") and svg.read_text().count("<path") >= len(wards)
    no_funnel = run(
        "indicators",
        "chart",
        release.group(1),
        "--kind",
        "funnel",
        "--out",
        str(svg),
        "--token",
        token.group(0),
        cwd=root,
    )
    one_line_error(no_funnel, "no funnel plot for NI 5")


def test_indicators_list_and_show_accept_the_partnership(tmp_path: Path) -> None:
    """`indicators list -c` (issue 14 item 10): a newcomer passes -c to every command; list says
    which indicators the partnership's datasets can feed, and a wrong path is one line."""
    assert run("init", cwd=tmp_path).returncode == 0
    listed = run("indicators", "list", "-c", "partnership.toml", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "in this partnership" in listed.stdout
    shown = run("indicators", "show", "NI 181", "-c", "partnership.toml", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    # the example partnership.toml names no revenues/claims dataset
    assert "Not in partnership.toml: revenues/claims" in shown.stdout
    one_line_error(
        run("indicators", "list", "-c", "nowhere.toml", cwd=tmp_path), "nowhere.toml: no such file"
    )


def _current(root: Path) -> dict[str, int]:
    """dataset → its current load, read from the control plane as `status` does."""
    from partnerhub.config import load_partnership
    from partnerhub.hub import open_writer

    with open_writer(load_partnership(root / "partnership.toml")) as stores:
        return {f"{p}/{d}": ld.id for (p, d), ld in stores.control.current_loads().items()}


def _audit_actions(root: Path) -> list[tuple[str, str, str]]:
    import sqlite3

    with sqlite3.connect(root / "control" / "control.db") as con:
        rows = con.execute("SELECT action, subject, detail FROM audit_entry ORDER BY seq")
        return [(str(a), str(s), str(d)) for a, s, d in rows]


@pytest.mark.slow
def test_an_empty_or_all_invalid_file_never_becomes_current_and_loads_restore(
    tmp_path: Path,
) -> None:
    """Issue 14, item 4c-d: a header-only or all-invalid extract is rejected (exit 2, one
    line) and the previous load stays current; `loads restore` makes an earlier load current
    again, audited; a file whose header names a column twice is one error line."""
    assert (
        run("synth", "--people", "2000", "--seed", "4", "--out", "p", cwd=tmp_path).returncode == 0
    )
    root = tmp_path / "p"
    deaths = root / "extracts" / "registrar" / "deaths.csv"
    lines = deaths.read_text(encoding="utf-8").splitlines()
    args = ("ingest", "--partner", "registrar", "--dataset", "deaths")
    first = run(*args, str(deaths), cwd=root)
    assert first.returncode == 0, first.stderr
    loads = _current(root)
    assert "registrar/deaths" in loads
    good = loads["registrar/deaths"]

    header_only = root / "header_only.csv"
    header_only.write_text(lines[0] + "\n", encoding="utf-8")
    done = run(*args, str(header_only), cwd=root)
    one_line_error(done, str(header_only), "no data rows", f"load {good} stays current")
    assert _current(root)["registrar/deaths"] == good

    header = lines[0].split(",")
    dod = header.index("DOD")
    broken = []
    for line in lines[1:]:
        cells = line.split(",")
        cells[dod] = "31/02/2024"  # not the contract's %Y%m%d, and no such day
        broken.append(",".join(cells))
    all_invalid = root / "all_invalid.csv"
    all_invalid.write_text("\n".join([lines[0], *broken]) + "\n", encoding="utf-8")
    done = run(*args, str(all_invalid), cwd=root)
    one_line_error(
        done,
        str(all_invalid),
        f"none of its {len(broken):,} rows is valid",
        f"load {good} stays current",
        "partnerhub quarantine",
    )
    assert _current(root)["registrar/deaths"] == good
    found = re.search(r"partnerhub quarantine (\d+)", done.stderr)
    assert found
    rejected = int(found.group(1))
    assert (
        run(
            "users", "add", "reg", "--role", "partner_viewer", "--partner", "registrar", cwd=root
        ).returncode
        == 0
    )
    token = run("users", "token", "reg", cwd=root).stdout.strip().splitlines()[-1]
    q = run("quarantine", str(rejected), "--out", "q.csv", "--token", token, cwd=root)
    assert q.returncode == 0, q.stderr
    assert len(pd.read_csv(root / "q.csv")) == len(broken)  # the partner can see why

    duplicated = root / "dup_header.csv"
    duplicated.write_text(
        "\n".join([lines[0] + ",NHSNO", *(ln + ",4010232137" for ln in lines[1:])]) + "\n",
        encoding="utf-8",
    )
    done = run(*args, str(duplicated), cwd=root)
    one_line_error(done, str(duplicated), "names column NHSNO more than once")
    assert _current(root)["registrar/deaths"] == good

    newer = root / "newer.csv"
    newer.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")
    done = run(*args, str(newer), cwd=root)
    assert done.returncode == 0, done.stderr
    bad_load = _current(root)["registrar/deaths"]
    assert bad_load > good

    restored = run("loads", "restore", str(good), cwd=root)
    assert restored.returncode == 0, restored.stderr
    assert f"Load {good} (registrar/deaths" in restored.stdout
    assert f"withdrawn: {bad_load}" in restored.stdout
    assert _current(root)["registrar/deaths"] == good
    status = run("status", cwd=root)
    assert "withdrawn" in status.stdout and "rejected" in status.stdout
    audit = _audit_actions(root)
    restores = [(s, d) for a, s, d in audit if a == "load_restored"]
    assert len(restores) == 1 and restores[0][0] == f"load {good}"
    assert f'"previous_current":{bad_load}' in restores[0][1]
    assert f'"withdrawn":[{bad_load}]' in restores[0][1]
    from partnerhub.config import load_partnership
    from partnerhub.hub import open_writer

    with open_writer(load_partnership(root / "partnership.toml")) as stores:
        assert stores.audit.verify() == []  # the chain holds the new entries

    # the withdrawn load can be restored in turn; the current one, or a rejected one, cannot
    one_line_error(run("loads", "restore", str(good), cwd=root), "already the current load")
    one_line_error(run("loads", "restore", str(rejected), cwd=root), "was rejected")
    one_line_error(run("loads", "restore", "9999", cwd=root), "no load 9999")
    assert run("loads", "restore", str(bad_load), cwd=root).returncode == 0
    assert _current(root)["registrar/deaths"] == bad_load
    # and re-sending the first file says how to make it current (it is not re-loaded)
    again = run(*args, str(deaths), cwd=root)
    assert again.returncode == 0
    assert f"partnerhub loads restore {good}" in " ".join(again.stdout.split())
