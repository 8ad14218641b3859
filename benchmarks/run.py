"""Benchmarks (not part of `make test`): run with `make bench`; results go to BENCHMARKS.md.

Each benchmark runs in a child process so its peak memory (max RSS) is its own, and reports its
time beside a baseline measured in the same run on the same machine, so the ratio means
something on any machine.

* ``synth``: `partnerhub synth --people 1000000` (goal: ≤ 5 min, ≤ 6 GiB on 2 cores). Baseline:
  writing the same number of extract rows as CSV with pandas from random data — the bare cost of
  producing that much text, without any simulation.
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

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "BENCHMARKS.md"

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


def _child(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-4000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_synth(people: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        synth = _child(_CHILD_SYNTH, str(Path(tmp) / "p"), str(people))
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


def write_results(synth: dict[str, float]) -> None:
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
"""
    RESULTS.write_text(text, encoding="utf-8")


def resource_cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    t = time.perf_counter()
    synth = bench_synth(args.people)
    print(json.dumps(synth, indent=2))
    write_results(synth)
    print(f"wrote {RESULTS} in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
