"""The two record-level flows an agreement may allow: a notification about one person to a
partner entitled to act on it, and an outreach list of a partner's own records for a named
service. Both are minimised to the fields the agreement names and audited like any release.

Person notification — the rule: exactly one record of one person; minimisation: the record
key and the event's fields, nothing else (any other column the builder returns is dropped).
Outreach list — the rule: only records of the partner that will contact the people (it can
map its own record keys back to its local ids; no other partner's record leaves), each once;
minimisation: the record key and the named fields; the number of people is audited."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from partnerhub.errors import DisclosureError, UserError
from partnerhub.governance.outputs.base import BuildContext, DatasetFields, Output, Provenance
from partnerhub.vault import Vault

__all__ = ["OutreachList", "PersonNotification"]


def _checked_fields(names: tuple[str, ...]) -> None:
    if "record_key" in names:
        raise UserError("record_key is always sent; name only the event's other fields")
    if len(set(names)) != len(names):
        raise UserError(f"fields named twice: {', '.join(sorted(names))}")


@dataclass(frozen=True)
class PersonNotification:
    """A life event about one person (``event``, from ``partner``/``dataset``) for the
    requester's partner: ``build`` finds the record in the vault scoped to ``names``."""

    kind: ClassVar[str] = "person_notification"
    authorised_as: ClassVar[str] = "person_notification"
    event: str
    partner: str
    dataset: str
    names: tuple[str, ...]  # the fields sent (beside the record key)
    build: Callable[[Vault], pd.DataFrame]
    purpose: str = "direct_care"

    def __post_init__(self) -> None:
        _checked_fields(self.names)

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return DatasetFields(self.partner, self.dataset, self.names).fields(dataset_tables)

    def produce(self, context: BuildContext) -> Output:
        rows: pd.DataFrame = context.build(self.build)
        if "record_key" not in rows.columns:
            raise UserError("a notification's builder must return the person's record_key")
        if len(rows) != 1:
            raise DisclosureError(
                f"a person notification is about exactly one record; the builder found "
                f"{len(rows)} — nothing was sent"
            )
        missing = [f for f in self.names if f not in rows.columns]
        if missing:
            raise UserError(f"the notification's builder did not return {', '.join(missing)}")
        record = rows.iloc[0]
        body = {"event": self.event, "record_key": str(record["record_key"])}
        body |= {f: _plain(record[f]) for f in self.names}
        return Output(
            title=f"{self.event}: notification from {self.partner}/{self.dataset}",
            query={
                "event": self.event,
                "partner": self.partner,
                "dataset": self.dataset,
                "fields": list(self.names),
            },
            provenance=Provenance("events", self.event),
            content=json.dumps(body, sort_keys=True, default=str),
            media_type="application/json",
            notes={},
            cells=1,
            audit={"people": 1},
        )


@dataclass(frozen=True)
class OutreachList:
    """The people ``service`` should contact, as records of ``partner``/``dataset`` — for
    that partner only: ``build`` selects them in the vault scoped to ``names``."""

    kind: ClassVar[str] = "outreach_list"
    authorised_as: ClassVar[str] = "outreach_list"
    service: str
    partner: str
    dataset: str
    names: tuple[str, ...]  # the fields sent (beside the record key)
    build: Callable[[Vault], pd.DataFrame]
    purpose: str = "outreach"

    def __post_init__(self) -> None:
        _checked_fields(self.names)

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return DatasetFields(self.partner, self.dataset, self.names).fields(dataset_tables)

    def produce(self, context: BuildContext) -> Output:
        recipient = context.recipient
        if recipient != self.partner:
            raise DisclosureError(
                f"an outreach list of {self.partner}'s records goes only to {self.partner}, "
                f"the partner that will contact the people — not to {recipient}"
            )
        rows: pd.DataFrame = context.build(self.build)
        needed = {"partner", "record_key", *self.names} - set(rows.columns)
        if needed:
            raise UserError(
                f"the outreach list's builder did not return {', '.join(sorted(needed))}"
            )
        others = rows[rows["partner"] != self.partner]
        if len(others):
            raise DisclosureError(
                f"the outreach list holds {len(others)} records of other partners; it may list "
                f"only {self.partner}'s own — nothing was sent"
            )
        out = rows[["record_key", *self.names]].drop_duplicates("record_key")
        out = out.sort_values("record_key").reset_index(drop=True)
        return Output(
            title=f"Outreach list for {self.service} ({self.partner}/{self.dataset})",
            query={
                "service": self.service,
                "partner": self.partner,
                "dataset": self.dataset,
                "fields": list(self.names),
            },
            provenance=Provenance("outreach", self.service),
            content=out.to_csv(index=False),
            media_type="text/csv",
            notes={},
            cells=len(out),
            audit={"people": len(out)},
        )


def _plain(value: Any) -> Any:
    """A JSON value: dates as ISO dates (ISO date-times when they have a time)."""
    if pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    return value.item() if hasattr(value, "item") else value
