"""Ingest benchmark (not part of `make test`; `make bench` runs it after the synth benchmark).

Load a 1,000,000-row extract (the first million rows of the GP registrations a synthetic
partnership wrote: real noise, real quarantine) into fresh DuckDB/SQLite stores — hash the file,
read, validate, quality report, pseudonymise (HMAC-SHA256 record keys), resolve areas, write
identity store, vault and control plane. Baseline, in the same run: a bare ``duckdb.read_csv``
of the same file into memory (goal ≤ 3×). Each side runs three times, alternately, each run in
its own process (so peak memory is its own); medians are reported, with the CPU time of each.

The same run also times, on the same rows, the three costs no ingest can skip — the HMAC of a
million local ids in DuckDB, and a committed write of the identity and vault columns to a
DuckDB file each — so the table shows how much of the ratio those floors take.

    python benchmarks/ingest.py PARTNERSHIP_DIR   # a folder written by partnerhub synth
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import child, median, write_section

ROOT = Path(__file__).resolve().parents[1]
ROWS = 1_000_000
REPEATS = 3

_CHILD_INGEST = """
import json, os, resource, shutil, sys, tempfile, time
from pathlib import Path
from partnerhub.config import load_partnership
from partnerhub.hub import open_writer
from partnerhub.ingest import ingest_file
src, extract = Path(sys.argv[1]), Path(sys.argv[2])
with tempfile.TemporaryDirectory(dir=sys.argv[3]) as tmp:
    root = Path(tmp)
    shutil.copy(src / "partnership.toml", root / "partnership.toml")
    shutil.copytree(src / "keys", root / "keys")
    shutil.copytree(src / "geography", root / "geography")
    settings = load_partnership(root / "partnership.toml")
    with open_writer(settings) as stores:
        stores.lookup  # the postcode lookup is read once per session, not per load
        cpu = sum(os.times()[:2])
        t = time.perf_counter()
        result = ingest_file(stores, "gp", "registrations", extract)
        elapsed = time.perf_counter() - t
        cpu = sum(os.times()[:2]) - cpu
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
r = result.report
print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_rss": rss, "received": r["received"],
                  "loaded": r["valid"], "quarantined": r["quarantined"], "reader": r["reader"]}))
"""

_CHILD_READ_CSV = """
import json, os, resource, sys, time
import duckdb
cpu = sum(os.times()[:2])
t = time.perf_counter()
table = duckdb.read_csv(sys.argv[1], sep=",", header=True).to_arrow_table()
elapsed = time.perf_counter() - t
cpu = sum(os.times()[:2]) - cpu
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_rss": rss, "rows": table.num_rows}))
"""

# The floors: the rows are parsed first (untimed), then each step is timed on its own. The
# columns written are the ones ingest writes (64-hex record key, identifiers; attributes).
_CHILD_FLOORS = """
import json, os, secrets, sys, time
from pathlib import Path
import duckdb
extract, work = sys.argv[1], Path(sys.argv[2])
con = duckdb.connect()
con.execute("CREATE TABLE r AS SELECT * FROM read_csv(?, all_varchar = true)", [extract])
key = secrets.token_bytes(32).ljust(64, b"\\0")
inner, outer = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
def timed(sql, params=None, connection=con):
    t = time.perf_counter()
    connection.execute(sql, params)
    return time.perf_counter() - t
out = {"hmac": timed(
    "CREATE TABLE k AS SELECT sha256(? || unhex(sha256(? || encode('gp' || chr(31) || "
    "PATIENT_ID)))) AS record_key FROM r", [outer, inner])}
con.execute("CREATE TABLE ident AS SELECT * FROM k POSITIONAL JOIN (SELECT NHS_NO, FORENAME, "
            "MIDDLE_NAMES, SURNAME, try_strptime(DOB, '%d/%m/%Y')::DATE AS dob, SEX, POSTCODE, "
            "ADDRESS_1 FROM r)")
con.execute("CREATE TABLE attr AS SELECT * FROM k POSITIONAL JOIN (SELECT PRACTICE_CODE, "
            "try_strptime(REG_DATE, '%d/%m/%Y')::DATE AS from_date, "
            "try_strptime(DEREG_DATE, '%d/%m/%Y')::DATE AS to_date, "
            "'E00000001' AS oa_code, 'E01000001' AS lsoa_code, 'E02000001' AS msoa_code, "
            "'E05000001' AS ward_code, 'E07000001' AS lad_code FROM r)")
