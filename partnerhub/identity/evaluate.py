"""Linkage quality against known truth (synthetic data): pairwise precision, recall and F1
over records, and cluster-level measures."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["linkage_quality", "score_index"]


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
