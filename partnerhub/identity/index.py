"""Stable person ids: a person keeps their ``person_id`` across link runs.

Each run's clusters are matched to the previous run's person ids by overlap: every cluster takes
the previous id that covers most of its records (ties → the smaller id), and every previous id
goes to at most one cluster. Clusters left without one get a new id. So a new extract, or a
retrained model, changes the id of nobody whose cluster did not truly change; when clusters do
change, the change is recorded: ``merged`` (an id's records now belong to another id's person),
``split`` (some of an id's records now form another person) or ``retired`` (its records are
gone).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from partnerhub.identity.frames import sort_frame

__all__ = ["Assignment", "assign_person_ids", "format_person_id"]

_KEY = ["partner", "record_key"]


def format_person_id(number: int) -> str:
    return f"P{number:09d}"


@dataclass(frozen=True)
class Assignment:
    index: pd.DataFrame  # partner, record_key, person_id
    changes: pd.DataFrame  # kind, person_id, other_person_id, records
    next_number: int  # the next unused person number


def assign_person_ids(nodes: pd.DataFrame, previous: pd.DataFrame, next_number: int) -> Assignment:
    """``nodes``: partner, record_key, cluster_id (this run); ``previous``: partner,
    record_key, person_id (the last run's index, possibly empty)."""
    m = nodes[[*_KEY, "cluster_id"]].merge(previous[[*_KEY, "person_id"]], on=_KEY, how="left")
    overlap = (
        m.dropna(subset=["person_id"])
        .groupby(["cluster_id", "person_id"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["n", "person_id", "cluster_id"], ascending=[False, True, True])
    )
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for cluster, person in zip(overlap["cluster_id"], overlap["person_id"], strict=True):
        if cluster not in chosen and person not in taken:
            chosen[cluster] = person
            taken.add(person)
    # new people are numbered in the order of their smallest record key (a record key is in
    # one cluster only, so the order is total)
    first = sort_frame(m, ["record_key"]).drop_duplicates("cluster_id")
    fresh = first.loc[~first["cluster_id"].isin(list(chosen)), "cluster_id"]
    numbers = range(next_number, next_number + len(fresh))
    chosen.update(zip(fresh, map(format_person_id, numbers), strict=True))
    next_number += len(fresh)
    m["new_id"] = m["cluster_id"].map(chosen)
    changes = []
    moved = m.dropna(subset=["person_id"])
    moved = moved.loc[moved["person_id"] != moved["new_id"]]
    for (old, new), group in moved.groupby(["person_id", "new_id"]):
        kind = "split" if old in taken else "merged"
        changes.append((kind, old, new, len(group)))
    gone = set(previous["person_id"]) - set(m["person_id"].dropna())
    for old in sorted(gone - taken):
        changes.append(("retired", old, None, 0))
    index = m[[*_KEY, "new_id"]].rename(columns={"new_id": "person_id"})
    frame = pd.DataFrame(changes, columns=["kind", "person_id", "other_person_id", "records"])
    return Assignment(sort_frame(index, _KEY), frame, next_number)
