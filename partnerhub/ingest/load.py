"""Load extracts into the vault and the identity store — completely or not at all.

One load, in order (each step is a checkpoint a crash test can stop at):

1. hash the file; if this dataset already loaded a file with the same SHA-256, do nothing
   (re-loading is idempotent);
2. stage, validate and report in DuckDB temporary tables (nothing persistent is touched; a file
   that cannot be read is recorded as *rejected* with its reason);
3. record the load as *pending* in the control plane;
4. write identifiers to the identity store in one transaction, then attributes to the vault in
   one transaction, every row tagged with the load id;
5. mark the load *loaded* with its quarantine and report, in one control-plane transaction:
   **this is the commit point**. The newest loaded load of a dataset is its current one; older
   loads stay, superseded, with their rows (history for event detection);
6. re-sync the vault's copy of which loads are current.

A crash (kill -9, full disk, power) anywhere before step 5 leaves a *pending* load whose rows
nobody can see; the hub's recovery, which every writer of the hub runs first (ingest, link,
status, ...), deletes those rows and the pending record, so the stores are exactly as they
were. After step 5 the load stands, and recovery only finishes step 6. One writer runs at a
time per partnership (the hub's file lock).

Ingest sits below the hub: it writes through the writer it is given (``with hub.writer() as
w: ingest_file(w, ...)``), which it knows only as :class:`Stores` — the attributes it uses.
"""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from partnerhub.config import Partnership
from partnerhub.config.settings import DatasetSettings
from partnerhub.control import Load
from partnerhub.errors import ContractError, NotFoundError, UserError
from partnerhub.governance.users import operator
from partnerhub.ingest.quality import contract_of, quality_report
from partnerhub.ingest.split import area_level_rows, identity_table, stage_lookup, stage_split
from partnerhub.ingest.stage import stage_extract
from partnerhub.ingest.validate import CheckCounts, validate_staged
from partnerhub.keys import PseudonymisationKey
from partnerhub.schema.contracts import DatasetContract, encoded_contract
from partnerhub.vault.backend import StagedRows

if TYPE_CHECKING:
    from partnerhub.control import ControlPlane
    from partnerhub.geography import PostcodeLookup
    from partnerhub.governance import AuditLog
    from partnerhub.vault import IdentityStore, Vault

__all__ = [
    "CHECKPOINTS",
    "LoadResult",
    "Restored",
    "Stores",
    "ingest_all",
    "ingest_directory",
    "ingest_file",
    "is_encoded_extract",
    "restore_load",
]

# Where a crash test may stop a load (env PARTNERHUB_TEST_KILL_AT=<name>): a test hook only.
CHECKPOINTS = (
    "staged",
    "pending-recorded",
    "identity-written",
    "identity-committed",
    "vault-written",
    "vault-committed",
    "load-committed",
)
_KILL_ENV = "PARTNERHUB_TEST_KILL_AT"
_SUFFIX = {"csv": (".csv", ".txt"), "parquet": (".parquet",), "excel": (".xlsx",)}


