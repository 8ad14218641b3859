"""Privacy-preserving mode end to end: partners encode their extracts with a shared secret, the
hub ingests the encodings and links on them only; quality against truth; nothing identifying
reaches the hub."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from partnerhub.cli import main
from partnerhub.config import load_partnership
from partnerhub.errors import UserError
from partnerhub.geography import load_postcode_lookup
from partnerhub.hub import open_writer
from partnerhub.identity import current_person_index, link_partnership, score_index
from partnerhub.identity.pprl import EncodingSecret
from partnerhub.ingest import ingest_file
from partnerhub.ingest.encode import encode_extract
from partnerhub.ingest.quality import contract_of
from partnerhub.keys import load_key
from partnerhub.synth.partnership import generate
from tests.integration.conftest import duckdb_text
from tests.integration.test_linkage import truth_of

TODAY = date(2025, 4, 1)
SECRET = EncodingSecret(b"a shared secret of the test partnership, 32+ bytes")


def encode_all(partnership: Path, secret: EncodingSecret = SECRET) -> list[tuple[str, str, Path]]:
    """What each partner does on its own machine: encode every extract."""
    settings = load_partnership(partnership / "partnership.toml")
    lookup = load_postcode_lookup(settings.resolve(settings.geography.postcode_lookup))
    out = []
    for partner in settings.partners:
        for ds in partner.datasets:
            contract = contract_of(settings, ds)
            if contract.is_area_level:  # aggregates: no identifier to encode, sent as they are
                continue
            target = partnership / "encoded" / partner.id / f"{ds.id}.csv"
            encode_extract(
                contract,
                settings.resolve(ds.path),
                secret,
                target,
                lookup,
                today=TODAY,
            )
            out.append((partner.id, ds.id, target))
    return out


def link_encoded(
    partnership: Path, files: list[tuple[str, str, Path]], diagnostics: Path | None = None
) -> dict[str, float]:
    """Ingest the encoded extracts at the hub, link, and score against truth."""
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        for partner, dataset, path in files:
            result = ingest_file(stores, partner, dataset, path, today=TODAY)
            assert result.status == "loaded", result.message
        run = link_partnership(stores.identity, stores.control, diagnostics=diagnostics)
        assert run.summary["privacy_preserving"] is True
        index = current_person_index(stores.identity, stores.control)
        loads = [ld.id for ld in stores.control.current_loads().values()]
        encoded = stores.identity.records_for_linkage(loads, "encoded_record")
        assert stores.identity.records_for_linkage(loads).empty  # no identifiers at the hub
    # scored: records with something to link on, as in standard mode; a planted canary has
    # no truth and is counted as unscored
    return score_index(index, encoded, truth_of(partnership, load_key(settings)))


def test_linking_on_encodings_only_finds_the_people(partnership: Path) -> None:
    charts = partnership / "identity" / "diagnostics"
    q = link_encoded(partnership, encode_all(partnership), diagnostics=charts)
    assert q["records"] > 7_000 and q["unscored"] == 0
    assert q["f1"] >= 0.97, q
    assert q["largest_cluster"] <= 25, q
    weights = (charts / "match_weights.html").read_text()
    assert "Bloom-filter Dice" in weights  # the encoded model's levels
    assert (charts / "waterfall.html").is_file()


@pytest.mark.slow
def test_f1_of_privacy_preserving_mode_on_a_100k_person_partnership(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    out = tmp_path_factory.mktemp("pprl") / "p"
    generate(out, 100_000, seed=11)  # the partnership of the standard mode's F1 test
    q = link_encoded(out, encode_all(out))
    assert q["records"] > 250_000 and q["unscored"] == 0
    assert q["f1"] >= 0.97, q


def test_the_hub_receives_no_identifier(partnership: Path) -> None:
    """A canary person planted in an extract: after encoding, neither the encoded file, nor the
    identity store, nor the vault holds any of its identifiers — or any other person's."""
    canary = {"name": "Quillonbury", "nhs": "9990000018", "address": "77 Zephyrcanary Mews"}
    spells = partnership / "extracts" / "acute" / "spells.csv"
    lines = spells.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split("|")
    fields[:5] = ["RXCANARY1", canary["nhs"], "Canaryforename", canary["name"], "1901-02-03"]
    fields[7] = canary["address"]
    fields[8] = "SPCANARY1"
    spells.write_text("\n".join([*lines, "|".join(fields)]) + "\n", encoding="utf-8")
    files = encode_all(partnership)
    sent = "\n".join(path.read_text(encoding="utf-8") for _, _, path in files)
    raw = spells.read_text(encoding="utf-8")
    planted = (*canary.values(), "Canaryforename", "1901-02-03")
    for value in planted:
        assert value in raw  # positive control
    for value in (*planted, "QUILLONBURY", "CANARYFORENAME", "19010203"):  # + standardised
        assert value not in sent
    # nor any postcode: the encoded files carry areas instead
    postcodes = set(pd.read_csv(spells, sep="|", dtype=str)["Postcode"].dropna())
    assert postcodes and not any(p in sent for p in postcodes)
    link_encoded(partnership, files)
    stores_text = duckdb_text(partnership / "identity" / "identity.duckdb") + duckdb_text(
        partnership / "vault" / "vault.duckdb"
    )
    for value in (*planted, "QUILLONBURY", "CANARYFORENAME"):
        assert value not in stores_text


