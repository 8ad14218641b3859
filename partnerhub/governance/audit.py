"""The tamper-evident audit log: append-only entries, each signed and chained to the one before.

An entry's ``hash`` is HMAC-SHA256, under the audit key, of the canonical JSON of
``[seq, at, actor, action, subject, detail, prev_hash]``. The key is derived from the
partnership's pseudonymisation key (:func:`audit_key`) and never stored in the control plane,
so someone who can write to the database but does not hold the key cannot sign an entry. The
newest entry's number and hash are also kept in an *anchor* file outside the database, signed
with the *anchor key* (HMAC-SHA256; configured apart from the log), so deleting the newest
entries and rewinding the anchor is detected too, unless the anchor key was taken as well.
:meth:`AuditLog.verify_export` checks that an earlier export is still a prefix of the log.
There is no method to update or delete an entry.

How :meth:`AuditLog.verify` names what it finds (``docs/audit.md`` has the reasoning):

- **deleted**: numbers are missing from the sequence 1, 2, 3, … (one problem per gap; a gap
  after the anchored head counts once a correctly signed entry follows it);
- **truncated**: the entry the anchor records is missing from the end of the log, or a
  different entry now holds its number;
- **reordered**: an entry's signature fails at its number but holds at another number near it
  (it was moved there), or its content is signed under a neighbouring entry's number, hash
  and link (the two entries' contents were swapped);
- **inserted**: an entry the hub did not sign, and the chain runs around it (the next signed
  entry links to the entry before it), or it comes after the anchored head at the end of the
  log — including a copy of another entry;
- **edited**: any other entry whose signature fails: the chain still runs through it;
- **broken_link**: a correctly signed entry that does not link to the correct entry before it
  (only a key holder can make one: e.g. entries spliced in from another log);
- **anchor**: the anchor file is missing while the log has entries, or its signature fails
  under the anchor key (it was written or rewound by someone without the key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import false, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from partnerhub.control import AuditEntry, ControlPlane
from partnerhub.errors import UserError

try:  # POSIX: serialise anchor writers across processes too
    import fcntl
except ImportError:  # pragma: no cover - Windows: within one process only
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "GENESIS",
    "PROBLEM_KINDS",
    "AuditLog",
    "AuditProblem",
    "anchor_key",
    "audit_key",
]

GENESIS = "0" * 64  # the prev_hash of entry 1
PROBLEM_KINDS = (
    "edited",
    "deleted",
    "inserted",
    "reordered",
    "truncated",
    "broken_link",
    "anchor",
)

_PG_LOCK = 0x5041_5544  # pg_advisory_xact_lock key serialising appenders ("PAUD")
_RETRIES = 20  # own-session appends that lose a race for the next number try again
_BATCH = 2_000  # entries read per query by verify and export
_NEAR = 8  # a moved entry is looked for this many numbers either side
_GIVE_UP = 64  # stop looking for moved entries after this many fruitless searches in a row
_MAX_RUN = 10_000  # unsigned entries held back at most while deciding edited/inserted


def audit_key(pseudonymisation_key: bytes) -> bytes:
    """The audit chain key: HMAC-SHA256(pseudonymisation key, "partnerhub audit chain v1")."""
    return hmac.new(pseudonymisation_key, b"partnerhub audit chain v1", hashlib.sha256).digest()


def anchor_key(audit_key: bytes) -> bytes:
    """The default anchor key, when none is configured apart from the log:
    HMAC-SHA256(audit key, "partnerhub audit anchor v1")."""
    return hmac.new(audit_key, b"partnerhub audit anchor v1", hashlib.sha256).digest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class AuditProblem:
    """One thing wrong with the log: the entry's number, the kind, and a sentence naming it."""

    seq: int
    kind: str  # one of PROBLEM_KINDS
    message: str

    def __post_init__(self) -> None:
        if self.kind not in PROBLEM_KINDS:
            raise ValueError(f"unknown audit problem kind {self.kind!r}")


@dataclass(frozen=True)
class _Row:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str
    prev_hash: str
    hash: str

    @property
    def name(self) -> str:
        return f"entry {self.seq} ({self.action} by {self.actor} at {self.at:%Y-%m-%d %H:%M:%S})"


