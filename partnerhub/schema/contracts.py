"""Dataset contracts: how one partner's extract maps onto the canonical tables.

A contract is data — one TOML file per partner dataset — parsed once into a frozen
:class:`DatasetContract`. It names the file format (encoding, delimiter, date format), each
column of the extract in order, the canonical field it feeds (an identifier of
``source_record``, a column of the contract's canonical table, or ``local_id``), its type,
whether it is required, and for coded columns the map from the partner's codes to canonical
codes. Nothing downstream re-checks a contract.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from partnerhub.errors import ContractError, NotFoundError, describe_validation_error
from partnerhub.schema.tables import (
    AREA_COLUMNS,
    CANONICAL_TABLES,
    ENCODED_FILTERS,
    ENCODED_TOKENS,
    Column,
    table,
)

__all__ = [
    "ENCODED_FIELDS",
    "IDENTIFIER_FIELDS",
    "ContractColumn",
    "DatasetContract",
    "FileFormat",
    "builtin_contract",
    "builtin_contract_names",
    "encoded_contract",
    "load_contract",
    "parse_contract",
]

# Fields of ``source_record`` a contract may map an extract column to.
IDENTIFIER_FIELDS: frozenset[str] = frozenset(
    {
        "nhs_number",
        "given_name",
        "middle_names",
        "family_name",
        "date_of_birth",
        "sex",
        "postcode",
        "address_line_1",
        "address_line_2",
        "town",
        "uprn",
    }
)
_NOT_MAPPABLE = frozenset({"partner", "record_key", *(c.name for c in AREA_COLUMNS)})
# Fields an *encoded* extract (privacy-preserving mode, `partnerhub encode`) maps columns to:
# the encodings of ``encoded_record`` (prefixed ``pprl_``) and the areas the partner resolved.
_ENCODED_ORDER = (
    "pprl_version",
    *(f"pprl_{n}" for n in (*ENCODED_TOKENS, "given_aliases", *ENCODED_FILTERS)),
)
ENCODED_FIELDS: frozenset[str] = frozenset(_ENCODED_ORDER)
_AREA_FIELDS = frozenset(c.name for c in AREA_COLUMNS)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileFormat(_Frozen):
    """How the extract file is written."""

    format: Literal["csv", "parquet", "excel"] = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    date_format: str = "%Y-%m-%d"
    sheet: str | None = None

    @model_validator(mode="after")
    def _check(self) -> FileFormat:
        if len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")
        try:
            "x".encode(self.encoding)
        except LookupError:
            raise ValueError(f"unknown encoding {self.encoding!r}") from None
        _check_date_format(self.date_format)
        return self


class ContractColumn(_Frozen):
    """One column of the partner's extract."""

    name: str = Field(min_length=1)
    maps_to: str = Field(min_length=1)
    type: Literal["string", "integer", "float", "date", "boolean", "code"] = "string"
    required: bool = False
    format: str | None = None
    codes: dict[str, str] | None = None
    on_invalid: Literal["quarantine", "drop"] | None = Field(
        default=None,
        description="what an invalid value does: quarantine the row, or drop the value and "
        "load the row (optional identifiers only; the default for them)",
    )
    minimum: float | None = Field(
        default=None,
        description="the smallest value allowed (integer and float columns); a smaller one "
        "quarantines the row",
    )
    true_values: tuple[str, ...] = ("Y", "1", "true", "True", "TRUE", "Yes")
    false_values: tuple[str, ...] = ("N", "0", "false", "False", "FALSE", "No")
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> ContractColumn:
        if (self.type == "code") != (self.codes is not None):
            raise ValueError(f"column {self.name}: `codes` is needed for type code, and only then")
        if self.format is not None:
            if self.type != "date":
                raise ValueError(f"column {self.name}: `format` applies only to date columns")
            _check_date_format(self.format)
        if self.minimum is not None and self.type not in ("integer", "float"):
            raise ValueError(f"column {self.name}: `minimum` applies only to number columns")
        return self


