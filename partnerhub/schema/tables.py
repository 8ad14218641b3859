"""The canonical tables of DESIGN.md, as code.

Identifiers and attributes are split at ingest: ``source_record`` (identifiers only) lives in the
identity store; every attribute table is keyed by the pseudonymous ``record_key`` and gets the
areas resolved from its postcode at the fact's date. Area-level tables (``operation``,
``resource``) arrive from partners as aggregates.

Three tables are additions to the list in DESIGN.md, each because a capability needs facts the
listed tables cannot hold: ``condition`` (GP disease registers — dementia drives the care-home
risk model), ``justice_outcome`` (youth-justice outcomes for NI 111) and ``fire_incident``
(NI 33 and NI 49 count incidents, which are not facts about one person).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from partnerhub.schema.codes import CODE_LISTS

__all__ = [
    "AREA_COLUMNS",
    "CANONICAL_TABLES",
    "ENCODED_FILTERS",
    "ENCODED_TOKENS",
    "Column",
    "ColumnType",
    "Table",
    "TableKind",
    "table",
]

ColumnType = Literal["string", "integer", "float", "date", "boolean", "code"]
TableKind = Literal["identifiers", "attribute", "area"]

_TYPES: frozenset[str] = frozenset({"string", "integer", "float", "date", "boolean", "code"})


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: ColumnType
    required: bool = False
    codes: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")
        if (self.type == "code") != (self.codes is not None):
            raise ValueError(f"column {self.name}: a code column needs a code list, and only it")
        if self.codes is not None and self.codes not in CODE_LISTS:
            raise ValueError(f"column {self.name}: unknown code list {self.codes!r}")

    @property
    def allowed(self) -> frozenset[str] | None:
        """The allowed values of a coded column, else None."""
        return None if self.codes is None else frozenset(CODE_LISTS[self.codes])


@dataclass(frozen=True)
class Table:
    """A canonical table: its name, kind and columns."""

    name: str
    kind: TableKind
    description: str
    columns: tuple[Column, ...]
    date_column: str | None = None
    # the fields that say which figure a row of an area-level table is (one row per key)
    row_key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        if not set(self.row_key) <= set(names):
            raise ValueError(f"table {self.name}: row key {self.row_key} not among its columns")
        if self.date_column is not None and self.date_column not in names:
            raise ValueError(f"table {self.name}: date column {self.date_column} not a column")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _c(
    name: str,
    type_: ColumnType,
    required: bool = False,
    codes: str | None = None,
    description: str = "",
) -> Column:
    return Column(name, type_, required, codes, description)


# Columns every attribute row carries once ingested (added by ingest, not sent by partners).
_KEY = (
    _c("partner", "string", True, description="partner that sent the row"),
    _c("record_key", "string", True, description="pseudonymous key of the partner's local id"),
)
AREA_COLUMNS: tuple[Column, ...] = (
    _c("oa_code", "string", description="output area resolved from the postcode at the date"),
    _c("lsoa_code", "string"),
    _c("msoa_code", "string"),
    _c("ward_code", "string"),
    _c("lad_code", "string"),
)
# Privacy-preserving mode (identity/pprl.py): the keyed tokens and Bloom filters a partner sends.
ENCODED_TOKENS = (
    "nhs_number",
    "given_name",
    "given_metaphone",
    "family_name",
    "family_metaphone",
    "dob",
    "dob_swapped",
    "birth_year",
    "sex",
    "postcode",
    "postcode_sector",
    "postcode_district",
)
ENCODED_FILTERS = ("given_bf", "family_bf", "dob_bf")
_POSTCODE = _c("postcode", "string", description="postcode at the fact's date (resolved to areas)")


def _attr(
    name: str, description: str, date_column: str, *columns: Column, located: bool = True
) -> Table:
    cols = _KEY + columns + ((_POSTCODE, *AREA_COLUMNS) if located else ())
    return Table(name, "attribute", description, cols, date_column)


_TABLES: tuple[Table, ...] = (
    Table(
        "source_record",
        "identifiers",
        "Identifiers of one partner's record of a person; lives only in the identity store.",
        (
            *_KEY,
            _c("dataset", "string", True),
            _c("nhs_number", "string", description="10 digits, modulus-11 check digit"),
            _c("given_name", "string"),
            _c("middle_names", "string"),
            _c("family_name", "string"),
            _c("date_of_birth", "date"),
            _c("sex", "code", codes="sex"),
            _c("postcode", "string"),
            _c("address_line_1", "string"),
            _c("address_line_2", "string"),
            _c("town", "string"),
            _c("uprn", "string", description="Unique Property Reference Number"),
        ),
    ),
    Table(
        "encoded_record",
        "identifiers",
        "Privacy-preserving mode: a partner record's identifiers as encoded on the partner's "
        "machine (keyed tokens and Bloom filters); lives only in the identity store.",
        (
            *_KEY,
            _c("dataset", "string", True),
            _c("pprl_version", "string", True, description="encoding scheme"),
            *(
                _c(name, "string", description="keyed token (HMAC-SHA256, 64 bits)")
                for name in ENCODED_TOKENS
            ),
            _c("given_aliases", "string", description="tokens of the forename and its aliases"),
            *(
                _c(name, "string", description="Bloom filter, 1,024 bits as hex")
                for name in ENCODED_FILTERS
            ),
        ),
    ),
    _attr(
        "residence",
        "Where a person lived, from/to (GP registration, council tax, tenancy, school census).",
        "from_date",
        _c("source", "code", True, "residence_source"),
        _c("from_date", "date", True),
        _c("to_date", "date"),
        _c("single_occupier", "boolean", description="council-tax single-person discount"),
        _c("practice_code", "string"),
    ),
    _attr(
        "hospital_spell",
        "An admitted-patient spell in an acute hospital.",
        "admission_date",
        _c("spell_id", "string", True),
        _c("admission_date", "date", True),
        _c("discharge_date", "date"),
        _c("admission_method", "code", True, "admission_method"),
        _c("primary_diagnosis", "string", description="ICD-10 code"),
        _c("diagnosis_group", "code", codes="diagnosis_group", description="from ICD-10"),
        _c("discharge_destination", "code", codes="discharge_destination"),
        _c("delayed_days", "integer", description="days of delayed transfer of care"),
        _c("delay_responsibility", "string", description="nhs, social_care or both"),
    ),
    _attr(
        "social_care_episode",
        "Adult social care: contacts, assessments, reviews and services.",
        "start_date",
        _c("episode_id", "string", True),
        _c("client_type", "code", True, "social_care_client_type"),
        _c("episode_type", "code", True, "social_care_episode_type"),
        _c("service_type", "code", codes="social_care_service"),
        _c("support_reason", "code", codes="support_reason"),
        _c("referral_source", "string", description="hospital_discharge, community, self, ..."),
        _c("start_date", "date", True),
        _c("end_date", "date"),
        _c("outcome_91_days", "code", codes="outcome_91_days"),
        _c("self_directed", "boolean", description="personal budget or direct payment"),
        _c("settled_accommodation", "boolean"),
        _c("in_paid_employment", "boolean"),
    ),
    _attr(
        "death",
        "A registered death.",
        "date_of_death",
        _c("date_of_death", "date", True),
        _c("date_registered", "date"),
        _c("place_of_death", "code", codes="place_of_death"),
        _c("underlying_cause", "string", description="ICD-10 code"),
    ),
    _attr(
        "birth",
        "A registered live birth (the record is the child's).",
        "date_of_birth",
        _c("date_of_birth", "date", True),
        _c("date_registered", "date"),
        _c("birth_weight_g", "integer"),
        _c("mother_age", "integer"),
    ),
    _attr(
        "crime",
        "A recorded crime; the record key is the victim's where the victim is known.",
        "occurred_date",
        _c("crime_ref", "string", True),
        _c("occurred_date", "date", True),
        _c("offence_group", "code", True, "offence_group"),
        _c("domestic_abuse", "boolean"),
    ),
    _attr(
        "justice_outcome",
        "A youth-justice outcome (reprimand, warning, caution, conviction) for a young person.",
        "outcome_date",
        _c("outcome_date", "date", True),
        _c("outcome", "code", True, "justice_outcome"),
        _c("offence_group", "code", codes="offence_group"),
    ),
    _attr(
        "fire_incident",
        "A fire attended by the fire and rescue service.",
        "incident_date",
        _c("incident_ref", "string", True),
        _c("incident_date", "date", True),
        _c("fire_type", "code", True, "fire_type"),
        _c("property_type", "code", True, "fire_property_type"),
        _c("deliberate", "boolean"),
        _c("fatalities", "integer"),
        _c("non_fatal_casualties", "integer"),
    ),
    _attr(
        "housing_event",
        "Homelessness, temporary accommodation, eviction notice, tenancy, housing support.",
        "event_date",
        _c("event_type", "code", True, "housing_event"),
        _c("event_date", "date", True),
        _c("household_size", "integer"),
    ),
    _attr(
        "benefit_claim",
        "A benefit award: claim, decision, start and end, weekly amount.",
        "start_date",
        _c("benefit", "code", True, "benefit"),
        _c("claim_received_date", "date"),
        _c("decision_date", "date"),
        _c("start_date", "date", True),
        _c("end_date", "date"),
        _c("weekly_amount", "float"),
    ),
    _attr(
        "pupil",
        "Education: school census, NCMP measurement, 16-18 NEET snapshot.",
        "snapshot_date",
        _c("record_type", "code", True, "pupil_record_type"),
        _c("snapshot_date", "date", True),
        _c("school_urn", "string"),
        _c("year_group", "integer"),
        _c("free_school_meals", "boolean"),
        _c("height_cm", "float"),
        _c("weight_kg", "float"),
        _c("bmi_centile", "float"),
        _c("neet_status", "code", codes="neet_status"),
    ),
    _attr(
        "service_contact",
        "A contact with a service: fire home-safety visit, befriending, carers' support, ...",
        "contact_date",
        _c("service", "code", True, "service"),
        _c("contact_date", "date", True),
    ),
    _attr(
        "condition",
        "A diagnosis on a GP disease register.",
        "diagnosed_date",
        _c("condition", "code", True, "condition"),
        _c("diagnosed_date", "date", True),
        located=False,
    ),
    Table(
        "operation",
        "area",
        "Operational activity or capacity of a partner in an area and period.",
        (
            _c("partner", "string", True),
            _c("area_code", "string", True, description="an area of the partnership's geography"),
            _c("area_type", "string", True, description="its level: oa, lsoa, msoa, ward or lad"),
            _c("period_start", "date", True),
            _c("period_end", "date", True),
            _c("measure", "code", True, "operation_measure"),
            _c("value", "float", True, description="0 or more"),
        ),
        "period_start",
        ("partner", "area_code", "area_type", "period_start", "period_end", "measure"),
    ),
    Table(
        "resource",
        "area",
        "Resources (spend, FTE) of a partner's programme in an area and period.",
        (
            _c("partner", "string", True),
            _c("programme", "code", True, "programme"),
            _c("area_code", "string", True, description="an area of the partnership's geography"),
            _c("area_type", "string", True, description="its level: oa, lsoa, msoa, ward or lad"),
            _c("period_start", "date", True),
            _c("period_end", "date", True),
            _c("spend", "float", True, description="pounds, 0 or more"),
            _c("fte", "float", description="full-time equivalent staff, 0 or more"),
        ),
        "period_start",
        ("partner", "programme", "area_code", "area_type", "period_start", "period_end"),
    ),
)

CANONICAL_TABLES: Mapping[str, Table] = MappingProxyType({t.name: t for t in _TABLES})


def table(name: str) -> Table:
    """The canonical table called ``name``."""
    try:
        return CANONICAL_TABLES[name]
    except KeyError:
        known = ", ".join(CANONICAL_TABLES)
        raise KeyError(f"no canonical table {name!r}; the tables are: {known}") from None
