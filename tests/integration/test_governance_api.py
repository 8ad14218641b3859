"""The gate and the API over a real (small) synthetic partnership: the authorisation matrix,
the canary, releases through disclosure control, the audit trail, and schemathesis."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from partnerhub.cli import main
from partnerhub.config import load_partnership
from partnerhub.control import open_control_plane
from partnerhub.governance import CountQuery, CountTable, add_user, authenticate, issue_token
from partnerhub.hub import Hub
from partnerhub.web import ACCESS, create_app
from tests.integration.conftest import duckdb_text

CANARY_NAME = "Zqxcanaryvale"
CANARY_VALUE = "CANARY-7F3A9Q"
ROLES = ("analyst", "partner_viewer", "identity_steward", "ig_officer", "admin")


@dataclass
class World:
    root: Path
    tokens: dict[str, str]  # principal → token
    releases: dict[str, int]  # acute | police | expired → release id


def _plant_canary(root: Path) -> None:
    path = root / "extracts" / "acute" / "spells.csv"
    # the acute trust's extract is pipe-delimited (its contract): plant into real fields
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep="|")
    assert {"Surname", "SpellID"} <= set(frame.columns)
    frame.loc[0, "Surname"] = CANARY_NAME
    frame.loc[0, "SpellID"] = CANARY_VALUE
    frame.to_csv(path, index=False, sep="|")


PRINCIPALS = {
    "analyst_acute": ("analyst", "acute"),
    "analyst_police": ("analyst", "police"),
    "viewer_acute": ("partner_viewer", "acute"),
    "steward": ("identity_steward", None),
    "ig": ("ig_officer", None),
    "admin": ("admin", None),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, synthetic_partnership: Path) -> World:
    root = tmp_path_factory.mktemp("governance") / "p"
    shutil.copytree(synthetic_partnership, root)
    _plant_canary(root)
    config = str(root / "partnership.toml")
    for partner, dataset in (("acute", "spells"), ("police", "crimes")):
        assert main(["ingest", "-c", config, "--partner", partner, "--dataset", dataset]) == 0
    # positive control: the canary really is in the stores, so its absence below means something
    assert CANARY_VALUE in duckdb_text(root / "vault" / "vault.duckdb")
    assert CANARY_NAME.upper() in duckdb_text(root / "identity" / "identity.duckdb").upper()
    settings = load_partnership(root / "partnership.toml")
    plane = open_control_plane(settings.control_plane.url, settings.root)
    tokens = {}
    for name, (role, partner) in PRINCIPALS.items():
        add_user(plane, name, role, partner)
        tokens[name] = issue_token(plane, name)
    # releases: one for each partner now, and one made in 2024 under the research agreement,
    # which has since ended
    gov = Hub(settings)
    releases = {}
    for name, partner in (("analyst_acute", "acute"), ("analyst_police", "police")):
        who = authenticate(plane, tokens[name])
        query = CountQuery("acute", "spells", "lsoa", "admission_method")
        releases[partner] = gov.gate.release(who, CountTable(query, "service_planning")).id
    past = Hub(settings, today=lambda: date(2024, 6, 1))
    who = authenticate(plane, tokens["analyst_acute"])
    releases["expired"] = past.gate.release(
        who, CountTable(CountQuery("acute", "spells", "msoa"), "research")
    ).id
    gov.close()
    past.close()
    plane.close()
    return World(root, tokens, releases)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    hub = Hub(load_partnership(world.root / "partnership.toml"))
    app = create_app(hub)
    with TestClient(app) as c:
        yield c
    hub.close()


def _headers(world: World, principal: str) -> dict[str, str]:
    if principal == "public":
        return {}
    return {"Authorization": f"Bearer {world.tokens[principal]}"}


# -- the authorisation matrix -------------------------------------------------------------
def _expected(principal: str, route: str, resource: str) -> int:
    """What each principal may do with each route and each partner's release — written out
    rule by rule, independently of the app's ACCESS table."""
    role = "public" if principal == "public" else PRINCIPALS[principal][0]
    partner = None if principal == "public" else PRINCIPALS[principal][1]
    if route == "GET /api/health":
        return 200
    if role == "public":
        return 401
    if route in ("GET /api/me", "GET /api/agreements"):
        return 200
    if route == "GET /api/agreements/{agreement_id}":
        return 200  # every partner is party to the performance agreement
    if route == "GET /api/status":
        return 200 if role in ("analyst", "ig_officer", "admin") else 403
    if route in ("GET /api/audit", "GET /api/audit/verify"):
        return 200 if role == "ig_officer" else 403
    if route == "POST /api/releases":
        return 201 if role == "analyst" else 403
    recipient = "police" if resource == "police" else "acute"
    if route == "GET /api/releases":
        return 200 if role in ("analyst", "partner_viewer", "ig_officer", "admin") else 403
    if route == "GET /api/releases/{release_id}":
        if role in ("ig_officer", "admin"):
            return 200
        if role in ("analyst", "partner_viewer"):
            return 200 if partner == recipient else 404
        return 403
    if route == "GET /api/releases/{release_id}/content":
        if role == "ig_officer":
            return 200
        if role == "admin" or role == "identity_steward":
            return 403
        if partner != recipient:
            return 404
        return 403 if resource == "expired" else 200
    raise AssertionError(f"no rule for {route}")


