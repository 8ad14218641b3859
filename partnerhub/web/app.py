"""The PartnerHub API (FastAPI): agreements, releases, audit, status — never a vault row.

Every route states who may call it (``Depends(allow(...))``); a token comes as
``Authorization: Bearer ph_…``. A user's mistake is a 4xx with the same one-line message the
CLI prints: 401 no/bad token, 403 role or agreement forbids it, 404 not found (or not yours),
409 the vault is held by an ingest or link run just now (try again), 422 a malformed request.
The route table is :data:`ACCESS`, which the tests enumerate.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from partnerhub import __version__
from partnerhub.errors import (
    AuthenticationError,
    BusyError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    UserError,
)
from partnerhub.geography import CountLevel
from partnerhub.governance import (
    PUBLIC,
    ROLES,
    CountQuery,
    CountTable,
    Governance,
    Principal,
    roles_with,
    token_id_of,
)
from partnerhub.hub import Hub
from partnerhub.web.dashboard import STATIC, VENDOR, dashboard_router

__all__ = ["ACCESS", "create_app"]

ALL_ROLES = ROLES
# route → roles allowed (public routes: "public"), from the permission table of
# partnerhub.governance.roles. The authorisation test enumerates this.
ACCESS: dict[str, tuple[str, ...]] = {
    "GET /api/health": ("public", *ALL_ROLES),
    "GET /api/me": ALL_ROLES,
    "GET /api/status": roles_with("view_status"),
    "GET /api/agreements": roles_with("read_agreements"),
    "GET /api/agreements/{agreement_id}": roles_with("read_agreements"),
    "GET /api/releases": roles_with("list_releases"),
    "POST /api/releases": roles_with("request_release"),
    "GET /api/releases/{release_id}": roles_with("list_releases"),
    "GET /api/releases/{release_id}/content": roles_with("read_release_content"),
    "GET /api/audit": roles_with("read_audit"),
    "GET /api/audit/verify": roles_with("read_audit"),
}


class ErrorBody(BaseModel):
    detail: str


class CountRequest(BaseModel):
    """Count a dataset's rows by area (and optionally a coded field), through the gate."""

    model_config = ConfigDict(extra="forbid")

    partner: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    purpose: Literal[
        "performance_management", "service_planning", "direct_care", "outreach", "research"
    ]
    area_level: CountLevel = "lsoa"
    by: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    date_from: date | None = None
    date_to: date | None = None
    title: str | None = Field(default=None, max_length=200)


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no token, or not a valid one"},
    403: {"model": ErrorBody, "description": "your role or the agreements forbid it"},
}


def create_app(hub: Hub) -> FastAPI:
    """The API and the dashboard over a reader hub (no ingest lock; the vault opened per
    release, and a 409 while an ingest or link run holds it)."""
    governance = hub.governance
    app = FastAPI(
        title="PartnerHub",
        version=__version__,
        description=(
            "Safe data sharing for a local public-service partnership. Outputs leave only "
            "through the gate; no route returns a record of the vault."
        ),
        docs_url=None,  # served below from the app's own static files (works offline)
        redoc_url=None,
    )
    app.exception_handler(UserError)(_user_error)
    allow = _access(governance)
    _service_routes(app, governance, allow)
    _release_routes(app, governance, allow)
    _audit_routes(app, governance, allow)
    _docs_routes(app)

    @asynccontextmanager
    async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        governance.failed_logins.flush(force=True)  # no failed login goes uncounted

    app.router.lifespan_context = _lifespan
    _pages(app, hub)
    return app


async def _user_error(_request: Request, exc: UserError) -> JSONResponse:
    """A user's mistake: its one-line message, with the status its kind calls for."""
    status = 400
    if isinstance(exc, AuthenticationError):
        status = 401
    elif isinstance(exc, PermissionDeniedError | PolicyError):
        status = 403
    elif isinstance(exc, NotFoundError):
        status = 404
    elif isinstance(exc, BusyError):
        status = 409
    return JSONResponse({"detail": str(exc)}, status_code=status)


Allow = Callable[[str], Callable[..., Principal]]


