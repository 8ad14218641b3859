"""Linkage benchmark (not part of `make test`; `make bench` runs it after `run.py`).

`partnerhub link` over two partner extracts of a synthetic partnership — GP registrations and
acute hospital spells, loaded into fresh stores first (untimed) — against bare Splink in the
same run: the same prepared records, settings, training, prediction threshold and clustering,
and the same DuckDB resources (the partnership's ``linkage.memory_limit``, spilling to a folder
on the same disk). Goals (issue 4, at 1,000,000 people): time ≤ 1.15× bare Splink, peak memory
≤ 6 GiB; the pairwise F1 against the synthetic truth is reported beside them.

Each side runs in a child process of its own, so its peak memory (max RSS of the whole
process: Python, pandas and DuckDB) is its own. The link child reads and standardises the
identity store's records inside its timed run; bare Splink starts from the records already
standardised (by the same code, in the set-up).

    python benchmarks/link.py PARTNERSHIP_DIR WORKDIR   # PARTNERSHIP_DIR: from partnerhub synth
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import child, write_section

GiB = 2**30

_SETUP = """
import json, shutil, sys, time
from pathlib import Path
from partnerhub.config import load_partnership
from partnerhub.identity.prepare import prepare_records
from partnerhub.hub import open_writer
from partnerhub.ingest import ingest_file
src, root = Path(sys.argv[1]), Path(sys.argv[2])
root.mkdir(parents=True)
shutil.copy(src / "partnership.toml", root / "partnership.toml")
for name in ("keys", "geography", "extracts", "truth"):
    (root / name).symlink_to(src / name)
settings = load_partnership(root / "partnership.toml")
t = time.perf_counter()
with open_writer(settings) as stores:
    for partner, dataset in (("gp", "registrations"), ("acute", "spells")):
        assert ingest_file(stores, partner, dataset).status == "loaded"
    loads = [ld.id for ld in stores.control.current_loads().values()]
    source = stores.identity.records_for_linkage(loads)
prepare_records(source).records.to_parquet(root / "prepared.parquet")
print(json.dumps({"seconds": time.perf_counter() - t,
                  "memory_limit": settings.linkage.memory_limit}))
"""

_LINK = """
import json, resource, sys, time
from pathlib import Path
import pandas as pd
from partnerhub.config import load_partnership
from partnerhub.identity import current_person_index, link_partnership, score_index
from partnerhub.hub import open_writer
from partnerhub.keys import load_key
root = Path(sys.argv[1])
settings = load_partnership(root / "partnership.toml")
with open_writer(settings) as stores:
    t = time.perf_counter()
    run = link_partnership(
        stores.identity,
        stores.control,
        memory_limit=settings.linkage.memory_limit,
        temp_directory=settings.resolve(settings.linkage.temp_directory),
    )
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # before scoring
    index = current_person_index(stores.identity, stores.control)
    loads = [ld.id for ld in stores.control.current_loads().values()]
    source = stores.identity.records_for_linkage(loads)
key = load_key(settings)
truth = pd.read_parquet(root / "truth" / "source_records.parquet")
truth = truth[truth["partner"].isin(["gp", "acute"])]
truth["record_key"] = [key.record_key(p, i) for p, i in zip(truth["partner"], truth["local_id"])]
truth = truth[["partner", "record_key", "person_id"]].rename(columns={"person_id": "true_person"})
q = score_index(index, source, truth)
people = source.merge(truth, on=["partner", "record_key"]).groupby("partner")["true_person"]
print(json.dumps({"seconds": elapsed, "peak_rss": rss, "records": run.records,
                  "variants": run.summary["identifier_variants"], "people": run.people,
                  "people_per_extract": {k: int(v) for k, v in people.nunique().items()},
                  "f1": q["f1"], "precision": q["precision"], "recall": q["recall"],
                  "phases": run.summary["seconds"]}))
"""

# Bare Splink: the same prepared records, settings, training, prediction threshold, clustering
# and DuckDB resources — without PartnerHub's reading and standardising, blocking check,
# review band, deterministic edges, stable ids and stores.
_BARE_SPLINK = """
import json, logging, resource, sys, time
from pathlib import Path
import duckdb, pandas as pd
from splink import DuckDBAPI, Linker, block_on
from partnerhub.identity.model import DEFAULT_THRESHOLD, _SEED, compared, settings
from partnerhub.identity.rules import (
    PRIOR_RECALL, em_passes_for, populated_columns, prior_rules_for)
from partnerhub.timing import Stopwatch
root, memory_limit = Path(sys.argv[1]), sys.argv[2]
spill = root / "bare-splink-spill"
spill.mkdir(exist_ok=True)
records = pd.read_parquet(root / "prepared.parquet")
watch = Stopwatch()
t = time.perf_counter()
with watch.phase("load records into the engine"):
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(spill)})
    db_api = DuckDBAPI(con)
    table = db_api.register(records, table_name="records")
