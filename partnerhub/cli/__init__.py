"""The `partnerhub` command. One function per command; the work lives in the domain packages.

A user's mistake (:class:`~partnerhub.errors.UserError`, or a wrong option) prints one line,
``partnerhub: error: …``, and exits with code 2. Anything else is our bug and keeps its
traceback.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# Typer 0.29 ships its own copy of click; its exceptions live here (typer is pinned).
from typer._click import exceptions as click_errors

from partnerhub import __version__
from partnerhub.config import load_partnership, write_example
from partnerhub.errors import UserError

__all__ = ["app", "main"]

app = typer.Typer(
    name="partnerhub",
    help="PartnerHub: safe data sharing for a local public-service partnership.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Piped output (a log, a CI job) gets 120 columns rather than rich's 80, so tables keep their
# columns whole; a terminal uses its own width.
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"partnerhub {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """PartnerHub: safe data sharing for a local public-service partnership."""


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example.")] = Path(
        "partnership.toml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example partnership.toml to start from."""
    written = write_example(path, force=force)
    load_partnership(written)  # the example must always be valid
    console.print(f"Wrote {written} — edit the partners and datasets, then run `partnerhub`.")


@app.command()
def check(
    config: Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")] = Path(
        "partnership.toml"
    ),
) -> None:
    """Validate partnership.toml and every contract it names."""
    from partnerhub.schema import builtin_contract, load_contract

    settings = load_partnership(config)
    n = 0
    for partner in settings.partners:
        for ds in partner.datasets:
            if ds.contract.startswith("builtin:"):
                builtin_contract(ds.contract.removeprefix("builtin:"))
            else:
                load_contract(settings.resolve(Path(ds.contract)))
            n += 1
    console.print(
        f"{config}: OK — {len(settings.partners)} partners, {n} datasets, contracts valid."
    )


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="The extract to check.")],
    partner: Annotated[str, typer.Option(help="Partner id in partnership.toml.")],
    dataset: Annotated[str, typer.Option(help="Dataset id of that partner.")],
    config: Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")] = Path(
        "partnership.toml"
    ),
    quarantine: Annotated[
        Path | None, typer.Option(help="Write the quarantined rows' problems here (CSV).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write the quality report here (JSON).")
    ] = None,
) -> None:
    """Check an extract against its contract without loading it: counts and problems."""
    import json
    from datetime import date

    import duckdb

    from partnerhub.ingest.load import _dataset
    from partnerhub.ingest.quality import areas_of, contract_of, quality_report
    from partnerhub.ingest.stage import stage_extract
    from partnerhub.ingest.validate import validate_staged

    settings = load_partnership(config)
    contract = contract_of(settings, _dataset(settings, partner, dataset))
    areas = areas_of(settings, contract)
    con = duckdb.connect()
    try:
        staged = stage_extract(
            con, file, contract, max_xlsx_bytes=settings.ingest.max_xlsx_uncompressed_bytes
        )
        counts = validate_staged(con, contract, date.today(), staged.ragged, areas)
        summary = quality_report(con, staged, counts, contract)
        problems_frame = con.execute("SELECT * FROM quarantine").fetchdf()
    finally:
        con.close()
    _print_report(summary, f"{file}: {contract.name}")
    if quarantine is not None:
        problems_frame.to_csv(quarantine, index=False, lineterminator="\n")
        console.print(f"Quarantine (line, column, value, reason) written to {quarantine}.")
    if report is not None:
        report.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        console.print(f"Quality report written to {report}.")


