"""Read a partner's extract as its contract describes it, or say exactly why not.

File-level problems (wrong kind of file, wrong encoding, wrong delimiter, missing required
columns) stop the load with a :class:`~partnerhub.errors.ContractError` naming the file, the
line or column, and the fix. Row-level problems (a ragged row) are returned for quarantine.
Every value comes back as text; :mod:`partnerhub.ingest.validate` types it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from partnerhub.errors import ContractError, NotFoundError
from partnerhub.schema import DatasetContract

__all__ = ["MAGIC_BYTES", "RawExtract", "check_header", "header_warnings", "read_extract"]

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


def read_extract(path: Path, contract: DatasetContract) -> RawExtract:
    """Read ``path`` with ``contract``'s format, encoding and delimiter."""
    if not path.exists():
        raise NotFoundError(f"{path}: file not found — check the path in partnership.toml")
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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=contract.file.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ContractError(f"{path}: the file is empty") from None
    header = [h.strip() for h in header]
    expected = list(contract.column_names)
    check_header(path, header, expected, contract)
    position = {name: i for i, name in enumerate(header)}
    body: list[list[str]] = []
    lines: list[int] = []
    ragged: list[tuple[int, int, str]] = []
    width = len(header)
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != width:
                reason = f"has {len(row)} fields, the header has {width}" + (
                    " (truncated?)" if len(row) < width else ""
                )
                ragged.append((line, len(row), reason))
                continue
            body.append(row)
            lines.append(line)
    except csv.Error as exc:
        raise ContractError(
            f"{path}: line {reader.line_num} cannot be read as CSV ({exc}) — check quoting there"
        ) from None
    columns = {}
    for name in expected:
        i = position.get(name)
        columns[name] = [r[i].strip() for r in body] if i is not None else [""] * len(body)
    rows = pd.DataFrame(columns, dtype=object)
    rows["_line"] = lines
    warnings = header_warnings(header, expected)
    frame = pd.DataFrame(ragged, columns=["line", "fields", "reason"])
    return RawExtract(path=path, rows=rows, ragged=frame, warnings=warnings)


def check_header(
    path: Path, header: list[str], expected: list[str], contract: DatasetContract
) -> None:
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
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise ContractError(
            f"{path}: not a readable Parquet file ({type(exc).__name__}) — re-export it, or set "
            "file.format in the contract"
        ) from None
    header = table.column_names
    check_header(path, header, list(contract.column_names), contract)
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


def _read_excel(path: Path, contract: DatasetContract) -> RawExtract:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # openpyxl raises several types for a file that is not xlsx
        raise ContractError(
            f"{path}: not a readable Excel (xlsx) file ({type(exc).__name__}) — re-save it as "
            "xlsx or CSV"
        ) from None
    sheets = [str(s) for s in book.sheet_names]
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
    frame = book.parse(sheet, dtype=str, keep_default_na=False, header=0)
    header = [str(h).strip() for h in frame.columns]
    frame.columns = header
    check_header(path, header, list(contract.column_names), contract)
    columns = {}
    for col in contract.columns:
        if col.name not in frame.columns:
            columns[col.name] = [""] * len(frame)
        else:
            columns[col.name] = frame[col.name].astype(str).str.strip().tolist()
    rows = pd.DataFrame(columns, dtype=object)
    rows["_line"] = range(2, len(frame) + 2)  # spreadsheet row numbers (row 1 = header)
    empty = pd.DataFrame(columns=["line", "fields", "reason"])
    return RawExtract(path, rows, empty, header_warnings(header, list(contract.column_names)))