def test_a_damaged_encoding_is_quarantined_not_loaded(partnership: Path) -> None:
    (partner, dataset, path), *_ = encode_all(partnership)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "pprl_family_bf"] = frame.loc[0, "pprl_family_bf"][:-1] + "z"
    frame.loc[1, "pprl_version"] = "pprl-v0"
    frame.to_csv(path, index=False)
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        result = ingest_file(stores, partner, dataset, path, today=TODAY)
        problems = stores.control.quarantine_of(result.load_id)
    assert result.status == "loaded"
    assert result.report is not None and result.report["quarantined"] == 2
    reasons = dict(zip(problems["column"], problems["reason"], strict=True))
    assert "not an encoding written by `partnerhub encode`" in reasons["pprl_family_bf"]
    assert "unknown encoding version" in reasons["pprl_version"]


def test_plain_and_encoded_extracts_cannot_be_linked_together(partnership: Path) -> None:
    files = encode_all(partnership)
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        for partner, dataset, path in files[:-1]:
            ingest_file(stores, partner, dataset, path, today=TODAY)
        last_partner, last_dataset, _ = files[-1]
        ingest_file(stores, last_partner, last_dataset, today=TODAY)  # the plain extract
        with pytest.raises(UserError, match=r"cannot be linked together.*partnerhub encode"):
            link_partnership(stores.identity, stores.control)


def test_encode_command(partnership: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toml = str(partnership / "partnership.toml")
    spells = partnership / "extracts" / "acute" / "spells.csv"
    out = partnership / "sent" / "spells.csv"
    secret = partnership / "pprl.secret"
    secret.write_bytes(b"x" * 40)
    common = ["encode", str(spells), "--partner", "acute", "--dataset", "spells", "-c", toml]
    # one spell without its (required) admission date: quarantined, not encoded; the planted
    # bad NHS numbers are dropped and their spells encoded (issue 14, item 2)
    frame = pd.read_csv(spells, sep="|", dtype=str, keep_default_na=False)
    frame.loc[0, "AdmissionDate"] = ""
    frame.to_csv(spells, sep="|", index=False)
    assert main([*common, "--secret-file", str(secret), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "encoded" in said and out.is_file()
    assert f"encoded {len(frame) - 1:,} of {len(frame):,} rows" in " ".join(said.split())
    quarantined = pd.read_csv(partnership / "sent" / "spells.quarantine.csv")
    assert set(quarantined.columns) == {"line", "column", "value", "reason"}
    assert quarantined[["line", "column"]].values.tolist() == [[2, "AdmissionDate"]]
    secret.write_bytes(b"short")
    assert main([*common, "--secret-file", str(secret), "--out", str(out)]) == 2
    assert "at least 32" in capsys.readouterr().err
    missing = str(partnership / "nope.secret")
    assert main([*common, "--secret-file", missing, "--out", str(out)]) == 2
