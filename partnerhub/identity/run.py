"""`partnerhub link`: build the person index from the current loads of the identity store.

A link run is committed like a load: it is recorded *pending* in the control plane, writes its
index (tagged with the run) to the identity store in one transaction, and becomes current when
the control plane marks it *done*. :func:`recover_link_runs` removes what a crashed run wrote.

* ``full``: estimate the model's parameters afresh (u by random sampling, m by EM), link every
  record, and carry person ids over from the previous index by overlap (see :mod:`.index`).
* ``incremental``: reuse the parameters of the last run — no re-estimation — and keep every
  previously linked record's person id unless its cluster truly changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from partnerhub.control import ControlPlane
from partnerhub.errors import UserError
from partnerhub.identity.index import assign_person_ids, record_clusters
from partnerhub.identity.model import DEFAULT_MEMORY_LIMIT, DEFAULT_THRESHOLD, link_records
from partnerhub.identity.pprl import prepare_encoded
from partnerhub.identity.prepare import prepare_records
from partnerhub.timing import Stopwatch
from partnerhub.vault import IdentityStore

__all__ = ["LinkRunResult", "current_person_index", "link_partnership", "recover_link_runs"]


@dataclass(frozen=True)
class LinkRunResult:
    run_id: int
    mode: str
    records: int  # partner records (record keys) linked
    people: int
    changes: pd.DataFrame
    summary: dict[str, Any]


def recover_link_runs(identity: IdentityStore, control: ControlPlane) -> list[int]:
    pending = [r.id for r in control.link_runs() if r.status != "done"]
    for run_id in pending:
        identity.discard_link_run(run_id)
        control.remove_link_run(run_id)
    return pending


def current_person_index(identity: IdentityStore, control: ControlPlane) -> pd.DataFrame:
    """partner, record_key → person_id of the latest committed link run (empty if none)."""
    latest = control.latest_link_run()
    return identity.person_index(latest.id if latest else None)


def link_partnership(
    identity: IdentityStore,
    control: ControlPlane,
    *,
    mode: str = "full",
    threshold: float = DEFAULT_THRESHOLD,
    diagnostics: Path | None = None,
    on_commit: Callable[[Session, int, dict[str, Any]], object] | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    temp_directory: Path | None = None,
) -> LinkRunResult:
    """Link every current load's records into the person index. ``on_commit`` runs inside
    the transaction that commits the run (the caller's audit entry). ``memory_limit`` and
    ``temp_directory``: the linkage engine's (`partnership.toml`'s ``[linkage]``)."""
    watch = Stopwatch()
    recover_link_runs(identity, control)
    loads = [ld.id for ld in control.current_loads().values()]
    with watch.phase("read the identity store"):
        source = identity.records_for_linkage(loads)
        encoded = identity.records_for_linkage(loads, "encoded_record")
    if source.empty and encoded.empty:
        raise UserError("nothing to link — load some extracts first (`partnerhub ingest`)")
    if len(source) and len(encoded):
        plain = sorted(set(source["partner"] + "/" + source["dataset"]))
        raise UserError(
            "some current extracts carry identifiers and some carry encodings "
            f"(privacy-preserving mode); they cannot be linked together. Plain: {', '.join(plain)}"
            " — encode these with `partnerhub encode` and load them again"
        )
    previous_run = control.latest_link_run()
    model = None
    previous_edges: pd.DataFrame | None = None
    previous_nodes: set[str] = set()
    if mode == "incremental":
        if previous_run is None or previous_run.model is None:
            raise UserError("no earlier link run to extend — run `partnerhub link` first")
        model = json.loads(previous_run.model)
        previous_edges, previous_nodes = identity.link_graph(previous_run.id)
    elif mode != "full":
        raise UserError(f"unknown link mode {mode!r}: use full or incremental")
    with watch.phase("standardise"):
        prepared = prepare_encoded(encoded) if len(encoded) else prepare_records(source)
    privacy_preserving = bool(len(encoded))
    del source, encoded  # the link engine's memory is better spent on comparisons
    result = link_records(
        prepared.records,
        threshold=threshold,
        model=model,
        previous_edges=previous_edges,
        previous_nodes=previous_nodes,
        diagnostics=diagnostics,
        decisions=control.review_decisions(),
        memory_limit=memory_limit,
        temp_directory=temp_directory,
    )
    watch.seconds.update(result.seconds)
    with watch.phase("keep person ids stable"):
        # a record's cluster: its first identifier variant's (its variants are linked by a
        # deterministic edge, unless a steward has unlinked them)
        nodes = record_clusters(prepared.records, result.clusters)
        previous = identity.person_index(previous_run.id if previous_run else None)
        used = previous["person_id"].str[1:].astype(int).max() if len(previous) else 0
        assignment = assign_person_ids(nodes, previous, int(used) + 1)
    run_id = control.begin_link_run(mode, threshold)
    with watch.phase("write the person index"):
        identity.write_person_index(
            assignment.index,
            assignment.changes,
            run_id,
            prepared.records[["unique_id", "partner", "record_key"]],
            result.edges,
            result.review,
        )
    people = int(assignment.index["person_id"].nunique())
    kinds = assignment.changes["kind"].value_counts().to_dict() if len(assignment.changes) else {}
    summary = {
        "records": len(nodes),
        "identifier_variants": len(prepared.records),
        "people": people,
        "edges": len(result.edges),
        "new_records": len(set(prepared.records["unique_id"]) - previous_nodes)
        if mode == "incremental"
        else None,
        "blocking_comparisons": result.comparisons,
        "warnings": [*prepared.warnings, *result.warnings],
        "changes": {str(k): int(v) for k, v in kinds.items()},
        "previous_run": previous_run.id if previous_run else None,
        "privacy_preserving": privacy_preserving,
        "review_pairs": len(result.review),
        "review_decisions_applied": result.decisions_applied,
        "review_labels_for_m": result.labels,
        "seconds": watch.rounded(),  # wall time per phase, up to the commit
    }
    control.finish_link_run(
        run_id,
        records=len(nodes),
        people=people,
        model=result.model,
        summary=summary,
        on_commit=(lambda s: on_commit(s, run_id, summary)) if on_commit else None,
    )
    identity.prune_person_index(keep=run_id)
    return LinkRunResult(run_id, mode, len(nodes), people, assignment.changes, summary)
