"""`partnerhub agreements|users|audit|releases|release|serve`: governance from the command line.

Commands that read governed information (releases, the audit log) authenticate with a token
(``--token`` or ``PARTNERHUB_TOKEN``) exactly as the API does, and are subject to the same
roles. User administration is done by the hub's operator on the hub machine (whoever can read
its key and control plane), and is audited as ``operator``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from partnerhub.config import load_partnership
from partnerhub.errors import PermissionDeniedError, UserError
from partnerhub.geography import COUNT_LEVELS, one_of

if TYPE_CHECKING:
    from partnerhub.governance import Principal
    from partnerhub.hub import Hub

__all__ = ["DEFAULT_CONFIG", "Config", "Token", "demo_governance", "register"]

console = Console()
Config = Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")]
Token = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="PARTNERHUB_TOKEN", help="Your API token (or set PARTNERHUB_TOKEN)."
    ),
]
DEFAULT_CONFIG = Path("partnership.toml")

agreements_app = typer.Typer(help="Data-sharing agreements.", no_args_is_help=True)
users_app = typer.Typer(help="Users, roles and API tokens (hub operator).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log (IG officer).", no_args_is_help=True)
releases_app = typer.Typer(help="Outputs that left through the gate.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    app.add_typer(releases_app, name="releases")
    app.command(name="serve")(serve)


@contextmanager
def _hub(config: Path) -> Iterator[Hub]:
    """The partnership's hub for one command, its governance opened up front (the agreements
    checked, the audit log keyed) as every governance command needs."""
    from partnerhub.hub import open_hub

    with open_hub(load_partnership(config)) as hub:
        hub.governance  # noqa: B018 — opened for its checks
        yield hub


# -- agreements --------------------------------------------------------------------------
@agreements_app.command("validate")
def agreements_validate(config: Config = DEFAULT_CONFIG) -> None:
    """Check every agreement file (fields, dates, partners and datasets named); record
    changed agreements in the audit log."""
    from partnerhub.governance.service import record_agreement_changes
    from partnerhub.governance.users import operator

    with _hub(config) as hub:
        changed = record_agreement_changes(hub.governance, operator())
        n = len(hub.agreements)
    console.print(f"{n} agreement(s) valid; {len(changed)} new or changed since last recorded.")
    for line in changed:
        console.print(f"  {line}")


@agreements_app.command("list")
def agreements_list(config: Config = DEFAULT_CONFIG) -> None:
    """Every agreement: purposes, recipients, dates, whether in force today."""
    with _hub(config) as hub:
        rows = [hub.governance.describe(a) for a in hub.agreements]
    table = Table(title="Data-sharing agreements")
    for col in ("id", "purposes", "outputs", "recipients", "start", "expiry", "in force"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["id"],
            ", ".join(r["purposes"]),
            ", ".join(r["output_kinds"]),
            ", ".join(r["recipients"]),
            r["start"],
            r["expiry"],
            "yes" if r["in_force"] else "NO",
        )
    console.print(table)


@agreements_app.command("show")
def agreements_show(agreement_id: str, config: Config = DEFAULT_CONFIG) -> None:
    """One agreement in full (JSON)."""
    from partnerhub.errors import NotFoundError

    with _hub(config) as hub:
        for a in hub.agreements:
            if a.id == agreement_id:
                console.print_json(json.dumps(hub.governance.describe(a)))
                return
    raise NotFoundError(f"no agreement {agreement_id!r} — `partnerhub agreements list` lists them")


# -- users -------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="analyst, partner_viewer, identity_steward, …")],
    partner: Annotated[str | None, typer.Option(help="The partner they act for.")] = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Add a user and print their first API token (shown once)."""
    from partnerhub.governance import add_user, issue_token
    from partnerhub.governance.users import operator

    with _hub(config) as hub:
        settings = hub.settings
        if partner is not None:
            settings.partner(partner)  # a ConfigError naming the partners if unknown
        add_user(hub.control, name, role, partner)
        token = issue_token(hub.control, name)
        hub.audit.append(
            operator(),
            "user_change",
            f"user {name}",
            {"added": True, "role": role, "partner": partner},
        )
    console.print(f"user {name} ({role}{', ' + partner if partner else ''}) added.")
    console.print("token (shown once — keep it secret):")
    print(token)


@users_app.command("token")
def users_token(name: str, config: Config = DEFAULT_CONFIG) -> None:
    """Issue another API token for a user (shown once)."""
    from partnerhub.governance import issue_token
    from partnerhub.governance.users import operator

    with _hub(config) as hub:
        token = issue_token(hub.control, name)
        hub.audit.append(operator(), "user_change", f"user {name}", {"token": "issued"})
    print(token)


