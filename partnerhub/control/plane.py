"""The control plane: small and transactional (SQLAlchemy; SQLite by default, PostgreSQL in
production), migrated by Alembic to the newest revision whenever it is opened.

It is the authority on loads: a load is *committed* when its row here says ``loaded``, and the
newest loaded load of each dataset is the current one. Vault and identity-store rows of any
other load are invisible, and recovery deletes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from partnerhub.control.models import Dataset, LinkRun, Load, QuarantineRow, ReviewDecision
from partnerhub.errors import ConfigError

__all__ = ["ControlPlane", "open_control_plane", "sqlalchemy_url"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlalchemy_url(url: str, root: Path) -> str:
    """The SQLAlchemy URL of a control-plane setting (relative SQLite paths → under ``root``;
    ``postgresql://`` → the psycopg 3 driver)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        path = root / url.removeprefix("sqlite:///")
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ControlPlane:
    """Loads, quarantine — and, with later issues, agreements, users, releases, audit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    # -- datasets -------------------------------------------------------------------------
    def _register_dataset(self, s: Session, load: Load, contract_sha256: str) -> None:
        """Record (or update) the load's dataset and its contract's fingerprint."""
        now = _now()
        row = s.get(Dataset, (load.partner, load.dataset))
        if row is None:
            s.add(
                Dataset(
                    partner=load.partner,
                    dataset=load.dataset,
                    contract=load.contract,
                    table_name=load.table_name,
                    contract_sha256=contract_sha256,
                    registered_at=now,
                    updated_at=now,
                )
            )
        elif (row.contract, row.table_name, row.contract_sha256) != (
            load.contract,
            load.table_name,
            contract_sha256,
        ):
            row.contract, row.table_name = load.contract, load.table_name
            row.contract_sha256, row.updated_at = contract_sha256, now

    def datasets(self) -> list[Dataset]:
        with self.session() as s:
            return list(s.scalars(select(Dataset).order_by(Dataset.partner, Dataset.dataset)))

    # -- loads ----------------------------------------------------------------------------
    def begin_load(self, **fields: Any) -> int:
        """Record a load as pending (committed at once: recovery must be able to see it)."""
        with self.session() as s:
            load = Load(status="pending", started_at=_now(), **fields)
            s.add(load)
            s.flush()
            return int(load.id)

    def finish_load(
        self,
        load_id: int,
        *,
        received: int,
        loaded: int,
        quarantined: int,
        report: dict[str, Any],
        quarantine: pd.DataFrame,
        contract_sha256: str,
        message: str | None = None,
        on_commit: Callable[[Session], object] | None = None,
    ) -> None:
        """Commit the load (the commit point of the whole ingest) with its quarantine, and
        register its dataset — all in one transaction (``on_commit`` joins it: the audit
        entry of the load commits with the load or not at all)."""
        with self.session() as s:
            load = s.get_one(Load, load_id)
            self._register_dataset(s, load, contract_sha256)
            load.status = "loaded"
            load.received, load.loaded, load.quarantined = received, loaded, quarantined
            load.report = json.dumps(report, sort_keys=True, default=str)
            load.message = message
            load.finished_at = _now()
            _insert_quarantine(s, load_id, quarantine)
            if on_commit is not None:
                on_commit(s)

    def reject_load(
        self,
        on_commit: Callable[[Session, int], object] | None = None,
        *,
        report: dict[str, Any] | None = None,
        quarantine: pd.DataFrame | None = None,
        **fields: Any,
    ) -> int:
        """Record a file that was not loaded: it could not be read at all, or it held no
        valid row (then with its report and quarantine, for the partner to fix)."""
        with self.session() as s:
            now = _now()
            load = Load(status="rejected", started_at=now, finished_at=now, **fields)
            if report is not None:
                load.report = json.dumps(report, sort_keys=True, default=str)
            s.add(load)
            s.flush()
            if quarantine is not None:
                _insert_quarantine(s, int(load.id), quarantine)
            if on_commit is not None:
                on_commit(s, int(load.id))
            return int(load.id)

    def restore_load(
        self, load_id: int, on_commit: Callable[[Session, list[int]], object] | None = None
    ) -> list[int]:
        """Make an earlier committed load of a dataset current again: every loaded load of
        the dataset after it becomes *withdrawn* (kept, with its rows, but never current;
        restoring it makes it current again). Returns the loads withdrawn; ``on_commit``
        joins the transaction (the audit entry)."""
        with self.session() as s:
            load = s.get_one(Load, load_id)
            newer = list(
                s.scalars(
                    select(Load)
                    .where(Load.partner == load.partner, Load.dataset == load.dataset)
                    .where(Load.status == "loaded", Load.id > load_id)
                    .order_by(Load.id)
                )
            )
            load.status = "loaded"
            for later in newer:
                later.status = "withdrawn"
            withdrawn = [int(ld.id) for ld in newer]
            if on_commit is not None:
                on_commit(s, withdrawn)
            return withdrawn

    def remove_load(self, load_id: int) -> None:
        with self.session() as s:
            s.execute(delete(QuarantineRow).where(QuarantineRow.load_id == load_id))
            s.execute(delete(Load).where(Load.id == load_id))

    def pending_loads(self) -> list[int]:
        with self.session() as s:
            return list(s.scalars(select(Load.id).where(Load.status == "pending")))

    def loaded_with_hash(self, partner: str, dataset: str, sha256: str) -> Load | None:
        with self.session() as s:
            return s.scalars(
                select(Load)
                .where(Load.partner == partner, Load.dataset == dataset)
                .where(Load.status == "loaded", Load.file_sha256 == sha256)
                .order_by(Load.id.desc())
            ).first()

    def current_loads(self) -> dict[tuple[str, str], Load]:
        """(partner, dataset) → its newest loaded load."""
        with self.session() as s:
            newest = (
                select(func.max(Load.id))
                .where(Load.status == "loaded")
                .group_by(Load.partner, Load.dataset)
            ).scalar_subquery()
            loads = s.scalars(select(Load).where(Load.id.in_(newest)))
            return {(ld.partner, ld.dataset): ld for ld in loads}

    def committed_load_ids(self) -> set[int]:
        """Loads whose rows stand (loaded, current or superseded, or withdrawn)."""
        with self.session() as s:
            return set(s.scalars(select(Load.id).where(Load.status.in_(("loaded", "withdrawn")))))

    def previous_load(self, partner: str, dataset: str) -> Load | None:
        current = self.current_loads().get((partner, dataset))
        return current

    def history(self, limit: int = 50) -> list[Load]:
        with self.session() as s:
            return list(s.scalars(select(Load).order_by(Load.id.desc()).limit(limit)))

    def load(self, load_id: int) -> Load | None:
        with self.session() as s:
            return s.get(Load, load_id)

    def quarantine_of(self, load_id: int) -> pd.DataFrame:
        with self.session() as s:
            rows = s.execute(
                select(
                    QuarantineRow.line,
                    QuarantineRow.column,
                    QuarantineRow.value,
                    QuarantineRow.reason,
                )
                .where(QuarantineRow.load_id == load_id)
                .order_by(QuarantineRow.id)
            ).all()
        return pd.DataFrame(rows, columns=["line", "column", "value", "reason"])

    # -- link runs ------------------------------------------------------------------------
    def begin_link_run(self, mode: str, threshold: float) -> int:
        with self.session() as s:
            run = LinkRun(mode=mode, status="pending", threshold=threshold, started_at=_now())
            s.add(run)
            s.flush()
            return int(run.id)

    def finish_link_run(
        self,
        run_id: int,
        *,
        records: int,
        people: int,
        model: dict[str, Any],
        summary: dict[str, Any],
        on_commit: Callable[[Session], object] | None = None,
    ) -> None:
        with self.session() as s:
            if on_commit is not None:
                on_commit(s)
            run = s.get_one(LinkRun, run_id)
            run.status, run.records, run.people = "done", records, people
            run.model = json.dumps(model, sort_keys=True)
            run.summary = json.dumps(summary, sort_keys=True, default=str)
            run.finished_at = _now()

    def remove_link_run(self, run_id: int) -> None:
        with self.session() as s:
            s.execute(delete(LinkRun).where(LinkRun.id == run_id))

    def link_runs(self) -> list[LinkRun]:
        with self.session() as s:
            return list(s.scalars(select(LinkRun).order_by(LinkRun.id)))

    def latest_link_run(self) -> LinkRun | None:
        done = [r for r in self.link_runs() if r.status == "done"]
        return done[-1] if done else None

    # -- clerical review ------------------------------------------------------------------
    def record_review_decision(
        self,
        unique_id_l: str,
        unique_id_r: str,
        decision: str,
        steward: str,
        link_run: int,
        match_probability: float,
        on_commit: Callable[[Session], object] | None = None,
    ) -> None:
        """Store (or replace) a steward's decision on a pair; ``on_commit`` joins the
        transaction (the audit entry)."""
        a, b = sorted((unique_id_l, unique_id_r))
        with self.session() as s:
            row = s.get(ReviewDecision, (a, b))
            if row is None:
                row = ReviewDecision(unique_id_l=a, unique_id_r=b)
                s.add(row)
            row.decision, row.steward, row.link_run = decision, steward, link_run
            row.match_probability, row.decided_at = match_probability, _now()
            if on_commit is not None:
                on_commit(s)

    def review_decisions(self) -> pd.DataFrame:
        with self.session() as s:
            rows = s.execute(
                select(
                    ReviewDecision.unique_id_l,
                    ReviewDecision.unique_id_r,
                    ReviewDecision.decision,
                    ReviewDecision.steward,
                )
            ).all()
        return pd.DataFrame(
            rows, columns=["unique_id_l", "unique_id_r", "decision", "steward"], dtype=object
        )

    def close(self) -> None:
        self.engine.dispose()


def _insert_quarantine(s: Session, load_id: int, quarantine: pd.DataFrame) -> None:
    if not len(quarantine):
        return
    s.execute(
        insert(QuarantineRow),
        [
            {
                "load_id": load_id,
                "line": int(r.line),
                "column": str(r.column),
                "value": str(r.value),
                "reason": str(r.reason),
            }
            for r in quarantine.itertuples(index=False)
        ],
    )


def open_control_plane(url: str, root: Path) -> ControlPlane:
    """Connect and migrate; an unreachable database is a configuration error."""
    engine = create_engine(sqlalchemy_url(url, root))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

    plane = ControlPlane(engine)
    try:
        plane.migrate()
    except Exception as exc:
        if type(exc).__name__ not in {"OperationalError"}:
            raise
        raise ConfigError(
            f"control plane {url}: cannot open it ({str(exc).splitlines()[0]}) — check "
            "control_plane.url in partnership.toml"
        ) from None
    return plane
