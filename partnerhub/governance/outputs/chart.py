"""Charts: a picture of an aggregate table that has already been protected.

The rule: a chart is drawn only from the released table of an aggregate request
(:class:`~partnerhub.governance.outputs.counts.CountTable`,
:class:`~partnerhub.governance.outputs.aggregate.ComputedTable`,
:class:`~partnerhub.governance.outputs.aggregate.PublishedTable`), computed and protected in
the same release: ``render`` is given that table and nothing else (no vault), so every number
a chart can show is a protected one. An agreement that permits the aggregate permits its chart.
The content is the picture: SVG text, or PNG bytes (stored base64-encoded)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal

import pandas as pd

from partnerhub.errors import UserError
from partnerhub.governance.outputs.aggregate import ComputedTable, PublishedTable
from partnerhub.governance.outputs.base import BuildContext, Output
from partnerhub.governance.outputs.counts import CountTable

__all__ = ["CHART_MEDIA_TYPES", "Chart", "chart_bytes"]

ChartMediaType = Literal["image/png", "image/svg+xml"]
CHART_MEDIA_TYPES: tuple[str, ...] = ChartMediaType.__args__  # type: ignore[attr-defined]
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Chart:
    """A chart of ``table`` (an aggregate request): ``render`` turns the protected table into
    the picture's bytes, of ``media_type``."""

    kind: ClassVar[str] = "chart"
    authorised_as: ClassVar[str] = "aggregate"
    table: CountTable | ComputedTable | PublishedTable
    render: Callable[[pd.DataFrame], bytes]
    media_type: ChartMediaType
    title: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.table, CountTable | ComputedTable | PublishedTable):
            raise UserError(
                "a chart is drawn only from an aggregate table released through the gate "
                f"(a count, computed or published table), not from {type(self.table).__name__}"
            )
        if self.media_type not in CHART_MEDIA_TYPES:
            raise UserError(f"a chart is {' or '.join(CHART_MEDIA_TYPES)}, not {self.media_type}")

    @property
    def purpose(self) -> str:
        return self.table.purpose

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        return self.table.fields(dataset_tables)

    def produce(self, context: BuildContext) -> Output:
        released, notes, released_rows = self.table.protected(context)
        picture = self.render(released.copy())
        _check_picture(picture, self.media_type)
        made = self.table.produce_from(released, notes, released_rows)
        content = (
            picture.decode("utf-8")
            if self.media_type == "image/svg+xml"
            else base64.b64encode(picture).decode("ascii")
        )
        return Output(
            title=self.title or f"Chart: {made.title}",
            query={"chart_of": made.query},
            provenance=made.provenance,
            content=content,
            media_type=self.media_type,
            notes=notes,
            cells=made.cells,
            released_rows=released_rows,
        )


def _check_picture(picture: bytes, media_type: str) -> None:
    if media_type == "image/png" and not picture.startswith(_PNG):
        raise UserError("the chart renderer did not return a PNG image")
    if media_type == "image/svg+xml" and b"<svg" not in picture[:512]:
        raise UserError("the chart renderer did not return an SVG image")


def chart_bytes(content: str, media_type: str) -> bytes:
    """A chart release's picture as bytes (PNG is stored base64-encoded)."""
    if media_type == "image/png":
        return base64.b64decode(content)
    return content.encode("utf-8")
