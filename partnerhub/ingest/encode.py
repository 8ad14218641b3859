"""`partnerhub encode`: a partner prepares an extract for privacy-preserving mode, on its own
machine, before sending it.

The extract is read and validated exactly as the hub would (the same contract, readers and
checks), so bad rows stay with the partner, listed in a quarantine file beside the output. Each
valid row is then written in canonical form (see
:func:`~partnerhub.schema.contracts.encoded_contract`): its attributes, the areas its postcode
resolves to at the fact's date (from the public postcode lookup), and the encodings of its
identifiers (:mod:`partnerhub.identity.pprl`). Names, date of birth, NHS number, address and
postcode are not in the output; the hub ingests it with ``partnerhub ingest`` as usual and
recognises it by its ``pprl_version`` column.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from partnerhub.config.settings import DEFAULT_MAX_XLSX_BYTES
from partnerhub.geography import AREA_FIELDS, PostcodeLookup
from partnerhub.identity.pprl import EncodingSecret, encode_identifiers
from partnerhub.ingest.split import area_join, stage_lookup
from partnerhub.ingest.stage import stage_extract
from partnerhub.ingest.validate import validate_staged
from partnerhub.schema import DatasetContract
from partnerhub.schema.contracts import IDENTIFIER_FIELDS, encoded_contract
from partnerhub.vault.backend import quote

__all__ = ["EncodeResult", "encode_extract"]


@dataclass(frozen=True)
class EncodeResult:
    out: Path
    received: int
    encoded: int
    quarantined: int
    quarantine_file: Path | None
    unresolved_postcodes: int
    warnings: tuple[str, ...]


def encode_extract(
    contract: DatasetContract,
    file: Path,
    secret: EncodingSecret,
    out: Path,
    lookup: PostcodeLookup,
    *,
    today: date | None = None,
    max_xlsx_bytes: int = DEFAULT_MAX_XLSX_BYTES,
) -> EncodeResult:
    """Validate ``file`` against ``contract`` and write its encoded form to ``out`` (CSV);
    quarantined rows go to ``<out>.quarantine.csv``. Raises a ContractError (nothing written)
    if the file cannot be read at all."""
    target = encoded_contract(contract)
    con = duckdb.connect()
    try:
        staged = stage_extract(con, file, contract, max_xlsx_bytes=max_xlsx_bytes)
        counts = validate_staged(con, contract, today or date.today(), staged.ragged)
        stage_lookup(con, lookup)
        fields = {r[0] for r in con.execute("DESCRIBE valid").fetchall()}
        areas = area_join(contract, fields)
        identifiers = [f for f in sorted(IDENTIFIER_FIELDS) if f in fields]
        ident = con.sql(
            "SELECT _line, "
            + ", ".join(f"CAST(v.{quote(f)} AS VARCHAR) AS {quote(f)}" for f in identifiers)
            + " FROM valid v ORDER BY _line"
        ).df()
        for f in ("nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"):
            if f not in ident.columns:
                ident[f] = None
        encodings, warnings = encode_identifiers(ident, secret)
        encodings.columns = [c if c == "pprl_version" else f"pprl_{c}" for c in encodings.columns]
        encodings.insert(0, "_line", ident["_line"].to_numpy())
        con.register("_encodings", encodings)
        select = []
        for c in target.columns:
            if c.maps_to in AREA_FIELDS:
                select.append(f"{areas.columns[c.maps_to]} AS {quote(c.name)}")
            elif c.maps_to.startswith("pprl_"):
                select.append(f"e.{quote(c.maps_to)}")
            else:
                select.append(f"v.{quote(c.maps_to)} AS {quote(c.name)}")
        unresolved = int(
            con.execute(
                f"SELECT count(*) FILTER ({areas.unresolved}) FROM valid v {areas.join}"
            ).fetchall()[0][0]
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the output and renamed: a failure never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(fd)
        try:
            con.execute(
                f"COPY (SELECT {', '.join(select)} FROM valid v JOIN _encodings e USING (_line) "
                f"{areas.join} ORDER BY v._line) TO {_path_literal(tmp)} (FORMAT csv, HEADER)"
            )
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        quarantine_file = out.with_name(out.stem + ".quarantine.csv")
        if counts.quarantined:
            con.execute(
                f"COPY (SELECT * FROM quarantine ORDER BY ALL) TO {_path_literal(quarantine_file)} "
                "(FORMAT csv, HEADER)"
            )
        elif quarantine_file.exists():
            quarantine_file.unlink()
    finally:
        con.close()
    return EncodeResult(
        out,
        counts.received,
        counts.valid,
        counts.quarantined,
        quarantine_file if counts.quarantined else None,
        unresolved,
        (*staged.warnings, *warnings),
    )


def _path_literal(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