@app.command()
def encode(
    file: Annotated[Path, typer.Argument(help="The extract to encode (as the contract says).")],
    partner: Annotated[str, typer.Option(help="Partner id in partnership.toml.")],
    dataset: Annotated[str, typer.Option(help="Dataset id of that partner.")],
    secret_file: Annotated[
        Path,
        typer.Option(help="The partnership's shared encoding secret (never sent to the hub)."),
    ],
    out: Annotated[Path, typer.Option(help="Where to write the encoded extract (CSV).")],
    config: Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")] = Path(
        "partnership.toml"
    ),
) -> None:
    """Privacy-preserving mode: encode an extract's identifiers on your own machine.

    Writes OUT with the attributes, the areas of each postcode and keyed Bloom-filter
    encodings of the identifiers; no name, date of birth, NHS number, address or postcode.
    Send OUT to the hub and load it with `partnerhub ingest` as usual.
    """
    from partnerhub.geography import load_postcode_lookup
    from partnerhub.identity.pprl import load_secret
    from partnerhub.ingest.encode import encode_extract
    from partnerhub.ingest.load import _dataset
    from partnerhub.ingest.quality import contract_of

    settings = load_partnership(config)
    contract = contract_of(settings, _dataset(settings, partner, dataset))
    if not file.is_file():
        raise UserError(f"{file}: file not found — check the path")
    secret = load_secret(secret_file)
    lookup = load_postcode_lookup(settings.resolve(settings.geography.postcode_lookup))
    result = encode_extract(
        contract,
        file,
        secret,
        out,
        lookup,
        max_xlsx_bytes=settings.ingest.max_xlsx_uncompressed_bytes,
    )
    console.print(
        f"{file}: encoded {result.encoded:,} of {result.received:,} rows to {result.out}",
        highlight=False,
    )
    for warning in result.warnings:
        console.print(f"  warning: {warning}", highlight=False)
    if result.unresolved_postcodes:
        console.print(
            f"  {result.unresolved_postcodes:,} postcode(s) not in the lookup at their date: "
            "those rows have no area",
            highlight=False,
        )
    if result.quarantine_file is not None:
        console.print(
            f"  {result.quarantined:,} row(s) not encoded — problems listed in "
            f"{result.quarantine_file}; fix them and encode again",
            highlight=False,
        )


def _print_report(summary: dict[str, Any], title: str) -> None:
    """A data-quality report as tables (counts and reasons; never a value)."""
    table = Table(title=title)
    for col in ("received", "valid", "quarantined", "duplicates"):
        table.add_column(col, justify="right")
    table.add_row(*(f"{summary[c]:,}" for c in ("received", "valid", "quarantined", "duplicates")))
    console.print(table)
    for warning in summary["warnings"]:
        console.print(f"warning: {warning}")
    problems = Table(title="Problems by column (no values shown)")
    problems.add_column("column")
    problems.add_column("completeness", justify="right")
    problems.add_column("problems")
    for col in summary["columns"]:
        if col["invalid"] or col["required"]:
            reasons = "; ".join(
                [f"{k} ×{v}" for k, v in col["reasons"].items()]
                + [f"{k} ×{v} (dropped, row kept)" for k, v in col.get("dropped", {}).items()]
            )
            filled = "" if col["completeness"] is None else f"{col['completeness']:.1%}"
            problems.add_row(col["column"], filled, reasons or "—")
    console.print(problems)
    dropped = summary.get("dropped_identifiers") or {}
    if dropped.get("values"):
        console.print(
            f"{dropped['values']:,} invalid optional identifier(s) dropped from "
            f"{dropped['rows']:,} row(s) that loaded (the facts are kept)"
        )
    drift = summary.get("drift")
    if drift:
        change = drift["received_change"]
        shown = "—" if change is None else f"{change:+.1%}"
        moved = len(drift["completeness"]) + sum(len(v) for v in drift["codes"].values())
        console.print(
            f"drift since the previous extract: rows {shown}; {moved} share(s) moved by more "
            "than 5 points"
        )


