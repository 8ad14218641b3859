"""The attack suite, continued: attacks on the gate's ad-hoc counts (``Gate.release`` of a
``CountTable``, also ``POST /api/releases``) over a real small partnership, by an analyst who
may ask for as many releases as they like.

- **Overlapping windows**: ask for the same count over [s, T.start) and [s, T.end) for many
  start days s; each difference is the count of T plus noise that differs from window to
  window, so the average of many differences gives T's withheld counts back.
- **Zero cells**: an area missing from a count table had no rows — a withheld zero, released by
  its absence.

Each attacker counts the withheld cells it *claims* (from enough evidence) and gets right. On
the gate before windows were held to whole published periods and every area was listed, the
first recovered almost every withheld count of the target quarter and the second every zero.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from partnerhub.config import load_partnership
from partnerhub.control import open_control_plane
from partnerhub.disclosure import SUPPRESSED_MARK
from partnerhub.errors import UserError
from partnerhub.governance import (
    CountQuery,
    CountTable,
    Principal,
    add_user,
    authenticate,
    issue_token,
)
from partnerhub.hub import Hub, open_writer
from partnerhub.indicators.periods import periods_between
from partnerhub.ingest.load import ingest_file
from partnerhub.synth.partnership import generate

PURPOSE = "service_planning"
TARGET = (date(2023, 4, 1), date(2023, 6, 30))  # 2023/24 Q1: the quarter the attacker wants
LEVEL = "oa"
MIN_SAMPLES = 10  # the averaging attacker claims a value only from this many differences

pytestmark = pytest.mark.slow


@dataclass
class World:
    root: Path
    gov: Hub
    analyst: Principal
    spells: pd.DataFrame  # the true rows (admission date, OA) — the test's, not the attacker's


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("gate-attacks") / "p"
    generate(root, 3000, seed=5)
    settings = load_partnership(root / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_file(stores, "acute", "spells")
        vault = stores.vault
        t = vault.current("hospital_spell")
        spells = t.select("admission_date", "oa_code").to_pandas()
    plane = open_control_plane(settings.control_plane.url, settings.root)
    add_user(plane, "attacker", "analyst", "acute")
    who = authenticate(plane, issue_token(plane, "attacker"))
    gov = Hub(settings)
    spells["admission_date"] = pd.to_datetime(spells["admission_date"]).dt.date
    return World(root, gov, who, spells)


def _release(world: World, first: date | None, last: date | None) -> dict[str, str] | None:
    """Area code → released count (or [c]); None when the gate refuses the window."""
    query = CountQuery("acute", "spells", LEVEL, None, first, last)
    try:
        release = world.gov.gate.release(world.analyst, CountTable(query, PURPOSE))
    except UserError:
        return None
    frame = pd.read_csv(io.StringIO(release.content), dtype=str, keep_default_na=False)
    frame = frame[frame["Area Type"] == LEVEL]
    return dict(zip(frame["Area Code"], frame["Count"], strict=True))


def _true_counts(world: World, first: date, last: date) -> dict[str, int]:
    s = world.spells
    chosen = s[(s["admission_date"] >= first) & (s["admission_date"] <= last)]
    return chosen["oa_code"].value_counts().to_dict()


def _all_oas(world: World) -> list[str]:
    """Public knowledge: the partnership's output areas (the published geography)."""
    areas = pd.read_csv(world.root / "geography" / "areas.csv", dtype=str)
    return sorted(areas.loc[areas["level"] == LEVEL, "code"])


def test_overlapping_windows_recover_no_withheld_count(world: World) -> None:
    start, end = TARGET
    truth = _true_counts(world, start, end)
    target = _release(world, start, end)
    assert target is not None  # one whole quarter is always allowed
    withheld = [a for a, v in target.items() if v == SUPPRESSED_MARK]
    assert len(withheld) >= 10, "the test needs withheld cells to attack"

    samples: dict[str, list[int]] = defaultdict(list)
    refused = 0
    # windows ending the day before the target quarter and on its last day, from 120 start days
    for k in range(120):
        s = date(2021, 4, 1) + timedelta(days=3 * k)
        before, through = _release(world, s, start - timedelta(days=1)), _release(world, s, end)
        if before is None or through is None:
            refused += 1
            continue
        for area in withheld:
            a, b = before.get(area, "0"), through.get(area, "0")
            if SUPPRESSED_MARK not in (a, b):
                samples[area].append(int(b) - int(a))
    # whole published periods: the financial year less its other three quarters
    fy = _release(world, date(2023, 4, 1), date(2024, 3, 31))
    quarters = [_release(world, p.start, p.end - timedelta(days=1)) for p in _other_quarters()]
    if fy is not None and all(q is not None for q in quarters):
        for area in withheld:
            values = [fy.get(area, "0")] + [q.get(area, "0") for q in quarters if q is not None]
            if SUPPRESSED_MARK not in values:
                samples[area].append(int(values[0]) - sum(int(v) for v in values[1:]))

    claims = {area: round(sum(v) / len(v)) for area, v in samples.items() if len(v) >= MIN_SAMPLES}
    recovered = [a for a, v in claims.items() if v == truth.get(a, 0)]
    assert recovered == [], (
        f"{len(recovered)} of {len(withheld)} withheld counts recovered exactly "
        f"({refused} of 120 window pairs refused)"
    )
    assert refused == 120  # every overlapping, non-period window was refused


def _other_quarters() -> list:
    quarters = periods_between("quarter", date(2023, 4, 1), date(2024, 3, 31))
    return quarters[1:]


def test_a_refused_window_names_the_periods_allowed(world: World) -> None:
    query = CountQuery("acute", "spells", LEVEL, None, date(2023, 4, 2), date(2023, 6, 30))
    with pytest.raises(UserError, match=r"2023/24 = 2023-04-01 to 2024-03-31") as e:
        world.gov.gate.release(world.analyst, CountTable(query, PURPOSE))
    assert "2023/24 Q1 = 2023-04-01 to 2023-06-30" in str(e.value)


def test_no_area_is_left_out_so_zeros_do_not_leak(world: World) -> None:
    every = _all_oas(world)
    recovered = zeros = 0
    listed: list[bool] = []
    withheld: list[bool] = []
    for q in periods_between("quarter", date(2021, 4, 1), date(2025, 3, 31)):
        last = q.end - timedelta(days=1)
        released = _release(world, q.start, last)
        assert released is not None
        truth = _true_counts(world, q.start, last)
        zeros += sum(1 for a in every if truth.get(a, 0) == 0)
        # the attacker: an output area missing from the table had no spells
        for area in every:
            if area not in released and truth.get(area, 0) == 0:
                recovered += 1
        # what is listed: every area, a true zero withheld like any other small count
        listed.append(set(every) <= set(released))
        withheld.append(all(released.get(a) == SUPPRESSED_MARK for a in every if not truth.get(a)))
    assert zeros >= 5, "the test needs empty output-area quarters to attack"
    assert recovered == 0, f"{recovered} of {zeros} true zeros recovered from missing areas"
    assert all(listed) and all(withheld)
