"""Ingest end to end on real stores: every row loaded or quarantined, re-loads idempotent,
newer extracts supersede older ones with history kept, bad files never half-load, and no
identifier reaches the vault (DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from partnerhub.config import load_partnership
from partnerhub.errors import UserError
from partnerhub.hub import open_writer
from partnerhub.ingest import (
    check_file,
    ingest_all,
    ingest_file,
    read_extract,
    stage_extract,
    validate_extract,
)
from partnerhub.ingest.quality import areas_of
from partnerhub.ingest.stage import stage_frame
from partnerhub.ingest.validate import ROW_ID_FIELDS
from partnerhub.schema import builtin_contract
from partnerhub.schema.identifiers import is_valid_nhs_number
from tests.integration.conftest import duckdb_text, snapshot, use_postgres
from tests.unit.ingest.test_bad_inputs import (
    CORPUS,
    ERRORS,
    QUARANTINES,
    contract,
    write_big_field,
)

TODAY = date(2025, 4, 1)


def test_ingest_all_loads_every_valid_row_and_reloading_changes_nothing(
    partnership: Path,
) -> None:
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        results = ingest_all(stores, today=TODAY)
        assert [r.status for r in results] == ["loaded"] * 19  # 17 of people, 2 of areas
        by_table: dict[str, int] = {}
        for r in results:
            assert r.report is not None
            assert r.report["received"] == r.report["valid"] + r.report["quarantined"]
            table = builtin_contract(f"{r.partner}_{r.dataset}").table
            by_table[table] = by_table.get(table, 0) + r.report["valid"]
        counts = {c.table: c for c in stores.vault.counts()}
        for table, n in by_table.items():
            assert counts[table].rows == counts[table].current_rows == n
    before = snapshot(partnership)
    with open_writer(settings) as stores:
        again = ingest_all(stores, today=TODAY)
    assert {r.status for r in again} == {"unchanged"}
    assert [r.load_id for r in again] == [r.load_id for r in results]
    assert snapshot(partnership) == before


def test_a_newer_extract_supersedes_and_history_is_kept(partnership: Path) -> None:
    settings = load_partnership(partnership / "partnership.toml")
    spells = partnership / "extracts" / "acute" / "spells.csv"
    with open_writer(settings) as stores:
        first = ingest_file(stores, "acute", "spells", today=TODAY)
        lines = spells.read_text(encoding="utf-8").splitlines(keepends=True)
        newer = partnership / "spells_newer.csv"
        newer.write_text("".join(lines[: len(lines) * 3 // 4]), encoding="utf-8")
        second = ingest_file(stores, "acute", "spells", newer, today=TODAY)
        assert first.report is not None and second.report is not None
        assert second.status == "loaded" and second.message.endswith(f"load {first.load_id}")
        counts = {c.table: c for c in stores.vault.counts()}["hospital_spell"]
        assert counts.current_rows == second.report["valid"]
        assert counts.rows == first.report["valid"] + second.report["valid"]  # history kept
        drift = second.report["drift"]
        assert drift["previous_received"] == first.report["received"]
        assert drift["received_change"] == pytest.approx(
            (second.report["received"] - first.report["received"]) / first.report["received"],
            abs=1e-4,
        )
        # re-sending the older file does not resurrect it
        older = ingest_file(stores, "acute", "spells", today=TODAY)
        assert older.status == "unchanged" and older.load_id == first.load_id
        assert stores.control.current_loads()[("acute", "spells")].id == second.load_id


def _corpus_partnership(partnership: Path, contract_path: Path) -> Path:
    toml = partnership / "partnership.toml"
    text = toml.read_text()
    head = text[: text.index("[[partner]]")]
    toml.write_text(
        head
        + '[[partner]]\nid = "acute"\nname = "Test trust"\nsector = "nhs"\n\n'
        + f'[[partner.dataset]]\nid = "spells"\ncontract = "{contract_path}"\n'
        + 'path = "extracts/acute/spells.csv"\n'
    )
    return toml


@pytest.mark.parametrize("name", sorted(set(ERRORS) - {"missing.csv"} | set(QUARANTINES)))
def test_bad_files_load_completely_or_not_at_all(partnership: Path, name: str) -> None:
    settings = load_partnership(_corpus_partnership(partnership, CORPUS / "contract.toml"))
    with open_writer(settings) as stores:
        ingest_file(stores, "acute", "spells", CORPUS / "good.csv", today=TODAY)
    before = snapshot(partnership)
    with open_writer(settings) as stores:
        result = ingest_file(stores, "acute", "spells", CORPUS / name, today=TODAY)
    after = snapshot(partnership)
    assert after["vault"] == before["vault"] or result.status == "loaded"
    if name in ERRORS:
        assert result.status == "rejected"
        assert result.message.startswith(str(CORPUS / name))
        for fragment in ERRORS[name]:
            assert fragment in result.message
        assert after["vault"] == before["vault"]
        assert after["identity"] == before["identity"]
        return
    valid, quarantined, _ = QUARANTINES[name]
    if valid == 0:  # a header only, or every row invalid: never the current load
        assert result.status == "rejected", result.message
        assert result.message.startswith(str(CORPUS / name))
        assert "stays current" in result.message
        assert after["vault"] == before["vault"]
        assert after["identity"] == before["identity"]
        with open_writer(settings) as stores:
            current = stores.control.current_loads()[("acute", "spells")]
            assert current.file_name == str(CORPUS / "good.csv")
            assert len(stores.control.quarantine_of(result.load_id or 0)) >= quarantined
        return
    if name == "good.csv":
        assert result.status == "unchanged"
        return
    assert result.status == "loaded"
    assert result.report is not None
    assert (result.report["valid"], result.report["quarantined"]) == (valid, quarantined)
    rows = [r for r in after["vault"]["hospital_spell"] if r[-1] == result.load_id]
    assert len(rows) == valid  # exactly the valid rows, nothing more, nothing less
    with open_writer(settings) as stores:
        stored = stores.control.quarantine_of(result.load_id or 0)
    checked = validate_extract(read_extract(CORPUS / name, contract()), contract(), TODAY)
    assert _problems(stored) == _problems(checked.quarantine)
    assert len(stored) >= quarantined


def _problems(frame: pd.DataFrame) -> list[tuple[int, str, str, str]]:
    return sorted((int(r.line), r.column, r.value, r.reason) for r in frame.itertuples())


def _careful_raw(path: Path, c: object) -> pd.DataFrame:
    con = duckdb.connect()
    stage_frame(con, read_extract(path, c).rows, c)  # type: ignore[arg-type]
    return con.execute("SELECT * FROM raw ORDER BY _line").fetchdf()


def _staged_raw(path: Path, c: object) -> tuple[str, pd.DataFrame]:
    con = duckdb.connect()
    staged = stage_extract(con, path, c)  # type: ignore[arg-type]
    return staged.reader, con.execute("SELECT * FROM raw ORDER BY _line").fetchdf()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    norm = [
        f.map(lambda v: (v or "").strip() if isinstance(v, str) or v is None else v) for f in (a, b)
    ]
    return norm[0].equals(norm[1])


@pytest.mark.parametrize("name", sorted(QUARANTINES))
def test_fast_and_careful_readers_agree_on_the_corpus(name: str) -> None:
    reader, fast = _staged_raw(CORPUS / name, contract())
    assert _same(fast, _careful_raw(CORPUS / name, contract())), reader


def test_synthetic_extracts_take_the_fast_reader_and_agree_with_the_careful_one(
    synthetic_partnership: Path,
) -> None:
    settings = load_partnership(synthetic_partnership / "partnership.toml")
    for partner in settings.partners:
        for ds in partner.datasets:
            c = builtin_contract(ds.contract.removeprefix("builtin:"))
            path = settings.resolve(ds.path)
            reader, fast = _staged_raw(path, c)
            assert reader == "fast", c.name
            assert _same(fast, _careful_raw(path, c)), c.name
            assert check_file(path, c, TODAY, areas=areas_of(settings, c))["reader"] == "fast"


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_no_identifier_reaches_the_vault(
    partnership: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Plant a canary person, ingest everything, then look for every identifier string of
    every extract in the vault — as bytes in the DuckDB file, as values in PostgreSQL. The
    identity store is the positive control: the same scan finds the canary there.

    Dates of birth are not scanned as strings (a birth date equals some admission or diagnosis
    date by chance); instead the canary's date of birth is one no event has (1901-02-03), and
    no vault table has a date-of-birth column."""
    canary = {
        "name": "Quillonbury",
        "nhs": "9990000018",
        "address": "77 Zephyrcanary Mews",
        "dob": "1901-02-03",
    }
    spells = partnership / "extracts" / "acute" / "spells.csv"
    lines = spells.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split("|")
    fields[:5] = ["RXCANARY1", canary["nhs"], "Canaryforename", canary["name"], canary["dob"]]
    fields[7] = canary["address"]
    fields[8] = "SPCANARY1"
    spells.write_text("\n".join([*lines, "|".join(fields)]) + "\n", encoding="utf-8")
    if backend == "postgres":
        use_postgres(partnership, request.getfixturevalue("pg_database"))
    settings = load_partnership(partnership / "partnership.toml")
    identifiers: set[str] = set()
    for partner in settings.partners:
        for ds in partner.datasets:
            c = builtin_contract(ds.contract.removeprefix("builtin:"))
            raw = read_extract(settings.resolve(ds.path), c).rows
            # a fire incident's "local id" is its incident number, an attribute by design
            row_ids = {
                v for col in c.columns if col.maps_to in ROW_ID_FIELDS for v in raw[col.name]
            }
            for col in c.columns:
                if col.maps_to in {
                    "nhs_number",
                    "given_name",
                    "family_name",
                    "address_line_1",
                    "local_id",
                }:
                    identifiers |= {v for v in raw[col.name] if len(v) >= 6} - row_ids
    assert {canary["name"], canary["nhs"], canary["address"]} <= identifiers
    identifiers.add(canary["dob"])
    with open_writer(settings) as stores:
        results = ingest_all(stores, today=TODAY)
        assert all(r.status == "loaded" for r in results)
        if backend == "postgres":
            vault_text = _pg_text(stores.vault.backend)
            identity_text = _pg_text(stores.identity.backend)
    if backend == "duckdb":
        vault_text = duckdb_text(partnership / "vault" / "vault.duckdb")
        identity_text = duckdb_text(partnership / "identity" / "identity.duckdb")
    # every value, and every column name, of each store — exactly
    vault_values, identity_values = set(vault_text.split("\n")), set(identity_text.split("\n"))
    for value in canary.values():
        assert value in identity_values  # positive control: the scan sees identifiers
        assert value not in vault_text  # the planted strings, anywhere (also inside values)
    assert sorted(identifiers & vault_values) == []
    assert "column:source_record.nhs_number" in identity_values  # column names are scanned too
    identifier_columns = {
        c
        for c in vault_values
        if c.startswith("column:")
        and c.split(".")[-1]
        in {"nhs_number", "given_name", "family_name", "date_of_birth", "address_line_1"}
    }
    # The one exception: a birth registration's date is the event itself (the registrar's
    # fact); the baby's identifiers are in the identity store like everyone's.
    assert identifier_columns == {"column:birth.date_of_birth"}