@app.command()
def ingest(
    target: Annotated[
        Path | None,
        typer.Argument(help="An extract file, or a folder of a partner's extracts."),
    ] = None,
    partner: Annotated[str | None, typer.Option(help="Partner id in partnership.toml.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="Dataset id (needed with a file argument).")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Every dataset in partnership.toml, from its path.")
    ] = False,
    config: Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")] = Path(
        "partnership.toml"
    ),
    report: Annotated[
        Path | None, typer.Option(help="Write the loads' quality reports here (JSON).")
    ] = None,
) -> None:
    """Validate, pseudonymise and load extracts into the vault, atomically."""
    import json

    from partnerhub.hub import open_hub
    from partnerhub.ingest.load import ingest_all, ingest_directory, ingest_file

    with open_hub(load_partnership(config)) as hub, hub.writer() as stores:
        if all_:
            if target is not None or partner is not None or dataset is not None:
                raise UserError(
                    "--all loads every dataset of partnership.toml: give no file, "
                    "--partner or --dataset with it"
                )
            results = ingest_all(stores)
        elif partner is None:
            raise UserError(
                "say what to load: --partner P --dataset D FILE, --partner P FOLDER, or --all"
            )
        elif target is not None and target.is_dir():
            results = ingest_directory(stores, partner, target)
        elif dataset is None:
            raise UserError("--dataset is needed to load one dataset (or give a folder)")
        else:
            results = [ingest_file(stores, partner, dataset, target)]
    _print_loads(results)
    if report is not None:
        reports = [
            {
                "partner": r.partner,
                "dataset": r.dataset,
                "load": r.load_id,
                "status": r.status,
                "message": r.message,
                "report": r.report,
            }
            for r in results
        ]
        report.write_text(json.dumps(reports, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"Quality reports written to {report}.")
    rejected = [r for r in results if r.status == "rejected"]
    if rejected:
        for r in rejected:
            err_console.print(f"partnerhub: error: {r.message}", soft_wrap=True, highlight=False)
        raise typer.Exit(2)


def _print_loads(results: list[Any]) -> None:
    table = Table(title="Loads")
    for col in (
        "dataset",
        "load",
        "status",
        "received",
        "loaded",
        "quarantined",
        "unresolved pc",
        "drift",
    ):
        table.add_column(col, justify="left" if col in ("dataset", "status") else "right")
    for r in results:
        rep = r.report or {}
        drift = rep.get("drift")
        change = drift.get("received_change") if drift else None
        table.add_row(
            f"{r.partner}/{r.dataset}",
            str(r.load_id or ""),
            r.status,
            f"{rep['received']:,}" if rep else "",
            f"{rep['valid']:,}" if rep else "",
            f"{rep['quarantined']:,}" if rep else "",
            f"{rep.get('unresolved_postcodes', 0):,}" if rep else "",
            "" if change is None else f"{change:+.1%}",
        )
    console.print(table)
    for r in results:
        if r.status != "loaded":
            console.print(f"{r.partner}/{r.dataset}: {r.message}", soft_wrap=True)


@app.command()
def status(
    config: Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")] = Path(
        "partnership.toml"
    ),
    history: Annotated[int, typer.Option(help="How many recent loads to list.")] = 20,
) -> None:
    """Rows per vault table and the load history: counts only, never a row."""
    from partnerhub.hub import open_hub

    # a writer: an operator's command that finishes (or undoes) any interrupted load first
    with open_hub(load_partnership(config)) as hub, hub.writer() as stores:
        counts = stores.vault.counts() + stores.identity.counts()
        loads = stores.control.history(history)
        current = {ld.id for ld in stores.control.current_loads().values()}
    table = Table(title="Vault and identity store (row counts)")
    for col in ("table", "rows (all loads)", "rows (current loads)"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for c in counts:
        if c.rows:
            live = (
                "—"
                if c.table in ("source_record", "encoded_record", "person_index")
                else f"{c.current_rows:,}"
            )
            table.add_row(c.table, f"{c.rows:,}", live)
    console.print(table)
    table = Table(title=f"Load history (newest {history})")
    for col in (
        "load",
        "dataset",
        "status",
        "received",
        "loaded",
        "quarantined",
        "finished",
        "file sha256",
    ):
        table.add_column(
            col, justify="right" if col in ("load", "received", "loaded", "quarantined") else "left"
        )
    for ld in loads:
        state = ld.status
        if ld.status == "loaded":
            state = "current" if ld.id in current else "superseded"
        table.add_row(
            str(ld.id),
            f"{ld.partner}/{ld.dataset}",
            state,
            *("" if v is None else f"{v:,}" for v in (ld.received, ld.loaded, ld.quarantined)),
            str(ld.finished_at or "")[:19],
            ld.file_sha256[:12],
        )
    console.print(table)


@app.command()
def link(
    config: Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")] = Path(
        "partnership.toml"
    ),
    incremental: Annotated[
        bool,
        typer.Option(help="Reuse the last run's model parameters instead of re-estimating."),
    ] = False,
    threshold: Annotated[
        float, typer.Option(help="Match probability at or above which two records link.")
    ] = 0.9,
    diagnostics: Annotated[
        Path | None,
        typer.Option(
            help="Write Splink's diagnostic charts (HTML, for identity stewards: they show "
            "identifiers) to this folder. Needs an identity steward's --token."
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="PARTNERHUB_TOKEN", help="Your API token (for --diagnostics)."),
    ] = None,
) -> None:
    """Link every current record across partners into people with stable person ids."""
    from partnerhub.hub import open_hub
    from partnerhub.identity import link_partnership

    if not 0.5 <= threshold < 1:
        raise UserError(f"--threshold {threshold}: use a probability from 0.5 to below 1")
    settings = load_partnership(config)
    with open_hub(settings) as hub, hub.writer() as stores:
        steward = _steward(stores, token) if diagnostics is not None else None
        result = link_partnership(
            stores.identity,
            stores.control,
            mode="incremental" if incremental else "full",
            threshold=threshold,
            diagnostics=diagnostics,
            on_commit=_audit_link(stores, steward),
            memory_limit=settings.linkage.memory_limit,
            temp_directory=settings.resolve(settings.linkage.temp_directory),
        )
        stores.audit.write_anchor()
    _print_link(result.run_id, result.summary)
    if diagnostics is not None:
        console.print(
            f"Diagnostics (identity stewards only: they show identifiers) in "
            f"{diagnostics / 'index.html'}",
            highlight=False,
        )


