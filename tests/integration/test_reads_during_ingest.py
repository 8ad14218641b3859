"""The dashboard and the API serve reads while an ingest runs.

Another process holds the hub's writer — the partnership's lock file and the DuckDB vault and
identity store opened for writing, as a running ingest does (DuckDB lets one process write a
file). Meanwhile the routes that read only the control plane (status, the releases list, a
release and its content, the dashboard's pages) answer 200 at once, and a route that must
compute in the vault answers 409 with a plain "an ingest is running, try again" — neither
waiting for the ingest nor failing with a 500. When the writer is done, the same request
succeeds."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from partnerhub.cli import main
from partnerhub.config import load_partnership
from partnerhub.errors import UserError
from partnerhub.governance import add_user, authenticate, issue_token
from partnerhub.hub import Hub, open_writer
from partnerhub.indicators.run import plan_periods, release_indicators
from partnerhub.indicators.spec import load_library
from partnerhub.ingest.load import ingest_file
from partnerhub.synth.partnership import generate
from partnerhub.web import create_app
from partnerhub.web.dashboard import COOKIE

pytestmark = pytest.mark.slow

INDICATOR = "NI 16"  # police/crimes per resident (gp/registrations)
# holds the hub's writer until stdin closes, like an ingest in the middle of its load
_HOLD_WRITER = """
import sys
from pathlib import Path
from partnerhub.config import load_partnership
from partnerhub.hub import open_hub
with open_hub(load_partnership(Path(sys.argv[1]))) as hub, hub.writer() as w:
    w.vault.backend.execute("CHECKPOINT")  # the vault open for writing, its lock taken
    print("holding", flush=True)
    sys.stdin.read()
"""


@dataclass
class Partnership:
    config: Path
    token: str
    release: int


@pytest.fixture(scope="module")
def partnership(tmp_path_factory: pytest.TempPathFactory) -> Partnership:
    root = tmp_path_factory.mktemp("reads") / "p"
    generate(root, 2000, seed=5)
    settings = load_partnership(root / "partnership.toml")
    with open_writer(settings) as stores:
        for partner, dataset in (("police", "crimes"), ("gp", "registrations")):
            ingest_file(stores, partner, dataset)
    with Hub(settings) as hub:
        add_user(hub.control, "analyst", "analyst", "police")
        token = issue_token(hub.control, "analyst")
        who = authenticate(hub.control, token)
        specs = [s for s in load_library() if s.id == INDICATOR]
        with hub.reader() as vault:
            plans, _ = plan_periods(vault, specs)
        (summary,) = release_indicators(
            settings, hub.gate, who, plans, "lad", "performance_management"
        )
    return Partnership(root / "partnership.toml", token, int(summary["id"]))


@contextmanager
def writer_elsewhere(config: Path) -> Iterator[None]:
    """Another process holding the hub's writer for the block."""
    held = subprocess.Popen(
        [sys.executable, "-c", _HOLD_WRITER, str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert held.stdout is not None
        assert held.stdout.readline().strip() == "holding"
        yield
    finally:
        assert held.stdin is not None
        held.stdin.close()
        assert held.wait(timeout=60) == 0


def _analyst(client: TestClient, token: str) -> dict[str, str]:
    client.cookies.set(COOKIE, token)
    return {"Authorization": f"Bearer {token}"}


def test_reads_answer_and_vault_work_is_refused_while_an_ingest_runs(
    partnership: Partnership,
) -> None:
    hub = Hub(load_partnership(partnership.config))
    count = {"partner": "police", "dataset": "crimes", "purpose": "service_planning"}
    compute = {"indicator": INDICATOR, "level": "lsoa"}
    with TestClient(create_app(hub)) as client, writer_elsewhere(partnership.config):
        auth = _analyst(client, partnership.token)
        # a second writer is refused, with today's message
        assert main(["ingest", "-c", str(partnership.config), "--all"]) == 2
        release = partnership.release
        started = time.perf_counter()
        status = client.get("/api/status", headers=auth)
        listed = client.get("/api/releases", headers=auth)
        one = client.get(f"/api/releases/{release}", headers=auth)
        content = client.get(f"/api/releases/{release}/content", headers=auth)
        page = client.get("/dashboard/indicators", params={"indicator": INDICATOR, "level": "lad"})
        areas = client.get("/dashboard/areas", params={"level": "lad"})
        reads = time.perf_counter() - started
        assert [r.status_code for r in (status, listed, one, content, page, areas)] == [200] * 6
        assert reads < 30  # answered, not kept waiting for the ingest
        loads = {d["dataset"]: (d["loads"], d["current_rows"]) for d in status.json()["datasets"]}
        assert loads == {"crimes": (1, 774), "registrations": (1, 2824)}
        assert [r["id"] for r in listed.json()] == [release]
        assert one.json()["id"] == release
        header = content.text.splitlines()[0].split(",")
        assert header[:3] == ["Indicator ID", "Indicator Name", "Area Code"]
        assert content.text.count("\nNI 16,") > 0
        assert 'id="indicator-table"' in page.text
        # work that must compute in the vault: a clear 409, not a hang or a 500
        refused = client.post("/api/releases", headers=auth, json=count)
        assert refused.status_code == 409, refused.text
        assert refused.json() == {
            "detail": "the vault is in use by an ingest or link run on this partnership just "
            "now — try again when it has finished"
        }
        refused_page = client.post("/dashboard/indicators/compute", data=compute)
        assert refused_page.status_code == 409, refused_page.text
        assert "try again" in refused_page.json()["detail"]
        assert [r["id"] for r in client.get("/api/releases", headers=auth).json()] == [release]
    # the ingest done, the same request succeeds
    with TestClient(create_app(hub)) as client:
        auth = _analyst(client, partnership.token)
        made = client.post("/api/releases", headers=auth, json=count)
        assert made.status_code == 201, made.text
        assert made.json()["id"] == release + 1
    hub.close()


def test_a_read_never_rebuilds_the_person_table_it_says_to_link(
    partnership: Partnership, tmp_path: Path
) -> None:
    root = tmp_path / "p"
    shutil.copytree(partnership.config.parent, root)
    vault = root / "vault" / "vault.duckdb"
    con = duckdb.connect(str(vault))
    try:
        kept = con.execute("SELECT count(*) FROM person WHERE partner <> 'police'").fetchone()
        assert kept is not None and kept[0] > 0
        con.execute("DELETE FROM person WHERE partner = 'police'")  # stale: a load since
    finally:
        con.close()
    specs = [s for s in load_library() if s.id == INDICATOR]
    stale = pytest.raises(UserError, match=r"run `partnerhub link` \(it rebuilds it\)")
    with Hub(load_partnership(root / "partnership.toml")) as hub, stale, hub.reader() as vault:
        plan_periods(vault, specs)
    con = duckdb.connect(str(vault), read_only=True)
    try:  # the read wrote nothing
        assert con.execute("SELECT count(*) FROM person").fetchone() == kept
    finally:
        con.close()
    # a writer (here `partnerhub status`) brings it up to date; the read then plans
    assert main(["status", "-c", str(root / "partnership.toml")]) == 0
    with Hub(load_partnership(root / "partnership.toml")) as hub, hub.reader() as vault:
        plans, _ = plan_periods(vault, specs)
    assert [spec.id for spec, _ in plans] == [INDICATOR]
