"""The linkage model: a Splink Fellegi–Sunter model over the standardised identifiers, plus
deterministic edges, clustered into people.

* **Deterministic edges**: the same partner record (one record key, several identifier
  variants), and the same valid NHS number with the same date of birth.
* **Splink**: forename (exact with term frequencies, nickname/alias, Jaro–Winkler, Metaphone),
  surname (the same, without aliases), date of birth (exact, day/month transposed, one
  character off, within a year), postcode (unit, sector, district), sex and NHS number.
  u is estimated by random sampling, m by EM over two blocking passes; λ from deterministic
  rules. Blocking rules are checked for their comparison count before predicting.
* **Clustering**: Splink's connected components over the edges at a match-probability
  threshold.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.clustering import cluster_pairwise_predictions_at_threshold

from partnerhub.errors import PartnerHubError

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_COMPARISONS",
    "LinkResult",
    "blocking_rules",
    "link_records",
    "settings",
]

DEFAULT_THRESHOLD = 0.9
MAX_COMPARISONS = 50_000_000  # per blocking rule; more means a rule is too loose for the data
_SEED = 20261125


def _name(col: str, aliases: bool) -> cl.CustomComparison:
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
        cll.JaroWinklerLevel(col, 0.92),
        cll.ExactMatchLevel(metaphone).configure(label_for_charts="same Metaphone code"),
        cll.JaroWinklerLevel(col, 0.80),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(comparison_levels=levels, output_column_name=col)


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


def _postcode() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
            cll.ExactMatchLevel("postcode_sector"),
            cll.ExactMatchLevel("postcode_district"),
            cll.ElseLevel(),
        ],
    )


def blocking_rules() -> list[Any]:
    return [
        block_on("nhs_number"),
        block_on("dob", "family_metaphone"),
        block_on("dob", "given_metaphone"),
        block_on("postcode", "family_metaphone"),
        block_on("postcode", "given_metaphone"),
        block_on("family_metaphone", "given_metaphone", "substr(dob, 1, 4)"),
    ]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name("given_name", aliases=True),
            _name("family_name", aliases=False),
            _dob(),
            _postcode(),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nhs_number"),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


@dataclass(frozen=True)
class LinkResult:
    clusters: pd.DataFrame  # unique_id, cluster_id
    model: dict[str, Any]  # the trained Splink settings (parameters), for the control plane
    comparisons: dict[str, int]  # blocking rule → comparisons it generates
    edges: int


def _check_blocking(table: Any) -> dict[str, int]:
    """Comparisons each blocking rule adds (exact counts), refusing a rule that explodes."""
    counts = {}
    for record in count_comparisons_from_blocking_rules(
        table,
        blocking_rules=blocking_rules(),
        link_type="dedupe_only",
        record_sample_proportion=1.0,
    ):
        n = int(record["marginal_comparison_count"])
        counts[record["blocking_rule"]] = n
        if n > MAX_COMPARISONS:
            raise PartnerHubError(
                f"blocking rule {record['blocking_rule']} would generate {n:,} comparisons "
                f"(over {MAX_COMPARISONS:,}): a value is repeated far too often — check for "
                "placeholder identifiers"
            )
    return counts


def link_records(
    records: pd.DataFrame,
    threshold: float = DEFAULT_THRESHOLD,
    model: dict[str, Any] | None = None,
) -> LinkResult:
    """Cluster prepared records (see :mod:`.prepare`) into people.

    With ``model`` (saved parameters of an earlier run) the parameters are reused, not
    re-estimated."""
    logging.getLogger("splink").setLevel(logging.ERROR)
    con = duckdb.connect()
    db_api = DuckDBAPI(con)
    table = db_api.register(records, table_name="records")
    comparisons = _check_blocking(table)
    if model is not None:
        linker = Linker(table, model, log_level=logging.ERROR)
    else:
        linker = Linker(table, settings(), log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("nhs_number", "dob")], recall=0.8
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=_SEED)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("dob"), estimate_without_term_frequencies=True
        )
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("postcode_district", "family_metaphone"),
            estimate_without_term_frequencies=True,
        )
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    con.execute(
        f"CREATE TABLE edges AS SELECT unique_id_l, unique_id_r FROM {predictions.physical_name}"
    )
    deterministic = (
        "SELECT l.unique_id, r.unique_id FROM records l JOIN records r "
        "ON {on} AND l.unique_id < r.unique_id"
    )
    con.execute(
        "INSERT INTO edges "
        + deterministic.format(on="l.partner = r.partner AND l.record_key = r.record_key")
    )
    con.execute(
        "INSERT INTO edges "
        + deterministic.format(on="l.nhs_number = r.nhs_number AND l.dob = r.dob")
    )
    edges = con.execute("SELECT DISTINCT unique_id_l, unique_id_r FROM edges").fetchdf()
    nodes = records[["unique_id"]]
    clusters = cluster_pairwise_predictions_at_threshold(
        nodes, edges, db_api=db_api, node_id_column_name="unique_id"
    ).as_pandas_dataframe()
    saved = json.loads(json.dumps(linker.misc.save_model_to_json(overwrite=True)))
    con.close()
    return LinkResult(
        clusters[["unique_id", "cluster_id"]].sort_values("unique_id").reset_index(drop=True),
        saved,
        comparisons,
        len(edges),
    )