def _print_link(run_id: int, summary: dict[str, Any]) -> None:
    console.print(
        f"Link run {run_id}: {summary['records']:,} partner records "
        f"({summary['identifier_variants']:,} identifier variants) → "
        f"{summary['people']:,} people; {summary['edges']:,} links."
    )
    for warning in summary["warnings"]:
        console.print(f"warning: {warning}")
    if summary["changes"]:
        changes = ", ".join(f"{k} {v:,}" for k, v in sorted(summary["changes"].items()))
        console.print(f"person ids changed since run {summary['previous_run']}: {changes}")
    elif summary["previous_run"]:
        console.print(f"every person id of run {summary['previous_run']} kept")
    seconds = summary.get("seconds", {})
    if seconds:
        slowest = sorted(seconds.items(), key=lambda kv: -kv[1])[:3]
        console.print(
            f"Timed phases: {sum(seconds.values()):.1f} s; the slowest: "
            + ", ".join(f"{name} {s:.1f} s" for name, s in slowest)
            + ".",
            highlight=False,
        )


@app.command(name="quarantine")
def quarantine_cmd(
    load: Annotated[int, typer.Argument(help="Load number (see `partnerhub status`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="PARTNERHUB_TOKEN", help="Your API token (or set PARTNERHUB_TOKEN)."
        ),
    ] = None,
    config: Annotated[Path, typer.Option("--config", "-c", help="partnership.toml")] = Path(
        "partnership.toml"
    ),
) -> None:
    """Write a load's quarantined rows (line, column, value, reason) for the partner to fix.
    They carry the partner's identifiers: it needs a token of that partner's user or of an
    identity steward, and is audited."""
    from partnerhub.errors import AuthenticationError, PermissionDeniedError
    from partnerhub.governance import authenticate, may
    from partnerhub.hub import open_hub

    with open_hub(load_partnership(config)) as stores:  # a reader: the control plane only
        who = authenticate(stores.control, token)
        if who.is_public:
            raise AuthenticationError(
                "quarantined rows carry identifiers: pass your --token (the partner's user or "
                "an identity steward) or set PARTNERHUB_TOKEN"
            )
        found = stores.control.load(load)
        if found is None:
            raise UserError(f"no load {load} — `partnerhub status` lists the loads")
        own = who.partner == found.partner and may(who.role, "read_partner_quarantine")
        if not (own or may(who.role, "read_any_quarantine")):
            raise PermissionDeniedError(
                f"load {load} is {found.partner}'s: only {found.partner}'s users or an identity "
                f"steward may export its quarantined rows; you are "
                f"{who.role}{f' of {who.partner}' if who.partner else ''}"
            )
        frame = stores.control.quarantine_of(load)
        lines = sorted({int(x) for x in frame["line"]}) if len(frame) else []
        stores.audit.append(
            who.name,
            "quarantine_export",
            f"load {load}",
            {
                "partner": found.partner,
                "dataset": found.dataset,
                "lines": lines,
                "problems": len(frame),
                "file": out.name,
            },
        )
    frame.to_csv(out, index=False, lineterminator="\n")
    console.print(
        f"{len(frame):,} problem(s) in {len(lines):,} row(s) "
        f"of load {load} ({found.partner}/{found.dataset}) written to {out}."
    )


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Empty folder to write into.")],
    people: Annotated[int, typer.Option(help="Residents of the synthetic county.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 1,
) -> None:
    """Generate a synthetic partnership: extracts, geography, area tables and truth/."""
    _synth(out, people, seed)


def _synth(out: Path, people: int, seed: int) -> dict[str, int]:
    from partnerhub.synth.partnership import generate

    start = time.perf_counter()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        task = progress.add_task("Starting", total=None)

        def report(message: str) -> None:
            progress.update(task, description=message)
            if not console.is_terminal:
                console.print(f"  {message}")

        result = generate(out, people, seed, progress=report)
    table = Table(title=f"Synthetic partnership in {out} ({people:,} people, seed {seed})")
    table.add_column("extract")
    table.add_column("rows", justify="right")
    for name, rows in sorted(result.counts.items()):
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        f"Done in {time.perf_counter() - start:.1f} s. Ground truth is in {out / 'truth'}."
    )
    return result.counts


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the demo partnership.")
    ] = Path("demo-data"),
    people: Annotated[int, typer.Option(help="Residents of the synthetic county.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    fresh: Annotated[bool, typer.Option(help="Delete and regenerate an existing demo.")] = True,
    serve: Annotated[
        bool, typer.Option(help="Serve the dashboard on http://127.0.0.1:PORT at the end.")
    ] = True,
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8000,
) -> None:
    """Run every step built so far on a fresh synthetic partnership, then serve the dashboard."""
    if out.exists() and fresh:
        if not (out / "partnership.toml").exists():
            raise UserError(
                f"{out} exists and is not a PartnerHub demo folder — pass another --out"
            )
        shutil.rmtree(out)
    console.rule("1. Synthetic partnership")
    _synth(out, people, seed)
    console.rule("2. Configuration")
    settings = load_partnership(out / "partnership.toml")
    console.print(
        f"{out / 'partnership.toml'}: {len(settings.partners)} partners, "
        f"{sum(len(p.datasets) for p in settings.partners)} datasets."
    )
    console.rule("3. Ingest: every partner extract → validate → pseudonymise → vault")
    from partnerhub.hub import open_hub
    from partnerhub.ingest.load import ingest_all

    with open_hub(settings) as hub, hub.writer() as stores:
        results = ingest_all(stores)
        counts = stores.vault.counts()
    _print_loads(results)
    _show_quality(results)
    table = Table(title="The vault: rows per table (counts only — the vault cannot be browsed)")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for c in counts:
        if c.current_rows:
            table.add_row(c.table, f"{c.current_rows:,}")
    console.print(table)
    console.rule("4. Identity: link every partner's records into people (Splink)")
    _demo_link(settings, out)
    console.rule("5. Governance: agreements, the gate, disclosure control, the audit log")
    _governance.demo_governance(out / "partnership.toml")
    console.rule("6. Indicators: the National Indicator library by district, through the gate")
    from partnerhub.cli.indicators import demo_indicators

    token = demo_indicators(out / "partnership.toml")
    console.rule("7. What the synthetic partnership planted (truth/, never an input)")
    _show_planted(out)
    console.rule("Next steps (not built yet)")
    console.print(
        "risk and capacity → eligibility → events → causal → performance framework. "
        "Each arrives with its issue."
    )
    if serve:
        console.rule("8. The dashboard")
        _governance.serve_dashboard(out / "partnership.toml", port, token)


def _steward(stores: Any, token: str | None) -> str:
    """The identity steward asking for identifier-bearing diagnostics, or an error."""
    from partnerhub.errors import AuthenticationError, PermissionDeniedError
    from partnerhub.governance import authenticate, may

    who = authenticate(stores.control, token)
    if who.is_public:
        raise AuthenticationError(
            "--diagnostics shows identifiers: pass an identity steward's --token "
            "(or set PARTNERHUB_TOKEN)"
        )
    if not may(who.role, "read_identifiers"):
        raise PermissionDeniedError(
            "--diagnostics shows identifiers: only identity stewards may write it, "
            f"not a {who.role}"
        )
    return who.name


def _audit_link(stores: Any, steward: str | None) -> Any:
    from partnerhub.governance.users import operator

    def on_commit(session: Any, run_id: int, summary: dict[str, Any]) -> None:
        detail = {
            "mode": summary.get("mode"),
            "records": summary.get("records"),
            "people": summary.get("people"),
            "diagnostics_for": steward,
        }
        stores.audit.append(operator(), "link_run", f"link run {run_id}", detail, session=session)

    return on_commit


def _demo_link(settings: Any, out: Path) -> None:
    """Link, then score the person index against the synthetic truth (demo only)."""
    import pandas as pd

    from partnerhub.hub import open_hub
    from partnerhub.identity import current_person_index, link_partnership, score_index

    with open_hub(settings) as hub, hub.writer() as stores:
        run = link_partnership(
            stores.identity,
            stores.control,
            on_commit=_audit_link(stores, None),
            memory_limit=settings.linkage.memory_limit,
            temp_directory=settings.resolve(settings.linkage.temp_directory),
        )
        stores.audit.write_anchor()
        index = current_person_index(stores.identity, stores.control)
        loads = [ld.id for ld in stores.control.current_loads().values()]
        source = stores.identity.records_for_linkage(loads)
        key = hub.key
    _print_link(run.run_id, run.summary)
    truth = pd.read_parquet(out / "truth" / "source_records.parquet")
    truth["record_key"] = [
        key.record_key(p, lid) for p, lid in zip(truth["partner"], truth["local_id"], strict=True)
    ]
    truth = truth[["partner", "record_key", "person_id"]].rename(
        columns={"person_id": "true_person"}
    )
    q = score_index(index, source, truth)
    table = Table(title="Linkage quality against the synthetic truth (records with identifiers)")
    for col in ("records", "precision", "recall", "F1", "people split", "clusters mixing people"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{q['records']:,}",
        f"{q['precision']:.4f}",
        f"{q['recall']:.4f}",
        f"{q['f1']:.4f}",
        f"{q['people_split']:,}",
        f"{q['clusters_mixing_people']:,}",
    )
    console.print(table)


def _show_quality(results: list[Any]) -> None:
    """The data-quality summary of each load: the main problem and the least complete field."""
    table = Table(title="Data quality per load (aggregates; no values)")
    for col in ("dataset", "main problem", "rows", "least complete field"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for r in results:
        if not r.report:
            continue
        reasons: dict[str, int] = {}
        for col in r.report["columns"]:
            for reason, n in col["reasons"].items():
                reasons[reason] = reasons.get(reason, 0) + n
            for reason, n in col.get("dropped", {}).items():
                shown = f"{reason} (dropped, row kept)"
                reasons[shown] = reasons.get(shown, 0) + n
        top = max(reasons, key=lambda k: reasons[k]) if reasons else "—"
        filled = [c for c in r.report["columns"] if c["completeness"] is not None]
        low = min(filled, key=lambda c: c["completeness"]) if filled else None
        table.add_row(
            f"{r.partner}/{r.dataset}",
            top,
            f"{reasons[top]:,}" if reasons else "",
            f"{low['column']} {low['completeness']:.0%}" if low else "—",
        )
    console.print(table)


def _show_planted(out: Path) -> None:
    from partnerhub.synth.partnership import planted_summary

    noise, effects = planted_summary(out)
    table = Table(title="Identifier noise per partner (share of records)")
    cols = ("nhs_missing", "given_typo", "nickname", "dob_swap", "stale_address", "duplicate")
    table.add_column("partner")
    for col in cols:
        table.add_column(col.replace("_", " "), justify="right")
    for partner, row in noise.iterrows():
        table.add_row(str(partner), *(f"{row[c]:.1%}" for c in cols))
    console.print(table)
    table = Table(title="Planted causal effects (per SD of the measure) vs the naive estimate")
    for col in ("effect", "scale", "planted", "naive"):
        table.add_column(col, justify="right" if col in ("planted", "naive") else "left")
    for name, scale, planted, naive in effects:
        table.add_row(name, scale, f"{planted:+.3f}", f"{naive:+.3f}")
    console.print(table)


# Governance commands (agreements, users, audit, releases, serve) live in their own module.
from partnerhub.cli import governance as _governance  # noqa: E402
from partnerhub.cli.indicators import indicators_app  # noqa: E402
from partnerhub.cli.loads import loads_app  # noqa: E402
from partnerhub.cli.review import review_app  # noqa: E402

_governance.register(app)
app.add_typer(review_app, name="review")
app.add_typer(indicators_app, name="indicators")
app.add_typer(loads_app, name="loads")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn user mistakes into one line and exit code 2."""
    try:
        code = app(args=argv, prog_name="partnerhub", standalone_mode=False)
    except UserError as exc:
        err_console.print(
            f"partnerhub: error: {exc}", markup=False, highlight=False, soft_wrap=True
        )
        return exc.exit_code
    except click_errors.NoArgsIsHelpError:
        return 0
    except click_errors.UsageError as exc:
        hint = f" — run `{exc.ctx.command_path} --help`" if exc.ctx is not None else ""
        err_console.print(
            f"partnerhub: error: {exc.format_message()}{hint}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console.print("partnerhub: aborted")
        return 130
    return code if isinstance(code, int) else 0  # typer.Exit(n) comes back as n


if __name__ == "__main__":
    sys.exit(main())
