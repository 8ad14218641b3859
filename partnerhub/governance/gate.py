"""The gate: the only way an output leaves the vault.

:meth:`Gate.release_counts` checks the requester's role and the data-sharing agreement for
(recipient, purpose, datasets, fields, output kind), computes the aggregate *inside* the gate,
applies disclosure control with the agreement's settings, stores the output with its metadata
in the control plane and writes the audit entry — in one transaction. Reading a release back
(:meth:`Gate.download`) checks the role, the recipient and that the agreement is still in force,
and is audited too. Nothing here returns a vault row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import ibis
import pandas as pd
from sqlalchemy import select

from partnerhub.control import ControlPlane, Release
from partnerhub.disclosure import (
    SUPPRESSED_MARK,
    Hierarchy,
    protect_counts,
    protect_proportions,
    protect_published_rows,
)
from partnerhub.errors import NotFoundError, PermissionDeniedError, UserError
from partnerhub.geography import COUNT_LEVELS, area_field, best_fit, one_of
from partnerhub.governance.agreements import Agreement, ReleaseRequest, authorise
from partnerhub.governance.audit import AuditLog
from partnerhub.governance.users import Principal
from partnerhub.schema import CODE_LISTS
from partnerhub.schema import table as canonical_table
from partnerhub.schema.periods import Period, period_of, whole_period
from partnerhub.vault import Vault

__all__ = ["AREA_LEVELS", "AggregateTable", "CountQuery", "Gate", "can_see_release"]

AREA_LEVELS = COUNT_LEVELS  # the levels of geography a count table may be broken down by
_RELEASERS = ("analyst",)
_READERS = ("analyst", "partner_viewer", "ig_officer", "admin")
_OVERSIGHT = ("ig_officer",)  # may read any release, even after its agreement ends


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


def _span(period: Period) -> str:
    return f"{period.start} to {period.reference('end')}"


@dataclass(frozen=True)
class AggregateTable:
    """What a capability asks the gate to release: a complete grid of counts over ``dims``,
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


def _protect_aggregate(table: AggregateTable, settings: Any) -> tuple[pd.DataFrame, dict[str, int]]:
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