populated = populated_columns(records)
linker = Linker(table, settings(False, populated), log_level=logging.ERROR)
with watch.phase("estimate lambda"):
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*r) for r in prior_rules_for(populated)], recall=PRIOR_RECALL)
with watch.phase("estimate u"):
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=_SEED)
with watch.phase("estimate m (EM)"):
    for columns in em_passes_for(compared(populated), populated):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*columns), estimate_without_term_frequencies=True)
with watch.phase("predict (score blocked pairs)"):
    predictions = linker.inference.predict(threshold_match_probability=DEFAULT_THRESHOLD)
with watch.phase("cluster"):
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=DEFAULT_THRESHOLD).as_pandas_dataframe()
elapsed = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "peak_rss": rss, "records": len(records),
                  "clusters": int(clusters["cluster_id"].nunique()),
                  "phases": watch.seconds}))
"""


def bench_link(partnership: Path, work: Path) -> dict[str, Any]:
    """`partnerhub link` over two partner extracts vs bare Splink, same settings and memory."""
    root = work / "link"
    if root.exists():
        shutil.rmtree(root)
    setup = child(_SETUP, str(partnership), str(root))
    print(json.dumps({"setup": setup}), flush=True)
    ours = child(_LINK, str(root))
    print(json.dumps({"partnerhub_link": ours}), flush=True)
    bare = child(_BARE_SPLINK, str(root), setup["memory_limit"])
    print(json.dumps({"bare_splink": bare}), flush=True)
    return {
        "memory_limit": setup["memory_limit"],
        "records": ours["records"],
        "variants": ours["variants"],
        "people_per_extract": ours["people_per_extract"],
        "seconds": ours["seconds"],
        "peak_gib": ours["peak_rss"] / GiB,
        "baseline_seconds": bare["seconds"],
        "baseline_peak_gib": bare["peak_rss"] / GiB,
        "ratio": ours["seconds"] / bare["seconds"],
        "f1": ours["f1"],
        "precision": ours["precision"],
        "recall": ours["recall"],
        "phases": ours["phases"],
        "baseline_phases": bare["phases"],
    }


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write(link: dict[str, Any], people: int) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores"
    per = link["people_per_extract"]
    ratio, peak, f1 = link["ratio"], link["peak_gib"], link["f1"]
    base, base_peak = link["baseline_seconds"], link["baseline_peak_gib"]
    section = f"""
## Linkage: two partner extracts of the {people:,}-person partnership

Written by `benchmarks/link.py` ({now}, {machine}). GP registrations
({per.get("gp", 0):,} people) and acute hospital spells ({per.get("acute", 0):,} people):
{int(link["records"]):,} partner records, {int(link["variants"]):,} identifier variants. Both
sides run DuckDB with `memory_limit = {link["memory_limit"]}` (`linkage.memory_limit`), spilling
to disk beyond it.

| measure | value | goal |
|---|---|---|
| `partnerhub link` (full run) | {link["seconds"]:.1f} s | |
| baseline: bare Splink, same records, settings and memory limit | {base:.1f} s | |
| ratio to baseline | {ratio:.2f}× | ≤ 1.15× ({_met(ratio <= 1.15)}) |
| pairwise F1 against truth | {f1:.4f} | ≥ 0.99 ({_met(f1 >= 0.99)}) |
| precision / recall | {link["precision"]:.4f} / {link["recall"]:.4f} | |
| peak memory, `partnerhub link` (max RSS) | {peak:.2f} GiB | ≤ 6 GiB ({_met(peak <= 6)}) |
| peak memory, bare Splink (max RSS) | {base_peak:.2f} GiB | |

`partnerhub link` times everything the command does: read the identity store, standardise
(nicknames, Metaphone — once per distinct name), count each blocking rule's comparisons
(estimated from a 20% sample above 200,000 variants), train
(λ, u by sampling, m by EM), predict down to the review band (0.5), add deterministic edges,
cluster, keep person ids stable, write the index and the review pairs. Bare Splink gets the
already standardised records and runs the same training, prediction at the link threshold (0.9)
and clustering, nothing else. Peak memory is the max RSS of each side's whole process (Python,
pandas and DuckDB).

Where the time goes (wall seconds per phase; a phase bare Splink does not have is blank):

| phase | `partnerhub link` | bare Splink |
|---|---|---|
{_phase_rows(link["phases"], link["baseline_phases"])}
"""
    write_section("link", section)


def _phase_rows(ours: dict[str, float], bare: dict[str, float]) -> str:
    names = list(ours) + [n for n in bare if n not in ours]
    cell = lambda d, n: f"{d[n]:.1f}" if n in d else ""  # noqa: E731
    return "\n".join(f"| {n} | {cell(ours, n)} | {cell(bare, n)} |" for n in names)


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: python benchmarks/link.py PARTNERSHIP_DIR WORKDIR")
    src, work = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    t = time.perf_counter()
    link = bench_link(src, work)
    print(json.dumps(link, indent=2))
    manifest = json.loads((src / "truth" / "manifest.json").read_text())
    write(link, int(manifest.get("people_requested", 0)))
    print(f"wrote BENCHMARKS.md in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