class DatasetContract(_Frozen):
    """The contract of one partner dataset."""

    partner: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    description: str = ""
    table: str
    file: FileFormat = Field(default_factory=FileFormat)
    columns: tuple[ContractColumn, ...] = Field(alias="column", min_length=1)
    constants: dict[str, str] = Field(
        default_factory=dict, description="canonical fields with one value for every row"
    )
    encoded: bool = Field(
        default=False,
        description="privacy-preserving mode: identifiers arrive encoded (see encoded_contract)",
    )

    @model_validator(mode="after")
    def _check(self) -> DatasetContract:
        if self.table not in CANONICAL_TABLES or CANONICAL_TABLES[self.table].kind == "identifiers":
            names = ", ".join(n for n, t in CANONICAL_TABLES.items() if t.kind != "identifiers")
            raise ValueError(
                f"table {self.table!r} is not a canonical attribute or area table ({names})"
            )
        canonical = table(self.table)
        if canonical.kind == "area":
            return self._check_area()
        seen_targets = self._mapped_targets()
        for col in self.columns:
            _check_target(col, canonical.name, self.encoded)
            if col.on_invalid == "drop" and not _droppable(col, canonical.name):
                raise ValueError(
                    f'column {col.name}: on_invalid = "drop" is only for optional identifier '
                    "columns (a required column, the local id or a fact of the table "
                    "quarantines its row)"
                )
        seen_targets |= self._checked_constants(seen_targets, _NOT_MAPPABLE)
        if self.encoded and "pprl_version" not in seen_targets:
            raise ValueError("an encoded extract needs its `pprl_version` column")
        if "local_id" not in seen_targets:
            raise ValueError("no column maps to `local_id` (the partner's own id of the person)")
        missing = [
            c.name
            for c in canonical.columns
            if c.required and c.name not in _NOT_MAPPABLE and c.name not in seen_targets
        ]
        if missing:
            raise ValueError(f"required {self.table} columns not mapped: {', '.join(missing)}")
        return self

    def _mapped_targets(self) -> set[str]:
        """The fields the columns map to; a column named twice, or two columns mapping to one
        field, is a mistake."""
        names: set[str] = set()
        targets: set[str] = set()
        for col in self.columns:
            if col.name in names:
                raise ValueError(f"column {col.name!r} appears twice")
            names.add(col.name)
            if col.maps_to in targets:
                raise ValueError(f"two columns map to {col.maps_to!r}")
            targets.add(col.maps_to)
        return targets

    def _checked_constants(self, mapped: set[str], not_mappable: frozenset[str]) -> set[str]:
        """The fields the contract's constants fill, each checked: not also mapped from a
        column, a field of the table, and a code of its list where it has one."""
        canonical = table(self.table)
        for field, value in self.constants.items():
            if field in mapped:
                raise ValueError(f"constant {field!r} is also mapped from a column")
            if field not in canonical.column_names or field in not_mappable:
                raise ValueError(f"constant {field!r} is not a field of {self.table}")
            allowed = canonical.column(field).allowed
            if allowed is not None and value not in allowed:
                raise ValueError(
                    f"constant {field} = {value!r} is not a {field} code; "
                    f"allowed: {', '.join(sorted(allowed))}"
                )
        return set(self.constants)

    def _check_area(self) -> DatasetContract:
        """An area-level table (``operation``, ``resource``): aggregates, no person in them —
        no local id, no identifiers; every column a column of the table. ``partner`` (the
        partner the figures are about) may come from a column; otherwise it is the contract's
        partner."""
        canonical = table(self.table)
        if self.encoded:
            raise ValueError(f"{self.table} is an area-level table: it is never encoded")
        seen = self._mapped_targets()
        for col in self.columns:
            if col.maps_to not in canonical.column_names:
                raise ValueError(
                    f"column {col.name}: maps_to {col.maps_to!r} is not a field of {self.table} "
                    f"(an area-level table holds no person: no local id, no identifiers); use "
                    f"one of: {', '.join(canonical.column_names)}"
                )
            _check_type(col, canonical.column(col.maps_to))
            if col.on_invalid == "drop":
                raise ValueError(
                    f'column {col.name}: on_invalid = "drop" is only for optional identifier '
                    "columns; an area-level table has none"
                )
        seen |= self._checked_constants(seen, frozenset())
        missing = [
            c.name
            for c in canonical.columns
            if c.required and c.name != "partner" and c.name not in seen
        ]
        if missing:
            raise ValueError(f"required {self.table} columns not mapped: {', '.join(missing)}")
        return self

    @property
    def is_area_level(self) -> bool:
        """Whether the contract feeds an area-level table (aggregates: no person, no
        identifiers, nothing for the identity store)."""
        return table(self.table).kind == "area"

    @property
    def name(self) -> str:
        """``partner/dataset``."""
        return f"{self.partner}/{self.dataset}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column_for(self, target: str) -> ContractColumn | None:
        """The extract column that feeds canonical field ``target``, if any."""
        for c in self.columns:
            if c.maps_to == target:
                return c
        return None

    def drops_invalid(self, column: ContractColumn) -> bool:
        """Whether an invalid value of ``column`` is dropped (the row loads without it, and
        the quality report counts it) rather than quarantining the row. By default an
        optional identifier — one that only helps to link the row to a person, such as an
        NHS number or a date of birth — is dropped: a real death must not vanish because its
        NHS number fails its check digit. ``on_invalid`` in the contract says otherwise."""
        if column.on_invalid is not None:
            return column.on_invalid == "drop"
        return not self.encoded and _droppable(column, self.table)

    def date_format_of(self, column: ContractColumn) -> str:
        return column.format or self.file.date_format

    def local_codes(self, column: ContractColumn) -> Mapping[str, str]:
        """Canonical code → the partner's code (the first listed wins): used to write extracts."""
        out: dict[str, str] = {}
        for local, canonical in (column.codes or {}).items():
            out.setdefault(canonical, local)
        return out


