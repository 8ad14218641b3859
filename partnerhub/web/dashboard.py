"""The indicator dashboard: server-rendered pages in the GOV.UK design system.

A partner's user signs in with their API token (kept in an HttpOnly cookie), picks an
indicator, an area level and a period, and sees the map, table, trend and the areas compared
with their parent. Everything a page shows is a *release* — made through the gate, disclosure
controlled and audited; reading one is audited too. Analysts may ask for an indicator at a
level not released yet (the same gate). Assets (GOV.UK Frontend, Leaflet, Vega) are served by
the app itself from ``static/vendor`` (``make assets``), never from a CDN.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from partnerhub.config import Partnership
from partnerhub.errors import AuthenticationError, NotFoundError, UserError
from partnerhub.geography import (
    INDICATOR_LEVELS,
    boundaries_folder,
    boundary_file,
    level_names,
    level_phrases,
    level_plurals,
)
from partnerhub.governance import PUBLIC, Governance, Principal, may, roles_with, token_id_of
from partnerhub.hub import Hub
from partnerhub.indicators.charts import (
    chart_rows,
    compare_chart,
    funnel_chart,
    spine_chart,
    spine_rows,
    trend_chart,
)
from partnerhub.indicators.national_set import national_indicator_set
from partnerhub.indicators.spec import load_library

__all__ = ["PAGES", "STATIC", "VENDOR", "dashboard_router"]

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR = STATIC / "vendor"
COOKIE = "partnerhub_token"
_READERS = roles_with("read_release_content")  # pages show releases' content
# page → roles allowed (tests enumerate it), from partnerhub.governance.roles
PAGES: dict[str, tuple[str, ...]] = {
    "GET /dashboard": ("public", *roles_with("list_releases")),
    "POST /dashboard/sign-in": ("public",),
    "POST /dashboard/sign-out": ("public",),
    "GET /dashboard/sign-out": ("public",),
    "GET /dashboard/indicators": _READERS,
    "GET /dashboard/areas": _READERS,
    "POST /dashboard/indicators/compute": roles_with("request_release"),
    "GET /dashboard/boundaries/{level}.geojson": ("public",),
}
# the names people read (never the internal codes "lsoa", "lad", ...): in a picker, in a
# sentence ("by district"), and in the plural ("among the districts")
LEVEL_NAMES = level_names()
LEVEL_PHRASES = level_phrases()
LEVEL_PLURALS = level_plurals()

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("assets_missing", not (VENDOR / "govuk-frontend.min.css").exists())
    context.setdefault("phrases", LEVEL_PHRASES)
    context.setdefault("plurals", LEVEL_PLURALS)
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def _refused(principal: Principal, what: str) -> HTMLResponse | None:
    """The page for someone who may not read indicator releases (else None)."""
    if principal.is_public:
        return _page("sign_in.html", 401, title="Sign in", error=f"Sign in to see {what}.")
    if principal.role not in _READERS:
        role = (principal.role or "").replace("_", " ")
        return _page(
            "message.html",
            403,
            title="Not available",
            principal=principal,
            message=f"A user with the {role} role cannot read indicator releases.",
        )
    return None


@dataclass(frozen=True)
class ImportedIndicatorView:
    """What the indicator page shows of an imported (survey) indicator, in place of a spec."""

    id: str
    title: str
    description: str
    definition: str
    statistic: str = "imported value"
    unit: str = ""
    ci_method: str = "as published by the source"


def _imported_views(sources: dict[str, str]) -> list[ImportedIndicatorView]:
    return [
        ImportedIndicatorView(
            ni.id,
            ni.title,
            f"Imported as published values by area (source: {sources[ni.id]}); PartnerHub "
            "does not compute it.",
            f"The 2008 definition's source: {ni.why}.",
        )
        for ni in national_indicator_set()
        if ni.id in sources
    ]


def dashboard_router(hub: Hub) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    governance = hub.governance
    settings = hub.settings
    _sign_in_routes(router, governance)  # the routes in the order they were always added
    _boundary_routes(router, settings)
    _compute_routes(router, hub)
    _indicator_routes(router, governance)
    _area_routes(router, governance)
    return router


def _who(governance: Governance, request: Request) -> Principal:
    """The principal of the token in the request's cookie (public without a valid one)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return PUBLIC
    try:
        return governance.authenticate(token)
    except AuthenticationError:
        return PUBLIC


def _indicator_releases(
    governance: Governance, principal: Principal
) -> tuple[dict[tuple[str, str], int], dict[str, str]]:
    """(indicator, level) → newest release id the principal may read; and imported
    indicator → its source."""
    out, imported, _ = _indicator_release_values(governance, principal)
    return out, imported


