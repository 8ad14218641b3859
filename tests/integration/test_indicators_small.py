"""Every indicator releases at every level however few facts an extract has (issue 14, item
6: a 5,000-person demo crashed at NI 19, whose extract had 4 rows, because a calculation with
no facts left its period column as floats).

One small synthetic partnership is generated, ingested and linked once; Hypothesis then picks
an indicator, a level and how many rows of the indicator's extract survive (none, a few, or a
dozen chosen at random). The rows are deleted inside a transaction that is rolled back, so
each example starts from the whole partnership. The release is built as the gate builds it:
counts in a vault scoped to the spec's fields, disclosure control, the Fingertips table
derived from the protected counts. Every spec of the library also computes the same through
the scoped view as through the whole vault.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from partnerhub.config import load_partnership
from partnerhub.disclosure import DisclosureSettings
from partnerhub.governance.outputs import protect_aggregate
from partnerhub.hub import Writer, open_writer
from partnerhub.identity import link_partnership
from partnerhub.identity.people import publish_people
from partnerhub.indicators.release import (
    FINGERTIPS_COLUMNS,
    RELEASE_LEVELS,
    aggregate_for,
    calculate,
    default_periods,
    true_values,
    used_fields,
)
from partnerhub.indicators.run import areas_of
from partnerhub.indicators.spec import IndicatorSpec, Selection, load_library
from partnerhub.ingest.load import ingest_all
from partnerhub.synth.partnership import MIN_PEOPLE, generate
from partnerhub.vault import ScopedVault, Vault

pytestmark = pytest.mark.slow

LIBRARY = {s.id: s for s in load_library()}
FIRST, LAST = date(2021, 4, 1), date(2025, 3, 31)


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Writer]:
    root = tmp_path_factory.mktemp("small") / "p"
    # seed 1: the police youth-outcomes extract has two rows (at seed 3 it is empty, and an
    # empty extract is now rejected, so NI 19 would have no loaded source at all)
    generate(root, MIN_PEOPLE, seed=1)
    partnership = load_partnership(root / "partnership.toml")
    with open_writer(partnership) as opened:
        ingest_all(opened)
        loaded = {f"{p}/{d}" for p, d in opened.control.current_loads()}
        assert {s for spec in LIBRARY.values() for s in spec.sources} <= loaded
        link_partnership(opened.identity, opened.control)
        publish_people(opened.identity, opened.vault, opened.control)
        yield opened


def _thin(vault: Vault, spec: IndicatorSpec, keep: int, seed: int) -> None:
    """Delete all but ``keep`` current rows (chosen at random) of each table the spec counts
    from — rows of its own sources only."""
    tables = {spec.numerator_table}
    if isinstance(spec.denominator, Selection) and spec.denominator.table:
        tables.add(spec.denominator.table)
    sources = [tuple(s.split("/")) for s in spec.sources]
    for name in sorted(tables):
        rows = vault.current(name).select("partner", "dataset", "record_key").to_pandas()
        ours = [(p, d) in sources for p, d in zip(rows.partner, rows.dataset, strict=True)]
        mine = rows[np.array(ours, dtype=bool)]
        keys = sorted(set(mine["record_key"]))
        kept = set(np.random.default_rng(seed).permutation(keys)[:keep]) if keys else set()
        gone = [k for k in keys if k not in kept]
        table = vault.backend.qualified(name)
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            vault.backend.execute(f"DELETE FROM {table} WHERE record_key IN ({marks})", chunk)


def _scoped(stores: Writer, spec: IndicatorSpec) -> ScopedVault:
    """The vault as the gate gives it to the spec's builder: its fields only."""
    tables = {(d.partner, d.dataset): d.table_name for d in stores.control.datasets()}
    return ScopedVault(stores.vault, used_fields(spec, tables), tables)


@pytest.mark.parametrize("spec_id", sorted(LIBRARY))
def test_every_spec_computes_the_same_through_the_scoped_vault(
    stores: Writer, spec_id: str
) -> None:
    """The compiler runs unchanged on the view the gate gives it (the spec's fields only),
    with and without the population cache, and gets the whole vault's numbers."""
    spec = LIBRARY[spec_id]
    periods = default_periods(spec, FIRST, LAST)
    areas = areas_of(stores.settings)
    whole = true_values(calculate(stores.vault, spec, periods, areas))
    scoped = _scoped(stores, spec)
    pd.testing.assert_frame_equal(true_values(calculate(scoped, spec, periods, areas)), whole)
    cached = true_values(calculate(scoped, spec, periods, areas, {}))
    pd.testing.assert_frame_equal(cached, whole)
    assert len(whole) > 0


@given(
    spec_id=st.sampled_from(sorted(LIBRARY)),
    level=st.sampled_from(RELEASE_LEVELS),
    keep=st.sampled_from([0, 1, 2, 3, 4, 7, 12]),
    seed=st.integers(0, 2**16),
)
@example(spec_id="NI 19", level="lad", keep=4, seed=0)  # the demo's crash
@example(spec_id="NI 19", level="ward", keep=0, seed=0)
@example(spec_id="NI 120", level="oa", keep=3, seed=1)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_indicator_releases_whatever_survives_of_its_extract(
    stores: Writer, spec_id: str, level: str, keep: int, seed: int
) -> None:
    spec = LIBRARY[spec_id]
    periods = default_periods(spec, FIRST, LAST)
    labels = [p.label for p in periods]
    vault = stores.vault
    try:
        with vault.backend.transaction():
            _thin(vault, spec, keep, seed)
            calc = calculate(_scoped(stores, spec), spec, periods, areas_of(stores.settings))
            table = aggregate_for(calc, level)
            protected, _ = protect_aggregate(table, DisclosureSettings())
            out = table.derive(protected)
            raise _Rollback
    except _Rollback:
        pass
    assert list(out.columns) == list(FINGERTIPS_COLUMNS)
    assert (out["Area Type"] == level).all()
    # a complete grid: each area of the level in every period asked for, text labels
    assert len(out) == out["Area Code"].nunique() * len(labels)
    if len(out):
        assert sorted(set(out["Time period"])) == sorted(labels)
    # a value shown without its limits says why
    bare = out[(out["Value"].astype(str) != "") & (out["Lower CI 95.0 limit"].astype(str) == "")]
    assert (bare["Value note"] != "").all()
    assert not pd.to_numeric(out["Lower CI 95.0 limit"], errors="coerce").lt(0).any()
