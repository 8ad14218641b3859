"""Clerical review decisions applied to a run's links, and turned into labels."""

from __future__ import annotations

import pandas as pd

from partnerhub.identity.review import apply_decisions, match_labels, pair_id


def _edges(*pairs: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["unique_id_l", "unique_id_r"])


def test_pair_ids_ignore_order_and_are_stable() -> None:
    assert pair_id("a", "b") == pair_id("b", "a")
    assert pair_id("a", "b") != pair_id("a", "c")
    assert len(pair_id("a", "b")) == 16


def test_decisions_link_and_unlink_present_records_only() -> None:
    edges = _edges(("a", "b"), ("c", "d"))
    decisions = pd.DataFrame(
        {
            "unique_id_l": ["d", "e", "x"],
            "unique_id_r": ["c", "f", "a"],
            "decision": ["non_match", "match", "match"],
        }
    )
    out, applied = apply_decisions(edges, decisions, {"a", "b", "c", "d", "e", "f"})
    assert sorted(map(tuple, out.to_numpy())) == [("a", "b"), ("e", "f")]
    assert applied == 2  # (c, d) removed, (e, f) added; (x, a) is not present
    same, none = apply_decisions(edges, decisions.iloc[:0], {"a"})
    assert none == 0 and same.equals(edges)


def test_only_match_decisions_are_labels() -> None:
    decisions = pd.DataFrame(
        {"unique_id_l": ["b", "c"], "unique_id_r": ["a", "d"], "decision": ["match", "non_match"]}
    )
    labels = match_labels(decisions, {"a", "b", "c", "d"})
    assert labels.to_dict("records") == [{"unique_id_l": "a", "unique_id_r": "b"}]
