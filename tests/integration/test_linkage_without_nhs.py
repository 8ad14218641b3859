"""Linkage when the extracts carry no NHS numbers: a council-only pair, and a whole synthetic
partnership with the NHS-number column blanked in every extract (issue 14, item 5)."""

from __future__ import annotations

import csv
import io
import shutil
from importlib import resources
from pathlib import Path

import pytest

from partnerhub.cli import main
from partnerhub.config import load_partnership
from partnerhub.hub import open_writer
from partnerhub.identity import link_partnership, prepare_records
from partnerhub.identity.evaluate import blocking_recall
from partnerhub.identity.model import blocking_rules
from partnerhub.identity.rules import populated_columns
from partnerhub.ingest import contract_of, ingest_all, ingest_file
from partnerhub.keys import load_key
from partnerhub.schema.contracts import builtin_contract
from tests.integration.test_linkage import TODAY, quality, truth_of


def _rewrite(path: Path, encoding: str, delimiter: str, edit: object) -> None:
    text = path.read_text(encoding=encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    rows = edit(rows)  # type: ignore[operator]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding=encoding)


def blank_nhs_numbers(partnership: Path) -> int:
    """Empty the column that each extract's contract maps to ``nhs_number``; the number of
    values removed."""
    settings = load_partnership(partnership / "partnership.toml")
    removed = 0
    for partner in settings.partners:
        for ds in partner.datasets:
            contract = contract_of(settings, ds)
            column = contract.column_for("nhs_number")
            if column is None:
                continue
            assert contract.file.format == "csv"

            def blank(rows: list[list[str]], name: str = column.name) -> list[list[str]]:
                nonlocal removed
                i = rows[0].index(name)
                for row in rows[1:]:
                    removed += bool(row[i])
                    row[i] = ""
                return rows

            path = settings.resolve(ds.path)
            _rewrite(path, contract.file.encoding, contract.file.delimiter, blank)
    return removed


@pytest.fixture(scope="module")
def without_nhs(synthetic_partnership: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 3,000-person partnership, NHS numbers removed from every extract, all ingested."""
    out = tmp_path_factory.mktemp("without_nhs") / "p"
    shutil.copytree(synthetic_partnership, out)
    assert blank_nhs_numbers(out) > 3000
    with open_writer(load_partnership(out / "partnership.toml")) as stores:
        ingest_all(stores, today=TODAY)
    return out


def test_blocking_finds_true_pairs_without_nhs_numbers(without_nhs: Path) -> None:
    """Names, date of birth and address only: blocking must still put up 99.5 % of the true
    pairs of records (the original six rules found 98.65 % here)."""
    settings = load_partnership(without_nhs / "partnership.toml")
    with open_writer(settings) as stores:
        loads = [ld.id for ld in stores.control.current_loads().values()]
        source = stores.identity.records_for_linkage(loads)
    assert source["nhs_number"].isna().all()
    records = prepare_records(source).records
    populated = populated_columns(records)
    assert "nhs_number" not in populated and "address" in populated
    found = blocking_recall(
        records, truth_of(without_nhs, load_key(settings)), blocking_rules(populated)
    )
    assert found["true_pairs"] > 5000
    assert found["recall"] >= 0.995, found


@pytest.mark.slow
def test_f1_without_nhs_numbers(without_nhs: Path) -> None:
    settings = load_partnership(without_nhs / "partnership.toml")
    with open_writer(settings) as stores:
        run = link_partnership(stores.identity, stores.control)
        model = stores.control.latest_link_run()
    q = quality(without_nhs)
    assert q["records"] > 7000
    assert q["f1"] >= 0.98, q
    assert q["precision"] >= 0.97 and q["recall"] >= 0.97, q
    assert any("nhs_number is missing in every record" in w for w in run.summary["warnings"])
    # the prior comes from exact name + date of birth agreement, near the truth (~1e-4 here)
    assert model is not None and model.model is not None
    import json

    prior = json.loads(model.model)["probability_two_random_records_match"]
    assert 5e-5 < prior < 1e-3, prior
    # the model compares addresses where they are loaded; no NHS-number comparison is left
    comparisons = {c["output_column_name"]: c for c in json.loads(model.model)["comparisons"]}
    assert "nhs_number" not in comparisons
    labels = [lv["label_for_charts"] for lv in comparisons["postcode"]["comparison_levels"]]
    assert "same address line, postcode differs or missing" in labels


def _council_contract(folder: Path) -> Path:
    """Housing's built-in contract without its NHS Number column."""
    contract = builtin_contract("housing_events")
    source = resources.files("partnerhub.schema") / "contracts" / "housing_events.toml"
    lines = source.read_text(encoding="utf-8").split("\n\n")
    kept = [block for block in lines if 'maps_to = "nhs_number"' not in block]
    assert len(kept) == len(lines) - 1 and contract.column_for("nhs_number") is not None
    path = folder / "housing_events_no_nhs.toml"
    path.write_text("\n\n".join(kept), encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_council_pair_without_nhs_number_columns_links(
    partnership: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Housing and revenues only, neither contract with an NHS-number column: `partnerhub
    link` links them (it raised a raw `math domain error`), warns in one line, and links
    well."""
    toml = partnership / "partnership.toml"
    contract = _council_contract(partnership)
    text = toml.read_text(encoding="utf-8")
    assert 'contract = "builtin:housing_events"' in text
    toml.write_text(
        text.replace('contract = "builtin:housing_events"', f'contract = "{contract}"'),
        encoding="utf-8",
    )
    settings = load_partnership(toml)
    events = settings.resolve(settings.partner("housing").datasets[0].path)
    builtin = builtin_contract("housing_events")
    _rewrite(
        events,
        builtin.file.encoding,
        builtin.file.delimiter,
        lambda rows: [
            [v for v, h in zip(r, rows[0], strict=True) if h != "NHS Number"] for r in rows
        ],
    )
    with open_writer(settings) as stores:
        for partner, dataset in (("housing", "events"), ("revenues", "council_tax")):
            assert ingest_file(stores, partner, dataset, today=TODAY).status == "loaded"
    capsys.readouterr()
    assert main(["link", "-c", str(toml)]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "math domain error" not in out.err + out.out
    assert "warning: nhs_number is missing in every record" in out.out
    q = quality(partnership)
    assert q["records"] > 1000 and q["true_pairs"] > 100
    assert q["f1"] >= 0.95, q