def _indicator_release_values(
    governance: Governance, principal: Principal
) -> tuple[dict[tuple[str, str], int], dict[str, str], set[tuple[str, str]]]:
    """As :func:`_indicator_releases`, and the (indicator, level) pairs whose newest
    release has some value not withheld (from its disclosure summary: no download)."""
    out: dict[tuple[str, str], int] = {}
    imported: dict[str, str] = {}
    with_values: set[tuple[str, str]] = set()
    for r in governance.gate.releases(principal):
        q = json.loads(r.query)
        if "indicator" in q and "level" in q:
            key = (q["indicator"], q["level"])
            if key not in out:
                out[key] = r.id
                if json.loads(r.disclosure).get("released_rows", 0) > 0:
                    with_values.add(key)
            if "imported" in q:
                imported.setdefault(q["indicator"], str(q["imported"]))
    return out, imported, with_values


def _sign_in_routes(router: APIRouter, governance: Governance) -> None:
    """The home page, signing in (token → cookie, audited) and signing out."""

    @router.get("/dashboard", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        principal = _who(governance, request)
        if principal.is_public:
            return _page("sign_in.html", title="Sign in")
        return RedirectResponse("/dashboard/indicators", status_code=303)

    @router.post("/dashboard/sign-in")
    async def sign_in(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[0].strip()
        try:  # argon2 and the audit write run in the thread pool, off the event loop
            principal = await run_in_threadpool(governance.authenticate, token)
        except AuthenticationError as exc:
            source = request.client.host if request.client else None
            await run_in_threadpool(
                governance.failed_logins.record, "dashboard", source, token_id_of(token)
            )
            return _page("sign_in.html", 401, title="Sign in", error=str(exc))
        await run_in_threadpool(governance.audit.append, principal.name, "login", "dashboard")
        response = RedirectResponse("/dashboard/indicators", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @router.get("/dashboard/sign-out")
    @router.post("/dashboard/sign-out")
    def sign_out() -> Response:
        """Forget the token: the sign-out link on every page (and the form of old pages)."""
        response = RedirectResponse("/dashboard", status_code=303)
        response.delete_cookie(COOKIE)
        return response


def _boundary_routes(router: APIRouter, settings: Partnership) -> None:
    """The GeoJSON boundaries of each area level, for the map (public)."""

    @router.get("/dashboard/boundaries/{level}.geojson")
    def boundaries(level: str) -> Response:
        path = boundary_file(boundaries_folder(settings), level)
        if path is None:  # public: the message names no setting
            raise NotFoundError(f"no boundaries for {level!r}")
        return FileResponse(path, media_type="application/geo+json")


def _compute_routes(router: APIRouter, hub: Hub) -> None:
    governance, settings = hub.governance, hub.settings
    """An analyst's request for an indicator at a level not released yet (through the gate)."""

    @router.post("/dashboard/indicators/compute")
    async def compute(request: Request) -> Response:
        from partnerhub.indicators.run import plan_periods, release_indicators

        principal = _who(governance, request)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        indicator = (form.get("indicator") or [""])[0]
        level = (form.get("level") or ["ward"])[0]
        if principal.is_public:
            return RedirectResponse("/dashboard", status_code=303)
        specs = [s for s in load_library() if s.id == indicator]
        if not specs or level not in INDICATOR_LEVELS:
            raise UserError("pick an indicator of the library and an area level")
        with hub.reader() as vault:
            plans, _ = plan_periods(vault, specs)
        release_indicators(
            settings, governance.gate, principal, plans, level, "performance_management"
        )
        query = urlencode({"indicator": indicator, "level": level})
        return RedirectResponse(f"/dashboard/indicators?{query}", status_code=303)


def _opening_indicator(
    library: list[Any],
    available: dict[tuple[str, str], int],
    with_values: set[tuple[str, str]],
) -> Any:
    """The indicator the page opens on: one with released values (not all withheld), in
    library order; else one released; else the first."""
    valued = {i for (i, _lvl) in with_values}
    released_ids = {i for (i, _lvl) in available}
    return next(
        (s for s in library if s.id in valued),
        next((s for s in library if s.id in released_ids), library[0] if library else None),
    )


def _opening_level(
    spec: Any, available: dict[tuple[str, str], int], with_values: set[tuple[str, str]]
) -> str:
    """The level the page opens on: the most local level with values, else released, else
    ward."""
    valued_levels = {lvl for (i, lvl) in with_values if spec and i == spec.id}
    released = {lvl for (i, lvl) in available if spec and i == spec.id}
    return next(
        (lvl for lvl in LEVEL_NAMES if lvl in valued_levels),
        next((lvl for lvl in LEVEL_NAMES if lvl in released), "ward"),
    )


def _release_view(
    content: str, spec: Any, level: str, period: str | None, area: str | None
) -> dict[str, Any]:
    """What the indicator page shows of one release (its CSV ``content``): the periods and
    areas to pick from, the table of the period, and the charts' data."""
    frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
    rows = chart_rows(frame)
    periods = list(dict.fromkeys(frame["Time period"]))
    period = period if period in periods else periods[-1]
    current = frame[frame["Time period"] == period]
    areas = list(dict.fromkeys(zip(frame["Area Code"], frame["Area Name"], strict=True)))
    area = area if area in dict(areas) else None
    selected = rows[rows["period"] == period]
    values = {
        r.area_code: {"value": r.value, "name": r.area_name, "compared": r.compared}
        for r in selected.itertuples(index=False)
    }
    funnel = funnel_chart(current, spec)
    return {
        "funnel": funnel is not None,
        "periods": periods,
        "period": period,
        "areas": areas,
        "area": area,
        "table": current.assign(
            **{"Area Type": current["Area Type"].map(lambda t: LEVEL_NAMES.get(t, t))}
        ).to_dict("records"),
        "columns": list(frame.columns[2:]),
        "data": json.dumps(
            {
                "level": level,
                "values": values,
                "selected": area,
                "trend": trend_chart(rows, area, None) if area else None,
                "compare": compare_chart(selected, None, spec.unit),
                "funnel": funnel,
                "link": "/dashboard/indicators?"
                + urlencode({"indicator": spec.id, "level": level, "period": period}),
            },
            allow_nan=False,
            default=str,
        ).replace("</", "<\\/"),
    }


def _indicator_routes(router: APIRouter, governance: Governance) -> None:
    """The indicator page: an indicator at a level and period — map, table, trend, funnel."""

    @router.get("/dashboard/indicators", response_class=HTMLResponse)
    def indicators(
        request: Request,
        indicator: str | None = None,
        level: str | None = None,
        period: str | None = None,
        area: str | None = None,
    ) -> HTMLResponse:
        principal = _who(governance, request)
        refused = _refused(principal, "indicators")
        if refused is not None:
            return refused
        available, sources, with_values = _indicator_release_values(governance, principal)
        computed = load_library()
        library: list[Any] = [*computed, *_imported_views(sources)]
        if indicator:
            spec = next((s for s in library if s.id == indicator), None)
            if spec is None:  # a mistyped or stale link: say so, never show another indicator
                return _page(
                    "message.html",
                    404,
                    title="Page not found",
                    principal=principal,
                    message=f"There is no indicator {indicator!r}. Pick one from the list on "
                    "the indicators page.",
                    back="/dashboard/indicators",
                )
        else:
            spec = _opening_indicator(library, available, with_values)
        if level not in LEVEL_NAMES:
            level = _opening_level(spec, available, with_values)
        context: dict[str, Any] = {
            "title": "Indicators",
            "principal": principal,
            "library": library,
            "spec": spec,
            "levels": LEVEL_NAMES,
            "level": level,
            "can_compute": may(principal.role, "request_release") and spec in computed,
            "available": [
                LEVEL_NAMES.get(lvl, lvl)
                for lvl in sorted({lvl for (i, lvl) in available if spec and i == spec.id})
            ],
        }
        release_id = available.get((spec.id, level)) if spec else None
        if spec is None or release_id is None:
            return _page("indicators.html", **context, release=None)
        release = governance.gate.download(principal, release_id)
        context["release"] = release
        context.update(_release_view(release.content, spec, level, period, area))
        return _page("indicators.html", **context)


def _area_routes(router: APIRouter, governance: Governance) -> None:
    """The area profile: one area, every indicator released at its level."""

    @router.get("/dashboard/areas", response_class=HTMLResponse)
    def area_profile(
        request: Request, level: str = "ward", area: str | None = None
    ) -> HTMLResponse:
        """One area, every indicator released at its level: the spine chart and its table."""
        principal = _who(governance, request)
        refused = _refused(principal, "areas")
        if refused is not None:
            return refused
        level = level if level in LEVEL_NAMES else "ward"
        available, sources = _indicator_releases(governance, principal)
        shown: list[Any] = [*load_library(), *_imported_views(sources)]
        by_id = {s.id: s for s in shown}
        releases = []
        names: dict[str, str] = {}
        for (ident, lvl), release_id in sorted(available.items()):
            if lvl != level or ident not in by_id:
                continue
            release = governance.gate.download(principal, release_id)
            frame = pd.read_csv(io.StringIO(release.content), dtype=str, keep_default_na=False)
            names.update(zip(frame["Area Code"], frame["Area Name"], strict=True))
            spec = by_id[ident]
            polarity = getattr(spec, "polarity", "none")
            releases.append((ident, spec.title, polarity, frame))
        area = area if area in names else (min(names) if names else None)
        rows = spine_rows(releases, area) if area else []
        context: dict[str, Any] = {
            "title": "Area profile",
            "principal": principal,
            "levels": LEVEL_NAMES,
            "level": level,
            "areas": sorted(names.items(), key=lambda kv: kv[1]),
            "area": area,
            "area_name": names.get(area or "", ""),
            "rows": rows,
            "data": json.dumps(
                {"spine": spine_chart(rows)} if rows else {}, allow_nan=False
            ).replace("</", "<\\/"),
        }
        return _page("areas.html", **context)
