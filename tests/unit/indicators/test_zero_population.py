"""Events in a cell with no population: counted at every level, and a DSR from a band with
events but no population is *not computable* (with a note), never a made-up denominator.

A hand-built vault (DuckDB in a temporary folder): two output areas of one LSOA, ward and
district. At the mid-year reference date OA 1 has 20 people aged 40-44 and one aged 92, OA 2
has 20 aged 40-44 and nobody aged 90+. In the year, a 40-year-old of OA 1 dies, and so does a
91-year-old of OA 2 — in May, so not registered at mid-year (as in life: deaths happen to
people, and the population is a mid-year count).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from partnerhub.identity.people import PERSON_COLUMNS, PERSON_TABLE
from partnerhub.indicators.compute import Areas, compute_parts
from partnerhub.indicators.periods import periods_between
from partnerhub.indicators.release import Calculation, aggregate_for, calculate, true_values
from partnerhub.indicators.spec import load_library
from partnerhub.vault import Vault, connect_backend

OA1, OA2 = "E00000001", "E00000002"
AREAS = {"lsoa_code": "E01000001", "msoa_code": "E02000001", "ward_code": "E05000001"}
LAD = "E07000001"
FY = periods_between("financial_year", dt.date(2023, 4, 1), dt.date(2024, 3, 31))
NI_120 = next(s for s in load_library() if s.id == "NI 120")


def _key(i: int) -> str:
    return f"{i:02x}" + "0" * 62


def _areas(oa: str, n: int) -> dict[str, list[str]]:
    return {"oa_code": [oa] * n, **{k: [v] * n for k, v in AREAS.items()}, "lad_code": [LAD] * n}


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Vault:
    root = tmp_path_factory.mktemp("zero_population")
    v = Vault(connect_backend("duckdb:///vault.duckdb", root))
    # registrations: 20 + 1 in OA 1, 20 in OA 2; the 91-year-old of OA 2 deregistered in May
    people: list[tuple[int, str, dt.date, dt.date | None]] = []
    people += [(i, OA1, dt.date(1982, 1, 1), None) for i in range(20)]
    people += [(20, OA1, dt.date(1931, 1, 1), None)]
    people += [(21 + i, OA2, dt.date(1982, 1, 1), None) for i in range(20)]
    people += [(41, OA2, dt.date(1932, 1, 1), dt.date(2023, 5, 10))]
    n = len(people)
    residence = pa.table(
        {
            "partner": ["gp"] * n,
            "record_key": [_key(i) for i, *_ in people],
            "source": ["gp_registration"] * n,
            "from_date": [dt.date(2010, 1, 1)] * n,
            "to_date": [end for *_, end in people],
            "single_occupier": [None] * n,
            "practice_code": ["X1"] * n,
            **{
                k: [v for i, oa, *_ in people for v in _areas(oa, 1)[k]]
                for k in ("oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code")
            },
            "dataset": ["registrations"] * n,
            "load_id": [1] * n,
        }
    )
    deaths = [(100, 0, OA1, dt.date(2023, 11, 2)), (101, 41, OA2, dt.date(2023, 5, 9))]
    death = pa.table(
        {
            "partner": ["registrar"] * 2,
            "record_key": [_key(k) for k, *_ in deaths],
            "date_of_death": [d for *_, d in deaths],
            "date_registered": [d for *_, d in deaths],
            "place_of_death": ["home"] * 2,
            "underlying_cause": ["I21"] * 2,
            **{
                k: [v for _, _, oa, _ in deaths for v in _areas(oa, 1)[k]]
                for k in ("oa_code", "lsoa_code", "msoa_code", "ward_code", "lad_code")
            },
            "dataset": ["deaths"] * 2,
            "load_id": [2] * 2,
        }
    )
    born = {i: b for i, _, b, _ in people}
    person = pa.table(
        {
            "partner": ["gp"] * n + ["registrar"] * 2,
            "record_key": [_key(i) for i, *_ in people] + [_key(k) for k, *_ in deaths],
            "person_id": [f"P{i}" for i, *_ in people] + [f"P{p}" for _, p, *_ in deaths],
            "birth_month": [born[i] for i, *_ in people] + [born[p] for _, p, *_ in deaths],
            "sex": ["F"] * (n + 2),
            "link_run": [1] * (n + 2),
        }
    )
    with v.backend.transaction():
        v.append("residence", residence)
        v.append("death", death)
    v.backend.create_table(PERSON_TABLE, list(PERSON_COLUMNS))
    v.backend.append_arrow(PERSON_TABLE, person)
    v.sync_current(
        {
            ("gp", "registrations"): ("residence", 1),
            ("registrar", "deaths"): ("death", 2),
        }
    )
    return v


def _calc(vault: Vault) -> Calculation:
    return calculate(vault, NI_120, FY, Areas({}, "E10000001", {}))


def test_an_event_in_a_cell_without_population_is_counted_at_every_level(vault: Vault) -> None:
    parts = compute_parts(vault, NI_120, FY)
    assert parts["numerator"].sum() == 2  # today's main keeps 1: the OA 2 death is dropped
    band_90 = parts[(parts["oa_code"] == OA2) & (parts["age_band"] == 18)]
    assert band_90[["numerator", "denominator"]].to_numpy().tolist() == [[1, 0]]
    rolled = _calc(vault).rolled.set_index(["area_type", "area_code"])
    assert rolled.loc[("oa", OA1), "numerator"] == 1
    assert rolled.loc[("oa", OA2), "numerator"] == 1
    for level, code in [("lsoa", AREAS["lsoa_code"]), ("ward", AREAS["ward_code"])]:
        assert rolled.loc[(level, code), "numerator"] == 2
    assert rolled.loc[("lad", LAD), "numerator"] == 2
    assert rolled.loc[("county", "E10000001"), "numerator"] == 2
    assert rolled.loc[("county", "E10000001"), "denominator"] == 41  # 91-year-old left


def test_no_dsr_from_a_band_without_population(vault: Vault) -> None:
    values = true_values(_calc(vault)).set_index(["area_type", "area_code"])
    oa2 = values.loc[("oa", OA2)]
    assert np.isnan(oa2["value"]) and np.isnan(oa2["lower"]) and np.isnan(oa2["upper"])
    assert "not computable" in oa2["value_note"] and "90+" in oa2["value_note"]
    assert oa2["compared_to_parent"] == "not compared"
    # the LSOA has one 92-year-old: its DSR is computable, written out by hand (ESP 2013:
    # 40-44 weight 7,000 over 40 people, 90+ weight 1,000 over 1 person)
    lsoa = values.loc[("lsoa", AREAS["lsoa_code"])]
    expected = (7000 * 1 / 40 + 1000 * 1 / 1) / 100_000 * 100_000
    assert lsoa["value"] == pytest.approx(expected)
    assert lsoa["value_note"] == "DSR limits not given below 10 events"
    assert values["value"].max() < 1e5  # never 2e12 from a population floored at 1e-9


def test_the_release_notes_why_a_value_or_its_limits_are_missing(vault: Vault) -> None:
    table = aggregate_for(_calc(vault), "oa")
    cells = table.cells.assign(suppressed=False)
    out = table.derive(cells).set_index("Area Code")
    assert out.loc[OA2, "Value"] == ""
    assert out.loc[OA2, "Value note"].startswith("DSR not computable")
    assert out.loc[OA1, "Value note"] == "DSR limits not given below 10 events"
    shown = out[(out["Value"] != "") & (out["Lower CI 95.0 limit"] == "")]
    assert (shown["Value note"] != "").all()


def test_limits_withheld_where_dobson_does_not_hold_say_why() -> None:
    """NI 39 of one LSOA (5,000 people, seed 5, 2022/23): ten admissions, one of them the
    only 85-89-year-old. The value is given; the 99.8 % limits are not, with the reason."""
    from partnerhub.indicators.compute import finish

    spec = next(s for s in load_library() if s.id == "NI 39")
    cells = {4: (1, 39), 5: (1, 63), 6: (1, 69), 7: (3, 58), 11: (1, 19), 12: (1, 18)}
    cells |= {15: (1, 6), 17: (1, 1)}
    banded = pd.DataFrame(
        [
            {"area_type": "lsoa", "area_code": "L", "period": "2022/23", "age_band": b,
             "numerator": cells.get(b, (0, 50))[0], "denominator": cells.get(b, (0, 50))[1]}
            for b in range(19)
        ]
    )  # fmt: skip
    rolled = banded.groupby(["area_type", "area_code", "period"], as_index=False)[
        ["numerator", "denominator"]
    ].sum()
    row = finish(spec, rolled, {}, Areas({}, "C", {}), banded).iloc[0]
    assert row["value"] > 0 and row["lower"] > 0  # 95 % limits hold
    assert np.isnan(row["lower_998"]) and np.isnan(row["upper_998"])
    assert row["value_note"].startswith("99.8% limits not given: the rate is dominated")
