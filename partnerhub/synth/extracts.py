"""Write partner extracts exactly as each dataset's contract describes them.

The contract is the one source of an extract's layout: its column names and order, date
formats, the partner's own codes, boolean spellings, delimiter and encoding. Facts (canonical
values) are rendered through it, so what ingest later reads back with the same contract is what
was meant. Characters a partner's encoding cannot hold are replaced, as a real export does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from partnerhub.schema import DatasetContract, builtin_contract
from partnerhub.schema.contracts import IDENTIFIER_FIELDS, ContractColumn
from partnerhub.synth.facts import Facts
from partnerhub.synth.records import SourceRecords, make_source_records
from partnerhub.synth.world import World

__all__ = ["Extract", "build_extracts", "render_extract", "write_extract"]


class Extract:
    """One rendered partner extract plus the truth of its rows."""

    def __init__(self, contract: DatasetContract, frame: pd.DataFrame, rows: pd.DataFrame) -> None:
        self.contract = contract
        self.frame = frame  # canonical values, one column per contract target
        self.rows = rows  # truth: row number → local_id, person_id
        self.n_rows = len(frame)

    @property
    def name(self) -> str:
        return f"{self.contract.partner}_{self.contract.dataset}"


def _merge(facts: Sequence[Facts]) -> dict[tuple[str, str], Facts]:
    merged: dict[tuple[str, str], list[Facts]] = {}
    for f in facts:
        merged.setdefault((f.partner, f.dataset), []).append(f)
    out = {}
    for key, parts in merged.items():
        frame = pd.concat([p.frame for p in parts], ignore_index=True)
        sort = [c for c in ("seen_date", "person_id") if c in frame.columns]
        frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
        truth: dict[str, pd.DataFrame] = {}
        for p in parts:
            truth.update(p.truth)
        out[key] = Facts(key[0], key[1], frame, truth)
    return out


def build_extracts(
    world: World,
    facts: Sequence[Facts],
    rng: np.random.Generator,
    sink: Callable[[Extract], None] | None = None,
) -> tuple[list[Extract], list[SourceRecords]]:
    """Partner records (with noise) and one :class:`Extract` per dataset.

    With a ``sink`` (e.g. a writer), each extract is handed over as soon as it is made and its
    rendered frame is then dropped, so a large partnership is never all in memory at once.
    """
    by_dataset = _merge(facts)
    partners = sorted({p for p, _ in by_dataset})
    extracts: list[Extract] = []
    records: list[SourceRecords] = []
    for partner in partners:
        mine = [f for (p, _), f in sorted(by_dataset.items()) if p == partner]
        persons = pd.concat(
            [f.frame.loc[f.frame["person_id"] >= 0, ["person_id", "seen_date"]] for f in mine]
        )
        seen = persons.groupby("person_id")["seen_date"].agg(["min", "max"])
        recs = make_source_records(
            partner,
            seen.index.to_numpy(),
            seen["max"].to_numpy().astype("datetime64[D]"),
            seen["min"].to_numpy().astype("datetime64[D]"),
            world,
            rng,
        )
        records.append(recs)
        for f in mine:
            ex = _extract(f, recs, rng)
            ex.n_rows = len(ex.frame)
            if sink is not None:
                sink(ex)
                ex.frame = ex.frame.iloc[:0]
            extracts.append(ex)
    return extracts, records


def _extract(facts: Facts, recs: SourceRecords, rng: np.random.Generator) -> Extract:
    contract = builtin_contract(facts.contract_name)
    frame = facts.frame
    person = frame["person_id"].to_numpy()
    has_person = person >= 0
    local = np.full(len(frame), None, dtype=object)
    local[has_person] = recs.local_ids_for(person[has_person], rng)
    if "row_id" in frame.columns:
        local[~has_person] = frame["row_id"].to_numpy()[~has_person]
    ident = recs.records.set_index("local_id")
    out = pd.DataFrame(index=frame.index)
    out["local_id"] = local
    for col in contract.columns:
        target = col.maps_to
        if target == "local_id":
            continue
        if target in frame.columns:
            values = frame[target].to_numpy()
            if target in IDENTIFIER_FIELDS:
                # A fact's own postcode/address wins; missing ones fall back to the record.
                fallback = ident[target].reindex(local).to_numpy() if target in ident else None
                if fallback is not None:
                    values = np.where(pd.isna(values) & has_person, fallback, values)
            out[target] = values
        elif target in IDENTIFIER_FIELDS:
            values = ident[target].reindex(local).to_numpy()
            out[target] = np.where(has_person, values, None)
        else:
            out[target] = None
    rows = pd.DataFrame({"row": np.arange(len(frame)), "local_id": local, "person_id": person})
    return Extract(contract, out, rows)


def _render_column(contract: DatasetContract, col: ContractColumn, values: pd.Series) -> pd.Series:
    missing = values.isna().to_numpy()
    if col.type == "date":
        stamps = pa.array(pd.to_datetime(values).to_numpy(), type=pa.timestamp("s"))
        text = pd.Series(
            pc.strftime(stamps, format=contract.date_format_of(col), locale="C").to_pandas(),
            index=values.index,
        )
    elif col.type == "code":
        mapped = values.map(dict(contract.local_codes(col)))
        text = mapped.where(mapped.notna(), values.astype(str))
    elif col.type == "boolean":
        t, f = col.true_values[0], col.false_values[0]
        raw = values.to_numpy(dtype=object)
        truthy = np.zeros(raw.size, dtype=bool)
        truthy[~missing] = raw[~missing].astype(bool)
        text = pd.Series(np.where(truthy, t, f), index=values.index)
    elif col.type == "integer":
        text = pd.to_numeric(values).astype("Int64").astype(str)
    elif col.type == "float":
        text = pd.to_numeric(values).astype(float).round(2).astype(str)
    else:
        text = values.astype(str)
    return text.astype(object).where(~missing, "").astype(str)


def render_extract(extract: Extract) -> pd.DataFrame:
    """The extract as the partner writes it: their column names, codes and formats (text)."""
    c = extract.contract
    data = {}
    for col in c.columns:
        data[col.name] = _render_column(c, col, extract.frame[col.maps_to].astype(object))
    return pd.DataFrame(data)


def _typed_table(extract: Extract, text: pd.DataFrame) -> pa.Table:
    c = extract.contract
    arrays = {}
    for col in c.columns:
        raw = extract.frame[col.maps_to]
        if col.type == "date":
            arrays[col.name] = pa.array(pd.to_datetime(raw).dt.date, type=pa.date32())
        elif col.type == "integer":
            arrays[col.name] = pa.array(pd.to_numeric(raw).astype("Int64"), type=pa.int64())
        elif col.type == "float":
            arrays[col.name] = pa.array(pd.to_numeric(raw).astype(float), type=pa.float64())
        elif col.type == "boolean":
            arrays[col.name] = pa.array(
                raw.astype(object).where(raw.notna(), None), type=pa.bool_()
            )
        else:
            s = text[col.name]
            arrays[col.name] = pa.array(s.where(s != "", None), type=pa.string())
    return pa.table(arrays)


def write_extract(extract: Extract, folder: Path) -> tuple[Path, Path]:
    """Write ``<dataset>.csv`` (as the partner sends it) and ``<dataset>.parquet``."""
    c = extract.contract
    folder.mkdir(parents=True, exist_ok=True)
    text = render_extract(extract)
    csv_path = folder / f"{c.dataset}.csv"
    data = text.to_csv(index=False, sep=c.file.delimiter, lineterminator="\n")
    with csv_path.open("wb") as fh:
        fh.write(data.encode(c.file.encoding, errors="replace"))
    pq_path = folder / f"{c.dataset}.parquet"
    pq.write_table(_typed_table(extract, text), pq_path, compression="zstd")
    return csv_path, pq_path
