"""The dashboard's pages in-process (FastAPI's TestClient; the browser test is in tests/e2e):
they open on an indicator with released values, an unknown indicator is a 404 page, no page
shows an internal area code ("lsoa", "lad"), every page of a signed-in user has a sign-out
link that forgets the token, and the API docs (/docs, /redoc) use only the app's own assets."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from partnerhub.config import load_partnership
from partnerhub.control import open_control_plane
from partnerhub.governance import add_user, authenticate, issue_token
from partnerhub.hub import Hub, open_writer
from partnerhub.indicators.run import plan_periods, release_indicators
from partnerhub.indicators.spec import load_library
from partnerhub.ingest.load import ingest_file
from partnerhub.synth.partnership import generate
from partnerhub.web import create_app
from partnerhub.web.dashboard import COOKIE, VENDOR

RELEASED = "NI 16"  # not the first of the library: the dashboard must find it
EMPTY = "NI 15"  # released before it in the library, with every value withheld
LEVELS = ("lsoa", "lad")

pytestmark = pytest.mark.slow


@dataclass
class Site:
    client: TestClient
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("pages") / "p"
    generate(root, 2000, seed=5)
    settings = load_partnership(root / "partnership.toml")
    with open_writer(settings) as stores:
        for partner, dataset in (("police", "crimes"), ("gp", "registrations")):
            ingest_file(stores, partner, dataset)
    plane = open_control_plane(settings.control_plane.url, settings.root)
    tokens = {}
    for name, role in (("analyst", "analyst"), ("viewer", "partner_viewer")):
        add_user(plane, name, role, "police")
        tokens[name] = issue_token(plane, name)
    add_user(plane, "admin", "admin", None)
    tokens["admin"] = issue_token(plane, "admin")
    gov = Hub(settings)
    # NI 15 (before NI 16 in the library) is released too, but every value of it is withheld
    specs = [s for s in load_library() if s.id in (EMPTY, RELEASED)]
    order = [s.id for s in load_library()]
    assert order[0] not in (EMPTY, RELEASED) and order.index(EMPTY) < order.index(RELEASED)
    with gov.reader() as vault:
        plans, _ = plan_periods(vault, specs)
    who = authenticate(plane, tokens["analyst"])
    values: dict[str, int] = {}
    for level in LEVELS:
        for summary in release_indicators(
            settings, gov.gate, who, plans, level, "performance_management"
        ):
            content = gov.gate.download(who, summary["id"]).content
            shown = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)["Value"]
            values[summary["indicator"]] = values.get(summary["indicator"], 0) + int(
                (~shown.isin(["[c]", ""])).sum()
            )
    assert values[EMPTY] == 0 and values[RELEASED] > 0, values
    with TestClient(create_app(gov)) as client:
        yield Site(client, tokens)
    gov.close()
    plane.close()


class _Text(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def _get(site: Site, url: str, who: str | None = "viewer") -> tuple[int, str]:
    site.client.cookies.clear()
    if who:
        site.client.cookies.set(COOKIE, site.tokens[who])
    r = site.client.get(url, follow_redirects=True)
    return r.status_code, r.text


def _urls() -> list[str]:
    urls = ["/dashboard/indicators", "/dashboard/areas"]
    for level in (*LEVELS, "oa", "msoa", "ward"):
        urls.append(f"/dashboard/indicators?indicator={RELEASED.replace(' ', '+')}&level={level}")
        urls.append(f"/dashboard/areas?level={level}")
    return urls


@pytest.fixture(scope="module")
def pages(site: Site) -> dict[tuple[str, str], tuple[int, str]]:
    """Every dashboard page as the analyst; the first two as the viewer and the admin (whose
    role cannot read releases: a 403 page) too."""
    wanted = [(u, "analyst") for u in _urls()]
    wanted += [(u, who) for u in _urls()[:2] for who in ("viewer", "admin")]
    return {(u, who): _get(site, u, who) for u, who in wanted}


def test_the_dashboard_opens_on_an_indicator_with_released_values(site: Site) -> None:
    status, html = _get(site, "/dashboard")
    assert status == 200
    assert re.search(r'<option value="NI 16" selected>', html), "opened on another indicator"
    assert 'id="indicator-table"' in html and 'id="no-release"' not in html


def test_an_unknown_indicator_is_a_404_page(site: Site) -> None:
    for url in ("/dashboard/indicators?indicator=NI+999", "/dashboard/indicators?indicator=x"):
        status, html = _get(site, url)
        assert status == 404
        assert "There is no indicator" in _text(html)
        assert 'id="indicator-table"' not in html


def test_no_page_shows_an_internal_area_code(
    site: Site, pages: dict[tuple[str, str], tuple[int, str]]
) -> None:
    codes = re.compile(r"\b(lad|lsoa|msoa|oa|imd_decile)\b")
    for (url, who), (status, html) in pages.items():
        assert status == (403 if who == "admin" else 200), (url, who)
        found = sorted(set(codes.findall(_text(html))))
        assert not found, f"{url} as {who} shows {found}"
    # the released table is there to be scanned: the district level lists its districts
    status, html = _get(site, "/dashboard/indicators?indicator=NI+16&level=lad")
    assert "District" in _text(html) and 'id="indicator-table"' in html


def test_every_page_has_a_sign_out_link_that_forgets_the_token(
    site: Site, pages: dict[tuple[str, str], tuple[int, str]]
) -> None:
    for (url, who), (_, html) in pages.items():
        assert re.search(r'<a [^>]*href="/dashboard/sign-out"[^>]*>Sign out</a>', html), (url, who)
    _, html = _get(site, "/dashboard", None)
    assert "Sign out" not in html  # nobody to sign out
    site.client.cookies.set(COOKIE, site.tokens["viewer"])
    r = site.client.get("/dashboard/sign-out", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    assert re.search(rf'{COOKIE}="?"?;.*(Max-Age=0|expires=)', r.headers["set-cookie"], re.I)
    site.client.cookies.clear()
    followed = site.client.get("/dashboard/indicators", follow_redirects=True)
    assert followed.status_code == 401 and "Sign in" in followed.text


@pytest.mark.skipif(
    not (VENDOR / "swagger-ui-bundle.js").exists(), reason="page assets missing (make assets)"
)
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_api_docs_use_only_local_assets(site: Site, page: str) -> None:
    r = site.client.get(page)
    assert r.status_code == 200
    urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', r.text)
    urls += re.findall(r'url\s*:\s*["\']([^"\']+)["\']', r.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "http://" not in r.text and "https://" not in r.text
    for u in urls:
        assert site.client.get(u).status_code == 200, u
    assert any(u.endswith(".js") for u in urls)
