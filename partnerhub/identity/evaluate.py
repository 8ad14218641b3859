"""Linkage quality against known truth (synthetic data): pairwise precision, recall and F1
over records, cluster-level measures, and the recall of blocking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

__all__ = ["blocking_recall", "linkage_quality", "score_index"]


def _pairs(labels: pd.Series) -> int:
    sizes = labels.value_counts()
    return int((sizes * (sizes - 1) // 2).sum())


def linkage_quality(predicted: pd.Series, truth: pd.Series) -> dict[str, Any]:
    """``predicted`` and ``truth``: the person of each record (aligned, one row per record)."""
    both = predicted.astype(str) + "\x1f" + truth.astype(str)
    tp, pp, tt = _pairs(both), _pairs(predicted), _pairs(truth)
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    frame = pd.DataFrame({"p": predicted.to_numpy(), "t": truth.to_numpy()})
    per_pred = frame.groupby("p")["t"].agg(["nunique", "size"])
    per_true = frame.groupby("t")["p"].nunique()
    # a cluster is exactly right when it holds one person and all of that person's records
    # (vectorised: a filter over clusters compared every cluster with every record)
    first_true = frame.groupby("p")["t"].first()
    true_sizes = frame["t"].value_counts()
    exact = int(
        ((per_pred["nunique"] == 1) & (per_pred["size"] == first_true.map(true_sizes))).sum()
    )
    return {
        "records": len(frame),
        "true_pairs": tt,
        "predicted_pairs": pp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "clusters": int(frame["p"].nunique()),
        "people": int(frame["t"].nunique()),
        "clusters_exactly_right": int(exact),
        "clusters_mixing_people": int((per_pred["nunique"] > 1).sum()),
        "people_split": int((per_true > 1).sum()),
        "largest_cluster": int(per_pred["size"].max()) if len(per_pred) else 0,
    }


def score_index(index: pd.DataFrame, source: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Quality of a person index (partner, record_key, person_id) against ``truth`` (partner,
    record_key, true_person), over the records of ``source`` that carry something to link on:
    an NHS number, or a surname and a date of birth (a fire incident has no person).
    ``source``: rows of ``source_record``, or of ``encoded_record`` (privacy-preserving mode,
    where the date of birth's token is ``dob``)."""
    dob = source["date_of_birth"] if "date_of_birth" in source else source["dob"]
    linkable = source.loc[
        source["nhs_number"].notna() | (source["family_name"].notna() & dob.notna()),
        ["partner", "record_key"],
    ].drop_duplicates()
    scored = index.merge(linkable, on=["partner", "record_key"]).merge(
        truth, on=["partner", "record_key"]
    )
    out = linkage_quality(scored["person_id"], scored["true_person"])
    out["unscored"] = len(linkable) - len(scored)
    return out


def blocking_recall(
    records: pd.DataFrame, truth: pd.DataFrame, rules: Sequence[Any]
) -> dict[str, Any]:
    """The share of true pairs of partner records that blocking puts up for scoring.

    ``records``: prepared records (:mod:`.prepare`: unique_id, partner, record_key, features);
    ``truth``: partner, record_key, true_person; ``rules``: Splink blocking rules (as
    :func:`.model.blocking_rules` gives them). A true pair is two records of one person (not
    two variants of one record, which are linked by their record key); it is found when some
    rule admits some pair of their identifier variants."""
    keyed = records.merge(truth, on=["partner", "record_key"])
    conditions = " OR ".join(
        f"({rule.get_blocking_rule('duckdb').blocking_rule_sql})" for rule in rules
    )
    with duckdb.connect() as con:
        con.register("keyed", keyed)
        con.execute(
            "CREATE TABLE pairs AS SELECT l.unique_id AS id_l, r.unique_id AS id_r, "
            "least(l.partner || chr(31) || l.record_key, r.partner || chr(31) || r.record_key) "
            "AS a, greatest(l.partner || chr(31) || l.record_key, "
            "r.partner || chr(31) || r.record_key) AS b "
            "FROM keyed l JOIN keyed r ON l.true_person = r.true_person "
            "AND l.unique_id < r.unique_id "
            "AND NOT (l.partner = r.partner AND l.record_key = r.record_key)"
        )
        total = con.execute("SELECT count(*) FROM (SELECT DISTINCT a, b FROM pairs)").fetchall()
        found = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT p.a, p.b FROM pairs p "
            "JOIN keyed l ON p.id_l = l.unique_id JOIN keyed r ON p.id_r = r.unique_id "
            f"WHERE {conditions})"
        ).fetchall()
    pairs, blocked = int(total[0][0]), int(found[0][0])
    return {"true_pairs": pairs, "blocked": blocked, "recall": blocked / pairs if pairs else 1.0}
