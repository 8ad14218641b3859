"""The composition root: one :class:`Hub` per partnership.

A hub is opened from a loaded partnership (:class:`~partnerhub.config.Partnership`) and holds
what every command and request needs: the control plane, the pseudonymisation key, the audit
log, the agreements and the gate (:class:`~partnerhub.governance.Governance`), the postcode
lookup and the area list — each opened on first use.

**Readers** (the API, the dashboard, indicators, the CLI's read commands) use the hub as it
is: no ingest lock, no crash recovery, nothing written to the vault or the identity store. They
open the vault for one read (:meth:`Hub.open_vault`, :meth:`Hub.reader` when the read needs the
person table) and close it; when an ingest or a link run holds a DuckDB store just then, they
get a :class:`~partnerhub.errors.BusyError` ("try again") rather than waiting.

**Writers** (ingest, link, review decisions, loads restore, status) take
``with hub.writer() as w:`` — the partnership's exclusive lock file (``.partnerhub.lock``), the
vault and identity store opened for writing, and :func:`recover` run first, so an interrupted
load or link run is undone before anything else. When the writer finishes, the vault's person
table is brought up to date (:func:`partnerhub.identity.people.ensure_people`), so readers
never write it.

The hub sits above the capabilities and ingest in the layers (below only the CLI and the web
app), and nothing below it imports it: it hands the capabilities what they read — a vault
(:meth:`Hub.reader`, after checking the person table is current), the gate, the areas — and
hands ingest its :class:`Writer`, which ingest knows only by the attributes it uses
(:class:`partnerhub.ingest.load.Stores`).
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from partnerhub.config import Partnership
from partnerhub.control import ControlPlane, open_control_plane
from partnerhub.errors import BusyError, UserError
from partnerhub.geography import PostcodeLookup, load_postcode_lookup, partnership_areas
from partnerhub.governance import Agreement, AuditLog, Gate, Governance, partnership_agreements
from partnerhub.governance.service import open_audit_log
from partnerhub.identity.people import ensure_people, people_current
from partnerhub.identity.run import recover_link_runs
from partnerhub.keys import PseudonymisationKey, load_key
from partnerhub.vault import IdentityStore, Vault, connect_backend
from partnerhub.vault.backend import Backend

if TYPE_CHECKING:
    import pandas as pd

    from partnerhub.schema.contracts import DatasetContract

__all__ = ["LOCK_FILE", "Hub", "Writer", "open_hub", "open_writer", "recover"]

LOCK_FILE = ".partnerhub.lock"


class Hub:
    """One partnership's stores and governance, opened lazily. ``key`` and ``today`` stand in
    for the configured key and the clock (tests)."""

    def __init__(
        self,
        settings: Partnership,
        *,
        key: PseudonymisationKey | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.settings = settings
        self.today = today
        self._key = key
        self._control: ControlPlane | None = None
        self._audit: AuditLog | None = None
        self._governance: Governance | None = None
        self._lookup: PostcodeLookup | None = None
        self._areas: pd.DataFrame | None = None

    # -- the parts, each opened on first use ------------------------------------------------
    @property
    def control(self) -> ControlPlane:
        """The control plane (loads, link runs, users, releases, audit)."""
        if self._control is None:
            self._control = open_control_plane(self.settings.control_plane.url, self.settings.root)
        return self._control

    @property
    def key(self) -> PseudonymisationKey:
        """The pseudonymisation key (from the environment or the key file)."""
        if self._key is None:
            self._key = load_key(self.settings)
        return self._key

    @property
    def audit(self) -> AuditLog:
        """The partnership's audit log (keyed from the pseudonymisation key)."""
        if self._audit is None:
            self._audit = open_audit_log(self.settings, self.control, self.key.secret)
        return self._audit

    @property
    def governance(self) -> Governance:
        """Agreements, authentication and the gate."""
        if self._governance is None:
            self._governance = Governance(
                self.settings,
                self.control,
                partnership_agreements(self.settings),
                self.audit,
                self.today,
                vault=self.open_vault,
                areas=self.areas,
            )
        return self._governance

    @property
    def agreements(self) -> list[Agreement]:
        return self.governance.agreements

    @property
    def gate(self) -> Gate:
        return self.governance.gate

    @property
    def lookup(self) -> PostcodeLookup:
        """The postcode lookup of `partnership.toml` (read once)."""
        if self._lookup is None:
            self._lookup = load_postcode_lookup(
                self.settings.resolve(self.settings.geography.postcode_lookup)
            )
        return self._lookup

    def areas(self) -> pd.DataFrame:
        """Every area of the partnership (level, code, lad_code), read once: from the areas
        file when configured, else from the postcode lookup."""
        if self._areas is None:
            geography = self.settings.geography
            self._areas = partnership_areas(
                self.settings.resolve(geography.postcode_lookup),
                self.settings.resolve(geography.areas) if geography.areas else None,
            )
        return self._areas

    # -- readers -----------------------------------------------------------------------------
    def open_vault(self) -> Vault:
        """The vault for one read (the caller closes it). A :class:`BusyError` when a writer
        of another process holds it (DuckDB lets one process write a file)."""
        return Vault(_connect(self.settings, self.settings.vault.url, "vault"))

    @contextmanager
    def reading_vault(self) -> Iterator[Vault]:
        """The vault for the reads inside the block."""
        vault = self.open_vault()
        try:
            yield vault
        finally:
            vault.close()

    @contextmanager
    def reading_identity(self) -> Iterator[IdentityStore]:
        """The identity store for the reads inside the block (identity stewards' review)."""
        url = self.settings.identity_store.url
        identity = IdentityStore(_connect(self.settings, url, "identity store"))
        try:
            yield identity
        finally:
            identity.close()

    @contextmanager
    def reader(self) -> Iterator[Vault]:
        """The vault for the reads inside the block, once its person table is known to be up
        to date (:meth:`require_people`): what a capability is handed to read from."""
        with self.reading_vault() as vault:
            self.require_people(vault)
            yield vault

    def require_people(self, vault: Vault) -> None:
        """Raise unless the vault's person table is up to date: readers never rebuild it."""
        if not people_current(vault, self.control):
            raise UserError(
                "the person table of the vault is missing or older than the current loads "
                "and link run — run `partnerhub link` (it rebuilds it), then try again"
            )

    # -- writers -----------------------------------------------------------------------------
    @contextmanager
    def writer(self) -> Iterator[Writer]:
        """Lock the partnership, open the vault and identity store for writing and recover
        from any interrupted load or link run; on leaving, bring the person table up to date."""
        root = self.settings.root
        root.mkdir(parents=True, exist_ok=True)
        with open(root / LOCK_FILE, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError(
                    f"{root}: another PartnerHub ingest is running on this partnership — wait "
                    "for it to finish, then run this again"
                ) from None
            writer = self._open_writer()
            try:
                recover(writer)
                finished = False
                try:
                    yield writer
                    finished = True
                finally:
                    if finished:
                        writer.publish_people()
                    else:  # the work failed: still publish what committed, keep its error
                        with contextlib.suppress(Exception):
                            writer.publish_people()
            finally:
                writer.close()

    def _open_writer(self) -> Writer:
        settings = self.settings
        vault = Vault(_connect(settings, settings.vault.url, "vault"))
        try:
            identity = IdentityStore(
                _connect(settings, settings.identity_store.url, "identity store")
            )
        except BaseException:
            vault.close()
            raise
        return Writer(self, vault, identity)

    def close(self) -> None:
        if self._governance is not None:
            self._governance.failed_logins.flush(force=True)
        if self._control is not None:
            self._control.close()
            self._control = None

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextmanager
def open_hub(
    settings: Partnership,
    *,
    key: PseudonymisationKey | None = None,
    today: Callable[[], date] = date.today,
) -> Iterator[Hub]:
    """A hub for the block (its control plane closed at the end)."""
    hub = Hub(settings, key=key, today=today)
    try:
        yield hub
    finally:
        hub.close()


@contextmanager
def open_writer(settings: Partnership) -> Iterator[Writer]:
    """A hub's writer for the block: lock the partnership, open its stores and recover from
    any interrupted load (``with open_hub(settings) as hub, hub.writer() as w`` in one)."""
    with open_hub(settings) as hub, hub.writer() as writer:
        yield writer


@dataclass
class Writer:
    """What a writer holds: the vault and identity store open for writing, under the lock."""

    hub: Hub
    vault: Vault
    identity: IdentityStore

    @property
    def settings(self) -> Partnership:
        return self.hub.settings

    @property
    def control(self) -> ControlPlane:
        return self.hub.control

    @property
    def audit(self) -> AuditLog:
        return self.hub.audit

    @property
    def key(self) -> PseudonymisationKey:
        return self.hub.key

    @property
    def lookup(self) -> PostcodeLookup:
        return self.hub.lookup

    def areas_for(self, contract: DatasetContract) -> pd.DataFrame | None:
        """The partnership's areas an area-level dataset is checked against (read once);
        None for a dataset of people."""
        return self.hub.areas() if contract.is_area_level else None

    def sync_current(self) -> None:
        """Re-sync the vault's copy of which loads are current."""
        current = self.control.current_loads()
        self.vault.sync_current({k: (ld.table_name, ld.id) for k, ld in current.items()})

    def recover(self) -> list[int]:
        """Undo every load (and link run) that never reached its commit point; re-sync
        current loads (:func:`recover`). Returns the loads undone."""
        return recover(self)

    def publish_people(self) -> bool:
        """Bring the vault's person table up to date with the current loads and the latest
        link run (rebuilt only when stale). Returns whether it rebuilt."""
        return ensure_people(self.identity, self.vault, self.control)

    def close(self) -> None:
        self.vault.close()
        self.identity.close()


def recover(writer: Writer) -> list[int]:
    """Undo every load (and link run) that never reached its commit point; re-sync current
    loads. Returns the loads undone."""
    recover_link_runs(writer.identity, writer.control)
    pending = writer.control.pending_loads()
    committed = writer.control.committed_load_ids()
    orphans = (writer.vault.load_ids() | writer.identity.load_ids()) - committed
    undo = sorted(set(pending) | orphans)
    if undo:
        writer.identity.discard_loads(undo)
        writer.vault.discard_loads(undo)
        for load_id in pending:
            writer.control.remove_load(load_id)
    writer.sync_current()
    return undo


def _connect(settings: Partnership, url: str, what: str) -> Backend:
    """Open a store; a DuckDB file locked by another process is a :class:`BusyError`."""
    import duckdb

    try:
        return connect_backend(url, settings.root)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        raise BusyError(
            f"the {what} is in use by an ingest or link run on this partnership just now — "
            "try again when it has finished"
        ) from None
