"""The canonical tables, their code lists, identifier rules and partner dataset contracts."""

from partnerhub.schema.codes import CODE_LISTS, OFFENCE_GROUP_INDICATORS, diagnosis_group
from partnerhub.schema.contracts import (
    IDENTIFIER_FIELDS,
    ContractColumn,
    DatasetContract,
    FileFormat,
    builtin_contract,
    builtin_contract_names,
    load_contract,
    parse_contract,
)
from partnerhub.schema.tables import AREA_COLUMNS, CANONICAL_TABLES, Column, Table, table

__all__ = [
    "AREA_COLUMNS",
    "CANONICAL_TABLES",
    "CODE_LISTS",
    "IDENTIFIER_FIELDS",
    "OFFENCE_GROUP_INDICATORS",
    "Column",
    "ContractColumn",
    "DatasetContract",
    "FileFormat",
    "Table",
    "builtin_contract",
    "builtin_contract_names",
    "diagnosis_group",
    "load_contract",
    "parse_contract",
    "table",
]
