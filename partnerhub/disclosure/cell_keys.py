"""Cell keys in the vault: each record's key (0..255, the first byte of its pseudonymous record
key — :func:`partnerhub.disclosure.rules.record_cell_key`) as an Ibis column, so a cell's key
(their sum modulo 256) is computed by the same aggregation that counts it. Every count the gate
perturbs gets its keys here; the same record always gives the same key."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from partnerhub.disclosure.rules import CELL_KEY_MODULUS

__all__ = ["CELL_KEY_COLUMN", "cell_key_prefixes", "with_record_cell_key"]

CELL_KEY_COLUMN = "_ck"


def cell_key_prefixes() -> ir.Table:
    """The 256 two-hex-digit prefixes (``_prefix``) and their keys (``_ck``)."""
    return ibis.memtable(
        {
            "_prefix": [f"{i:02x}" for i in range(CELL_KEY_MODULUS)],
            CELL_KEY_COLUMN: list(range(CELL_KEY_MODULUS)),
        }
    )


def with_record_cell_key(
    rows: ir.Table, name: str = CELL_KEY_COLUMN, keys: ir.Table | None = None
) -> ir.Table:
    """``rows`` with each row's cell key as column ``name`` (an inner join on the record key's
    first two hex digits, lower-cased: a row without a record key has no key and drops out).
    ``keys``: the table of :func:`cell_key_prefixes`, when one is shared by many joins."""
    keys = cell_key_prefixes() if keys is None else keys
    if name != CELL_KEY_COLUMN:
        keys = keys.rename({name: CELL_KEY_COLUMN})
    shaped = rows.mutate(_prefix=rows.record_key.substr(0, 2).lower())
    return shaped.join(keys, "_prefix").drop("_prefix")
