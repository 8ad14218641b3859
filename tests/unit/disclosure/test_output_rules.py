"""The rules of model summaries and public figures (:mod:`partnerhub.disclosure.outputs`),
stated as properties, with ACRO's own thresholds as the reference."""

from __future__ import annotations

from pathlib import Path

import acro
import yaml
from hypothesis import given
from hypothesis import strategies as st

from partnerhub.disclosure import (
    MODEL_DOF_THRESHOLD,
    PUBLIC_THRESHOLD,
    DisclosureSettings,
    dof_is_safe,
    public_count,
    public_settings,
    term_is_safe,
)

ACRO_DEFAULTS = yaml.safe_load((Path(acro.__file__).parent / "default.yaml").read_text())

settings_st = st.builds(
    DisclosureSettings,
    threshold=st.integers(0, 30),
    rounding_base=st.sampled_from([1, 2, 3, 5, 10, 20]),
    cell_key=st.booleans(),
    zeros_are_disclosive=st.booleans(),
)


def test_the_thresholds_are_acros() -> None:
    assert ACRO_DEFAULTS["safe_dof_threshold"] == MODEL_DOF_THRESHOLD
    assert ACRO_DEFAULTS["safe_threshold"] == PUBLIC_THRESHOLD
    assert not dof_is_safe(MODEL_DOF_THRESHOLD - 1) and dof_is_safe(MODEL_DOF_THRESHOLD)


@given(people=st.integers(0, 200), settings=settings_st)
def test_a_term_is_reported_only_above_the_threshold(
    people: int, settings: DisclosureSettings
) -> None:
    assert term_is_safe(people, settings) == (people > max(settings.threshold, 0) and people > 0)


@given(count=st.integers(0, 10_000), key=st.integers(0, 255), settings=settings_st)
def test_no_public_figure_is_small_and_every_one_is_rounded_to_the_strictest_base(
    count: int, key: int, settings: DisclosureSettings
) -> None:
    strict = public_settings(settings)
    released = public_count(count, key, settings)
    if released is None:
        assert count <= strict.threshold
        return
    assert count > max(settings.threshold, PUBLIC_THRESHOLD)
    assert released % strict.rounding_base == 0
    assert strict.rounding_base >= max(settings.rounding_base, 10)
    assert abs(released - count) <= strict.half_width
