"""The linkage model: a Splink Fellegi–Sunter model over the standardised identifiers, plus
deterministic edges, clustered into people.

* **Deterministic edges**: the same partner record (one record key, several identifier
  variants), and the same valid NHS number with the same date of birth.
* **Splink**: forename (exact with term frequencies, nickname/alias, Jaro–Winkler, Metaphone),
  surname (the same, without aliases), date of birth (exact, day/month transposed, one
  character off, within a year), where they live (postcode; the first address line when the
  postcodes differ or one is missing; sector; district; town), sex and NHS number.
  u is estimated by random sampling, m by EM over blocking passes; λ is counted from exact
  deterministic rules. Comparisons, blocking rules, EM passes and λ's rules are those whose
  columns are populated (:mod:`.rules`). Blocking rules are checked for their comparison
  count before predicting.
* **Clustering**: Splink's connected components over the edges at a match-probability
  threshold.
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
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.clustering import cluster_pairwise_predictions_at_threshold

from partnerhub.errors import UserError
from partnerhub.identity.diagnostics import write_diagnostics
from partnerhub.identity.frames import sort_frame
from partnerhub.identity.review import REVIEW_LOW, apply_decisions, match_labels
from partnerhub.identity.rules import (
    PRIOR_RECALL,
    blocking_rules_for,
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
    "connect_engine",
    "link_records",
    "settings",
]
_PAIR = ["unique_id_l", "unique_id_r"]

DEFAULT_THRESHOLD = 0.9
DEFAULT_MEMORY_LIMIT = "4GB"  # the linkage engine's DuckDB memory limit (config: linkage.*)
MAX_COMPARISONS = 50_000_000  # per blocking rule; more means a rule is too loose for the data
_SPLINK_PRIOR = 0.0001  # Splink's default λ, before it is estimated
_MAX_PRIOR = 0.5  # λ above this only on a handful of records that nearly all match
EXACT_COUNTS_UP_TO = 200_000  # records; above this, blocking counts are estimated from a sample
_COUNT_SAMPLE = 0.2  # of the records on each side of a blocking join (Splink's default: 0.05)
_SEED = 20261125


def _name(col: str, aliases: bool, encoded: bool = False) -> cl.CustomComparison:
    """Exact (with term frequencies), nickname/alias, close, same Metaphone, similar, else.
    Close and similar are Jaro–Winkler on names, or Dice on their Bloom filters (encoded)."""
    close: Any
    similar: Any
    if encoded:
        bloom = col.replace("_name", "_bf")
        close, similar = _dice(bloom, 0.75), _dice(bloom, 0.55)
    else:
        close, similar = cll.JaroWinklerLevel(col, 0.92), cll.JaroWinklerLevel(col, 0.80)
    levels: list[Any] = [
        cll.NullLevel(col),
        cll.ExactMatchLevel(col).configure(tf_adjustment_column=col),
    ]
    if aliases:
        levels.append(
            cll.CustomLevel(
                "len(list_intersect(given_aliases_l, given_aliases_r)) > 0",
                label_for_charts="nickname or alias",
            )
        )
    metaphone = col.replace("_name", "_metaphone")
    levels += [
        close,
        cll.ExactMatchLevel(metaphone).configure(label_for_charts="same Metaphone code"),
        similar,
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=col)


def _dice(col: str, threshold: float) -> cll.CustomLevel:
    """Dice coefficient of two Bloom filters (BIT columns) at least ``threshold``."""
    return cll.CustomLevel(
        f"2.0 * bit_count({col}_l & {col}_r) / (bit_count({col}_l) + bit_count({col}_r)) "
        f">= {threshold}",
        label_for_charts=f"Bloom-filter Dice >= {threshold}",
    )


def _encoded_dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel("dob_l = dob_swapped_r", label_for_charts="day and month transposed"),
            _dice("dob_bf", 0.85),
            _dice("dob_bf", 0.7),
            cll.ElseLevel(),
        ],
    )


def _dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = "
                "substr(dob_r, 9, 2) AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
                label_for_charts="day and month transposed",
            ),
            cll.DamerauLevenshteinLevel("dob", 1),
            cll.CustomLevel(
                "abs(date_diff('day', CAST(dob_l AS DATE), CAST(dob_r AS DATE))) <= 366",
                label_for_charts="within a year",
            ),
            cll.ElseLevel(),
        ],
    )


def _postcode(address: bool = False, town: bool = False) -> cl.CustomComparison:
    """Where the two records live: the same postcode, sector or district — and, where the
    records carry them, the same first address line though the postcodes differ or one is
    missing (a mistyped or unrecorded postcode), or the same town. The address line does not
    add to an agreeing postcode: at one address it tells a person from the rest of their
    household no better than the postcode does, and counting both would count it twice."""
    levels: list[Any] = []
    if address:
        levels.append(
            cll.CustomLevel(
                "(postcode_l IS NULL OR postcode_r IS NULL) AND "
                "(address_l IS NULL OR address_r IS NULL OR address_l <> address_r)",
                label_for_charts="postcode missing",
            ).configure(is_null_level=True)
        )
    else:
        levels.append(cll.NullLevel("postcode"))
    levels.append(cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"))
    if address:
        levels.append(
            cll.ExactMatchLevel("address").configure(
                label_for_charts="same address line, postcode differs or missing"
            )
        )
    levels += [cll.ExactMatchLevel("postcode_sector"), cll.ExactMatchLevel("postcode_district")]
    if town:
        levels.append(cll.ExactMatchLevel("town").configure(label_for_charts="same town"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name="postcode", comparison_levels=levels)


# The columns each comparison reads (an EM pass blocked on one of them cannot train it).
_READS = {
    "given_name": ("given_name", "given_aliases", "given_metaphone", "given_bf"),
    "family_name": ("family_name", "family_metaphone", "family_bf"),
    "dob": ("dob", "dob_swapped", "dob_bf"),
    "postcode": ("postcode", "postcode_sector", "postcode_district", "address", "town"),
    "sex": ("sex",),
    "nhs_number": ("nhs_number",),
}
_EVERY_COLUMN = frozenset(c for cols in _READS.values() for c in cols)


def blocking_rules(populated: Collection[str] = _EVERY_COLUMN, encoded: bool = False) -> list[Any]:
    """Splink's blocking rules for records whose ``populated`` columns are those given
    (see :mod:`.rules`)."""
    return [r.creator() for r in blocking_rules_for(populated, encoded)]


def compared(populated: Collection[str]) -> dict[str, tuple[str, ...]]:
    """The comparisons the model makes (name → the columns it reads): those whose main
    column is populated."""
    return {name: cols for name, cols in _READS.items() if name in populated}


def settings(
    encoded: bool = False,
    populated: Collection[str] = _EVERY_COLUMN,
    prior: float | None = None,
) -> SettingsCreator:
    """The model's settings; ``encoded``: for privacy-preserving mode (see :mod:`.pprl`);
    ``populated``: the columns with a value in some record (a comparison or blocking rule on
    an empty column is left out); ``prior``: λ, if known."""
    use = compared(populated)
    comparisons: list[Any] = []
    if "given_name" in use:
        comparisons.append(_name("given_name", True, encoded))
    if "family_name" in use:
        comparisons.append(_name("family_name", False, encoded))
    if "dob" in use:
        comparisons.append(_encoded_dob() if encoded else _dob())
    if "postcode" in use:
        comparisons.append(_postcode("address" in populated, "town" in populated))
    comparisons += [cl.ExactMatch(c) for c in ("sex", "nhs_number") if c in use]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking_rules(populated, encoded),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        probability_two_random_records_match=_SPLINK_PRIOR if prior is None else prior,
    )


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
    if not {"nhs_number", "family_name", "given_name"} & populated:
        raise UserError(
            "the current extracts carry no names and no NHS numbers: there is nothing to link "
            "people on — check the contracts map the identifier columns (given_name, "
            "family_name, nhs_number)"
        )
    watch = Stopwatch()
    spill: tempfile.TemporaryDirectory[str] | None = None
    if temp_directory is None:
        spill = tempfile.TemporaryDirectory(prefix="partnerhub-link-")
        temp_directory = Path(spill.name)
    with watch.phase("load records into the engine"):
        con = connect_engine(memory_limit, temp_directory)
        db_api = DuckDBAPI(con)
        encoded = "given_bf" in records.columns
        _create_records(con, records, encoded)
        table = db_api.register("records", table_name="records")
    warnings: list[str] = []
    with watch.phase("count blocking comparisons"):
        comparisons = _check_blocking(table, len(records), blocking_rules(populated, encoded))
    incremental = model is not None and previous_edges is not None
    if model is not None:
        linker = Linker(table, model, log_level=logging.ERROR)
    else:
        with watch.phase("estimate lambda"):
            prior, warning = _prior(table, len(records), populated)
            warnings += [warning] if warning else []
        linker = Linker(table, settings(encoded, populated, prior), log_level=logging.ERROR)
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
    present = set(records["unique_id"])
    decided = decisions if decisions is not None else pd.DataFrame(columns=[*_PAIR, "decision"])
    labels = match_labels(decided, present)
    if model is None and len(labels):
        with watch.phase("estimate m (review labels)"):
            con.register("_labels", labels)
            con.execute("CREATE TABLE review_labels AS SELECT * FROM _labels")
            linker.training.estimate_m_from_pairwise_labels("review_labels")
    low = min(REVIEW_LOW, threshold)
    scored = 0
    scored_tables: list[str] = []
    with watch.phase("predict (score blocked pairs)"):
        if incremental:
            assert previous_edges is not None
            present = set(records["unique_id"])
            known = set(previous_nodes)
            con.register("_known", pd.DataFrame({"unique_id": sorted(known)}, dtype=object))
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
                previous_edges["unique_id_l"].isin(present)
                & previous_edges["unique_id_r"].isin(present)
            ]
            con.register("_kept", kept[["unique_id_l", "unique_id_r"]])
            con.execute("CREATE TABLE edges AS SELECT unique_id_l, unique_id_r FROM _kept")
            if new:
                for column in _tf_columns(model or {}):
                    linker.table_management.compute_tf_table(column)
                new_table = db_api.register("new_records", table_name="new_records")
                parts = [
                    linker.inference.predict_within(new_table, threshold_match_probability=low)
                ]
                if old:
                    old_table = db_api.register("old_records", table_name="old_records")
                    parts.append(
                        linker.inference.predict_between(
                            old_table, new_table, threshold_match_probability=low
                        )
                    )
                for part in parts:
                    scored += 1
                    scored_tables.append(part.physical_name)
                    con.execute(
                        "INSERT INTO edges SELECT unique_id_l, unique_id_r "
                        f"FROM {quote(part.physical_name)} WHERE match_probability >= ?",
                        [float(threshold)],
                    )
            new_ids = "(SELECT unique_id FROM new_records)"
            involving_new = f" AND (l.unique_id IN {new_ids} OR r.unique_id IN {new_ids})"
        else:
            predictions = linker.inference.predict(threshold_match_probability=low)
            scored_tables.append(predictions.physical_name)
            con.execute(
                "CREATE TABLE edges AS SELECT unique_id_l, unique_id_r FROM "
                f"{quote(predictions.physical_name)} WHERE match_probability >= ?",
                [float(threshold)],
            )
            involving_new = ""
    deterministic = (
        "SELECT l.unique_id, r.unique_id FROM records l JOIN records r "
        "ON {on} AND l.unique_id < r.unique_id" + involving_new
    )
    with watch.phase("deterministic edges"):
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
        edges, applied = apply_decisions(edges, decided, present)
    with watch.phase("review band"):
        band = " UNION ALL ".join(
            f"SELECT unique_id_l, unique_id_r, match_probability FROM {quote(t)} "
            "WHERE match_probability < $threshold"
            for t in scored_tables
        )
        review = (
            con.execute(
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
        review = review[keep].reset_index(drop=True)
    with watch.phase("cluster"):
        clusters = cluster_pairwise_predictions_at_threshold(
            records[["unique_id"]], edges, db_api=db_api, node_id_column_name="unique_id"
        ).as_pandas_dataframe()
    saved = json.loads(json.dumps(linker.misc.save_model_to_json(overwrite=True)))
    if diagnostics is not None:
        summary = {
            "records (identifier variants)": len(records),
            "links (edges)": len(edges),
            "clusters": int(clusters["cluster_id"].nunique()),
            "comparisons per blocking rule": comparisons,
            "mode": "incremental" if incremental else "full",
            "privacy-preserving": encoded,
        }
        with watch.phase("diagnostics"):
            write_diagnostics(diagnostics, linker, con, scored_tables, threshold, summary)
    con.close()
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