@users_app.command("revoke")
def users_revoke(name: str, config: Config = DEFAULT_CONFIG) -> None:
    """Revoke every token of a user."""
    from partnerhub.governance import revoke_tokens
    from partnerhub.governance.users import operator

    with _hub(config) as hub:
        n = revoke_tokens(hub.control, name)
        hub.audit.append(operator(), "user_change", f"user {name}", {"revoked": n})
    console.print(f"{n} token(s) of {name} revoked.")


@users_app.command("list")
def users_list(config: Config = DEFAULT_CONFIG) -> None:
    """Users and their roles (never tokens)."""
    from partnerhub.governance import list_users

    with _hub(config) as hub:
        users = list_users(hub.control)
    table = Table(title="Users")
    for col in ("name", "role", "partner", "disabled", "created"):
        table.add_column(col)
    for u in users:
        table.add_row(
            u.name, u.role, u.partner or "—", "yes" if u.disabled else "", str(u.created_at)[:19]
        )
    console.print(table)


def _who(hub: Hub, token: str | None, *roles: str) -> Principal:
    from partnerhub.errors import AuthenticationError
    from partnerhub.governance import authenticate

    who = authenticate(hub.control, token)
    if who.is_public:
        raise AuthenticationError("this needs your token — pass --token or set PARTNERHUB_TOKEN")
    if roles and who.role not in roles:
        raise PermissionDeniedError(f"a {who.role} cannot do this; it needs {' or '.join(roles)}")
    return who


# -- audit -------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="An earlier `partnerhub audit export` file that must still be a prefix of "
            "the log (catches deleted newest entries even if the anchor was rewound).",
        ),
    ] = None,
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Check every entry's signature, the chain and the signed anchor; name any edited,
    deleted, inserted, reordered or truncated entry; with --against, check that an earlier
    export is still a prefix of the log. Exit code 1 when the log has been tampered with."""
    with _hub(config) as hub:
        who = _who(hub, token, "ig_officer")
        problems = hub.audit.verify()
        if against is not None:
            problems += hub.audit.verify_export(against)
        detail: dict[str, object] = {"problems": len(problems)}
        if against is not None:
            detail["against"] = str(against)
        hub.audit.append(who.name, "audit_verify", "audit log", detail)
    if not problems:
        also = f", and {against} is a prefix of it" if against is not None else ""
        console.print(f"audit log intact: every entry verified{also}.", markup=False)
        return
    for p in problems:
        where = f"entry {p.seq}" if p.kind != "anchor" else "anchor"
        console.print(f"{where}: {p.kind}: {p.message}", markup=False)
    raise typer.Exit(1)


@audit_app.command("reanchor")
def audit_reanchor(token: Token = None, config: Config = DEFAULT_CONFIG) -> None:
    """Start the signed anchor again at the newest entry, after reviewing what `audit verify`
    reported about it (missing, not signed, or left behind by a restore). Audited."""
    with _hub(config) as hub:
        who = _who(hub, token, "ig_officer")
        old, new = hub.audit.reanchor(who.name)
    before = f"entry {old}" if old >= 0 else "no readable anchor"
    console.print(f"audit anchor moved from {before} to entry {new} (audit_reanchor).")


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSON-lines file to write.")],
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Export the whole log as JSON lines."""
    with _hub(config) as hub:
        who = _who(hub, token, "ig_officer")
        hub.audit.append(who.name, "audit_export", str(out), {})
        n = hub.audit.export_jsonl(out)
    console.print(f"{n} entries written to {out}.")


# -- releases ----------------------------------------------------------------------------
@releases_app.command("list")
def releases_list(token: Token = None, config: Config = DEFAULT_CONFIG) -> None:
    """Releases you may see (your partner's; all for the IG officer)."""
    with _hub(config) as hub:
        who = _who(hub, token)
        rows = [hub.gate.summary(r) for r in hub.gate.releases(who)]
    table = Table(title="Releases")
    for col in ("id", "title", "recipient", "purpose", "agreement", "suppressed", "created"):
        table.add_column(col)
    for r in rows:
        sup = r["disclosure"]["suppressed"]
        table.add_row(
            str(r["id"]),
            r["title"],
            r["recipient"],
            r["purpose"],
            r["agreement_id"],
            f"{sup.get('primary', 0)} + {sup.get('secondary', 0)}",
            r["created_at"][:19],
        )
    console.print(table)


