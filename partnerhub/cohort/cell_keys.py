"""Cell keys: each row's key (0..255, the first byte of its record key), summed per cell so
disclosure control can perturb the same people's count the same way in every release.

One function on purpose: the derivation moves to :mod:`partnerhub.disclosure` (issue 15,
item 2), and then only this call changes."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["with_cell_key"]


def with_cell_key(t: ir.Table) -> ir.Table:
    """``t`` with each row's cell key (0..255, the first byte of its record key) as ``_ck``."""
    keys = ibis.memtable({"_prefix": [f"{i:02x}" for i in range(256)], "_ck": list(range(256))})
    t = t.mutate(_prefix=t.record_key.substr(0, 2).lower())
    return t.join(keys, "_prefix").drop("_prefix")
