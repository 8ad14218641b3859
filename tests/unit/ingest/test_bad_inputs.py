"""The bad-input corpus: each file gives a clear error naming file/line/column and the fix, or
loads with its bad rows quarantined with reasons — never a traceback, never a row lost."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from partnerhub.errors import ContractError, UserError
from partnerhub.ingest import read_extract, validate_extract
from partnerhub.ingest.validate import NHS_REASON
from partnerhub.schema import DatasetContract, parse_contract

CORPUS = Path(__file__).resolve().parents[2] / "data" / "bad_extracts"
TODAY = date(2025, 4, 1)


def contract(**file: str) -> DatasetContract:
    data = tomllib.loads((CORPUS / "contract.toml").read_text())
    data["file"].update(file)
    return parse_contract(data, "contract.toml")


# file → error message fragments (the load stops)
ERRORS = {
    "wrong_delimiter.csv": ["wrong_delimiter.csv", "looks ';'-delimited", "file.delimiter"],
    "missing_required_column.csv": ["required column(s) missing", "ADM_DATE", "expects"],
    "windows1252.csv": ["line 2 is not valid utf-8", "byte 0xeb", "cp1252"],
    "latin1.csv": ["line 2 is not valid utf-8", "byte 0xe9", "file.encoding"],
    "empty.csv": ["the file is empty", "re-send"],
    "zip_named_csv.csv": ["Excel (xlsx) or zip file, not a CSV", "re-export it as CSV"],
    "pdf_named_csv.csv": ["is a PDF, not a CSV", "re-export"],
    "missing.csv": ["file not found"],
    # issue 14, item 4: these loaded wrong values, or reported the wrong line, with exit 0
    "duplicate_header.csv": ["names column NHS_NO more than once (columns 2, 9)"],
    "nul_in_header.csv": ["column 2 ('NHS\\x00_NO') contains a NUL byte"],
    "unbalanced_quote.csv": ["line 2: a quoted value opens here and is never closed"],
    "unterminated_quote.csv": ["line 3: a quoted value opens here", "lines 3–6 would be one"],
}

# file → (valid rows, quarantined rows, reason fragments in the quarantine)
QUARANTINES: dict[str, tuple[int, int, list[str]]] = {
    "good.csv": (2, 0, []),
    "extra_columns.csv": (2, 0, []),
    "missing_optional_column.csv": (2, 0, []),
    "utf8_bom.csv": (2, 0, []),
    "header_only.csv": (0, 0, []),
    "crlf_line_endings.csv": (2, 0, []),
    "blank_lines.csv": (2, 0, []),
    "embedded_newlines.csv": (1, 0, []),
    "postcode_needs_normalising.csv": (1, 0, []),
    "wrong_types.csv": (1, 1, ["not a number (integer expected)"]),
    "fractional_integer.csv": (0, 1, ["not a whole number"]),
    "impossible_dates.csv": (0, 2, ["not a date in the format %d/%m/%Y"]),
    "future_dates.csv": (1, 1, ["date is in the future (after 2025-04-01)"]),
    "implausible_old_date.csv": (0, 1, ["date before 1880"]),
    "invalid_nhs_number.csv": (2, 0, []),  # an optional identifier is dropped (item 2)
    "invalid_postcode.csv": (2, 0, []),
    "duplicate_ids.csv": (2, 1, ["duplicate spell_id: first on line 2"]),
    "unknown_code.csv": (1, 1, ["unknown code (allowed: 11, 21)"]),
    "missing_required_value.csv": (1, 1, ["required value missing"]),
    "truncated_last_line.csv": (1, 1, ["has 5 fields, the header has 8 (truncated?)"]),
    "quote_closed_later.csv": (
        2,
        1,
        ["runs from line 3 to line 5 and holds whole rows (an unbalanced quote?)"],
    ),
}

# file → {column: {reason: count}} of the optional identifiers dropped from loaded rows
DROPPED: dict[str, dict[str, dict[str, int]]] = {
    "invalid_nhs_number.csv": {"NHS_NO": {NHS_REASON: 2}},
    "invalid_postcode.csv": {"POSTCODE": {"not a UK postcode": 2}},
}


def test_corpus_has_at_least_25_files() -> None:
    files = [p for p in CORPUS.iterdir() if p.suffix in {".csv", ".parquet"}]
    assert len(files) >= 25


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_file_level_errors_name_the_file_and_the_fix(name: str) -> None:
    with pytest.raises(UserError) as info:
        read_extract(CORPUS / name, contract())
    message = str(info.value)
    assert message.startswith(str(CORPUS / name))
    assert "\n" not in message
    for fragment in ERRORS[name]:
        assert fragment in message


@pytest.mark.parametrize("name", sorted(QUARANTINES))
def test_rows_are_loaded_or_quarantined_with_reasons(name: str) -> None:
    valid, quarantined, reasons = QUARANTINES[name]
    raw = read_extract(CORPUS / name, contract())
    checked = validate_extract(raw, contract(), TODAY)
    assert len(checked.valid) == valid
    assert checked.quarantined_rows == quarantined
    assert checked.received == valid + quarantined  # nothing lost
    text = " | ".join(checked.quarantine["reason"])
    for fragment in reasons:
        assert fragment in text
    assert set(checked.quarantine.columns) == {"line", "column", "value", "reason"}
    dropped: dict[str, dict[str, int]] = {}
    for r in checked.dropped.itertuples():
        dropped.setdefault(str(r.column), {}).setdefault(str(r.reason), 0)
        dropped[str(r.column)][str(r.reason)] += 1
    assert dropped == DROPPED.get(name, {})


def test_values_are_typed_and_normalised() -> None:
    contract_ = contract()
    good = validate_extract(read_extract(CORPUS / "good.csv", contract_), contract_, TODAY).valid
    assert good["admission_date"].tolist() == [date(2023, 12, 3), date(2023, 12, 4)]
    assert good["admission_method"].tolist() == ["emergency", "elective"]
    assert good["delayed_days"].tolist() == [0, 2]
    raw = read_extract(CORPUS / "postcode_needs_normalising.csv", contract_)
    assert validate_extract(raw, contract_, TODAY).valid["postcode"].tolist() == ["XP1 4DJ"]
    raw = read_extract(CORPUS / "embedded_newlines.csv", contract_)
    assert validate_extract(raw, contract_, TODAY).valid["given_name"].tolist() == ["Robert\nJames"]


def test_declared_encodings_read_what_utf8_cannot() -> None:
    for name, enc, expected in (
        ("windows1252.csv", "cp1252", "Zoë"),
        ("latin1.csv", "latin-1", "Chloé"),
    ):
        c = contract(encoding=enc)
        checked = validate_extract(read_extract(CORPUS / name, c), c, TODAY)
        assert checked.valid["given_name"].tolist() == [expected]


def test_extra_and_absent_columns_are_reported_as_warnings() -> None:
    raw = read_extract(CORPUS / "extra_columns.csv", contract())
    assert raw.warnings == ("ignored column(s) not in the contract: WARD",)
    raw = read_extract(CORPUS / "missing_optional_column.csv", contract())
    assert raw.warnings == ("optional column(s) absent, treated as empty: DELAYED_DAYS",)


def test_parquet_with_the_wrong_schema() -> None:
    c = contract(format="parquet")
    with pytest.raises(ContractError, match=r"required column\(s\) missing.*SPELL_ID, ADM_DATE"):
        read_extract(CORPUS / "wrong_schema.parquet", c)


def write_big_field(path: Path) -> str:
    """A one-row extract whose forename is 10 MB (generated: too big to keep in the corpus)."""
    big = "x" * (10 * 1024 * 1024)
    path.write_text(
        "PATIENT_ID,NHS_NO,FORENAME,POSTCODE,SPELL_ID,ADM_DATE,METHOD,DELAYED_DAYS\n"
        f"P1,,{big},XP1 4DJ,S1,03/12/2023,21,0\n"
    )
    return big


def test_a_10_mb_single_field(tmp_path: Path) -> None:
    path = tmp_path / "big_field.csv"
    big = write_big_field(path)
    checked = validate_extract(read_extract(path, contract()), contract(), TODAY)
    assert len(checked.valid) == 1 and len(checked.valid["given_name"][0]) == len(big)


def test_synthetic_extracts_drop_exactly_the_planted_keying_errors(tmp_path: Path) -> None:
    from partnerhub.schema import builtin_contract
    from partnerhub.synth.partnership import generate

    out = tmp_path / "p"
    generate(out, 3000, seed=2)
    c = builtin_contract("acute_spells")
    checked = validate_extract(read_extract(out / "extracts/acute/spells.csv", c), c, TODAY)
    assert checked.received == len(checked.valid) + checked.quarantined_rows
    assert checked.quarantined_rows == 0  # keying errors in identifiers cost no spell
    assert len(checked.dropped) > 0
    assert set(checked.dropped["reason"]) <= {NHS_REASON, "not a UK postcode"}


def test_excel_with_two_sheets_needs_the_sheet_named() -> None:
    with pytest.raises(ContractError, match=r"2 sheets \(Spells, Notes\) — set file.sheet"):
        read_extract(CORPUS / "two_sheets.xlsx", contract(format="excel"))
    with pytest.raises(ContractError, match="no sheet 'Data'; the sheets are: Spells, Notes"):
        read_extract(CORPUS / "two_sheets.xlsx", contract(format="excel", sheet="Data"))
    c = contract(format="excel", sheet="Spells")
    checked = validate_extract(read_extract(CORPUS / "two_sheets.xlsx", c), c, TODAY)
    assert len(checked.valid) == 2 and checked.quarantined_rows == 0
    assert checked.valid["admission_date"].tolist() == [date(2023, 12, 3), date(2023, 12, 4)]


def test_a_csv_that_is_not_excel_gives_a_clear_error() -> None:
    with pytest.raises(ContractError, match="not a readable Excel"):
        read_extract(CORPUS / "good.csv", contract(format="excel"))
