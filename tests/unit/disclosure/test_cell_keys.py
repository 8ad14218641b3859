"""Cell keys in the vault (:mod:`partnerhub.disclosure.cell_keys`): the same key as the pure
rule, for every prefix. The gate's count tables and the cohort planner both derive keys with
this one function."""

from __future__ import annotations

import ibis

from partnerhub.disclosure import record_cell_key, with_record_cell_key


def _keys() -> list[str]:
    # every two-hex-digit prefix, both cases, and a record without a key
    return [f"{i:02x}{'ab' * 31}" for i in range(256)] + [f"{i:02X}rest" for i in range(256)]


def test_each_record_gets_the_key_of_the_rule() -> None:
    rows = ibis.memtable({"record_key": [*_keys(), None]}, schema={"record_key": "string"})
    got = with_record_cell_key(rows).to_pandas()
    assert len(got) == 512  # the record without a key has none, and drops out
    assert all(k == record_cell_key(r) for r, k in zip(got["record_key"], got["_ck"], strict=True))
    named = with_record_cell_key(rows, "key").to_pandas()
    assert sorted(named.columns) == ["key", "record_key"]
