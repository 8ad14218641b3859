"""What every benchmark shares: run a child process (so its peak memory is its own), take a
median, and write one section of BENCHMARKS.md between its markers, leaving the others."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "BENCHMARKS.md"
HEADER = """# Benchmarks

Each section below is written by one benchmark (`make bench` runs them all; each script can run
alone, see its docstring). Every figure comes from one run on one machine, with its baseline
measured in the same run, so a ratio means something on any machine; a section says when it
was run. Text outside the sections is kept as it is.
"""


def child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python; its last line of output is a JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def median(runs: list[dict[str, Any]], key: str) -> float:
    values = sorted(float(r[key]) for r in runs)
    return values[len(values) // 2]


def write_section(name: str, body: str) -> None:
    """Put ``body`` between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` in
    BENCHMARKS.md: in place if the section is there, else at the end."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    section = f"{start}\n{body.strip()}\n{end}\n"
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    if start in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) + 1 :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