def test_every_page_is_in_the_pages_table(client: TestClient) -> None:
    from partnerhub.web import PAGES

    routes = {
        f"{method} {r.path}"
        for r in client.app.routes  # type: ignore[attr-defined]
        if r.path.startswith("/dashboard")
        for method in getattr(r, "methods", set()) - {"HEAD"}
    }
    assert routes == set(PAGES)


def test_every_api_route_is_in_the_access_table(client: TestClient) -> None:
    routes = {
        f"{method} {r.path}"
        for r in client.app.routes  # type: ignore[attr-defined]
        if r.path.startswith("/api/")
        for method in r.methods - {"HEAD"}
    }
    assert routes == set(ACCESS)


@pytest.mark.parametrize("principal", ["public", *PRINCIPALS])
def test_authorisation_matrix(client: TestClient, world: World, principal: str) -> None:
    failures = []
    for route in ACCESS:
        method, path = route.split(" ", 1)
        for resource in ("acute", "police", "expired"):
            url = path.replace("{agreement_id}", "partnershire-performance").replace(
                "{release_id}", str(world.releases[resource])
            )
            body = None
            if method == "POST":
                body = {
                    "partner": "acute",
                    "dataset": "spells",
                    "purpose": "service_planning",
                    "area_level": "msoa",
                }
            response = client.request(method, url, headers=_headers(world, principal), json=body)
            expected = _expected(principal, route, resource)
            if response.status_code != expected:
                failures.append((route, resource, expected, response.status_code, response.text))
            if response.status_code >= 400:
                assert response.json()["detail"]  # a message, not a bare status
    assert not failures, failures


def test_a_bad_token_is_refused_and_audited(client: TestClient, world: World) -> None:
    bad = client.get("/api/me", headers={"Authorization": "Bearer ph_0000_nope"})
    assert bad.status_code == 401
    assert "token" in bad.json()["detail"]
    malformed = client.get("/api/me", headers={"Authorization": "Basic abc"})
    assert malformed.status_code == 401
    entries = client.get("/api/audit?limit=1000", headers=_headers(world, "ig")).json()
    assert any(e["action"] == "login_failed" for e in entries)
    logins = {e["actor"] for e in entries if e["action"] == "login"}
    assert "ig" in logins


# -- releases through the gate --------------------------------------------------------------
def test_a_release_is_disclosure_controlled_and_audited(client: TestClient, world: World) -> None:
    headers = _headers(world, "analyst_acute")
    meta = client.get(f"/api/releases/{world.releases['acute']}", headers=headers).json()
    assert meta["agreement_id"] == "partnershire-performance"
    assert meta["disclosure"]["settings"]["threshold"] == 7
    content = client.get(f"/api/releases/{world.releases['acute']}/content", headers=headers).text
    table = pd.read_csv(pd.io.common.StringIO(content), dtype=str)
    assert list(table.columns) == ["Area Code", "Area Type", "admission_method", "Count"]
    counts = table["Count"]
    released = counts[counts != "[c]"].astype(int)
    assert (released % 5 == 0).all() and (released > 0).all()  # rounded, never a small count
    assert (counts == "[c]").sum() == sum(meta["disclosure"]["suppressed"].values())
    total = table[(table["Area Code"] == "total") & (table["admission_method"] == "all")]
    assert len(total) == 1 and int(total["Count"].iloc[0]) > 100
    audit = client.get("/api/audit?limit=1000", headers=_headers(world, "ig")).json()
    made = [e for e in audit if e["action"] == "release"]
    assert {e["subject"] for e in made} >= {f"release {i}" for i in world.releases.values()}
    assert any(e["action"] == "release_download" for e in audit)
    assert any(e["action"] == "load" for e in audit)
    verify = client.get("/api/audit/verify", headers=_headers(world, "ig")).json()
    assert verify == {"intact": True, "problems": []}


def test_policy_refusals_name_the_agreement(client: TestClient, world: World) -> None:
    headers = _headers(world, "analyst_acute")
    body = {"partner": "acute", "dataset": "spells", "purpose": "research"}
    refused = client.post("/api/releases", headers=headers, json=body)
    assert refused.status_code == 403
    assert "partnershire-research-2023" in refused.json()["detail"]
    assert "expired on 2025-03-31" in refused.json()["detail"]
    body = {"partner": "acute", "dataset": "nothing", "purpose": "service_planning"}
    missing = client.post("/api/releases", headers=headers, json=body)
    assert missing.status_code == 404 and "acute/nothing" in missing.json()["detail"]
    body = {
        "partner": "acute",
        "dataset": "spells",
        "purpose": "service_planning",
        "by": "spell_id",
    }
    wrong = client.post("/api/releases", headers=headers, json=body)
    assert wrong.status_code == 400 and "coded field" in wrong.json()["detail"]