def _check_releaser(principal: Principal) -> None:
    if principal.role not in _RELEASERS:
        raise PermissionDeniedError(
            f"only analysts can request releases; you are {principal.role or 'not signed in'}"
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def can_see_release(principal: Principal, release: Release) -> bool:
    if principal.role in ("ig_officer", "admin"):
        return True
    return (
        principal.role in ("analyst", "partner_viewer") and principal.partner == release.recipient
    )


class Gate:
    """Every output passes here."""

    def __init__(
        self,
        plane: ControlPlane,
        agreements: Sequence[Agreement],
        audit: AuditLog,
        *,
        vault: Callable[[], Vault] | None = None,
        dataset_tables: dict[tuple[str, str], str] | None = None,
        today: Callable[[], date] = date.today,
        areas: Callable[[], pd.DataFrame] | None = None,
    ) -> None:
        """``areas``: every area of the partnership (level, code, lad_code — see
        :func:`partnerhub.geography.partnership_areas`), so count tables list empty areas."""
        self.plane = plane
        self.agreements = list(agreements)
        self.audit = audit
        self._vault = vault
        self._tables = dataset_tables or {}
        self._today = today
        self._areas = areas

    @property
    def dataset_tables(self) -> dict[tuple[str, str], str]:
        """(partner, dataset) → canonical table, for every registered dataset."""
        return dict(self._tables)

    # -- making a release -----------------------------------------------------------------
    def release_counts(
        self, principal: Principal, query: CountQuery, purpose: str, title: str | None = None
    ) -> Release:
        _check_releaser(principal)
        assert principal.partner is not None
        table_name = self._tables.get((query.partner, query.dataset))
        if table_name is None:
            raise NotFoundError(
                f"no dataset {query.partner}/{query.dataset} has been loaded — check the "
                "partner and dataset ids (partnerhub status lists them)"
            )
        query.check(table_name)
        request = ReleaseRequest(
            recipient=principal.partner,
            purpose=purpose,
            output_kind="aggregate",
            fields=[(query.partner, query.dataset, f) for f in query.fields(table_name)],
        )
        agreement = authorise(self.agreements, request, self._today())
        counts, hierarchy, types = self._count(table_name, query)
        dims = ["area_code", "category"]
        protected = protect_counts(
            counts,
            dims,
            cell_key="cell_key",
            hierarchies=[hierarchy, Hierarchy("category", _category_parents(counts))],
            settings=agreement.disclosure_settings,
        )
        out = protected.for_release().rename(
            columns={"area_code": "Area Code", "category": query.by or "Category", "value": "Count"}
        )
        out.insert(1, "Area Type", [types[c] for c in out["Area Code"]])
        content = out.to_csv(index=False)
        title = title or (
            f"{query.partner}/{query.dataset}: rows by {query.area_level}"
            + (f" and {query.by}" if query.by else "")
        )
        return self._store(
            principal, agreement, purpose, title, asdict(query), content, protected.notes, len(out)
        )

    def release_aggregate(
        self,
        principal: Principal,
        purpose: str,
        title: str,
        fields: Sequence[tuple[str, str, str]],
        query: dict[str, Any],
        build: Callable[[Vault], AggregateTable],
        output_kind: str = "aggregate",
    ) -> Release:
        """Release a capability's aggregate (an indicator by area, say): policy check for
        ``fields`` → ``build`` computes counts in the vault → disclosure control → the
        capability derives its table from the protected counts → stored and audited."""
        agreement = self._authorise(principal, purpose, output_kind, fields)
        if self._vault is None:
            raise UserError("this gate has no vault to compute from")
        vault = self._vault()
        try:
            table = build(vault)
        finally:
            vault.close()
        protected, notes = _protect_aggregate(table, agreement.disclosure_settings)
        out = table.derive(protected)
        content = out.to_csv(index=False)
        released = int((~protected["suppressed"].astype(bool)).sum())
        return self._store(
            principal,
            agreement,
            purpose,
            title,
            query,
            content,
            notes,
            len(out),
            output_kind,
            released_rows=released,
        )

    def release_table(
        self,
        principal: Principal,
        purpose: str,
        title: str,
        query: dict[str, Any],
        table: pd.DataFrame,
        counts: Sequence[str],
        dependent: Sequence[str],
    ) -> Release:
        """Release a table aggregated outside the vault (an imported survey indicator): the
        same role and agreement check (an aggregate output for ``purpose``; it reads no
        partner dataset), disclosure control of its counts (``protect_published_rows``: a
        row with a small count loses its counts and the ``dependent`` values derived from
        them), stored and audited like every release."""
        agreement = self._authorise(principal, purpose, "aggregate", [])
        out, notes = protect_published_rows(table, counts, dependent, agreement.disclosure_settings)
        content = out.to_csv(index=False)
        released = int((out[list(counts)] != SUPPRESSED_MARK).all(axis=1).sum())
        return self._store(
            principal,
            agreement,
            purpose,
            title,
            query,
            content,
            notes,
            len(out),
            released_rows=released,
        )

    def _authorise(
        self,
        principal: Principal,
        purpose: str,
        output_kind: str,
        fields: Sequence[tuple[str, str, str]],
    ) -> Agreement:
        """The agreement letting an analyst's partner receive this output, or an error."""
        _check_releaser(principal)
        assert principal.partner is not None
        request = ReleaseRequest(
            recipient=principal.partner, purpose=purpose, output_kind=output_kind, fields=fields
        )
        return authorise(self.agreements, request, self._today())

    def _store(
        self,
        principal: Principal,
        agreement: Agreement,
        purpose: str,
        title: str,
        query: dict[str, Any],
        content: str,
        notes: dict[str, int],
        cells: int,
        output_kind: str = "aggregate",
        released_rows: int | None = None,
    ) -> Release:
        """``released_rows``: rows whose counts were all released (so their values could be
        derived) — lets a reader skip a release in which everything was withheld."""
        disclosure: dict[str, Any] = {
            "settings": asdict(agreement.disclosure_settings),
            "suppressed": notes,
            "cells": cells,
        }
        if released_rows is not None:
            disclosure["released_rows"] = released_rows
        assert principal.partner is not None
        with self.plane.session() as s:
            release = Release(
                title=title,
                requester=principal.name,
                recipient=principal.partner,
                purpose=purpose,
                output_kind=output_kind,
                agreement_id=agreement.id,
                agreement_sha256=agreement.sha256,
                query=json.dumps(query, default=str, sort_keys=True),
                disclosure=json.dumps(disclosure, sort_keys=True),
                media_type="text/csv",
                content=content,
                content_sha256=hashlib.sha256(content.encode()).hexdigest(),
                created_at=_now(),
            )
            s.add(release)
            s.flush()
            self.audit.append(
                principal.name,
                "release",
                f"release {release.id}",
                {
                    "agreement": agreement.id,
                    "recipient": release.recipient,
                    "purpose": purpose,
                    "query": query,
                    "content_sha256": release.content_sha256,
                    "suppressed": notes,
                },
                session=s,
            )
        self.audit.write_anchor()
        return release

    def _count(
        self, table_name: str, query: CountQuery
    ) -> tuple[pd.DataFrame, Hierarchy, dict[str, str]]:
        """Counts per (area, category) with their cell keys, plus LAD and total margins."""
        if self._vault is None:
            raise UserError("this gate has no vault to compute from")
        vault = self._vault()
        try:
            rows = vault.current(table_name)
            rows = rows.filter((rows.partner == query.partner) & (rows.dataset == query.dataset))
            date_column = canonical_table(table_name).date_column
            window = query.period
            if date_column and window is not None:
                rows = rows.filter(
                    (rows[date_column] >= window.start) & (rows[date_column] < window.end)
                )
            keys = ibis.memtable(
                {"_prefix": [f"{i:02x}" for i in range(256)], "_record_cell_key": list(range(256))}
            )
            area = rows[area_field(query.area_level)].fill_null("unresolved")
            lad = rows["lad_code"].fill_null("unresolved")
            category = rows[query.by].cast("string").fill_null("not recorded") if query.by else None
            shaped = rows.mutate(
                _area=area,
                _lad=lad,
                _category=category if category is not None else ibis.literal("all"),
                _prefix=rows.record_key.substr(0, 2).lower(),
            )
            joined = shaped.join(keys, "_prefix")
            grouped = (
                joined.group_by(["_area", "_lad", "_category"])
                .aggregate(count=joined.count(), key_sum=joined._record_cell_key.sum())
                .to_pandas()
            )
        finally:
            vault.close()
        grouped = grouped.rename(columns={"_area": "area", "_lad": "lad", "_category": "category"})
        grouped["key_sum"] = grouped["key_sum"].astype("int64")
        # an area split across LADs (ward best fit) goes to the LAD with most of its rows
        majority = best_fit(grouped, "area", "lad", "count")
        parent_of = {
            a: (lad if query.area_level != "lad" and "unresolved" not in (a, lad) else "total")
            for a, lad in zip(majority["area"], majority["lad"], strict=True)
        }
        # every area of the level, the empty ones too: an area left out says "nobody here"
        for code, lad in self._level_areas(query.area_level).items():
            parent_of.setdefault(code, lad if query.area_level != "lad" else "total")
        categories = _categories(table_name, query.by, grouped["category"]) if query.by else ["all"]
        cells: dict[tuple[str, str], list[int]] = {}

        def add(area: str, category: str, count: int, key: int) -> None:
            c = cells.setdefault((area, category), [0, 0])
            c[0] += count
            c[1] += key

        for r in grouped.itertuples(index=False):
            area, lad = str(r.area), parent_of[str(r.area)]
            for cat in {str(r.category), "all"}:
                add(area, cat, int(r.count), int(r.key_sum))
                if lad != "total":
                    add(lad, cat, int(r.count), int(r.key_sum))
                add("total", cat, int(r.count), int(r.key_sum))
        lads = set(parent_of.values()) - {"total"}
        all_areas = sorted(parent_of) + sorted(lads - set(parent_of)) + ["total"]
        wanted_categories = ([*categories, "all"]) if query.by else ["all"]
        data = [
            (a, c, cells.get((a, c), [0, 0])[0], cells.get((a, c), [0, 0])[1] % 256)
            for a in all_areas
            for c in wanted_categories
        ]
        frame = pd.DataFrame(data, columns=["area_code", "category", "count", "cell_key"])
        hierarchy_map = dict(parent_of)
        types = {a: query.area_level for a in parent_of} | {"total": "total"}
        hierarchy_map.update({lad: "total" for lad in lads})
        types.update({lad: "lad" for lad in lads})
        return frame, Hierarchy("area_code", hierarchy_map), types

    def _level_areas(self, level: str) -> dict[str, str]:
        """Every area of ``level`` in the partnership → its LAD (empty without an area list)."""
        if self._areas is None:
            return {}
        frame = self._areas()
        chosen = frame[frame["level"] == level]
        return dict(zip(chosen["code"].astype(str), chosen["lad_code"].astype(str), strict=True))

    # -- reading releases -----------------------------------------------------------------
    def releases(self, principal: Principal) -> list[Release]:
        if principal.role not in _READERS:
            raise PermissionDeniedError(
                f"your role ({principal.role or 'not signed in'}) cannot see releases"
            )
        with self.plane.session() as s:
            rows = list(s.scalars(select(Release).order_by(Release.id.desc())))
        return [r for r in rows if can_see_release(principal, r)]

    def release(self, principal: Principal, release_id: int) -> Release:
        if principal.role not in _READERS:
            raise PermissionDeniedError(
                f"your role ({principal.role or 'not signed in'}) cannot see releases"
            )
        with self.plane.session() as s:
            release = s.get(Release, release_id)
        if release is None or not can_see_release(principal, release):
            raise NotFoundError(f"no release {release_id} that you can see")
        return release

    def download(self, principal: Principal, release_id: int) -> Release:
        """A release's content, if the reader's partner received it, their role may read
        content (admins manage users, not data) and its agreement is still in force (the IG
        officer may read any, for oversight). Audited."""
        release = self.release(principal, release_id)
        if principal.role == "admin":
            raise PermissionDeniedError("admins manage users and settings, not outputs")
        if principal.role not in _OVERSIGHT:
            agreement = next((a for a in self.agreements if a.id == release.agreement_id), None)
            today = self._today()
            if agreement is None or not agreement.in_force(today):
                state = "no longer exists" if agreement is None else f"ended on {agreement.expiry}"
                raise PermissionDeniedError(
                    f"release {release_id} was made under agreement {release.agreement_id!r}, "
                    f"which {state} — ask the IG officer"
                )
        self.audit.append(principal.name, "release_download", f"release {release_id}", {})
        return release

    def summary(self, release: Release) -> dict[str, Any]:
        """Metadata of a release (no content)."""
        return {
            "id": release.id,
            "title": release.title,
            "requester": release.requester,
            "recipient": release.recipient,
            "purpose": release.purpose,
            "output_kind": release.output_kind,
            "agreement_id": release.agreement_id,
            "created_at": release.created_at.isoformat(),
            "media_type": release.media_type,
            "content_sha256": release.content_sha256,
            "disclosure": json.loads(release.disclosure),
        }


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
