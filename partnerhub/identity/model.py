"""The linkage model: a Splink Fellegi–Sunter model over the standardised identifiers, plus
deterministic edges, clustered into people.

* **Deterministic edges**: the same partner record (one record key, several identifier
  variants), and the same valid NHS number with the same date of birth.
* **Splink**: the comparisons of :mod:`.comparisons` (names, date of birth, where they live,
  sex and NHS number). u is estimated by random sampling, m by EM over blocking passes; λ is
  counted from exact deterministic rules. Comparisons, blocking rules, EM passes and λ's rules
  are those whose columns are populated (:mod:`.rules`). Blocking rules are checked for their
  comparison count before predicting.
* **Clustering**: Splink's connected components over the edges at a match-probability
  threshold.

:func:`link_records` runs these as named steps, each timed as a phase of the run summary:
load the records into the engine, count blocking comparisons, train (λ, u, m; or reuse a saved
model), predict (all blocked pairs, or only those involving new records), deterministic edges
and stewards' decisions, the review band, clustering and the stewards' diagnostics.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.clustering import cluster_pairwise_predictions_at_threshold

from partnerhub.errors import UserError
from partnerhub.identity.comparisons import blocking_rules, compared, settings
from partnerhub.identity.diagnostics import write_diagnostics
from partnerhub.identity.frames import sort_frame
from partnerhub.identity.review import REVIEW_LOW, apply_decisions, match_labels
from partnerhub.identity.rules import (
    PRIOR_RECALL,
    em_passes_for,
    populated_columns,
    prior_rules_for,
)
from partnerhub.timing import Stopwatch
from partnerhub.vault.backend import quote

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_THRESHOLD",
    "MAX_COMPARISONS",
    "LinkResult",
    "blocking_rules",
    "compared",
    "connect_engine",
    "link_records",
    "settings",
]
_PAIR = ["unique_id_l", "unique_id_r"]

DEFAULT_THRESHOLD = 0.9
DEFAULT_MEMORY_LIMIT = "4GB"  # the linkage engine's DuckDB memory limit (config: linkage.*)
MAX_COMPARISONS = 50_000_000  # per blocking rule; more means a rule is too loose for the data
_MAX_PRIOR = 0.5  # λ above this only on a handful of records that nearly all match
EXACT_COUNTS_UP_TO = 200_000  # records; above this, blocking counts are estimated from a sample
_COUNT_SAMPLE = 0.2  # of the records on each side of a blocking join (Splink's default: 0.05)
_SEED = 20261125


@dataclass(frozen=True)
class LinkResult:
    clusters: pd.DataFrame  # unique_id, cluster_id
    model: dict[str, Any]  # the trained Splink settings (parameters), for the control plane
    comparisons: dict[str, int]  # blocking rule → comparisons it generates
    edges: pd.DataFrame  # unique_id_l < unique_id_r: every link the clusters were built from
    review: pd.DataFrame  # pairs in the review band: unique_id_l, unique_id_r, match_probability
    decisions_applied: int = 0  # edges added or removed by stewards' decisions
    labels: int = 0  # match decisions used as labels to re-estimate m
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per phase
    warnings: tuple[str, ...] = ()  # about the data (e.g. no pair to estimate λ from)


def _check_blocking(table: Any, records: int, rules: list[Any]) -> dict[str, int]:
    """Comparisons each blocking rule adds, refusing a rule that explodes: exact counts up to
    ``EXACT_COUNTS_UP_TO`` records; above, Splink's estimate from a deterministic sample of
    ``_COUNT_SAMPLE`` of the records on each side (within 2 % of the exact counts on the
    1,000,000-person benchmark, in a tenth of the time)."""
    counts = {}
    for record in count_comparisons_from_blocking_rules(
        table,
        blocking_rules=rules,
        link_type="dedupe_only",
        record_sample_proportion=1.0 if records <= EXACT_COUNTS_UP_TO else _COUNT_SAMPLE,
    ):
        n = int(record["marginal_comparison_count"])
        counts[record["blocking_rule"]] = n
        if n > MAX_COMPARISONS:
            raise UserError(
                f"blocking rule {record['blocking_rule']} would generate {n:,} comparisons "
                f"(over {MAX_COMPARISONS:,}): a value is repeated far too often — check the "
                "extracts for placeholder identifiers (one name, date or postcode given to "
                "many records)"
            )
    return counts


def _prior(table: Any, records: int, populated: Collection[str]) -> tuple[float, str | None]:
    """λ, the probability that two random records match: the pairs that agree exactly on the
    deterministic rules (:func:`.rules.prior_rules_for`) over all pairs, divided by the rules'
    recall (as Splink's ``estimate_probability_two_random_records_match`` computes it); and a
    warning when no pair agrees, in which case one match is assumed."""
    rules = prior_rules_for(populated)
    pairs = records * (records - 1) / 2
    found = 0
    if rules and pairs:
        counts = count_comparisons_from_blocking_rules(
            table,
            blocking_rules=[block_on(*r) for r in rules],
            link_type="dedupe_only",
            record_sample_proportion=1.0,
        )
        found = sum(int(c["marginal_comparison_count"]) for c in counts)
    if pairs and found:
        return min(found / PRIOR_RECALL / pairs, _MAX_PRIOR), None
    agree = " or ".join(" + ".join(r) for r in rules) or "any identifier the model uses"
    return min(1 / pairs, _MAX_PRIOR) if pairs else _MAX_PRIOR, (
        f"no two records agree exactly on {agree}: the prior probability that two records "
        "match is a guess (one matching pair), so links may be missed — check that the "
        "extracts describe the same people"
    )


_BLOOM_COLUMNS = ("given_bf", "family_bf", "dob_bf")


def _create_records(con: duckdb.DuckDBPyConnection, records: pd.DataFrame, encoded: bool) -> None:
    """``records``, the table Splink links. Plain records are scanned where they are, in the
    frame (as bare Splink does with a frame it is given): no copy in the engine's memory.
    Encoded records are copied into a table with their filters as BIT strings and their alias
    tokens as a list."""
    if not encoded:
        con.register("records", records)
        return
    con.register("_records_frame", records)
    parts = [f"from_hex({c})::BIT AS {c}" for c in _BLOOM_COLUMNS]
    parts.append("string_split(given_aliases, ' ') AS given_aliases")
    con.execute(
        f"CREATE TABLE records AS SELECT * REPLACE ({', '.join(parts)}) FROM _records_frame"
    )
    con.unregister("_records_frame")


def _tf_columns(model: dict[str, Any]) -> list[str]:
    """The columns a (saved) model adjusts for term frequencies — an earlier model may not
    adjust the address."""
    out: list[str] = []
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            column = level.get("tf_adjustment_column")
            if column and column not in out:
                out.append(column)
    return out


def connect_engine(memory_limit: str, temp_directory: Path) -> duckdb.DuckDBPyConnection:
    """The linkage engine: an in-memory DuckDB database that uses at most ``memory_limit``
    (DuckDB's own default is 80% of the machine's memory) and spills to ``temp_directory``."""
    temp_directory.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(
        config={"memory_limit": memory_limit, "temp_directory": str(temp_directory)}
    )


@dataclass(frozen=True)
class _Engine:
    """The linkage engine of one run: its DuckDB connection, Splink's API over it, and the
    records registered with Splink."""

    con: duckdb.DuckDBPyConnection
    db_api: DuckDBAPI
    table: Any
    encoded: bool  # privacy-preserving mode (Bloom-filter encodings, see :mod:`.pprl`)


def _check_linkable(populated: Collection[str]) -> None:
    if not {"nhs_number", "family_name", "given_name"} & set(populated):
        raise UserError(
            "the current extracts carry no names and no NHS numbers: there is nothing to link "
            "people on — check the contracts map the identifier columns (given_name, "
            "family_name, nhs_number)"
        )


def _load_engine(records: pd.DataFrame, memory_limit: str, temp_directory: Path) -> _Engine:
    """Step: open the engine and register the records with Splink."""
    con = connect_engine(memory_limit, temp_directory)
    db_api = DuckDBAPI(con)
    encoded = "given_bf" in records.columns
    _create_records(con, records, encoded)
    table = db_api.register("records", table_name="records")
    return _Engine(con, db_api, table, encoded)


def _train(
    engine: _Engine,
    records: pd.DataFrame,
    populated: Collection[str],
    watch: Stopwatch,
    warnings: list[str],
) -> Linker:
    """Step, in a full run: a linker with λ, u and m estimated (each a phase of ``watch``);
    what the data could not train appends to ``warnings``."""
    with watch.phase("estimate lambda"):
        prior, warning = _prior(engine.table, len(records), populated)
        warnings += [warning] if warning else []
    linker = Linker(
        engine.table, settings(engine.encoded, populated, prior), log_level=logging.ERROR
    )
    with watch.phase("estimate u"):
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=_SEED)
    with watch.phase("estimate m (EM)"):
        for columns in em_passes_for(compared(populated), populated):
            agreeing = records.dropna(subset=list(columns))
            if not agreeing.duplicated(subset=list(columns)).any():
                # Splink cannot train on no pairs (and raises)
                warnings.append(
                    f"no two records agree on {' + '.join(columns)}: the comparisons "
                    "trained on those pairs keep Splink's default m probabilities"
                )
                continue
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), estimate_without_term_frequencies=True
            )
    return linker


def _estimate_m_from_labels(engine: _Engine, linker: Linker, labels: pd.DataFrame) -> None:
    """Step, in a full run with stewards' match decisions: re-estimate m from them."""
    engine.con.register("_labels", labels)
    engine.con.execute("CREATE TABLE review_labels AS SELECT * FROM _labels")
    linker.training.estimate_m_from_pairwise_labels("review_labels")


def _predict_all(engine: _Engine, linker: Linker, low: float, threshold: float) -> list[str]:
    """Step, in a full run: score every blocked pair from ``low`` up; table ``edges`` gets the
    pairs at or above ``threshold``. Returns the scored tables."""
    predictions = linker.inference.predict(threshold_match_probability=low)
    engine.con.execute(
        "CREATE TABLE edges AS SELECT unique_id_l, unique_id_r FROM "
        f"{quote(predictions.physical_name)} WHERE match_probability >= ?",
        [float(threshold)],
    )
    return [predictions.physical_name]


def _predict_new(
    engine: _Engine,
    linker: Linker,
    model: dict[str, Any],
    previous_edges: pd.DataFrame,
    previous_nodes: Collection[str],
    present: set[str],
    low: float,
    threshold: float,
) -> list[str]:
    """Step, in an incremental run: table ``edges`` gets the earlier run's links among records
    still present (``present``: the current records' ids), and the pairs at or above
    ``threshold`` that involve a record not seen before (``new_records``; the others are
    ``old_records``). Returns the scored tables."""
    con, db_api = engine.con, engine.db_api
    con.register("_known", pd.DataFrame({"unique_id": sorted(set(previous_nodes))}, dtype=object))
    con.execute(
        "CREATE TABLE new_records AS SELECT * FROM records "
        "WHERE unique_id NOT IN (SELECT unique_id FROM _known)"
    )
    con.execute(
        "CREATE TABLE old_records AS SELECT * FROM records "
        "WHERE unique_id IN (SELECT unique_id FROM _known)"
    )
    new = con.execute("SELECT count(*) FROM new_records").fetchall()[0][0]
    old = con.execute("SELECT count(*) FROM old_records").fetchall()[0][0]
    kept = previous_edges.loc[
        previous_edges["unique_id_l"].isin(present) & previous_edges["unique_id_r"].isin(present)
    ]
    con.register("_kept", kept[["unique_id_l", "unique_id_r"]])
    con.execute("CREATE TABLE edges AS SELECT unique_id_l, unique_id_r FROM _kept")
    if not new:
        return []
    for column in _tf_columns(model):
        linker.table_management.compute_tf_table(column)
    new_table = db_api.register("new_records", table_name="new_records")
    parts = [linker.inference.predict_within(new_table, threshold_match_probability=low)]
    if old:
        old_table = db_api.register("old_records", table_name="old_records")
        parts.append(
            linker.inference.predict_between(old_table, new_table, threshold_match_probability=low)
        )
    for part in parts:
        con.execute(
            "INSERT INTO edges SELECT unique_id_l, unique_id_r "
            f"FROM {quote(part.physical_name)} WHERE match_probability >= ?",
            [float(threshold)],
        )
    return [part.physical_name for part in parts]


def _deterministic_edges(
    engine: _Engine, new_only: bool, decided: pd.DataFrame, present: set[str]
) -> tuple[pd.DataFrame, int]:
    """Step: add the deterministic edges (among them, in an incremental run, only those
    involving a new record) to table ``edges``; the distinct edges with stewards' decisions
    applied, and how many edges the decisions added or removed."""
    involving_new = ""
    if new_only:
        new_ids = "(SELECT unique_id FROM new_records)"
        involving_new = f" AND (l.unique_id IN {new_ids} OR r.unique_id IN {new_ids})"
    deterministic = (
        "SELECT l.unique_id, r.unique_id FROM records l JOIN records r "
        "ON {on} AND l.unique_id < r.unique_id" + involving_new
    )
    con = engine.con
    con.execute(
        "INSERT INTO edges "
        + deterministic.format(on="l.partner = r.partner AND l.record_key = r.record_key")
    )
    con.execute(
        "INSERT INTO edges "
        + deterministic.format(on="l.nhs_number = r.nhs_number AND l.dob = r.dob")
    )
    edges = con.execute(
        "SELECT DISTINCT least(unique_id_l, unique_id_r) AS unique_id_l, "
        "greatest(unique_id_l, unique_id_r) AS unique_id_r FROM edges ORDER BY ALL"
    ).fetchdf()
    return apply_decisions(edges, decided, present)


def _review_band(
    engine: _Engine, scored_tables: list[str], threshold: float, edges: pd.DataFrame
) -> pd.DataFrame:
    """Step: the scored pairs below ``threshold`` that are not linked (each pair once, at its
    highest probability): unique_id_l, unique_id_r, match_probability."""
    band = " UNION ALL ".join(
        f"SELECT unique_id_l, unique_id_r, match_probability FROM {quote(t)} "
        "WHERE match_probability < $threshold"
        for t in scored_tables
    )
    review = (
        engine.con.execute(
            "SELECT least(unique_id_l, unique_id_r) AS unique_id_l, "
            "greatest(unique_id_l, unique_id_r) AS unique_id_r, "
            "max(match_probability) AS match_probability "
            f"FROM ({band}) GROUP BY ALL ORDER BY ALL",
            {"threshold": float(threshold)},
        ).fetchdf()
        if scored_tables
        else pd.DataFrame(columns=[*_PAIR, "match_probability"])
    )
    linked = set(zip(edges["unique_id_l"], edges["unique_id_r"], strict=True))
    keep = [
        (a, b) not in linked
        for a, b in zip(review["unique_id_l"], review["unique_id_r"], strict=True)
    ]
    return review[keep].reset_index(drop=True)


def link_records(
    records: pd.DataFrame,
    threshold: float = DEFAULT_THRESHOLD,
    model: dict[str, Any] | None = None,
    previous_edges: pd.DataFrame | None = None,
    previous_nodes: Collection[str] = (),
    diagnostics: Path | None = None,
    decisions: pd.DataFrame | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    temp_directory: Path | None = None,
) -> LinkResult:
    """Cluster prepared records (see :mod:`.prepare`) into people.

    Pairs scored from ``REVIEW_LOW`` up to the threshold are returned as the clerical-review
    band; ``decisions`` (unique_id_l, unique_id_r, decision) are stewards' decisions, applied
    to the links and — match decisions, in a full run — used to re-estimate m (:mod:`.review`).

    Full (``model`` None): estimate the parameters, then score every blocked pair.

    Incremental (``model`` and ``previous_edges`` given): reuse the parameters and the earlier
    run's links among records still present; score only pairs that involve a record not seen
    before (Splink's ``predict_between`` existing and new, and ``predict_within`` new) — the
    existing records are not relinked among themselves. Term frequencies are computed over all
    current records.

    ``diagnostics``: a folder to write Splink's charts to, for identity stewards (see
    :mod:`.diagnostics`).

    ``memory_limit`` and ``temp_directory``: see :func:`connect_engine` (without a folder,
    a private temporary one, removed afterwards).
    """
    logging.getLogger("splink").setLevel(logging.ERROR)
    populated = populated_columns(records)
    _check_linkable(populated)
    watch = Stopwatch()
    spill: tempfile.TemporaryDirectory[str] | None = None
    if temp_directory is None:
        spill = tempfile.TemporaryDirectory(prefix="partnerhub-link-")
        temp_directory = Path(spill.name)
    with watch.phase("load records into the engine"):
        engine = _load_engine(records, memory_limit, temp_directory)
    warnings: list[str] = []
    with watch.phase("count blocking comparisons"):
        rules = blocking_rules(populated, engine.encoded)
        comparisons = _check_blocking(engine.table, len(records), rules)
    if model is not None:
        linker = Linker(engine.table, model, log_level=logging.ERROR)
    else:
        linker = _train(engine, records, populated, watch, warnings)
    present = set(records["unique_id"])
    decided = decisions if decisions is not None else pd.DataFrame(columns=[*_PAIR, "decision"])
    labels = match_labels(decided, present)
    if model is None and len(labels):
        with watch.phase("estimate m (review labels)"):
            _estimate_m_from_labels(engine, linker, labels)
    low = min(REVIEW_LOW, threshold)
    incremental = model is not None and previous_edges is not None
    with watch.phase("predict (score blocked pairs)"):
        if model is not None and previous_edges is not None:
            scored_tables = _predict_new(
                engine, linker, model, previous_edges, previous_nodes, present, low, threshold
            )
        else:
            scored_tables = _predict_all(engine, linker, low, threshold)
    with watch.phase("deterministic edges"):
        edges, applied = _deterministic_edges(engine, incremental, decided, present)
    with watch.phase("review band"):
        review = _review_band(engine, scored_tables, threshold, edges)
    with watch.phase("cluster"):
        clusters = cluster_pairwise_predictions_at_threshold(
            records[["unique_id"]], edges, db_api=engine.db_api, node_id_column_name="unique_id"
        ).as_pandas_dataframe()
    saved = json.loads(json.dumps(linker.misc.save_model_to_json(overwrite=True)))
    if diagnostics is not None:
        summary = {
            "records (identifier variants)": len(records),
            "links (edges)": len(edges),
            "clusters": int(clusters["cluster_id"].nunique()),
            "comparisons per blocking rule": comparisons,
            "mode": "incremental" if incremental else "full",
            "privacy-preserving": engine.encoded,
        }
        with watch.phase("diagnostics"):
            write_diagnostics(diagnostics, linker, engine.con, scored_tables, threshold, summary)
    engine.con.close()
    if spill is not None:
        spill.cleanup()
    return LinkResult(
        sort_frame(clusters[["unique_id", "cluster_id"]], ["unique_id"]),
        saved,
        comparisons,
        edges,
        review,
        applied,
        len(labels) if model is None else 0,
        watch.seconds,
        tuple(warnings),
    )