for name in ("ident", "attr"):
    target = duckdb.connect(str(work / f"{name}.duckdb"))
    src = con.sql(f"SELECT * FROM {name}").to_arrow_table()
    target.register("src", src)
    target.execute("CREATE TABLE t AS SELECT * FROM src WHERE false")
    t = time.perf_counter()
    target.execute("BEGIN")
    target.execute("INSERT INTO t SELECT * FROM src")
    target.execute("COMMIT")
    out[f"write_{name}"] = time.perf_counter() - t
    target.close()
print(json.dumps(out))
"""


def run(partnership: Path, work: Path) -> dict[str, Any]:
    source = partnership / "extracts" / "gp" / "registrations.csv"
    extract = work / "registrations_1m.csv"
    with source.open(encoding="utf-8", newline="") as f, extract.open("w", newline="") as out:
        for i, line in enumerate(f):
            if i > ROWS:
                break
            out.write(line)
    ingest, base = [], []
    for _ in range(REPEATS):  # alternate, so that a slow spell of the machine hits both sides
        ingest.append(child(_CHILD_INGEST, str(partnership), str(extract), str(work)))
        base.append(child(_CHILD_READ_CSV, str(extract)))
    floors_dir = work / "floors"
    floors_dir.mkdir()
    floors = child(_CHILD_FLOORS, str(extract), str(floors_dir))
    seconds, baseline = median(ingest, "seconds"), median(base, "seconds")
    return {
        "rows": ingest[0]["received"],
        "loaded": ingest[0]["loaded"],
        "quarantined": ingest[0]["quarantined"],
        "reader": ingest[0]["reader"],
        "megabytes": extract.stat().st_size / 2**20,
        "seconds": seconds,
        "cpu": median(ingest, "cpu"),
        "runs": [round(r["seconds"], 2) for r in ingest],
        "peak_gib": max(r["peak_rss"] for r in ingest) / 2**30,
        "baseline_seconds": baseline,
        "baseline_cpu": median(base, "cpu"),
        "baseline_runs": [round(r["seconds"], 2) for r in base],
        "baseline_peak_gib": max(r["peak_rss"] for r in base) / 2**30,
        "ratio": seconds / baseline,
        "floors": floors,
    }


def write(r: dict[str, Any]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    runs = ", ".join(f"{x:.2f}" for x in r["runs"])
    base_runs = ", ".join(f"{x:.2f}" for x in r["baseline_runs"])
    b = r["baseline_seconds"]
    f = r["floors"]
    floor = f["hmac"] + f["write_ident"] + f["write_attr"]
    steps = [
        (f"HMAC-SHA256 of {int(r['rows']):,} local ids (DuckDB `sha256`, both passes)", f["hmac"]),
        ("committed write of the identifier columns to a DuckDB file", f["write_ident"]),
        ("committed write of the attribute columns to a DuckDB file", f["write_attr"]),
        ("sum, before the file is read or checked", floor),
    ]
    floors = "\n".join(f"| {name} | {sec:.2f} | {sec / b:.1f}× |" for name, sec in steps)
    section = f"""
## Ingest: a {int(r["rows"]):,}-row extract ({r["megabytes"]:.0f} MB, GP registrations)

Written by `benchmarks/ingest.py` ({now}, {machine}); both sides measured in the same run,
three times each, alternately.

| measure | value | goal |
|---|---|---|
| ingest, validate, pseudonymise, load (median) | {r["seconds"]:.2f} s ({runs}) | |
| baseline: bare `duckdb.read_csv` (median) | {b:.2f} s ({base_runs}) | |
| ratio to baseline | {r["ratio"]:.1f}× | ≤ 3× |
| CPU time, ingest / baseline (median) | {r["cpu"]:.2f} s / {r["baseline_cpu"]:.2f} s | |
| peak memory, ingest (max RSS) | {r["peak_gib"]:.2f} GiB | |
| peak memory, baseline (max RSS) | {r["baseline_peak_gib"]:.2f} GiB | |
| rows loaded / quarantined | {int(r["loaded"]):,} / {int(r["quarantined"]):,} | |
| reader | {r["reader"]} | |

The ingest time covers hashing the file, reading it (DuckDB's CSV reader), typing and
checking every value in SQL, the quality report, HMAC-SHA256 record keys,
postcode → area resolution at each row's date, and committed writes to three stores (identity
store and vault, DuckDB files; control plane, SQLite). The baseline only parses the file into
memory.

Costs no ingest can skip, timed alone on the same rows in the same run:

| step | seconds | × baseline |
|---|---|---|
{floors}
"""
    write_section("ingest", section)


def main() -> None:
    partnership = Path(sys.argv[1])
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=build) as tmp:
        result = run(partnership, Path(tmp))
    print(json.dumps(result, indent=2))
    write(result)


if __name__ == "__main__":
    main()