def _check_date_format(fmt: str) -> None:
    probe = datetime(2023, 11, 25)
    try:
        text = probe.strftime(fmt)
        back = datetime.strptime(text, fmt)
    except ValueError as exc:
        raise ValueError(f"date format {fmt!r} is not valid: {exc}") from None
    if back.date() != probe.date():
        raise ValueError(f"date format {fmt!r} does not hold a full date (day, month and year)")


def _check_target(col: ContractColumn, table_name: str, encoded: bool) -> None:
    if col.maps_to == "local_id":
        if col.type != "string":
            raise ValueError(f"column {col.name}: the local id must have type string")
        return
    if encoded and (col.maps_to in ENCODED_FIELDS or col.maps_to in _AREA_FIELDS):
        if col.type != "string":
            raise ValueError(f"column {col.name}: {col.maps_to} must have type string")
        return
    if encoded and col.maps_to in IDENTIFIER_FIELDS and not _is_fact(col.maps_to, table_name):
        raise ValueError(
            f"column {col.name}: an encoded extract carries no identifiers ({col.maps_to}); "
            "encode it with `partnerhub encode`"
        )
    if col.maps_to in IDENTIFIER_FIELDS and not encoded:
        target_type = table("source_record").column(col.maps_to)
    else:
        canonical = table(table_name)
        if col.maps_to in _NOT_MAPPABLE or col.maps_to not in canonical.column_names:
            allowed = sorted(
                {"local_id"} | IDENTIFIER_FIELDS | (set(canonical.column_names) - _NOT_MAPPABLE)
            )
            raise ValueError(
                f"column {col.name}: maps_to {col.maps_to!r} is not a field of {table_name} "
                f"or an identifier; use one of: {', '.join(allowed)}"
            )
        target_type = canonical.column(col.maps_to)
    _check_type(col, target_type)


