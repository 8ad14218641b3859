"""Issue 14, item 4: inputs that loaded wrong values (or crashed) with no error before.

The CSV header cases (a column named twice, a NUL byte in a name, an unterminated quote) are
in the corpus table of ``test_bad_inputs.py``; the Parquet, Excel and duplicate-row cases are
here. Every refusal is one line naming the file and what to fix.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from partnerhub.config import load_partnership
from partnerhub.errors import ContractError
from partnerhub.ingest import read_extract, validate_extract
from partnerhub.ingest.quality import check_file
from partnerhub.schema import builtin_contract
from tests.unit.ingest.test_bad_inputs import CORPUS, TODAY, contract
from tests.unit.ingest.test_dropped_identifiers import DEATHS, write_deaths


def test_parquet_text_that_is_not_utf8_names_file_column_and_row() -> None:
    path = CORPUS / "non_utf8.parquet"
    with pytest.raises(ContractError) as info:
        read_extract(path, contract(format="parquet"))
    message = str(info.value)
    assert message == (
        f"{path}: column FORENAME, row 2: text that is not UTF-8 (byte 0xeb) — re-export the "
        "file with its text written as UTF-8"
    )


def test_parquet_with_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.parquet"
    table = pa.table(
        [pa.array([v]) for v in ("P1", "S1", "03/12/2023", "21", "S9")],
        names=["PATIENT_ID", "SPELL_ID", "ADM_DATE", "METHOD", "SPELL_ID"],
    )
    pq.write_table(table, path)
    with pytest.raises(ContractError, match=r"names column SPELL_ID more than once \(columns 2, 5"):
        read_extract(path, contract(format="parquet"))


def test_excel_date_cells_are_read_as_dates() -> None:
    c = contract(format="excel")
    checked = validate_extract(read_extract(CORPUS / "excel_dates.xlsx", c), c, TODAY)
    assert checked.quarantined_rows == 0, checked.quarantine.to_dict("records")
    assert checked.valid["admission_date"].tolist() == [
        date(2023, 12, 3),
        date(2023, 12, 4),  # a date-time cell: its time of day (14:30) is not part of a date
        date(2023, 12, 5),  # a bare date serial, 45265
    ]
    assert checked.valid["nhs_number"].tolist() == ["9434765919", None, None]  # typed as a number
    assert checked.valid["admission_method"].tolist() == ["emergency", "elective", "emergency"]
    assert checked.valid["delayed_days"].tolist() == [0, 2, 1]
    assert checked.valid["_line"].tolist() == [2, 3, 4]  # spreadsheet row numbers


def _bomb(path: Path, padding: int) -> Path:
    """A valid one-sheet workbook plus a member of ``padding`` zero bytes (it compresses to
    almost nothing: what a zip bomb looks like from outside)."""
    import shutil

    shutil.copy(CORPUS / "excel_dates.xlsx", path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * padding)
    return path


def test_an_xlsx_over_the_size_limit_is_refused_before_it_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", 4 * 1024 * 1024)
    assert path.stat().st_size < 64 * 1024  # 4 MiB of padding compresses away

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", no_open)
    with pytest.raises(ContractError) as info:
        read_extract(path, contract(format="excel"), max_xlsx_bytes=1024 * 1024)
    message = str(info.value)
    assert message.startswith(f"{path}: the workbook expands to 4,")
    assert "over the limit of 1,048,576 (ingest.max_xlsx_uncompressed_bytes)" in message
    assert "\n" not in message


def test_an_xlsx_under_the_limit_reads(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "fine.xlsx", 1024)
    raw = read_extract(path, contract(format="excel"), max_xlsx_bytes=1024 * 1024)
    assert len(raw.rows) == 3


def test_the_size_limit_is_a_partnership_setting(tmp_path: Path) -> None:
    toml = tmp_path / "partnership.toml"
    toml.write_text(
        "[partnership]\nname = 'T'\n[geography]\npostcode_lookup = 'x.csv'\n"
        "[ingest]\nmax_xlsx_uncompressed_bytes = 2048\n"
        "[[partner]]\nid = 'acute'\nname = 'A'\nsector = 'nhs'\n"
    )
    settings = load_partnership(toml)
    assert settings.ingest.max_xlsx_uncompressed_bytes == 2048
    path = _bomb(tmp_path / "b.xlsx", 4096)
    with pytest.raises(ContractError, match="over the limit of 2,048"):
        check_file(path, contract(format="excel"), TODAY, max_xlsx_bytes=2048)


def test_exact_duplicate_rows_without_a_row_id_load_once_and_the_copies_are_quarantined(
    tmp_path: Path,
) -> None:
    c = builtin_contract("registrar_deaths")  # deaths have no row id column
    rows = [DEATHS[0], DEATHS[1], DEATHS[0], DEATHS[2], DEATHS[0] + " ", DEATHS[1]]
    checked = validate_extract(read_extract(write_deaths(tmp_path / "d.csv", rows), c), c, TODAY)
    assert checked.valid["local_id"].tolist() == ["R1", "R2", "R3"]
    assert checked.received == 6 and checked.quarantined_rows == 3  # nothing lost
    assert sorted(zip(checked.quarantine["line"], checked.quarantine["reason"], strict=True)) == [
        (4, "duplicate row: every value the same as line 2"),
        (6, "duplicate row: every value the same as line 2"),  # trailing blank trimmed
        (7, "duplicate row: every value the same as line 3"),
    ]
    # one value different: not a duplicate
    near = [DEATHS[0], DEATHS[0].replace("I21.9", "I21.0")]
    checked = validate_extract(read_extract(write_deaths(tmp_path / "n.csv", near), c), c, TODAY)
    assert len(checked.valid) == 2 and checked.quarantined_rows == 0


def test_the_quality_report_flags_exact_duplicates(tmp_path: Path) -> None:
    c = builtin_contract("registrar_deaths")
    path = write_deaths(tmp_path / "d.csv", [DEATHS[0], DEATHS[0], DEATHS[0], DEATHS[1]])
    report = check_file(path, c, TODAY)
    assert (report["received"], report["valid"], report["quarantined"]) == (4, 2, 2)
    assert report["exact_duplicate_rows"] == 2
    assert report["duplicates"] == 2