def _pg_text(backend: object) -> str:
    values: list[str] = []
    for name in backend.table_names():  # type: ignore[attr-defined]
        columns = backend.query(  # type: ignore[attr-defined]
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
            "AND table_name = ?",
            [backend.schema, name],  # type: ignore[attr-defined]
        )
        values += [f"column:{name}.{c}" for (c,) in columns]
        for row in backend.query(f"SELECT * FROM {backend.qualified(name)}"):  # type: ignore[attr-defined]
            values.extend(str(v) for v in row)
    return "\n".join(values)


def test_one_ingest_at_a_time(partnership: Path) -> None:
    settings = load_partnership(partnership / "partnership.toml")
    with (
        open_writer(settings),
        pytest.raises(UserError, match="another PartnerHub ingest"),
        open_writer(settings),
    ):
        pass


@pytest.mark.parametrize(
    ("name", "file", "status", "loaded"),
    [
        ("wrong_schema.parquet", {"format": "parquet"}, "rejected", None),
        ("two_sheets.xlsx", {"format": "excel"}, "rejected", None),
        ("two_sheets.xlsx", {"format": "excel", "sheet": "Data"}, "rejected", None),
        ("two_sheets.xlsx", {"format": "excel", "sheet": "Spells"}, "loaded", 2),
        ("good.csv", {"format": "excel"}, "rejected", None),
        ("latin1.csv", {"encoding": "latin-1"}, "loaded", 1),
        ("windows1252.csv", {"encoding": "cp1252"}, "loaded", 1),
    ],
)
def test_parquet_excel_and_encodings_through_ingest(
    partnership: Path, name: str, file: dict[str, str], status: str, loaded: int | None
) -> None:
    text = (CORPUS / "contract.toml").read_text()
    lines = [f'{k} = "{v}"' for k, v in file.items()]
    for key in file:
        text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(f"{key} ="))
    text = text.replace("[file]", "[file]\n" + "\n".join(lines), 1)
    contract_path = partnership / "contract.toml"
    contract_path.write_text(text)
    settings = load_partnership(_corpus_partnership(partnership, contract_path))
    before = snapshot(partnership)
    with open_writer(settings) as stores:
        result = ingest_file(stores, "acute", "spells", CORPUS / name, today=TODAY)
    assert result.status == status, result.message
    after = snapshot(partnership)
    assert before["vault"] == {}  # fresh stores
    if status == "rejected":
        assert result.message.startswith(str(CORPUS / name))
        assert all(not rows for t, rows in after["vault"].items() if not t.startswith("_"))
        assert all(not rows for rows in after["identity"].values())
    else:
        assert result.report is not None and result.report["valid"] == loaded
        assert len(after["vault"]["hospital_spell"]) == loaded


