"""Small shared pieces of the monthly simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NEVER", "Recorder", "logistic", "monthly", "pick"]

NEVER = np.iinfo(np.int32).max  # "never happened" as a day offset


def pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), size=n)]


def monthly(p_year: np.ndarray) -> np.ndarray:
    return 1.0 - np.power(1.0 - np.clip(p_year, 0.0, 0.999), 1.0 / 12.0)


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Recorder:
    """Collects rows month by month and concatenates once."""

    def __init__(self) -> None:
        self.parts: dict[str, list[dict[str, np.ndarray]]] = {}

    def add(self, name: str, **cols: np.ndarray) -> None:
        self.parts.setdefault(name, []).append(cols)

    def frame(self, name: str, columns: list[str]) -> pd.DataFrame:
        parts = self.parts.get(name, [])
        if not parts:
            return pd.DataFrame({c: [] for c in columns})
        return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})
