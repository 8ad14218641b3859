"""Read a partner's extract as its contract describes it, or say exactly why not.

File-level problems (wrong kind of file, wrong encoding, wrong delimiter, missing required
columns, a column named twice or a NUL byte in a header, a quote never closed, text that is not
UTF-8 in a Parquet file, a workbook too big once expanded) stop the load with a
:class:`~partnerhub.errors.ContractError` naming the file, the line or column, and the fix.
Row-level problems (a ragged row) are returned for quarantine, at the line the row starts on.
Every value comes back as text; :mod:`partnerhub.ingest.validate` types it (an Excel date cell
comes back written in the contract's date format).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from partnerhub.config.settings import DEFAULT_MAX_XLSX_BYTES
from partnerhub.errors import ContractError, NotFoundError
from partnerhub.schema import DatasetContract
from partnerhub.schema.contracts import ContractColumn

__all__ = [
    "MAGIC_BYTES",
    "RawExtract",
    "check_header",
    "check_xlsx_size",
    "header_warnings",
    "read_extract",
]

csv.field_size_limit(2**31 - 1)  # a partner's free-text field can be very large

MAGIC_BYTES = {
    b"PK\x03\x04": "an Excel (xlsx) or zip file",
    b"PAR1": "a Parquet file",
    b"%PDF": "a PDF",
    b"\xd0\xcf\x11\xe0": "an old Excel (xls) file",
}


@dataclass(frozen=True)
class RawExtract:
    """An extract read as text: one row per data row, columns named as in the contract."""

    path: Path
    rows: pd.DataFrame  # contract column name → text; "" is missing; ``_line`` = file line
    ragged: pd.DataFrame  # line, fields, reason — rows that could not be split into columns
    warnings: tuple[str, ...] = field(default=())


def read_extract(
    path: Path, contract: DatasetContract, *, max_xlsx_bytes: int = DEFAULT_MAX_XLSX_BYTES
) -> RawExtract:
    """Read ``path`` with ``contract``'s format, encoding and delimiter (a workbook bigger
    than ``max_xlsx_bytes`` once expanded is refused before it is opened)."""
    if not path.exists():
        raise NotFoundError(f"{path}: file not found — check the path in partnership.toml")
    if contract.file.format == "excel":
        check_xlsx_size(path, max_xlsx_bytes)
    data = path.read_bytes()
    if not data.strip():
        raise ContractError(f"{path}: the file is empty — ask {contract.partner} to re-send it")
    if contract.file.format == "parquet":
        return _read_parquet(path, contract)
    if contract.file.format == "excel":
        return _read_excel(path, contract)
    for magic, what in MAGIC_BYTES.items():
        if data.startswith(magic):
            raise ContractError(
                f"{path}: this is {what}, not a CSV file — re-export it as CSV, or set "
                f"file.format in the {contract.name} contract"
            )
    return _read_csv(path, data, contract)


def _decode(path: Path, data: bytes, encoding: str) -> str:
    if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} and data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"  # a byte-order mark is harmless: accept it
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise ContractError(
            f"{path}: line {line} is not valid {encoding} (byte 0x{byte}) — re-export the file "
            f"as {encoding}, or set file.encoding in the contract (e.g. cp1252 for a Windows "
            "export)"
        ) from None


def _read_csv(path: Path, data: bytes, contract: DatasetContract) -> RawExtract:
    text = _decode(path, data, contract.file.encoding)
    # The reader pulls physical lines one at a time: ``consumed`` is where the next record
    # starts, so a record (and an error) is placed at the line it starts on, not where it ends.
    consumed = [0]

    def physical_lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed[0] += len(line)
            yield line

    reader = csv.reader(physical_lines(), delimiter=contract.file.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ContractError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        raise ContractError(
            f"{path}: line 1 (the header) cannot be read as CSV ({exc}) — check quoting there"
        ) from None
    if reader.line_num > 1:
        raise ContractError(
            f"{path}: line 1: the header runs over {reader.line_num} lines — a quote in it is "
            "never closed, or a column name holds a line break; fix the header and re-send"
        )
    header = [h.strip() for h in header]
    expected = list(contract.column_names)
    check_header(path, header, expected, contract)
    position = {name: i for i, name in enumerate(header)}
    body: list[list[str]] = []
    lines: list[int] = []
    ragged: list[tuple[int, int, str]] = []
    width = len(header)
    end_line, end_offset = reader.line_num, consumed[0]  # where the previous record ended
    last: tuple[list[str], int, int] | None = None  # the last record, its line and offset
    try:
        for row in reader:
            line, last = end_line + 1, (row, end_line + 1, end_offset)
            end_line, end_offset = reader.line_num, consumed[0]
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                reason = f"has {len(row)} fields, the header has {width}" + (
                    " (truncated?)" if len(row) < width else ""
                )
                if end_line > line:
                    reason += (
                        f"; a quoted value runs from line {line} to line {end_line} "
                        "(an unbalanced quote?)"
                    )
                ragged.append((line, len(row), reason))
                continue
            if end_line > line and _holds_rows(row, width, contract.file.delimiter):
                ragged.append(
                    (
                        line,
                        len(row),
                        f"a quoted value runs from line {line} to line {end_line} and holds "
                        "whole rows (an unbalanced quote?)",
                    )
                )
                continue
            body.append(row)
            lines.append(line)
    except csv.Error as exc:
        raise ContractError(
            f"{path}: line {end_line + 1} cannot be read as CSV ({exc}) — check quoting there"
        ) from None
    if last is not None:
        _check_quotes_closed(path, text, *last, end_line, contract.file.delimiter)
    columns = {}
    for name in expected:
        i = position.get(name)
        columns[name] = [r[i].strip() for r in body] if i is not None else [""] * len(body)
    rows = pd.DataFrame(columns, dtype=object)
    rows["_line"] = lines
    warnings = header_warnings(header, expected)
    frame = pd.DataFrame(ragged, columns=["line", "fields", "reason"])
    return RawExtract(path=path, rows=rows, ragged=frame, warnings=warnings)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _holds_rows(row: list[str], width: int, delimiter: str) -> bool:
    """Whether a value spanning lines holds a line that looks like a whole row of the file
    (as many delimiters as the header): rows swallowed by a stray quote, not a line break
    typed inside a value."""
    return any(
        piece.count(delimiter) >= width - 1
        for value in row
        if "\n" in value or "\r" in value
        for piece in _LINE_BREAK.split(value)[1:]
    )


def _check_quotes_closed(
    path: Path, text: str, row: list[str], line: int, offset: int, end: int, delimiter: str
) -> None:
    """Refuse a file whose last record ``row`` (from ``line``, at ``offset`` in ``text``) is
    a quoted value still open at the end of the file: the quote swallowed every line after it.
    Names the line the quote opens on (``end`` is the file's last line)."""
    if not row:
        return
    try:
        for _ in csv.reader(
            io.StringIO(text[offset:], newline=""), delimiter=delimiter, strict=True
        ):
            pass
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return  # another quirk a lenient reader accepts: the row is checked as usual
        value = row[-1]  # the open value runs to the end of the file, line breaks and all
        breaks = len(_LINE_BREAK.findall(value))
        opens = end - breaks + (1 if _LINE_BREAK.search(value[-1:]) else 0)
        opens = max(line, opens)
        swallowed = f"lines {opens}–{end} would be one value" if end > opens else "its last line"
        raise ContractError(
            f"{path}: line {opens}: a quoted value opens here and is never closed (the file "
            f"ends inside it: {swallowed}) — close the quote, or double a quote inside a value "
            '(""), and re-send'
        ) from None


def check_header(
    path: Path, header: list[str], expected: list[str], contract: DatasetContract
) -> None:
    """Refuse a header the contract cannot be read through: a column name holding a NUL
    byte (or another control character but a tab), a contract column named twice, a required column
    missing. ``header`` is the names as read, stripped of blanks."""
    for k, name in enumerate(header, start=1):
        bad = next((ch for ch in name if ch != "\t" and (ord(ch) < 32 or ord(ch) == 127)), None)
        if bad is not None:
            what = "a NUL byte" if bad == "\0" else f"a control character (0x{ord(bad):02x})"
            raise ContractError(
                f"{path}: the header's column {k} ({name!r}) contains {what} — the file is "
                "damaged or exported wrongly; fix the column name and re-send"
            )
    wanted = set(expected)
    for name in dict.fromkeys(header):
        if name in wanted and header.count(name) > 1:
            where = ", ".join(str(k) for k, h in enumerate(header, start=1) if h == name)
            raise ContractError(
                f"{path}: the header names column {name} more than once (columns {where}) — "
                "which one holds the data is unclear; rename or remove the extra one and re-send"
            )
    required = [c.name for c in contract.columns if c.required]
    missing = [name for name in required if name not in header]
    if not missing:
        return
    if len(header) == 1:
        for other in (",", ";", "|", "\t"):
            if other != contract.file.delimiter and other in header[0]:
                shown = "a tab" if other == "\t" else f"'{other}'"
                raise ContractError(
                    f"{path}: the header is one column but contains {shown} — the file looks "
                    f"{shown}-delimited; re-export it with '{contract.file.delimiter}' or set "
                    "file.delimiter in the contract"
                )
    raise ContractError(
        f"{path}: required column(s) missing from the header: {', '.join(missing)} — "
        f"the {contract.name} contract expects: {', '.join(expected)}"
    )


def header_warnings(header: list[str], expected: list[str]) -> tuple[str, ...]:
    out = []
    extra = [h for h in header if h not in expected]
    if extra:
        out.append(f"ignored column(s) not in the contract: {', '.join(extra)}")
    absent = [e for e in expected if e not in header]
    if absent:
        out.append(f"optional column(s) absent, treated as empty: {', '.join(absent)}")
    return tuple(out)


def _read_parquet(path: Path, contract: DatasetContract) -> RawExtract:
    try:
        header = pq.read_schema(path).names  # the header is checked before any data is read
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise ContractError(
            f"{path}: not a readable Parquet file ({type(exc).__name__}) — re-export it, or set "
            "file.format in the contract"
        ) from None
    check_header(path, header, list(contract.column_names), contract)
    wanted = [h for h in header if h in set(contract.column_names)]
    try:
        table = pq.read_table(path, columns=wanted)
    except Exception as exc:
        raise ContractError(
            f"{path}: not a readable Parquet file ({type(exc).__name__}) — re-export it"
        ) from None
    for name, column in zip(table.column_names, table.columns, strict=True):
        _check_utf8(path, name, column)
    frame = table.to_pandas()
    columns = {}
    for col in contract.columns:
        if col.name not in frame.columns:
            columns[col.name] = [""] * len(frame)
            continue
        values = frame[col.name]
        if col.type == "date" and pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime(contract.date_format_of(col))
        elif col.type == "date" and values.dtype == object and len(values):
            text = pd.to_datetime(values, errors="coerce").dt.strftime(contract.date_format_of(col))
        elif col.type == "boolean" and pd.api.types.is_bool_dtype(values.dropna()):
            spelled = {True: col.true_values[0], False: col.false_values[0]}
            text = values.map(spelled)
        else:
            text = values.astype(str)
        columns[col.name] = text.where(values.notna(), "").astype(str).tolist()
    rows = pd.DataFrame(columns, dtype=object)
    rows["_line"] = range(1, len(frame) + 1)
    empty = pd.DataFrame(columns=["line", "fields", "reason"])
    return RawExtract(path, rows, empty, header_warnings(header, list(contract.column_names)))


def _check_utf8(path: Path, name: str, column: pa.ChunkedArray) -> None:
    """Refuse a text column holding bytes that are not UTF-8 (Arrow would fail later, deep
    inside a conversion), naming the column and the first such row."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return
    try:
        column.validate(full=True)
        return
    except pa.ArrowInvalid:
        pass
    row = 0
    for chunk in column.chunks:
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_decode()
        raw = chunk.view(pa.large_binary() if pa.types.is_large_string(kind) else pa.binary())
        for value in raw.to_pylist():
            row += 1
            if value is None:
                continue
            try:
                value.decode("utf-8")
            except UnicodeDecodeError as exc:
                byte = value[exc.start : exc.start + 1].hex()
                raise ContractError(
                    f"{path}: column {name}, row {row}: text that is not UTF-8 (byte 0x{byte}) "
                    "— re-export the file with its text written as UTF-8"
                ) from None
    raise ContractError(  # the dictionary itself is damaged: no row to name
        f"{path}: column {name}: text that is not UTF-8 — re-export the file with its text "
        "written as UTF-8"
    )


def check_xlsx_size(path: Path, limit: int) -> None:
    """Refuse a workbook that would expand to more than ``limit`` bytes, reading only the
    zip's central directory (nothing is decompressed): a defence against zip bombs. The sizes
    read are binding: Python's zip reader stops at a member's declared size."""
    try:
        with zipfile.ZipFile(path) as book:
            expanded = sum(member.file_size for member in book.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # not a zip at all: the Excel reader says what it is
    if expanded > limit:
        raise ContractError(
            f"{path}: the workbook expands to {expanded:,} bytes, over the limit of {limit:,} "
            "(ingest.max_xlsx_uncompressed_bytes) — send the extract as CSV or Parquet, or "
            "raise the limit if the workbook is genuine"
        )


def _read_excel(path: Path, contract: DatasetContract) -> RawExtract:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a file that is not xlsx
        raise ContractError(
            f"{path}: not a readable Excel (xlsx) file ({type(exc).__name__}) — re-save it as "
            "xlsx or CSV"
        ) from None
    try:
        sheets = [str(s) for s in book.sheetnames]
        wanted = contract.file.sheet
        if wanted is None and len(sheets) > 1:
            raise ContractError(
                f"{path}: the workbook has {len(sheets)} sheets ({', '.join(sheets)}) — set "
                f"file.sheet in the {contract.name} contract to the one holding the extract"
            )
        sheet = wanted if wanted is not None else sheets[0]
        if sheet not in sheets:
            raise ContractError(
                f"{path}: no sheet {sheet!r}; the sheets are: {', '.join(sheets)} — fix file.sheet"
            )
        cells = book[sheet].iter_rows(values_only=True)
        first = next(cells, None)
        header = ["" if h is None else _cell_text(h, None, contract).strip() for h in first or ()]
        check_header(path, header, list(contract.column_names), contract)
        by_name = {c.name: c for c in contract.columns}
        used = [(k, by_name[h]) for k, h in enumerate(header) if h in by_name]
        columns: dict[str, list[str]] = {c.name: [] for c in contract.columns}
        lines: list[int] = []
        for number, values in enumerate(cells, start=2):  # spreadsheet row numbers
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            lines.append(number)
            for k, col in used:
                value = values[k] if k < len(values) else None
                columns[col.name].append(_cell_text(value, col, contract, book.epoch).strip())
    finally:
        book.close()
    for col in contract.columns:
        if not any(h == col.name for h in header):
            columns[col.name] = [""] * len(lines)
    rows = pd.DataFrame(columns, dtype=object)
    rows["_line"] = lines
    empty = pd.DataFrame(columns=["line", "fields", "reason"])
    return RawExtract(path, rows, empty, header_warnings(header, list(contract.column_names)))


_LAST_SERIAL = 2958465  # 9999-12-31 as an Excel date serial


def _cell_text(
    value: Any,
    col: ContractColumn | None,
    contract: DatasetContract,
    epoch: datetime = datetime(1899, 12, 30),
) -> str:
    """A cell as the text a CSV export would hold. A date (or date-time) cell in a date column
    is written in the contract's date format — its time of day dropped: the column holds
    dates; a number in a date column is an Excel date serial unless it already reads in the
    contract's format (20231125 for %Y%m%d)."""
    is_date = col is not None and col.type == "date"
    fmt = contract.date_format_of(col) if col is not None else "%Y-%m-%d"
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        if is_date:
            return value.strftime(fmt)
        if isinstance(value, datetime) and value.time() != time(0):
            return value.isoformat(sep=" ")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        if col is not None and col.type == "boolean":
            return col.true_values[0] if value else col.false_values[0]
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        whole = float(value).is_integer()
        text = str(int(value)) if whole else repr(value)
        if is_date:
            try:
                datetime.strptime(text, fmt)
                return text
            except ValueError:
                pass
            if 1 <= value <= _LAST_SERIAL:
                from openpyxl.utils.datetime import from_excel

                return str(from_excel(value, epoch).strftime(fmt))
        return text
    return str(value)
