"""Are the released numbers the same before and after a change? Runs the demo chain with two
installs of PartnerHub (e.g. main's venv and a branch's) on the same small synthetic
partnership, adds indicator and count releases at every area level the demo does not release
by, then compares every release in the two control planes byte for byte: each field
but ``created_at``, the content above all, and that each ``content_sha256`` is the hash of
its content. The demo's chart files are compared too.

    python tests/tools/compare_releases.py --before /work/main/.venv/bin/partnerhub \\
        --after .venv/bin/partnerhub [--people 3000] [--seed 1] [--work DIR]
    python tests/tools/compare_releases.py --dirs BEFORE_DEMO AFTER_DEMO   # already run

Exit code 0 when every release is identical, 1 otherwise (each difference is printed).
Not part of the test suite (a demo run takes about a minute per side); its compare function
is tested in ``tests/tools/test_compare_releases.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

# every column of a release but its id (rows are matched by id) and when it was made
FIELDS = (
    "title",
    "requester",
    "recipient",
    "purpose",
    "output_kind",
    "agreement_id",
    "agreement_sha256",
    "query",
    "disclosure",
    "media_type",
    "content",
    "content_sha256",
)


def releases(db: Path) -> dict[int, dict[str, str]]:
    """Every release of a control plane (``control/control.db``), by id."""
    if not db.exists():
        raise SystemExit(f"{db}: no control plane here — run the demo first")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        cursor = con.execute("SELECT * FROM release ORDER BY id")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    missing = set(FIELDS) - set(names)
    if missing:
        raise SystemExit(f"{db}: release table has no {', '.join(sorted(missing))} column")
    return {int(r["id"]): {f: r[f] for f in FIELDS} for r in rows}


def compare(before: Path, after: Path) -> list[str]:
    """The differences between two demo folders' releases and charts (empty: identical)."""
    old = releases(before / "control" / "control.db")
    new = releases(after / "control" / "control.db")
    problems = []
    if not old:
        problems.append(f"{before}: no releases at all — nothing was compared")
    for rid in sorted(old.keys() - new.keys()):
        problems.append(f"release {rid} ({old[rid]['title']}): only before")
    for rid in sorted(new.keys() - old.keys()):
        problems.append(f"release {rid} ({new[rid]['title']}): only after")
    for rid in sorted(old.keys() & new.keys()):
        for field in FIELDS:
            if old[rid][field] != new[rid][field]:
                problems.append(f"release {rid} ({old[rid]['title']}): {field} differs")
        for side, rel in (("before", old[rid]), ("after", new[rid])):
            digest = hashlib.sha256(rel["content"].encode("utf-8")).hexdigest()
            if digest != rel["content_sha256"]:
                problems.append(f"release {rid} {side}: content_sha256 is not its content's")
    old_charts = {p.name: p.read_bytes() for p in sorted((before / "charts").glob("*"))}
    new_charts = {p.name: p.read_bytes() for p in sorted((after / "charts").glob("*"))}
    for name in sorted(old_charts.keys() | new_charts.keys()):
        if old_charts.get(name) != new_charts.get(name):
            problems.append(f"chart {name} differs (or is on one side only)")
    return problems


# The demo releases indicators by ward and district and one count table by MSOA; these add a
# release at every other level, so a change to the geography is seen at every level. Written
# out here (not imported) so that the script runs against any version of PartnerHub.
COUNT_LEVELS = ("oa", "lsoa", "msoa", "ward", "lad")
INDICATOR_LEVELS = ("oa", "lsoa", "msoa", "ward", "lad", "county", "imd_decile")
INDICATORS = ("NI 15", "NI 39")  # a crude rate and a DSR (age-standardised)


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def run_demo(partnerhub: str, out: Path, people: int, seed: int, every_level: bool) -> None:
    """The demo chain, then (``every_level``) releases at each level by the demo's analysts."""
    demo = ["demo", "--people", str(people), "--seed", str(seed), "--no-serve", "--out"]
    _run([partnerhub, *demo, str(out)])
    if not every_level:
        return
    config = ["-c", str(out / "partnership.toml")]
    token = _run([partnerhub, "users", "token", "demo-indicators", *config]).split()[-1]
    for level in INDICATOR_LEVELS:
        compute = ["indicators", "compute", *INDICATORS, "--level", level]
        _run([partnerhub, *compute, "--token", token, *config])
    token = _run([partnerhub, "users", "token", "demo-analyst", *config]).split()[-1]
    count = ["releases", "count", "--partner", "asc", "--dataset", "episodes"]
    count += ["--purpose", "service_planning", "--by", "service_type"]
    for level in COUNT_LEVELS:
        _run([partnerhub, *count, "--area-level", level, "--token", token, *config])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="partnerhub executable of the old code")
    parser.add_argument("--after", help="partnerhub executable of the new code")
    parser.add_argument("--dirs", nargs=2, type=Path, help="compare two demo folders already run")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="folder for the two demos (default: a temp)")
    parser.add_argument(
        "--demo-only", action="store_true", help="only the demo's releases, not every level"
    )
    args = parser.parse_args(argv)
    if args.dirs:
        before, after = args.dirs
    else:
        if not (args.before and args.after):
            parser.error("give --before and --after executables, or --dirs")
        work = args.work or Path(tempfile.mkdtemp(prefix="compare-releases-"))
        before, after = work / "before", work / "after"
        for exe, out in ((args.before, before), (args.after, after)):
            print(f"running the demo chain with {exe} in {out}", flush=True)
            run_demo(exe, out, args.people, args.seed, not args.demo_only)
    problems = compare(before, after)
    for p in problems:
        print(p)
    n = len(releases(before / "control" / "control.db"))
    charts = len(list((before / "charts").glob("*")))
    if problems:
        print(f"DIFFERENT: {len(problems)} difference(s) over {n} releases")
        return 1
    print(f"IDENTICAL: {n} releases (every field but created_at) and {charts} chart file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
