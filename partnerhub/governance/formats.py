"""A release as a file: CSV as stored, JSON or Parquet.

A release is stored as CSV text (the Fingertips layout for indicators), with
:data:`~partnerhub.disclosure.SUPPRESSED_MARK` (``[c]``) in every withheld cell. The other
formats carry exactly the same cells: JSON as a list of records, numbers as numbers and a
withheld cell as the string ``"[c]"``; Parquet with every column as text, as released (a
withheld cell stays ``[c]``, never a number and never silently null).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd

__all__ = ["RELEASE_FORMATS", "write_release"]

RELEASE_FORMATS = ("csv", "json", "parquet")


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # plain decimals only: "1E5", "nan" stay text


def _cell(text: str) -> object:
    if text == "":
        return None
    if not _NUMBER.fullmatch(text):
        return text
    return float(text) if "." in text else int(text)


def write_release(content: str, kind: str, out: Path) -> None:
    """Write a release's content to ``out`` as ``kind`` (one of :data:`RELEASE_FORMATS`)."""
    if kind == "csv":
        out.write_text(content, encoding="utf-8")
        return
    frame = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
    if kind == "json":
        records = [{k: _cell(v) for k, v in row.items()} for row in frame.to_dict("records")]
        out.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    elif kind == "parquet":
        frame.to_parquet(out, index=False)
    else:
        raise ValueError(f"unknown release format {kind!r}")