@dataclass(eq=False)
class _Pending:
    """An entry waiting to be committed with others (see :meth:`AuditLog.append`)."""

    actor: str
    action: str
    subject: str
    body: str
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # set when this waiter is to write the next group
    entry: AuditEntry | None = None
    error: BaseException | None = None


_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor,
    AuditEntry.action,
    AuditEntry.subject,
    AuditEntry.detail,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


class AuditLog:
    """The audit log of one control plane, signed with ``key``; ``anchor`` is the head file,
    signed with ``anchor_signing_key`` (by default derived from ``key``: :func:`anchor_key`)."""

    def __init__(
        self,
        plane: ControlPlane,
        key: bytes,
        anchor: Path | None = None,
        anchor_signing_key: bytes | None = None,
    ) -> None:
        if len(key) < 16 or (anchor_signing_key is not None and len(anchor_signing_key) < 16):
            raise ValueError("the audit key and the anchor key must have at least 16 bytes")
        self.plane = plane
        self._key = key
        self._anchor_key = anchor_signing_key or anchor_key(key)
        self.anchor = anchor
        self._anchor_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []  # entries waiting for the next group commit
        self._leading = False  # a thread is writing a group now
        self._anchoring = False  # a thread is moving the anchor after a group commit
        self._anchor_again = False  # another group committed meanwhile: move it once more

    # -- signing --------------------------------------------------------------------------
    def _sign(self, seq: int, row: _Row | AuditEntry, prev_hash: str) -> str:
        """The signature of ``row``'s content at number ``seq`` after ``prev_hash``."""
        message = _canonical(
            [
                seq,
                row.at.isoformat(timespec="microseconds"),
                row.actor,
                row.action,
                row.subject,
                row.detail,
                prev_hash,
            ]
        )
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def _valid(self, row: _Row | AuditEntry) -> bool:
        return hmac.compare_digest(self._sign(row.seq, row, row.prev_hash), row.hash)

    # -- writing --------------------------------------------------------------------------
    def append(
        self,
        actor: str,
        action: str,
        subject: str,
        detail: Mapping[str, Any] | None = None,
        *,
        session: Session | None = None,
    ) -> AuditEntry:
        """Append an entry. With ``session`` it joins the caller's transaction (both commit or
        neither; call :meth:`write_anchor` after the commit); otherwise it commits before it
        returns and updates the anchor.

        Entries appended at the same moment from several threads commit together (group
        commit): one thread writes every waiting entry in one transaction, hands over to the
        next waiter, then moves the anchor; each caller returns once its own entry is committed
        (the anchor may follow a moment later: an entry after the anchored one is fine)."""
        if not action or len(action) > 64 or len(actor) > 128:
            raise ValueError(f"audit action {action!r} or actor {actor!r} is empty or too long")
        body = _canonical(dict(detail or {}))
        if session is not None:
            return self._append(session, actor, action, subject, body)
        mine = _Pending(actor, action, subject, body)
        with self._queue_lock:
            self._queue.append(mine)
            lead = not self._leading
            self._leading = True
        if not lead:
            mine.done.wait()
        if lead or mine.lead:  # write every waiting entry, then hand over to the next waiter
            with self._queue_lock:
                batch, self._queue = self._queue, []
            try:
                self._commit(batch)
            finally:
                with self._queue_lock:
                    if self._queue:
                        self._queue[0].lead = True
                        self._queue[0].done.set()
                    else:
                        self._leading = False
            self._move_anchor()  # the next group may commit meanwhile
        if mine.error is not None:
            raise mine.error
        assert mine.entry is not None
        return mine.entry

    def _move_anchor(self) -> None:
        """:meth:`write_anchor` after a group commit. If another thread is writing the anchor,
        it writes once more when done (covering this group too) instead of this one waiting."""
        with self._queue_lock:
            if self._anchoring:
                self._anchor_again = True
                return
            self._anchoring = True
        try:
            while True:
                self.write_anchor()
                with self._queue_lock:
                    if not self._anchor_again:
                        self._anchoring = False
                        return
                    self._anchor_again = False
        except BaseException:
            with self._queue_lock:
                self._anchoring = False
            raise

    def _commit(self, batch: list[_Pending]) -> None:
        """Append ``batch`` in one transaction (again if another appender took a number); every
        entry of it learns its outcome (the caller then moves the anchor)."""
        try:
            for attempt in range(_RETRIES):
                try:
                    with self.plane.session() as s:
                        entries = [
                            self._append(s, p.actor, p.action, p.subject, p.body) for p in batch
                        ]
                except (IntegrityError, OperationalError) as exc:
                    # another appender took the number (or held SQLite's lock too long): again
                    busy = isinstance(exc, IntegrityError) or "locked" in str(exc)
                    if not busy or attempt == _RETRIES - 1:
                        raise
                    time.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
                    continue
                for p, entry in zip(batch, entries, strict=True):
                    p.entry = entry
                break
        except BaseException as exc:
            for p in batch:
                if p.entry is None:
                    p.error = exc
            raise
        finally:
            for p in batch:
                if p.entry is None and p.error is None:
                    p.error = RuntimeError("the audit entry was not written")
                p.done.set()

    def _append(
        self,
        s: Session,
        actor: str,
        action: str,
        subject: str,
        body: str,
        *,
        start_anchor: bool = True,
    ) -> AuditEntry:
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        elif dialect == "sqlite":  # take SQLite's write lock first (this changes no row)
            s.execute(update(AuditEntry).where(false()).values(seq=AuditEntry.seq))
        last = s.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        ).first()
        seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
        if seq == 1 and start_anchor:
            self._start_anchor()
        entry = AuditEntry(
            seq=seq, at=_now(), actor=actor, action=action, subject=subject, detail=body
        )
        entry.prev_hash = prev
        entry.hash = self._sign(seq, entry, prev)
        s.add(entry)
        s.flush()
        return entry

    def write_anchor(self) -> None:
        """Record the newest committed entry in the anchor file (atomically, signed).

        The anchor is started with the log (before its first entry; :meth:`_start_anchor`) and
        then only moves forward, only to a correctly signed entry, and only while the entry it
        records is still in the log unchanged and its own signature holds: once that entry is
        gone or altered, or the file is missing or forged, it stays put as evidence for
        :meth:`verify` (after review, :meth:`reanchor` starts it again)."""
        if self.anchor is None:
            return
        with self._anchor_locked(self.anchor):
            try:
                current = self._read_anchor()
            except UserError:
                return  # unreadable: leave it for verify to report
            if current is None or not current[2]:
                return  # missing or not signed by us: leave it for verify to report
            with self.plane.session() as s:
                head = s.scalars(
                    select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)
                ).first()
                if head is None or not self._valid(head) or head.seq <= current[0]:
                    return
                if current[0] > 0:
                    anchored = s.get(AuditEntry, current[0])
                    if anchored is None or anchored.hash != current[1]:
                        return
                seq, digest = int(head.seq), head.hash
            self._put_anchor(seq, digest)

    def _start_anchor(self) -> None:
        """A new log's anchor, "entry 0" (written before entry 1 commits; if it does not, the
        anchor still says only that the log may be empty)."""
        if self.anchor is None or self.anchor.exists():
            return
        with self._anchor_locked(self.anchor):
            if not self.anchor.exists():
                self._put_anchor(0, GENESIS)

    def _anchor_signature(self, seq: int, digest: str) -> str:
        message = _canonical(["partnerhub audit anchor v1", seq, digest])
        return hmac.new(self._anchor_key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def _put_anchor(self, seq: int, digest: str) -> None:
        assert self.anchor is not None
        body = {"seq": seq, "hash": digest, "signature": self._anchor_signature(seq, digest)}
        with _atomic_file(self.anchor) as f:
            f.write(json.dumps(body) + "\n")

    def reanchor(self, actor: str) -> tuple[int, int]:
        """Start the anchor again at the newest entry, after the IG officer has reviewed what
        :meth:`verify` reported (a lost, forged or rewound anchor, or a restore from backup).
        Audited (``audit_reanchor``, naming the anchor it replaces); (old seq, new seq)."""
        if self.anchor is None:
            raise UserError("no audit anchor is configured (governance.audit_anchor)")
        with self._anchor_locked(self.anchor):
            try:
                current = self._read_anchor()
                before: dict[str, Any] = (
                    {"state": "missing"}
                    if current is None
                    else {
                        "seq": current[0],
                        "hash": current[1],
                        "state": "signed" if current[2] else "not signed by the anchor key",
                    }
                )
            except UserError:
                current, before = None, {"state": "unreadable"}
            with self.plane.session() as s:
                body = _canonical({"previous": before})
                entry = self._append(
                    s, actor, "audit_reanchor", "audit anchor", body, start_anchor=False
                )
                seq, digest = int(entry.seq), entry.hash
            self._put_anchor(seq, digest)
        return (current[0] if current is not None else -1), seq

    @contextmanager
    def _anchor_locked(self, anchor: Path) -> Iterator[None]:
        anchor.parent.mkdir(parents=True, exist_ok=True)
        with self._anchor_lock:
            if fcntl is None:  # pragma: no cover
                yield
                return
            with open(anchor.with_name(anchor.name + ".lock"), "a") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(f, fcntl.LOCK_UN)

    def _read_anchor(self) -> tuple[int, str, bool] | None:
        """(seq, hash, whether its signature holds under the anchor key), or None if there is
        no anchor file."""
        if self.anchor is None or not self.anchor.exists():
            return None
        try:
            data = json.loads(self.anchor.read_text(encoding="utf-8"))
            seq, digest = int(data["seq"]), str(data["hash"])
            signature = data.get("signature")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UserError(
                f"audit anchor {self.anchor} is not readable ({exc}): restore it from a backup, "
                "or review the log against your last export and run `partnerhub audit reanchor`"
            ) from None
        signed = isinstance(signature, str) and hmac.compare_digest(
            signature, self._anchor_signature(seq, digest)
        )
        return seq, digest, signed

    # -- reading --------------------------------------------------------------------------
    def _rows(self) -> Iterator[_Row]:
        """Every entry in order of number, read in batches (never the whole log at once)."""
        after = 0
        while True:
            with self.plane.session() as s:
                batch = s.execute(
                    select(*_COLUMNS)
                    .where(AuditEntry.seq > after)
                    .order_by(AuditEntry.seq)
                    .limit(_BATCH)
                ).all()
            if not batch:
                return
            for r in batch:
                yield _Row(*r)
            after = int(batch[-1].seq)

    def verify(self) -> list[AuditProblem]:
        """Every problem in the log, in order of number; an empty list means it is intact."""
        found = self._read_anchor()
        anchor: tuple[int, str] | None = None
        problems: list[AuditProblem] = []
        if found is not None and found[2]:
            anchor = None if found[0] == 0 else (found[0], found[1])
        elif found is not None:
            problems.append(
                AuditProblem(
                    found[0],
                    "anchor",
                    f"the audit anchor {self.anchor} records entry {found[0]} but is not signed "
                    "with the anchor key: it was written or rewound by someone without the key "
                    "(or the key changed), so the newest entries may have been deleted — check "
                    "the log with `partnerhub audit verify --against` your last export, then "
                    "`partnerhub audit reanchor`",
                )
            )
        elif self.anchor is not None:
            with self.plane.session() as s:
                newest = s.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
            if newest is not None:
                problems.append(
                    AuditProblem(
                        0,
                        "anchor",
                        f"the audit anchor {self.anchor} is missing but the log has entries (up "
                        f"to entry {newest}): the newest entries may have been deleted with it "
                        "— check the log with `partnerhub audit verify --against` your last "
                        "export, then `partnerhub audit reanchor`",
                    )
                )
        found_problems = _Verifier(self, anchor).run(self._rows())
        return sorted(problems + found_problems, key=lambda p: p.seq)

    def entries(
        self, limit: int = 100, offset: int = 0, action: str | None = None
    ) -> list[dict[str, Any]]:
        """Entries newest first, as dictionaries (``detail`` as an object), for the API."""
        q = select(*_COLUMNS).order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
        if action is not None:
            q = q.where(AuditEntry.action == action)
        with self.plane.session() as s:
            return [_as_dict(_Row(*r)) for r in s.execute(q)]

    def export_jsonl(self, out: Path) -> int:
        """Write every entry, oldest first, one JSON object per line, atomically; the count."""
        out.parent.mkdir(parents=True, exist_ok=True)
        n = 0
        with _atomic_file(out) as f:
            for row in self._rows():
                f.write(_canonical(_as_dict(row)) + "\n")
                n += 1
        return n

    def verify_export(self, export: Path) -> list[AuditProblem]:
        """Check that ``export`` (an earlier :meth:`export_jsonl`) is still a prefix of the log:
        every entry in it is in the log, unchanged. Names the first entry of each run that is
        missing (``truncated`` at the end of the log, ``deleted`` inside it) or differs
        (``edited``). A file that is not such an export is a :class:`UserError`."""
        problems: list[AuditProblem] = []
        rows = self._rows()
        log_row = next(rows, None)
        missing: list[tuple[int, dict[str, Any]]] = []  # (line, entry) of the current run

        def close_run(following: _Row | None) -> None:
            if not missing:
                return
            (line, first), last = missing[0], missing[-1][1]
            which = (
                f"entry {first['seq']} is"
                if len(missing) == 1
                else f"entries {first['seq']} to {last['seq']} are"
            )
            name = f"{first['action']} by {first['actor']} at {first['at'][:19].replace('T', ' ')}"
            if following is None:
                ends = f"the log ends at entry {newest}" if newest else "the log is empty"
                kind, how = "truncated", f"{ends}: the newest entries were deleted after the export"
            else:
                kind, how = "deleted", f"the log goes on at entry {following.seq}"
            problems.append(
                AuditProblem(
                    int(first["seq"]),
                    kind,
                    f"{which} in the export {export.name} (from line {line}) but missing from "
                    f"the log; the first missing is entry {first['seq']} ({name}); {how}",
                )
            )
            missing.clear()

        newest = 0
        for line, entry in _read_export(export):
            if not hmac.compare_digest(self._sign(entry.seq, entry, entry.prev_hash), entry.hash):
                raise UserError(
                    f"{export}: line {line} (entry {entry.seq}) is not signed with this "
                    "partnership's audit key — is it an export of this log, made with "
                    "`partnerhub audit export`, and unaltered?"
                )
            while log_row is not None and log_row.seq < entry.seq:
                newest = log_row.seq
                log_row = next(rows, None)
            if log_row is None or log_row.seq > entry.seq:
                missing.append((line, _as_dict(entry)))
                continue
            close_run(log_row)
            newest = log_row.seq
            if _as_dict(log_row) != _as_dict(entry):
                problems.append(
                    AuditProblem(
                        entry.seq,
                        "edited",
                        f"{log_row.name} differs from the export {export.name} (line {line}, "
                        f"{entry.action} by {entry.actor}): it was changed after the export",
                    )
                )
            log_row = next(rows, None)
        while log_row is not None:
            newest, log_row = log_row.seq, next(rows, None)
        close_run(None)
        return problems


def _read_export(export: Path) -> Iterator[tuple[int, _Row]]:
    """The entries of an export file, with their line numbers, in increasing order of number."""
    keys = ("seq", "at", "actor", "action", "subject", "detail", "prev_hash", "hash")
    hint = "is it a file written by `partnerhub audit export`?"
    try:
        f = export.open(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{export}: cannot read it ({exc.strerror}) — check the path") from None
    previous = 0
    with f:
        try:
            for line, text in enumerate(f, start=1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text)
                    if not isinstance(data, dict) or set(data) != set(keys):
                        raise ValueError(f"not an audit entry (it needs {', '.join(keys)})")
                    detail = data["detail"]
                    row = _Row(
                        int(data["seq"]),
                        datetime.fromisoformat(str(data["at"])),
                        str(data["actor"]),
                        str(data["action"]),
                        str(data["subject"]),
                        detail if isinstance(detail, str) else _canonical(detail),
                        str(data["prev_hash"]),
                        str(data["hash"]),
                    )
                except (ValueError, TypeError) as exc:
                    raise UserError(f"{export}: line {line}: {exc} — {hint}") from None
                if row.seq <= previous:
                    raise UserError(
                        f"{export}: line {line}: entry {row.seq} comes after entry {previous} — "
                        f"an export lists entries in increasing order; {hint}"
                    )
                previous = row.seq
                yield line, row
        except UnicodeDecodeError:
            raise UserError(f"{export}: not UTF-8 text — {hint}") from None


def _as_dict(row: _Row) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at.isoformat(timespec="microseconds"),
        "actor": row.actor,
        "action": row.action,
        "subject": row.subject,
        "detail": _detail(row.detail),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _detail(body: str) -> Any:
    """An entry's detail as an object (as stored, if someone made it invalid JSON)."""
    try:
        return json.loads(body)
    except ValueError:
        return body


@contextmanager
def _atomic_file(path: Path) -> Iterator[IO[str]]:
    """A file that appears at ``path`` complete (fsynced, then renamed over it) or not at all."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Verifier:
    """One pass over the entries in order, with a few entries either side in view."""

    def __init__(self, log: AuditLog, anchor: tuple[int, str] | None) -> None:
        self.log = log
        self.anchor = anchor
        self.problems: list[AuditProblem] = []
        self.expected = 1  # the next number
        self.chain = {GENESIS}  # what the next entry's prev_hash must be
        self.after_problem = False  # the entry before was a problem or missing
        self.signed_seen = False  # some entry so far is signed by the hub
        self.held: list[tuple[_Row, str]] = []  # unsigned entries awaiting edited/inserted
        self.held_chain: set[str] = set()  # the chain just before that run
        self.fruitless = 0  # searches for a moved entry that found nothing, in a row
        self.anchor_found = False  # the anchored entry is in the log
        self.anchor_slot_reported = False  # its number was already named as a problem
        self.unconfirmed: list[tuple[int, int, int]] = []  # gaps after the anchored head

    def run(self, rows: Iterator[_Row]) -> list[AuditProblem]:
        ahead: deque[tuple[_Row, bool]] = deque()
        behind: deque[tuple[_Row, bool]] = deque(maxlen=_NEAR)
        for row in rows:
            ahead.append((row, self.log._valid(row)))
            if len(ahead) > _NEAR:
                self._visit(*ahead.popleft(), behind, ahead)
        while ahead:
            self._visit(*ahead.popleft(), behind, ahead)
        self._finish()
        return sorted(self.problems, key=lambda p: p.seq)

    def _report(self, seq: int, kind: str, message: str, last: int | None = None) -> None:
        """A problem at ``seq`` (or, for missing entries, at ``seq`` to ``last``)."""
        self.problems.append(AuditProblem(seq, kind, message))
        if self.anchor is not None and seq <= self.anchor[0] <= (last or seq):
            self.anchor_slot_reported = True

    def _deleted(self, first: int, last: int, following: int) -> None:
        which = f"entry {first} was" if first == last else f"entries {first} to {last} were"
        before = f"entry {first - 1}" if first > 1 else "the start"
        self._report(
            first,
            "deleted",
            f"{which} deleted: the log jumps from {before} to entry {following}",
            last,
        )

    def _visit(
        self,
        row: _Row,
        valid: bool,
        behind: deque[tuple[_Row, bool]],
        ahead: deque[tuple[_Row, bool]],
    ) -> None:
        gap = row.seq > self.expected
        if gap:  # numbers after the anchored head count once a signed entry follows them
            head = self.anchor[0] if self.anchor is not None else 0
            if self.expected <= head:
                self._deleted(self.expected, min(row.seq - 1, head), row.seq)
            if row.seq - 1 > head:
                self.unconfirmed.append((max(self.expected, head + 1), row.seq - 1, row.seq))
        if valid:
            for first, last, following in self.unconfirmed:
                self._deleted(first, last, following)
            self.unconfirmed.clear()
        self.expected = row.seq + 1
        if self.anchor is not None and (row.seq, row.hash) == self.anchor:
            self.anchor_found = True
        if valid:
            self._end_run(row.prev_hash)
            if not gap and not self.after_problem and row.prev_hash not in self.chain:
                self._report(
                    row.seq,
                    "broken_link",
                    f"{row.name} does not link to entry {row.seq - 1}: it is correctly signed "
                    "but follows a different entry (entries were spliced in from elsewhere)",
                )
            self._carry(row, problem=False)
        else:
            self._unsigned(row, behind, ahead)
        behind.append((row, valid))

    def _carry(self, row: _Row, *, problem: bool) -> None:
        """``row``'s link and hash are the hub's: the chain continues from it."""
        self.chain = {row.hash}
        self.signed_seen = True
        self.after_problem = problem
        self.fruitless = 0

    def _unsigned(
        self, row: _Row, behind: deque[tuple[_Row, bool]], ahead: deque[tuple[_Row, bool]]
    ) -> None:
        self.after_problem = True
        note = ""
        found = self._search(row, behind, ahead) if self.fruitless < _GIVE_UP else None
        self.fruitless = 0 if found else self.fruitless + 1
        if found is not None:
            how, seq = found
            copy = any(n.seq == seq and v and n.hash == row.hash for n, v in (*behind, *ahead))
            if how == "moved" and copy:
                note = f" (it is a copy of entry {seq})"
            else:
                self._end_run(row.prev_hash)
                if how == "moved" and self.anchor == (seq, row.hash):
                    self.anchor_found = True
                what = "it was signed as" if how == "moved" else "its content was signed as"
                self._report(
                    row.seq, "reordered", f"{row.name} is out of place: {what} entry {seq}"
                )
                self._carry(row, problem=True)
                return
        if not self.held:
            self.held_chain = set(self.chain)
        self.held.append((row, note))
        if len(self.held) >= _MAX_RUN:  # too long to be an insertion worth telling apart
            self.chain = set()
            self._end_run(None)

    def _search(
        self, row: _Row, behind: deque[tuple[_Row, bool]], ahead: deque[tuple[_Row, bool]]
    ) -> tuple[str, int] | None:
        """Where an unsigned entry belongs: ("moved", n) if it is signed as entry n;
        ("content", n) if its content is signed under entry n's number and links."""
        near = [*behind, *ahead]
        guesses = [1] if row.prev_hash == GENESIS else []
        guesses += [n.seq + 1 for n, v in near if v and n.hash == row.prev_hash]
        for d in range(1, _NEAR + 1):
            guesses += [row.seq - d, row.seq + d]
        tried = {row.seq}
        for seq in guesses:
            if seq >= 1 and seq not in tried:
                tried.add(seq)
                if hmac.compare_digest(self.log._sign(seq, row, row.prev_hash), row.hash):
                    return "moved", seq
        for n, v in near:  # only a neighbour that fails too can have lost its content here
            if v or n.seq == row.seq:
                continue
            if hmac.compare_digest(self.log._sign(n.seq, row, n.prev_hash), n.hash):
                return "content", n.seq
        return None

    def _end_run(self, next_prev_hash: str | None) -> None:
        """Name the held-back unsigned entries now that the next signed entry is known:
        inserted if it links to the entry before them (the chain runs around them)."""
        skipped = next_prev_hash is not None and next_prev_hash in self.held_chain
        for row, note in self.held:
            if skipped:
                self._inserted(row, note, "the chain runs around it")
            else:
                self._edited(row, note)
        self.held.clear()

    def _edited(self, row: _Row, note: str) -> None:
        self._report(
            row.seq,
            "edited",
            f"{row.name} was edited: its content no longer matches its signature{note}",
        )

    def _inserted(self, row: _Row, note: str, why: str) -> None:
        self._report(
            row.seq, "inserted", f"{row.name} was inserted: the hub did not sign it and {why}{note}"
        )

    def _finish(self) -> None:
        anchored = self.anchor[0] if self.anchor is not None else 0
        for row, note in self.held:  # unsigned entries at the end of the log
            if self.signed_seen and row.seq > anchored:
                self._inserted(row, note, "it comes after the last anchored entry")
            else:
                self._edited(row, note)
        self.held.clear()
        if self.anchor is None or self.anchor_found or self.anchor_slot_reported:
            return
        seq, digest = self.anchor
        last = self.expected - 1
        if last < seq:
            which = f"entry {seq} is" if last + 1 == seq else f"entries {last + 1} to {seq} are"
            ends = f"the log ends at entry {last}" if last else "the log is empty"
            self._report(
                last + 1,
                "truncated",
                f"{which} missing from the end of the log: the anchor records entry {seq} "
                f"(hash {digest[:12]}…) but {ends}",
                seq,
            )
        else:
            self._report(
                seq,
                "truncated",
                f"entry {seq} is not the entry the anchor records (hash {digest[:12]}…): the "
                "newest entries were deleted and others written in their place",
            )
