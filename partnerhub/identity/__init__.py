"""Identity resolution: one person index across partners, built on Splink.

:mod:`.prepare` standardises identifiers, :mod:`.model` links them (deterministic edges and a
Splink Fellegi–Sunter model) and clusters, :mod:`.index` keeps person ids stable across runs,
:mod:`.run` is `partnerhub link`, :mod:`.evaluate` scores a run against truth (synthetic data).
"""

from partnerhub.identity.evaluate import linkage_quality, score_index
from partnerhub.identity.index import Assignment, assign_person_ids
from partnerhub.identity.model import DEFAULT_THRESHOLD, LinkResult, link_records
from partnerhub.identity.prepare import Prepared, prepare_records
from partnerhub.identity.run import (
    LinkRunResult,
    current_person_index,
    link_partnership,
    recover_link_runs,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "Assignment",
    "LinkResult",
    "LinkRunResult",
    "Prepared",
    "assign_person_ids",
    "current_person_index",
    "link_partnership",
    "link_records",
    "linkage_quality",
    "prepare_records",
    "recover_link_runs",
    "score_index",
]
