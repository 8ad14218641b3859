"""Synthetic partnership benchmark (not part of `make test`; `make bench` runs it first and the
other benchmarks use the partnership it writes).

`partnerhub synth --people 1000000` (goal: ≤ 5 min, ≤ 6 GiB on 2 cores), in a child process so
its peak memory is its own. Baseline, in the same run: writing the same number of extract rows
as CSV with pandas from random data — the bare cost of producing that much text, without any
simulation.

    python benchmarks/synth.py OUT_DIR [--people N]   # OUT_DIR must not exist or be empty
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import child, write_section

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


def bench_synth(people: int, out: Path) -> dict[str, Any]:
    synth = child(_CHILD_SYNTH, str(out), str(people))
    with tempfile.TemporaryDirectory() as tmp:
        base = child(_CHILD_BASELINE, tmp, str(int(synth["rows"])))
    return {
        "people": people,
        "seconds": synth["seconds"],
        "peak_gib": synth["peak_rss"] / 2**30,
        "rows": synth["rows"],
        "baseline_seconds": base["seconds"],
        "ratio": synth["seconds"] / base["seconds"],
    }


def write(synth: dict[str, Any]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    write_section(
        "synth",
        f"""
## Synthetic partnership: `partnerhub synth --people {int(synth["people"]):,}`

Written by `benchmarks/synth.py` ({now}, {machine}).

| measure | value | goal |
|---|---|---|
| wall time | {synth["seconds"]:.1f} s | ≤ 300 s |
| peak memory (max RSS) | {synth["peak_gib"]:.2f} GiB | ≤ 6 GiB |
| extract rows written | {int(synth["rows"]):,} | |
| baseline: pandas writes the same number of random CSV rows | {synth["baseline_seconds"]:.1f} s | |
| ratio to baseline | {synth["ratio"]:.2f}× | |

The baseline is the bare cost of producing that many CSV rows; the ratio is what the
simulation, the partner noise, the Parquet copies, geography and truth add on top.
""",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    synth = bench_synth(args.people, args.out)
    print(json.dumps(synth, indent=2))
    write(synth)


if __name__ == "__main__":
    main()
