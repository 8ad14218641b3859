"""The indicator dashboard in headless Chromium (Debian's, driven by Playwright): sign in,
pick an indicator and a ward, and check the map, table and charts rendered; axe-core finds no
serious accessibility problem. The screenshot is kept in test-artifacts/."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from partnerhub.config import load_partnership
from partnerhub.control import open_control_plane
from partnerhub.governance import add_user, issue_token
from partnerhub.hub import Hub, open_writer
from partnerhub.identity import link_partnership
from partnerhub.ingest.load import ingest_all
from partnerhub.synth.partnership import generate
from partnerhub.web import create_app
from partnerhub.web.dashboard import VENDOR

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.e2e


def _need_browser() -> None:
    missing = [
        what
        for what, ok in (
            ("Debian's chromium", Path(CHROMIUM).exists()),
            ("the page assets (make assets)", (VENDOR / "leaflet.js").exists()),
        )
        if not ok
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"missing: {', '.join(missing)} — .ci/run installs them")
        pytest.skip(f"missing: {', '.join(missing)}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    _need_browser()
    root = tmp_path_factory.mktemp("dashboard") / "p"
    generate(root, 3000, seed=5)
    settings = load_partnership(root / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_all(stores)
        link_partnership(stores.identity, stores.control)
    plane = open_control_plane(settings.control_plane.url, settings.root)
    add_user(plane, "ward-analyst", "analyst", "police")
    token = issue_token(plane, "ward-analyst")
    app = create_app(Hub(settings))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join(10)
        plane.close()


def test_pick_an_indicator_and_a_ward(served: tuple[str, str]) -> None:
    from playwright.sync_api import sync_playwright

    url, token = served
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        page.goto(f"{url}/dashboard")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.select_option("#indicator", "NI 16")
        page.select_option("#level", "ward")
        page.click("#show")
        page.wait_for_load_state("networkidle")
        assert page.locator("#no-release").count() == 1  # not released at ward level yet
        page.click("#compute")  # through the gate, as an analyst
        page.wait_for_load_state("networkidle")
        wards = page.locator("#area option").all_inner_texts()
        assert len(wards) > 3  # "All areas" and the wards
        page.select_option("#area", index=2)
        page.click("#show")
        page.wait_for_load_state("networkidle")
        page.wait_for_selector("#map[data-rendered]")
        page.wait_for_selector("#trend-chart svg")
        page.wait_for_selector("#compare-chart svg")
        ward = page.locator("#area").input_value()
        # the map: one shape per ward, the chosen one outlined
        assert int(page.locator("#map").get_attribute("data-rendered") or 0) == len(wards) - 1
        assert page.locator("#map path.leaflet-interactive").count() == len(wards) - 1
        # the table: one row per ward, the chosen one marked, every value a number or [c]
        rows = page.locator("#indicator-table tbody tr")
        assert rows.count() == len(wards) - 1
        assert page.locator(f'#indicator-table tr.ph-selected[data-area="{ward}"]').count() == 1
        values = page.locator("#indicator-table tbody tr td:nth-child(5)").all_inner_texts()
        assert all(v == "[c]" or float(v) >= 0 for v in values)
        # the charts: the trend has a point per period shown, the comparison a bar per area
        assert page.locator("#trend-chart svg path, #trend-chart svg .mark-symbol").count() > 0
        assert "Areas compared" in page.content()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        # accessibility: axe-core, served by the app like every other asset
        page.add_script_tag(url=f"{url}/static/vendor/axe.min.js")
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        # the area profile of a ward with a released value: its spine chart, one row per
        # indicator released by ward (NI 16 only), and no serious accessibility problem
        shown = page.locator("#indicator-table tbody tr").evaluate_all(
            "rows => rows.filter(r => r.children[4].innerText !== '[c]').map(r => r.dataset.area)"
        )
        assert shown, "no ward has a released value"
        page.goto(f"{url}/dashboard/areas?level=ward&area={shown[0]}")
        page.wait_for_selector("#spine-chart svg")
        assert page.locator("#profile-table tbody tr").count() == 1
        assert page.locator("#spine-chart svg .mark-symbol.role-mark path").count() == 1
        page.screenshot(path=str(ARTIFACTS / "area-profile.png"), full_page=True)
        page.add_script_tag(url=f"{url}/static/vendor/axe.min.js")
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious += [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        browser.close()
    assert not serious, serious
    assert not [u for u in failed if "favicon" not in u], failed
