"""Wall-clock time per named phase of a long-running command, for its run summary (what an
IT team reads to see where a link run's time went)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Stopwatch"]


class Stopwatch:
    """Seconds spent in each phase, in the order phases were first entered; a phase entered
    again adds to its total."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def rounded(self, digits: int = 2) -> dict[str, float]:
        return {name: round(s, digits) for name, s in self.seconds.items()}
