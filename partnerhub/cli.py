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
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# Typer 0.29 ships its own copy of click; its exceptions live here (typer is pinned).
from typer._click import exceptions as click_errors

from partnerhub import __version__
from partnerhub.config import Partnership, load_partnership, write_example
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
console = Console()
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

    from partnerhub.ingest import quality_report, read_extract, validate_extract
    from partnerhub.schema import builtin_contract, load_contract

    settings = load_partnership(config)
    ds = next((d for d in settings.partner(partner).datasets if d.id == dataset), None)
    if ds is None:
        known = ", ".join(d.id for d in settings.partner(partner).datasets)
        raise UserError(
            f"partner {partner} has no dataset {dataset!r} in {config}; it has: {known}"
        )
    contract = (
        builtin_contract(ds.contract.removeprefix("builtin:"))
        if ds.contract.startswith("builtin:")
        else load_contract(settings.resolve(Path(ds.contract)))
    )
    raw = read_extract(file, contract)
    checked = validate_extract(raw, contract, date.today())
    summary = quality_report(raw, checked, contract)
    table = Table(title=f"{file}: {contract.name}")
    for col in ("received", "valid", "quarantined"):
        table.add_column(col, justify="right")
    table.add_row(*(f"{summary[c]:,}" for c in ("received", "valid", "quarantined")))
    console.print(table)
    for warning in summary["warnings"]:
        console.print(f"warning: {warning}")
    problems = Table(title="Problems by column (no values shown)")
    problems.add_column("column")
    problems.add_column("completeness", justify="right")
    problems.add_column("problems")
    for col in summary["columns"]:
        if col["invalid"] or col["required"]:
            reasons = "; ".join(f"{k} ×{v}" for k, v in col["reasons"].items())
            filled = "" if col["completeness"] is None else f"{col['completeness']:.1%}"
            problems.add_row(col["column"], filled, reasons or "—")
    console.print(problems)
    if quarantine is not None:
        checked.quarantine.to_csv(quarantine, index=False, lineterminator="\n")
        console.print(f"Quarantine (line, column, value, reason) written to {quarantine}.")
    if report is not None:
        report.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        console.print(f"Quality report written to {report}.")


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
) -> None:
    """Run every step built so far on a fresh synthetic partnership."""
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
    console.rule("3. Checking every extract against its contract (ingest, first slice)")
    _show_checks(settings)
    console.rule("4. What the synthetic partnership planted (truth/, never an input)")
    _show_planted(out)
    console.rule("Next steps (not built yet)")
    console.print(
        "load into the vault → link → indicators → risk and capacity → eligibility → events → "
        "causal → performance framework → dashboard. Each arrives with its issue."
    )


def _show_checks(settings: Partnership) -> None:
    from datetime import date

    from partnerhub.ingest import check_partnership

    reports = check_partnership(settings, date.today())
    table = Table(title="Extracts read and validated (nothing loaded yet)")
    for col in ("extract", "received", "valid", "quarantined", "main reason"):
        table.add_column(col, justify="left" if col in ("extract", "main reason") else "right")
    for r in reports:
        reasons: dict[str, int] = {}
        for col in r["columns"]:
            for reason, n in col["reasons"].items():
                reasons[reason] = reasons.get(reason, 0) + n
        top = max(reasons, key=lambda k: reasons[k]) if reasons else "—"
        table.add_row(
            r["contract"], f"{r['received']:,}", f"{r['valid']:,}", f"{r['quarantined']:,}", top
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


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn user mistakes into one line and exit code 2."""
    try:
        app(args=argv, prog_name="partnerhub", standalone_mode=False)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
