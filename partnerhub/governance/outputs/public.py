"""Public figures: one aggregate for anyone to read (a citizen page, a press release).

The rule is the strictest (:mod:`partnerhub.disclosure.outputs`): refused whole when the
population it is about is below :data:`~partnerhub.disclosure.PUBLIC_MIN_POPULATION`; the count
withheld at or below the larger of the agreement's and the public threshold, else perturbed
and rounded to the larger rounding base. Minimisation: the figure, its population to the
nearest hundred and a rate computed from those two — no breakdown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from partnerhub.disclosure import (
    PUBLIC_MIN_POPULATION,
    PUBLIC_POPULATION_BASE,
    SUPPRESSED_MARK,
    public_count,
    public_settings,
    round_to_base,
)
from partnerhub.errors import DisclosureError
from partnerhub.governance.outputs.base import BuildContext, FieldQuery, Output, Provenance
from partnerhub.vault import Vault

__all__ = ["FigureCount", "PublicFigure"]


@dataclass(frozen=True)
class FigureCount:
    """What a public figure's builder returns: the count, the population it is out of and the
    count's cell key."""

    count: int
    population: int
    cell_key: int | None = None


@dataclass(frozen=True)
class PublicFigure:
    """One figure for the public (``per``: the rate's base, e.g. 1000 people)."""

    kind: ClassVar[str] = "public_figure"
    authorised_as: ClassVar[str] = "public_figure"
    source: FieldQuery
    build: Callable[[Vault], FigureCount]
    purpose: str
    title: str
    query: dict[str, Any]
    provenance: Provenance
    per: int = 1000

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return self.source.fields(dataset_tables)

    def produce(self, context: BuildContext) -> Output:
        figure: FigureCount = context.build(self.build)
        if figure.population < PUBLIC_MIN_POPULATION:
            raise DisclosureError(
                f"a public figure must be about at least {PUBLIC_MIN_POPULATION} people; this "
                "one is about fewer — publish it for a larger area or a longer period"
            )
        value = public_count(figure.count, figure.cell_key, context.settings)
        population = round_to_base(figure.population, PUBLIC_POPULATION_BASE)
        rate: Any = SUPPRESSED_MARK
        if value is not None:
            rate = round(value / population * self.per, 1)
        out = pd.DataFrame(
            {
                "Figure": [self.title],
                "Count": [SUPPRESSED_MARK if value is None else value],
                "Population": [population],
                f"Rate per {self.per:,}": [rate],
            }
        )
        return Output(
            title=self.title,
            query=self.query,
            provenance=self.provenance,
            content=out.to_csv(index=False),
            media_type="text/csv",
            notes={"primary": int(value is None), "secondary": 0},
            cells=1,
            released_rows=int(value is not None),
            settings=public_settings(context.settings),
        )