@releases_app.command("count")
def releases_count(
    partner: Annotated[str, typer.Option(help="Partner whose dataset is counted.")],
    dataset: Annotated[str, typer.Option(help="The dataset.")],
    purpose: Annotated[str, typer.Option(help="Purpose, as named in the agreement.")],
    area_level: Annotated[str, typer.Option(help=f"{one_of(COUNT_LEVELS, ' or ')}.")] = "lsoa",
    by: Annotated[str | None, typer.Option(help="A coded field to count by.")] = None,
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Request a count table (analysts): checked against the agreements, disclosure
    controlled, stored and audited."""
    from partnerhub.governance import CountQuery, CountTable

    with _hub(config) as hub:
        who = _who(hub, token, "analyst")
        release = hub.gate.release(
            who, CountTable(CountQuery(partner, dataset, area_level, by), purpose)
        )
        summary = hub.gate.summary(release)
    sup = summary["disclosure"]["suppressed"]
    console.print(
        f"release {summary['id']} made under agreement {summary['agreement_id']}: "
        f"{summary['disclosure']['cells']} cells, {sup['primary']} withheld as small and "
        f"{sup['secondary']} more so they cannot be recovered. "
        f"`partnerhub releases download {summary['id']}` fetches it."
    )


@releases_app.command("download")
def releases_download(
    release_id: int,
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, json or parquet (default: from the --out suffix, else csv)."
        ),
    ] = None,
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Download a release you may read (audited)."""
    from partnerhub.governance.formats import RELEASE_FORMATS, write_release

    kind = output_format or {".json": "json", ".parquet": "parquet"}.get(out.suffix, "csv")
    if kind not in RELEASE_FORMATS:
        raise UserError(f"--format {kind!r}: use one of {', '.join(RELEASE_FORMATS)}")
    with _hub(config) as hub:
        who = _who(hub, token)
        release = hub.gate.download(who, release_id)
    write_release(release.content, kind, out)
    console.print(
        f"release {release_id} written to {out} as {kind} "
        f"(sha256 of the release {release.content_sha256[:12]})."
    )


# -- the demo's governance step -----------------------------------------------------------
def demo_governance(config: Path) -> None:
    """Agreements recorded, an analyst and an IG officer added, one release through the gate
    (with its disclosure summary), an expired agreement refusing, and the audit log verified."""
    from partnerhub.errors import PolicyError
    from partnerhub.governance import CountQuery, CountTable, add_user, authenticate, issue_token
    from partnerhub.governance.service import record_agreement_changes
    from partnerhub.governance.users import operator

    with _hub(config) as hub:
        changed = record_agreement_changes(hub.governance, operator())
        console.print(f"{len(hub.agreements)} data-sharing agreements ({len(changed)} recorded).")
        add_user(hub.control, "demo-analyst", "analyst", "asc")
        analyst = authenticate(hub.control, issue_token(hub.control, "demo-analyst"))
        query = CountQuery("asc", "episodes", "msoa", "service_type")
        release = hub.gate.release(analyst, CountTable(query, "service_planning"))
        summary = hub.gate.summary(release)
        sup = summary["disclosure"]["suppressed"]
        console.print(
            f"release {release.id} to asc under {release.agreement_id}: "
            f"{summary['disclosure']['cells']} cells (social care episodes by MSOA and service); "
            f"{sup['primary']} withheld as 0–7, {sup['secondary']} more so none can be "
            "recovered from totals; every other count rounded to 5 after cell-key perturbation."
        )
        try:
            hub.gate.release(analyst, CountTable(CountQuery("asc", "episodes", "lad"), "research"))
        except PolicyError as exc:
            console.print(f"a research request is refused: {exc}", markup=False)
        problems = hub.audit.verify()
        n = len(hub.audit.entries(limit=100_000))
    console.print(
        f"audit log: {n} entries (loads, link run, agreements, users, release), "
        + ("intact." if not problems else f"{len(problems)} PROBLEMS.")
    )
    console.print(
        "Try it: `partnerhub users add NAME --role analyst --partner asc -c "
        f"{config}`, then `partnerhub serve -c {config}` and the API at "
        "http://127.0.0.1:8000/docs."
    )


# -- serve -------------------------------------------------------------------------------
def serve_dashboard(config: Path, port: int, token: str) -> None:
    """The demo's last step: the API and dashboard, with the demo analyst's token to sign in."""
    console.print(
        f"Dashboard on http://127.0.0.1:{port}/dashboard — sign in with the demo analyst's "
        f"token {token} (shown because this is a synthetic demo on this machine). Ctrl-C stops it."
    )
    serve(config, "127.0.0.1", port)


def serve(
    config: Config = DEFAULT_CONFIG,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the API and the indicator dashboard on http://HOST:PORT."""
    import uvicorn

    from partnerhub.hub import Hub
    from partnerhub.web import create_app

    hub = Hub(load_partnership(config))
    app = create_app(hub)
    console.print(
        f"PartnerHub on http://{host}:{port}: dashboard at /dashboard, API at /api (OpenAPI at "
        "/docs); Ctrl-C stops it."
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
