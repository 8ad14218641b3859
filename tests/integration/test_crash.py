"""kill -9 during a load, at every step: the stores end exactly as before (or, once the load
has committed, exactly as after a clean run), and a rerun succeeds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from partnerhub.ingest.load import CHECKPOINTS
from tests.integration.conftest import snapshot

COMMITTED_AT = CHECKPOINTS.index("load-committed")
_TIMESTAMPS = (14, 15)  # started_at, finished_at in the control plane's load table


def run(
    partnership: Path, *args: str, kill_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PARTNERHUB_TEST_KILL_AT", None)
    if kill_at is not None:
        env["PARTNERHUB_TEST_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "partnerhub.cli", *args],
        cwd=partnership,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def without_times(state: dict[str, Any]) -> dict[str, Any]:
    """The state with the control plane's timestamps blanked (they differ between runs)."""
    out = dict(state)
    control = dict(state["control"])
    control["load"] = [
        tuple(None if i in _TIMESTAMPS else v for i, v in enumerate(row))
        for row in control.get("load", [])
    ]
    # audit entries: their time, and so their signatures, differ between runs
    control["audit_entry"] = [
        tuple(None if i in (1, 6, 7) else v for i, v in enumerate(row))
        for row in control.get("audit_entry", [])
    ]
    out["control"] = control
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, synthetic_partnership: Path) -> Path:
    """A partnership with everything loaded, and a newer spells extract waiting."""
    out = tmp_path_factory.mktemp("crash") / "p"
    shutil.copytree(synthetic_partnership, out)
    done = run(out, "ingest", "--all")
    assert done.returncode == 0, done.stderr
    lines = (out / "extracts/acute/spells.csv").read_text(encoding="utf-8").splitlines(True)
    (out / "spells_newer.csv").write_text("".join(lines[: len(lines) - 100]), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def clean_result(loaded: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    copy = tmp_path_factory.mktemp("clean") / "p"
    shutil.copytree(loaded, copy)
    done = run(copy, "ingest", "--partner", "acute", "--dataset", "spells", "spells_newer.csv")
    assert done.returncode == 0, done.stderr
    return without_times(snapshot(copy))


@pytest.mark.parametrize("point", CHECKPOINTS)
def test_kill_at_each_step(
    point: str, loaded: Path, clean_result: dict[str, Any], tmp_path: Path
) -> None:
    work = tmp_path / "p"
    shutil.copytree(loaded, work)
    before = snapshot(work)
    args = ("ingest", "--partner", "acute", "--dataset", "spells", "spells_newer.csv")
    killed = run(work, *args, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    status = run(work, "status")  # opening the stores recovers
    assert status.returncode == 0, status.stderr
    after = snapshot(work)
    if CHECKPOINTS.index(point) < COMMITTED_AT:
        assert after == before  # exactly as before, timestamps included
    else:
        assert without_times(after) == clean_result  # the load stands, finished by recovery
    rerun = run(work, *args)
    assert rerun.returncode == 0, rerun.stderr
    assert without_times(snapshot(work)) == clean_result


AREA_POINTS = [p for p in CHECKPOINTS if not p.startswith("identity-")]  # no identity write


@pytest.mark.parametrize("point", AREA_POINTS)
def test_kill_during_an_area_level_load(point: str, loaded: Path, tmp_path: Path) -> None:
    """An area-level return (no identity store step) is as crash-safe as an extract."""
    work = tmp_path / "p"
    shutil.copytree(loaded, work)
    lines = (work / "extracts/areas/operations.csv").read_text(encoding="utf-8").splitlines(True)
    (work / "ops_newer.csv").write_text("".join(lines[:-50]), encoding="utf-8")
    before = snapshot(work)
    args = ("ingest", "--partner", "areas", "--dataset", "operations", "ops_newer.csv")
    killed = run(work, *args, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    assert run(work, "status").returncode == 0  # opening the stores recovers
    after = snapshot(work)
    assert after["identity"] == before["identity"]
    if CHECKPOINTS.index(point) < COMMITTED_AT:
        assert after == before
        rerun = run(work, *args)
        assert rerun.returncode == 0 and "│ loaded │" in rerun.stdout, rerun.stderr
    rows = snapshot(work)["vault"]["operation"]
    newest = max(r[-1] for r in rows)
    assert len([r for r in rows if r[-1] == newest]) == len(lines) - 51  # the newer file's rows
    assert len(rows) == 2 * (len(lines) - 1) - 50  # and the first load's, kept as history
