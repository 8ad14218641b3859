"""`partnerhub indicators list|show|validate|compute|import|chart`: the National Indicator
library, survey indicators imported as values, and charts of released indicators.

`compute` is a release: it checks the agreement, computes in the vault, applies disclosure
control and stores the result (then `partnerhub releases download` fetches it).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from partnerhub.cli.governance import DEFAULT_CONFIG, Config, Token, _hub, _who
from partnerhub.config import load_partnership
from partnerhub.errors import NotFoundError, UserError
from partnerhub.geography import INDICATOR_LEVELS, boundaries_folder, one_of

__all__ = ["indicators_app"]

console = Console(width=None if sys.stdout.isatty() else 160)
indicators_app = typer.Typer(
    help="National Indicators: the library of specs, and computing them by area.",
    no_args_is_help=True,
)
Library = Annotated[
    Path | None,
    typer.Option("--library", help="Folder of indicator specs (default: the built-in library)."),
]


def _library(folder: Path | None) -> list[Any]:
    from partnerhub.indicators.spec import load_library

    return load_library(folder)


def _find(indicator: str, folder: Path | None):  # type: ignore[no-untyped-def]
    wanted = indicator.upper().replace("NI", "NI ").replace("  ", " ").strip()
    for spec in _library(folder):
        if spec.id.upper() == wanted or spec.slug == indicator.lower().replace(" ", ""):
            return spec
    raise NotFoundError(
        f"no indicator {indicator!r} in the library — `partnerhub indicators list` names them"
    )


OptionalConfig = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="partnership.toml: also say which indicators its datasets can feed.",
    ),
]


def _configured_sources(config: Path | None) -> set[str] | None:
    """``partner/dataset`` of every dataset a partnership names (None without ``-c``)."""
    if config is None:
        return None
    partnership = load_partnership(config)
    return {f"{p.id}/{d.id}" for p in partnership.partners for d in p.datasets}


@indicators_app.command("list")
def indicators_list(library: Library = None, config: OptionalConfig = None) -> None:
    """Every indicator in the library, with its statistic and sources (with ``-c``: whether
    the partnership's datasets include every source it needs)."""
    configured = _configured_sources(config)
    table = Table(title="Indicator library")
    columns = ["id", "title", "statistic", "period", "polarity", "sources"]
    if configured is not None:
        columns.append("in this partnership")
    for col in columns:
        table.add_column(col)
    for s in _library(library):
        row = [s.id, s.title, s.statistic, s.period, s.polarity, ", ".join(s.sources)]
        if configured is not None:
            missing = [src for src in s.sources if src not in configured]
            row.append("missing " + ", ".join(missing) if missing else "yes")
        table.add_row(*row)
    console.print(table)


@indicators_app.command("show")
def indicators_show(indicator: str, library: Library = None, config: OptionalConfig = None) -> None:
    """One indicator's spec: definition, statistic, numerator and denominator."""
    configured = _configured_sources(config)
    s = _find(indicator, library)
    console.print(f"[bold]{s.id}[/bold] {s.title} (version {s.version})")
    console.print(s.description, markup=False)
    console.print(f"Definition: {s.definition}", markup=False)
    console.print(
        f"Statistic: {s.statistic} ({s.unit or 'no unit'}), CI: {s.ci_method}; polarity: "
        f"{s.polarity}; period: {s.period}; effective from {s.effective_from}"
        + (f" to {s.effective_to}" if s.effective_to else "")
        + (f"; successor {s.successor}" if s.successor else "")
        + (f"; predecessor {s.predecessor}" if s.predecessor else ""),
        markup=False,
    )
    console.print(f"Sources: {', '.join(s.sources)}; file {s.path}", markup=False)
    if configured is not None:
        missing = [src for src in s.sources if src not in configured]
        console.print(
            f"Not in {config}: {', '.join(missing)}"
            if missing
            else f"Every source is a dataset of {config}.",
            markup=False,
        )
    dump = s.model_dump(include={"numerator", "denominator"}, exclude_none=True, by_alias=True)
    for part, body in dump.items():
        console.print(f"{part}: {body}", markup=False)


@indicators_app.command("validate")
def indicators_validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Spec files or folders.")] = None,
    library: Library = None,
) -> None:
    """Check spec files (each mistake names the file, the field and the fix)."""
    from partnerhub.indicators.spec import load_library, load_spec

    specs = []
    targets: list[Path | None] = list(paths) if paths else [library]
    for p in targets:
        if p is None or p.is_dir():
            specs += load_library(p)
        else:
            specs.append(load_spec(p))
    console.print(f"{len(specs)} indicator spec(s) valid.")


