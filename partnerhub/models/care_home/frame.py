"""The person-level landmark frame every care-home model fits and is evaluated on.

One row per person at a landmark: feature columns (numeric; the caller names them), ``time``
(months from the landmark to the first of admission, death or censoring, > 0) and ``event``
(``"admission"``, ``"death"`` or ``"censored"``). Censoring is leaving the county or the end of
follow-up. Several landmarks may be stacked into one frame for training.

Outcome by a horizon *h* (months), used by every metric:

* **case** — admitted at ``time <= h``;
* **control** — known not admitted by *h*: event-free past *h* (``time > h``, or censored at
  exactly ``time >= h``), or died first (``event == "death"`` and ``time <= h``). A person who
  dies first is never an admission;
* **unknown** — censored before *h* (``event == "censored"`` and ``time < h``). These people are
  left out of the metrics at that horizon. Censoring here is mostly leaving the county (about
  2 % a year among older people), so leaving them out changes little; an inverse-probability-of-
  censoring weighting would remove the small bias and is not done yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "ADMISSION",
    "CENSORED",
    "DEATH",
    "EVENT",
    "EVENTS",
    "HORIZONS",
    "TIME",
    "check_frame",
    "check_horizons",
    "outcome_by",
]

TIME = "time"
EVENT = "event"
ADMISSION = "admission"
DEATH = "death"
CENSORED = "censored"
EVENTS = (ADMISSION, DEATH, CENSORED)
HORIZONS = (6, 12, 18)


def check_frame(frame: pd.DataFrame, features: Sequence[str]) -> None:
    """Raise ``ValueError`` naming what is wrong with a landmark frame."""
    missing = [c for c in (*features, TIME, EVENT) if c not in frame.columns]
    if missing:
        raise ValueError(f"the landmark frame lacks columns {missing}")
    bad = set(frame[EVENT].unique()) - set(EVENTS)
    if bad:
        raise ValueError(f"event must be one of {list(EVENTS)}; found {sorted(map(str, bad))}")
    t = frame[TIME].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(t) & (t > 0)):
        raise ValueError("time must be a finite number of months > 0")
    x = frame[list(features)].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("features must be finite numbers (encode categories and fill gaps first)")


def check_horizons(horizons: Sequence[int]) -> list[int]:
    """Sorted distinct whole-month horizons >= 1."""
    if not horizons or any(float(h) != int(h) or int(h) < 1 for h in horizons):
        raise ValueError(f"horizons must be whole months >= 1; got {list(horizons)}")
    return sorted({int(h) for h in horizons})


def outcome_by(frame: pd.DataFrame, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """(known, admitted) boolean arrays for the outcome by ``horizon`` (see the module doc)."""
    t = frame[TIME].to_numpy(dtype=np.float64)
    e = frame[EVENT].to_numpy()
    admitted = (e == ADMISSION) & (t <= horizon)
    unknown = (e == CENSORED) & (t < horizon)
    return ~unknown, admitted
