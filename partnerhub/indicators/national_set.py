"""The 2008 National Indicator Set as data: every NI's status in PartnerHub.

``computed`` — a spec in the library computes it from person-level facts; ``importable`` — it
comes from a survey or an external publication, and is loaded as aggregate values by area and
period (:mod:`partnerhub.indicators.imported`); ``not applicable`` — no partner holds the data
at person level and nobody publishes it by area, or it measures the authority's own processes.
`docs/national-indicator-set.md` shows the same table (a test keeps the two equal).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from partnerhub.errors import NotFoundError, UserError

__all__ = ["STATUSES", "NationalIndicator", "importable_indicator", "national_indicator_set"]

STATUSES = ("computed", "importable", "not applicable")
_TABLE = Path(__file__).with_name("national_indicator_set.csv")


@dataclass(frozen=True)
class NationalIndicator:
    id: str  # "NI 5"
    title: str
    status: str  # one of STATUSES
    why: str  # the canonical tables it reads, its source, or why it does not apply

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"{self.id}: status {self.status!r} is not one of {STATUSES}")


@cache
def national_indicator_set() -> tuple[NationalIndicator, ...]:
    """Every row of the set (NI 1 … NI 199, then ASCOF 2B), in order."""
    with _TABLE.open(encoding="utf-8", newline="") as f:
        return tuple(
            NationalIndicator(r["indicator"], r["title"], r["status"], r["why"])
            for r in csv.DictReader(f)
        )


def normalise_id(text: str) -> str:
    """ "ni5", "NI 5", "ni-5" → "NI 5"."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if compact.startswith("NI") and compact[2:].isdigit():
        return f"NI {int(compact[2:])}"
    return text.strip()


def importable_indicator(text: str) -> NationalIndicator:
    """The importable NI named ``text``, or a UserError that says what to do instead."""
    wanted = normalise_id(text)
    for ni in national_indicator_set():
        if ni.id == wanted:
            if ni.status == "importable":
                return ni
            if ni.status == "computed":
                raise UserError(
                    f"{ni.id} is computed by PartnerHub from the partners' data — use "
                    f"`partnerhub indicators compute --indicator '{ni.id}'` instead of importing it"
                )
            raise UserError(
                f"{ni.id} is not applicable here ({ni.why}); see docs/national-indicator-set.md"
            )
    raise NotFoundError(
        f"no National Indicator {text!r} — write it as 'NI 5'; docs/national-indicator-set.md "
        "lists the importable ones"
    )
