"""The gate's output kinds (issue 15, item 2): each one's disclosure rule and field
minimisation, through :meth:`Gate.release` over a hand-built world — a DuckDB vault with the
benefit claims of two partners (DWP claims, the council's council-tax-reduction claims), a
SQLite control plane, an audit log and an agreement made in code."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from ibis.common.exceptions import IbisError
from sqlalchemy import select

from partnerhub.control import AuditEntry, ControlPlane, Release, open_control_plane
from partnerhub.disclosure import SUPPRESSED_MARK
from partnerhub.errors import DisclosureError, PermissionDeniedError, PolicyError, UserError
from partnerhub.governance import (
    AggregateTable,
    Agreement,
    AuditLog,
    Chart,
    ComputedTable,
    CountQuery,
    CountTable,
    DatasetFields,
    FigureCount,
    Gate,
    ModelFit,
    ModelSummary,
    OutreachList,
    PersonNotification,
    Principal,
    Provenance,
    PublicFigure,
)
from partnerhub.governance.outputs import chart_bytes
from partnerhub.vault import Vault, connect_backend

KEY = b"k" * 32
LAD = "E07000001"
OAS = ["E00000001", "E00000002", "E00000003"]
TABLES = {("dwp", "claims"): "benefit_claim", ("council", "ctr"): "benefit_claim"}
ANALYST = Principal("ana", "analyst", "dwp")
COUNCIL = Principal("cal", "analyst", "council")


def record_key(i: int) -> str:
    return f"{i % 256:02x}{i:062x}"


def _claims(partner: str, dataset: str, n: int, first: int, load_id: int) -> pa.Table:
    oas = [OAS[i % len(OAS)] for i in range(n)]
    return pa.table(
        {
            "partner": [partner] * n,
            "record_key": [record_key(first + i) for i in range(n)],
            "benefit": ["pension_credit" if i % 3 else "universal_credit" for i in range(n)],
            "claim_received_date": [dt.date(2023, 5, 1)] * n,
            "decision_date": [dt.date(2023, 6, 1)] * n,
            "start_date": [dt.date(2023, 6, 1)] * n,
            "end_date": [None] * n,
            "weekly_amount": [100.0 + i for i in range(n)],
            "oa_code": oas,
            "lsoa_code": [f"E0100000{int(o[-1])}" for o in oas],
            "msoa_code": ["E02000001"] * n,
            "ward_code": ["E05000001"] * n,
            "lad_code": [LAD] * n,
            "dataset": [dataset] * n,
            "load_id": [load_id] * n,
        }
    )


def agreement(**changes: Any) -> Agreement:
    data: dict[str, Any] = {
        "id": "claims-sharing",
        "title": "Claims",
        "legal_basis": "test",
        "purposes": ["service_planning", "direct_care", "outreach"],
        "output_kinds": [
            "aggregate",
            "model_summary",
            "person_notification",
            "outreach_list",
            "public_figure",
        ],
        "recipients": ["dwp", "council"],
        "start": dt.date(2020, 1, 1),
        "expiry": dt.date(2030, 1, 1),
        "dataset": [
            {
                "partner": "dwp",
                "dataset": "claims",
                "fields": ["benefit", "postcode", "start_date", "weekly_amount"],
            },
            {"partner": "council", "dataset": "ctr", "fields": ["benefit", "postcode"]},
        ],
    }
    data.update(changes)
    return Agreement.model_validate(data)


@dataclass
class World:
    root: Path
    plane: ControlPlane
    gate: Gate

    def vault(self) -> Vault:
        return Vault(connect_backend("duckdb:///vault.duckdb", self.root))


def make_world(root: Path, agreements: list[Agreement] | None = None) -> World:
    vault = Vault(connect_backend("duckdb:///vault.duckdb", root))
    with vault.backend.transaction():
        vault.append("benefit_claim", _claims("dwp", "claims", 60, 0, 1))
        vault.append("benefit_claim", _claims("council", "ctr", 30, 1000, 2))
    vault.sync_current(
        {("dwp", "claims"): ("benefit_claim", 1), ("council", "ctr"): ("benefit_claim", 2)}
    )
    vault.close()
    plane = open_control_plane("sqlite:///control.db", root)
    audit = AuditLog(plane, KEY, None)

    def open_vault() -> Vault:
        return Vault(connect_backend("duckdb:///vault.duckdb", root))

    gate = Gate(
        plane,
        agreements if agreements is not None else [agreement()],
        audit,
        vault=open_vault,
        dataset_tables=dict(TABLES),
        today=lambda: dt.date(2026, 1, 1),
    )
    return World(root, plane, gate)


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = make_world(tmp_path)
    yield w
    w.plane.close()


def _releases(world: World) -> list[Release]:
    with world.plane.session() as s:
        return list(s.scalars(select(Release).order_by(Release.id)))


def _last_audit(world: World) -> dict[str, Any]:
    with world.plane.session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    detail: dict[str, Any] = json.loads(entry.detail)
    return detail


def _csv(release: Release) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(release.content), dtype=str, keep_default_na=False)


# -- aggregate tables --------------------------------------------------------------------------
def test_a_count_table_reads_only_its_query_fields_and_records_its_provenance(
    world: World,
) -> None:
    release = world.gate.release(
        ANALYST, CountTable(CountQuery("dwp", "claims", "oa", "benefit"), "service_planning")
    )
    out = _csv(release)
    # 60 claims over 3 OAs: 20 each, by benefit 7 or 13 — the 7s withheld (threshold 7)
    oa1 = out[(out["Area Code"] == OAS[0]) & (out["benefit"] == "all")]
    assert oa1["Count"].tolist() in (["20"], ["15"], ["25"])
    assert set(out["Count"]) - {SUPPRESSED_MARK} <= {str(v) for v in range(0, 100, 5)}
    assert (release.capability, release.subject, release.level) == ("counts", "dwp/claims", "oa")
    assert (release.period_first, release.period_last) == (None, None)
    assert release.output_kind == "aggregate"


def test_a_windowed_count_records_its_period(world: World) -> None:
    query = CountQuery("dwp", "claims", "lad", None, dt.date(2023, 4, 1), dt.date(2024, 3, 31))
    release = world.gate.release(ANALYST, CountTable(query, "service_planning"))
    assert (release.period_first, release.period_last) == ("2023/24", "2023/24")
    total = _csv(release).set_index("Area Code")["Count"]["total"]
    assert total in ("55", "60", "65")


def _counts_by_benefit(vault: Vault) -> AggregateTable:
    t = vault.current("benefit_claim")
    t = t.filter(t.partner == "dwp")
    g = t.group_by("benefit").aggregate(n=t.count()).to_pandas()
    g = g.sort_values("benefit").reset_index(drop=True)
    return AggregateTable(
        cells=g,
        dims=("benefit",),
        counts=("n",),
        keys={},
        hierarchy=_flat(),
        derive=lambda protected: protected,
    )


def _flat() -> Any:
    from partnerhub.disclosure import Hierarchy

    return Hierarchy("benefit", {})


def _computed(build: Any, names: tuple[str, ...] = ("benefit",)) -> ComputedTable:
    return ComputedTable(
        DatasetFields("dwp", "claims", names),
        build,
        "service_planning",
        "claims by benefit",
        {"what": "claims by benefit"},
        Provenance("test", "dwp/claims"),
    )


def test_a_computed_table_is_built_on_the_fields_of_its_query(world: World) -> None:
    seen: list[list[str]] = []

    def build(vault: Vault) -> AggregateTable:
        seen.append(list(vault.current("benefit_claim").columns))
        return _counts_by_benefit(vault)

    release = world.gate.release(ANALYST, _computed(build))
    assert sorted(seen[0]) == ["benefit", "dataset", "load_id", "partner", "record_key"]
    assert _csv(release).to_dict("list") == {
        "benefit": ["pension_credit", "universal_credit"],
        "suppressed": ["False", "False"],
        "n": ["40", "20"],
    }
    assert (release.capability, release.subject) == ("test", "dwp/claims")


def test_a_builder_reading_a_field_outside_its_query_fails(world: World) -> None:
    def build(vault: Vault) -> AggregateTable:
        t = vault.current("benefit_claim")
        t.weekly_amount.sum().execute()  # authorised by the agreement, not by the query
        raise AssertionError("unreachable")

    with pytest.raises((AttributeError, IbisError)):
        world.gate.release(ANALYST, _computed(build))
    assert _releases(world) == []


def test_a_builder_reading_a_table_outside_its_query_fails(world: World) -> None:
    def build(vault: Vault) -> AggregateTable:
        vault.current("hospital_spell")
        raise AssertionError("unreachable")

    with pytest.raises(PermissionDeniedError, match="hospital_spell"):
        world.gate.release(ANALYST, _computed(build))


def test_a_query_naming_a_field_the_agreement_does_not_share_is_refused(world: World) -> None:
    with pytest.raises(PolicyError, match=r"dwp/claims\.end_date"):
        world.gate.release(ANALYST, _computed(_counts_by_benefit, ("benefit", "end_date")))


# -- model summaries ---------------------------------------------------------------------------
def _fit(dof: int = 40, people: tuple[int, ...] = (60, 20, 5), **metrics: float) -> ModelFit:
    coefficients = pd.DataFrame(
        {
            "term": ["const", "universal_credit", "rare_group"],
            "estimate": [1.5, -0.25, 3.0],
            "std_error": [0.1, 0.05, 2.0],
            "p_value": [0.001, 0.02, 0.3],
            "people": list(people),
            "residual": [0.1, 0.2, 0.3],  # row-level: must never leave
        }
    )
    return ModelFit(coefficients, dof, 60, metrics or {"r_squared": 0.4, "leverage_max": 0.9})


def _summary(fit: ModelFit) -> ModelSummary:
    def build(vault: Vault) -> ModelFit:
        vault.current("benefit_claim").count().execute()
        return fit

    return ModelSummary(
        DatasetFields("dwp", "claims", ("benefit", "weekly_amount")),
        build,
        "service_planning",
        "weekly amount by benefit",
        {"model": "ols"},
        Provenance("models", "weekly_amount"),
    )


def test_a_model_summary_withholds_terms_of_few_people_and_keeps_only_summary_columns(
    world: World,
) -> None:
    release = world.gate.release(ANALYST, _summary(_fit()))
    body = json.loads(release.content)
    assert body["coefficients"] == [
        {"term": "const", "estimate": 1.5, "std_error": 0.1, "p_value": 0.001},
        {"term": "universal_credit", "estimate": -0.25, "std_error": 0.05, "p_value": 0.02},
        {
            "term": "rare_group",
            "estimate": SUPPRESSED_MARK,
            "std_error": SUPPRESSED_MARK,
            "p_value": SUPPRESSED_MARK,
        },
    ]
    assert body["metrics"] == {"r_squared": 0.4}  # leverage is not a summary figure
    assert body["observations"] == 60
    assert release.output_kind == "model_summary"
    assert release.media_type == "application/json"
    assert json.loads(release.disclosure)["suppressed"]["primary"] == 1


def test_a_model_with_too_few_residual_degrees_of_freedom_is_refused(world: World) -> None:
    with pytest.raises(DisclosureError, match="9 residual degrees of freedom"):
        world.gate.release(ANALYST, _summary(_fit(dof=9)))
    assert _releases(world) == []
    world.gate.release(ANALYST, _summary(_fit(dof=10)))  # ACRO's threshold itself passes


# -- charts ------------------------------------------------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n" + b"picture"


def test_a_chart_is_drawn_from_the_protected_table_only(world: World) -> None:
    given: list[pd.DataFrame] = []

    def render(table: pd.DataFrame) -> bytes:
        given.append(table)
        return PNG

    counts = CountTable(CountQuery("dwp", "claims", "oa", "benefit"), "service_planning")
    chart = world.gate.release(ANALYST, Chart(counts, render, "image/png"))
    table = world.gate.release(ANALYST, counts)
    # the renderer saw exactly the released table: protected counts, [c] where withheld
    assert given[0].to_csv(index=False) == table.content
    assert SUPPRESSED_MARK in set(given[0]["Count"])
    assert chart_bytes(chart.content, chart.media_type) == PNG
    assert (chart.output_kind, chart.media_type) == ("chart", "image/png")
    assert (chart.capability, chart.level) == ("counts", "oa")


def test_a_chart_of_anything_but_a_gate_aggregate_is_refused() -> None:
    frame = pd.DataFrame({"area": ["a"], "count": [3]})
    with pytest.raises(UserError, match="only from an aggregate table"):
        Chart(frame, lambda t: PNG, "image/png")  # type: ignore[arg-type]


def test_a_chart_that_is_not_the_picture_it_claims_is_refused(world: World) -> None:
    counts = CountTable(CountQuery("dwp", "claims", "lad"), "service_planning")
    with pytest.raises(UserError, match="not return an SVG"):
        world.gate.release(ANALYST, Chart(counts, lambda t: PNG, "image/svg+xml"))


# -- person notifications ----------------------------------------------------------------------
def _one_claim(key: str) -> Any:
    def build(vault: Vault) -> pd.DataFrame:
        t = vault.current("benefit_claim")
        frame: pd.DataFrame = t.filter(t.record_key == key).to_pandas()
        return frame

    return build


def test_a_person_notification_carries_one_record_and_the_event_fields_only(
    world: World,
) -> None:
    key = record_key(4)
    notice = PersonNotification(
        "benefit_awarded", "dwp", "claims", ("benefit", "start_date"), _one_claim(key)
    )
    release = world.gate.release(ANALYST, notice)
    assert json.loads(release.content) == {
        "event": "benefit_awarded",
        "record_key": key,
        "benefit": "pension_credit",
        "start_date": "2023-06-01",
    }
    assert release.output_kind == "person_notification"
    assert _last_audit(world)["people"] == 1


def test_a_person_notification_about_more_than_one_record_is_refused(world: World) -> None:
    def build(vault: Vault) -> pd.DataFrame:
        frame: pd.DataFrame = vault.current("benefit_claim").limit(2).to_pandas()
        return frame

    notice = PersonNotification("benefit_awarded", "dwp", "claims", ("benefit",), build)
    with pytest.raises(DisclosureError, match="exactly one record"):
        world.gate.release(ANALYST, notice)
    assert _releases(world) == []


def test_a_person_notification_cannot_read_or_send_a_field_the_event_does_not_name(
    world: World,
) -> None:
    key = record_key(4)

    def greedy(vault: Vault) -> pd.DataFrame:
        t = vault.current("benefit_claim")
        frame: pd.DataFrame = t.filter(t.record_key == key).select("weekly_amount").to_pandas()
        return frame

    notice = PersonNotification("benefit_awarded", "dwp", "claims", ("benefit",), greedy)
    with pytest.raises((AttributeError, IbisError)):
        world.gate.release(ANALYST, notice)
    # a field the agreement does not list for the dataset is refused before anything is read
    council = PersonNotification("x", "council", "ctr", ("weekly_amount",), _one_claim(key))
    with pytest.raises(PolicyError, match=r"council/ctr\.weekly_amount"):
        world.gate.release(COUNCIL, council)


# -- outreach lists ----------------------------------------------------------------------------
def _universal_credit(vault: Vault) -> pd.DataFrame:
    t = vault.current("benefit_claim")
    frame: pd.DataFrame = t.filter(t.benefit == "universal_credit").to_pandas()
    return pd.concat([frame, frame])  # a person listed twice by the builder goes out once


def test_an_outreach_list_lists_the_recipients_own_records_with_named_fields_only(
    world: World,
) -> None:
    outreach = OutreachList("ctr_take_up", "dwp", "claims", ("benefit",), _universal_credit)
    release = world.gate.release(ANALYST, outreach)
    out = _csv(release)
    assert list(out.columns) == ["record_key", "benefit"]
    assert len(out) == 20 and out["record_key"].is_unique
    assert set(out["benefit"]) == {"universal_credit"}
    assert _last_audit(world)["people"] == 20
    assert (release.output_kind, release.capability, release.subject) == (
        "outreach_list",
        "outreach",
        "ctr_take_up",
    )


def test_an_outreach_list_goes_only_to_the_partner_that_will_contact_the_people(
    world: World,
) -> None:
    outreach = OutreachList("ctr_take_up", "dwp", "claims", ("benefit",), _universal_credit)
    with pytest.raises(DisclosureError, match="goes only to dwp"):
        world.gate.release(COUNCIL, outreach)

    def others(vault: Vault) -> pd.DataFrame:
        frame = _universal_credit(vault)
        return frame.assign(partner="council")

    smuggled = OutreachList("ctr_take_up", "dwp", "claims", ("benefit",), others)
    with pytest.raises(DisclosureError, match="records of other partners"):
        world.gate.release(ANALYST, smuggled)
    assert _releases(world) == []


# -- public figures ----------------------------------------------------------------------------
def _figure(count: int, population: int) -> PublicFigure:
    def build(vault: Vault) -> FigureCount:
        vault.current("benefit_claim").count().execute()
        return FigureCount(count, population, cell_key=17)

    return PublicFigure(
        DatasetFields("dwp", "claims", ("benefit",)),
        build,
        "service_planning",
        "Pension Credit claims",
        {"figure": "pension_credit"},
        Provenance("public", "pension_credit"),
    )


def test_a_public_figure_takes_the_strictest_rule(world: World) -> None:
    # 9 is above the agreement's threshold (7) but not the public's (10): withheld
    small = _csv(world.gate.release(ANALYST, _figure(9, 2_000)))
    assert small.to_dict("list") == {
        "Figure": ["Pension Credit claims"],
        "Count": [SUPPRESSED_MARK],
        "Population": ["2000"],
        "Rate per 1,000": [SUPPRESSED_MARK],
    }
    release = world.gate.release(ANALYST, _figure(123, 4_321))
    shown = _csv(release)
    assert list(shown.columns) == ["Figure", "Count", "Population", "Rate per 1,000"]
    assert int(shown["Count"][0]) % 10 == 0 and abs(int(shown["Count"][0]) - 123) <= 7
    assert shown["Population"][0] == "4300"
    settings = json.loads(release.disclosure)["settings"]
    assert (settings["threshold"], settings["rounding_base"]) == (10, 10)
    assert release.output_kind == "public_figure"


def test_a_public_figure_about_a_small_population_is_refused(world: World) -> None:
    with pytest.raises(DisclosureError, match="at least 1000 people"):
        world.gate.release(ANALYST, _figure(500, 999))


def test_a_public_figure_needs_an_agreement_that_permits_public_figures(tmp_path: Path) -> None:
    w = make_world(tmp_path, [agreement(output_kinds=["aggregate"])])
    try:
        with pytest.raises(PolicyError, match="does not permit public_figure outputs"):
            w.gate.release(ANALYST, _figure(500, 5_000))
    finally:
        w.plane.close()


def test_only_analysts_request_releases(world: World) -> None:
    viewer = Principal("vic", "partner_viewer", "dwp")
    with pytest.raises(PermissionDeniedError, match="only analysts"):
        world.gate.release(viewer, _figure(500, 5_000))