def _checkpoint(name: str) -> None:
    if os.environ.get(_KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


class Stores(Protocol):
    """What a load writes through: the hub's writer (:class:`partnerhub.hub.Writer`), under
    the partnership's lock, its stores open for writing and recovered. Ingest names only the
    attributes it uses, so it does not import the hub above it."""

    @property
    def settings(self) -> Partnership: ...

    @property
    def vault(self) -> Vault: ...

    @property
    def identity(self) -> IdentityStore: ...

    @property
    def control(self) -> ControlPlane: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def key(self) -> PseudonymisationKey: ...

    @property
    def lookup(self) -> PostcodeLookup: ...

    def areas_for(self, contract: DatasetContract) -> pd.DataFrame | None:
        """The partnership's areas an area-level dataset is checked against; None for a
        dataset of people."""
        ...

    def sync_current(self) -> None:
        """Re-sync the vault's copy of which loads are current."""
        ...

    def recover(self) -> list[int]:
        """Undo every load (and link run) that never reached its commit point; re-sync
        current loads (:func:`partnerhub.hub.recover`). Returns the loads undone."""
        ...


@dataclass(frozen=True)
class LoadResult:
    partner: str
    dataset: str
    file: Path
    status: str  # loaded | unchanged | rejected
    load_id: int | None
    message: str
    report: dict[str, Any] | None = None


def is_encoded_extract(path: Path) -> bool:
    """Whether ``path`` is an extract written by ``partnerhub encode`` (a CSV whose header
    names the encoding version column)."""
    with path.open("rb") as f:
        head = f.readline(1 << 16)
    names = head.decode("utf-8", errors="replace").lstrip("\ufeff").strip().split(",")
    return "pprl_version" in names


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _dataset(settings: Partnership, partner: str, dataset: str) -> DatasetSettings:
    datasets = settings.partner(partner).datasets
    for ds in datasets:
        if ds.id == dataset:
            return ds
    known = ", ".join(d.id for d in datasets) or "none"
    raise UserError(
        f"partner {partner} has no dataset {dataset!r} in {settings.source}; it has: {known}"
    )


def ingest_file(
    stores: Stores,
    partner: str,
    dataset: str,
    path: Path | None = None,
    *,
    today: date | None = None,
    key: PseudonymisationKey | None = None,
) -> LoadResult:
    """Load one extract of ``partner``/``dataset`` (its configured path unless ``path``)."""
    contract, file = _extract_of(stores.settings, partner, dataset, path)
    key = key if key is not None else stores.key
    sha, size = _sha256(file)
    unchanged = _unchanged(stores, partner, dataset, file, sha)
    if unchanged is not None:
        return unchanged
    meta: dict[str, Any] = {
        "partner": partner,
        "dataset": dataset,
        "contract": contract.name,
        "table_name": contract.table,
        "file_name": str(file),
        "file_sha256": sha,
        "file_bytes": size,
    }
    # Stage inside the vault's own database where it is DuckDB (a private connection whose
    # temporary tables vanish when it closes): the attributes then go into the vault table in
    # SQL, with no copy out and back in; otherwise stage in memory and append Arrow tables.
    staging = stores.vault.backend.staging()
    con = staging if staging is not None else duckdb.connect()
    try:
        written = _stage_and_write(stores, con, staging, contract, key, meta, today)
    finally:
        con.close()
    if isinstance(written, LoadResult):
        return written
    return _commit(stores, written, contract, meta)


def _extract_of(
    settings: Partnership, partner: str, dataset: str, path: Path | None
) -> tuple[DatasetContract, Path]:
    """The contract a dataset's extract is read with, and the file (checked to exist)."""
    ds = _dataset(settings, partner, dataset)
    contract = contract_of(settings, ds)
    file = path if path is not None else settings.resolve(ds.path)
    if not file.is_file():
        raise NotFoundError(
            f"{file}: file not found — check the path (or dataset path in {settings.source})"
        )
    if is_encoded_extract(file):
        contract = encoded_contract(contract)
    return contract, file


def _unchanged(
    stores: Stores, partner: str, dataset: str, file: Path, sha: str
) -> LoadResult | None:
    """The result for a file this dataset already loaded (same SHA-256), else None."""
    seen = stores.control.loaded_with_hash(partner, dataset, sha)
    if seen is None:
        return None
    current = stores.control.current_loads().get((partner, dataset))
    note = (
        ""
        if current is None or current.id == seen.id
        else f"; load {current.id} is current — `partnerhub loads restore {seen.id}` makes "
        "this one current again"
    )
    return LoadResult(
        partner,
        dataset,
        file,
        "unchanged",
        seen.id,
        f"already loaded as load {seen.id} (same SHA-256); nothing to do{note}",
    )


@dataclass
class _Written:
    """A load whose rows are written (and committed in the stores) but not yet the load's
    commit point in the control plane."""

    load_id: int
    counts: CheckCounts
    report: dict[str, Any]
    quarantine: pd.DataFrame
    previous: Load | None


@dataclass
class _Rows:
    """A staged load split for the stores: the vault's attribute rows (a query on the
    staging connection) and the identity store's identifiers (None for area-level data, and
    once written — so that the table is freed)."""

    attribute_columns: tuple[str, ...]
    attributes_sql: str
    identifiers: pa.Table | None


def _stage_and_write(
    stores: Stores,
    con: duckdb.DuckDBPyConnection,
    staging: duckdb.DuckDBPyConnection | None,
    contract: DatasetContract,
    key: PseudonymisationKey,
    meta: dict[str, Any],
    today: date | None,
) -> LoadResult | _Written:
    """Stage, validate and report the file in ``con``; a rejected load's result, or record
    the load as pending and write its rows to the identity store and the vault."""
    file, partner, dataset = Path(meta["file_name"]), meta["partner"], meta["dataset"]
    settings = stores.settings
    try:
        staged = stage_extract(
            con, file, contract, max_xlsx_bytes=settings.ingest.max_xlsx_uncompressed_bytes
        )
    except ContractError as exc:
        load_id = stores.control.reject_load(
            message=str(exc),
            on_commit=lambda s, lid: stores.audit.append(
                operator(),
                "load_rejected",
                f"load {lid}",
                {"partner": partner, "dataset": dataset, "file_sha256": meta["file_sha256"]},
                session=s,
            ),
            **meta,
        )
        stores.audit.write_anchor()
        return LoadResult(partner, dataset, file, "rejected", load_id, str(exc))
    counts = validate_staged(
        con, contract, today or date.today(), staged.ragged, stores.areas_for(contract)
    )
    previous = stores.control.current_loads().get((partner, dataset))
    prev_report = _json(previous.report) if previous is not None else None
    report = quality_report(con, staged, counts, contract, prev_report)
    if counts.valid == 0:
        # An empty or all-invalid file is never the current load: the previous stays.
        quarantine = con.execute("SELECT * FROM quarantine").fetchdf()
        return _reject_empty(stores, meta, counts, report, quarantine, previous)
    _checkpoint("staged")
    load_id = stores.control.begin_load(**meta)
    _checkpoint("pending-recorded")
    rows = _split_rows(stores, con, contract, key, load_id, report)
    quarantine = con.execute("SELECT * FROM quarantine").fetchdf()
    try:
        _write_rows(stores, staging, con, contract, rows)
    except BaseException:
        con.close()
        stores.recover()
        raise
    return _Written(load_id, counts, report, quarantine, previous)


def _split_rows(
    stores: Stores,
    con: duckdb.DuckDBPyConnection,
    contract: DatasetContract,
    key: PseudonymisationKey,
    load_id: int,
    report: dict[str, Any],
) -> _Rows:
    """The staged rows split into attributes and (pseudonymised) identifiers."""
    if contract.is_area_level:  # aggregates: no person, nothing for the identity store
        area_rows = area_level_rows(con, contract, load_id)
        return _Rows(area_rows.columns, area_rows.sql, None)
    stage_lookup(con, stores.lookup)
    split = stage_split(con, contract, key, load_id)
    identifiers = con.sql(split.identifiers).to_arrow_table()
    report["unresolved_postcodes"] = split.unresolved_postcodes
    report["record_keys"] = identifiers.num_rows
    return _Rows(split.attribute_columns, split.attributes, identifiers)


def _write_rows(
    stores: Stores,
    staging: duckdb.DuckDBPyConnection | None,
    con: duckdb.DuckDBPyConnection,
    contract: DatasetContract,
    rows: _Rows,
) -> None:
    """Identifiers to the identity store, then attributes to the vault: one transaction each."""
    if rows.identifiers is not None:
        with stores.identity.backend.transaction():
            stores.identity.append(identity_table(contract), rows.identifiers)
            _checkpoint("identity-written")
        _checkpoint("identity-committed")
        rows.identifiers = None
    if staging is not None:
        staged = StagedRows(staging, rows.attribute_columns, rows.attributes_sql)
        with _transaction(staging):
            stores.vault.append(contract.table, staged)
            _checkpoint("vault-written")
    else:
        attributes = con.sql(rows.attributes_sql).to_arrow_table()
        with stores.vault.backend.transaction():
            stores.vault.append(contract.table, attributes)
            _checkpoint("vault-written")
        del attributes
    _checkpoint("vault-committed")


def _commit(
    stores: Stores, written: _Written, contract: DatasetContract, meta: dict[str, Any]
) -> LoadResult:
    """Mark the load loaded, with its quarantine and report, and audit it: the commit point."""
    partner, dataset, counts = meta["partner"], meta["dataset"], written.counts
    load_id, previous = written.load_id, written.previous
    try:
        superseded = previous.id if previous is not None else None
        stores.control.finish_load(
            load_id,
            received=counts.received,
            loaded=counts.valid,
            quarantined=counts.quarantined,
            report=written.report,
            quarantine=written.quarantine,
            contract_sha256=hashlib.sha256(contract.model_dump_json().encode()).hexdigest(),
            message=f"supersedes load {superseded}" if superseded else None,
            on_commit=lambda s: stores.audit.append(
                operator(),
                "load",
                f"load {load_id}",
                {
                    "partner": partner,
                    "dataset": dataset,
                    "file_sha256": meta["file_sha256"],
                    "received": counts.received,
                    "loaded": counts.valid,
                    "quarantined": counts.quarantined,
                    "supersedes": superseded,
                },
                session=s,
            ),
        )
    except BaseException:
        # A failure in Python (a full disk, a lost connection): undo now rather than at the
        # next recovery. A kill -9 never gets here; recovery handles it.
        stores.recover()
        raise
    _checkpoint("load-committed")
    stores.audit.write_anchor()
    stores.sync_current()
    message = f"loaded {counts.valid:,} of {counts.received:,} rows"
    if counts.quarantined:
        message += f"; {counts.quarantined:,} quarantined"
    if superseded:
        message += f"; supersedes load {superseded}"
    file = Path(meta["file_name"])
    return LoadResult(partner, dataset, file, "loaded", load_id, message, written.report)


def _reject_empty(
    stores: Stores,
    meta: dict[str, Any],
    counts: CheckCounts,
    report: dict[str, Any],
    quarantine: pd.DataFrame,
    previous: Load | None,
) -> LoadResult:
    """Record a file with no valid row as rejected, keeping its report and quarantine."""
    file, partner, dataset = Path(meta["file_name"]), meta["partner"], meta["dataset"]
    if counts.received == 0:
        problem = "it holds no data rows (a header only)"
    else:
        reasons = quarantine["reason"].value_counts()
        problem = (
            f"none of its {counts.received:,} rows is valid (most common problem: "
            f"{reasons.index[0]} ×{int(reasons.iloc[0]):,})"
        )
    stays = f"load {previous.id} stays current" if previous is not None else "nothing is current"
    message = f"{file}: {problem} — not loaded, {stays}"
    load_id = stores.control.reject_load(
        message=message,
        report=report,
        quarantine=quarantine,
        received=counts.received,
        loaded=0,
        quarantined=counts.quarantined,
        on_commit=lambda s, lid: stores.audit.append(
            operator(),
            "load_rejected",
            f"load {lid}",
            {
                "partner": partner,
                "dataset": dataset,
                "file_sha256": meta["file_sha256"],
                "received": counts.received,
                "quarantined": counts.quarantined,
            },
            session=s,
        ),
        **meta,
    )
    stores.audit.write_anchor()
    fix = (
        f"; `partnerhub quarantine {load_id} --out FILE` lists the problems — fix them and re-send"
        if counts.received
        else f"; ask {partner} to re-send the extract"
    )
    return LoadResult(partner, dataset, file, "rejected", load_id, message + fix, report)


@dataclass(frozen=True)
class Restored:
    load: Load  # the load made current
    withdrawn: list[int]  # the later loads set aside


def restore_load(stores: Stores, load_id: int) -> Restored:
    """Make an earlier load of a dataset current again (``partnerhub loads restore``): the
    loads committed after it are withdrawn — kept, with their rows, for history and to be
    restored in turn. Audited with the load the dataset moves from and to."""
    load = stores.control.load(load_id)
    if load is None:
        raise NotFoundError(f"no load {load_id} — `partnerhub status` lists the loads")
    if load.status not in ("loaded", "withdrawn"):
        raise UserError(
            f"load {load_id} ({load.partner}/{load.dataset}) was {load.status}: it holds no "
            "rows to restore — pick a load listed as superseded or withdrawn in "
            "`partnerhub status`"
        )
    current = stores.control.current_loads().get((load.partner, load.dataset))
    if current is not None and current.id == load_id:
        raise UserError(
            f"load {load_id} is already the current load of {load.partner}/{load.dataset} — "
            "nothing to restore"
        )
    withdrawn = stores.control.restore_load(
        load_id,
        on_commit=lambda s, later: stores.audit.append(
            operator(),
            "load_restored",
            f"load {load_id}",
            {
                "partner": load.partner,
                "dataset": load.dataset,
                "file_sha256": load.file_sha256,
                "previous_current": current.id if current is not None else None,
                "withdrawn": later,
            },
            session=s,
        ),
    )
    stores.audit.write_anchor()
    stores.sync_current()
    restored = stores.control.load(load_id)
    assert restored is not None
    return Restored(restored, withdrawn)


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _json(text: str | None) -> dict[str, Any] | None:
    import json

    return json.loads(text) if text else None


def ingest_all(stores: Stores, *, today: date | None = None) -> list[LoadResult]:
    """Every dataset of every partner in `partnership.toml`, from its configured path."""
    key = stores.key
    return [
        ingest_file(stores, p.id, ds.id, today=today, key=key)
        for p in stores.settings.partners
        for ds in p.datasets
    ]


def ingest_directory(
    stores: Stores, partner: str, directory: Path, *, today: date | None = None
) -> list[LoadResult]:
    """Every file in ``directory`` named after one of ``partner``'s datasets
    (``<dataset>.csv``, ``.parquet`` or ``.xlsx`` as its contract says)."""
    settings = stores.settings
    key = stores.key
    results = []
    matched: set[Path] = set()
    for ds in settings.partner(partner).datasets:
        contract = contract_of(settings, ds)
        for suffix in _SUFFIX[contract.file.format]:
            candidate = directory / f"{ds.id}{suffix}"
            if candidate.is_file():
                matched.add(candidate)
                results.append(ingest_file(stores, partner, ds.id, candidate, today=today, key=key))
                break
    if not matched:
        names = ", ".join(f"{d.id}.csv" for d in settings.partner(partner).datasets)
        raise UserError(
            f"{directory}: no extract of partner {partner} found — files are matched by dataset "
            f"id ({names})"
        )
    return results
