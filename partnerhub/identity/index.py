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
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["Assignment", "assign_person_ids", "record_clusters"]

_KEY = ["partner", "record_key"]


@dataclass(frozen=True)
class Assignment:
    index: pd.DataFrame  # partner, record_key, person_id
    changes: pd.DataFrame  # kind, person_id, other_person_id, records
    next_number: int  # the next unused person number


def _strings(frame: pd.DataFrame, columns: list[str]) -> pa.Table:
    """``columns`` of ``frame`` as an Arrow table of strings (an empty frame's object columns
    would otherwise have no type)."""
    return pa.table({c: pa.array(frame[c], type=pa.string()) for c in columns})


def record_clusters(variants: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """Each partner record's cluster: that of its first identifier variant in ``variants``
    (unique_id, partner, record_key, in order), from ``clusters`` (unique_id, cluster_id).
    Returns partner, record_key, cluster_id sorted by partner and record key."""
    rows = _strings(variants, ["unique_id", "partner", "record_key"]).append_column(
        "row_", pa.array(np.arange(len(variants), dtype=np.int64))
    )
    labels = pa.table(
        {
            "unique_id": pa.array(clusters["unique_id"], type=pa.string()),
            "cluster_id": pa.array(clusters["cluster_id"]),
        }
    )
    with duckdb.connect() as con:
        con.register("variants", rows)
        con.register("clusters", labels)
        return con.execute(
            "SELECT partner, record_key, arg_min(cluster_id, row_) AS cluster_id "
            "FROM variants JOIN clusters USING (unique_id) "
            "GROUP BY partner, record_key ORDER BY partner, record_key"
        ).fetchdf()


def assign_person_ids(nodes: pd.DataFrame, previous: pd.DataFrame, next_number: int) -> Assignment:
    """``nodes``: partner, record_key, cluster_id (this run); ``previous``: partner,
    record_key, person_id (the last run's index, possibly empty).

    Computed in DuckDB: the overlap of clusters and previous ids is counted there, a pair that
    competes with no other (its cluster overlaps one previous id, and that id one cluster) is
    chosen there, and only the contested pairs are resolved greedily in Python."""
    labels = pa.array(nodes["cluster_id"])
    here = _strings(nodes, _KEY).append_column(
        "cluster_id", labels.cast(pa.string()) if pa.types.is_null(labels.type) else labels
    )
    before = _strings(previous, [*_KEY, "person_id"])
    with duckdb.connect() as con:
        con.register("nodes", here)
        con.register("previous", before)
        con.execute(
            "CREATE TEMP TABLE m AS SELECT n.partner, n.record_key, n.cluster_id, p.person_id "
            "FROM nodes n LEFT JOIN previous p USING (partner, record_key)"
        )
        con.execute(
            "CREATE TEMP TABLE overlap AS SELECT cluster_id, person_id, count(*) AS n, "
            "count(*) OVER (PARTITION BY cluster_id) AS per_cluster, "
            "count(*) OVER (PARTITION BY person_id) AS per_person "
            "FROM m WHERE person_id IS NOT NULL GROUP BY cluster_id, person_id"
        )
        contested = con.execute(
            "SELECT cluster_id, person_id FROM overlap WHERE per_cluster > 1 OR per_person > 1 "
            "ORDER BY n DESC, person_id, cluster_id"
        ).fetchall()
        # greedily, most records first (ties → the smaller id): a cluster takes the id that
        # covers most of its records, and an id goes to at most one cluster
        chosen: dict[Any, str] = {}
        taken: set[str] = set()
        for cluster, person in contested:
            if cluster not in chosen and person not in taken:
                chosen[cluster] = person
                taken.add(person)
        won = pa.table(
            {
                "cluster_id": pa.array(list(chosen), type=here.schema.field("cluster_id").type),
                "person_id": pa.array(list(chosen.values()), type=pa.string()),
            }
        )
        con.register("won", won)
        con.execute(
            "CREATE TEMP TABLE chosen AS SELECT cluster_id, person_id FROM overlap "
            "WHERE per_cluster = 1 AND per_person = 1 UNION ALL SELECT * FROM won"
        )
        # new people are numbered in the order of their smallest record key (a record key is
        # in one cluster only, so the order is total)
        con.execute(
            "CREATE TEMP TABLE fresh AS SELECT cluster_id, ? - 1 + row_number() OVER "
            "(ORDER BY min(record_key), cluster_id) AS number FROM m "
            "WHERE cluster_id NOT IN (SELECT cluster_id FROM chosen) GROUP BY cluster_id",
            [next_number],
        )
        fresh = con.execute("SELECT count(*) FROM fresh").fetchall()[0][0]
        con.execute(
            "CREATE TEMP TABLE assigned AS SELECT m.*, coalesce(c.person_id, "
            "printf('P%09d', f.number)) AS new_id FROM m "
            "LEFT JOIN chosen c USING (cluster_id) LEFT JOIN fresh f USING (cluster_id)"
        )
        index = con.execute(
            "SELECT partner, record_key, new_id AS person_id FROM assigned "
            "ORDER BY partner, record_key"
        ).fetchdf()
        taken_all = "(SELECT person_id FROM chosen)"
        changes = con.execute(
            f"SELECT CASE WHEN person_id IN {taken_all} THEN 'split' ELSE 'merged' END AS kind, "
            "person_id, new_id AS other_person_id, count(*) AS records FROM assigned "
            "WHERE person_id IS NOT NULL AND person_id <> new_id "
            "GROUP BY person_id, new_id "
            "UNION ALL "
            "SELECT 'retired', person_id, NULL, 0 FROM (SELECT DISTINCT person_id FROM previous "
            "WHERE person_id NOT IN (SELECT person_id FROM m WHERE person_id IS NOT NULL)) "
            "ORDER BY kind = 'retired', person_id, other_person_id"
        ).fetchdf()
    changes["records"] = changes["records"].astype("int64")
    return Assignment(index, changes, next_number + int(fresh))
