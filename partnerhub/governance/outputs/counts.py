"""Count tables: a partner dataset's current rows counted by area (and one coded field), with
their district and partnership totals — computed in the vault, every count protected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import ClassVar

import ibis
import pandas as pd

from partnerhub.disclosure import Hierarchy, protect_counts, with_record_cell_key
from partnerhub.errors import NotFoundError, UserError
from partnerhub.geography import (
    COUNT_LEVELS,
    TOTAL,
    UNRESOLVED,
    area_field,
    areas_in_order,
    district_parents,
    one_of,
    sum_to_parents,
)
from partnerhub.governance.outputs.base import BuildContext, Output, Provenance
from partnerhub.schema import CODE_LISTS
from partnerhub.schema import table as canonical_table
from partnerhub.schema.periods import Period, period_of, whole_period
from partnerhub.vault import Vault

__all__ = ["AREA_LEVELS", "CountQuery", "CountTable"]

AREA_LEVELS = COUNT_LEVELS  # the levels of geography a count table may be broken down by


@dataclass(frozen=True)
class CountQuery:
    """Count a partner dataset's current rows by area (and optionally by one coded field).

    A date window, when given, is one whole published period of the partnership's calendar
    (a financial year or a quarter): with free windows an analyst could ask for hundreds of
    overlapping ones and average their differences back to a withheld count."""

    partner: str
    dataset: str
    area_level: str = "lsoa"
    by: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def period(self) -> Period | None:
        """The published period the window is (None: no window)."""
        if self.date_from is None and self.date_to is None:
            return None
        if self.date_from is not None and self.date_to is not None:
            found = whole_period(self.date_from, self.date_to)
            if found is not None:
                return found
        around = self.date_from or self.date_to
        assert around is not None
        fy, q = period_of("financial_year", around), period_of("quarter", around)
        raise UserError(
            f"date window {self.date_from or '…'} to {self.date_to or '…'}: counts are "
            "released only for one whole published period — a financial year or a quarter, "
            f"e.g. {fy.label} = {_span(fy)} or {q.label} = {_span(q)}; set date_from and "
            "date_to to its first and last day"
        )

    def check(self, table_name: str) -> None:
        if self.area_level not in AREA_LEVELS:
            raise UserError(f"area level {self.area_level!r} — use one of: {one_of(AREA_LEVELS)}")
        canonical = canonical_table(table_name)
        if self.by is not None:
            try:
                column = canonical.column(self.by)
            except KeyError:
                raise UserError(
                    f"{self.partner}/{self.dataset} ({table_name}) has no field {self.by!r}"
                ) from None
            if column.type not in ("code", "boolean"):
                raise UserError(
                    f"can only count by a coded field; {self.by!r} is a {column.type} — "
                    "pick a coded field"
                )
        window = self.period
        if window is not None and canonical.date_column is None:
            raise UserError(
                f"{self.partner}/{self.dataset} ({table_name}) has no date to window by — "
                "leave date_from and date_to out"
            )

    def fields(self, table_name: str) -> list[str]:
        used = ["postcode"]  # areas are resolved from it
        if self.by:
            used.append(self.by)
        if self.date_from or self.date_to:
            date_column = canonical_table(table_name).date_column
            if date_column:
                used.append(date_column)
        return used

    def table_name(self, dataset_tables: Mapping[tuple[str, str], str]) -> str:
        """The canonical table of the dataset counted (checked: loaded, a valid query)."""
        table_name = dataset_tables.get((self.partner, self.dataset))
        if table_name is None:
            raise NotFoundError(
                f"no dataset {self.partner}/{self.dataset} has been loaded — check the "
                "partner and dataset ids (partnerhub status lists them)"
            )
        self.check(table_name)
        return table_name


def _span(period: Period) -> str:
    return f"{period.start} to {period.reference('end')}"


@dataclass(frozen=True)
class CountTable:
    """An aggregate table of counts (:class:`CountQuery`): every count, total and margin
    protected together (threshold, secondary suppression, cell-key perturbation, rounding);
    the only fields read are the query's (postcode → areas, the field counted by, the date
    windowed by)."""

    kind: ClassVar[str] = "aggregate"
    authorised_as: ClassVar[str] = "aggregate"
    query: CountQuery
    purpose: str
    title: str | None = None

    def fields(self, dataset_tables: Mapping[tuple[str, str], str]) -> list[tuple[str, str, str]]:
        q = self.query
        table_name = q.table_name(dataset_tables)
        return [(q.partner, q.dataset, f) for f in q.fields(table_name)]

    def provenance(self) -> Provenance:
        q = self.query
        window = q.period
        return Provenance(
            "counts",
            f"{q.partner}/{q.dataset}",
            q.area_level,
            (window.label, window.label) if window is not None else None,
        )

    def protected(self, context: BuildContext) -> tuple[pd.DataFrame, dict[str, int], int | None]:
        """The released table (before it is written out) and the suppression counts."""
        q = self.query
        table_name = q.table_name(context.dataset_tables)
        counts, hierarchy, types = _count(context, table_name, q)
        protected = protect_counts(
            counts,
            ["area_code", "category"],
            cell_key="cell_key",
            hierarchies=[hierarchy, Hierarchy("category", _category_parents(counts))],
            settings=context.settings,
        )
        out = protected.for_release().rename(
            columns={"area_code": "Area Code", "category": q.by or "Category", "value": "Count"}
        )
        out.insert(1, "Area Type", [types[c] for c in out["Area Code"]])
        return out, dict(protected.notes), None

    def produce(self, context: BuildContext) -> Output:
        return self.produce_from(*self.protected(context))

    def produce_from(
        self, out: pd.DataFrame, notes: dict[str, int], released_rows: int | None
    ) -> Output:
        """The output of the released table ``out`` (from :meth:`protected`)."""
        q = self.query
        title = self.title or (
            f"{q.partner}/{q.dataset}: rows by {q.area_level}" + (f" and {q.by}" if q.by else "")
        )
        return Output(
            title=title,
            query=asdict(q),
            provenance=self.provenance(),
            content=out.to_csv(index=False),
            media_type="text/csv",
            notes=notes,
            cells=len(out),
            released_rows=released_rows,
        )


def _count(
    context: BuildContext, table_name: str, query: CountQuery
) -> tuple[pd.DataFrame, Hierarchy, dict[str, str]]:
    """Counts per (area, category) with their cell keys, plus district and total margins."""

    def grouped_counts(vault: Vault) -> pd.DataFrame:
        rows = vault.current(table_name)
        rows = rows.filter((rows.partner == query.partner) & (rows.dataset == query.dataset))
        date_column = canonical_table(table_name).date_column
        window = query.period
        if date_column and window is not None:
            rows = rows.filter(
                (rows[date_column] >= window.start) & (rows[date_column] < window.end)
            )
        area = rows[area_field(query.area_level)].fill_null(UNRESOLVED)
        lad = rows["lad_code"].fill_null(UNRESOLVED)
        category = rows[query.by].cast("string").fill_null("not recorded") if query.by else None
        shaped = rows.mutate(
            _area=area,
            _lad=lad,
            _category=category if category is not None else ibis.literal("all"),
        )
        keyed = with_record_cell_key(shaped)
        frame: pd.DataFrame = (
            keyed.group_by(["_area", "_lad", "_category"])
            .aggregate(count=keyed.count(), key_sum=keyed._ck.sum())
            .to_pandas()
        )
        return frame

    grouped = context.build(grouped_counts)
    grouped = grouped.rename(columns={"_area": "area", "_lad": "lad", "_category": "category"})
    grouped["key_sum"] = grouped["key_sum"].astype("int64")
    # an area split across districts (ward best fit) goes to the one with most of its rows;
    # every area of the level is listed, the empty ones too: one left out says "nobody here"
    parent_of = district_parents(
        grouped, "area", "lad", "count", query.area_level, context.level_areas(query.area_level)
    )
    categories = _categories(table_name, query.by, grouped["category"]) if query.by else ["all"]
    cells = sum_to_parents(
        (
            (str(r.area), cat, (int(r.count), int(r.key_sum)))
            for r in grouped.itertuples(index=False)
            for cat in {str(r.category), "all"}
        ),
        parent_of,
    )
    wanted_categories = ([*categories, "all"]) if query.by else ["all"]
    data = [
        (a, c, cells.get((a, c), [0, 0])[0], cells.get((a, c), [0, 0])[1] % 256)
        for a in areas_in_order(parent_of)
        for c in wanted_categories
    ]
    frame = pd.DataFrame(data, columns=["area_code", "category", "count", "cell_key"])
    lads = set(parent_of.values()) - {TOTAL}
    hierarchy_map = dict(parent_of)
    types = {a: query.area_level for a in parent_of} | {TOTAL: TOTAL}
    hierarchy_map.update({lad: TOTAL for lad in lads})
    types.update({lad: "lad" for lad in lads})
    return frame, Hierarchy("area_code", hierarchy_map), types


def _categories(table_name: str, by: str, seen: pd.Series) -> list[str]:
    """Every value the field can take (its code list, or true/false), and any other value
    found: a category left out of a table says "nobody here" as loudly as a zero."""
    column = canonical_table(table_name).column(by)
    if column.type == "boolean":
        known = {"true", "false"}
    elif column.codes is not None:
        known = set(CODE_LISTS[column.codes])
    else:
        known = set()
    return sorted(known | {str(c) for c in seen} | {"not recorded"})


def _category_parents(counts: pd.DataFrame) -> dict[str, str]:
    return {c: "all" for c in counts["category"].unique() if c != "all"}
