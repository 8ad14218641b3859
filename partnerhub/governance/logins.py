"""Failed logins, counted: at most one audit entry per source per window, carrying a count.

A failed login (a bad token at the API, a bad token at the dashboard's sign-in) is worth an
audit entry, but one entry per attempt would let anyone grow the log without bound by sending
bad tokens. So :class:`FailedLogins` writes a ``login_failed`` entry when a source fails and
has had no entry for ``window`` seconds, with ``count`` = every failure of that source since
its previous entry (this one included), and keeps counting quietly in between. :meth:`flush`
writes what is still counted once its window is over (the API calls it on each request and
when it stops), so no failure goes uncounted. At most ``sources`` sources are told apart per
window; failures from any further source are counted together under ``other sources``. So the
log grows by at most ``sources + 1`` entries per window per channel, however many attempts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from partnerhub.governance.audit import AuditLog

__all__ = ["FAILED_LOGIN_WINDOW", "FailedLogins"]

FAILED_LOGIN_WINDOW = 60.0  # seconds: at most one entry per source (and channel) per window
_SOURCES = 100  # sources told apart per window; the rest are counted as "other sources"
_TOKEN_IDS = 5  # token ids named per entry (the rest are counted)
OTHER = "other sources"


@dataclass
class _Source:
    last_entry: float | None = None  # clock time of this source's newest entry
    count: int = 0  # failures since then, not yet written
    first: str = ""  # wall time of the first of them
    token_ids: list[str] = field(default_factory=list)
    more_token_ids: int = 0


class FailedLogins:
    """Counts failed logins and writes them to ``audit`` at a bounded rate."""

    def __init__(
        self,
        audit: AuditLog,
        window: float = FAILED_LOGIN_WINDOW,
        sources: int = _SOURCES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.audit = audit
        self.window = window
        self._max_sources = sources
        self._clock = clock
        self._sources: dict[tuple[str, str], _Source] = {}
        self._lock = threading.Lock()

    def record(self, channel: str, source: str | None, token_id: str | None = None) -> None:
        """One failed login at ``channel`` ("api", "dashboard") from ``source`` (an address)."""
        now = self._clock()
        due = []
        with self._lock:
            key = (channel, source or "unknown")
            if key not in self._sources and len(self._sources) >= self._max_sources:
                due += self._take_due(now, force=False)  # make room: drop quiet sources
                if len(self._sources) >= self._max_sources:
                    key = (channel, OTHER)
            state = self._sources.setdefault(key, _Source())
            if state.count == 0:
                state.first = datetime.now(UTC).isoformat(timespec="seconds")
            state.count += 1
            if token_id is not None and token_id not in state.token_ids:
                if len(state.token_ids) < _TOKEN_IDS:
                    state.token_ids.append(token_id)
                else:
                    state.more_token_ids += 1
            if state.last_entry is None or now - state.last_entry >= self.window:
                due.append(self._take(key, state, now))
        self._write(due)

    def flush(self, *, force: bool = False) -> int:
        """Write every count whose window is over (every count, with ``force``); how many
        entries were written."""
        with self._lock:
            due = self._take_due(self._clock(), force=force)
        self._write(due)
        return len(due)

    def _take_due(self, now: float, *, force: bool) -> list[tuple[str, dict[str, Any]]]:
        due = []
        for key, state in list(self._sources.items()):
            quiet = state.last_entry is None or now - state.last_entry >= self.window
            if state.count and (force or quiet):
                due.append(self._take(key, state, now))
            elif not state.count and quiet:
                del self._sources[key]  # nothing counted, window over: forget the source
        return due

    def _take(self, key: tuple[str, str], state: _Source, now: float) -> tuple[str, dict[str, Any]]:
        channel, source = key
        detail: dict[str, Any] = {
            "source": source,
            "count": state.count,
            "since": state.first,
            "window_seconds": self.window,
        }
        if state.token_ids:
            detail["token_ids"] = list(state.token_ids)
        if state.more_token_ids:
            detail["more_token_ids"] = state.more_token_ids
        state.last_entry, state.count = now, 0
        state.token_ids, state.more_token_ids = [], 0
        return channel, detail

    def _write(self, due: list[tuple[str, dict[str, Any]]]) -> None:
        for channel, detail in due:
            self.audit.append("unknown", "login_failed", channel, detail)
