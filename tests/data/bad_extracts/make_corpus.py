"""Writes the bad-input corpus beside this file (run it to regenerate; the files are committed).

Each file breaks one thing; tests/unit/ingest/test_bad_inputs.py states the expected outcome.
The 10 MB single-field file is made by the test itself rather than committed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent
HEADER = "PATIENT_ID,NHS_NO,FORENAME,POSTCODE,SPELL_ID,ADM_DATE,METHOD,DELAYED_DAYS"
GOOD = [
    "P1,9434765919,Robert,XP1 4DJ,S1,03/12/2023,21,0",
    "P2,,Zoe,XP12 3AB,S2,04/12/2023,11,2",
]


def text(name: str, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    (HERE / name).write_bytes(newline.join(lines).encode(encoding) + newline.encode())


def main() -> None:
    text("good.csv", [HEADER, *GOOD])
    text("wrong_delimiter.csv", [HEADER.replace(",", ";")] + [g.replace(",", ";") for g in GOOD])
    text(
        "missing_required_column.csv",
        [HEADER.replace(",ADM_DATE", "")]
        + [g.replace(",03/12/2023", "").replace(",04/12/2023", "") for g in GOOD],
    )
    text("extra_columns.csv", [HEADER + ",WARD"] + [g + ",W1" for g in GOOD])
    text(
        "missing_optional_column.csv",
        [HEADER.replace(",DELAYED_DAYS", "")] + [g.rsplit(",", 1)[0] for g in GOOD],
    )
    text(
        "wrong_types.csv",
        [
            HEADER,
            "P1,9434765919,Robert,XP1 4DJ,S1,03/12/2023,21,abc",
            "P2,,Zoe,XP12 3AB,S2,04/12/2023,11,2",
        ],
    )
    text("fractional_integer.csv", [HEADER, "P1,,Robert,XP1 4DJ,S1,03/12/2023,21,2.5"])
    text(
        "impossible_dates.csv",
        [HEADER, "P1,,Robert,XP1 4DJ,S1,31/02/2023,21,0", "P2,,Zoe,XP12 3AB,S2,2023-12-04,11,0"],
    )
    text("future_dates.csv", [HEADER, "P1,,Robert,XP1 4DJ,S1,03/12/2099,21,0", GOOD[1]])
    text("implausible_old_date.csv", [HEADER, "P1,,Robert,XP1 4DJ,S1,03/12/1850,21,0"])
    text(
        "invalid_nhs_number.csv",
        [
            HEADER,
            "P1,9434765918,Robert,XP1 4DJ,S1,03/12/2023,21,0",
            "P2,12345,Zoe,XP12 3AB,S2,04/12/2023,11,0",
        ],
    )
    text(
        "invalid_postcode.csv",
        [
            HEADER,
            "P1,,Robert,XP1 4CJ,S1,03/12/2023,21,0",
            "P2,,Zoe,not a postcode,S2,04/12/2023,11,0",
        ],
    )
    text("postcode_needs_normalising.csv", [HEADER, "P1,,Robert, xp14dj ,S1,03/12/2023,21,0"])
    text("duplicate_ids.csv", [HEADER, *GOOD, "P3,,Ann,XP1 4DJ,S1,05/12/2023,21,0"])
    text("unknown_code.csv", [HEADER, "P1,,Robert,XP1 4DJ,S1,03/12/2023,99,0", GOOD[1]])
    text("missing_required_value.csv", [HEADER, ",,Robert,XP1 4DJ,S1,03/12/2023,21,0", GOOD[1]])
    text("windows1252.csv", [HEADER, "P1,,Zoë,XP1 4DJ,S1,03/12/2023,21,0"], encoding="cp1252")
    text("latin1.csv", [HEADER, "P1,,Chloé,XP1 4DJ,S1,03/12/2023,21,0"], encoding="latin-1")
    (HERE / "utf8_bom.csv").write_bytes(
        b"\xef\xbb\xbf" + ("\n".join([HEADER, *GOOD]) + "\n").encode()
    )
    (HERE / "empty.csv").write_bytes(b"")
    text("header_only.csv", [HEADER])
    (HERE / "truncated_last_line.csv").write_bytes(
        ("\n".join([HEADER, GOOD[0], "P2,,Zoe,XP12 3AB,S2"])).encode()
    )
    text("embedded_newlines.csv", [HEADER, 'P1,,"Robert\nJames",XP1 4DJ,S1,03/12/2023,21,0'])
    text("crlf_line_endings.csv", [HEADER, *GOOD], newline="\r\n")
    text("blank_lines.csv", [HEADER, GOOD[0], "", "   ", GOOD[1], ""])
    text("unbalanced_quote.csv", [HEADER, 'P1,,"Robert,XP1 4DJ,S1,03/12/2023,21,0', GOOD[1]])
    (HERE / "zip_named_csv.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (HERE / "pdf_named_csv.csv").write_bytes(b"%PDF-1.7\n%binary\n")
    rows = [line.split(",") for line in GOOD]
    with pd.ExcelWriter(HERE / "two_sheets.xlsx", engine="openpyxl") as book:
        pd.DataFrame(rows, columns=HEADER.split(",")).to_excel(
            book, sheet_name="Spells", index=False
        )
        pd.DataFrame({"Notes": ["exported by the BI team"]}).to_excel(
            book, sheet_name="Notes", index=False
        )
    wrong = pa.table({"PATIENT_ID": ["P1"], "SPELL": ["S1"], "WHEN": ["2023-12-03"]})
    pq.write_table(wrong, HERE / "wrong_schema.parquet")
    silent_corruption()


def silent_corruption() -> None:
    """Files that loaded wrong values with exit 0 before issue 14 (item 4)."""
    # NHS_NO twice: the second (a valid number of someone else) used to win silently.
    text(
        "duplicate_header.csv",
        [HEADER + ",NHS_NO", GOOD[0] + ",4010232137", GOOD[1] + ",4010232137"],
    )
    # A NUL byte inside a column name: the column used to be dropped (a warning only).
    text("nul_in_header.csv", [HEADER.replace("NHS_NO", "NHS\x00_NO"), *GOOD])
    # A quote opened on line 3 and never closed: the rest of the file is one value.
    text(
        "unterminated_quote.csv",
        [
            HEADER,
            GOOD[0],
            'P2,,"Zoe,XP12 3AB,S2,04/12/2023,11,2',
            *(f"P{k},,Ann,XP1 4DJ,S{k},05/12/2023,21,0" for k in (3, 4, 5)),
        ],
    )
    # A quote opened on line 3 and closed on line 5: lines 3-5 become one (ragged) row.
    text(
        "quote_closed_later.csv",
        [
            HEADER,
            GOOD[0],
            'P2,,"Zoe,XP12 3AB,S2,04/12/2023,11,2',
            "P3,,Ann,XP1 4DJ,S3,05/12/2023,21,0",
            'P4,,Bo",XP1 4DJ,S4,05/12/2023,21,0',
            "P6,,Cy,XP1 4DJ,S6,06/12/2023,21,0",
        ],
    )
    # Text that is not UTF-8 in a Parquet string column (row 2's forename).
    names = pa.array([b"Robert", b"Zo\xebe"], type=pa.binary()).view(pa.string())
    columns = {
        h: pa.array([r[k] for r in (g.split(",") for g in GOOD)])
        for k, h in enumerate(HEADER.split(","))
    }
    columns["FORENAME"] = names
    pq.write_table(pa.table(columns), HERE / "non_utf8.parquet")
    # Excel date cells: a date, a date-time with a time of day, a bare date serial, and an
    # NHS number typed as a number.
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Spells"
    sheet.append(HEADER.split(","))
    sheet.append(["P1", 9434765919, "Robert", "XP1 4DJ", "S1", datetime(2023, 12, 3), "21", 0])
    sheet.append(["P2", None, "Zoe", "XP12 3AB", "S2", datetime(2023, 12, 4, 14, 30), 11, 2])
    sheet.append(["P3", None, "Ann", "XP1 4DJ", "S3", 45265, "21", 1])  # 45265 = 5 Dec 2023
    book.properties.created = datetime(2024, 1, 1)  # the same bytes every time
    book.properties.modified = datetime(2024, 1, 1)
    book.save(HERE / "excel_dates.xlsx")


if __name__ == "__main__":
    main()
