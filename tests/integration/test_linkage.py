"""Linkage on synthetic partnerships scored against truth; stable ids; garbage identifiers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from partnerhub.config import load_partnership
from partnerhub.hub import open_writer
from partnerhub.identity import current_person_index, link_partnership, score_index
from partnerhub.ingest import ingest_all, ingest_file
from partnerhub.keys import PseudonymisationKey, load_key
from partnerhub.synth.partnership import generate
from partnerhub.vault.stores import PERSON_INDEX

TODAY = pd.Timestamp("2025-04-01").date()


def truth_of(partnership: Path, key: PseudonymisationKey) -> pd.DataFrame:
    truth = pd.read_parquet(partnership / "truth" / "source_records.parquet")
    truth["record_key"] = [
        key.record_key(p, lid) for p, lid in zip(truth["partner"], truth["local_id"], strict=True)
    ]
    return truth[["partner", "record_key", "person_id"]].rename(
        columns={"person_id": "true_person"}
    )


def quality(partnership: Path) -> dict[str, float]:
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        index = current_person_index(stores.identity, stores.control)
        loads = [ld.id for ld in stores.control.current_loads().values()]
        source = stores.identity.records_for_linkage(loads)
    q = score_index(index, source, truth_of(partnership, load_key(settings)))
    assert q["unscored"] == 0
    return q


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("large") / "p"
    generate(out, 100_000, seed=11)
    settings = load_partnership(out / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_all(stores, today=TODAY)
    return out


@pytest.mark.slow
def test_f1_on_a_100k_person_partnership(large: Path) -> None:
    settings = load_partnership(large / "partnership.toml")
    with open_writer(settings) as stores:
        run = link_partnership(stores.identity, stores.control)
    q = quality(large)
    assert q["records"] > 250_000
    assert q["f1"] >= 0.99, q
    assert q["precision"] >= 0.985 and q["recall"] >= 0.985, q
    assert run.summary["people"] == q["clusters"] or run.summary["people"] > q["clusters"]


def test_incremental_linking_keeps_every_unchanged_persons_id(
    partnership: Path, tmp_path: Path
) -> None:
    toml = partnership / "partnership.toml"
    settings = load_partnership(toml)
    with open_writer(settings) as stores:
        for partner in settings.partners:
            for ds in partner.datasets:
                if (partner.id, ds.id) != ("acute", "spells"):
                    ingest_file(stores, partner.id, ds.id, today=TODAY)
        first = link_partnership(stores.identity, stores.control)
        before = current_person_index(stores.identity, stores.control)
        ingest_file(stores, "acute", "spells", today=TODAY)  # a new extract arrives
        second = link_partnership(stores.identity, stores.control, mode="incremental")
        after = current_person_index(stores.identity, stores.control)
        runs = stores.control.link_runs()
    assert [r.id for r in runs] == [first.run_id, second.run_id]
    # incremental: the same parameters, not re-estimated
    assert _parameters(runs[1].model) == _parameters(runs[0].model)
    both = before.merge(after, on=["partner", "record_key"], suffixes=("_old", "_new"))
    assert len(both) == len(before)  # every old record is still indexed
    # a person's id changes only if their cluster (as seen among old records) changed
    old_groups = both.groupby("person_id_old")["record_key"].agg(frozenset)
    new_groups = set(both.groupby("person_id_new")["record_key"].agg(frozenset))
    unchanged = {pid for pid, group in old_groups.items() if group in new_groups}
    keep = both.loc[both["person_id_old"].isin(unchanged)]
    assert (keep["person_id_old"] == keep["person_id_new"]).all()
    changed_records = (both["person_id_old"] != both["person_id_new"]).sum()
    assert changed_records <= second.changes["records"].sum()
    assert len(keep) / len(both) > 0.97
    # new records joined existing people or became new ones
    assert len(after) > len(before)
    # only the new extract's records were scored against the rest: truly incremental
    new = second.summary["new_records"]
    assert 0 < new < second.summary["identifier_variants"] / 3
    # and the result is as good as linking everything
    assert quality(partnership)["f1"] >= 0.98


def test_a_full_rebuild_changes_only_truly_changed_clusters(partnership: Path) -> None:
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_all(stores, today=TODAY)
        link_partnership(stores.identity, stores.control)
        before = current_person_index(stores.identity, stores.control)
        rebuilt = link_partnership(stores.identity, stores.control, mode="full")
        after = current_person_index(stores.identity, stores.control)
    # same data, model re-estimated from the same seed: nobody's cluster changes
    assert rebuilt.changes.empty
    pd.testing.assert_frame_equal(
        before.sort_values(["partner", "record_key"]).reset_index(drop=True),
        after.sort_values(["partner", "record_key"]).reset_index(drop=True),
    )


def test_garbage_identifiers_do_not_make_giant_clusters(partnership: Path) -> None:
    """400 records keyed as UNKNOWN / 1900-01-01 / no postcode, as a partner might send."""
    path = partnership / "extracts" / "acute" / "spells.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    template = lines[1].split("|")
    garbage = []
    for i in range(400):
        row = list(template)
        row[0], row[1], row[2], row[3], row[4] = (
            f"RXJUNK{i}",
            "",
            "UNKNOWN",
            "UNKNOWN",
            "1900-01-01",
        )
        row[6], row[7], row[8] = "", "", f"SPJUNK{i}"
        garbage.append("|".join(row))
    path.write_text("\n".join([*lines, *garbage]) + "\n", encoding="utf-8")
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_all(stores, today=TODAY)
        run = link_partnership(stores.identity, stores.control)
        index = current_person_index(stores.identity, stores.control)
    assert any("placeholder" in w for w in run.summary["warnings"])
    assert index["person_id"].value_counts().max() <= 25
    junk = index.loc[index["record_key"].isin(_junk_keys(settings))]
    assert junk["person_id"].nunique() == 400  # each stays alone


def _parameters(model: str | None) -> list[object]:
    import json

    settings = json.loads(model or "{}")
    out: list[object] = [settings["probability_two_random_records_match"]]
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            out.append(
                (level["label_for_charts"], level.get("m_probability"), level.get("u_probability"))
            )
    return out


def _junk_keys(settings: object) -> set[str]:
    key = load_key(settings)  # type: ignore[arg-type]
    return {key.record_key("acute", f"RXJUNK{i}") for i in range(400)}


def test_the_person_index_is_in_the_identity_store_only(partnership: Path) -> None:
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_all(stores, today=TODAY)
        run = link_partnership(stores.identity, stores.control)
        assert PERSON_INDEX in stores.identity.backend.table_names()
        assert PERSON_INDEX not in stores.vault.backend.table_names()
    # where the run's time went, phase by phase, in the order they ran
    phases = list(run.summary["seconds"])
    assert phases[:3] == ["read the identity store", "standardise", "load records into the engine"]
    for later in ("estimate m (EM)", "predict (score blocked pairs)", "cluster"):
        assert later in phases
    assert phases[-1] == "write the person index"
    assert all(s >= 0 for s in run.summary["seconds"].values())


def test_linking_nothing_is_a_clear_error(partnership: Path) -> None:
    from partnerhub.errors import UserError

    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores, pytest.raises(UserError, match="load some extracts"):
        link_partnership(stores.identity, stores.control)
    shutil.rmtree(partnership / "vault")


def test_diagnostics_for_identity_stewards(partnership: Path) -> None:
    """`partnerhub link --diagnostics DIR` writes Splink's charts as HTML, the waterfall for
    the least certain links of this run."""
    from partnerhub.cli import main
    from partnerhub.config import load_partnership
    from partnerhub.control import open_control_plane
    from partnerhub.governance import add_user, issue_token
    from partnerhub.identity.diagnostics import WATERFALL_PAIRS

    toml = str(partnership / "partnership.toml")
    assert main(["ingest", "--all", "-c", toml]) == 0
    settings = load_partnership(partnership / "partnership.toml")
    plane = open_control_plane(settings.control_plane.url, settings.root)
    add_user(plane, "stella", "identity_steward", None)
    token = issue_token(plane, "stella")
    plane.close()
    out = partnership / "identity" / "diagnostics"
    assert main(["link", "-c", toml, "--diagnostics", str(out), "--token", token]) == 0
    names = {p.name for p in out.iterdir()}
    assert names == {
        "index.html",
        "match_weights.html",
        "m_u_parameters.html",
        "unlinkables.html",
        "waterfall.html",
    }
    weights = (out / "match_weights.html").read_text()
    assert "vega" in weights and "nickname or alias" in weights and "postcode" in weights
    waterfall = (out / "waterfall.html").read_text()
    assert waterfall.count('"record_number"') >= WATERFALL_PAIRS  # one bar set per pair
    assert "identity stewards only" in (out / "index.html").read_text()


def test_clerical_review_decisions_change_the_next_run(
    partnership: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stewards see the uncertain pairs, decide, and the next run obeys and learns from them."""
    import json

    from partnerhub.cli import main
    from partnerhub.config import load_partnership
    from partnerhub.governance import add_user, issue_token
    from partnerhub.hub import open_writer
    from partnerhub.identity import link_partnership
    from partnerhub.identity.review import pair_id

    toml = str(partnership / "partnership.toml")
    assert main(["ingest", "--all", "-c", toml]) == 0
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        add_user(stores.control, "stella", "identity_steward", None)
        add_user(stores.control, "ann", "analyst", "asc")
        steward, analyst = issue_token(stores.control, "stella"), issue_token(stores.control, "ann")
        first = link_partnership(stores.identity, stores.control)
        band = stores.identity.review_pairs(first.run_id)
        edges, _ = stores.identity.link_graph(first.run_id)
    assert first.summary["review_pairs"] == len(band) >= 3
    assert band["match_probability"].between(0.5, 0.9).all()
    capsys.readouterr()
    assert main(["review", "list", "-c", toml, "--token", analyst]) == 2
    assert "only identity stewards" in capsys.readouterr().err
    assert main(["review", "list", "-c", toml, "--token", steward, "--limit", "3"]) == 0
    shown = capsys.readouterr().out
    top = band.iloc[0]
    top_pair = pair_id(top.unique_id_l, top.unique_id_r)
    assert top_pair in shown and f"{len(band)} undecided" in shown
    assert main(["review", "decide", top_pair, "--match", "-c", toml, "--token", steward]) == 0
    assert main(["review", "decide", "0" * 16, "--match", "-c", toml, "--token", steward]) == 2
    linked = edges.iloc[0]
    with open_writer(settings) as stores:  # a steward's non-match on a pair the model linked
        stores.control.record_review_decision(
            linked.unique_id_l, linked.unique_id_r, "non_match", "stella", first.run_id, 0.99
        )
        second = link_partnership(stores.identity, stores.control)
        new_edges, _ = stores.identity.link_graph(second.run_id)
        runs = stores.control.link_runs()
        audit = stores.audit.entries(limit=1000)
    pairs = set(zip(new_edges["unique_id_l"], new_edges["unique_id_r"], strict=True))
    assert tuple(sorted((top.unique_id_l, top.unique_id_r))) in pairs
    assert (linked.unique_id_l, linked.unique_id_r) not in pairs
    # the non-match always changes an edge; the match may already be linked by the model,
    # whose m probabilities the label has moved
    assert second.summary["review_decisions_applied"] in (1, 2)
    assert second.summary["review_labels_for_m"] == 1
    assert json.loads(runs[-1].model) != json.loads(runs[-2].model)  # m re-estimated
    actions = [e["action"] for e in audit]
    assert "review_view" in actions and "review_decision" in actions
