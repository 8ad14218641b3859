"""Aggregate tables a capability computes (an indicator by area and period) or imports (a
survey indicator published elsewhere): complete grids of counts, every count protected before
any value is derived from it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from partnerhub.disclosure import (
    SUPPRESSED_MARK,
    DisclosureSettings,
    Hierarchy,
    protect_counts,
    protect_proportions,
    protect_published_rows,
)
from partnerhub.governance.outputs.base import (
    BuildContext,
    FieldQuery,
    Output,
    Provenance,
)
from partnerhub.vault import Vault

__all__ = ["AggregateTable", "ComputedTable", "PublishedTable"]


@dataclass(frozen=True)
class AggregateTable:
    """What a capability's builder returns: a complete grid of counts over ``dims``,
    computed in the vault. The gate protects the count columns with the agreement's settings
    (``proportion``: numerator and denominator together, so neither a small count nor its
    complement shows; otherwise each count column on its own) and hands *only the protected
    counts* to ``derive``, which makes the released table (rates and limits are therefore
    computed after suppression). ``hierarchy`` says which cells add up to which."""

    cells: pd.DataFrame
    dims: tuple[str, ...]
    counts: tuple[str, ...]
    keys: dict[str, str]  # count column → its cell-key column
    hierarchy: Hierarchy
    derive: Callable[[pd.DataFrame], pd.DataFrame]
    proportion: bool = False


def protect_aggregate(
    table: AggregateTable, settings: DisclosureSettings
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The protected counts of ``table`` (dims, counts, ``suppressed``) and the notes."""
    cells = table.cells.reset_index(drop=True)
    out = cells[list(table.dims)].copy()
    notes: dict[str, int] = {}
    if table.proportion:
        num, den = table.counts
        protected = protect_proportions(
            cells,
            list(table.dims),
            numerator=num,
            denominator=den,
            numerator_key=table.keys.get(num),
            denominator_key=table.keys.get(den),
            hierarchies=[table.hierarchy],
            settings=settings,
        )
        out[num] = protected.data["numerator"].to_numpy()
        out[den] = protected.data["denominator"].to_numpy()
        out["suppressed"] = protected.data["suppressed"].to_numpy()
        notes = dict(protected.notes)
    else:
        out["suppressed"] = False
        for column in table.counts:
            protected = protect_counts(
                cells,
                list(table.dims),
                count=column,
                cell_key=table.keys.get(column),
                hierarchies=[table.hierarchy],
                settings=settings,
            )
            out[column] = protected.data["value"].to_numpy()
            out["suppressed"] |= protected.data["suppressed"].to_numpy()
            for k, v in protected.notes.items():
                notes[k] = notes.get(k, 0) + v
    return out, notes


@dataclass(frozen=True)
class ComputedTable:
    """An aggregate table a capability computes in the vault: the fields authorised come
    from its declarative ``source`` query (an indicator spec, say); ``build`` sees a vault
    scoped to them and returns an :class:`AggregateTable`."""

    kind: ClassVar[str] = "aggregate"
    authorised_as: ClassVar[str] = "aggregate"
    source: FieldQuery
    build: Callable[[Vault], AggregateTable]
    purpose: str
    title: str
    query: dict[str, Any]
    provenance: Provenance

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return self.source.fields(dataset_tables)

    def protected(self, context: BuildContext) -> tuple[pd.DataFrame, dict[str, int], int | None]:
        """The released table, the suppression notes and the rows fully released."""
        table: AggregateTable = context.build(self.build)
        protected, notes = protect_aggregate(table, context.settings)
        released = int((~protected["suppressed"].astype(bool)).sum())
        return table.derive(protected), notes, released

    def produce(self, context: BuildContext) -> Output:
        return self.produce_from(*self.protected(context))

    def produce_from(
        self, out: pd.DataFrame, notes: dict[str, int], released: int | None
    ) -> Output:
        """The output of the released table ``out`` (from :meth:`protected`)."""
        return Output(
            title=self.title,
            query=self.query,
            provenance=self.provenance,
            content=out.to_csv(index=False),
            media_type="text/csv",
            notes=notes,
            cells=len(out),
            released_rows=released,
        )


@dataclass(frozen=True)
class PublishedTable:
    """A table aggregated outside the vault (an imported survey indicator): it reads no
    partner dataset; its counts are protected row by row (``protect_published_rows``: a row
    with a small count loses its counts and the ``dependent`` values derived from them)."""

    kind: ClassVar[str] = "aggregate"
    authorised_as: ClassVar[str] = "aggregate"
    table: pd.DataFrame
    counts: tuple[str, ...]
    dependent: tuple[str, ...]
    purpose: str
    title: str
    query: dict[str, Any]
    provenance: Provenance

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return []  # aggregated elsewhere: no partner dataset is read

    def protected(self, context: BuildContext) -> tuple[pd.DataFrame, dict[str, int], int | None]:
        out, notes = protect_published_rows(
            self.table, list(self.counts), list(self.dependent), context.settings
        )
        released = int((out[list(self.counts)] != SUPPRESSED_MARK).all(axis=1).sum())
        return out, notes, released

    def produce(self, context: BuildContext) -> Output:
        return self.produce_from(*self.protected(context))

    def produce_from(
        self, out: pd.DataFrame, notes: dict[str, int], released: int | None
    ) -> Output:
        """The output of the released table ``out`` (from :meth:`protected`)."""
        return Output(
            title=self.title,
            query=self.query,
            provenance=self.provenance,
            content=out.to_csv(index=False),
            media_type="text/csv",
            notes=notes,
            cells=len(out),
            released_rows=released,
        )
