"""Benchmarks (not part of `make test`): run with `make bench`; results go to BENCHMARKS.md.

Each benchmark runs in a child process so its peak memory (max RSS) is its own, and reports its
time beside a baseline measured in the same run on the same machine, so the ratio means
something on any machine.

* ``synth``: `partnerhub synth --people 1000000` (goal: ≤ 5 min, ≤ 6 GiB on 2 cores). Baseline:
  writing the same number of extract rows as CSV with pandas from random data — the bare cost of
  producing that much text, without any simulation.
* ``link``: `partnerhub link` over two partner extracts of the synthetic partnership (GP
  registrations and acute spells, loaded first, untimed) vs bare Splink with the same prepared
  records, settings, training and threshold, in the same run (goal ≤ 1.15×, ≤ 6 GiB); F1 vs truth.
* ``ingest``: in `benchmarks/ingest.py` (its own section of BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "BENCHMARKS.md"
KEPT_MARKER = "<!-- not written by make bench -->"

_CHILD_SYNTH = """
import json, resource, sys, time
from pathlib import Path
from partnerhub.synth.partnership import generate
t = time.perf_counter()
r = generate(Path(sys.argv[1]), int(sys.argv[2]), seed=1)
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": rss, "rows": sum(r.counts.values())}))
"""

_CHILD_BASELINE = """
import json, resource, sys, time
import numpy as np, pandas as pd
rows = int(sys.argv[2]); out = sys.argv[1]
rng = np.random.default_rng(1)
t = time.perf_counter()
written = 0
while written < rows:
    n = min(1_000_000, rows - written)
    frame = pd.DataFrame({
        "id": rng.integers(0, 10**9, n).astype(str),
        "name": rng.choice(["SMITH", "JONES", "PATEL", "TAYLOR"], n),
        "date": pd.to_datetime(rng.integers(0, 20000, n), unit="D").strftime("%d/%m/%Y"),
        "code": rng.integers(0, 99, n).astype(str),
        "postcode": rng.choice(["XP1 4DJ", "XP12 3AB"], n),
        "amount": rng.random(n).round(2),
    })
    frame.to_csv(f"{out}/part{written}.csv", index=False)
    written += n
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": rss, "rows": rows}))
"""


_CHILD_LINK_SETUP = """
import shutil, sys
from pathlib import Path
from partnerhub.config import load_partnership
from partnerhub.identity.prepare import prepare_records
from partnerhub.ingest import ingest_file, open_stores
src, root = Path(sys.argv[1]), Path(sys.argv[2])
root.mkdir(parents=True)
for name in ("partnership.toml",):
    shutil.copy(src / name, root / name)
for name in ("keys", "geography", "extracts", "truth"):
    (root / name).symlink_to(src / name)
settings = load_partnership(root / "partnership.toml")
with open_stores(settings) as stores:
    for partner, dataset in (("gp", "registrations"), ("acute", "spells")):
        assert ingest_file(stores, partner, dataset).status == "loaded"
    loads = [ld.id for ld in stores.control.current_loads().values()]
    source = stores.identity.records_for_linkage(loads)
prepare_records(source).records.to_parquet(root / "prepared.parquet")
print("{}")
"""

_CHILD_LINK = """
import json, resource, sys, time
from pathlib import Path
import pandas as pd
from partnerhub.config import load_partnership
from partnerhub.identity import current_person_index, link_partnership, score_index
from partnerhub.ingest import load_key, open_stores
root = Path(sys.argv[1])
settings = load_partnership(root / "partnership.toml")
with open_stores(settings) as stores:
    t = time.perf_counter()
    run = link_partnership(stores.identity, stores.control)
    elapsed = time.perf_counter() - t
    index = current_person_index(stores.identity, stores.control)
    loads = [ld.id for ld in stores.control.current_loads().values()]
    source = stores.identity.records_for_linkage(loads)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
key = load_key(settings)
truth = pd.read_parquet(root / "truth" / "source_records.parquet")
truth = truth[truth["partner"].isin(["gp", "acute"])]
truth["record_key"] = [key.record_key(p, i) for p, i in zip(truth["partner"], truth["local_id"])]
truth = truth[["partner", "record_key", "person_id"]].rename(columns={"person_id": "true_person"})
q = score_index(index, source, truth)
people = source.merge(truth, on=["partner", "record_key"]).groupby("partner")["true_person"]
print(json.dumps({"seconds": elapsed, "peak_rss": rss, "records": run.records,
                  "people_per_extract": {k: int(v) for k, v in people.nunique().items()},
                  "f1": q["f1"], "precision": q["precision"], "recall": q["recall"]}))
"""

# Bare Splink: the same prepared records, settings, training, prediction threshold and
# clustering — without PartnerHub's blocking check, deterministic edges, stable ids and stores.
_CHILD_BARE_SPLINK = """
import json, logging, resource, sys, time
from pathlib import Path
import duckdb, pandas as pd
from splink import DuckDBAPI, Linker, block_on
from splink.clustering import cluster_pairwise_predictions_at_threshold
from partnerhub.identity.model import DEFAULT_THRESHOLD, _SEED, settings
records = pd.read_parquet(Path(sys.argv[1]) / "prepared.parquet")
t = time.perf_counter()
con = duckdb.connect()
db_api = DuckDBAPI(con)
table = db_api.register(records, table_name="records")
linker = Linker(table, settings(), log_level=logging.ERROR)
linker.training.estimate_probability_two_random_records_match(
    [block_on("nhs_number", "dob")], recall=0.8)
linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=_SEED)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("dob"), estimate_without_term_frequencies=True)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("postcode_district", "family_metaphone"), estimate_without_term_frequencies=True)
predictions = linker.inference.predict(threshold_match_probability=DEFAULT_THRESHOLD)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=DEFAULT_THRESHOLD).as_pandas_dataframe()
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": rss, "records": len(records),
                  "clusters": int(clusters["cluster_id"].nunique())}))
"""


def bench_link(partnership: Path, work: Path) -> dict[str, Any]:
    """`partnerhub link` over two partner extracts vs bare Splink, same settings."""
    root = work / "link"
    _child(_CHILD_LINK_SETUP, str(partnership), str(root))
    ours = _child(_CHILD_LINK, str(root))
    bare = _child(_CHILD_BARE_SPLINK, str(root))
    return {
        "records": ours["records"],
        "people_per_extract": ours["people_per_extract"],
        "seconds": ours["seconds"],
        "peak_gib": ours["peak_rss"] / 2**30,
        "baseline_seconds": bare["seconds"],
        "baseline_peak_gib": bare["peak_rss"] / 2**30,
        "ratio": ours["seconds"] / bare["seconds"],
        "f1": ours["f1"],
        "precision": ours["precision"],
        "recall": ours["recall"],
    }


def _child(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-4000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_synth(people: int, out: Path) -> dict[str, float]:
    synth = _child(_CHILD_SYNTH, str(out), str(people))
    with tempfile.TemporaryDirectory() as tmp:
        base = _child(_CHILD_BASELINE, tmp, str(int(synth["rows"])))
    return {
        "people": people,
        "seconds": synth["seconds"],
        "peak_gib": synth["peak_rss"] / 2**30,
        "rows": synth["rows"],
        "baseline_seconds": base["seconds"],
        "ratio": synth["seconds"] / base["seconds"],
    }


def write_results(synth: dict[str, float], link: dict[str, Any]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {resource_cpus()} cores, Python {platform.python_version()}"
    text = f"""# Benchmarks

Written by `make bench` (`benchmarks/run.py`); every figure below comes from one run on one
machine, with its baseline measured in the same run. Last run: {now} on {machine}.

## Synthetic partnership: `partnerhub synth --people {int(synth["people"]):,}`

| measure | value | goal |
|---|---|---|
| wall time | {synth["seconds"]:.1f} s | ≤ 300 s |
| peak memory (max RSS) | {synth["peak_gib"]:.2f} GiB | ≤ 6 GiB |
| extract rows written | {int(synth["rows"]):,} | |
| baseline: pandas writes the same number of random CSV rows | {synth["baseline_seconds"]:.1f} s | |
| ratio to baseline | {synth["ratio"]:.2f}× | |

The baseline is the bare cost of producing that many CSV rows; the ratio is what the
simulation, the partner noise, the Parquet copies, geography and truth add on top.

## Linkage: two partner extracts of the {int(synth["people"]):,}-person partnership

GP registrations ({link["people_per_extract"].get("gp", 0):,} people) and acute hospital spells
({link["people_per_extract"].get("acute", 0):,} people): {int(link["records"]):,} partner records.

| measure | value | goal |
|---|---|---|
| `partnerhub link` (full run) | {link["seconds"]:.1f} s | |
| baseline: bare Splink, same settings | {link["baseline_seconds"]:.1f} s | |
| ratio to baseline | {link["ratio"]:.2f}× | ≤ 1.15× |
| pairwise F1 against truth | {link["f1"]:.4f} | ≥ 0.99 |
| precision / recall | {link["precision"]:.4f} / {link["recall"]:.4f} | |
| peak memory, `partnerhub link` (max RSS) | {link["peak_gib"]:.2f} GiB | ≤ 6 GiB |
| peak memory, bare Splink (max RSS) | {link["baseline_peak_gib"]:.2f} GiB | |

`partnerhub link` times everything the command does: read the identity store, standardise
(nicknames, Metaphone), count each blocking rule's comparisons, train (λ, u by sampling, m by
EM), predict, add deterministic edges, cluster, keep person ids stable, write the index. Bare
Splink gets the already standardised records and runs the same training, prediction at the same
threshold and clustering, nothing else.
"""
    # Sections below the marker are not measured here (e.g. figures from the test suite): kept.
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if KEPT_MARKER in old:
        text += "\n" + old[old.index(KEPT_MARKER) :]
    RESULTS.write_text(text, encoding="utf-8")


def resource_cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "p"
        synth = bench_synth(args.people, out)
        print(json.dumps(synth, indent=2))
        link = bench_link(out, Path(tmp))
        print(json.dumps(link, indent=2))
    write_results(synth, link)
    print(f"wrote {RESULTS} in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
