"""What a dataset builder returns: the true facts behind one partner dataset, before noise."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Facts"]


@dataclass(frozen=True)
class Facts:
    """True facts behind one partner dataset.

    ``frame`` has ``person_id`` (int64; -1 when a row is about no known person, e.g. a crime
    with no identified victim or a fire incident), ``seen_date`` (datetime64[D]: when the
    partner recorded the row; the person's address on that date is the one the partner holds)
    and the canonical columns the dataset's contract maps to, named as in the canonical table
    (e.g. ``admission_date``, ``benefit``), with canonical codes. A ``postcode`` column, if
    present, is the fact's own postcode (a residence spell, a crime location) and wins over the
    partner's record of the person's address. ``row_id`` (optional) is a per-row local id.
    """

    partner: str
    dataset: str
    frame: pd.DataFrame
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def contract_name(self) -> str:
        return f"{self.partner}_{self.dataset}"