# -- the canary ---------------------------------------------------------------------------
def _all_api_outputs(client: TestClient, world: World) -> str:
    outputs = []
    for principal in ["public", *PRINCIPALS]:
        for route in ACCESS:
            method, path = route.split(" ", 1)
            for resource in ("acute", "police", "expired"):
                url = path.replace("{agreement_id}", "partnershire-performance").replace(
                    "{release_id}", str(world.releases[resource])
                )
                body = {
                    "partner": "acute",
                    "dataset": "spells",
                    "purpose": "service_planning",
                    "by": "admission_method",
                }
                r = client.request(
                    method,
                    url,
                    headers=_headers(world, principal),
                    json=body if method == "POST" else None,
                )
                outputs.append(r.text)
    outputs.append(client.get("/openapi.json").text)
    # the dashboard's pages, signed in as each principal (the cookie carries the token)
    for principal in ["public", *PRINCIPALS]:
        cookies = {} if principal == "public" else {"partnerhub_token": world.tokens[principal]}
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies.set(name, value)
        for url in (
            "/dashboard",
            "/dashboard/indicators",
            "/dashboard/indicators?indicator=NI+131&level=lsoa",
            "/dashboard/boundaries/lsoa.geojson",
            "/dashboard/areas?level=lsoa",
        ):
            outputs.append(client.get(url).text)
        outputs.append(
            client.post(
                "/dashboard/indicators/compute",
                content="indicator=NI+131&level=lsoa",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ).text
        )
    client.cookies.clear()
    return "\n".join(outputs)


def test_the_canary_never_leaves_through_the_api(client: TestClient, world: World) -> None:
    text = _all_api_outputs(client, world)
    assert len(text) > 10_000  # the routes did answer
    assert CANARY_NAME not in text and CANARY_VALUE not in text
    assert CANARY_VALUE.lower() not in text.lower()


def test_the_canary_never_leaves_through_the_cli(
    world: World,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = str(world.root / "partnership.toml")
    ig, analyst = world.tokens["ig"], world.tokens["analyst_acute"]
    commands = [
        ["status", "-c", config],
        ["check", "-c", config],
        ["quarantine", "-c", config],
        ["link", "-c", config],
        ["agreements", "validate", "-c", config],
        ["agreements", "list", "-c", config],
        ["agreements", "show", "partnershire-performance", "-c", config],
        ["users", "list", "-c", config],
        ["releases", "list", "-c", config, "--token", analyst],
        [
            "releases",
            "count",
            "-c",
            config,
            "--token",
            analyst,
            "--partner",
            "acute",
            "--dataset",
            "spells",
            "--purpose",
            "service_planning",
            "--by",
            "admission_method",
        ],
        [
            "releases",
            "download",
            str(world.releases["acute"]),
            "-c",
            config,
            "--token",
            analyst,
            "--out",
            str(tmp_path / "r.csv"),
        ],
        [
            "releases",
            "download",
            str(world.releases["acute"]),
            "-c",
            config,
            "--token",
            analyst,
            "--out",
            str(tmp_path / "r.json"),
        ],
        ["indicators", "list"],
        ["indicators", "show", "NI 131"],
        ["indicators", "validate"],
        ["indicators", "compute", "NI 131", "--level", "lsoa", "-c", config, "--token", analyst],
        ["audit", "verify", "-c", config, "--token", ig],
        ["audit", "export", "-c", config, "--token", ig, "--out", str(tmp_path / "a.jsonl")],
    ]
    seen = []
    for argv in commands:
        code = main(argv)
        out = capsys.readouterr()
        seen.append(out.out + out.err)
        assert code in (0, 2), (argv, code, out.err)
    for f in tmp_path.iterdir():
        seen.append(f.read_text())
    text = "\n".join(seen)
    assert "release" in text and "agreement" in text
    assert CANARY_NAME not in text and CANARY_VALUE not in text


def test_diagnostics_need_an_identity_stewards_token(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(world.root / "partnership.toml")
    args = ["link", "-c", config, "--diagnostics", str(tmp_path / "d")]
    assert main([*args, "--token", world.tokens["analyst_acute"]]) == 2
    assert "identity steward" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
    assert main(args) == 2
    assert "token" in capsys.readouterr().err


# -- schemathesis ---------------------------------------------------------------------------
def _fuzz(strategy: object, headers: dict[str, str], label: str, failures: list[object]) -> None:
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from schemathesis.checks import not_a_server_error

    @hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception as exc:  # collected, reported together
            failures.append((label, response.status_code, str(exc)[:300]))

    run()


def test_schemathesis_finds_no_server_errors(world: World) -> None:
    import schemathesis

    app = create_app(Hub(load_partnership(world.root / "partnership.toml")))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[object] = []
    operations = 0
    for principal in ("public", "analyst_acute", "ig"):
        for result in schema.get_all_operations():
            op = result.ok()
            operations += 1
            _fuzz(op.as_strategy(), _headers(world, principal), op.label, failures)
    assert operations == 3 * len(ACCESS)
    assert not failures, failures[:5]