def _access(governance: Governance) -> Allow:
    """``allow(route)``: the dependency that authenticates the caller's token (a login audited
    on a token's first use by this server) and checks their role against :data:`ACCESS`."""
    signed_in: set[str] = set()

    # A sync dependency: FastAPI runs it in its thread pool, so argon2 (on a token's first
    # use) and the control-plane read never block the event loop.
    def principal(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> Principal:
        governance.failed_logins.flush()  # counts of failed logins whose window is over
        if authorization is None:
            return PUBLIC
        scheme, _, token = authorization.partition(" ")
        source = request.client.host if request.client else None
        if scheme.lower() != "bearer" or not token:
            governance.failed_logins.record("api", source)
            raise AuthenticationError("send the token as `Authorization: Bearer ph_…`")
        try:
            who = governance.authenticate(token.strip())
        except AuthenticationError:
            governance.failed_logins.record("api", source, token_id_of(token.strip()))
            raise
        token_id = token.strip().split("_", 2)[1]
        if token_id not in signed_in:  # the first use of a token by this server: a login
            signed_in.add(token_id)
            governance.audit.append(who.name, "login", "api", {"token_id": token_id})
        return who

    def allow(route: str) -> Callable[..., Principal]:
        roles = ACCESS[route]

        def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
            if who.is_public and "public" not in roles:
                raise AuthenticationError("this needs a token — send `Authorization: Bearer ph_…`")
            if not who.is_public and who.role not in roles:
                raise PermissionDeniedError(f"a {who.role} cannot use {route}")
            return who

        return check

    return allow


def _service_routes(app: FastAPI, governance: Governance, allow: Allow) -> None:
    """Health, who am I, status (counts only) and the agreements."""

    @app.get("/api/health", tags=["service"])
    def health(_who: Annotated[Principal, Depends(allow("GET /api/health"))]) -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/me", tags=["service"], responses=_ERRORS)
    def me(who: Annotated[Principal, Depends(allow("GET /api/me"))]) -> dict[str, Any]:
        return {"name": who.name, "role": who.role, "partner": who.partner}

    @app.get("/api/status", tags=["service"], responses=_ERRORS)
    def status(who: Annotated[Principal, Depends(allow("GET /api/status"))]) -> dict[str, Any]:
        return governance.status()

    @app.get("/api/agreements", tags=["agreements"], responses=_ERRORS)
    def agreements(
        who: Annotated[Principal, Depends(allow("GET /api/agreements"))],
    ) -> list[dict[str, Any]]:
        return [governance.describe(a) for a in governance.visible_agreements(who)]

    @app.get("/api/agreements/{agreement_id}", tags=["agreements"], responses=_ERRORS)
    def agreement(
        who: Annotated[Principal, Depends(allow("GET /api/agreements/{agreement_id}"))],
        agreement_id: Annotated[str, Path(max_length=64)],
    ) -> dict[str, Any]:
        for a in governance.visible_agreements(who):
            if a.id == agreement_id:
                return governance.describe(a)
        raise NotFoundError(f"no agreement {agreement_id!r} that you can see")


def _release_routes(app: FastAPI, governance: Governance, allow: Allow) -> None:
    """Releases: list, make (a count through the gate), read and download."""

    @app.get("/api/releases", tags=["releases"], responses=_ERRORS)
    def releases(
        who: Annotated[Principal, Depends(allow("GET /api/releases"))],
    ) -> list[dict[str, Any]]:
        return [governance.gate.summary(r) for r in governance.gate.releases(who)]

    @app.post("/api/releases", tags=["releases"], status_code=201, responses=_ERRORS)
    def create_release(
        who: Annotated[Principal, Depends(allow("POST /api/releases"))], body: CountRequest
    ) -> dict[str, Any]:
        query = CountQuery(
            body.partner, body.dataset, body.area_level, body.by, body.date_from, body.date_to
        )
        release = governance.gate.release(who, CountTable(query, body.purpose, body.title))
        return governance.gate.summary(release)

    @app.get("/api/releases/{release_id}", tags=["releases"], responses=_ERRORS)
    def release(
        who: Annotated[Principal, Depends(allow("GET /api/releases/{release_id}"))],
        release_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    ) -> dict[str, Any]:
        return governance.gate.summary(governance.gate.read_release(who, release_id))

    @app.get("/api/releases/{release_id}/content", tags=["releases"], responses=_ERRORS)
    def release_content(
        who: Annotated[Principal, Depends(allow("GET /api/releases/{release_id}/content"))],
        release_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    ) -> Response:
        r = governance.gate.download(who, release_id)
        return Response(
            r.content,
            media_type=r.media_type,
            headers={"Content-Disposition": f'attachment; filename="release-{r.id}.csv"'},
        )


def _audit_routes(app: FastAPI, governance: Governance, allow: Allow) -> None:
    """The audit log, for IG officers: read (itself audited) and verify."""

    @app.get("/api/audit", tags=["audit"], responses=_ERRORS)
    def audit(
        who: Annotated[Principal, Depends(allow("GET /api/audit"))],
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> list[dict[str, Any]]:
        governance.audit.append(who.name, "audit_view", "audit log", {"limit": limit})
        return governance.audit.entries(limit, offset)

    @app.get("/api/audit/verify", tags=["audit"], responses=_ERRORS)
    def audit_verify(
        who: Annotated[Principal, Depends(allow("GET /api/audit/verify"))],
    ) -> dict[str, Any]:
        problems = governance.audit.verify()
        return {
            "intact": not problems,
            "problems": [{"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems],
        }


def _docs_routes(app: FastAPI) -> None:
    """The API docs (Swagger UI, ReDoc) from the app's own static files."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/vendor/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            redoc_js_url="/static/vendor/redoc.standalone.js",
            redoc_favicon_url="/static/vendor/favicon-32x32.png",
            with_google_fonts=False,
        )


def _pages(app: FastAPI, hub: Hub) -> None:
    """The dashboard's pages and the static files they (and the docs) use."""
    # the pages' routes join the app's own (so route tables list them like the API's)
    app.router.routes.extend(dashboard_router(hub).routes)
    STATIC.mkdir(exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    # GOV.UK Frontend's stylesheet asks for its fonts and images at /assets
    app.mount("/assets", StaticFiles(directory=VENDOR / "assets", check_dir=False), name="assets")
