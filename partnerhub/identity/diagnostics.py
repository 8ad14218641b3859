"""Linkage diagnostics for identity stewards, as HTML: where truth is unknown (real data), these
are how a steward judges a model.

* ``match_weights.html`` — Splink's match-weight chart: each comparison level's partial weight;
* ``m_u_parameters.html`` — the m and u probabilities behind them;
* ``unlinkables.html`` — the share of records that could not be linked even to themselves at a
  given threshold (too little identifying information);
* ``waterfall.html`` — for a sample of linked pairs (the least certain links first), how each
  comparison adds up to the match weight. **This chart shows identifier values** (encodings in
  privacy-preserving mode): it is for identity stewards only and is written beside the
  identity store.
* ``index.html`` — the run's figures and links to the charts.
"""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from partnerhub.vault.backend import quote

__all__ = ["WATERFALL_PAIRS", "write_diagnostics"]

WATERFALL_PAIRS = 12


def write_diagnostics(
    out: Path,
    linker: Linker,
    con: duckdb.DuckDBPyConnection,
    predictions: list[str],
    threshold: float,
    summary: dict[str, Any],
) -> list[Path]:
    """Write the charts to ``out``; ``predictions``: physical names of this run's scored pairs."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    charts: dict[str, Any] = {
        "match_weights.html": linker.visualisations.match_weights_chart(),
        "m_u_parameters.html": linker.visualisations.m_u_parameters_chart(),
        "unlinkables.html": linker.evaluation.unlinkables_chart(),
    }
    sample = _waterfall(linker, con, predictions, threshold)
    if sample is not None:
        charts["waterfall.html"] = sample
    for name, chart in charts.items():
        path = out / name
        chart.save(str(path))
        written.append(path)
    index = out / "index.html"
    index.write_text(_index(threshold, summary, list(charts)), encoding="utf-8")
    return [index, *written]


def _waterfall(
    linker: Linker, con: duckdb.DuckDBPyConnection, predictions: list[str], threshold: float
) -> Any:
    """Score a sample of this run's links again with every intermediate column kept (Splink
    keeps them only if asked, which a full prediction cannot afford) and chart them."""
    if not predictions:
        return None
    union = " UNION ALL ".join(
        f"SELECT unique_id_l, unique_id_r, match_probability FROM {quote(p)} "
        "WHERE match_probability >= $threshold"
        for p in predictions
    )
    pairs = con.execute(
        f"SELECT unique_id_l, unique_id_r FROM ({union}) "
        "ORDER BY match_probability, unique_id_l, unique_id_r LIMIT $pairs",
        {"threshold": float(threshold), "pairs": WATERFALL_PAIRS},
    ).fetchall()
    if not pairs:
        return None
    ids = sorted({i for pair in pairs for i in pair})
    marks = ", ".join("?" for _ in ids)
    con.execute(
        f"CREATE OR REPLACE TABLE _waterfall_records AS SELECT * FROM records "
        f"WHERE unique_id IN ({marks})",
        ids,
    )
    model = linker.misc.save_model_to_json()
    model["retain_intermediate_calculation_columns"] = True
    model["retain_matching_columns"] = True
    model["blocking_rules_to_generate_predictions"] = []  # every pair of the few records
    db_api = DuckDBAPI(con)
    table = db_api.register("_waterfall_records", table_name="_waterfall_records")
    small = Linker(table, model, log_level=logging.ERROR)
    for column in _tf_columns(model):  # term frequencies of the whole run, not the sample
        tf = linker.table_management.compute_tf_table(column)
        con.execute(
            f"CREATE OR REPLACE TABLE {quote(f'_waterfall_tf_{column}')} "
            f"AS SELECT * FROM {quote(tf.physical_name)}"
        )
        lookup = db_api.register(f"_waterfall_tf_{column}", table_name=f"_waterfall_tf_{column}")
        small.table_management.register_term_frequency_lookup(lookup, column)
    scored = small.inference.predict().as_record_list()
    wanted = {tuple(p) for p in pairs}
    records = [_printable(r) for r in scored if (r["unique_id_l"], r["unique_id_r"]) in wanted]
    return small.visualisations.waterfall_chart(records, filter_nulls=False)


def _tf_columns(model: dict[str, Any]) -> list[str]:
    columns = set()
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("tf_adjustment_column"):
                columns.add(level["tf_adjustment_column"])
    return sorted(columns)


def _printable(record: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe values (a Bloom filter is shown by its hex digits, lists as text)."""
    out = {}
    for key, value in record.items():
        if isinstance(value, bytes | bytearray):
            value = value.hex()
        elif isinstance(value, list):
            value = " ".join(map(str, value))
        out[key] = value
    return out


def _index(threshold: float, summary: dict[str, Any], charts: list[str]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v))}</td></tr>"
        for k, v in summary.items()
    )
    links = "".join(f'<li><a href="{c}">{c.removesuffix(".html")}</a></li>' for c in charts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Linkage diagnostics</title></head>
<body>
<h1>Linkage diagnostics</h1>
<p><strong>For identity stewards only.</strong> The waterfall chart shows identifier values of
sample record pairs; do not share this folder.</p>
<p>Match-probability threshold: {threshold}</p>
<table>{rows}</table>
<ul>{links}</ul>
</body></html>
"""