def _check_type(col: ContractColumn, target_type: Column) -> None:
    """A column's type (and codes) fit the canonical field it maps to."""
    if target_type.type == "code":
        if col.type != "code":
            raise ValueError(f"column {col.name}: {col.maps_to} is coded; give type code + codes")
        allowed_codes = target_type.allowed or frozenset()
        bad = sorted(set((col.codes or {}).values()) - allowed_codes)
        if bad:
            raise ValueError(
                f"column {col.name}: codes map to unknown canonical codes {bad}; "
                f"allowed: {', '.join(sorted(allowed_codes))}"
            )
    elif col.type != target_type.type:
        raise ValueError(
            f"column {col.name}: type {col.type} but {col.maps_to} is {target_type.type}"
        )


def _droppable(col: ContractColumn, table_name: str) -> bool:
    """An optional identifier that is not also a fact of the table: its value may be dropped."""
    return (
        not col.required
        and col.maps_to in IDENTIFIER_FIELDS
        and not _is_fact(col.maps_to, table_name)
    )


def _is_fact(identifier: str, table_name: str) -> bool:
    """An identifier that is also a fact of the table (a birth's date of birth); the postcode
    never is — the vault keeps only its areas."""
    return identifier != "postcode" and identifier in table(table_name).column_names


def encoded_contract(contract: DatasetContract) -> DatasetContract:
    """The contract of ``contract``'s extract as ``partnerhub encode`` writes it, in canonical
    form: a CSV in UTF-8 whose columns are named by canonical field (dates ISO, canonical codes),
    with no identifier columns, the areas the partner resolved from the postcode at each fact's
    date, and the encodings."""
    if contract.encoded:
        return contract
    if contract.is_area_level:
        raise ContractError(
            f"{contract.name} is an area-level dataset ({contract.table}): it holds no person "
            "and is never encoded — send the file as it is"
        )
    canonical = table(contract.table)
    columns: list[dict[str, object]] = [{"name": "local_id", "maps_to": "local_id"}]
    for c in contract.columns:
        if c.maps_to == "local_id":
            continue
        if c.maps_to in IDENTIFIER_FIELDS and not _is_fact(c.maps_to, canonical.name):
            continue
        target = canonical.column(c.maps_to)
        entry: dict[str, object] = {
            "name": c.maps_to,
            "maps_to": c.maps_to,
            "type": target.type,
            "required": c.required,
        }
        if target.type == "code":
            entry["codes"] = {v: v for v in sorted(target.allowed or ())}
        columns.append(entry)
    if "postcode" in canonical.column_names:
        columns += [{"name": a.name, "maps_to": a.name} for a in AREA_COLUMNS]
    columns += [{"name": f, "maps_to": f, "required": f == "pprl_version"} for f in _ENCODED_ORDER]
    data = contract.model_dump(by_alias=True, exclude={"column", "file"})
    data["column"] = columns
    data["file"] = {"format": "csv"}
    data["encoded"] = True
    return parse_contract(data, f"encoded:{contract.name}")


def parse_contract(data: Mapping[str, object], source: str) -> DatasetContract:
    """Validate a contract given as a mapping; errors name ``source`` and the field."""
    try:
        return DatasetContract.model_validate(data)
    except ValidationError as exc:
        raise ContractError(describe_validation_error(source, exc)) from None


def load_contract(path: Path) -> DatasetContract:
    """Read and validate a contract TOML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"{path}: contract file not found — check the path") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"{path}: not valid TOML ({exc}) — fix the syntax") from None
    return parse_contract(data, str(path))


def builtin_contract_names() -> tuple[str, ...]:
    """Names (``partner_dataset``) of the contracts shipped for the synthetic partnership."""
    folder = resources.files("partnerhub.schema") / "contracts"
    return tuple(
        sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))
    )


def builtin_contract(name: str) -> DatasetContract:
    """A shipped contract by name, e.g. ``acute_spells``."""
    resource = resources.files("partnerhub.schema") / "contracts" / f"{name}.toml"
    if not resource.is_file():
        known = ", ".join(builtin_contract_names())
        raise NotFoundError(f"no built-in contract {name!r}; the built-in contracts are: {known}")
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return parse_contract(data, f"builtin:{name}")