def test_a_10_mb_field_loads_into_the_identity_store(partnership: Path) -> None:
    path = partnership / "big_field.csv"
    big = write_big_field(path)
    settings = load_partnership(_corpus_partnership(partnership, CORPUS / "contract.toml"))
    with open_writer(settings) as stores:
        result = ingest_file(stores, "acute", "spells", path, today=TODAY)
        assert result.status == "loaded" and result.report is not None
        assert result.report["reader"] == "careful"  # the line is over the fast reader's limit
        assert stores.vault.backend.count("hospital_spell") == 1
        rows = stores.identity.backend.query("SELECT length(given_name) FROM source_record")
        assert rows == [(len(big),)]


@pytest.mark.parametrize("store", ["identity", "vault"])
def test_a_write_failure_leaves_the_stores_as_they_were(
    partnership: Path, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or any error) while writing: the load is undone at once."""
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_file(stores, "gp", "registrations", today=TODAY)
    before = snapshot(partnership)

    def disk_full(self: object, table: str, data: object) -> None:
        raise OSError(28, "No space left on device")

    target = (
        "partnerhub.vault.stores.IdentityStore.append"
        if store == "identity"
        else ("partnerhub.vault.stores.Vault.append")
    )
    monkeypatch.setattr(target, disk_full)
    with open_writer(settings) as stores, pytest.raises(OSError, match="No space left"):
        ingest_file(stores, "acute", "spells", today=TODAY)
    assert snapshot(partnership) == before


def test_deaths_with_bad_identifiers_all_reach_the_vault(partnership: Path) -> None:
    """Issue 14, item 2, on real stores: deaths whose NHS number fails its check digit or
    whose date of birth is impossible are loaded (the identifier stored as missing), so
    mortality counts them; only a death missing its date of death is quarantined."""
    deaths = partnership / "extracts" / "registrar" / "deaths.csv"
    frame = pd.read_csv(deaths, dtype=str, keep_default_na=False)
    n = len(frame)
    assert n >= 20
    frame.loc[0:4, "NHSNO"] = frame.loc[0:4, "NHSNO"].map(
        lambda v: "1234567890" if not v else v[:-1] + str((int(v[-1]) + 1) % 10)
    )
    frame.loc[5:7, "DOB"] = "19450231"  # 31 February
    frame.loc[8, "DOD"] = ""  # required: quarantined
    bad = partnership / "deaths_bad.csv"
    frame.to_csv(bad, index=False)
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        result = ingest_file(stores, "registrar", "deaths", bad, today=TODAY)
        assert result.status == "loaded" and result.report is not None
        assert (result.report["received"], result.report["valid"]) == (n, n - 1)
        dropped = result.report["dropped_identifiers"]["by_column"]
        assert sum(dropped["NHSNO"].values()) == 5
        assert sum(dropped["DOB"].values()) == 3
        assert stores.vault.backend.count("death") == n - 1
        missing = stores.identity.backend.query(
            "SELECT count(*) FILTER (nhs_number IS NULL), "
            "count(*) FILTER (date_of_birth IS NULL) FROM source_record "
            "WHERE dataset = 'deaths'"
        )
    kept = frame.drop(index=8)
    expected_nhs = int((~kept["NHSNO"].map(is_valid_nhs_number)).sum())
    expected_dob = int((pd.to_datetime(kept["DOB"], format="%Y%m%d", errors="coerce").isna()).sum())
    assert expected_nhs >= 5 and expected_dob >= 3
    assert missing == [(expected_nhs, expected_dob)]


def test_an_area_file_loads_atomically_and_a_newer_one_supersedes_it(partnership: Path) -> None:
    """Area-level returns: no identity rows, every valid row in the vault under its load, a
    bad row quarantined, a newer file superseding the older with its rows kept as history."""
    settings = load_partnership(partnership / "partnership.toml")
    ops = partnership / "extracts" / "areas" / "operations.csv"
    lines = ops.read_text(encoding="utf-8").splitlines(keepends=True)
    with open_writer(settings) as stores:
        first = ingest_file(stores, "areas", "operations", today=TODAY)
    after_first = snapshot(partnership)
    assert first.status == "loaded" and first.report is not None
    assert first.report["valid"] == len(lines) - 1 and first.report["quarantined"] == 0
    assert "record_keys" not in first.report
    assert after_first["identity"]["source_record"] == []  # nothing goes to the identity store
    rows = after_first["vault"]["operation"]
    assert len(rows) == len(lines) - 1 and {r[-1] for r in rows} == {first.load_id}
    assert {r[-2] for r in rows} == {"operations"}  # the dataset
    assert {r[0] for r in rows} == {"asc", "police", "fire"}  # the file's partner column

    # A newer return: half the rows, one negative value and one unknown ward.
    newer = partnership / "operations_newer.csv"
    body = lines[1 : len(lines) // 2]
    bad = [
        "asc,E05999999,ward,2023-04-01,2023-06-30,reablement_hours,5\n",
        "fire,E05900001,ward,2023-04-01,2023-06-30,home_safety_visits,-3\n",
    ]
    newer.write_text("".join([lines[0], *body, *bad]), encoding="utf-8")
    with open_writer(settings) as stores:
        second = ingest_file(stores, "areas", "operations", newer, today=TODAY)
        assert second.status == "loaded" and second.report is not None
        assert second.message.endswith(f"supersedes load {first.load_id}")
        assert (second.report["valid"], second.report["quarantined"]) == (len(body), 2)
        counts = {c.table: c for c in stores.vault.counts()}["operation"]
        assert counts.current_rows == len(body)
        assert counts.rows == len(lines) - 1 + len(body)  # history kept
        problems = _problems(stores.control.quarantine_of(second.load_id or 0))
        current = stores.vault.current("operation").count().execute()
        assert current == len(body)
    assert [p[1:] for p in problems] == [
        (
            "area_code",
            "E05999999",
            "unknown area: not a ward of the partnership's geography "
            "(geography.areas, else the postcode lookup)",
        ),
        ("value", "-3", "less than 0: must be 0 or more"),
    ]
    assert [p[0] for p in problems] == [len(body) + 2, len(body) + 3]
    assert snapshot(partnership)["identity"] == after_first["identity"]


def test_an_area_load_that_fails_in_the_vault_leaves_nothing(
    partnership: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_partnership(partnership / "partnership.toml")
    with open_writer(settings) as stores:
        ingest_file(stores, "areas", "operations", today=TODAY)
    before = snapshot(partnership)

    def disk_full(self: object, table: str, data: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("partnerhub.vault.stores.Vault.append", disk_full)
    with open_writer(settings) as stores, pytest.raises(OSError, match="No space left"):
        ingest_file(stores, "areas", "resources", today=TODAY)
    assert snapshot(partnership) == before