@indicators_app.command("compute")
def indicators_compute(
    indicator: Annotated[
        list[str] | None, typer.Argument(help="Indicator ids, e.g. 'NI 15' (default: all).")
    ] = None,
    level: Annotated[str, typer.Option(help=f"{one_of(INDICATOR_LEVELS, ' or ')}.")] = "ward",
    purpose: Annotated[str, typer.Option(help="Purpose, as named in the agreement.")] = (
        "performance_management"
    ),
    first: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    last: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
    library: Library = None,
) -> None:
    """Compute indicators by area and release them through the gate (analysts)."""
    if level not in INDICATOR_LEVELS:
        raise UserError(f"--level {level!r}: use one of {one_of(INDICATOR_LEVELS)}")
    specs = [_find(i, library) for i in indicator] if indicator else _library(library)
    released = compute_and_release(config, specs, level, purpose, token, first, last)
    table = Table(title=f"Released by {level} (disclosure controlled)")
    for col in ("release", "indicator", "periods", "cells", "suppressed"):
        table.add_column(col)
    for row in released:
        table.add_row(*row)
    console.print(table)
    console.print("`partnerhub releases download ID --out FILE` fetches one (Fingertips CSV).")


@indicators_app.command("import")
def indicators_import(
    file: Annotated[Path, typer.Argument(help="CSV in the Fingertips layout (UTF-8).")],
    indicator: Annotated[str, typer.Option(help="The importable NI, e.g. 'NI 5'.")],
    source: Annotated[
        str, typer.Option(help="Where the values come from, e.g. 'Place Survey 2008'.")
    ],
    polarity: Annotated[
        str, typer.Option(help="high_is_good, low_is_good or none (for the comparison).")
    ] = "none",
    purpose: Annotated[str, typer.Option(help="Purpose, as named in the agreement.")] = (
        "performance_management"
    ),
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Import a survey or published indicator by area and period, released through the gate
    (analysts). The whole file is checked first: one bad row and nothing is imported."""
    from partnerhub.indicators.run import import_indicator

    with _hub(config) as hub:
        who = _who(hub, token, "analyst")
        summaries = import_indicator(
            hub.settings, hub.gate, who, indicator, file, source, purpose, polarity
        )
    table = Table(title=f"Imported from {file.name} (disclosure controlled)")
    for col in ("release", "indicator", "level", "periods", "rows", "suppressed"):
        table.add_column(col)
    for s in summaries:
        sup = s["disclosure"]["suppressed"]
        table.add_row(
            str(s["id"]),
            s["indicator"],
            s["level"],
            f"{s['periods'][0]} – {s['periods'][1]}",
            str(s["disclosure"]["cells"]),
            str(sup.get("primary", 0)),
        )
    console.print(table)
    console.print("`partnerhub releases download ID --out FILE` fetches one (Fingertips CSV).")


@indicators_app.command("chart")
def indicators_chart(
    release_id: Annotated[int, typer.Argument(help="An indicator release (its id).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: .svg or .png.")],
    kind: Annotated[str, typer.Option(help="compare, trend, funnel or map.")] = "compare",
    period: Annotated[str | None, typer.Option(help="Time period (default: the latest).")] = None,
    area: Annotated[str | None, typer.Option(help="Area code (for --kind trend).")] = None,
    token: Token = None,
    config: Config = DEFAULT_CONFIG,
) -> None:
    """Draw a chart of an indicator release you may read, as SVG or PNG (for reports)."""
    from partnerhub.indicators.charts import CHART_KINDS, chart_for_release, render_chart

    if kind not in CHART_KINDS:
        raise UserError(f"--kind {kind!r}: use one of {', '.join(CHART_KINDS)}")
    if out.suffix.lower() not in (".svg", ".png"):
        raise UserError(f"--out {out}: write a .svg or a .png file")
    with _hub(config) as hub:
        release = hub.gate.download(_who(hub, token), release_id)
        settings = hub.settings
    spec = chart_for_release(
        release.content,
        release.query,
        kind,
        period=period,
        area=area,
        boundaries=boundaries_folder(settings),
    )
    render_chart(spec, out)
    console.print(f"{kind} chart of release {release_id} written to {out}.")


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{option} {text!r}: write the date as YYYY-MM-DD") from None


def compute_and_release(
    config: Path,
    specs: list[Any],
    level: str,
    purpose: str,
    token: str | None,
    first: str | None,
    last: str | None,
) -> list[tuple[str, ...]]:
    from partnerhub.indicators.run import plan_periods, release_indicators

    with _hub(config) as hub:
        lo, hi = _date(first, "--from"), _date(last, "--to")
        with hub.reader() as vault:
            plans, skipped = plan_periods(vault, specs, lo, hi)
        for ident, why in skipped.items():
            console.print(f"{ident} not computed: {why}.", markup=False)
        who = _who(hub, token, "analyst")
        summaries = release_indicators(hub.settings, hub.gate, who, plans, level, purpose)
    out: list[tuple[str, ...]] = []
    for s in summaries:
        sup = s["disclosure"]["suppressed"]
        out.append(
            (
                str(s["id"]),
                s["indicator"],
                f"{s['periods'][0]} – {s['periods'][1]}",
                str(s["disclosure"]["cells"]),
                f"{sup.get('primary', 0)} + {sup.get('secondary', 0)}",
            )
        )
    return out


def demo_indicators(config: Path) -> str:
    """The demo's indicator step: every indicator of the library by district and ward,
    released through the gate to an analyst, and one of them shown as released. Returns the
    demo analyst's token (for the dashboard)."""
    import io

    import pandas as pd

    from partnerhub.governance import add_user, issue_token

    with _hub(config) as hub:
        add_user(hub.control, "demo-indicators", "analyst", "asc")
        token = issue_token(hub.control, "demo-indicators")
    specs = _library(None)
    rows = compute_and_release(config, specs, "lad", "performance_management", token, None, None)
    wards = compute_and_release(config, specs, "ward", "performance_management", token, None, None)
    for name, done in (("district", rows), ("ward", wards)):
        withheld = sum(int(r[4].split(" + ")[0]) + int(r[4].split(" + ")[1]) for r in done)
        console.print(
            f"{len(done)} of {len(specs)} indicators computed in the vault and released by "
            f"{name} (releases {done[0][0]}–{done[-1][0]}); cells withheld by disclosure "
            f"control: {withheld}."
        )
    with _hub(config) as hub:
        who = _who(hub, token)
        shown = next(r for r in rows if r[1] == "NI 125")
        content = hub.gate.download(who, int(shown[0])).content
    frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
    table = Table(title=f"Release {shown[0]}: NI 125 by district, as released (Fingertips layout)")
    cols = [
        "Area Name",
        "Time period",
        "Value",
        "Lower CI 95.0 limit",
        "Upper CI 95.0 limit",
        "Count",
        "Denominator",
        "Compared to parent",
    ]
    for col in cols:
        table.add_column(col)
    for values in frame.loc[:, cols].itertuples(index=False):
        table.add_row(*[escape(str(v)) for v in values])  # "[c]" is not markup
    console.print(table)
    _demo_survey(config, token)
    return token


def _demo_survey(config: Path, token: str) -> None:
    """The demo's survey indicator: NI 5 (the synthetic Place Survey) imported as published
    values, and a map of it by ward drawn for a report."""
    from partnerhub.indicators.charts import chart_for_release, render_chart
    from partnerhub.indicators.run import import_indicator

    with _hub(config) as hub:
        settings = hub.settings
        survey = settings.root / "extracts" / "surveys" / "ni5_place_survey.csv"
        if not survey.exists():
            return
        who = _who(hub, token)
        summaries = import_indicator(
            settings,
            hub.gate,
            who,
            "NI 5",
            survey,
            "Place Survey 2008/09 (synthetic)",
            "performance_management",
            "high_is_good",
        )
        ward = next(s for s in summaries if s["level"] == "ward")
        release = hub.gate.download(who, int(ward["id"]))
    withheld = sum(s["disclosure"]["suppressed"].get("primary", 0) for s in summaries)
    console.print(
        f"NI 5 (a survey indicator) imported as published values from {survey.name}: releases "
        f"{', '.join(str(s['id']) for s in summaries)} by "
        f"{', '.join(s['level'] for s in summaries)}; rows withheld for small samples: {withheld}."
    )
    spec = chart_for_release(
        release.content, release.query, "map", boundaries=boundaries_folder(settings)
    )
    out = settings.root / "charts" / "ni5-by-ward.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    render_chart(spec, out)
    console.print(f"A map of NI 5 by ward for a report: {out} (`partnerhub indicators chart`).")
