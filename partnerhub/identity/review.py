"""Clerical review: the pairs the model is unsure about, and the decisions stewards make.

Each link run keeps the pairs whose match probability falls in the *review band* —
``REVIEW_LOW`` up to (not including) the run's threshold — in the identity store. An identity
steward looks at them (`partnerhub review list`) and decides (`partnerhub review decide`);
decisions live in the control plane, keyed by the two records' identifier-variant ids (digests
of the identifiers, so the same pair has the same id in every run). The next link run:

- links every pair decided *match* and unlinks every pair decided *non-match*, whatever the
  model says; and
- in a full run, re-estimates the model's m probabilities from the *match* decisions as
  pairwise labels (Splink's ``estimate_m_from_pairwise_labels``, which takes every label as a
  match — so non-match decisions act only through the edges).
"""

from __future__ import annotations

import hashlib

import pandas as pd

__all__ = ["DECISIONS", "REVIEW_LOW", "apply_decisions", "match_labels", "pair_id"]

REVIEW_LOW = 0.5  # the lower end of the review band (match probability)
DECISIONS = ("match", "non_match")
_PAIR = ["unique_id_l", "unique_id_r"]


def pair_id(unique_id_l: str, unique_id_r: str) -> str:
    """A short, stable id of an (unordered) pair of identifier variants."""
    a, b = sorted((unique_id_l, unique_id_r))
    return hashlib.sha256(f"{a}|{b}".encode()).hexdigest()[:16]


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    swap = out["unique_id_l"] > out["unique_id_r"]
    out.loc[swap, _PAIR] = out.loc[swap, ["unique_id_r", "unique_id_l"]].to_numpy()
    return out


def apply_decisions(
    edges: pd.DataFrame, decisions: pd.DataFrame, present: set[str]
) -> tuple[pd.DataFrame, int]:
    """Edges after the stewards' decisions (match → linked, non-match → not), for the pairs
    whose records are both still present; and how many decisions changed an edge."""
    if decisions.empty:
        return edges, 0
    d = _ordered(decisions)
    d = d[d["unique_id_l"].isin(present) & d["unique_id_r"].isin(present)]
    e = _ordered(edges[_PAIR])
    keys = set(zip(e["unique_id_l"], e["unique_id_r"], strict=True))
    removed = {
        (a, b)
        for a, b, x in zip(d["unique_id_l"], d["unique_id_r"], d["decision"], strict=True)
        if x == "non_match" and (a, b) in keys
    }
    added = {
        (a, b)
        for a, b, x in zip(d["unique_id_l"], d["unique_id_r"], d["decision"], strict=True)
        if x == "match" and (a, b) not in keys
    }
    kept = [k for k in sorted(keys) if k not in removed]
    out = pd.DataFrame(sorted([*kept, *added]), columns=_PAIR, dtype=object)
    return out, len(removed) + len(added)


def match_labels(decisions: pd.DataFrame, present: set[str]) -> pd.DataFrame:
    """The match decisions whose records are present, as Splink pairwise labels."""
    if decisions.empty:
        return pd.DataFrame(columns=_PAIR)
    d = _ordered(decisions)
    d = d[
        (d["decision"] == "match") & d["unique_id_l"].isin(present) & d["unique_id_r"].isin(present)
    ]
    return d[_PAIR].reset_index(drop=True)
